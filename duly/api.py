"""The JSON API under ``/api`` (bearer ``API_TOKEN``; unset → every call is 401).

Routes (CONTRACT.md "HTTP"; amounts are decimal strings in major units, times ISO 8601
UTC; every error is ``{"error": "..."}`` unless noted):

``POST /api/accounts``
    Body: a JSON list of account objects with the Accounts CSV fields (or
    ``{"accounts": [...]}``). Values may be strings or numbers; money should be a
    string — a JSON number with more decimals than the currency allows is refused, never
    rounded. Upserts by ``account_ref`` (:func:`storage.accounts.import_rows`), writes a
    consent record per number (US-10). 200 ``{"created", "updated", "errors": []}``;
    422 with the same shape when some rows were refused — each error is ``{"index"
    (0-based position in the list), "account_ref", "reason"}`` and the good rows are kept
    (an object repeating an earlier object's ``account_ref`` is such a row); rows that
    landed but need a look — an existing account renamed, an old number detached
    because the row no longer lists it (US-12: ``phone changed: old number … detached``),
    a phone that also serves another holder's account (US-12/UK-06) — add ``"warnings"``
    in the same shape; 400 on malformed JSON or a body that is not a list of objects; 413 over 10,000 rows.
``POST /api/payments``
    ``{"account_ref", "amount", "paid_at" (ISO date or date-time; a date is midnight in
    the customer's zone; default now; more than a day ahead of now is refused),
    "payment_ref" (≤ 128 characters), "currency" (optional, must be the account's)}`` →
    :func:`runner.payments.apply_payment`. 200 ``{"payment_ref",
    "duplicate", "account_ref", "amount", "currency", "balance", "past_due",
    "delinquent", "promises_kept", "instalments_paid"}``; a repeat of a ``payment_ref``
    answers 200 with ``"duplicate": true`` and changes nothing. 404 unknown account, 422
    invalid fields (``{"error", "fields": {name: reason}}``; ``paid_at`` before 1970 or
    out of range is such a field), 400 malformed JSON.
``POST /api/payments/reverse``
    ``{"payment_ref", "reason"?}`` → :func:`runner.payments.reverse_payment`: balance
    back, settled promise/instalment reopened unless the account's other payments still
    cover it (then settled again by one of them, G-02). 200 ``{"payment_ref", "duplicate",
    "balance", "past_due", "promises_reopened", "promises_superseded", "instalments_reopened",
    "promises_still_kept", "instalments_still_paid"}`` (``promises_superseded``: kept
    promises a plan or newer promise has replaced since; they do not reopen); 404 unknown.
``POST /api/holds`` / ``POST /api/holds/clear``
    ``{"account_ref", "kind", "note"?}`` (note: at most 1,000 characters); kind one of
    :data:`API_HOLD_KINDS`. One code path with the console (:mod:`runner.holds`). Set:
    a hold with ``source="api"`` (an active api hold of the same kind is reused:
    ``"created": false``), a decision row (rule per kind, :func:`bot.types.hold_rule`:
    US-16 dispute, US-17 cease, US-18 attorney, UK-07 deceased, G-01 bankruptcy,
    ``hold:recalled``), an audit entry ``hold_placed`` (actor ``api``), event
    ``hold.set``, and the texts still waiting for the account's numbers refused with the
    hold's rule. Clear: every active hold of that kind on the account (whatever set it)
    gets ``cleared_at``/``cleared_by="api"``, a decision row, an audit entry
    ``hold_cleared`` and event ``hold.cleared``; 200 ``{"cleared": n, "kind"}``. 404
    unknown account, 422 bad kind or note.
Every JSON body: a string (value or field name, at any depth) holding a NUL character or
an unpaired surrogate answers 422 ``{"error": "invalid text", "fields": {path: reason}}``
(per row for ``/api/accounts``), and a ``phone`` query parameter holding one 400 — never
a database error (500), which a loan system would retry for ever.
``GET /api/events?after=ID&limit=N``
    Events with ``id > after`` (default 0) in id order, at most ``limit`` (default 100,
    max 1000): ``{"events": [...], "last_id"}`` (:func:`runner.events.event_json`).
``GET /api/conversations?phone=E164``
    As in CONTRACT.md, plus ``holds``: the active holds the gate reads for the number
    (:func:`runner.holds.active_holds`: ``kind``, ``rule``, ``account_ref`` or
    ``phone``, ``since``, ``source``), oldest first, and ``contact_window``: the times
    the customer said suit them (US-03/UK-05: ``{"start": "18:00", "end": "21:00",
    "since"}``, local), ``null`` when they never said.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.holds import API_HOLD_KINDS as _API_KINDS
from bot.types import hold_rule
from bot.money import from_minor
from storage.models import (Account, Conversation, Flag, Instalment, Message, OptOut,
                            Phone, Plan, Promise)

#: Hold kinds the loan system may set and clear (post, court, recall), with the rule each
#: cites (:func:`bot.types.hold_rule`, the one table the SMS path and the console use too).
API_HOLD_KINDS: dict[str, str] = {kind: hold_rule(kind) for kind in _API_KINDS}

MAX_ACCOUNT_ROWS = 10_000


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
    strings in major units; times ISO 8601 UTC. ``holds``: the active holds on the
    number or any of its accounts (:func:`runner.holds.active_holds`; US-16, US-17,
    US-18, UK-07, ...)."""
    from runner import outbound
    from runner.holds import active_holds

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
            "holds": active_holds(s, phone, list(account_ids)),
            # US-03 / UK-05: the times the customer said suit them (local), or null
            "contact_window": outbound.contact_window(s, phone),
        }


