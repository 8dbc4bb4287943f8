"""Events out to the lender: the ``events`` table, signed webhooks, ``GET /api/events``.

Every outcome the lender's systems must hear about is one :class:`storage.models.Event`
row, written by :func:`record_event` in the *same* transaction as the change it
reports (a rolled-back change leaves no event; a committed one always has its event).
Nothing is sent on the path that records it — the SMS webhook and the API only insert
a row; the worker calls :func:`deliver_due` to push rows out.

Kinds (``EVENT_KINDS``): ``promise.made``, ``promise.kept``, ``promise.broken``,
``promise.superseded`` (a newer promise or a plan replaced it), ``plan.agreed``,
``plan.superseded`` (a newer plan replaced it), ``instalment.paid``, ``instalment.missed``, ``dispute``, ``opt_out``,
``wrong_number``, ``handoff``, ``cease``, ``payment.applied``, ``payment.reversed``,
``hold.set``, ``hold.cleared``, ``handoff.overdue`` (past its SLA).

Webhook delivery (at least once)
--------------------------------
* URL from ``$EVENTS_WEBHOOK_URL``; unset → nothing is pushed (events stay readable
  with ``GET /api/events?after=ID``, which is the pull side of the same log).
* Secret from ``$EVENTS_WEBHOOK_SECRET``; the header ``X-Duly-Signature:
  sha256=<hex>`` is HMAC-SHA256 of the exact raw request body with that secret
  (receivers recompute it over the bytes they got and compare in constant time).
  Also ``X-Duly-Event-Id`` and ``X-Duly-Event-Kind``. One event per POST; the body is
  :func:`event_json` serialised compactly with sorted keys.
* A 2xx answer marks the event delivered. Anything else (non-2xx, timeout, connection
  error) counts an attempt, stores ``last_error`` and schedules the next try at
  ``now + base * 2**(attempts-1)`` seconds, capped (``[events] backoff_base_seconds``,
  default 30; ``backoff_max_seconds``, default 21600 = 6 h). Events are never given up;
  receivers must de-duplicate by event id (a crash after a 2xx but before the commit
  sends it again).
* Claiming: each event is claimed by moving its ``next_attempt_at`` forward by a lease
  (``[events] lease_seconds``, default 120) with a compare-and-set UPDATE, so two
  workers never post the same event at the same moment; the HTTP call happens outside
  any database transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Account, Event

log = logging.getLogger("duly.events")

EVENT_KINDS: frozenset[str] = frozenset({
    "promise.made", "promise.kept", "promise.broken", "promise.superseded", "plan.agreed",
    "plan.superseded", "instalment.paid",
    "instalment.missed", "dispute", "opt_out", "wrong_number", "handoff", "cease",
    "payment.applied", "payment.reversed", "hold.set", "hold.cleared", "handoff.overdue",
})

SIGNATURE_HEADER = "X-Duly-Signature"

__all__ = ["EVENT_KINDS", "SIGNATURE_HEADER", "record_event", "deliver_due", "event_json",
           "sign", "list_events", "webhook_config"]


def record_event(session: Session, kind: str, *, account_id: int | None = None,
                 conversation_id: int | None = None, payload: Mapping[str, Any],
                 now: dt.datetime | None = None) -> Event:
    """Add an :class:`Event` to ``session`` (flushed, so ``.id`` is set; the caller commits).

    kind: one of :data:`EVENT_KINDS` (``ValueError`` otherwise). payload: plain JSON
    values (amounts as decimal strings in major units, dates ISO, times ISO UTC).
    now: aware UTC creation time (default the wall clock); the event is due for
    delivery at once (``next_attempt_at = now``).
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    when = now or dt.datetime.now(dt.timezone.utc)
    ev = Event(kind=kind, account_id=account_id, conversation_id=conversation_id,
               payload=json.loads(json.dumps(dict(payload), default=str)), created_at=when,
               attempts=0, next_attempt_at=when)
    session.add(ev)
    session.flush()
    return ev


