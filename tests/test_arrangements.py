"""runner.arrangements.sweep: reminders once, promises broken, instalments missed (G-02)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from runner.arrangements import sweep
from storage.models import Account, CadenceSend, Conversation, Event, Instalment, Plan, Promise
from tests.live import API_TOKEN, Duly, replies_in

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,creditor,consent_source,language
ACME-1,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,Northwind Card,application,en
ACME-2,王芳,+86 138 0013 8000,2600.00,15,2600.00,300.00,CNY,Asia/Shanghai,北风消费金融,application,zh
"""
DANA = "+15555550101"
UTC = dt.timezone.utc


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        yield d


def promise_friday(duly) -> int:
    """Monday 30 Nov: "I can pay $50 on friday" → yes: a promise for Fri 4 Dec."""
    assert duly.sms("I can pay $50 on friday", frm=DANA).status_code == 200
    assert duly.sms("yes", frm=DANA).status_code == 200
    with duly.services.sessions() as s:
        p = s.scalar(select(Promise))
        assert (p.amount_minor, p.due_date, p.status) == (5000, dt.date(2026, 12, 4), "pending")
        return p.id


def run(duly, when: dt.datetime) -> dict:
    return sweep(duly.services.sessions, duly.settings, when)


def kinds(duly, phone=DANA) -> list[tuple[str, str]]:
    return [(m["kind"], m["body"]) for m in duly.conversation(phone)["messages"]
            if m["direction"] == "outbound" and m["kind"] in ("reminder", "followup")]


def test_promise_reminder_the_day_before_once(duly):
    pid = promise_friday(duly)
    assert run(duly, dt.datetime(2026, 12, 2, 16, tzinfo=UTC))["promise_reminders"] == 0   # Wed
    assert run(duly, dt.datetime(2026, 12, 3, 14, tzinfo=UTC))["promise_reminders"] == 0   # Thu 09:00 NY
    assert run(duly, dt.datetime(2026, 12, 3, 16, tzinfo=UTC))["promise_reminders"] == 1   # Thu 11:00 NY
    assert run(duly, dt.datetime(2026, 12, 3, 17, tzinfo=UTC))["promise_reminders"] == 0   # once
    assert run(duly, dt.datetime(2026, 12, 4, 16, tzinfo=UTC))["promise_reminders"] == 0
    msgs = kinds(duly)
    assert len(msgs) == 1 and msgs[0][0] == "reminder"
    assert "$50.00" in msgs[0][1] and "Fri Dec 4" in msgs[0][1] and "STOP" in msgs[0][1]
    with duly.services.sessions() as s:
        marker = s.scalar(select(CadenceSend).where(CadenceSend.step == f"promise_reminder:{pid}"))
        assert marker is not None and marker.message_id is not None


def test_G_02_broken_promise_gets_one_supportive_followup(duly):
    pid = promise_friday(duly)
    run(duly, dt.datetime(2026, 12, 3, 16, tzinfo=UTC))
    # still Friday in New York (23:30): not broken yet
    assert run(duly, dt.datetime(2026, 12, 5, 4, 30, tzinfo=UTC))["promises_broken"] == 0
    assert run(duly, dt.datetime(2026, 12, 5, 15, tzinfo=UTC))["promises_broken"] == 1
    assert run(duly, dt.datetime(2026, 12, 6, 15, tzinfo=UTC))["promises_broken"] == 0
    with duly.services.sessions() as s:
        assert s.get(Promise, pid).status == "broken"
        evs = s.scalars(select(Event.kind).order_by(Event.id)).all()
    assert evs.count("promise.broken") == 1 and "promise.made" in evs
    follow = [b for k, b in kinds(duly) if k == "followup"]
    assert len(follow) == 1
    text = follow[0].lower()
    assert "$50.00" in follow[0] and "stop" in text
    for punitive in ("fail", "legal", "action", "court", "late fee", "collection agency", "final"):
        assert punitive not in text


def test_kept_promise_gets_no_reminder_and_is_not_broken(duly):
    pid = promise_friday(duly)
    duly.clock.now = dt.datetime(2026, 12, 2, 15, tzinfo=UTC)
    r = duly.http.post("/api/payments", json={"account_ref": "ACME-1", "amount": "50.00",
                                              "paid_at": "2026-12-02", "payment_ref": "K-1"}, headers=AUTH)
    assert r.json()["promises_kept"] == [pid]
    run(duly, dt.datetime(2026, 12, 3, 16, tzinfo=UTC))
    run(duly, dt.datetime(2026, 12, 6, 16, tzinfo=UTC))
    assert kinds(duly) == []
    with duly.services.sessions() as s:
        assert s.get(Promise, pid).status == "kept"


def test_reversed_payment_reopens_then_breaks_without_a_second_followup(duly):
    pid = promise_friday(duly)
    duly.clock.now = dt.datetime(2026, 12, 2, 15, tzinfo=UTC)
    duly.http.post("/api/payments", json={"account_ref": "ACME-1", "amount": "50.00",
                                          "paid_at": "2026-12-02", "payment_ref": "K-2"}, headers=AUTH)
    run(duly, dt.datetime(2026, 12, 5, 15, tzinfo=UTC))
    duly.http.post("/api/payments/reverse", json={"payment_ref": "K-2"}, headers=AUTH)
    with duly.services.sessions() as s:
        assert s.get(Promise, pid).status == "pending"
    assert run(duly, dt.datetime(2026, 12, 8, 15, tzinfo=UTC))["promises_broken"] == 1
    assert len([k for k, _ in kinds(duly) if k == "followup"]) == 1


