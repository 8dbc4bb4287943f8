"""UK-07 whatever the intent: a reply that mixes an opt-out (or an attorney, bankruptcy,
wrong-number or dispute reply) with self-harm words still escalates — vulnerability
hold, ``vulnerability`` flag and a priority-1 hand-off — while the opt-out is honoured
exactly as before (US-06: recorded, US-08: at most the one confirmation, US-05: no more
automated texts; a person follows up through the agent path, which the outbound gate
still governs). Vulnerability words without self-harm place the hold (and a hand-off at
priority 2 when nothing else hands off). The engine's word lists: neighbours of the
probe's misses ("surgery", 医院, "no point in living") are in; everyday words that only
look alike ("my phone died", "ill pay friday" = I'll, "sick of these texts") are not.

Pure: the real interpreter reads each reply with the context the engine reports, then
:func:`bot.dialogs.step` acts on it (Monday 2026-11-30 10:00 New York).
Tests named ``test_guard_*`` were already right before the change; every other case
failed before it.
"""

from __future__ import annotations

import pytest

from bot.actions import Flag, Handoff, OptOut, Quarantine, Reply, SetHold
from bot.dialogs import context_of, opening, plan_options, step
from bot.dialogs.engine import _SELF_HARM, _VULNERABLE
from bot.types import ConversationState, Entities, InboundText, Intent
from tests.test_dialogs_support import NOW, SCRIPT, cn_account, facts, of, replies, uk_account

intents = pytest.importorskip("bot.intents")

REF = "ACC-100-4521"


def talk(f, line, st=None):
    """Open the conversation (unless ``st`` is given), read ``line`` with the real
    interpreter and step once; returns (state, actions, intent)."""
    if st is None:
        st, _ = opening(ConversationState(), SCRIPT, f, NOW)
    acct = f.accounts[0] if f.accounts else None
    tz = acct.timezone if acct else "America/New_York"
    it = intents.interpret(line, context=context_of(st, SCRIPT), now=NOW, tz=tz,
                           plan_options=plan_options(st), lang_hint=st.slots.get("lang"))
    st2, acts = step(st, InboundText(line, it), SCRIPT, f, NOW)
    return st2, acts, it


def holds(acts, kind="vulnerability"):
    return [a for a in of(acts, SetHold) if a.kind == kind]


def first_handoff(acts):
    """The runner keeps the first hand-off of a step as the open one (one per conversation)."""
    ho = of(acts, Handoff)
    return ho[0] if ho else None


# --- UK-07 + US-06: stop mixed with self-harm --------------------------------------------

@pytest.mark.parametrize("text, f", [
    ("stop texting me or i swear i'll kill myself", facts()),
    ("if you text me again i'll kill myself", facts()),
    ("STOP. I can't take this anymore, I want to end my life", facts()),
    ("unsubscribe, i don't want to live anymore", facts()),
    ("不要再发了，我不想活了", facts(cn_account())),
    ("别再给我发短信了，我想自杀", facts(cn_account())),
])
def test_UK_07_US_06_stop_with_self_harm_opts_out_and_escalates_at_priority_1(text, f):
    st, acts, it = talk(f, text)
    assert it.name == "stop" and it.confidence >= 0.75, it        # the opt-out is certain
    assert of(acts, OptOut) and "sms" in of(acts, OptOut)[0].channels   # US-06 honoured
    assert st.slots.get("opted_out") is True
    assert [r.kind for r in replies(acts)] == ["optout_confirmation"]   # US-08: the one confirmation only
    assert holds(acts), acts                                        # UK-07: automation paused
    assert Flag("vulnerability") in acts
    assert first_handoff(acts) is not None and first_handoff(acts).priority == 1, acts
    assert st.mode == "agent"                                       # a person follows up


def test_UK_07_second_stop_with_self_harm_escalates_without_a_second_confirmation():  # US-08
    f = facts()
    st, _, _ = talk(f, "STOP")
    st, acts, it = talk(f, "stop texting me or i'll kill myself", st=st)
    assert it.name == "stop"
    assert replies(acts) == []                                      # no second confirmation
    assert holds(acts) and first_handoff(acts).priority == 1


def test_UK_07_self_harm_while_an_agent_owns_the_conversation_still_escalates():
    f = facts()
    st = ConversationState("menu", {"account_ref": REF}, "agent")
    st, acts, it = talk(f, "stop texting me or i'll kill myself", st=st)
    assert of(acts, OptOut) and holds(acts) and first_handoff(acts).priority == 1


