"""A notice the worker had claimed (status ``sending``, the gate passed at the claim) was
still sent after the customer's STOP was recorded: the send comes later (after the
pacing wait; the next batch is claimed ahead) and nothing looked again (US-05, US-07:
zero sends after the revocation). Found by attacking the worker. Now the worker takes
a last look right before the transport and re-runs the gate when an opt-out, a hold, a
quarantine or a hand-off arrived since the claim."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from runner import outbound
from runner.inbound import Runner
from runner.transports import SendResult
from runner.worker import Worker
from storage.models import Account, Consent, Conversation, Decision, Message, Phone
from tests.live import MONDAY_10_NY, Clock, Duly

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
A-1,Ann One,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
A-2,Bob Two,(555) 555-0102,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
ANN, BOB = "+15555550101", "+15555550102"


def _notices(d: Duly, clock: Clock) -> dict[str, int]:
    out = {}
    with d.services.sessions() as s, s.begin():
        for p in (ANN, BOB):
            s.add(Consent(phone=p, source="app", consented_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
            acct = s.scalar(select(Account).join(Phone, Phone.account_id == Account.id).where(Phone.e164 == p))
            conv = Conversation(customer_phone=p, our_number="+15555550100", state="start", slots={}, mode="bot",
                                account_id=acct.id, version=0, created_at=clock(), updated_at=clock())
            s.add(conv)
            s.flush()
            ob = outbound.submit(s, conv, "Northwind Card: your payment is past due. Reply STOP to opt out.",
                                 kind="notice", sender="system", now=clock(), transport="rest", approved=True,
                                 account_id=acct.id, behaviour=d.settings.behaviour)
            assert ob.status == "pending"
            out[p] = ob.message_id
    return out


def _run(db_url: str, customer_text: str):
    clock = Clock(MONDAY_10_NY)
    with Duly(db_url, clock=clock) as d:
        d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30))
        ids = _notices(d, clock)
        sent: list[str] = []

        class Twilioish:
            name = "rest"   # paced like the real transport

            def sender(self, f):
                return f

            def send(self, *, to, body, **kw):
                sent.append(to)
                if to == ANN:      # while Ann's notice is on the wire, Bob texts
                    assert d.sms(customer_text, frm=BOB).status_code == 200
                clock.advance(seconds=0.5)
                return SendResult("sent", sid="SM" + to[-4:] + "0" * 28)

        w = Worker(d.settings, d.services.sessions, Twilioish(), clock,
                   Runner(d.settings, d.services.sessions, clock=clock, transport=None))
        w.batch_size = 2
        w.run_once()
        with d.services.sessions() as s:
            bob = s.get(Message, ids[BOB])
            last = s.scalars(select(Decision).where(Decision.message_id == bob.id)
                             .order_by(Decision.id.desc())).first()
            return sent, (bob.status, bob.sent_at, bob.attempts), (last.rule, last.verdict, last.detail["stage"])


def test_US_07_no_notice_leaves_after_a_stop_that_came_in_while_it_waited(db_url):
    sent, bob, decision = _run(db_url, "STOP")
    assert sent == [ANN]
    assert bob == ("refused", None, 0)
    assert decision == ("US-05", "refuse", "dispatch")


def test_a_reply_that_changes_nothing_the_gate_reads_does_not_stop_the_notice(db_url):
    sent, bob, _ = _run(db_url, "thanks")
    assert sent == [ANN, BOB]
    assert bob[0] == "sent"
