"""End to end: a promise by SMS → the worker reminds the day before → a posted payment keeps
it and stops dunning → the worker delivers the signed events to a live receiver."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from runner.worker import Worker
from storage.models import Account, Event, Promise
from tests.live import API_TOKEN, Duly, LiveServer

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SECRET = "e2e-secret"
UTC = dt.timezone.utc
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source
ACME-1,Dana Whitfield,(555) 555-0101,312.50,2,312.50,USD,America/New_York,Northwind Card,application
"""
DANA = "+15555550101"


def receiver_app(received: list, bad: list):
    async def hook(request):
        body = await request.body()
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-duly-signature", ""), want):
            bad.append(body)
            return Response(status_code=401)
        received.append(json.loads(body))
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def test_promise_reminded_kept_and_events_delivered(db_url):
    received: list = []
    bad: list = []
    with LiveServer(receiver_app(received, bad)) as rx, Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        settings = dataclasses.replace(duly.settings, extra={
            "events_webhook_url": rx.url + "/hook", "events_webhook_secret": SECRET})
        worker = Worker(settings, duly.services.sessions, duly.transport, clock=duly.clock,
                        runner=duly.services.runner)
        # Monday: the cadence's first step goes; the customer answers with a promise
        worker.run_once(duly.clock.now)
        assert len(duly.transport.sent) == 1
        duly.sms("I can pay 100 friday", frm=DANA)
        duly.sms("yes", frm=DANA)
        duly.transport.sent.clear()
        # Thursday 11:00 in New York: the reminder goes through the worker and the transport
        thursday = dt.datetime(2026, 12, 3, 16, tzinfo=UTC)
        duly.clock.now = thursday
        worker.run_once(thursday)
        worker.run_once(thursday + dt.timedelta(hours=1))
        sent = [m["body"] for m in duly.transport.sent]
        assert len(sent) == 1 and "reminder" in sent[0] and "$100.00" in sent[0] and "Fri Dec 4" in sent[0], sent
        # the payment is posted on Friday: promise kept, dunning stopped
        duly.clock.now = dt.datetime(2026, 12, 4, 18, tzinfo=UTC)
        r = duly.http.post("/api/payments", json={"account_ref": "ACME-1", "amount": "312.50",
                                                  "paid_at": "2026-12-04", "payment_ref": "E2E-1"},
                           headers=AUTH)
        assert r.status_code == 200 and r.json()["delinquent"] is False
        worker.run_once(duly.clock.now)
        with duly.services.sessions() as s:
            assert s.scalar(select(Promise.status)) == "kept"
            assert s.scalar(select(Account.delinquent_since)) is None
            assert all(e.delivered_at is not None for e in s.scalars(select(Event)))
        assert bad == []
        assert [e["kind"] for e in received] == ["promise.made", "payment.applied", "promise.kept"]
        assert received[0]["account_ref"] == "ACME-1"
        # Saturday: nothing broken, no follow-up
        worker.run_once(dt.datetime(2026, 12, 5, 16, tzinfo=UTC))
        assert not any("haven't seen" in m["body"] for m in duly.transport.sent)
