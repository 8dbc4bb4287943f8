"""The outbound gate at the database edge (runner/outbound.py) on SQLite and PostgreSQL:
gate_context's set-based counts, submit() and redecide() at dispatch."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from duly.config import load_behaviour
from runner import outbound
from storage.models import (Account, Consent, ContactWindow, Conversation, Decision, Message, OptOut,
                            Phone, SenderPause)

UTC = dt.timezone.utc
NY, LA = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
PHONE = "+12125550123"          # area code 212: America/New_York
OURS = "+15555550100"
BEHAVIOUR = load_behaviour()[0]


def at(zone, *a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=zone).astimezone(UTC)


def _setup(s, *, state="CA", tz="America/Los_Angeles", profile="us_first_party", consent=True,
           phone=PHONE, ref="A-1"):
    acct = Account(account_ref=ref, name="Ann", currency="USD", balance_minor=50000, past_due_minor=12000,
                   timezone=tz, state=state, profile=profile, delinquent_since=dt.date(2026, 11, 1))
    s.add(acct)
    s.flush()
    s.add(Phone(e164=phone, account_id=acct.id))
    conv = s.scalar(select(Conversation).where(Conversation.customer_phone == phone))
    if conv is None:
        conv = Conversation(customer_phone=phone, our_number=OURS, account_id=acct.id)
        s.add(conv)
    if consent:
        s.add(Consent(phone=phone, account_id=acct.id, source="application form",
                      consented_at=dt.datetime(2026, 1, 1, tzinfo=UTC)))
    s.flush()
    return acct, conv


def _out(conv, acct, when, *, kind="notice", status="sent", reply_to=None, account=True):
    return Message(conversation_id=conv.id, direction="outbound", from_number=OURS, to_number=conv.customer_phone,
                   body="x", status=status, kind=kind, sender="system", created_at=when, updated_at=when,
                   sent_at=when if status not in ("pending", "deferred", "refused") else None,
                   in_reply_to_id=reply_to, account_id=acct.id if account else None, media=[], num_media=0)


STOP = " Reply STOP to stop texts."


def test_US_02_context_has_phone_account_and_address_zones(session):
    acct, conv = _setup(session)
    ctx = outbound.gate_context(session, conv, at(NY, 2026, 11, 30, 12, 0), behaviour=BEHAVIOUR)
    assert set(ctx.zones) == {"America/New_York", "America/Los_Angeles"}
    assert ctx.consent and ctx.profile == "us_first_party" and ctx.window == ((480, 1260),)


def test_US_20_counts_only_initiated_messages_sent_for_this_debt(session):
    acct, conv = _setup(session)
    other, _ = _setup(session, ref="A-2")
    now = at(NY, 2026, 11, 30, 12, 0)
    inbound = Message(conversation_id=conv.id, direction="inbound", from_number=PHONE, to_number=OURS, body="hi",
                      status="received", created_at=now - dt.timedelta(days=1), updated_at=now, media=[], num_media=0)
    session.add(inbound)
    session.flush()
    session.add_all([
        _out(conv, acct, now - dt.timedelta(hours=3)),                       # counted
        _out(conv, acct, now - dt.timedelta(days=3), status="delivered"),    # counted
        _out(conv, acct, now - dt.timedelta(days=8)),                        # too old
        _out(conv, acct, now - dt.timedelta(hours=2), status="refused"),     # never went
        _out(conv, acct, now - dt.timedelta(hours=2), status="deferred"),    # not yet
        _out(conv, acct, now - dt.timedelta(hours=1), kind="reply", reply_to=inbound.id),  # a reply
        _out(conv, acct, now - dt.timedelta(hours=1), kind="optout_confirmation"),
        _out(conv, other, now - dt.timedelta(hours=1)),                      # another debt
    ])
    session.flush()
    ctx = outbound.gate_context(session, conv, now, account_id=acct.id, behaviour=BEHAVIOUR)
    assert sorted(ctx.recent_initiated) == [now - dt.timedelta(days=3), now - dt.timedelta(hours=3)]
    assert [c.rule for c in ctx.caps] == ["US-20", "US-20"]


def test_gate_context_is_set_based(session):
    """A fixed number of statements whatever the number of accounts on the phone."""
    counts = []
    for n in (1, 6):
        for i in range(n):
            acct, conv = _setup(session, ref=f"N{n}-{i}", phone=f"+1212555{n:02d}{i:02d}")
        stmts = []

        def count(*_a, **_k):
            stmts.append(1)

        event.listen(session.get_bind(), "before_cursor_execute", count)
        try:
            outbound.gate_context(session, conv, at(NY, 2026, 11, 30, 12), behaviour=BEHAVIOUR)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", count)
        counts.append(len(stmts))
    # accounts, the per-phone probes (one statement), holds, counted messages
    assert counts[0] == counts[1] and counts[0] <= 4


def test_ST_01_massachusetts_address_adds_the_state_cap(session):
    acct, conv = _setup(session, state="MA", tz="America/New_York")
    ctx = outbound.gate_context(session, conv, at(NY, 2026, 11, 30, 12), behaviour=BEHAVIOUR)
    assert ("ST-01", 2, 7.0) in [(c.rule, c.count, c.days) for c in ctx.caps]


def test_ST_01_mon_wed_then_friday_deferred_to_monday(session):
    acct, conv = _setup(session, state="MA", tz="America/New_York", profile="us_ma", phone="+16175550123")
    mon, wed = at(NY, 2026, 11, 30, 10), at(NY, 2026, 12, 2, 10)
    session.add_all([_out(conv, acct, mon), _out(conv, acct, wed)])
    session.flush()
    res = outbound.submit(session, conv, "Your payment is overdue." + STOP, kind="notice", sender="system",
                          now=at(NY, 2026, 12, 4, 10), transport="console", account_id=acct.id, approved=True,
                          behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule) == ("deferred", "ST-01")
    assert res.verdict.until == mon + dt.timedelta(days=7)
    d = session.scalar(select(Decision).where(Decision.message_id == res.message_id))
    assert d.detail["profile"] == "us_ma" and d.rule == "ST-01"


def test_US_10_initiated_message_to_a_number_without_consent_refused(session):
    acct, conv = _setup(session, consent=False)
    res = outbound.submit(session, conv, "Your payment is overdue." + STOP, kind="notice", sender="system",
                          now=at(NY, 2026, 11, 30, 12), transport="console", approved=True, behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule) == ("refused", "US-10")
    row = session.get(Message, res.message_id)
    assert row.status == "refused" and row.account_id == acct.id


def test_US_04_unapproved_system_text_is_linted(session):
    acct, conv = _setup(session)
    res = outbound.submit(session, conv, "Your payment is overdue.", kind="notice", sender="system",
                          now=at(NY, 2026, 11, 30, 12), transport="console", behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule) == ("refused", "US-04")


def test_US_01_deferred_at_submit_then_sent_at_dispatch_with_the_decision_logged(session):
    acct, conv = _setup(session)
    res = outbound.submit(session, conv, "Your payment is overdue." + STOP, kind="notice", sender="system",
                          now=at(LA, 2026, 11, 30, 7, 0), transport="rest", approved=True, template="dpd_1",
                          behaviour=BEHAVIOUR)
    # 212 number + CA address: 11:00 ET = 08:00 PT
    assert res.status == "deferred" and res.verdict.until == at(NY, 2026, 11, 30, 11, 0)
    msg = session.get(Message, res.message_id)
    assert msg.not_before == res.verdict.until
    early = outbound.redecide(session, msg, at(NY, 2026, 11, 30, 10, 59), behaviour=BEHAVIOUR)
    assert early.action == "defer" and msg.status == "deferred"
    v = outbound.redecide(session, msg, at(NY, 2026, 11, 30, 11, 0), behaviour=BEHAVIOUR)
    assert v.action == "send" and msg.status == "pending" and msg.not_before is None
    assert v.validity_seconds == 36000  # 10 hours left, Twilio's maximum
    rows = session.scalars(select(Decision).where(Decision.message_id == msg.id).order_by(Decision.id)).all()
    assert [r.verdict for r in rows] == ["defer", "defer", "send"]
    last = rows[-1].detail
    assert last["stage"] == "dispatch" and last["template"] == "dpd_1" and last["approved"] is True
    assert last["local_time"].startswith("2026-11-30T08:00:00-08:00")
    assert last["profile"] == "us_first_party" and ["US-02", "pass: zones America/New_York,America/Los_Angeles"] \
        in last["checks"]


def test_US_05_opt_out_between_scheduling_and_dispatch_refuses_at_dispatch(session):
    acct, conv = _setup(session)
    res = outbound.submit(session, conv, "Reminder." + STOP, kind="reminder", sender="system",
                          now=at(NY, 2026, 11, 30, 12), transport="rest", approved=True, behaviour=BEHAVIOUR)
    assert res.status == "pending"
    session.add(OptOut(phone=PHONE, channel="sms", source="inbound", created_at=at(NY, 2026, 11, 30, 12, 1)))
    session.flush()
    msg = session.get(Message, res.message_id)
    v = outbound.redecide(session, msg, at(NY, 2026, 11, 30, 12, 2), behaviour=BEHAVIOUR)
    assert (v.action, v.rule, msg.status) == ("refuse", "US-05", "refused")


def test_US_20_redecide_does_not_count_the_message_itself(session):
    acct, conv = _setup(session)
    res = outbound.submit(session, conv, "Reminder." + STOP, kind="reminder", sender="system",
                          now=at(NY, 2026, 11, 30, 12), transport="rest", approved=True, behaviour=BEHAVIOUR)
    msg = session.get(Message, res.message_id)
    assert outbound.redecide(session, msg, at(NY, 2026, 11, 30, 12, 1), behaviour=BEHAVIOUR).action == "send"
    # ...but a second initiated message the same day waits a day
    res2 = outbound.submit(session, conv, "Another." + STOP, kind="followup", sender="system",
                           now=at(NY, 2026, 11, 30, 13), transport="rest", approved=True, behaviour=BEHAVIOUR)
    assert (res2.status, res2.verdict.rule) == ("deferred", "US-20")


def test_redecide_refuses_other_statuses(session):
    acct, conv = _setup(session)
    m = _out(conv, acct, at(NY, 2026, 11, 30, 12))
    session.add(m)
    session.flush()
    with pytest.raises(ValueError):
        outbound.redecide(session, m, at(NY, 2026, 11, 30, 12), behaviour=BEHAVIOUR)


def test_sender_paused_and_undeliverable(session):
    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 12)
    session.add(SenderPause(sender=OURS, reason="30034", paused_until=now + dt.timedelta(hours=2)))
    session.flush()
    res = outbound.submit(session, conv, "Reminder." + STOP, kind="reminder", sender="system", now=now,
                          transport="rest", approved=True, behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule, res.verdict.until) == ("deferred", "gate:sender_paused",
                                                                 now + dt.timedelta(hours=2))
    phone = session.scalar(select(Phone).where(Phone.e164 == PHONE))
    phone.undeliverable_at, phone.undeliverable_code = now, "30003"
    session.flush()
    res = outbound.submit(session, conv, "Reminder." + STOP, kind="reminder", sender="system", now=now,
                          transport="rest", approved=True, behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule) == ("refused", "gate:undeliverable")


def test_US_03_contact_window_narrows_the_hours(session):
    acct, conv = _setup(session, state="NY", tz="America/New_York")
    session.add(ContactWindow(phone=PHONE, start_minute=14 * 60, end_minute=21 * 60))
    session.flush()
    res = outbound.submit(session, conv, "Reminder." + STOP, kind="reminder", sender="system",
                          now=at(NY, 2026, 11, 30, 12), transport="rest", approved=True, behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule, res.verdict.until) == ("deferred", "US-03", at(NY, 2026, 11, 30, 14))


def test_reply_via_api_sends_replies_through_the_transport(session):
    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 23)   # a reply may go at once, even at 23:00
    inbound = Message(conversation_id=conv.id, direction="inbound", from_number=PHONE, to_number=OURS, body="hi",
                      status="received", created_at=now, updated_at=now, media=[], num_media=0)
    session.add(inbound)
    session.flush()
    r1 = outbound.submit(session, conv, "Hello", kind="reply", sender="bot", now=now, transport="rest",
                         in_reply_to=inbound, behaviour=BEHAVIOUR)
    assert r1.status == "pending" and session.get(Message, r1.message_id).transport == "twiml"
    r2 = outbound.submit(session, conv, "Hello", kind="reply", sender="bot", now=now, transport="rest",
                         in_reply_to=inbound, behaviour={**BEHAVIOUR, "reply_via": "api"})
    assert r2.status == "pending" and session.get(Message, r2.message_id).transport == "rest"


def test_ST_01_massachusetts_accounts_resolve_to_the_us_ma_profile():
    from storage.accounts import resolve_profile

    profiles = BEHAVIOUR["profiles"]
    assert resolve_profile(BEHAVIOUR["default_profile"], profiles, state="MA") == "us_ma"
    assert ("ST-01", 2, 7) in [(c["rule"], c["count"], c["days"]) for c in profiles["us_ma"]["caps"]]


def test_US_08_redecided_confirmation_does_not_count_itself(session):
    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 23)
    inbound = Message(conversation_id=conv.id, direction="inbound", from_number=PHONE, to_number=OURS, body="STOP",
                      status="received", created_at=now, updated_at=now, media=[], num_media=0)
    session.add(inbound)
    session.add(OptOut(phone=PHONE, channel="sms", source="inbound", created_at=now))
    session.flush()
    res = outbound.submit(session, conv, "You're unsubscribed.", kind="optout_confirmation", sender="bot", now=now,
                          transport="rest", in_reply_to=inbound, behaviour=BEHAVIOUR)
    assert res.status == "pending"
    msg = session.get(Message, res.message_id)
    assert outbound.redecide(session, msg, now + dt.timedelta(seconds=5), behaviour=BEHAVIOUR).action == "send"
    # a second confirmation is refused (US-08: one only)
    res2 = outbound.submit(session, conv, "You're unsubscribed.", kind="optout_confirmation", sender="bot",
                           now=now + dt.timedelta(seconds=6), transport="rest", in_reply_to=inbound,
                           behaviour=BEHAVIOUR)
    assert (res2.status, res2.verdict.rule) == ("refused", "US-08")


def _pending_notice(session, conv, acct, now):
    msg = _out(conv, acct, now, status="pending")
    session.add(msg)
    session.flush()
    session.add(Decision(conversation_id=conv.id, message_id=msg.id, rule="gate:pass", verdict="send",
                         actor="gate", created_at=now, detail={"approved": True, "stage": "submit"}))
    session.flush()
    return msg


def test_US_20_cap_ledger_reserves_at_dispatch(session):
    """The worker's ledger (runner/caps.py): a notice the gate lets go is reserved in its
    debt's ledger, with the database's counted rows merged in."""
    from runner.caps import MemoryCapLedger, ledger_key

    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 12)
    earlier = _out(conv, acct, now - dt.timedelta(days=2))
    session.add(earlier)
    session.flush()
    msg = _pending_notice(session, conv, acct, now)
    ledger = MemoryCapLedger()
    verdict = outbound.redecide(session, msg, now, behaviour=BEHAVIOUR, ledger=ledger)
    assert verdict.action == "send" and msg.status == "pending"
    assert ledger._sets[ledger_key(acct.id, PHONE)] == {str(earlier.id): (now - dt.timedelta(days=2)).timestamp(),
                                                        str(msg.id): now.timestamp()}


def test_US_20_another_workers_reservation_defers_the_notice(session):
    """Two workers, two notices about one debt at once: each database count misses the
    other's uncommitted row; the ledger does not (US-20: at most 1 per day)."""
    from runner.caps import MemoryCapLedger, ledger_key

    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 12)
    msg = _pending_notice(session, conv, acct, now)
    ledger = MemoryCapLedger()
    # the other worker's notice for the same debt, reserved a second ago, not committed yet
    assert ledger.reserve(ledger_key(acct.id, PHONE), "other", now.timestamp() - 1, [],
                          [(1, 86400.0), (3, 7 * 86400.0)]).ok
    verdict = outbound.redecide(session, msg, now, behaviour=BEHAVIOUR, ledger=ledger)
    assert (verdict.action, verdict.rule) == ("defer", "US-20")
    assert msg.status == "deferred" and msg.not_before == now - dt.timedelta(seconds=1) + dt.timedelta(days=1)
    d = session.scalars(select(Decision).where(Decision.message_id == msg.id).order_by(Decision.id)).all()[-1]
    assert (d.verdict, d.rule, d.detail["stage"]) == ("defer", "US-20", "dispatch")


