"""The JSON API under ``/api`` (bearer ``API_TOKEN``; unset → every call is 401)."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.money import from_minor
from storage.models import (Account, Conversation, Flag, Instalment, Message, OptOut, Phone, Plan,
                            Promise)


def _amount(minor: int, currency: str) -> str:
    """Minor units as the contract's decimal string in major units (``"50.00"``)."""
    return str(from_minor(minor, currency))


def authorised(request: Request) -> bool:
    """``True`` when the request carries ``Authorization: Bearer $API_TOKEN`` (compared in
    constant time); always ``False`` when no token is configured."""
    token = request.app.state.services.settings.api_token
    if not token:
        return False
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _unauthorised() -> Response:
    return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401,
                        headers={"WWW-Authenticate": "Bearer"})


def conversation_view(sessions: Any, phone: str) -> dict[str, Any] | None:
    """Everything Duly knows of the conversations with ``phone`` (E.164), as the
    contract's JSON; ``None`` when Duly never saw the number. Amounts are decimal
    strings in major units; times ISO 8601 UTC."""
    with sessions() as s:
        convs = s.scalars(select(Conversation).where(Conversation.customer_phone == phone)
                          .order_by(Conversation.updated_at.desc(), Conversation.id.desc())).all()
        account_ids = s.scalars(select(Phone.account_id).where(Phone.e164 == phone)).all()
        if not convs and not account_ids:
            return None
        conv_ids = [c.id for c in convs]
        messages = s.scalars(select(Message).where(Message.conversation_id.in_(conv_ids or [-1]))
                             .order_by(Message.id)).all()
        opted = s.scalars(select(OptOut.channel).where(OptOut.phone == phone,
                                                       OptOut.revoked_at.is_(None))).all()
        currency = {a.id: a.currency for a in s.scalars(select(Account).where(
            Account.id.in_(account_ids or [-1])))}
        promises = s.scalars(select(Promise).where(
            (Promise.conversation_id.in_(conv_ids or [-1])) | (Promise.account_id.in_(account_ids or [-1])))
            .order_by(Promise.id)).all()
        plans = s.scalars(select(Plan).where(
            (Plan.conversation_id.in_(conv_ids or [-1])) | (Plan.account_id.in_(account_ids or [-1])))
            .order_by(Plan.id)).all()
        instalments = {}
        for i in s.scalars(select(Instalment).where(Instalment.plan_id.in_([p.id for p in plans] or [-1]))
                           .order_by(Instalment.plan_id, Instalment.seq)):
            instalments.setdefault(i.plan_id, []).append(i)
        flags = s.scalars(select(Flag.name).where(Flag.conversation_id.in_(conv_ids or [-1]))
                          .order_by(Flag.id)).all()
        latest = convs[0] if convs else None
        return {
            "phone": phone,
            "state": latest.state if latest else None,
            "mode": latest.mode if latest else "bot",
            "opted_out": "sms" in opted,
            "opt_outs": sorted(set(opted)),
            "messages": [{
                "id": m.id, "direction": m.direction, "body": m.body, "status": m.status,
                "kind": m.kind, "intent": m.intent, "error_code": m.error_code,
                "created_at": m.created_at.isoformat() if m.created_at else None,
            } for m in messages],
            "promises": [{
                "amount": _amount(p.amount_minor, p.currency), "currency": p.currency,
                "due_date": p.due_date.isoformat(), "status": p.status,
            } for p in promises],
            "plans": [{
                "kind": p.kind, "status": p.status, "currency": p.currency,
                "total": _amount(p.total_minor, p.currency),
                "instalments": [{"amount": _amount(i.amount_minor, p.currency),
                                 "due_date": i.due_date.isoformat(), "status": i.status}
                                for i in instalments.get(p.id, [])],
            } for p in plans],
            "flags": list(dict.fromkeys(flags)),
        }


async def conversations(request: Request) -> Response:
    """``GET /api/conversations?phone=E164``: a ``+`` sent unencoded arrives as a space;
    both are accepted."""
    if not authorised(request):
        return _unauthorised()
    phone = request.query_params.get("phone", "").strip()
    if not phone:
        return JSONResponse({"error": "phone is required"}, status_code=400)
    if not phone.startswith("+") and phone.isdigit():
        phone = "+" + phone
    view = await run_in_threadpool(conversation_view, request.app.state.services.sessions, phone)
    if view is None:
        return JSONResponse({"error": "Duly never saw this number"}, status_code=404)
    return JSONResponse(view)


def routes() -> list[Route]:
    """The API routes."""
    return [Route("/api/conversations", conversations, methods=["GET"])]
