"""Payments posted by the loan system: apply once, settle arrangements, reverse.

``POST /api/payments`` and ``POST /api/payments/reverse`` (``duly/api.py``) call
:func:`apply_payment` and :func:`reverse_payment` inside one transaction each.

Applying a payment (amounts in integer minor units of the account's currency):

* **once per** ``payment_ref`` — the ``payments.payment_ref`` unique constraint is
  the final word: the insert runs in a SAVEPOINT and an ``IntegrityError`` (a repeat,
  or a concurrent repeat that committed first) answers ``duplicate`` and changes
  nothing. The account row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL;
  SQLite writers are serialised by ``BEGIN IMMEDIATE``), so payments to one account
  apply one after the other.
* **balance and past-due** go down by the amount, never below zero. What was really
  taken off each (``applied_balance_minor``, ``applied_past_due_minor``) and the
  delinquency date it cleared are written to the append-only decision log (rule
  ``payment``) so a reversal puts back exactly that.
* **dunning stops** when the past-due amount reaches zero (which includes a cleared
  balance): ``delinquent_since`` is cleared, DPD becomes 0 and the cadence skips the
  account. (A later import that says the account is past due again starts a new
  delinquency episode.)
* **promises**: a pending promise (oldest first) is *kept* when the non-reversed
  payments dated (customer's zone) on or after the day it was made, less what earlier
  promises kept in the same pass consumed, cover its amount; ``payment_id`` (the payment
  that completed it) and ``settled_at`` are set. A promise the sweep already marked
  *broken* is kept too when this payment is dated on or before its due date (a
  payment posted late by the loan system). G-02: kept/broken comes from the ledger.
* **instalments**: for each active plan, missed then pending instalments, oldest due
  first, are *paid* while the plan's credit (non-reversed payments dated on or after
  the day the plan was agreed, less instalments already paid) covers each in full;
  a plan whose instalments are all paid becomes ``completed``.
* events: ``payment.applied``, ``promise.kept``, ``instalment.paid``.

Reversing (a returned payment): ``reversed_at`` is set once; the balance and past-due
go back up by what the payment took off, ``delinquent_since`` comes back if this payment
had cleared it, and promises/instalments whose ``payment_id`` is this payment are settled
again against the remaining payments by the rules above (G-02: a promise another payment
still covers stays *kept*, its ``payment_id`` now that payment — ``promises_still_kept``,
``instalments_still_paid``); the rest reopen (``pending``; the sweep marks them
broken/missed again if their date has passed), and a completed plan with an instalment
reopened becomes ``active``. One arrangement per debt (G-02): a kept promise that an
active plan or a pending promise agreed after it has replaced becomes ``superseded``
instead (``promises_superseded``). Event ``payment.reversed``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.money import from_minor
from storage.accounts import MAX_MINOR
from runner.events import record_event
from storage.models import Account, Decision, Instalment, Payment, Plan, Promise

__all__ = ["PaymentResult", "ReversalResult", "PaymentError", "apply_payment", "reverse_payment",
           "amount_str"]


class PaymentError(ValueError):
    """The request cannot be applied. ``status``: the HTTP status the API answers
    (404 unknown account or payment, 422 invalid)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class PaymentResult:
    """What :func:`apply_payment` did. Amounts in minor units."""

    payment_id: int
    duplicate: bool
    account_ref: str
    currency: str
    amount_minor: int
    balance_minor: int
    past_due_minor: int
    delinquent: bool
    promises_kept: list[int] = field(default_factory=list)
    instalments_paid: list[int] = field(default_factory=list)


@dataclass
class ReversalResult:
    """What :func:`reverse_payment` did."""

    payment_id: int
    duplicate: bool
    account_ref: str
    balance_minor: int
    past_due_minor: int
    promises_reopened: list[int] = field(default_factory=list)
    instalments_reopened: list[int] = field(default_factory=list)
    #: promises/instalments the reversed payment had settled that the account's other
    #: payments still cover: settled again by one of them (G-02), not reopened
    promises_still_kept: list[int] = field(default_factory=list)
    instalments_still_paid: list[int] = field(default_factory=list)
    #: kept promises a plan or newer promise agreed since then replaced (``superseded``)
    promises_superseded: list[int] = field(default_factory=list)