async def conversations(request: Request) -> Response:
    """``GET /api/conversations?phone=E164``: a ``+`` sent unencoded arrives as a space;
    both are accepted."""
    if not authorised(request):
        return _unauthorised()
    phone = request.query_params.get("phone", "").strip()
    if not phone:
        return JSONResponse({"error": "phone is required"}, status_code=400)
    problem = text_problem(phone)
    if problem:
        return JSONResponse({"error": f"phone {problem}"}, status_code=400)
    if not phone.startswith("+") and phone.isdigit():
        phone = "+" + phone
    view = await run_in_threadpool(conversation_view, request.app.state.services.sessions, phone)
    if view is None:
        return JSONResponse({"error": "Duly never saw this number"}, status_code=404)
    return JSONResponse(view)


# --- shared helpers -------------------------------------------------------------------

class _BadRequest(Exception):
    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("error"))
        self.status = status
        self.body = body


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


async def _json(request: Request) -> Any:
    """The request's JSON body; :class:`_BadRequest` (400) when malformed. NaN and
    Infinity are refused."""
    raw = await request.body()
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _BadRequest(400, {"error": f"malformed JSON: {exc}"}) from None


def _services(request: Request) -> Any:
    return request.app.state.services


def _now(request: Request) -> dt.datetime:
    return _services(request).runner.clock()


def _error(status: int, body: dict[str, Any]) -> Response:
    return JSONResponse(body, status_code=status)


