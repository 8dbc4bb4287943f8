"""Initiated collection texts stay silent while a person has the customer (G-01) and
while a promise to pay is in force (G-02) — whoever queued them and whenever.

The trial's bug: a cadence step queued the evening before (deferred by the quiet hours to
08:00) went out after the customer asked for a person, said they were struggling or made
a promise to pay: the gate's G-01 check only silenced the *bot's* texts in agent mode
(cadence notices and reminders are sender ``system``) and nothing at all looked at
promises. Pure core first, then the planner, then the whole path over HTTP and the worker.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.gate import INITIATED_KINDS, Candidate, GateContext, decide, promise_in_force

T0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc)     # queued (22:00 New York)
T1 = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.timezone.utc)    # the customer's text
NOTICE = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=True, queued_at=T0)
REMINDER = Candidate("reminder", sender="system", in_reply_to_inbound=False, approved=True, queued_at=T0)
OK = GateContext(consent=True)


# --- pure core: bot.gate ----------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(INITIATED_KINDS))
@pytest.mark.parametrize("sender", ["system", "bot"])
def test_G_01_no_initiated_collection_text_while_an_agent_owns_the_conversation(kind, sender):
    v = decide(Candidate(kind, sender=sender, in_reply_to_inbound=False, approved=True), GateContext(
        consent=True, mode="agent"))
    assert (v.action, v.rule) == ("refuse", "G-01")


@pytest.mark.parametrize("kind", sorted(INITIATED_KINDS))
def test_G_01_an_open_unclaimed_handoff_silences_initiated_texts(kind):
    v = decide(Candidate(kind, sender="system", in_reply_to_inbound=False, approved=True),
               GateContext(consent=True, handoff_open=True))
    assert (v.action, v.rule) == ("refuse", "G-01")
    assert "hand-off" in v.reason


def test_G_01_a_handoff_started_after_the_text_was_queued_refuses_it_even_when_resolved():
    """Refuse, not defer: a text written before a person talked to the customer must not
    go out later as if nothing happened (the agent may have agreed something else)."""
    v = decide(NOTICE, GateContext(consent=True, handoff_at=T1))
    assert (v.action, v.rule) == ("refuse", "G-01")
    # a hand-off that ended before the text was queued does not silence it
    assert decide(NOTICE, GateContext(consent=True, handoff_at=T0 - dt.timedelta(days=3))).action == "send"


def test_G_01_what_a_handoff_still_lets_through():
    ctx = GateContext(consent=True, handoff_open=True)
    assert decide(Candidate("handoff_notice", sender="system"), ctx).action == "send"
    assert decide(Candidate("agent", sender="agent", in_reply_to_inbound=False, approved=True), ctx).action == "send"
    assert decide(Candidate("optout_confirmation"), ctx).action == "send"


def test_G_02_cadence_dunning_suppressed_while_a_promise_is_in_force():
    ctx = GateContext(consent=True, promise_until=dt.date(2026, 12, 11))
    v = decide(NOTICE, ctx)
    assert (v.action, v.rule) == ("refuse", "G-02")
    assert "2026-12-11" in v.reason
    # the promise's own reminder (the product's, before the date) still goes
    assert decide(REMINDER, ctx).action == "send"
    # a reply to the customer is not dunning
    assert decide(Candidate("notice"), ctx).action == "send"


def test_G_02_a_promise_made_after_the_text_was_queued_refuses_it():
    v = decide(NOTICE, GateContext(consent=True, promise_at=T1))
    assert (v.action, v.rule) == ("refuse", "G-02")
    assert decide(NOTICE, GateContext(consent=True, promise_at=T0 - dt.timedelta(days=9))).action == "send"


def test_G_02_promise_in_force_until_its_date_plus_grace():
    due = dt.date(2026, 12, 11)
    assert promise_in_force(due, 0, dt.date(2026, 12, 11)) == due
    assert promise_in_force(due, 0, dt.date(2026, 12, 12)) is None          # broken from the day after
    assert promise_in_force(due, 2, dt.date(2026, 12, 13)) == dt.date(2026, 12, 13)
    assert promise_in_force(due, 2, dt.date(2026, 12, 14)) is None
    assert promise_in_force(None, 0, dt.date(2026, 12, 1)) is None


def test_G_03_the_checks_name_the_new_rules():
    v = decide(NOTICE, OK)
    rules = [r for r, _ in v.checks]
    assert rules.index("G-01") < rules.index("G-02") < rules.index("gate:undeliverable")


# --- the gate context from the database --------------------------------------------------

def _customer(s, *, phone="+15555550101", dpd=10):
    from storage.models import Account, Consent, Conversation, Phone

    today = dt.date(2026, 11, 30)
    a = Account(account_ref=f"S-{phone[-4:]}", name="Dana", currency="USD", balance_minor=30000,
                past_due_minor=16000, delinquent_since=today - dt.timedelta(days=dpd),
                timezone="America/New_York", profile="us_first_party", language="en")
    s.add(a)
    s.flush()
    s.add(Phone(e164=phone, account_id=a.id))
    s.add(Consent(phone=phone, account_id=a.id, source="t", consented_at=T0 - dt.timedelta(days=99)))
    conv = Conversation(customer_phone=phone, our_number="+15555550100", mode="bot", slots={}, version=1,
                        account_id=a.id)
    s.add(conv)
    s.flush()
    return a, conv


def test_context_reads_open_handoffs_and_promises(session_factory):
    from runner import outbound
    from storage.models import Handoff, Promise

    noon = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.timezone.utc)      # 12:00 New York
    with session_factory() as s, s.begin():
        a, conv = _customer(s)
        ctx, _ = outbound.resolve(s, conv, noon, account_id=a.id)
        assert (ctx.handoff_open, ctx.handoff_at, ctx.promise_until, ctx.promise_at) == (False, None, None, None)
        s.add(Handoff(conversation_id=conv.id, reason="agent_request", priority=2, created_at=T1))
        s.add(Promise(account_id=a.id, conversation_id=conv.id, amount_minor=5000, currency="USD",
                      due_date=dt.date(2026, 12, 4), status="pending", created_at=T1, updated_at=T1))
        s.flush()
        ctx, _ = outbound.resolve(s, conv, noon, account_id=a.id)
        assert ctx.handoff_open and ctx.handoff_at == T1
        assert ctx.promise_until == dt.date(2026, 12, 4) and ctx.promise_at == T1
        # the day after the date (grace 0): broken, no longer in force
        later, _ = outbound.resolve(s, conv, dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.timezone.utc),
                                    account_id=a.id)
        assert later.promise_until is None
        graced, _ = outbound.resolve(s, conv, dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.timezone.utc),
                                     account_id=a.id, behaviour={**outbound._file_behaviour(),
                                                                 "reminders": {"grace_days": 1}})
        assert graced.promise_until == dt.date(2026, 12, 5)


# --- planning agrees ------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["agent_mode", "open_handoff", "claimed_handoff"])
def test_planning_holds_accounts_a_person_has_G_01(session_factory, state):
    from tests.test_campaign import NOW, SETTINGS, add, seed, sends
    from runner.campaign import plan
    from storage.models import Conversation, Handoff, Message

    seed(session_factory)
    with session_factory() as s, s.begin():
        a = add(s, "HO", 7, phone="+15555550999")
        add(s, "OK", 7)
        conv = Conversation(customer_phone="+15555550999", our_number="+15555550100", slots={}, version=1,
                            mode="agent" if state == "agent_mode" else "bot")
        s.add(conv)
        s.flush()
        if state != "agent_mode":
            s.add(Handoff(conversation_id=conv.id, reason="hardship", priority=2, created_at=NOW,
                          assigned_to="agent@x" if state == "claimed_handoff" else None))
    dry = plan(session_factory, SETTINGS, NOW, dry_run=True)
    assert [(i.status, i.rule) for i in dry.items if i.account_ref == "HO"] == [("held", "G-01")]
    report = plan(session_factory, SETTINGS, NOW)
    assert sends(session_factory) == {("HO", "dpd7"): ("held", "G-01"), ("OK", "dpd7"): ("queued", None)}
    assert report.held == {"G-01": 1}
    with session_factory() as s:   # held by eligibility: no message made
        assert s.scalar(select(Message.id).where(Message.account_id == a.id)) is None


def test_planning_resumes_after_the_handoff_is_resolved(session_factory):
    from tests.test_campaign import NOW, SETTINGS, add, seed, sends
    from runner.campaign import plan
    from storage.models import Conversation, Handoff

    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "HO", 7, phone="+15555550999")
        conv = Conversation(customer_phone="+15555550999", our_number="+15555550100", slots={}, version=1,
                            mode="bot")
        s.add(conv)
        s.flush()
        s.add(Handoff(conversation_id=conv.id, reason="agent_request", priority=2, created_at=NOW,
                      resolved_at=NOW))
    plan(session_factory, SETTINGS, NOW)
    assert sends(session_factory) == {("HO", "dpd7"): ("queued", None)}


# --- end to end: the trial's repro over HTTP and `duly worker --once --now` ------------------

SAM = "+15555550102"
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,due_date,timezone,creditor,consent_source,consent_at
SIL-1,Sam Ortega,+1 555 555 0102,480.00,35,160.00,USD,2026-12-10,America/Chicago,Northwind Card Services,card application,2024-06-11T12:00:00Z
"""