def test_UK_07_unsure_stop_with_self_harm_keeps_the_optout_review_and_adds_the_hold():
    f = facts()
    st = opening(ConversationState(), SCRIPT, f, NOW)[0]
    it = Intent("stop", 0.6, Entities(channel="sms"), "en", "stop.unsure_phrase")
    st, acts = step(st, InboundText("leave me alone or i'll kill myself", it), SCRIPT, f, NOW)
    assert holds(acts, "optout_review") and holds(acts)
    assert first_handoff(acts).priority == 1


# --- UK-07 with the other built-in compliance intents ----------------------------------

@pytest.mark.parametrize("text, intent, own_hold", [
    ("talk to my lawyer, i'm going to kill myself over this", "attorney", "attorney"),
    ("i filed bankruptcy and honestly i want to die", "bankruptcy", "bankruptcy"),
    ("this is not my debt. you people make me want to kill myself", "dispute", "dispute"),
    ("wrong number. stop or i'll kill myself", "wrong_number", "wrong_number"),
])
def test_UK_07_protective_intents_with_self_harm_escalate_at_priority_1(text, intent, own_hold):
    st, acts, it = talk(facts(), text)
    assert it.name == intent, it
    assert holds(acts, own_hold)                                    # the intent's own protection stays
    assert holds(acts) and Flag("vulnerability") in acts
    assert first_handoff(acts).priority == 1, acts


def test_guard_US_12_wrong_number_with_self_harm_keeps_the_quarantine():  # US-12
    st, acts, _ = talk(facts(), "wrong number. stop or i'll kill myself")
    assert of(acts, Quarantine) and "$" not in "".join(r.template for r in replies(acts))


@pytest.mark.parametrize("text", [
    "my husband just died, please stop texting me",
    "stop texting me, i'm in the hospital",
])
def test_UK_07_stop_with_vulnerability_opts_out_and_holds(text):
    st, acts, it = talk(facts(), text)
    assert it.name == "stop" and of(acts, OptOut)
    assert [r.kind for r in replies(acts)] == ["optout_confirmation"]
    assert holds(acts) and Flag("vulnerability") in acts
    assert first_handoff(acts) is not None and first_handoff(acts).priority == 2


def test_UK_07_self_harm_before_identity_is_confirmed_escalates():  # UK-06 + UK-07
    f = facts(uk_account())
    st, acts, it = talk(f, "i'm going to kill myself")
    assert holds(acts) and first_handoff(acts).priority == 1
    assert not any("£" in str(r.params) for r in replies(acts))  # still no debt detail


def test_UK_07_self_harm_from_an_unknown_phone_escalates():
    f = facts(accounts=())
    st = ConversationState()
    st, acts, it = talk(f, "stop texting me or i'll kill myself", st=st)
    assert of(acts, OptOut) and holds(acts) and first_handoff(acts).priority == 1


# --- the engine's word lists -------------------------------------------------------------

@pytest.mark.parametrize("text, f, priority", [
    ("I just had surgery and can't work", facts(), 2),
    ("I had knee surgery and can't work", facts(), 2),
    ("we just buried my father", facts(), 2),
    ("我老公走了，我一个人带孩子", facts(cn_account()), 2),
    ("逼死我算了", facts(cn_account()), 2),
    ("别再打电话了，再打我就去死", facts(cn_account()), 1),
    ("domestic violence situation, I had to leave my home", facts(), 2),
    ("just got out of surgery, can't work for 6 weeks", facts(), 2),
    ("我在医院，做手术", facts(cn_account()), 2),
    ("刚做完手术，还不了", facts(cn_account()), 2),
    ("don't see the point in living anymore", facts(), 1),
    ("i have nothing to live for", facts(), 1),
    ("life isn't worth living, i can't pay", facts(), 1),
])
def test_UK_07_hardship_vocabulary_holds_and_self_harm_is_priority_1(text, f, priority):
    """Whatever the classifier makes of it (hardship, or unknown for "i have nothing to
    live for"), the engine's lists hold and escalate."""
    st, acts, it = talk(f, text)
    assert holds(acts), (it, acts)
    assert first_handoff(acts).priority == priority


@pytest.mark.parametrize("text", [
    "ill pay 50 friday",
    "Ill pay tomorrow",
    "my phone died, ill pay friday",
    "my phone died yesterday sorry",
    "I'm sick of these messages, just send the link",
    "my car had a breakdown so i'll pay next week",
    "my card was disabled, can you send a new link",
])
def test_UK_07_everyday_words_are_no_vulnerability(text):
    assert not _VULNERABLE.search(text) and not _SELF_HARM.search(text)
    st, acts, it = talk(facts(), text)
    assert not holds(acts), (it, acts)