def amount_str(minor: int, currency: str) -> str:
    """Minor units as a major-unit decimal string (``5000, "USD"`` → ``"50.00"``)."""
    return str(from_minor(minor, currency))


def _zone(account: Account) -> ZoneInfo:
    try:
        return ZoneInfo(account.timezone or "UTC")
    except Exception:  # noqa: BLE001 - an unknown zone never blocks a payment
        return ZoneInfo("UTC")


def _local_date(when: dt.datetime, zone: ZoneInfo) -> dt.date:
    return when.astimezone(zone).date()


def _lock_account(session: Session, *, account_ref: str | None = None,
                  account_id: int | None = None) -> Account | None:
    q = select(Account)
    q = q.where(Account.account_ref == account_ref) if account_ref is not None else q.where(
        Account.id == account_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return session.scalar(q)


def apply_payment(session: Session, *, account_ref: str, amount_minor: int, paid_at: dt.datetime,
                  payment_ref: str, now: dt.datetime, currency: str | None = None,
                  actor: str = "api") -> PaymentResult:
    """Record and apply one payment (see the module docstring). The caller commits.

    amount_minor: > 0, minor units of the account's currency (``currency``, when given,
    must equal it). paid_at / now: aware UTC. Raises :class:`PaymentError` (404 unknown
    ``account_ref``; 422 bad amount, currency mismatch, or a ``payment_ref`` already
    used for another account or amount).
    """
    if amount_minor <= 0:
        raise PaymentError("amount must be greater than zero")
    if amount_minor > MAX_MINOR:
        raise PaymentError("amount is larger than any account Duly holds")
    acct = _lock_account(session, account_ref=account_ref)
    if acct is None:
        raise PaymentError(f"unknown account_ref {account_ref!r}", 404)
    if currency is not None and currency.upper() != acct.currency:
        raise PaymentError(f"currency {currency!r} is not the account's currency {acct.currency}")

    existing = session.scalar(select(Payment).where(Payment.payment_ref == payment_ref))
    if existing is None:
        try:
            with session.begin_nested():
                pay = Payment(payment_ref=payment_ref, account_id=acct.id, amount_minor=amount_minor,
                              currency=acct.currency, paid_at=paid_at, created_at=now)
                session.add(pay)
                session.flush()
        except IntegrityError:
            existing = session.scalar(select(Payment).where(Payment.payment_ref == payment_ref))
            if existing is None:  # pragma: no cover - the constraint named something else
                raise
    if existing is not None:
        if existing.account_id != acct.id or existing.amount_minor != amount_minor:
            raise PaymentError(f"payment_ref {payment_ref!r} was already used for a different "
                               "account or amount")
        return PaymentResult(existing.id, True, acct.account_ref, acct.currency, existing.amount_minor,
                             acct.balance_minor, acct.past_due_minor, acct.delinquent_since is not None)

    took_balance = min(amount_minor, max(0, acct.balance_minor))
    took_past_due = min(amount_minor, max(0, acct.past_due_minor))
    acct.balance_minor -= took_balance
    acct.past_due_minor -= took_past_due
    cleared_since = None
    if acct.past_due_minor == 0 and acct.delinquent_since is not None:
        cleared_since = acct.delinquent_since
        acct.delinquent_since = None
    acct.updated_at = now
    session.add(Decision(account_id=acct.id, rule="payment", verdict="record", actor=actor,
                         created_at=now, detail={
                             "payment_ref": payment_ref, "payment_id": pay.id,
                             "amount_minor": amount_minor,
                             "applied_balance_minor": took_balance,
                             "applied_past_due_minor": took_past_due,
                             "cleared_delinquent_since": cleared_since.isoformat() if cleared_since else None}))
    result = PaymentResult(pay.id, False, acct.account_ref, acct.currency, amount_minor,
                           acct.balance_minor, acct.past_due_minor, acct.delinquent_since is not None)
    record_event(session, "payment.applied", account_id=acct.id, now=now, payload={
        "payment_ref": payment_ref, "amount": amount_str(amount_minor, acct.currency),
        "currency": acct.currency, "paid_at": paid_at.isoformat(),
        "balance": amount_str(acct.balance_minor, acct.currency),
        "past_due": amount_str(acct.past_due_minor, acct.currency),
        "dunning_stopped": cleared_since is not None})
    _settle(session, acct, pay, now, result)
    return result


def _payments(session: Session, account_id: int) -> list[Payment]:
    return list(session.scalars(select(Payment).where(
        Payment.account_id == account_id, Payment.reversed_at.is_(None)).order_by(Payment.paid_at, Payment.id)))


def _settle(session: Session, acct: Account, pay: Payment, now: dt.datetime,
            result: PaymentResult) -> None:
    """Keep promises and pay instalments the account's payments now cover."""
    zone = _zone(acct)
    payments = _payments(session, acct.id)
    paid_day = _local_date(pay.paid_at, zone)

    # promises: pending (and broken ones this payment arrived in time for), oldest first
    promises = session.scalars(select(Promise).where(
        Promise.account_id == acct.id,
        (Promise.status == "pending") | ((Promise.status == "broken") & (Promise.due_date >= paid_day)))
        .order_by(Promise.created_at, Promise.id)).all()
    consumed = 0
    for p in promises:
        made = _local_date(p.created_at, zone)
        pool = sum(x.amount_minor for x in payments if _local_date(x.paid_at, zone) >= made) - consumed
        if pool >= p.amount_minor:
            consumed += p.amount_minor
            was = p.status
            p.status, p.payment_id, p.settled_at, p.updated_at = "kept", pay.id, now, now
            session.add(Decision(account_id=acct.id, conversation_id=p.conversation_id, rule="G-02",
                                 verdict="record", actor="system", created_at=now,
                                 detail={"promise_id": p.id, "kept": True, "was": was,
                                         "payment_ref": pay.payment_ref}))
            record_event(session, "promise.kept", account_id=acct.id, conversation_id=p.conversation_id,
                         now=now, payload={"promise_id": p.id, "amount": amount_str(p.amount_minor, p.currency),
                                           "due_date": p.due_date.isoformat(),
                                           "payment_ref": pay.payment_ref})
            result.promises_kept.append(p.id)

    # instalments: per active plan, missed then pending, oldest due first
    plans = session.scalars(select(Plan).where(Plan.account_id == acct.id, Plan.status == "active")
                            .order_by(Plan.id)).all()
    for plan in plans:
        agreed = _local_date(plan.created_at, zone)
        credit = sum(x.amount_minor for x in payments if _local_date(x.paid_at, zone) >= agreed)
        credit -= session.scalar(select(func.coalesce(func.sum(Instalment.amount_minor), 0)).where(
            Instalment.plan_id == plan.id, Instalment.status == "paid")) or 0
        open_ = session.scalars(select(Instalment).where(
            Instalment.plan_id == plan.id, Instalment.status.in_(("pending", "missed")))
            .order_by(Instalment.due_date, Instalment.seq)).all()
        for inst in open_:
            if credit < inst.amount_minor:
                break
            credit -= inst.amount_minor
            inst.status, inst.payment_id, inst.paid_at = "paid", pay.id, now
            record_event(session, "instalment.paid", account_id=acct.id, conversation_id=plan.conversation_id,
                         now=now, payload={"plan_id": plan.id, "instalment_id": inst.id, "seq": inst.seq,
                                           "amount": amount_str(inst.amount_minor, plan.currency),
                                           "due_date": inst.due_date.isoformat(),
                                           "payment_ref": pay.payment_ref})
            result.instalments_paid.append(inst.id)
        session.flush()
        left = session.scalar(select(func.count(Instalment.id)).where(
            Instalment.plan_id == plan.id, Instalment.status != "paid")) or 0
        if left == 0:
            plan.status, plan.updated_at = "completed", now
    session.flush()


def reverse_payment(session: Session, *, payment_ref: str, now: dt.datetime,
                    reason: str | None = None, actor: str = "api") -> ReversalResult:
    """Reverse (return) the payment ``payment_ref`` once (see the module docstring).
    The caller commits. A second reversal answers ``duplicate=True`` and changes
    nothing. Raises :class:`PaymentError` (404) for an unknown ``payment_ref``."""
    pay = session.scalar(select(Payment).where(Payment.payment_ref == payment_ref))
    if pay is None:
        raise PaymentError(f"unknown payment_ref {payment_ref!r}", 404)
    acct = _lock_account(session, account_id=pay.account_id)
    session.refresh(pay)  # re-read under the account lock
    if pay.reversed_at is not None:
        return ReversalResult(pay.id, True, acct.account_ref, acct.balance_minor, acct.past_due_minor)
    applied = None
    for d in session.scalars(select(Decision).where(Decision.account_id == acct.id,
                                                    Decision.rule == "payment")
                             .order_by(Decision.id.desc())):
        if (d.detail or {}).get("payment_id") == pay.id:
            applied = d.detail
            break
    took_balance = int(applied["applied_balance_minor"]) if applied else pay.amount_minor
    took_past_due = int(applied["applied_past_due_minor"]) if applied else pay.amount_minor
    pay.reversed_at = now
    acct.balance_minor += took_balance
    acct.past_due_minor += took_past_due
    cleared = applied.get("cleared_delinquent_since") if applied else None
    if cleared and acct.delinquent_since is None and acct.past_due_minor > 0:
        acct.delinquent_since = dt.date.fromisoformat(cleared)
    acct.updated_at = now
    result = ReversalResult(pay.id, False, acct.account_ref, acct.balance_minor, acct.past_due_minor)
    reopened: list[Promise] = []
    # newest first: a promise reopened here is the one an older one would overlap
    for p in session.scalars(select(Promise).where(Promise.payment_id == pay.id).order_by(Promise.id.desc())):
        replaced = session.scalar(select(func.count()).select_from(Plan).where(
            Plan.account_id == acct.id, Plan.status == "active", Plan.created_at > p.created_at)) or \
            session.scalar(select(func.count()).select_from(Promise).where(
                Promise.account_id == acct.id, Promise.status == "pending", Promise.id != p.id,
                Promise.created_at > p.created_at))
        if replaced:
            # one arrangement per debt (G-02): a plan or promise agreed since it was kept
            # replaced it; it does not come back beside them
            p.status, p.payment_id, p.settled_at, p.updated_at = "superseded", None, None, now
            result.promises_superseded.append(p.id)
            continue
        p.status, p.payment_id, p.settled_at, p.updated_at = "pending", None, None, now
        reopened.append(p)
    reopened.sort(key=lambda p: (p.created_at, p.id))
    unpaid = list(session.scalars(select(Instalment).where(Instalment.payment_id == pay.id)
                                  .order_by(Instalment.due_date, Instalment.seq)))
    for inst in unpaid:
        inst.status, inst.payment_id, inst.paid_at = "pending", None, None
    session.flush()
    # G-02: what the other payments still cover stays kept/paid (re-settled, never reopened)
    kept, paid = _resettle(session, acct, pay, reopened, {i.plan_id for i in unpaid}, now)
    result.promises_reopened = [p.id for p in reopened if p.id not in kept]
    result.promises_still_kept = kept
    result.instalments_reopened = [i.id for i in unpaid if i.id not in paid]
    result.instalments_still_paid = paid
    plan_ids = {i.plan_id for i in unpaid}
    for plan in session.scalars(select(Plan).where(Plan.id.in_(plan_ids or {-1}), Plan.status == "completed")):
        left = session.scalar(select(func.count(Instalment.id)).where(
            Instalment.plan_id == plan.id, Instalment.status != "paid")) or 0
        if left:
            plan.status, plan.updated_at = "active", now
    session.add(Decision(account_id=acct.id, rule="payment", verdict="reverse", actor=actor, created_at=now,
                         detail={"payment_ref": payment_ref, "payment_id": pay.id, "reason": reason,
                                 "restored_balance_minor": took_balance,
                                 "restored_past_due_minor": took_past_due,
                                 "promises_reopened": result.promises_reopened,
                                 "promises_still_kept": result.promises_still_kept,
                                 "promises_superseded": result.promises_superseded,
                                 "instalments_reopened": result.instalments_reopened,
                                 "instalments_still_paid": result.instalments_still_paid}))
    record_event(session, "payment.reversed", account_id=acct.id, now=now, payload={
        "payment_ref": payment_ref, "amount": amount_str(pay.amount_minor, pay.currency),
        "currency": pay.currency, "reason": reason,
        "balance": amount_str(acct.balance_minor, acct.currency),
        "past_due": amount_str(acct.past_due_minor, acct.currency),
        "promises_reopened": result.promises_reopened,
        "promises_still_kept": result.promises_still_kept,
        "instalments_reopened": result.instalments_reopened,
        "instalments_still_paid": result.instalments_still_paid})
    session.flush()
    return result


def _resettle(session: Session, acct: Account, reversed_pay: Payment, promises: list[Promise],
              plan_ids: set[int], now: dt.datetime) -> tuple[list[int], list[int]]:
    """After ``reversed_pay`` is reversed, settle the ``promises`` it had kept and the
    instalments of ``plan_ids`` it had paid again against the account's remaining
    payments, by :func:`_settle`'s rules (G-02: kept/broken comes from the ledger — a
    promise another payment covers stays kept, and the customer is never told "we
    haven't seen your payment"). A promise: the non-reversed payments dated (customer's
    zone) on or after the day it was made — on or before its due date once that date has
    passed — less the promises they already keep, cover its amount. An instalment: the
    plan's credit (payments on or after the day it was agreed, less instalments paid)
    covers it, missed then pending, oldest due first. The settling payment is the latest
    one counted. Each re-settlement writes a decision (``was`` the reversed payment).
    Returns ``(promise ids kept again, instalment ids paid again)``."""
    zone = _zone(acct)
    payments = _payments(session, acct.id)
    today = _local_date(now, zone)
    kept: list[int] = []
    paid: list[int] = []
    if promises:
        others = session.execute(select(Promise.amount_minor, Payment.paid_at)
                                 .join(Payment, Payment.id == Promise.payment_id)
                                 .where(Promise.account_id == acct.id, Promise.status == "kept",
                                        Payment.reversed_at.is_(None))).all()
        consumed = 0
        for p in promises:
            made = _local_date(p.created_at, zone)
            last = p.due_date if today > p.due_date else None
            covering = [x for x in payments if _local_date(x.paid_at, zone) >= made
                        and (last is None or _local_date(x.paid_at, zone) <= last)]
            taken = sum(amt for amt, at in others if _local_date(at, zone) >= made)
            pool = sum(x.amount_minor for x in covering) - taken - consumed
            if not covering or pool < p.amount_minor:
                continue
            consumed += p.amount_minor
            by = covering[-1]
            p.status, p.payment_id, p.settled_at, p.updated_at = "kept", by.id, now, now
            session.add(Decision(account_id=acct.id, conversation_id=p.conversation_id, rule="G-02",
                                 verdict="record", actor="system", created_at=now,
                                 detail={"promise_id": p.id, "kept": True, "was": "kept",
                                         "payment_ref": by.payment_ref,
                                         "reversed_payment_ref": reversed_pay.payment_ref}))
            kept.append(p.id)
    for plan in session.scalars(select(Plan).where(Plan.id.in_(plan_ids or {-1}),
                                                   Plan.status.in_(("active", "completed")))
                                .order_by(Plan.id)):
        agreed = _local_date(plan.created_at, zone)
        credit = sum(x.amount_minor for x in payments if _local_date(x.paid_at, zone) >= agreed)
        credit -= session.scalar(select(func.coalesce(func.sum(Instalment.amount_minor), 0)).where(
            Instalment.plan_id == plan.id, Instalment.status == "paid")) or 0
        covering = [x for x in payments if _local_date(x.paid_at, zone) >= agreed]
        open_ = session.scalars(select(Instalment).where(
            Instalment.plan_id == plan.id, Instalment.status.in_(("pending", "missed")))
            .order_by(Instalment.due_date, Instalment.seq)).all()
        for inst in open_:
            if not covering or credit < inst.amount_minor:
                break
            credit -= inst.amount_minor
            inst.status, inst.payment_id, inst.paid_at = "paid", covering[-1].id, now
            session.add(Decision(account_id=acct.id, conversation_id=plan.conversation_id, rule="G-02",
                                 verdict="record", actor="system", created_at=now,
                                 detail={"plan_id": plan.id, "instalment_id": inst.id, "paid": True,
                                         "payment_ref": covering[-1].payment_ref,
                                         "reversed_payment_ref": reversed_pay.payment_ref}))
            paid.append(inst.id)
    session.flush()
    return kept, paid
