"""The real twilio library sends through an injected HTTP client that answers the way
Twilio's Messages API documents (201 with the message resource; 4xx/5xx with an error
body ``{code, message, more_info, status}``; 429 Too Many Requests), and status
callbacks come back through the real webhook path.

Error classes (runner/transports.py ``ERROR_TABLE``) are applied by
``runner.worker.apply_provider_error`` for an error in the create answer and for one in
a status callback alike.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import select
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import NewConnectionError, ProtocolError

from runner.inbound import Runner
from runner.transports import ERROR_TABLE, TwilioTransport, classify, make_transport
from runner.worker import Worker
from storage.models import Decision, Flag, Message, OptOut, Phone, SenderPause
from tests.live import OUR_NUMBER, Clock, Duly, settings_for
from tests.test_worker import (CUSTOMER, NOW, TWILIO_ENV, add_account, add_conversation,  # noqa: F401
                               add_message, env, gate, message)

SID = "AC" + "a1" * 16
ERROR_MESSAGES = {
    20429: "Too Many Requests",
    21211: "The 'To' number +15555550101 is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    30034: "Message from an Unregistered Number",
}


class FakeTwilioHTTP(HttpClient):
    """Records requests; answers like api.twilio.com.

    answers: consumed one per request, the last one repeats: ``201`` (created), an
    ``(http_status, error_code)`` pair, or an exception instance to raise (what
    ``requests`` raises on a network failure).
    """

    def __init__(self, answer_status: int = 201, error_code: int | None = None,
                 answers: list[Any] | None = None):
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.requests: list[dict] = []
        self.answers = list(answers) if answers else [answer_status if error_code is None
                                                      else (answer_status, error_code)]

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.requests.append({"method": method, "url": url, "data": dict(data or {}), "auth": auth,
                              "timeout": timeout})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, tuple):
            status, code = answer
            body = {"code": code, "message": ERROR_MESSAGES.get(code, "The message From/To pair violates a blacklist rule."),
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
            return Response(status, json.dumps(body))
        sid = "SM" + uuid.uuid4().hex
        body = {"sid": sid, "account_sid": SID, "status": "queued", "to": data.get("To"),
                "from": data.get("From"), "body": data.get("Body"), "num_segments": "1",
                "direction": "outbound-api", "api_version": "2010-04-01", "error_code": None,
                "error_message": None, "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json"}
        return Response(201, json.dumps(body))


def _connect_refused() -> requests.exceptions.ConnectionError:
    """What requests raises when the TCP connection could not be made (nothing sent)."""
    inner = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(inner)


def _dropped_after_send() -> requests.exceptions.ConnectionError:
    """What requests raises when the server closed the connection after the request."""
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


def transport(http: FakeTwilioHTTP, sleeps: list[float] | None = None, **kw: Any) -> TwilioTransport:
    sleeps = sleeps if sleeps is not None else []
    return TwilioTransport(SID, "token", from_="+15555550100", http_client=http, sleep=sleeps.append, **kw)


# --- the transport alone ------------------------------------------------------------------

def test_send_posts_the_documented_form_and_reads_the_sid():
    http = FakeTwilioHTTP()
    t = TwilioTransport(SID, "token", from_="+15555550100", http_client=http)
    res = t.send(to="+15555550101", body="Hi", status_callback="https://x.test/webhooks/twilio/status?mid=7",
                 validity_period=3600)
    assert res.status == "queued" and res.sid.startswith("SM") and res.attempts == 1
    req = http.requests[0]
    assert req["method"] == "POST"
    assert req["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    assert req["data"]["To"] == "+15555550101" and req["data"]["From"] == "+15555550100"
    assert req["data"]["Body"] == "Hi"
    assert req["data"]["StatusCallback"].endswith("mid=7")
    assert req["data"]["ValidityPeriod"] == 3600
    assert req["auth"] == (SID, "token")


def test_validity_period_is_clamped_to_twilios_range():
    http = FakeTwilioHTTP()
    transport(http).send(to="+15555550101", body="Hi", validity_period=99999)
    assert http.requests[0]["data"]["ValidityPeriod"] == 36000


def test_21610_is_a_permanent_failure_with_its_code():
    t = TwilioTransport(SID, "token", from_="+15555550100", http_client=FakeTwilioHTTP(400, 21610))
    res = t.send(to="+15555550101", body="Hi")
    assert (res.status, res.error_code) == ("failed", "21610")


def test_5xx_is_unknown_never_retried_blindly():
    http = FakeTwilioHTTP(503, 20500)
    t = TwilioTransport(SID, "token", messaging_service_sid="MG" + "b2" * 16, http_client=http)
    res = t.send(to="+15555550101", body="Hi")
    assert res.status == "unknown" and len(http.requests) == 1


def test_429_then_success_is_retried_with_backoff():
    http = FakeTwilioHTTP(answers=[(429, 20429), (429, 20429), 201])
    sleeps: list[float] = []
    res = transport(http, sleeps).send(to="+15555550101", body="Hi")
    assert res.status == "queued" and res.attempts == 3
    assert len(http.requests) == 3 and sleeps == [1.0, 2.0]


def test_429_that_never_clears_is_not_sent_after_the_retries():
    http = FakeTwilioHTTP(answers=[(429, 20429)])
    sleeps: list[float] = []
    res = transport(http, sleeps, max_retries=3).send(to="+15555550101", body="Hi")
    assert res.status == "not_sent" and res.attempts == 4 and len(http.requests) == 4
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_connection_error_before_the_request_left_is_retried():
    for exc in (_connect_refused(), requests.exceptions.ConnectTimeout("connect timed out")):
        http = FakeTwilioHTTP(answers=[exc, 201])
        res = transport(http).send(to="+15555550101", body="Hi")
        assert res.status == "queued" and len(http.requests) == 2, exc


def test_a_timeout_after_sending_is_unknown_and_never_resent():
    for exc in (requests.exceptions.ReadTimeout("read timed out"), _dropped_after_send()):
        http = FakeTwilioHTTP(answers=[exc, 201])
        sleeps: list[float] = []
        res = transport(http, sleeps).send(to="+15555550101", body="Hi")
        assert res.status == "unknown" and len(http.requests) == 1 and sleeps == [], exc


def test_the_default_http_client_has_explicit_timeouts(tmp_path):
    settings = settings_for(f"sqlite:///{tmp_path / 'x.db'}", **TWILIO_ENV)
    t = make_transport(settings)
    assert t.client.http_client.timeout == (5.0, 15.0)
    assert t.name == "rest"


def test_error_classes_come_from_one_table():
    kinds = {code: classify(code).kind for code in ERROR_TABLE}
    assert kinds == {"21610": "opt_out", "21211": "undeliverable", "21614": "undeliverable",
                     "30003": "undeliverable", "30005": "undeliverable", "30006": "undeliverable",
                     "30007": "filtered", "30036": "requeue", "30034": "sender_paused"}
    assert classify(30007).kind == "filtered"
    assert classify(None) is None and classify("") is None
    assert classify("12345").kind == "failed"


# --- through the worker: errors in the create answer -------------------------------------

def twilio_worker(env: Any, http: FakeTwilioHTTP, clock: Clock | None = None) -> tuple[Worker, Any]:
    settings = settings_for(env.db_url, **TWILIO_ENV)
    clock = clock or Clock(NOW)
    t = make_transport(settings, http_client=http, sleep=lambda s: None)
    runner = Runner(settings, env.sessions, clock=clock, transport=None)
    return Worker(settings, env.sessions, t, clock, runner, sleep=lambda s: None), settings


def test_worker_sends_through_twilio_with_validity_and_callback(env, gate):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending", transport="rest")
    gate.validity = 1800
    http = FakeTwilioHTTP()
    w, _ = twilio_worker(env, http)
    assert w.run_once(NOW)["sent"] == 1
    data = http.requests[0]["data"]
    assert data["ValidityPeriod"] == 1800
    assert data["StatusCallback"] == f"https://sms.example.test/webhooks/twilio/status?mid={mid}"
    row = message(env.sessions, mid)
    assert row.status == "queued" and row.provider_sid.startswith("SM")


def test_US_05_21610_in_the_create_answer_records_the_opt_out(env, gate):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending", transport="rest")
    w, _ = twilio_worker(env, FakeTwilioHTTP(400, 21610))
    counts = w.run_once(NOW)
    assert counts["failed"] == 1
    row = message(env.sessions, mid)
    assert (row.status, row.error_code) == ("failed", "21610")
    with env.sessions() as s:
        opt = s.scalar(select(OptOut).where(OptOut.phone == CUSTOMER))
        assert (opt.channel, opt.source, opt.source_message_id, opt.revoked_at) == ("sms", "provider_21610", mid, None)
        assert s.scalar(select(Decision.rule).where(Decision.message_id == mid, Decision.actor == "system")) == "US-05"


def test_21211_marks_the_number_undeliverable_stops_its_cadence_and_flags_it(env, gate):
    acct = add_account(env.sessions)
    conv = add_conversation(env.sessions, account_id=acct)
    mid = add_message(env.sessions, conv, status="pending", transport="rest", account_id=acct)
    queued = add_message(env.sessions, conv, status="deferred", transport="rest", account_id=acct,
                         not_before=NOW + dt.timedelta(days=7))
    w, _ = twilio_worker(env, FakeTwilioHTTP(400, 21211))
    w.run_once(NOW)
    assert message(env.sessions, mid).status == "failed"
    assert message(env.sessions, queued).status == "refused"   # cadence stopped for the number
    with env.sessions() as s:
        phone = s.scalar(select(Phone).where(Phone.e164 == CUSTOMER))
        assert (phone.undeliverable_at, phone.undeliverable_code) == (NOW, "21211")
        assert s.scalar(select(Flag.name).where(Flag.conversation_id == conv)) == "undeliverable"
        d = s.scalar(select(Decision).where(Decision.message_id == mid, Decision.rule == "provider:undeliverable"))
        assert d.detail["trace"] is True and d.detail["provider_error"] == "21211"


def test_a_timeout_after_sending_leaves_the_row_unknown_and_the_worker_never_resends(env, gate):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending", transport="rest")
    http = FakeTwilioHTTP(answers=[requests.exceptions.ReadTimeout("read timed out"), 201])
    clock = Clock(NOW)
    w, _ = twilio_worker(env, http, clock)
    assert w.run_once(NOW)["unknown"] == 1
    clock.advance(hours=2)
    w.run_once(NOW + dt.timedelta(hours=2))
    assert len(http.requests) == 1
    assert message(env.sessions, mid).status == "unknown"


def test_30034_pauses_the_sender_and_holds_its_other_messages(env, gate):
    conv = add_conversation(env.sessions)
    first = add_message(env.sessions, conv, status="pending", transport="rest")
    second = add_message(env.sessions, conv, status="pending", transport="rest")
    http = FakeTwilioHTTP(answers=[(400, 30034), 201])
    w, _ = twilio_worker(env, http)
    w.run_once(NOW)
    assert len(http.requests) == 1
    until = NOW + dt.timedelta(hours=24)
    with env.sessions() as s:
        pause = s.scalar(select(SenderPause))
        assert (pause.sender, pause.reason, pause.paused_until) == (OUR_NUMBER, "30034", until)
    for mid in (first, second):
        row = message(env.sessions, mid)
        assert (row.status, row.not_before) == ("deferred", until)


# --- status callbacks through the real webhook path ---------------------------------------

def _callback(d: Duly, mid: int, sid: str, status: str, code: str) -> None:
    form = [("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", CUSTOMER),
            ("MessageSid", sid), ("AccountSid", SID), ("From", OUR_NUMBER), ("ApiVersion", "2010-04-01"),
            ("ErrorCode", code)]
    r = d.post_signed(f"/webhooks/twilio/status?mid={mid}", form)
    assert r.status_code == 204, r.text


def _sent_through_twilio(d: Duly, db_url: str, gate: Any) -> tuple[int, int, str]:
    acct = add_account(d.services.sessions)
    conv = add_conversation(d.services.sessions, account_id=acct)
    mid = add_message(d.services.sessions, conv, status="pending", transport="rest", account_id=acct)
    env_like = type("E", (), {"db_url": db_url, "sessions": d.services.sessions})
    w, _ = twilio_worker(env_like, FakeTwilioHTTP(), d.clock)
    assert w.run_once(d.clock())["sent"] == 1
    return conv, mid, message(d.services.sessions, mid).provider_sid


def test_status_callback_30007_marks_the_message_filtered(db_url, gate):
    with Duly(db_url) as d:
        conv, mid, sid = _sent_through_twilio(d, db_url, gate)
        _callback(d, mid, sid, "sent", "")
        _callback(d, mid, sid, "undelivered", "30007")
        _callback(d, mid, sid, "undelivered", "30007")   # Twilio may deliver it twice
        row = message(d.services.sessions, mid)
        assert (row.status, row.error_code) == ("failed", "30007")
        assert "filtered" in d.conversation(CUSTOMER)["flags"]
        with d.services.sessions() as s:
            assert s.scalar(select(Phone.undeliverable_at).where(Phone.e164 == CUSTOMER)) is None


def test_status_callback_30003_marks_the_number_undeliverable_and_flags_it_for_tracing(db_url, gate):
    with Duly(db_url) as d:
        conv, mid, sid = _sent_through_twilio(d, db_url, gate)
        later = add_message(d.services.sessions, conv, status="deferred", transport="rest",
                            not_before=NOW + dt.timedelta(days=7))
        _callback(d, mid, sid, "undelivered", "30003")
        row = message(d.services.sessions, mid)
        assert (row.status, row.error_code) == ("undelivered", "30003")
        assert "undeliverable" in d.conversation(CUSTOMER)["flags"]
        assert message(d.services.sessions, later).status == "refused"
        with d.services.sessions() as s:
            phone = s.scalar(select(Phone).where(Phone.e164 == CUSTOMER))
            assert (phone.undeliverable_at, phone.undeliverable_code) == (d.clock(), "30003")
            rules = s.scalars(select(Decision.rule).where(Decision.message_id == mid)).all()
            assert "provider:undeliverable" in rules


def test_status_callback_30036_requeues_within_the_window_once(db_url, gate):
    with Duly(db_url) as d:
        conv, mid, sid = _sent_through_twilio(d, db_url, gate)
        _callback(d, mid, sid, "failed", "30036")
        row = message(d.services.sessions, mid)
        assert (row.status, row.not_before) == ("deferred", d.clock() + dt.timedelta(seconds=60))
        _callback(d, mid, sid, "failed", "30036")   # Twilio may deliver it twice
        assert message(d.services.sessions, mid).status == "deferred"
        # it goes again once due (the gate re-checks the window at dispatch)
        env_like = type("E", (), {"db_url": db_url, "sessions": d.services.sessions})
        http = FakeTwilioHTTP()
        w, _ = twilio_worker(env_like, http, d.clock)
        d.clock.advance(seconds=60)
        assert w.run_once(d.clock())["sent"] == 1 and len(http.requests) == 1
        row = message(d.services.sessions, mid)
        assert row.status == "queued" and row.attempts == 2


def test_status_callback_21610_records_the_opt_out(db_url, gate):
    with Duly(db_url) as d:
        conv, mid, sid = _sent_through_twilio(d, db_url, gate)
        _callback(d, mid, sid, "failed", "21610")
        assert d.conversation(CUSTOMER)["opted_out"] is True
        with d.services.sessions() as s:
            assert s.scalar(select(OptOut.source).where(OptOut.phone == CUSTOMER)) == "provider_21610"