def event_json(ev: Event, account_ref: str | None) -> dict[str, Any]:
    """The public shape of an event (webhook body and ``GET /api/events`` items):
    ``{"id", "kind", "created_at" (ISO UTC), "account_ref", "conversation_id",
    "payload"}``."""
    return {"id": ev.id, "kind": ev.kind,
            "created_at": ev.created_at.isoformat() if ev.created_at else None,
            "account_ref": account_ref, "conversation_id": ev.conversation_id,
            "payload": ev.payload or {}}


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` with ``secret`` (UTF-8)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def list_events(session: Session, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Events with ``id > after`` in id order, at most ``limit``, as :func:`event_json`."""
    rows = session.execute(
        select(Event, Account.account_ref).outerjoin(Account, Account.id == Event.account_id)
        .where(Event.id > after).order_by(Event.id).limit(limit)).all()
    return [event_json(ev, ref) for ev, ref in rows]


def webhook_config(settings: Any = None, env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """``(url, secret)`` from ``settings.extra`` (keys ``events_webhook_url`` /
    ``events_webhook_secret``, for tests) or the environment (``EVENTS_WEBHOOK_URL`` /
    ``EVENTS_WEBHOOK_SECRET``)."""
    env = os.environ if env is None else env
    extra = getattr(settings, "extra", None) or {}
    url = extra.get("events_webhook_url") or env.get("EVENTS_WEBHOOK_URL") or None
    secret = extra.get("events_webhook_secret") or env.get("EVENTS_WEBHOOK_SECRET") or None
    return url, secret


def _conf(settings: Any) -> Mapping[str, Any]:
    behaviour = getattr(settings, "behaviour", None) or {}
    return behaviour.get("events", {}) or {}


def backoff(attempts: int, base: float = 30.0, cap: float = 21600.0) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed tries (1 → base, 2 → 2×base …),
    capped at ``cap`` seconds."""
    return dt.timedelta(seconds=min(cap, base * (2 ** max(0, attempts - 1))))


def deliver_due(sessions: Any, settings: Any, now: dt.datetime, http: Any = None, *,
                url: str | None = None, secret: str | None = None) -> int:
    """Post every undelivered event that is due (``next_attempt_at <= now``), oldest first.

    sessions: a sessionmaker. settings: :class:`duly.config.Settings` (``[events]``
    section: ``batch`` (default 100), ``timeout_seconds`` (10), ``lease_seconds`` (120),
    ``backoff_base_seconds`` (30), ``backoff_max_seconds`` (21600)). now: aware UTC.
    http: an ``httpx2.Client`` (tests inject one with a ``MockTransport``); default a
    client with explicit timeouts, closed afterwards. url/secret: override
    :func:`webhook_config`.

    Returns how many events were delivered (2xx) in this call. Without a URL it does
    nothing and returns 0. A missing secret is refused (events are never sent unsigned):
    a warning is logged and 0 returned.
    """
    cfg_url, cfg_secret = webhook_config(settings)
    url = url or cfg_url
    secret = secret or cfg_secret
    if not url:
        return 0
    if not secret:
        log.warning("EVENTS_WEBHOOK_URL is set but EVENTS_WEBHOOK_SECRET is not: events not sent")
        return 0
    conf = _conf(settings)
    batch = int(conf.get("batch", 100))
    timeout = float(conf.get("timeout_seconds", 10))
    lease = dt.timedelta(seconds=float(conf.get("lease_seconds", 120)))
    base = float(conf.get("backoff_base_seconds", 30))
    cap = float(conf.get("backoff_max_seconds", 21600))

    own_client = http is None
    if own_client:
        import httpx2 as httpx

        http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))
    delivered = 0
    try:
        with sessions() as s:
            due = s.execute(
                select(Event.id, Event.next_attempt_at).where(
                    Event.delivered_at.is_(None), Event.next_attempt_at.is_not(None),
                    Event.next_attempt_at <= now).order_by(Event.id).limit(batch)).all()
        for event_id, seen_next in due:
            # claim: compare-and-set on next_attempt_at (a lease)
            with sessions() as s, s.begin():
                res = s.execute(update(Event).where(
                    Event.id == event_id, Event.delivered_at.is_(None),
                    Event.next_attempt_at == seen_next).values(next_attempt_at=now + lease))
                if res.rowcount != 1:
                    continue
                row = s.execute(select(Event, Account.account_ref)
                                .outerjoin(Account, Account.id == Event.account_id)
                                .where(Event.id == event_id)).first()
                ev, ref = row
                body = json.dumps(event_json(ev, ref), sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False).encode("utf-8")
                kind = ev.kind
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                       "X-Duly-Event-Id": str(event_id), "X-Duly-Event-Kind": kind,
                       "User-Agent": "duly-events/1"}
            error: str | None = None
            try:
                resp = http.post(url, content=body, headers=headers)
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}"
            except Exception as exc:  # noqa: BLE001 - any failure is retried later
                error = f"{exc.__class__.__name__}: {str(exc)[:200]}"
            with sessions() as s, s.begin():
                ev = s.get(Event, event_id)
                ev.attempts = (ev.attempts or 0) + 1
                if error is None:
                    ev.delivered_at = now
                    ev.last_error = None
                    delivered += 1
                else:
                    ev.last_error = error[:255]
                    ev.next_attempt_at = now + backoff(ev.attempts, base, cap)
                    log.info("event %d (%s) not delivered: %s; attempt %d, next at %s",
                             event_id, kind, error, ev.attempts, ev.next_attempt_at.isoformat())
    finally:
        if own_client:
            http.close()
    return delivered
