"""New-user trial, two disclosure risks, end to end over real HTTP (US-12, UK-06, CN-02).

1. P-69 re-imported with a new phone answered "updated": 1, yet "what's my balance" from
   the OLD number still got "Hi Pat … Your balance is $500.00" — a reassigned number would
   receive the balance. Now the old number is detached (named by line), a cadence text
   queued for it is refused at dispatch, and it is an unknown number when it texts.
2. T-1 "Alex Good" and T-15 "Zed Shared" on one phone imported silently, and "balance" got
   "Which account is this about? 1) Northwind … T-1 2) Other Bank … T-15", then "2" got Zed's
   balance. Now the import names the line and the bot tells that phone neither debt: a
   person takes over.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

OLD, NEW, SHARED = "+15555550169", "+15555550170", "+15555550111"
HEADER = ("account_ref,name,phone,balance,days_past_due,past_due,currency,due_date,timezone,creditor,"
          "consent_source,consent_at\n")


def _row(ref, name, phone, balance, creditor="Northwind Card Services"):
    return (f"{ref},{name},{phone},{balance},35,{balance},USD,2026-12-10,America/Chicago,{creditor},"
            "card application,2024-06-11T12:00:00Z\n")


def test_phone_change_detaches_the_old_number_e2e(db_url):
    from storage.models import Decision, Message
    from tests.live import Clock, Duly, replies_in
    from tests.test_cycle_e2e import duly_cli

    queued_at = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.timezone.utc)       # 21:30 Chicago
    with Duly(db_url, clock=Clock(queued_at + dt.timedelta(minutes=30))) as d:
        first = d.import_accounts(HEADER + _row("P-69", "Pat Kim", "+1 555 555 0169", "500.00"),
                                  today=dt.date(2026, 11, 30))
        assert (first.created, first.errors) == (1, [])
        r = duly_cli(db_url, "campaign", "run", "--now", queued_at.isoformat())
        assert r.returncode == 0 and "P-69" in r.stdout, r.stdout + r.stderr
        with d.services.sessions() as s:
            (notice,) = s.scalars(select(Message).where(Message.kind == "notice")).all()
            assert (notice.to_number, notice.status) == (OLD, "deferred")   # waits for 08:00 (US-01)

        # the loan system changes the phone
        again = d.import_accounts(HEADER + _row("P-69", "Pat Kim", "+1 555 555 0170", "500.00"),
                                  today=dt.date(2026, 11, 30))
        assert (again.updated, again.errors) == (1, [])
        assert [(line, "phone changed: old number +15555550169 detached" in text)
                for line, text in again.warnings] == [(2, True)]

        # the queued text to the old number is refused at dispatch, not sent
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:00:00Z")   # 09:00 Chicago
        assert w.returncode == 0, w.stderr
        with d.services.sessions() as s:
            m = s.get(Message, notice.id)
            assert m.status == "refused" and m.sent_at is None
            last = s.scalar(select(Decision).where(Decision.message_id == m.id)
                            .order_by(Decision.id.desc()).limit(1))
            assert (last.rule, last.verdict, last.detail["stage"]) == ("US-12", "refuse", "dispatch")
            sent_to_old = s.scalars(select(Message).where(
                Message.to_number == OLD, Message.direction == "outbound",
                Message.status.not_in(("refused", "deferred")))).all()
            assert sent_to_old == []

        # the old number texting in is an unknown number: told nothing about the debt
        d.clock.now = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.timezone.utc)
        for text in ("what's my balance", "pay", "who is this"):
            for body in replies_in(d.sms(text, frm=OLD).text):
                assert "$" not in body and "Pat" not in body and "Northwind" not in body, body
                assert "P-69" not in body and "0169" not in body
        # the new number is Pat's
        told = " ".join(replies_in(d.sms("what's my balance", frm=NEW).text))
        assert "$500.00" in told and "Pat" in told, told


def test_two_holders_on_one_phone_e2e(db_url):
    from tests.live import Clock, Duly, replies_in

    with Duly(db_url, clock=Clock(dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.timezone.utc))) as d:
        report = d.import_accounts(HEADER + _row("T-1", "Alex Good", "+1 555 555 0111", "250.00")
                                   + _row("T-15", "Zed Shared", "+1 555 555 0111", "400.00", "Other Bank"),
                                   today=dt.date(2026, 11, 30))
        assert (report.created, report.errors) == (2, [])
        assert [line for line, _ in report.warnings] == [3]
        assert "also belongs to account_ref T-1 of another holder" in report.warnings[0][1]

        first = replies_in(d.sms("balance", frm=SHARED).text)
        assert first == ["Thanks. A member of our team will get back to you soon."], first
        for text in ("2", "what's my balance", "T-15"):
            assert replies_in(d.sms(text, frm=SHARED).text) == []      # a person has it (G-01)
        conv = d.conversation(SHARED)
        assert conv["mode"] == "agent"
        for m in conv["messages"]:
            if m["direction"] == "outbound":
                for secret in ("Alex", "Zed", "Northwind", "Other Bank", "T-1", "T-15", "$"):
                    assert secret not in (m["body"] or ""), m["body"]
