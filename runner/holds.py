"""Placing and clearing holds: the one code path of ``POST /api/holds``,
``POST /api/holds/clear`` (:mod:`duly.api`) and the console's "Place hold" / "Clear
hold" (:class:`runner.agents.AgentDesk`).

Each write happens in the caller's transaction and leaves, together:

* the :class:`storage.models.Hold` row (``source``: ``api`` or ``agent:<email>``);
* a :class:`storage.models.Decision` (rule per kind, :func:`bot.types.hold_rule`;
  verdict ``record`` when placed, ``clear`` when cleared; G-03);
* an :class:`storage.models.AuditEntry` (``hold_placed`` / ``hold_cleared``);
* an event for the lender (``hold.set`` / ``hold.cleared``);
* on placing, the texts still waiting for the phone(s) the hold covers are refused with
  the hold's rule (as at an opt-out, US-05/US-07): a text queued before the hold never
  goes, not even after the hold is cleared. A silencing hold (US-17 cease, US-18
  attorney, bankruptcy, deceased, recalled) refuses every waiting text but the
  compliance answers; another hold (US-16 dispute, UK-07 vulnerability) the texts Duly
  starts (cadence steps, reminders, follow-ups).

Nothing here decides whether a text may go afterwards: the outbound gate reads the
active holds on every message (bot/gate.py), for agents exactly as for the bot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import gate
from bot.types import hold_rule
from runner.events import record_event
from storage.models import Account, AuditEntry, Decision, Hold, Message, Phone


@dataclass(frozen=True)
class Placed:
    """The answer of :func:`place_hold`: ``hold_id``; ``created`` (``False`` when an
    active hold of that kind, on that target, from that source was reused); ``kind``;
    ``rule``; ``refused``: ids of the waiting texts refused."""

    hold_id: int
    created: bool
    kind: str
    rule: str
    refused: tuple[int, ...] = ()


def _target(account: Account | None, phone: str | None) -> Any:
    """The SQL condition selecting holds on ``account`` (by ``account_id``) or, without
    one, on ``phone`` alone."""
    if account is not None:
        return Hold.account_id == account.id
    if not phone:
        raise ValueError("a hold needs an account or a phone")
    return Hold.phone == phone


def place_hold(s: Session, *, kind: str, actor: str, source: str, now: dt.datetime,
               account: Account | None = None, phone: str | None = None, note: str | None = None,
               conversation_id: int | None = None) -> Placed:
    """Place a hold of ``kind`` on ``account`` (``account_id`` set, ``phone`` empty: it
    covers every number of the account, as the API always did) or, without an account,
    on ``phone`` (E.164) alone. ``actor``: who, for the audit entry (``api`` or the
    agent's email); ``source``: ``api`` or ``agent:<email>`` (the Hold's and the
    Decision's actor). An active hold of the same kind on the same target from the same
    source is reused (``created=False``; nothing else is written). The caller has
    checked ``kind`` and the note (:mod:`bot.holds`) and commits. Rule per kind:
    US-16 dispute, US-17 cease, US-18 attorney, UK-07 vulnerability/deceased, G-01
    bankruptcy, ``hold:<kind>`` otherwise. Returns :class:`Placed`."""
    rule = hold_rule(kind)
    where = _target(account, phone)
    account_id = account.id if account is not None else None
    hold = s.scalar(select(Hold).where(where, Hold.kind == kind, Hold.source == source,
                                       Hold.cleared_at.is_(None)).order_by(Hold.id).limit(1))
    if hold is not None:
        return Placed(hold.id, False, kind, hold.rule or rule)
    hold = Hold(account_id=account_id, phone=None if account is not None else phone, kind=kind, rule=rule,
                source=source, note=note, created_at=now)
    s.add(hold)
    s.flush()
    target = {"account_ref": account.account_ref} if account is not None else {"phone": phone}
    s.add(Decision(account_id=account_id, conversation_id=conversation_id, rule=rule, verdict="record",
                   actor=source, created_at=now,
                   detail={"hold": kind, "hold_id": hold.id, "source": source, "note": note}))
    s.add(AuditEntry(actor=actor, action="hold_placed", conversation_id=conversation_id, created_at=now,
                     detail={"hold_id": hold.id, "kind": kind, "rule": rule, "note": note, **target}))
    record_event(s, "hold.set", account_id=account_id, conversation_id=conversation_id, now=now,
                 payload={"hold_id": hold.id, "kind": kind, "rule": rule, "source": source, "note": note,
                          **({"phone": phone} if account is None else {})})
    refused = refuse_waiting(s, kind=kind, rule=rule, now=now, account=account, phone=phone)
    return Placed(hold.id, True, kind, rule, refused)


def clear_holds(s: Session, *, kind: str, actor: str, source: str, now: dt.datetime,
                account: Account | None = None, phone: str | None = None, note: str | None = None,
                conversation_id: int | None = None) -> list[int]:
    """Clear every active hold of ``kind`` on ``account`` (whatever set it, the
    customer's own text included) or, without an account, on ``phone``:
    ``cleared_at=now``, ``cleared_by=source``. Writes one decision (verdict ``clear``),
    one audit entry and one ``hold.cleared`` event when any was cleared; nothing when
    none was active. Who may clear which kind is the caller's check
    (:func:`bot.holds.may_clear`). Returns the cleared holds' ids."""
    ids = list(s.scalars(select(Hold.id).where(_target(account, phone), Hold.kind == kind,
                                               Hold.cleared_at.is_(None)).order_by(Hold.id)).all())
    if not ids:
        return []
    rule = hold_rule(kind)
    account_id = account.id if account is not None else None
    target = {"account_ref": account.account_ref} if account is not None else {"phone": phone}
    s.execute(update(Hold).where(Hold.id.in_(ids)).values(cleared_at=now, cleared_by=source))
    s.add(Decision(account_id=account_id, conversation_id=conversation_id, rule=rule, verdict="clear",
                   actor=source, created_at=now, detail={"hold": kind, "hold_ids": ids, "note": note}))
    s.add(AuditEntry(actor=actor, action="hold_cleared", conversation_id=conversation_id, created_at=now,
                     detail={"kind": kind, "rule": rule, "hold_ids": ids, "note": note, **target}))
    record_event(s, "hold.cleared", account_id=account_id, conversation_id=conversation_id, now=now,
                 payload={"kind": kind, "hold_ids": ids, "source": source, "note": note,
                          **({"phone": phone} if account is None else {})})
    return ids


def refuse_waiting(s: Session, *, kind: str, rule: str, now: dt.datetime, account: Account | None = None,
                   phone: str | None = None) -> tuple[int, ...]:
    """Refuse the outbound texts still waiting (``deferred``/``pending``) for the numbers
    a new hold covers — every number of ``account``, or ``phone`` — with one decision
    each (rule ``rule``, actor ``gate``). A silencing kind (US-17, US-18, bankruptcy,
    deceased, recalled) refuses all but the compliance answers
    (:data:`bot.gate.SILENCED_ALLOWED`); another kind (US-16, UK-07) the texts Duly
    starts (:data:`bot.gate.INITIATED_KINDS`, not replies). Returns their ids."""
    if account is not None:
        phones = list(s.scalars(select(Phone.e164).where(Phone.account_id == account.id)).all())
        to = or_(Message.to_number.in_(phones or ["-"]), Message.account_id == account.id)
    else:
        to = Message.to_number == phone
    q = select(Message.id, Message.conversation_id, Message.account_id).where(
        Message.direction == "outbound", Message.status.in_(("deferred", "pending")), to)
    if kind in gate.SILENCING_HOLDS:
        q = q.where(or_(Message.kind.is_(None), Message.kind.not_in(tuple(gate.SILENCED_ALLOWED))))
    else:
        q = q.where(Message.in_reply_to_id.is_(None), Message.kind.in_(tuple(gate.INITIATED_KINDS)))
    waiting = s.execute(q.order_by(Message.id)).all()
    if not waiting:
        return ()
    s.execute(update(Message).where(Message.id.in_([w.id for w in waiting]))
              .values(status="refused", updated_at=now))
    for w in waiting:
        s.add(Decision(conversation_id=w.conversation_id, message_id=w.id, account_id=w.account_id,
                       rule=rule, verdict="refuse", actor="gate", created_at=now,
                       detail={"reason": f"a {kind} hold was placed while it waited"}))
    return tuple(w.id for w in waiting)


def active_holds(s: Session, phone: str, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The active holds the gate reads for ``phone`` (E.164): holds on the number itself
    and on any account of it (or of ``account_ids`` when given), oldest first, as
    ``{"kind", "rule", "account_ref" (None for a hold on the number alone), "phone" (the
    number a hold was placed on, None for an account-wide one), "since" (ISO 8601 UTC),
    "source" (``sms``, ``api``, ``agent:<email>``)}``. A row without a rule gets its
    kind's (:func:`bot.types.hold_rule`)."""
    if account_ids is None:
        account_ids = list(s.scalars(select(Phone.account_id).where(Phone.e164 == phone)).all())
    rows = s.execute(select(Hold, Account.account_ref).outerjoin(Account, Account.id == Hold.account_id)
                     .where(Hold.cleared_at.is_(None),
                            or_(Hold.phone == phone, Hold.account_id.in_(account_ids or [-1])))
                     .order_by(Hold.id)).all()
    return [{"kind": h.kind, "rule": h.rule or hold_rule(h.kind), "account_ref": ref, "phone": h.phone,
             "since": h.created_at.isoformat() if h.created_at else None, "source": h.source}
            for h, ref in rows]
