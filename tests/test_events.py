"""runner.events: events recorded from dialog outcomes and payments, delivered as signed
webhooks (retried with backoff), and readable with GET /api/events?after=ID."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import httpx2 as httpx
import pytest
from sqlalchemy import select

from runner.events import backoff, deliver_due, record_event
from storage.models import Event
from tests.live import API_TOKEN, Duly

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SECRET = "whsec-test"
URL = "https://lender.example.test/duly-events"
UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source
ACME-1,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,USD,America/New_York,Northwind Card,application
"""
DANA = "+15555550101"


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        yield d


class Receiver:
    """A fake lender endpoint: checks the signature, answers from a script of statuses."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        self.bad_signatures = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Duly-Signature", ""), want):
            self.bad_signatures += 1
            return httpx.Response(401)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.received.append(json.loads(body))
        return httpx.Response(status)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def deliver(duly, receiver, now):
    return deliver_due(duly.services.sessions, duly.settings, now, http=receiver.client(),
                       url=URL, secret=SECRET)


def _events(duly) -> list[Event]:
    with duly.services.sessions() as s:
        return list(s.scalars(select(Event).order_by(Event.id)))


def test_events_delivered_with_a_valid_hmac(duly):
    with duly.services.sessions() as s, s.begin():
        record_event(s, "promise.made", account_id=None, payload={"amount": "50.00"}, now=T0)
        record_event(s, "opt_out", payload={"phone": DANA}, now=T0)
    rx = Receiver()
    assert deliver(duly, rx, T0) == 2
    assert rx.bad_signatures == 0
    assert [e["kind"] for e in rx.received] == ["promise.made", "opt_out"]
    assert rx.received[0]["payload"] == {"amount": "50.00"}
    assert all(e.delivered_at == T0 and e.attempts == 1 for e in _events(duly))
    assert deliver(duly, rx, T0 + dt.timedelta(hours=1)) == 0  # delivered once


def test_events_retried_with_backoff_after_a_500(duly):
    with duly.services.sessions() as s, s.begin():
        record_event(s, "payment.applied", payload={"amount": "10.00"}, now=T0)
    rx = Receiver([500, 503])
    assert deliver(duly, rx, T0) == 0
    ev = _events(duly)[0]
    assert ev.attempts == 1 and ev.last_error == "HTTP 500" and ev.delivered_at is None
    assert ev.next_attempt_at == T0 + backoff(1)
    assert deliver(duly, rx, T0 + dt.timedelta(seconds=10)) == 0     # not due yet: not even tried
    assert _events(duly)[0].attempts == 1
    assert deliver(duly, rx, T0 + dt.timedelta(seconds=30)) == 0     # second try: 503
    ev = _events(duly)[0]
    assert ev.attempts == 2 and ev.next_attempt_at == T0 + dt.timedelta(seconds=30) + backoff(2)
    assert deliver(duly, rx, T0 + dt.timedelta(minutes=5)) == 1
    ev = _events(duly)[0]
    assert ev.delivered_at is not None and ev.attempts == 3 and len(rx.received) == 1


def test_events_connection_error_is_retried(duly):
    with duly.services.sessions() as s, s.begin():
        record_event(s, "handoff", payload={}, now=T0)

    def boom(request):
        raise httpx.ConnectError("refused")

    n = deliver_due(duly.services.sessions, duly.settings, T0,
                    http=httpx.Client(transport=httpx.MockTransport(boom)), url=URL, secret=SECRET)
    assert n == 0 and "ConnectError" in _events(duly)[0].last_error


def test_events_not_sent_without_url_or_secret(duly):
    with duly.services.sessions() as s, s.begin():
        record_event(s, "handoff", payload={}, now=T0)
    rx = Receiver()
    assert deliver_due(duly.services.sessions, duly.settings, T0, http=rx.client()) == 0
    assert deliver_due(duly.services.sessions, duly.settings, T0, http=rx.client(), url=URL) == 0
    assert rx.received == [] and _events(duly)[0].attempts == 0


def test_record_event_refuses_unknown_kinds(duly):
    with duly.services.sessions() as s:
        with pytest.raises(ValueError):
            record_event(s, "promise.maybe", payload={})


def test_dialog_outcomes_become_events_and_api_events_after(duly):
    duly.sms("I can pay $50 on friday", frm=DANA)
    duly.sms("yes", frm=DANA)
    duly.sms("this isnt my debt", frm=DANA)
    duly.sms("stop contacting me by any means", frm=DANA)
    duly.sms("wrong number", frm="+15555550101")
    r = duly.http.get("/api/events", headers=AUTH)
    assert r.status_code == 200, r.text
    evs = r.json()["events"]
    kinds = [e["kind"] for e in evs]
    assert kinds[0] == "promise.made"
    assert evs[0]["account_ref"] == "ACME-1"
    assert evs[0]["payload"]["amount"] == "50.00" and evs[0]["payload"]["due_date"] == "2026-12-04"
    for k in ("dispute", "handoff", "opt_out"):
        assert k in kinds, kinds
    ids = [e["id"] for e in evs]
    assert ids == sorted(ids)
    # after= pages in id order
    page = duly.http.get("/api/events", params={"after": ids[0], "limit": 2}, headers=AUTH).json()
    assert [e["id"] for e in page["events"]] == ids[1:3] and page["last_id"] == ids[2]
    assert duly.http.get("/api/events", params={"after": "x"}, headers=AUTH).status_code == 400
    assert duly.http.get("/api/events", params={"limit": 0}, headers=AUTH).status_code == 400


def test_US_17_cease_event_and_wrong_number_event(duly):
    duly.sms("stop contacting me by any means", frm=DANA)
    evs = duly.http.get("/api/events", headers=AUTH).json()["events"]
    assert [e["kind"] for e in evs] == ["opt_out", "cease"]
    assert evs[0]["payload"]["channels"] == ["email", "sms", "voice"]


def test_US_12_wrong_number_event(duly):
    duly.sms("wrong number", frm=DANA)
    kinds = [e["kind"] for e in duly.http.get("/api/events", headers=AUTH).json()["events"]]
    assert "wrong_number" in kinds


def test_plan_agreed_event(duly):
    duly.sms("can I do payments", frm=DANA)
    duly.sms("1", frm=DANA)
    duly.sms("yes", frm=DANA)
    evs = duly.http.get("/api/events", headers=AUTH).json()["events"]
    plan = [e for e in evs if e["kind"] == "plan.agreed"]
    assert len(plan) == 1
    total = sum(float(i["amount"]) for i in plan[0]["payload"]["instalments"])
    assert f"{total:.2f}" == plan[0]["payload"]["total"]
