"""When a text is sent and whether it is still a reply (attack 1207e findings 1, 4, 8, 11).

- US-01 (12 CFR 1006.6(b)(1)(i)): the time that counts is when a text is *sent*; the
  worker decides each claim at its own moment and the last look re-decides the hours at
  the send moment (deferred, never dropped); the ValidityPeriod counts from the send.
- The replies ruling (12 CFR 1006.6(b)(1) comment 6(b)(1)-2): a reply answers the
  customer's message "once, at that time": a reply still waiting past
  ``[outbound] reply_stale_minutes`` is refused as stale (``gate:stale_reply``); only
  the first agent text within ``[agent] reply_window_minutes`` of her message is a reply.
- US-05/G-01/G-02: an agent's own text that answers nothing is a text Duly starts: stale
  after a later hand-off or promise, refused while it waits at an opt-out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.gate import AGENT_KIND, Candidate, GateContext, decide, started_text
from storage.models import Account, Consent, Conversation, Decision, Message, Phone

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


# --- pure: the gate ------------------------------------------------------------------------

def test_a_reply_waiting_past_the_stale_bound_is_refused_and_one_within_it_goes():
    ctx = GateContext(now=T0 + dt.timedelta(minutes=31), reply_stale_seconds=1800)
    v = decide(Candidate("reply", queued_at=T0), ctx)
    assert (v.action, v.rule) == ("refuse", "gate:stale_reply")
    ctx = GateContext(now=T0 + dt.timedelta(minutes=29), reply_stale_seconds=1800)
    v = decide(Candidate("reply", queued_at=T0), ctx)
    assert v.action == "send" and ("gate:stale_reply", "pass") in v.checks


def test_a_profile_whose_replies_follow_the_hours_lets_a_late_reply_go_in_the_window():
    ctx = GateContext(now=T0 + dt.timedelta(hours=12), reply_stale_seconds=1800, replies_follow_hours=True)
    assert decide(Candidate("reply", queued_at=T0), ctx).action == "send"


def test_no_stale_bound_or_no_queue_time_leaves_replies_alone():
    late = T0 + dt.timedelta(days=1)
    assert decide(Candidate("reply", queued_at=T0), GateContext(now=late)).action == "send"
    # at creation (submit) there is no queue time: a fresh reply is never stale
    assert decide(Candidate("reply"), GateContext(now=late, reply_stale_seconds=1800)).action == "send"


def test_a_stale_bound_does_not_touch_texts_duly_starts():
    ctx = GateContext(now=T0 + dt.timedelta(hours=5), reply_stale_seconds=1800, consent=True)
    v = decide(Candidate("reminder", sender="system", in_reply_to_inbound=False, approved=True,
                         queued_at=T0), ctx)
    assert v.action == "send"


def _agent_text(in_reply: bool = False) -> Candidate:
    return Candidate(AGENT_KIND, sender="agent", in_reply_to_inbound=in_reply, queued_at=T0)


def test_started_text_covers_the_cadence_and_an_agents_own_text_not_her_reply():
    assert started_text("notice", True) and started_text("reminder", True)
    assert started_text(AGENT_KIND, True)
    assert not started_text(AGENT_KIND, False)
    assert not started_text("reply", True)


def test_an_agents_own_text_is_stale_after_a_later_hand_off_but_goes_while_she_has_the_customer():
    base = dict(now=T0 + dt.timedelta(hours=1), consent=True, mode="agent", handoff_open=True)
    later = GateContext(**base, handoff_at=T0 + dt.timedelta(minutes=30))
    assert (decide(_agent_text(), later).action, decide(_agent_text(), later).rule) == ("refuse", "G-01")
    # her own take-over at the same instant, or one before, is not "after"
    for at in (T0, T0 - dt.timedelta(minutes=5)):
        assert decide(_agent_text(), GateContext(**base, handoff_at=at)).action == "send"
    # her reply to the customer's message is not a text Duly starts
    assert decide(_agent_text(in_reply=True), later).action == "send"


def test_an_agents_own_text_queued_before_a_promise_is_refused_but_not_one_written_after():
    promised = T0 + dt.timedelta(minutes=30)
    ctx = GateContext(now=T0 + dt.timedelta(hours=11), consent=True, promise_at=promised,
                      promise_until=dt.date(2026, 12, 4))
    v = decide(_agent_text(), ctx)
    assert (v.action, v.rule) == ("refuse", "G-02")
    # written after the promise (she may talk about what she agreed): it goes
    after = Candidate(AGENT_KIND, sender="agent", in_reply_to_inbound=False,
                      queued_at=promised + dt.timedelta(minutes=1))
    assert decide(after, ctx).action == "send"
    assert decide(_agent_text(in_reply=True), ctx).action == "send"


# --- the worker: ValidityPeriod from the send, the hours at the send moment ----------------

def _one_deferred_notice(sessions, phone: str, queued: dt.datetime, not_before: dt.datetime) -> int:
    from tests.live import OUR_NUMBER

    with sessions() as s, s.begin():
        a = Account(account_ref=f"R-{phone[-4:]}", name="Pat Doe", currency="USD", balance_minor=50000,
                    past_due_minor=10000, minimum_due_minor=2500, delinquent_since=dt.date(2026, 11, 24),
                    timezone="America/New_York", state="NY", country="US", profile="us_first_party",
                    language="en", created_at=queued, updated_at=queued)
        s.add(a)
        s.flush()
        s.add(Phone(e164=phone, account_id=a.id, created_at=queued))
        s.add(Consent(phone=phone, account_id=a.id, channel="sms", source="card application",
                      consented_at=dt.datetime(2024, 1, 1, tzinfo=UTC)))
        c = Conversation(customer_phone=phone, our_number=OUR_NUMBER, state="start", slots={}, mode="bot",
                         account_id=a.id, created_at=queued, updated_at=queued)
        s.add(c)
        s.flush()
        m = Message(conversation_id=c.id, direction="outbound", from_number=OUR_NUMBER, to_number=phone,
                    body="Hi Pat, your Northwind Card payment of $100.00 is past due. Reply STOP to opt out.",
                    status="deferred", kind="notice", sender="system", transport="rest", not_before=not_before,
                    media=[], num_media=0, account_id=a.id, attempts=0, created_at=queued, updated_at=queued)
        s.add(m)
        s.flush()
        s.add(Decision(conversation_id=c.id, message_id=m.id, account_id=a.id, rule="gate:pass", verdict="defer",
                       actor="gate", created_at=queued,
                       detail={"approved": True, "stage": "submit", "template": "dpd7"}))
        return m.id


class _SlowPacer:
    """Every send waits ``seconds`` on the business clock (a long queue ahead of it)."""

    def __init__(self, clock, seconds: float):
        self.clock, self.seconds = clock, seconds

    def wait(self, sender: str) -> None:
        self.clock.advance(seconds=self.seconds)


def test_validity_counts_from_the_send_and_a_send_past_21_00_is_deferred_to_08_00(db_url):
    """A row claimed at 20:50:00 New York leaves 5 minutes later with a ValidityPeriod of
    the 5 minutes left then (not the claim's 10); one whose send moment is 21:00:30 is
    deferred to 08:00 the next morning (US-01: deferred, not dropped), sent_at unset."""
    from runner.worker import Worker
    from storage import db as storage_db
    from tests.live import Clock, settings_for
    from tests.regressions.test_attack_1207e import _Twilio

    claim = dt.datetime(2026, 12, 2, 1, 50, tzinfo=UTC)          # Tue 1 Dec 20:50 EST
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    sessions = storage_db.make_sessionmaker(engine)
    try:
        _one_deferred_notice(sessions, "+12125550001", claim - dt.timedelta(hours=3),
                             claim - dt.timedelta(minutes=1))
        clock = Clock(claim)
        twilio = _Twilio(clock)
        w = Worker(settings_for(db_url), sessions, twilio, clock, None, pacer=_SlowPacer(clock, 300))
        w.run_once()   # (the pass's cadence planning may queue the account's own step: US-20 holds one)
        assert [(t, v) for t, _, v in twilio.sent] == [(claim + dt.timedelta(minutes=5), 300)]
        with sessions() as s:
            sent = s.scalars(select(Message.sent_at).where(Message.status == "sent")).all()
            assert sent == [claim + dt.timedelta(minutes=5)]

        _one_deferred_notice(sessions, "+12125550002", claim - dt.timedelta(hours=3),
                             claim - dt.timedelta(minutes=1))
        clock.now = claim + dt.timedelta(minutes=9)                # 20:59:00, 60 s left
        w2 = Worker(settings_for(db_url), sessions, twilio, clock, None, pacer=_SlowPacer(clock, 90))
        w2.run_once()
        assert len(twilio.sent) == 1, "nothing may leave at 21:00:30"
        at = claim + dt.timedelta(minutes=10, seconds=30)          # the send moment, 21:00:30
        with sessions() as s:
            mid = s.scalar(select(Decision.message_id).where(Decision.rule == "US-01",
                                                             Decision.created_at == at))
            assert mid is not None, "the last look re-decided the hours at the send moment"
            m = s.get(Message, mid)
            assert (m.status, m.sent_at, m.attempts) == ("deferred", None, 0)
            assert m.not_before == dt.datetime(2026, 12, 2, 13, 0, tzinfo=UTC)   # Wed 08:00 EST
    finally:
        engine.dispose()


# --- e2e: only the first agent text answers the customer's message ------------------------

def test_only_the_first_agent_text_within_the_window_is_a_reply(db_url):
    """Dana asks for a person at 20:50 New York; the agent answers at 20:55 (a reply: it
    goes whatever the hour, 12 CFR 1006.6(b)(1) comment 6(b)(1)-2) and writes again at
    21:05, still within ``[agent] reply_window_minutes`` (20) of her message: the second
    text is one Duly starts, deferred to 08:00 by US-01 — not a reply, not refused."""
    from tests.live import Clock, Duly, add_user, console_login
    from tests.test_console_http import ACCOUNTS, handoff

    clock = Clock(dt.datetime(2026, 12, 1, 1, 50, tzinfo=UTC))   # Mon 30 Nov 20:50 EST
    with Duly(db_url, clock=clock) as d:
        consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
            "us_first_party\n", "us_first_party,application form 2026-01-04\n")
        assert d.import_accounts(consented, today=dt.date(2026, 11, 30)).errors == []
        add_user(d, "agent@x.test")
        cid = handoff(d)
        c, csrf = console_login(d, "agent@x.test")
        c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
        clock.advance(minutes=5)                                   # 20:55
        c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": "Hi Dana, this is Sam. How can I help?"})
        clock.advance(minutes=10)                                  # 21:05
        c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf,
                                               "body": "Hi Dana, one more thing about your account. "
                                                       "Reply STOP to opt out."})
        with d.services.sessions() as s:
            rows = s.execute(select(Message.status, Message.in_reply_to_id, Message.not_before).where(
                Message.sender == "agent:agent@x.test").order_by(Message.id)).all()
        assert len(rows) == 2
        assert rows[0].in_reply_to_id is not None and rows[0].status not in ("refused", "deferred")
        assert rows[1].in_reply_to_id is None, "a second agent text is not the answer to her message"
        assert rows[1].status == "deferred"
        assert rows[1].not_before == dt.datetime(2026, 12, 1, 13, 0, tzinfo=UTC)   # Tue 08:00 EST
