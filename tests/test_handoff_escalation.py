"""One open hand-off per conversation takes the more urgent request's reason, priority
and SLA, keeping the earlier reason on record (G-01, UK-07, US-17): at the pure core
(bot/handoffs.py, the dialog engine) and end to end over real HTTP (signed webhooks to
uvicorn, the console's inbox and conversation page)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.actions import Handoff, SetHold
from bot.dialogs import context_of, step
from bot.handoffs import Raised, raise_open
from bot.intents import interpret
from bot.types import ConversationState, InboundText
from storage.models import AuditEntry, Decision, Event, Handoff as HandoffRow
from tests.live import Duly, add_user, console_login
from tests.test_dialogs_counter_offer import US, reply_to_offer
from tests.test_dialogs_support import NOW, SCRIPT, of

T = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)
M = dt.timedelta(minutes=1)


# --- the pure rule ----------------------------------------------------------------------------

def test_G_01_a_cease_makes_an_open_counter_offer_a_hold_review():
    # counter_offer P3 due in 30 min; the cease's hold_review P2 (60 min SLA)
    assert raise_open("counter_offer", 3, T + 30 * M, "hold_review", 2, T + 60 * M) == Raised(
        "hold_review", 2, T + 30 * M, ("counter_offer", 3))   # the SLA never moves later


def test_UK_07_self_harm_while_a_dispute_waits():
    assert raise_open("dispute", 2, T + 60 * M, "hardship", 1, T + 30 * M) == Raised(
        "hardship", 1, T + 30 * M, ("dispute", 2))


def test_UK_07_same_priority_shorter_sla_is_more_urgent():
    # bereavement (hardship, P2, 30 min) while a dispute (P2, 60 min) waits
    assert raise_open("dispute", 2, T + 60 * M, "hardship", 2, T + 30 * M) == Raised(
        "hardship", 2, T + 30 * M, ("dispute", 2))


def test_a_less_urgent_request_changes_nothing_but_never_delays():
    assert raise_open("hardship", 1, T + 30 * M, "counter_offer", 3, T + 40 * M) == Raised("hardship", 1, T + 30 * M)
    # a later, lower-priority request with a sooner SLA still brings the SLA forward
    assert raise_open("dispute", 2, T + 60 * M, "optout_review", 3, T + 10 * M) == Raised("dispute", 2, T + 10 * M)
    # equal priority, later SLA: unchanged
    assert raise_open("dispute", 2, T + 60 * M, "attorney", 2, T + 90 * M) == Raised("dispute", 2, T + 60 * M)


def test_the_same_reason_again_keeps_no_history():
    assert raise_open("hold_review", 3, T + 60 * M, "hold_review", 2, T + 50 * M) == Raised("hold_review", 2, T + 50 * M)


def test_an_open_handoff_without_sla_or_priority_takes_the_new_ones():
    # the fail-safe hand-off (error, P1) has no SLA: self-harm words at P1 give it one
    assert raise_open("error", 1, None, "hardship", 1, T + 30 * M) == Raised("hardship", 1, T + 30 * M, ("error", 1))
    assert raise_open("error", None, None, "agent_request", 2, None) == Raised("agent_request", 2, None, ("error", 99))


# --- the engine: a cease while a person has the conversation -------------------------------------

def test_US_17_cease_while_a_counter_offer_waits_asks_for_a_hold_review():
    st, acts = reply_to_offer(US, "I can pay 5 a month")
    assert of(acts, Handoff) == [Handoff("counter_offer", 3)] and st.mode == "agent"
    text = "stop contacting me"
    i = interpret(text, context=context_of(st, SCRIPT), now=NOW, tz="America/New_York")
    _, acts = step(st, InboundText(text, i), SCRIPT, US, NOW)
    assert [a.kind for a in of(acts, SetHold)] == ["cease"]
    assert of(acts, Handoff) == [Handoff("hold_review", 2)]


def test_US_17_cease_with_the_bot_alone_asks_for_no_person():
    text = "stop contacting me"
    st = ConversationState("menu", {}, "bot")
    i = interpret(text, context=context_of(st, SCRIPT), now=NOW, tz="America/New_York")
    _, acts = step(st, InboundText(text, i), SCRIPT, US, NOW)
    assert [a.kind for a in of(acts, SetHold)] == ["cease"]
    assert of(acts, Handoff) == []


# --- end to end over HTTP ------------------------------------------------------------------------

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
DANA = "+15555550101"


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        add_user(d, "agent@x.test", "agent")
        yield d


def test_G_01_open_counter_offer_handoff_becomes_the_hold_review_after_a_cease(duly):
    assert duly.sms("plan", frm=DANA).status_code == 200
    assert duly.sms("I can pay 5 a month", frm=DANA).status_code == 200
    with duly.services.sessions() as s:
        [ho] = s.scalars(select(HandoffRow)).all()
        assert (ho.reason, ho.priority) == ("counter_offer", 3)
        first_due = ho.sla_due_at
    assert first_due == duly.clock() + 30 * M
    duly.clock.advance(minutes=5)
    assert duly.sms("stop contacting me", frm=DANA).status_code == 200
    with duly.services.sessions() as s:
        [ho] = s.scalars(select(HandoffRow)).all()     # still one hand-off, raised
        assert (ho.reason, ho.priority, ho.resolved_at) == ("hold_review", 2, None)
        assert ho.sla_due_at == first_due               # the sooner SLA stands
        esc = s.scalar(select(AuditEntry).where(AuditEntry.action == "handoff_escalated"))
        assert (esc.actor, esc.detail) == ("system", {"handoff_id": ho.id,
                                                      "from": {"reason": "counter_offer", "priority": 3},
                                                      "to": {"reason": "hold_review", "priority": 2}})
        d = s.scalar(select(Decision).where(Decision.rule == "G-01", Decision.detail["handoff"].as_string() == "hold_review"))
        assert d.detail["escalated_from"] == {"reason": "counter_offer", "priority": 3}
        ev = s.scalars(select(Event).where(Event.kind == "handoff").order_by(Event.id)).all()
        assert [e.payload for e in ev] == [{"reason": "counter_offer", "priority": 3},
                                           {"reason": "hold_review", "priority": 2, "escalated_from": "counter_offer"}]
        cid = ho.conversation_id
    view = duly.conversation(DANA)
    assert {"handoff:counter_offer", "handoff:hold_review"} <= set(view["flags"])
    assert [(h["kind"], h["rule"]) for h in view["holds"]] == [("cease", "US-17")]

    agent, _ = console_login(duly, "agent@x.test")
    inbox = agent.get("/console/inbox").text
    assert '<span class="badge p2">P2</span>' in inbox
    assert 'data-testid="reason">hold review</span>' in inbox
    assert 'data-testid="earlier">was counter offer (P3)</span>' in inbox
    page = agent.get(f"/console/c/{cid}").text
    assert 'data-testid="handoff">hold review, P2 (was counter offer, P3), waiting' in page
