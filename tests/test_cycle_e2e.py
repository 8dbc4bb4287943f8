"""The whole collection cycle end to end, as an operator runs it (issue: the collection
cycle): import → `duly campaign run --now` → `duly worker --once --now` sends the notice
through the console transport → the customer replies "I can pay 100 friday" over signed
webhooks → the worker reminds the day before → the loan system posts the payment → the
promise is kept, the events reach the lender's signed webhook, and the cadence stops."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from tests.live import API_TOKEN, AUTH_TOKEN, PUBLIC_BASE, Duly, LiveServer, replies_in
from tests.test_events_e2e import SECRET, receiver_app  # the lender's signed-webhook receiver

ROOT = Path(__file__).resolve().parent.parent
DANA = "+15555550101"
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source,consent_at
CYC-1,Dana Whitfield,(555) 555-0101,100.00,1,100.00,USD,America/New_York,Northwind Card,card application,2024-01-01T00:00:00Z
"""


def duly_cli(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DULY_DEV"))}
    e.update({"DATABASE_URL": db_url, "SMS_TRANSPORT": "console", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
              "PUBLIC_BASE_URL": PUBLIC_BASE, "LOG_LEVEL": "WARNING"}, **env)
    return subprocess.run([sys.executable, "-m", "duly.cli", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=180)


def test_collection_cycle_end_to_end(db_url):
    received: list = []
    forged: list = []
    with Duly(db_url) as d, LiveServer(receiver_app(received, forged)) as lender:
        assert d.import_accounts(ACCOUNTS).errors == []
        hook_env = {"EVENTS_WEBHOOK_URL": lender.url + "/hook", "EVENTS_WEBHOOK_SECRET": SECRET}

        # Monday 2026-11-30 10:00 New York: DPD 1 → the first cadence step is queued, once.
        r = duly_cli(db_url, "campaign", "run", "--now", "2026-11-30T15:00:00Z")
        assert r.returncode == 0, r.stderr
        assert "CYC-1" in r.stdout
        again = duly_cli(db_url, "campaign", "run", "--now", "2026-11-30T15:05:00Z")
        assert again.returncode == 0 and "CYC-1" not in again.stdout  # each step goes once

        w = duly_cli(db_url, "worker", "--once", "--now", "2026-11-30T15:00:00Z", **hook_env)
        assert w.returncode == 0, w.stderr
        assert "[console sms → +15555550101]" in w.stdout and "Northwind Card" in w.stdout
        assert "STOP to opt out" in w.stdout                  # US-04 on the cadence notice

        # The customer answers the notice.
        confirm = replies_in(d.sms("I can pay 100 friday").text)
        assert confirm and "$100.00" in confirm[0] and "Dec 4" in confirm[0]
        assert replies_in(d.sms("yes").text)
        conv = d.conversation(DANA)
        assert [(p["amount"], p["due_date"], p["status"]) for p in conv["promises"]] == [
            ("100.00", "2026-12-04", "pending")]

        # Thursday 10:00 New York, the day before: one reminder, never two.
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-03T15:00:00Z", **hook_env)
        assert w.returncode == 0, w.stderr
        assert w.stdout.count("[console sms → +15555550101]") == 1, w.stdout
        w2 = duly_cli(db_url, "worker", "--once", "--now", "2026-12-03T16:00:00Z", **hook_env)
        assert "[console sms → +15555550101]" not in w2.stdout

        # The loan system posts the payment (twice: acted on once).
        d.clock.now = dt.datetime(2026, 12, 3, 17, 0, tzinfo=dt.timezone.utc)
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        pay = {"account_ref": "CYC-1", "amount": "100.00", "paid_at": "2026-12-03T16:30:00Z",
               "payment_ref": "PAY-1"}
        first = d.http.post("/api/payments", json=pay, headers=auth)
        second = d.http.post("/api/payments", json=pay, headers=auth)
        assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
        assert second.json().get("duplicate") is True
        conv = d.conversation(DANA)
        assert [p["status"] for p in conv["promises"]] == ["kept"]

        # The worker delivers the events, signed; the lender can also read them back.
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-03T17:05:00Z", **hook_env)
        assert w.returncode == 0, w.stderr
        kinds = [e["kind"] for e in received]
        assert {"promise.made", "promise.kept", "payment.applied"} <= set(kinds), kinds
        assert forged == []
        listed = d.http.get("/api/events", params={"after": 0}, headers=auth).json()["events"]
        assert {"promise.made", "promise.kept", "payment.applied"} <= {e["kind"] for e in listed}

        # Cleared: the next cadence step (DPD 7) does not go.
        r = duly_cli(db_url, "campaign", "run", "--now", "2026-12-07T15:00:00Z")
        assert r.returncode == 0 and "CYC-1" not in r.stdout, r.stdout
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-07T15:00:00Z", **hook_env)
        assert "[console sms → +15555550101]" not in w.stdout, w.stdout
