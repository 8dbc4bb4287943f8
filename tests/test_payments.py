"""POST /api/payments and /api/payments/reverse through uvicorn, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from storage.models import Account, Conversation, Event, Instalment, Payment, Plan, Promise
from tests.live import API_TOKEN, MONDAY_10_NY, Duly

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,creditor,consent_source
ACME-1,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,Northwind Card,application
ACME-2,Eli Stone,(555) 555-0102,100.00,30,100.00,25.00,USD,America/Chicago,Northwind Card,application
"""


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        report = d.import_accounts(ACCOUNTS)
        assert report.errors == [], report.errors
        d.clock.now = dt.datetime(2027, 1, 20, 15, tzinfo=dt.timezone.utc)  # payments dated before it
        yield d


def pay(duly, ref, amount, account="ACME-1", paid_at="2026-11-30", **kw):
    body = {"account_ref": account, "amount": amount, "paid_at": paid_at, "payment_ref": ref, **kw}
    return duly.http.post("/api/payments", json=body, headers=AUTH)


def account(duly, ref="ACME-1") -> Account:
    with duly.services.sessions() as s:
        return s.scalar(select(Account).where(Account.account_ref == ref))


def events(duly) -> list[str]:
    with duly.services.sessions() as s:
        return list(s.scalars(select(Event.kind).order_by(Event.id)))


def add_promise(duly, amount_minor, due, created=MONDAY_10_NY, ref="ACME-1") -> int:
    with duly.services.sessions() as s, s.begin():
        a = s.scalar(select(Account).where(Account.account_ref == ref))
        p = Promise(account_id=a.id, amount_minor=amount_minor, currency="USD", due_date=due,
                    status="pending", source="api", created_at=created, updated_at=created)
        s.add(p)
        s.flush()
        return p.id


def add_plan(duly, amounts_dues, created=MONDAY_10_NY, ref="ACME-1") -> int:
    with duly.services.sessions() as s, s.begin():
        a = s.scalar(select(Account).where(Account.account_ref == ref))
        plan = Plan(account_id=a.id, kind="instalments", total_minor=sum(x for x, _ in amounts_dues),
                    currency="USD", status="active", source="api", created_at=created, updated_at=created)
        s.add(plan)
        s.flush()
        for i, (amt, due) in enumerate(amounts_dues, start=1):
            s.add(Instalment(plan_id=plan.id, seq=i, due_date=due, amount_minor=amt, status="pending"))
        return plan.id


def test_payment_validation(duly):
    assert pay(duly, "P-0", "10.001").status_code == 422          # more decimals than USD
    assert pay(duly, "P-0", 10.001).status_code == 422
    assert pay(duly, "P-0", "0").status_code == 422
    assert pay(duly, "P-0", "-5").status_code == 422
    assert pay(duly, "P-0", "1e3").status_code == 422
    assert pay(duly, "P-0", "10", currency="EUR").status_code == 422
    assert pay(duly, "P-0", "10", paid_at="yesterday").status_code == 422
    assert pay(duly, "P-0", "10", paid_at="2027-02-01").status_code == 422  # in the future
    assert pay(duly, "P-0", "10", account="NOPE").status_code == 404
    r = duly.http.post("/api/payments", json={"amount": "10"}, headers=AUTH)
    assert r.status_code == 422 and set(r.json()["fields"]) == {"account_ref", "payment_ref"}
    assert duly.http.post("/api/payments", content=b"{", headers=AUTH).status_code == 400
    assert duly.http.post("/api/payments", json=[1], headers=AUTH).status_code == 400
    assert events(duly) == []


def test_payment_once_per_ref(duly):
    r = pay(duly, "P-1", "100.00")
    assert r.status_code == 200, r.text
    assert r.json()["duplicate"] is False and r.json()["balance"] == "1150.00"
    assert r.json()["past_due"] == "212.50"
    again = pay(duly, "P-1", "100.00")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["balance"] == "1150.00"
    a = account(duly)
    assert (a.balance_minor, a.past_due_minor) == (115000, 21250)
    assert events(duly) == ["payment.applied"]
    # the same ref for another amount is refused, not applied
    assert pay(duly, "P-1", "5.00").status_code == 422


