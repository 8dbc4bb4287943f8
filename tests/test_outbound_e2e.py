"""The full outbound gate end to end: real uvicorn, signed webhooks, SQLite and PostgreSQL.

A customer's own message is answered at once even at 23:30 (US-01, comment 6(b)(1)-2);
a message Duly starts itself waits for 08:00 local and is re-decided at dispatch; with
``replies_follow_hours = true`` the reply waits too and goes through the transport."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from runner import outbound
from storage.models import Consent, Conversation, Decision, Message
from tests.live import Clock, Duly, replies_in

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
DANA = "+15555550101"
LATE_NY = dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.timezone.utc)      # Mon 23:30 in New York
MORNING_NY = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.timezone.utc)   # Tue 08:00 in New York
REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


def _start(db_url):
    d = Duly(db_url, clock=Clock(LATE_NY))
    d.__enter__()
    report = d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30))
    assert report.errors == []
    with d.services.sessions() as s, s.begin():
        s.add(Consent(phone=DANA, source="card application", consented_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
    return d


def _conv_id(d) -> int:
    with d.services.sessions() as s:
        return s.scalar(select(Conversation.id).where(Conversation.customer_phone == DANA))


def _redecide_due(d) -> list[str]:
    """What the outbox worker does at dispatch: re-run the gate for due deferred rows."""
    now = d.clock()
    verdicts = []
    with d.services.sessions() as s, s.begin():
        rows = s.scalars(select(Message).where(Message.direction == "outbound", Message.status == "deferred",
                                               Message.not_before <= now)).all()
        for m in rows:
            verdicts.append(outbound.redecide(s, m, now, behaviour=d.settings.behaviour).action)
    return verdicts


def test_US_01_reply_at_once_at_night_initiated_notice_waits_for_0800(db_url):
    d = _start(db_url)
    try:
        r = d.sms("pay")
        assert r.status_code == 200
        assert replies_in(r.text), "a reply to the customer's own message goes at once, whatever the hour"
        conv_id = _conv_id(d)
        with d.services.sessions() as s, s.begin():
            conv = s.get(Conversation, conv_id)
            res = outbound.submit(s, conv, "Dana, your Northwind Card payment is overdue. Reply STOP to stop texts.",
                                  kind="notice", sender="system", now=d.clock(), transport="console",
                                  approved=True, template="dpd_1", behaviour=d.settings.behaviour)
        assert (res.status, res.verdict.rule) == ("deferred", "US-01")
        assert res.verdict.until == MORNING_NY
        before = len(d.transport.sent)       # the console transport echoes TwiML replies too
        assert d.services.runner.dispatch(conv_id) == 0 and len(d.transport.sent) == before

        d.clock.now = MORNING_NY - dt.timedelta(minutes=1)
        assert _redecide_due(d) == []          # not due yet
        d.clock.now = MORNING_NY
        assert _redecide_due(d) == ["send"]
        assert d.services.runner.dispatch(conv_id) == 1
        assert [m["body"] for m in d.transport.sent[before:]] == [
            "Dana, your Northwind Card payment is overdue. Reply STOP to stop texts."]
        msgs = {m["id"]: m for m in d.conversation(DANA)["messages"]}
        assert msgs[res.message_id]["status"] == "sent"
        with d.services.sessions() as s:
            log = s.scalars(select(Decision).where(Decision.message_id == res.message_id)
                            .order_by(Decision.id)).all()
        # the outbox's re-decision, then the console dispatch's own at the moment it sends
        assert [(x.verdict, x.detail["stage"]) for x in log] == [
            ("defer", "submit"), ("send", "dispatch"), ("send", "dispatch")]
        assert log[-1].detail["local_time"].startswith("2026-12-01T08:00:00-05:00")
    finally:
        d.__exit__(None, None, None)


def test_US_01_replies_follow_hours_profile_defers_the_reply(db_url, tmp_path, monkeypatch):
    text = REPO_CONFIG.read_text("utf-8")
    marker = "[profiles.us_first_party]\n"
    head, tail = text.split(marker, 1)
    tail = tail.replace("replies_follow_hours = false", "replies_follow_hours = true", 1)
    cfg = tmp_path / "config.toml"
    cfg.write_text(head + marker + tail, "utf-8")
    monkeypatch.setenv("DULY_CONFIG", str(cfg))
    d = _start(db_url)
    try:
        assert d.settings.behaviour["profiles"]["us_first_party"]["replies_follow_hours"] is True
        r = d.sms("pay")
        assert r.status_code == 200 and replies_in(r.text) == []
        with d.services.sessions() as s:
            deferred = s.scalars(select(Message).where(Message.direction == "outbound",
                                                       Message.status == "deferred")).all()
        assert deferred and all(m.not_before == MORNING_NY for m in deferred)
        d.clock.now = MORNING_NY
        assert set(_redecide_due(d)) == {"send"}
        assert d.services.runner.dispatch(_conv_id(d)) == len(deferred)
        assert len(d.transport.sent) == len(deferred)
    finally:
        d.__exit__(None, None, None)


def test_twiml_reply_never_confirmed_turns_unknown_and_a_late_callback_settles_it(db_url):
    """Through real HTTP: a reply rides the TwiML answer (``queued``, no provider sid);
    Twilio's retry of the same MessageSid gets an empty Response (the reply is not sent
    twice); no ``action`` callback came, so after ``twiml_confirm_seconds`` the worker
    marks it ``unknown`` without resending it; a late callback then settles it."""
    from runner.worker import Worker
    from tests.live import RecordingTransport

    d = Duly(db_url, clock=Clock(MORNING_NY), SMS_TRANSPORT="twilio", TWILIO_ACCOUNT_SID="AC" + "a1" * 16)
    with d:
        d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30))
        sid = "SM" + "7" * 32
        first = d.sms("what do I owe", sid=sid)
        assert first.status_code == 200 and len(replies_in(first.text)) == 1
        again = d.sms("what do I owe", sid=sid)
        assert again.status_code == 200 and replies_in(again.text) == []
        [reply] = [m for m in d.conversation(DANA)["messages"] if m["direction"] == "outbound"]
        assert reply["status"] == "queued"
        transport = RecordingTransport()
        worker = Worker(d.settings, d.services.sessions, transport, d.clock, d.services.runner)
        d.clock.now = MORNING_NY + dt.timedelta(minutes=14)
        assert worker.run_once()["unconfirmed"] == 0
        d.clock.now = MORNING_NY + dt.timedelta(minutes=16)
        assert worker.run_once()["unconfirmed"] == 1
        assert reply["body"] not in [m["body"] for m in transport.sent]   # never resent
        [reply] = [m for m in d.conversation(DANA)["messages"] if m["id"] == reply["id"]]
        assert reply["status"] == "unknown"
        twilio_sid = "SM" + "8" * 32
        form = [("MessageSid", twilio_sid), ("MessageStatus", "delivered"), ("To", DANA),
                ("From", "+15555550000"), ("AccountSid", "AC" + "a1" * 16), ("ApiVersion", "2010-04-01")]
        assert d.post_signed(f"/webhooks/twilio/status?mid={reply['id']}", form).status_code == 204
        with d.services.sessions() as s:
            row = s.get(Message, reply["id"])
            assert (row.status, row.provider_sid) == ("delivered", twilio_sid)
            assert s.scalars(select(Decision.rule).where(Decision.message_id == row.id)).all().count(
                "worker:twiml_unconfirmed") == 1