@pytest.mark.parametrize("case", ["talk_to_a_person", "handed_back_before_8", "struggling", "promise"])
def test_queued_cadence_text_never_follows_a_handoff_or_promise_e2e(db_url, case):
    """Queued at 21:30 Chicago (deferred to 08:00 by US-01); the customer texts at 22:00;
    `duly worker --once --now 09:00` must not send the dunning text."""
    from runner import campaign
    from storage.models import CadenceSend, Decision, Message
    from tests.live import Clock, Duly, replies_in
    from tests.test_cycle_e2e import duly_cli

    queued_at = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.timezone.utc)       # 21:30 Chicago
    with Duly(db_url, clock=Clock(queued_at + dt.timedelta(minutes=30))) as d:
        assert d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30)).errors == []
        r = duly_cli(db_url, "campaign", "run", "--now", queued_at.isoformat())
        assert r.returncode == 0 and "SIL-1" in r.stdout, r.stdout + r.stderr
        with d.services.sessions() as s:
            (notice,) = s.scalars(select(Message).where(Message.kind == "notice")).all()
            assert notice.status == "deferred"          # waits for 08:00 (US-01)

        if case in ("talk_to_a_person", "handed_back_before_8"):
            assert replies_in(d.sms("talk to a person", frm=SAM).text)
            rule = "G-01"
        elif case == "struggling":
            d.sms("I lost my job and I'm struggling to pay", frm=SAM)
            rule = "G-01"
        else:
            confirm = replies_in(d.sms("I can pay 50 on friday", frm=SAM).text)
            assert confirm and "$50.00" in confirm[0], confirm
            replies_in(d.sms("yes", frm=SAM).text)
            assert [p["status"] for p in d.conversation(SAM)["promises"]] == ["pending"]
            rule = "G-02"
        if case != "promise":
            assert d.conversation(SAM)["mode"] == "agent"
        if case == "handed_back_before_8":
            d.clock.now = dt.datetime(2026, 12, 1, 13, 30, tzinfo=dt.timezone.utc)   # 07:30 Chicago
            r = duly_cli(db_url, "agent", "handback", SAM)
            assert r.returncode == 0, r.stderr
            assert d.conversation(SAM)["mode"] == "bot"

        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:00:00Z")   # 09:00 Chicago
        assert w.returncode == 0, w.stderr
        assert "past due" not in w.stdout, w.stdout
        with d.services.sessions() as s:
            m = s.get(Message, notice.id)
            assert m.status == "refused"
            last = s.scalar(select(Decision).where(Decision.message_id == m.id)
                            .order_by(Decision.id.desc()).limit(1))
            assert (last.rule, last.verdict, last.detail["stage"]) == (rule, "refuse", "dispatch")
            # the cadence step stays recorded for this episode: it is not queued again
            assert s.scalar(select(CadenceSend.status).where(CadenceSend.message_id == m.id)) == "queued"
        again = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T16:00:00Z")
        assert "past due" not in again.stdout, again.stdout
        assert campaign  # imported for the planner's docs
