"""Regressions for attack 1207e findings 13 (UK-06) and 10 (US-16), end to end, beyond
the attack's own tests: the agent is told why a promise on an unconfirmed UK thread is
not recorded (and the refusal is audited), and the gate's second line — an approved
reminder with an amount to a phone that never passed the right-party check is refused
UK-06 whatever recorded the promise."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Account, AuditEntry, Conversation, Decision, Message, Promise

UTC = dt.timezone.utc

UK = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,identity_check,consent_source
UK-1,Olivia Hart,+447700900123,900.00,20,300.00,30.00,GBP,Europe/London,en,Northwind Card,uk,SW1A 1AA,card application
"""
OLIVIA = "+447700900123"


def test_UK_06_an_agents_promise_before_the_identity_check_is_refused_with_a_reason(db_url):
    from tests.live import Clock, Duly, add_user, console_login, replies_in
    from tests.test_console_http import err, ok

    with Duly(db_url, clock=Clock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC))) as d:
        assert d.import_accounts(UK).errors == []
        add_user(d, "agent@x.test")
        assert "postcode" in replies_in(d.sms("hi", frm=OLIVIA).text)[0]
        with d.services.sessions() as s:
            cid = s.scalar(select(Conversation.id))
        c, csrf = console_login(d, "agent@x.test")
        assert ok(c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf}))
        said = err(c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "UK-1",
                                                             "amount": "50.00", "due_date": "2026-12-04"}))
        assert said.startswith("not recorded: the customer has not confirmed their identity"), said
        with d.services.sessions() as s:
            assert s.scalar(select(Promise.id)) is None
            audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "record_promise_refused")).all()
            assert [a.detail["problem"] for a in audit] == ["identity_unconfirmed"]


def test_UK_06_the_gate_refuses_an_approved_reminder_with_an_amount_to_an_unconfirmed_phone(db_url):
    """Second line: a promise that reached the database some other way (here written
    directly, as a loan-system import or an older release might have) — its reminder is
    an approved template, and the gate's hard rules now refuse its amount (UK-06)."""
    from tests.live import Clock, Duly, replies_in
    from tests.test_cycle_e2e import duly_cli

    with Duly(db_url, clock=Clock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC))) as d:
        assert d.import_accounts(UK).errors == []
        assert "postcode" in replies_in(d.sms("hi", frm=OLIVIA).text)[0]
        with d.services.sessions() as s, s.begin():
            acct = s.scalar(select(Account))
            cid = s.scalar(select(Conversation.id))
            s.add(Promise(account_id=acct.id, conversation_id=cid, amount_minor=5000, currency="GBP",
                          due_date=dt.date(2026, 12, 4), status="pending", source="import",
                          created_at=dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
                          updated_at=dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)))
        for day in ("2026-12-01T11:00:00Z", "2026-12-03T11:00:00Z"):
            w = duly_cli(db_url, "worker", "--once", "--now", day)
            assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            out = s.execute(select(Message.body, Message.status).where(
                Message.to_number == OLIVIA, Message.kind == "reminder")).all()
            assert out and all(st == "refused" for _, st in out), out
            rules = s.scalars(select(Decision.rule).join(Message, Message.id == Decision.message_id)
                              .where(Message.kind == "reminder")).all()
            assert set(rules) == {"UK-06"}, rules
