"""rev3: US-14 — under the third-party profile every communication must say it is from a
debt collector. The cadence steps do; the bot's replies and the promise reminder do not."""

from __future__ import annotations

import datetime as dt

from runner.worker import Worker
from tests.live import Duly

UTC = dt.timezone.utc
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source,profile
TP-1,Tia Third,(555) 555-0101,250.00,2,250.00,USD,America/New_York,Acme Collections,application,us_third_party
"""
TIA = "+15555550101"


def _bodies(duly):
    return [m["body"] for m in duly.conversation(TIA)["messages"] if m["direction"] == "outbound"]


def test_US_14_replies_under_the_third_party_profile_say_debt_collector(db_url):
    with Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        duly.sms("what is my balance", frm=TIA)
        duly.sms("I can pay 50 friday", frm=TIA)
        duly.sms("yes", frm=TIA)
        missing = [b for b in _bodies(duly) if "debt collector" not in b.lower()]
        assert missing == []


def test_US_14_promise_reminder_under_the_third_party_profile_says_debt_collector(db_url):
    with Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        duly.sms("I can pay 50 friday", frm=TIA)
        duly.sms("yes", frm=TIA)
        worker = Worker(duly.settings, duly.services.sessions, duly.transport, clock=duly.clock,
                        runner=duly.services.runner)
        thursday = dt.datetime(2026, 12, 3, 16, tzinfo=UTC)     # 11:00 in New York
        duly.clock.now = thursday
        worker.run_once(thursday)
        reminders = [m["body"] for m in duly.conversation(TIA)["messages"] if m.get("kind") == "reminder"]
        assert reminders, "no reminder was sent"
        assert all("debt collector" in b.lower() for b in reminders), reminders