def _scalar_text(value: Any) -> str | None:
    """A JSON scalar as the CSV-style text the import expects; ``None`` for null.
    Raises ``ValueError`` for booleans, lists and objects."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise ValueError(f"expected a string or number, got {json.dumps(value)[:40]}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return repr(value)
    return str(value)


def _parse_money(value: Any, currency: str) -> int:
    """An amount (string preferred; JSON numbers accepted when exact) → minor units."""
    from storage.accounts import parse_money

    text = _scalar_text(value)
    if text is None or text.strip() == "":
        raise ValueError("is required")
    if "e" in text.lower():
        raise ValueError(f"not an amount {text!r} (expected e.g. \"50.00\")")
    minor = parse_money(text, currency)
    if minor <= 0:
        raise ValueError("must be greater than zero")
    return minor


def _parse_when(value: Any, tz: str | None, default: dt.datetime) -> dt.datetime:
    """ISO date-time (naive = UTC) or date (midnight in ``tz``) → aware UTC."""
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ValueError("expected an ISO date or date-time string")
    s = value.strip()
    if len(s) == 10:
        day = dt.date.fromisoformat(s)
        zone = ZoneInfo(tz or "UTC")
        return dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.timezone.utc)
    when = dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


def _parse_paid_at(value: Any, tz: str | None, default: dt.datetime) -> dt.datetime:
    """:func:`_parse_when` for ``paid_at``; ``ValueError`` naming the problem for a value
    that is not an ISO date/date-time, is out of range (``0001-01-01T00:00:00+14:00``
    overflows in UTC), or is before :data:`EARLIEST_PAID_AT`."""
    try:
        when = _parse_when(value, tz, default)
    except OverflowError:
        raise ValueError("out of range") from None
    except (ValueError, KeyError) as exc:
        raise ValueError(f"not an ISO date or date-time ({exc})") from None
    if when < EARLIEST_PAID_AT:
        raise ValueError(f"is before {EARLIEST_PAID_AT.date().isoformat()}")
    return when


#: the earliest ``paid_at`` taken (older is a mis-keyed date: year 1 does not even convert
#: to every zone)
EARLIEST_PAID_AT = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, else ``None``: a NUL character (PostgreSQL
    text refuses it) or a lone UTF-16 surrogate (``"\\ud800"`` in JSON: not encodable)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode text)"
    return None


def bad_text_fields(value: Any, path: str = "") -> dict[str, str]:
    """Every string (key or value, nested) in a JSON body that :func:`text_problem`
    refuses, by field path (``note``, ``accounts[0].name``): ``{path: reason}``."""
    out: dict[str, str] = {}
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            out[path or "body"] = problem
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            where = f"{path}.{key}" if path else key
            problem = text_problem(key)
            if problem:
                out[where] = f"field name {problem}"
                continue
            out.update(bad_text_fields(v, where))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(bad_text_fields(v, f"{path}[{i}]"))
    return out


def _ref(body: dict[str, Any], key: str, fields: dict[str, str]) -> str:
    value = body.get(key)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
        fields[key] = "is required (a string)"
        return ""
    return str(value).strip()


# --- POST /api/accounts ----------------------------------------------------------------

def import_accounts(services: Any, items: list[Any], now: dt.datetime) -> dict[str, Any]:
    """Import JSON account objects (see the module docstring); returns the answer body."""
    from storage.accounts import import_rows

    errors: list[dict[str, Any]] = []
    good: list[tuple[int, dict[str, str]]] = []
    refs: dict[int, Any] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"index": i, "account_ref": None, "reason": "expected an object"})
            continue
        refs[i] = item.get("account_ref")
        row: dict[str, str] = {}
        bad = [f"{k}: {v}" for k, v in bad_text_fields(item).items()]
        if bad:
            refs[i] = None if not isinstance(refs[i], str) or text_problem(refs[i]) else refs[i]
            errors.append({"index": i, "account_ref": refs[i], "reason": "; ".join(bad)})
            continue
        for key, value in item.items():
            try:
                text = _scalar_text(value)
            except ValueError as exc:
                bad.append(f"{key}: {exc}")
                continue
            if text is not None:
                row[str(key)] = text
        if bad:
            errors.append({"index": i, "account_ref": refs[i], "reason": "; ".join(bad)})
            continue
        good.append((i, row))
    from runner.transports import cn09_refused_profiles

    b = services.settings.behaviour
    with services.sessions() as s:
        report = import_rows(s, good, default_region=b.get("default_region", "US"),
                             default_currency=b.get("default_currency", "USD"),
                             default_profile=b.get("default_profile", "us_first_party"),
                             profiles=b.get("profiles", {}), today=now.date(),
                             default_language=b.get("default_language", "en"), now=now,
                             refused_profiles=cn09_refused_profiles(services.settings), unit="index")
        s.commit()
    for index, reason in report.errors:
        errors.append({"index": index, "account_ref": refs.get(index), "reason": reason})
    errors.sort(key=lambda e: e["index"])
    out: dict[str, Any] = {"created": report.created, "updated": report.updated, "errors": errors}
    if report.warnings:   # rows that landed but need a look (an account renamed)
        out["warnings"] = [{"index": i, "account_ref": refs.get(i), "reason": text} for i, text in report.warnings]
    return out


async def accounts_post(request: Request) -> Response:
    """``POST /api/accounts``."""
    if not authorised(request):
        return _unauthorised()
    try:
        body = await _json(request)
    except _BadRequest as exc:
        return _error(exc.status, exc.body)
    items = body.get("accounts") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return _error(400, {"error": "expected a JSON list of accounts"})
    if len(items) > MAX_ACCOUNT_ROWS:
        return _error(413, {"error": f"at most {MAX_ACCOUNT_ROWS} accounts per request"})
    result = await run_in_threadpool(import_accounts, _services(request), items, _now(request))
    return JSONResponse(result, status_code=422 if result["errors"] else 200)


# --- payments ----------------------------------------------------------------------------

def post_payment(services: Any, body: dict[str, Any], now: dt.datetime) -> tuple[int, dict[str, Any]]:
    """Apply one payment request; returns ``(status, answer)``."""
    from runner.payments import PaymentError, amount_str, apply_payment

    fields: dict[str, str] = {}
    account_ref = _ref(body, "account_ref", fields)
    payment_ref = _ref(body, "payment_ref", fields)
    if len(payment_ref) > 128:
        fields["payment_ref"] = "longer than 128 characters"
    currency = body.get("currency")
    if currency is not None and not isinstance(currency, str):
        fields["currency"] = "expected an ISO 4217 code"
    if fields:
        return 422, {"error": "invalid payment", "fields": fields}
    with services.sessions() as s, s.begin():
        acct = s.execute(select(Account.currency, Account.timezone)
                         .where(Account.account_ref == account_ref)).first()
        if acct is None:
            return 404, {"error": f"unknown account_ref {account_ref!r}"}
        try:
            amount = _parse_money(body.get("amount"), acct.currency)
        except ValueError as exc:
            fields["amount"] = str(exc)
        try:
            paid_at = _parse_paid_at(body.get("paid_at"), acct.timezone, now)
            if paid_at > now + dt.timedelta(days=1):
                fields["paid_at"] = "is in the future"
        except ValueError as exc:
            fields["paid_at"] = str(exc)
        if fields:
            return 422, {"error": "invalid payment", "fields": fields}
        try:
            with s.begin_nested():
                r = apply_payment(s, account_ref=account_ref, amount_minor=amount, paid_at=paid_at,
                                  payment_ref=payment_ref, now=now, currency=currency)
        except PaymentError as exc:
            return exc.status, {"error": str(exc)}
        return 200, {"payment_ref": payment_ref, "duplicate": r.duplicate, "account_ref": r.account_ref,
                     "amount": amount_str(r.amount_minor, r.currency), "currency": r.currency,
                     "balance": amount_str(r.balance_minor, r.currency),
                     "past_due": amount_str(r.past_due_minor, r.currency), "delinquent": r.delinquent,
                     "promises_kept": r.promises_kept, "instalments_paid": r.instalments_paid}


def post_reversal(services: Any, body: dict[str, Any], now: dt.datetime) -> tuple[int, dict[str, Any]]:
    """Reverse one payment; returns ``(status, answer)``."""
    from runner.payments import PaymentError, amount_str, reverse_payment

    fields: dict[str, str] = {}
    payment_ref = _ref(body, "payment_ref", fields)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        fields["reason"] = "expected a string"
    if fields:
        return 422, {"error": "invalid reversal", "fields": fields}
    with services.sessions() as s, s.begin():
        try:
            with s.begin_nested():
                r = reverse_payment(s, payment_ref=payment_ref, now=now, reason=reason)
        except PaymentError as exc:
            return exc.status, {"error": str(exc)}
        currency = s.scalar(select(Account.currency).where(Account.account_ref == r.account_ref))
        return 200, {"payment_ref": payment_ref, "duplicate": r.duplicate, "account_ref": r.account_ref,
                     "balance": amount_str(r.balance_minor, currency),
                     "past_due": amount_str(r.past_due_minor, currency),
                     "promises_reopened": r.promises_reopened,
                     "promises_superseded": r.promises_superseded,
                     "instalments_reopened": r.instalments_reopened,
                     "promises_still_kept": r.promises_still_kept,
                     "instalments_still_paid": r.instalments_still_paid}


def _json_route(fn: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        if not authorised(request):
            return _unauthorised()
        try:
            body = await _json(request)
        except _BadRequest as exc:
            return _error(exc.status, exc.body)
        if not isinstance(body, dict):
            return _error(400, {"error": "expected a JSON object"})
        bad = bad_text_fields(body)
        if bad:   # a 500 from the database would be retried for ever (a poison request)
            return _error(422, {"error": "invalid text", "fields": bad})
        status, answer = await run_in_threadpool(fn, _services(request), body, _now(request))
        return JSONResponse(answer, status_code=status)
    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint


# --- holds ---------------------------------------------------------------------------------

def _hold_request(body: dict[str, Any]) -> tuple[Any, Any, dict[str, str]]:
    """``(account_ref, kind, problems by field)`` of a holds request body."""
    fields: dict[str, str] = {}
    account_ref = _ref(body, "account_ref", fields)
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in API_HOLD_KINDS:
        fields["kind"] = "one of " + ", ".join(sorted(API_HOLD_KINDS))
    return account_ref, kind, fields


def set_hold(services: Any, body: dict[str, Any], now: dt.datetime) -> tuple[int, dict[str, Any]]:
    """``POST /api/holds`` through :func:`runner.holds.place_hold` (the console's path
    too): a hold on the account (US-16 dispute, US-17 cease, US-18 attorney, UK-07
    deceased, G-01 bankruptcy, ``hold:recalled``). Returns ``(status, answer)``: 200
    ``{"hold_id", "created", "kind", "rule"}``, 404 unknown account, 422 bad fields."""
    from bot.holds import clean_note
    from runner.holds import place_hold

    account_ref, kind, fields = _hold_request(body)
    try:
        note = clean_note(body.get("note"), required=False)
    except ValueError as exc:
        fields["note"] = str(exc)
    if fields:
        return 422, {"error": "invalid hold", "fields": fields}
    with services.sessions() as s, s.begin():
        acct = s.scalar(select(Account).where(Account.account_ref == account_ref))
        if acct is None:
            return 404, {"error": f"unknown account_ref {account_ref!r}"}
        placed = place_hold(s, kind=kind, actor="api", source="api", now=now, account=acct, note=note)
        return 200, {"hold_id": placed.hold_id, "created": placed.created, "kind": kind, "rule": placed.rule}


def clear_hold(services: Any, body: dict[str, Any], now: dt.datetime) -> tuple[int, dict[str, Any]]:
    """``POST /api/holds/clear`` through :func:`runner.holds.clear_holds` (the console's
    path too): every active hold of ``kind`` on the account, whatever set it. Returns
    ``(status, answer)``: 200 ``{"cleared": n, "kind"}``, 404 unknown account, 422."""
    from bot.holds import clean_note
    from runner.holds import clear_holds

    account_ref, kind, fields = _hold_request(body)
    try:
        note = clean_note(body.get("note"), required=False)
    except ValueError as exc:
        fields["note"] = str(exc)
    if fields:
        return 422, {"error": "invalid hold", "fields": fields}
    with services.sessions() as s, s.begin():
        acct = s.scalar(select(Account).where(Account.account_ref == account_ref))
        if acct is None:
            return 404, {"error": f"unknown account_ref {account_ref!r}"}
        ids = clear_holds(s, kind=kind, actor="api", source="api", now=now, account=acct, note=note)
        return 200, {"cleared": len(ids), "kind": kind}


# --- events ----------------------------------------------------------------------------------

async def events_get(request: Request) -> Response:
    """``GET /api/events?after=ID&limit=N``."""
    from runner.events import list_events

    if not authorised(request):
        return _unauthorised()
    try:
        after = int(request.query_params.get("after", "0") or 0)
        if not 0 <= after < 2**62:
            raise ValueError("after out of range")
        limit = int(request.query_params.get("limit", "100") or 100)
    except ValueError:
        return _error(400, {"error": "after and limit must be whole numbers"})
    if after < 0 or not 1 <= limit <= 1000:
        return _error(400, {"error": "after must be >= 0 and limit between 1 and 1000"})

    def read() -> list[dict[str, Any]]:
        with _services(request).sessions() as s:
            return list_events(s, after, limit)

    events = await run_in_threadpool(read)
    return JSONResponse({"events": events, "last_id": events[-1]["id"] if events else after})


def routes() -> list[Route]:
    """The API routes."""
    return [
        Route("/api/conversations", conversations, methods=["GET"]),
        Route("/api/accounts", accounts_post, methods=["POST"]),
        Route("/api/payments", _json_route(post_payment), methods=["POST"]),
        Route("/api/payments/reverse", _json_route(post_reversal), methods=["POST"]),
        Route("/api/holds", _json_route(set_hold), methods=["POST"]),
        Route("/api/holds/clear", _json_route(clear_hold), methods=["POST"]),
        Route("/api/events", events_get, methods=["GET"]),
    ]
