"""Promise and plan lifecycle: reminders before the date, broken/missed after it.

The worker calls :func:`sweep` on every pass (``sweep(sessions, settings, now)``). Each
pass runs a handful of set-based queries (one per kind of work, no query per account to
find the work) and then one short transaction per item found:

=====================  =====================================================  ================
what                   when (dates in the customer's zone, ``accounts.timezone``) message kind
=====================  =====================================================  ================
promise reminder       pending promise; local date is the day before its date  ``reminder``
                       (or the day itself if the day before was missed) and the
                       local time is at least ``[reminders] reminder_time``;
                       not for a promise made on the day before or later (the
                       customer has just confirmed it)
promise broken         still pending after the end of its date (+ ``grace_days``) ``followup``
                       → ``broken``, event ``promise.broken``, a supportive
                       follow-up (G-02: never punitive)
instalment reminder    as for promises, for ``pending`` instalments of         ``reminder``
                       ``active`` plans
instalment missed      still pending after its date → ``missed``, event        ``followup``
                       ``instalment.missed``, a supportive follow-up
=====================  =====================================================  ================

A posted payment (``runner/payments.py``) is what marks promises kept and instalments
paid; the sweep only handles time passing.

Once only — the durable marker
------------------------------
Each reminder / follow-up is guarded by a :class:`storage.models.CadenceSend` row whose
unique key ``(account_id, step, delinquent_since)`` makes it happen once, across
workers and restarts: ``step`` is ``promise_reminder:<promise id>``,
``promise_followup:<promise id>``, ``instalment_reminder:<instalment id>`` or
``instalment_followup:<instalment id>`` and ``delinquent_since`` holds the promise's or
instalment's due date. The marker is inserted in a SAVEPOINT in the same transaction
as the message (an ``IntegrityError`` means another worker did it). Its ``status`` is
``queued`` (message stored: ``message_id``), ``held`` (the gate refused it: ``rule``) or
``skipped`` (``rule``: ``no_conversation`` — no conversation/phone to text — or
``recent_promise``). A reminder for a promise that is reopened by a reversed payment is
not sent twice.

Messages go through :func:`runner.outbound.submit` (the one send path; the gate decides
hours, holds, opt-outs, caps), sender ``system``, templates ``promise_reminder``,
``promise_followup``, ``instalment_reminder``, ``instalment_followup`` from the
conversation's script (falling back to the shipped default script when a conversation
pins an older revision without them).

Config ``[reminders]``: ``reminder_time`` (``"HH:MM"`` local, default ``"10:00"``),
``grace_days`` (default 0: broken/missed the day after the date).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import dialogs, templates
from bot.dialogs.engine import format_date
from bot import disclosures
from duly.config import creditor_contact
from bot.money import format_money
from runner import outbound
from runner.events import record_event
from runner.payments import amount_str
from storage.models import (Account, CadenceSend, Conversation, Decision, Instalment, Phone, Plan,
                            Promise, ScriptRevision)

log = logging.getLogger("duly.arrangements")

__all__ = ["sweep", "marker_step"]


def marker_step(what: str, row_id: int) -> str:
    """The ``cadence_sends.step`` of a marker: ``what`` is ``promise_reminder``,
    ``promise_followup``, ``instalment_reminder`` or ``instalment_followup``."""
    return f"{what}:{row_id}"


def _conf(settings: Any) -> Mapping[str, Any]:
    return (getattr(settings, "behaviour", None) or {}).get("reminders", {}) or {}


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:  # noqa: BLE001
        return ZoneInfo("UTC")


def _no_marker(account_col: Any, what: str, id_col: Any) -> Any:
    step = literal(what + ":") + cast(id_col, String)
    return ~exists().where(CadenceSend.account_id == account_col, CadenceSend.step == step)


class _Scripts:
    """Scripts by revision id, with the shipped default as fallback."""

    def __init__(self, session: Session, settings: Any):
        self.session = session
        self.cache: dict[int | None, Any] = {}
        self.name = str((getattr(settings, "behaviour", None) or {}).get("script", "default"))

    def default(self) -> Any:
        if None not in self.cache:
            self.cache[None] = dialogs.load_script(dialogs.default_script_text())
        return self.cache[None]

    def for_conv(self, conv: Conversation, template: str) -> Any:
        rid = conv.script_revision_id
        if rid is not None and rid not in self.cache:
            body = self.session.scalar(select(ScriptRevision.body).where(ScriptRevision.id == rid))
            try:
                self.cache[rid] = dialogs.load_script(body) if body else None
            except Exception:  # noqa: BLE001 - a broken old revision falls back
                self.cache[rid] = None
        script = self.cache.get(rid) if rid is not None else None
        if script is None or template not in script.templates:
            return self.default()
        return script


def _conversation(s: Session, account: Account, conversation_id: int | None) -> Conversation | None:
    """The conversation to text: the arrangement's own, else the latest one with a
    non-quarantined phone of the account."""
    if conversation_id is not None:
        conv = s.get(Conversation, conversation_id)
        if conv is not None:
            return conv
    phones = select(Phone.e164).where(Phone.account_id == account.id, Phone.quarantined_at.is_(None))
    return s.scalar(select(Conversation).where(Conversation.customer_phone.in_(phones))
                    .order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(1))


def _submit(s: Session, conv: Conversation, body: str, *, kind: str, now: dt.datetime,
            transport: str, account_id: int, template: str, behaviour: Any = None) -> Any:
    """A reminder or follow-up through the one send path (``approved``: a template of the
    published, approved script revision)."""
    return outbound.submit(s, conv, body, kind=kind, sender="system", now=now, transport=transport,
                           account_id=account_id, template=template, approved=True, behaviour=behaviour)


def _marker(s: Session, account: Account, step: str, due: dt.date) -> CadenceSend | None:
    """Insert the once-only marker; ``None`` when it already exists."""
    try:
        with s.begin_nested():
            row = CadenceSend(account_id=account.id, step=step, delinquent_since=due,
                              profile=account.profile, status="queued")
            s.add(row)
            s.flush()
        return row
    except IntegrityError:
        return None


def _send(s: Session, settings: Any, scripts: _Scripts, marker: CadenceSend, account: Account,
          conversation_id: int | None, template: str, kind: str, amount_minor: int,
          due: dt.date, now: dt.datetime) -> bool:
    """Render and submit one message for ``marker``; True when a message row was made."""
    conv = _conversation(s, account, conversation_id)
    if conv is None:
        marker.status, marker.rule = "skipped", "no_conversation"
        return False
    lang = (conv.slots or {}).get("lang") or conv.language or account.language or "en"
    script = scripts.for_conv(conv, template)
    params = {
        "name": account.name, "creditor": account.creditor or str(settings.behaviour.get("creditor_name", "")),
        "contact": creditor_contact(settings.behaviour, account.profile),
        "amount": format_money(amount_minor, account.currency, lang),
        "date": format_date(due, lang),
    }
    body = templates.render(script, template, lang, params)
    profile = (settings.behaviour.get("profiles") or {}).get(account.profile, {})
    body = disclosures.with_disclosure(body, profile, lang, kind)  # US-14
    transport = "console" if getattr(settings, "transport", "console") == "console" else "rest"
    out = _submit(s, conv, body, kind=kind, now=now, transport=transport, account_id=account.id,
                  template=template, behaviour=getattr(settings, "behaviour", None))
    marker.message_id = out.message_id
    if out.status == "refused":
        marker.status, marker.rule = "held", out.verdict.rule
    return True


def _local(now: dt.datetime, tz: str | None) -> dt.datetime:
    return now.astimezone(_zone(tz))


def sweep(sessions: Any, settings: Any, now: dt.datetime) -> dict[str, int]:
    """One pass over promises and instalments as of ``now`` (aware UTC).

    Returns counts: ``promise_reminders``, ``promises_broken``, ``instalment_reminders``,
    ``instalments_missed`` (messages made or arrangements changed in this pass), and
    ``skipped`` (markers written without a message). Safe to run concurrently and
    repeatedly: the markers make every item happen once.
    """
    conf = _conf(settings)
    hh, mm = (int(x) for x in str(conf.get("reminder_time", "10:00")).split(":"))
    reminder_time = dt.time(hh, mm)
    grace = int(conf.get("grace_days", 0))
    utc_today = now.astimezone(dt.timezone.utc).date()
    counts = {"promise_reminders": 0, "promises_broken": 0, "instalment_reminders": 0,
              "instalments_missed": 0, "skipped": 0}

    # --- the set-based finds (zones differ by at most ±14 h from UTC: prefilter by the
    # UTC date window, refine per row in the customer's zone) ---------------------------
    with sessions() as s:
        prom_remind = s.execute(
            select(Promise.id, Promise.due_date, Promise.created_at, Account.timezone)
            .join(Account, Account.id == Promise.account_id)
            .where(Promise.status == "pending",
                   Promise.due_date.between(utc_today - dt.timedelta(days=1), utc_today + dt.timedelta(days=2)),
                   _no_marker(Promise.account_id, "promise_reminder", Promise.id))
            .order_by(Promise.id)).all()
        prom_broken = s.execute(
            select(Promise.id, Promise.due_date, Account.timezone)
            .join(Account, Account.id == Promise.account_id)
            .where(Promise.status == "pending", Promise.due_date <= utc_today - dt.timedelta(days=grace))
            .order_by(Promise.id)).all()
        inst_remind = s.execute(
            select(Instalment.id, Instalment.due_date, Plan.created_at, Account.timezone)
            .join(Plan, Plan.id == Instalment.plan_id).join(Account, Account.id == Plan.account_id)
            .where(Plan.status == "active", Instalment.status == "pending",
                   Instalment.due_date.between(utc_today - dt.timedelta(days=1), utc_today + dt.timedelta(days=2)),
                   _no_marker(Plan.account_id, "instalment_reminder", Instalment.id))
            .order_by(Instalment.id)).all()
        inst_missed = s.execute(
            select(Instalment.id, Instalment.due_date, Account.timezone)
            .join(Plan, Plan.id == Instalment.plan_id).join(Account, Account.id == Plan.account_id)
            .where(Plan.status == "active", Instalment.status == "pending",
                   Instalment.due_date <= utc_today - dt.timedelta(days=grace))
            .order_by(Instalment.id)).all()

    def reminder_due(due: dt.date, made: dt.datetime, tz: str | None) -> bool:
        local = _local(now, tz)
        if not (due - dt.timedelta(days=1) <= local.date() <= due):
            return False
        if local.time() < reminder_time and local.date() < due:
            return False
        return True

    def past(due: dt.date, tz: str | None) -> bool:
        return _local(now, tz).date() > due + dt.timedelta(days=grace)

    def load_promise(s: Session, pid: int) -> tuple[Account, int | None, int, dt.datetime, bool]:
        p = s.get(Promise, pid, with_for_update=True)
        return s.get(Account, p.account_id), p.conversation_id, p.amount_minor, p.created_at, p.status == "pending"

    def load_instalment(s: Session, iid: int) -> tuple[Account, int | None, int, dt.datetime, bool]:
        inst = s.get(Instalment, iid, with_for_update=True)
        plan = s.get(Plan, inst.plan_id)
        return (s.get(Account, plan.account_id), plan.conversation_id, inst.amount_minor, plan.created_at,
                inst.status == "pending" and plan.status == "active")

    def remind(rows: Any, load: Callable[[Session, int], Any], template: str, counter: str) -> None:
        """One reminder the day before each due date, once (its marker), never for an
        arrangement made the day before or later."""
        for oid, due, made, tz in rows:
            if not reminder_due(due, made, tz):
                continue
            with sessions() as s, s.begin():
                acct, conversation_id, amount_minor, created_at, active = load(s, oid)
                if not active:
                    continue
                marker = _marker(s, acct, marker_step(template, oid), due)
                if marker is None:
                    continue
                if _local(created_at, acct.timezone).date() >= due - dt.timedelta(days=1):
                    marker.status, marker.rule = "skipped", "recent_promise"
                    counts["skipped"] += 1
                    continue
                scripts = _Scripts(s, settings)
                if _send(s, settings, scripts, marker, acct, conversation_id, template, "reminder",
                         amount_minor, due, now):
                    counts[counter] += 1
                else:
                    counts["skipped"] += 1

    remind(prom_remind, load_promise, "promise_reminder", "promise_reminders")
    remind(inst_remind, load_instalment, "instalment_reminder", "instalment_reminders")

    # --- promises broken --------------------------------------------------------------
    for pid, due, tz in prom_broken:
        if not past(due, tz):
            continue
        with sessions() as s, s.begin():
            p = s.get(Promise, pid, with_for_update=True)
            acct = s.get(Account, p.account_id)
            if p.status != "pending":
                continue
            # None: a follow-up went before (the promise was kept, then its payment was
            # reversed): broken again, but no second follow-up
            marker = _marker(s, acct, marker_step("promise_followup", pid), due)
            p.status, p.updated_at = "broken", now
            s.add(Decision(account_id=acct.id, conversation_id=p.conversation_id, rule="G-02",
                           verdict="record", actor="system", created_at=now,
                           detail={"promise_id": pid, "broken": True, "due_date": due.isoformat()}))
            record_event(s, "promise.broken", account_id=acct.id, conversation_id=p.conversation_id,
                         now=now, payload={"promise_id": pid, "amount": amount_str(p.amount_minor, p.currency),
                                           "currency": p.currency, "due_date": due.isoformat()})
            counts["promises_broken"] += 1
            scripts = _Scripts(s, settings)
            if marker is not None and not _send(s, settings, scripts, marker, acct, p.conversation_id,
                                                "promise_followup", "followup", p.amount_minor, due, now):
                counts["skipped"] += 1

    # --- instalments missed ---------------------------------------------------------------
    for iid, due, tz in inst_missed:
        if not past(due, tz):
            continue
        with sessions() as s, s.begin():
            inst = s.get(Instalment, iid, with_for_update=True)
            plan = s.get(Plan, inst.plan_id)
            acct = s.get(Account, plan.account_id)
            if inst.status != "pending" or plan.status != "active":
                continue
            marker = _marker(s, acct, marker_step("instalment_followup", iid), due)
            inst.status = "missed"
            s.add(Decision(account_id=acct.id, conversation_id=plan.conversation_id, rule="G-02",
                           verdict="record", actor="system", created_at=now,
                           detail={"instalment_id": iid, "plan_id": plan.id, "missed": True,
                                   "due_date": due.isoformat()}))
            record_event(s, "instalment.missed", account_id=acct.id, conversation_id=plan.conversation_id,
                         now=now, payload={"plan_id": plan.id, "instalment_id": iid, "seq": inst.seq,
                                           "amount": amount_str(inst.amount_minor, plan.currency),
                                           "currency": plan.currency, "due_date": due.isoformat()})
            counts["instalments_missed"] += 1
            scripts = _Scripts(s, settings)
            if marker is not None and not _send(s, settings, scripts, marker, acct, plan.conversation_id,
                                                "instalment_followup", "followup", inst.amount_minor,
                                                due, now):
                counts["skipped"] += 1
    return counts