def test_promise_made_the_day_before_gets_no_reminder(duly):
    duly.clock.now = dt.datetime(2026, 12, 3, 15, tzinfo=UTC)  # Thursday: "pay 50 friday"
    promise_friday(duly)
    out = run(duly, dt.datetime(2026, 12, 3, 16, tzinfo=UTC))
    assert out["promise_reminders"] == 0 and out["skipped"] == 1


def _plan(duly, phone, ref, dues_amounts, currency="USD") -> int:
    with duly.services.sessions() as s, s.begin():
        a = s.scalar(select(Account).where(Account.account_ref == ref))
        conv = s.scalar(select(Conversation).where(Conversation.customer_phone == phone))
        plan = Plan(account_id=a.id, conversation_id=conv.id if conv else None, kind="instalments",
                    total_minor=sum(x for _, x in dues_amounts), currency=currency, status="active",
                    source="bot", created_at=dt.datetime(2026, 11, 30, 15, tzinfo=UTC),
                    updated_at=dt.datetime(2026, 11, 30, 15, tzinfo=UTC))
        s.add(plan)
        s.flush()
        for i, (due, amt) in enumerate(dues_amounts, start=1):
            s.add(Instalment(plan_id=plan.id, seq=i, due_date=due, amount_minor=amt, status="pending"))
        return plan.id


def test_instalments_reminded_paid_and_missed(duly):
    duly.sms("hi", frm=DANA)
    plan_id = _plan(duly, DANA, "ACME-1", [(dt.date(2026, 12, 10), 10000), (dt.date(2027, 1, 10), 10000)])
    assert run(duly, dt.datetime(2026, 12, 9, 16, tzinfo=UTC))["instalment_reminders"] == 1
    assert run(duly, dt.datetime(2026, 12, 9, 18, tzinfo=UTC))["instalment_reminders"] == 0
    duly.clock.now = dt.datetime(2026, 12, 10, 15, tzinfo=UTC)
    r = duly.http.post("/api/payments", json={"account_ref": "ACME-1", "amount": "100.00",
                                              "paid_at": "2026-12-10", "payment_ref": "I-1"}, headers=AUTH)
    assert len(r.json()["instalments_paid"]) == 1
    assert run(duly, dt.datetime(2026, 12, 12, 16, tzinfo=UTC))["instalments_missed"] == 0
    assert run(duly, dt.datetime(2027, 1, 9, 16, tzinfo=UTC))["instalment_reminders"] == 1
    assert run(duly, dt.datetime(2027, 1, 11, 16, tzinfo=UTC))["instalments_missed"] == 1
    assert run(duly, dt.datetime(2027, 1, 12, 16, tzinfo=UTC))["instalments_missed"] == 0
    with duly.services.sessions() as s:
        inst = s.scalars(select(Instalment).where(Instalment.plan_id == plan_id).order_by(Instalment.seq)).all()
        assert [i.status for i in inst] == ["paid", "missed"]
        evs = s.scalars(select(Event.kind).order_by(Event.id)).all()
    assert evs.count("instalment.paid") == 1 and evs.count("instalment.missed") == 1
    ks = [k for k, _ in kinds(duly)]
    assert ks == ["reminder", "reminder", "followup"]
    # a late payment cures the missed instalment and completes the plan
    duly.clock.now = dt.datetime(2027, 1, 15, 15, tzinfo=UTC)
    r = duly.http.post("/api/payments", json={"account_ref": "ACME-1", "amount": "100.00",
                                              "paid_at": "2027-01-15", "payment_ref": "I-2"}, headers=AUTH)
    assert len(r.json()["instalments_paid"]) == 1
    with duly.services.sessions() as s:
        assert s.get(Plan, plan_id).status == "completed"


def test_reminder_in_chinese_in_the_customers_zone(duly):
    fang = "+8613800138000"
    duly.sms("你好", frm=fang)
    _plan(duly, fang, "ACME-2", [(dt.date(2026, 12, 10), 50000)], currency="CNY")
    # 9 Dec 11:00 in Shanghai = 03:00 UTC
    assert run(duly, dt.datetime(2026, 12, 9, 3, tzinfo=UTC))["instalment_reminders"] == 1
    body = kinds(duly, fang)[0][1]
    assert "¥500.00" in body and "12月10日" in body and "退订" in body


def test_no_conversation_is_skipped_with_a_marker(duly):
    with duly.services.sessions() as s, s.begin():
        a = s.scalar(select(Account).where(Account.account_ref == "ACME-2"))
        s.add(Promise(account_id=a.id, amount_minor=100, currency="CNY", due_date=dt.date(2026, 12, 10),
                      status="pending", source="api", created_at=dt.datetime(2026, 11, 30, tzinfo=UTC),
                      updated_at=dt.datetime(2026, 11, 30, tzinfo=UTC)))
    out = run(duly, dt.datetime(2026, 12, 9, 3, tzinfo=UTC))
    assert out == {"promise_reminders": 0, "promises_broken": 0, "instalment_reminders": 0,
                   "instalments_missed": 0, "skipped": 1}
    with duly.services.sessions() as s:
        assert s.scalar(select(CadenceSend.rule)) == "no_conversation"
