"""The one send path: every outbound message, whoever wrote it, passes here.

``submit()`` stores the message and asks the outbound gate (``bot.gate.decide``) in the
same transaction, writing the verdict and every rule evaluated to the decision log
(G-03). A refused message is kept with its reason (status ``refused``), a deferred one
waits with ``not_before`` (status ``deferred``); nothing is silently dropped. Sending
happens only after commit: replies to an inbound message ride back in that webhook's
TwiML answer (transport ``twiml``); everything else goes through a transport
(``runner/transports.py``) from ``dispatch()``.

Nothing else in Duly creates outbound message rows (``tests/test_gate_single_path.py``
checks the source).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot import gate, segments
from storage.models import Conversation, Decision, Hold, Message, OptOut, Phone

log = logging.getLogger("duly.outbound")

#: Delivery statuses in the order they can happen; a status callback never moves a
#: message to a lower rank (callbacks arrive out of order and carry no event time).
STATUS_RANK: dict[str, int] = {
    "pending": 0, "deferred": 0, "refused": 0,
    "accepted": 1, "scheduled": 1, "queued": 1,
    "sending": 2, "unknown": 2,
    "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4,
    "read": 5,
}


def mask_phone(e164: str) -> str:
    """A phone number fit for logs: ``+1555***0101``."""
    if len(e164) <= 6:
        return "***"
    return e164[:4] + "***" + e164[-4:]


@dataclass(frozen=True)
class Outbound:
    """What ``submit()`` stored: the row id, its status and the gate's verdict."""

    message_id: int
    status: str
    verdict: gate.Verdict


def gate_context(session: Session, conv: Conversation, now: dt.datetime) -> gate.GateContext:
    """Build the gate's view of ``conv``'s customer from the database (opt-outs,
    confirmations since the latest opt-out, holds on every account of the phone and on
    the phone itself, quarantine, mode)."""
    phone = conv.customer_phone
    latest_optout = session.scalar(
        select(func.max(OptOut.created_at)).where(
            OptOut.phone == phone, OptOut.channel == "sms", OptOut.revoked_at.is_(None)))
    confirmations = 0
    if latest_optout is not None:
        confirmations = session.scalar(
            select(func.count(Message.id)).where(
                Message.to_number == phone, Message.direction == "outbound",
                Message.kind == "optout_confirmation", Message.status != "refused",
                Message.created_at >= latest_optout)) or 0
    account_ids = select(Phone.account_id).where(Phone.e164 == phone)
    holds = session.scalars(
        select(Hold.kind).where(
            Hold.cleared_at.is_(None),
            or_(Hold.phone == phone, Hold.account_id.in_(account_ids))).order_by(Hold.id)).all()
    quarantined = session.scalar(
        select(func.count(Phone.id)).where(Phone.e164 == phone, Phone.quarantined_at.is_not(None))) or 0
    return gate.GateContext(
        opted_out_sms=latest_optout is not None,
        optout_confirmations_since_optout=confirmations,
        holds=tuple(dict.fromkeys(holds)),
        mode=conv.mode,
        quarantined=quarantined > 0,
        now=now,
    )


def submit(session: Session, conv: Conversation, body: str, *, kind: str, sender: str,
           now: dt.datetime, transport: str, in_reply_to: Message | None = None) -> Outbound:
    """Store an outbound message for ``conv``'s customer and decide it at the gate.

    kind: see :class:`bot.gate.Candidate`. sender: ``bot``, ``system`` or
    ``agent:<email>``. transport: ``console`` or ``rest`` (used when the message does
    not ride back in a TwiML answer). ``in_reply_to``: the inbound message this
    answers — such a reply, once allowed, waits (status ``pending``, transport
    ``twiml``) for the webhook's answer to carry it.

    Returns :class:`Outbound`. The caller commits; nothing is sent here.
    """
    ctx = gate_context(session, conv, now)
    sender_kind = "agent" if sender.startswith("agent") else ("system" if sender == "system" else "bot")
    verdict = gate.decide(gate.Candidate(kind=kind, sender=sender_kind,
                                         in_reply_to_inbound=in_reply_to is not None), ctx)
    info = segments.count(body)
    if verdict.action == "send":
        status, via = "pending", ("twiml" if in_reply_to is not None else transport)
    elif verdict.action == "defer":
        status, via = "deferred", transport
    else:
        status, via = "refused", None
    msg = Message(
        conversation_id=conv.id, direction="outbound", from_number=conv.our_number,
        to_number=conv.customer_phone, body=body, status=status, kind=kind, sender=sender,
        in_reply_to_id=in_reply_to.id if in_reply_to is not None else None,
        num_segments=info.segments, encoding=info.encoding, transport=via,
        not_before=verdict.until, media=[], num_media=0, created_at=now, updated_at=now,
    )
    session.add(msg)
    session.flush()
    session.add(Decision(
        conversation_id=conv.id, message_id=msg.id, account_id=conv.account_id,
        rule=verdict.rule, verdict=verdict.action, actor="gate", created_at=now,
        detail={"kind": kind, "sender": sender, "reason": verdict.reason,
                "checks": [list(c) for c in verdict.checks]}))
    if verdict.action != "send":
        log.info("outbound %s to %s: %s (%s)", verdict.action, mask_phone(conv.customer_phone),
                 verdict.rule, verdict.reason)
    return Outbound(msg.id, status, verdict)