def test_payment_once_per_ref_concurrently(duly):
    results: list[int] = []
    barrier = threading.Barrier(8)

    def go():
        barrier.wait()
        r = pay(duly, "P-C", "50.00")
        results.append((r.status_code, r.json().get("duplicate")))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [(200, False)] + [(200, True)] * 7
    a = account(duly)
    assert a.balance_minor == 125000 - 5000 and a.past_due_minor == 31250 - 5000
    with duly.services.sessions() as s:
        assert s.scalar(select(func.count(Payment.id))) == 1
    assert events(duly) == ["payment.applied"]


def test_payment_never_below_zero_and_stops_dunning(duly):
    assert account(duly, "ACME-2").delinquent_since is not None
    r = pay(duly, "P-2", "150", account="ACME-2")
    assert r.json()["balance"] == "0.00" and r.json()["past_due"] == "0.00"
    assert r.json()["delinquent"] is False
    a = account(duly, "ACME-2")
    assert (a.balance_minor, a.past_due_minor, a.delinquent_since) == (0, 0, None)
    assert a.dpd(dt.date(2026, 12, 30)) == 0  # the cadence skips it


def test_promise_kept_by_payment(duly):
    pid = add_promise(duly, 5000, dt.date(2026, 12, 4))
    r = pay(duly, "P-3", "30.00", paid_at="2026-12-01")
    assert r.json()["promises_kept"] == []
    r = pay(duly, "P-4", "20.00", paid_at="2026-12-02")
    assert r.json()["promises_kept"] == [pid]
    with duly.services.sessions() as s:
        p = s.get(Promise, pid)
        payment = s.scalar(select(Payment).where(Payment.payment_ref == "P-4"))
        assert p.status == "kept" and p.payment_id == payment.id and p.settled_at is not None
    assert events(duly) == ["payment.applied", "payment.applied", "promise.kept"]
    assert duly.conversation("+15555550101")["promises"][0]["status"] == "kept"


def test_payment_before_the_promise_does_not_keep_it(duly):
    pay(duly, "P-early", "50.00", paid_at="2026-11-20")
    pid = add_promise(duly, 5000, dt.date(2026, 12, 4))
    pay(duly, "P-later", "10.00", paid_at="2026-12-01")
    with duly.services.sessions() as s:
        assert s.get(Promise, pid).status == "pending"


def test_instalments_paid_oldest_first(duly):
    plan_id = add_plan(duly, [(10000, dt.date(2026, 12, 15)), (10000, dt.date(2027, 1, 15))])
    r = pay(duly, "P-5", "150.00", paid_at="2026-12-10")
    assert len(r.json()["instalments_paid"]) == 1
    r = pay(duly, "P-6", "50.00", paid_at="2027-01-10")
    assert len(r.json()["instalments_paid"]) == 1
    with duly.services.sessions() as s:
        inst = s.scalars(select(Instalment).where(Instalment.plan_id == plan_id).order_by(Instalment.seq)).all()
        assert [i.status for i in inst] == ["paid", "paid"]
        assert s.get(Plan, plan_id).status == "completed"
    assert events(duly).count("instalment.paid") == 2


def test_reversal_reopens_promise_and_restores_balance(duly):
    pid = add_promise(duly, 5000, dt.date(2026, 12, 4))
    pay(duly, "P-7", "312.50", paid_at="2026-12-01")  # clears past-due: dunning stops
    a = account(duly)
    assert a.delinquent_since is None and a.past_due_minor == 0
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-7", "reason": "NSF"}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["promises_reopened"] == [pid] and r.json()["balance"] == "1250.00"
    a = account(duly)
    assert (a.balance_minor, a.past_due_minor) == (125000, 31250)
    assert a.delinquent_since is not None  # dunning resumes
    with duly.services.sessions() as s:
        p = s.get(Promise, pid)
        assert (p.status, p.payment_id, p.settled_at) == ("pending", None, None)
    again = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-7"}, headers=AUTH)
    assert again.json()["duplicate"] is True and again.json()["balance"] == "1250.00"
    assert duly.http.post("/api/payments/reverse", json={"payment_ref": "NOPE"}, headers=AUTH).status_code == 404
    assert events(duly) == ["payment.applied", "promise.kept", "payment.reversed"]


