"""rev3: a cadence text queued (deferred for the hours) before a payment clears the balance
is still sent afterwards, stating the old past-due amount (US-21 / G-02; CONTRACT: a payment
"stops dunning when the balance is cleared")."""

from __future__ import annotations

import datetime as dt

from runner.worker import Worker
from tests.live import API_TOKEN, Clock, Duly

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
UTC = dt.timezone.utc
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source
ACME-1,Dana Whitfield,(555) 555-0101,150.00,2,150.00,USD,America/New_York,Northwind Card,application
"""


def test_US_21_no_dunning_text_after_the_balance_is_cleared(db_url):
    ny_0600 = dt.datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    with Duly(db_url, clock=Clock(ny_0600)) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        worker = Worker(duly.settings, duly.services.sessions, duly.transport, clock=duly.clock,
                        runner=duly.services.runner)
        worker.run_once(ny_0600)                 # the step is queued, deferred to 08:00 (US-01)
        assert duly.transport.sent == []
        r = duly.http.post("/api/payments", json={"account_ref": "ACME-1", "amount": "150.00",
                                                  "payment_ref": "PAY-1"}, headers=AUTH)
        assert r.status_code == 200 and r.json()["balance"] == "0.00", r.text
        ny_0800 = ny_0600 + dt.timedelta(hours=2)
        duly.clock.now = ny_0800
        worker.run_once(ny_0800)
        assert duly.transport.sent == [], [m.get("body") for m in duly.transport.sent]