@pytest.mark.parametrize("text", [
    "Ill pay tomorrow",
    "ill send 200 fri",
    "dont ever text me again or ill sue",
    "I'm sick of these messages",
])
def test_UK_07_ill_as_ill_and_sick_of_are_not_vulnerability_words(text):
    """"ill" here is "I'll", "sick of" is annoyance: no hold on every promise or stop."""
    assert not _VULNERABLE.search(text)


@pytest.mark.parametrize("text", [
    "I've been ill for weeks", "my wife is very ill", "she's ill", "im ill and cant work",
    "I'm sick", "my kid is sick", "my mother died last month", "my husband just died",
])
def test_guard_UK_07_illness_and_bereavement_still_hold(text):
    assert _VULNERABLE.search(text)


@pytest.mark.parametrize("text", [
    "dead battery, will pay tomorrow",
    "can you kill the autopay",
    "the payment terminal at the store was down",
])
def test_guard_UK_07_everyday_words_are_no_vulnerability(text):
    assert not _VULNERABLE.search(text) and not _SELF_HARM.search(text)
    st, acts, it = talk(facts(), text)
    assert not holds(acts), (it, acts)


def test_guard_UK_07_no_point_in_living_was_already_self_harm():
    assert _SELF_HARM.search("i see no point in living")


def test_guard_US_06_plain_stop_has_no_vulnerability_hold():
    st, acts, it = talk(facts(), "stop texting me")
    assert of(acts, OptOut) and not holds(acts) and not of(acts, Handoff)


# --- end to end: real uvicorn, a signed webhook, the database and the JSON API -----------

E2E_ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""


def test_UK_07_US_06_e2e_stop_with_self_harm_opts_out_holds_and_opens_a_priority_1_handoff(db_url):
    from sqlalchemy import select

    from storage.models import Account, Handoff as HandoffRow, Hold
    from tests.live import Duly, replies_in

    with Duly(db_url) as duly:
        assert duly.import_accounts(E2E_ACCOUNTS).errors == []
        r = duly.sms("stop texting me or i'll kill myself", frm="+15555550101")
        assert r.status_code == 200, r.text
        replies = replies_in(r.text)
        assert len(replies) <= 1 and all("$" not in b and "http" not in b for b in replies)  # US-08
        conv = duly.conversation("+15555550101")
        assert conv["opted_out"] is True                                   # US-06 honoured
        assert "vulnerability" in conv["flags"] and conv["mode"] == "agent"
        with duly.services.sessions() as s:
            acct_id = s.scalar(select(Account.id).where(Account.account_ref == "ACME-4417"))
            holds = s.scalars(select(Hold).where(Hold.kind == "vulnerability", Hold.cleared_at.is_(None))).all()
            assert [h.account_id for h in holds] == [acct_id] and holds[0].rule == "UK-07"
            open_ = s.scalars(select(HandoffRow).where(HandoffRow.resolved_at.is_(None))).all()
            assert [(h.priority, h.reason) for h in open_] == [(1, "self_harm")]   # its own reason (UK-07)
        # US-05: nothing automated after the opt-out, even a payment request
        assert replies_in(duly.sms("pay", frm="+15555550101").text) == []


def test_UK_07_self_harm_raises_the_open_handoff_to_priority_1(db_url):
    """A conversation already waiting for an agent (a dispute: priority 2, a 60-minute SLA)
    whose customer then texts self-harm words: the open hand-off is raised to priority 1
    and its SLA brought forward to the self-harm one, 5 minutes (UK-07: immediate
    escalation; config.toml ``[agent] sla_minutes.self_harm``, the shortest) — not left at
    priority 2 because one was already open; its reason says self-harm."""
    import datetime as dt

    from sqlalchemy import select

    from storage.models import Handoff as HandoffRow
    from tests.live import Duly

    with Duly(db_url) as duly:
        assert duly.import_accounts(E2E_ACCOUNTS).errors == []
        assert duly.sms("I dispute this debt", frm="+15555550101").status_code == 200
        with duly.services.sessions() as s:
            [before] = s.scalars(select(HandoffRow).where(HandoffRow.resolved_at.is_(None))).all()
            assert before.priority == 2
            due_before = before.sla_due_at
        duly.clock.advance(minutes=1)
        assert duly.sms("honestly i just want to kill myself", frm="+15555550101").status_code == 200
        with duly.services.sessions() as s:
            open_ = s.scalars(select(HandoffRow).where(HandoffRow.resolved_at.is_(None))).all()
            assert [(h.id, h.priority) for h in open_] == [(before.id, 1)]
            due = open_[0].sla_due_at
            assert due_before - duly.clock() > dt.timedelta(minutes=58)    # the dispute's 60
            assert due == duly.clock() + dt.timedelta(minutes=5)           # self_harm's 5, from now
            assert open_[0].reason == "self_harm"