def test_reversal_does_not_reopen_a_promise_a_plan_replaced_since(duly):
    """One arrangement per debt (G-02): a promise kept on 1 Dec, a plan agreed on 2 Dec, the
    payment returned on 20 Jan — the promise does not come back beside the plan (it would
    be reminded and broken while the customer pays the plan): it is ``superseded``."""
    pid = add_promise(duly, 5000, dt.date(2026, 12, 4))
    pay(duly, "P-10", "50.00", paid_at="2026-12-01")
    plan_id = add_plan(duly, [(10000, dt.date(2027, 2, 15))],
                       created=dt.datetime(2026, 12, 2, 15, tzinfo=dt.timezone.utc))
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-10"}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert (r.json()["promises_reopened"], r.json()["promises_superseded"]) == ([], [pid])
    with duly.services.sessions() as s:
        p = s.get(Promise, pid)
        assert (p.status, p.payment_id, p.settled_at) == ("superseded", None, None)
        assert s.get(Plan, plan_id).status == "active"


def test_reversal_of_an_overpayment_puts_back_only_what_was_applied(duly):
    pay(duly, "P-8", "150.00", account="ACME-2")
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-8"}, headers=AUTH)
    assert r.json()["balance"] == "100.00" and r.json()["past_due"] == "100.00"


def test_reversal_reopens_instalment(duly):
    plan_id = add_plan(duly, [(10000, dt.date(2026, 12, 15))])
    pay(duly, "P-9", "100.00", paid_at="2026-12-10")
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-9"}, headers=AUTH)
    assert len(r.json()["instalments_reopened"]) == 1
    with duly.services.sessions() as s:
        assert s.get(Plan, plan_id).status == "active"
        i = s.scalar(select(Instalment).where(Instalment.plan_id == plan_id))
        assert (i.status, i.payment_id, i.paid_at) == ("pending", None, None)


def test_G_02_reversal_resettles_against_the_other_payments(duly):
    """G-02: a reversed payment's promise and instalment stay settled when another
    payment still covers them (settled again by that payment), and reopen only for
    what nothing covers any more."""
    pid = add_promise(duly, 5000, dt.date(2026, 12, 4))
    pay(duly, "P-A", "50.00", paid_at="2026-12-01")
    pay(duly, "P-B", "50.00", paid_at="2026-12-01")
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-A"}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert (r.json()["promises_reopened"], r.json()["promises_still_kept"]) == ([], [pid])
    with duly.services.sessions() as s:
        p = s.get(Promise, pid)
        b = s.scalar(select(Payment.id).where(Payment.payment_ref == "P-B"))
        assert (p.status, p.payment_id) == ("kept", b)
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-B"}, headers=AUTH)
    assert (r.json()["promises_reopened"], r.json()["promises_still_kept"]) == ([pid], [])
    with duly.services.sessions() as s:
        assert s.get(Promise, pid).status == "pending"


def test_G_02_reversal_keeps_an_instalment_another_payment_covers(duly):
    plan_id = add_plan(duly, [(10000, dt.date(2026, 12, 15))])
    pay(duly, "P-C", "100.00", paid_at="2026-12-10")
    pay(duly, "P-D", "100.00", paid_at="2026-12-10")
    r = duly.http.post("/api/payments/reverse", json={"payment_ref": "P-C"}, headers=AUTH)
    assert r.json()["instalments_reopened"] == [] and len(r.json()["instalments_still_paid"]) == 1
    with duly.services.sessions() as s:
        assert s.get(Plan, plan_id).status == "completed"
        i = s.scalar(select(Instalment).where(Instalment.plan_id == plan_id))
        assert i.status == "paid"
        assert i.payment_id == s.scalar(select(Payment.id).where(Payment.payment_ref == "P-D"))