def test_unreachable_ledger_leaves_the_database_count_to_decide(session):
    from runner.caps import RedisCapLedger
    from storage.kv import _redis_client

    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 12)
    msg = _pending_notice(session, conv, acct, now)
    verdict = outbound.redecide(session, msg, now, behaviour=BEHAVIOUR,
                                ledger=RedisCapLedger(_redis_client("redis://127.0.0.1:1/0")))
    assert verdict.action == "send"


def test_G_01_an_agent_on_another_of_our_numbers_puts_the_context_in_agent_mode(session):
    """G-01: the bot is silent once an agent has the customer — on any of our numbers.
    The gate context of a bot conversation is in agent mode while another conversation
    with the same customer is; another customer's agent conversation changes nothing."""
    acct, conv = _setup(session)
    now = at(NY, 2026, 11, 30, 12, 0)
    assert outbound.gate_context(session, conv, now, behaviour=BEHAVIOUR).mode == "bot"
    other = Conversation(customer_phone="+12125550999", our_number="+15555550177", mode="agent")
    session.add(other)
    session.flush()
    assert outbound.gate_context(session, conv, now, behaviour=BEHAVIOUR).mode == "bot"
    elsewhere = Conversation(customer_phone=PHONE, our_number="+15555550177", mode="agent")
    session.add(elsewhere)
    session.flush()
    assert conv.mode == "bot"
    assert outbound.gate_context(session, conv, now, behaviour=BEHAVIOUR).mode == "agent"
    # the bot's own text on this number is refused (G-01)
    res = outbound.submit(session, conv, "Your payment is overdue." + STOP, kind="followup", sender="bot",
                          now=now, transport="console", account_id=acct.id, approved=True, behaviour=BEHAVIOUR)
    assert (res.status, res.verdict.rule) == ("refused", "G-01")
