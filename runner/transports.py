"""Transports: how an allowed outbound message leaves Duly.

A transport never interprets text and never decides whether a message may go — the
outbound gate already did (at dispatch, ``runner.outbound.redecide``). ``console``
prints and marks the message sent (dev, demo); ``twilio`` calls the real twilio
library's Messages API, with an HTTP client that can be injected (tests record
requests and answer the way Twilio's API documents).

What this module also owns:

* :func:`classify` — the one table that says what a Twilio error code means for the
  message, the number and the sender (:data:`ERROR_TABLE`); the worker and the status
  callback both apply it (``runner.worker.apply_provider_error``).
* :func:`cn09_problem` — the start-up check (CN-09) that refuses the ``twilio``
  transport for accounts under a CN profile: a licensed channel needs its own adapter.
* :func:`make_transport` — the transport for the settings, with explicit timeouts.

Retry policy (Twilio's Messages API has no idempotency key): only a 429 and a
connection error raised *before the request left* are retried, with exponential
backoff through an injected ``sleep``; a timeout or a dropped connection after the
request was sent gives ``unknown`` — the status callback settles it, nothing resends
it blindly.
"""

from __future__ import annotations

import logging
import sys
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TextIO

log = logging.getLogger("duly.transports")

#: Twilio error codes that mean "never retry this message" (the number cannot get it).
PERMANENT_ERRORS = {"21211", "21408", "21610", "21612", "21614", "30003", "30004", "30005", "30006"}


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send.

    status: ``sent`` (console), ``queued``/``accepted`` (the provider took it,
    ``sid`` set), ``failed`` (the provider refused it, ``error_code`` set),
    ``unknown`` (timeout or connection lost after the request left, or a 5xx: the
    status callback will settle it — never retried blindly) or ``not_sent`` (the
    request provably never reached the provider, or it answered 429, after the
    in-call retries: safe to try again later).
    attempts: HTTP requests made for this call (1 + retries).
    """

    status: str
    sid: str | None = None
    error_code: str | None = None
    attempts: int = 1
    detail: str | None = None


# --- error classification ------------------------------------------------------------------

@dataclass(frozen=True)
class ErrorClass:
    """What a provider error code means.

    kind: ``opt_out`` (21610: the recipient replied STOP at the carrier/provider —
    record an opt-out, US-05), ``undeliverable`` (the number cannot get texts: mark
    the phone, stop its cadence, flag for tracing), ``filtered`` (a carrier filtered
    the content), ``requeue`` (expired in Twilio's queue: send again within the
    window), ``sender_paused`` (the sender is blocked: pause it), ``failed``
    (anything else: the message failed, nothing more).
    status: the message's status afterwards (``failed`` or ``deferred``).
    flag: the conversation flag to set (or ``None``). rule: the decision-log rule.
    """

    kind: str
    status: str
    flag: str | None
    rule: str
    note: str


#: Twilio error code → what it means (https://www.twilio.com/docs/api/errors/<code>).
ERROR_TABLE: dict[str, ErrorClass] = {
    "21610": ErrorClass("opt_out", "failed", None, "US-05", "recipient unsubscribed (STOP)"),
    "21211": ErrorClass("undeliverable", "failed", "undeliverable", "provider:undeliverable", "invalid 'To' number"),
    "21614": ErrorClass("undeliverable", "failed", "undeliverable", "provider:undeliverable", "'To' is not a mobile number (landline)"),
    "30003": ErrorClass("undeliverable", "failed", "undeliverable", "provider:undeliverable", "unreachable destination handset"),
    "30005": ErrorClass("undeliverable", "failed", "undeliverable", "provider:undeliverable", "unknown destination handset"),
    "30006": ErrorClass("undeliverable", "failed", "undeliverable", "provider:undeliverable", "landline or unreachable carrier"),
    "30007": ErrorClass("filtered", "failed", "filtered", "provider:filtered", "message filtered by the carrier"),
    "30036": ErrorClass("requeue", "deferred", None, "provider:validity_expired", "validity period expired in the provider's queue"),
    "30034": ErrorClass("sender_paused", "deferred", "sender_paused", "provider:sender_paused", "sender blocked (unregistered A2P 10DLC number)"),
}

_OTHER = ErrorClass("failed", "failed", None, "provider:error", "provider error")


def classify(code: str | int | None) -> ErrorClass | None:
    """The :class:`ErrorClass` for a Twilio error ``code`` (``"30007"`` or ``30007``);
    ``None`` for no code; a generic ``failed`` class for codes not in the table."""
    if code in (None, "", 0, "0"):
        return None
    return ERROR_TABLE.get(str(code), _OTHER)


# --- transports -------------------------------------------------------------------------------

class ConsoleTransport:
    """Prints each message to ``out`` instead of sending it (``SMS_TRANSPORT=console``)."""

    name = "console"

    def __init__(self, out: TextIO | None = None):
        self.out = out or sys.stdout

    def sender(self, from_: str | None = None) -> str:
        """The pacing/pause key for a message from ``from_``."""
        return from_ or "console"

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None = None,
             validity_period: int | None = None) -> SendResult:
        """Print ``body`` addressed to ``to``; always ``SendResult("sent")``."""
        print(f"[console sms → {to}] {body}", file=self.out, flush=True)
        return SendResult("sent")


def _sent_before_failure(exc: BaseException) -> bool:
    """True when a transport exception proves the request never left: a connect
    timeout, a refused connection, a failed name lookup. A read timeout, a reset or a
    dropped connection after sending → False (the provider may have the message)."""
    try:
        import requests
        from urllib3 import exceptions as u3
    except ImportError:  # pragma: no cover - requests ships with twilio
        return False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        seen: set[int] = set()
        stack: list[Any] = [exc]
        while stack:
            e = stack.pop()
            if e is None or id(e) in seen:
                continue
            seen.add(id(e))
            if isinstance(e, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.NameResolutionError)):
                return True
            if isinstance(e, u3.MaxRetryError):
                stack.append(e.reason)
            stack.extend([getattr(e, "__cause__", None), getattr(e, "__context__", None)])
            stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        return False
    if isinstance(exc, ConnectionRefusedError):
        return True
    return False


class TwilioTransport:
    """Sends through Twilio's Messages API with the official ``twilio`` library.

    account_sid, auth_token: credentials. from_ / messaging_service_sid: the sender
    (one of them is required; the service wins when both are set).
    http_client: a ``twilio.http.HttpClient`` (inject a fake in tests); default
    ``TwilioHttpClient(timeout=(connect_timeout, read_timeout))`` — explicit timeouts
    in seconds, never the library's "wait forever".
    max_retries: extra attempts for a 429 or a connection error before the request
    left (default 3). backoff: first wait in seconds, doubled each retry (default
    1.0). sleep: the wait function (injected in tests). api_base: where the Messages
    API lives instead of ``https://api.twilio.com`` (``TWILIO_API_BASE``; a local fake in
    tests and benchmarks).

    Raises ``ValueError`` at construction when no sender is configured.
    """

    name = "rest"

    def __init__(self, account_sid: str, auth_token: str, *, from_: str | None = None,
                 messaging_service_sid: str | None = None, http_client: Any = None,
                 connect_timeout: float = 5.0, read_timeout: float = 15.0, max_retries: int = 3,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 api_base: str | None = None):
        from twilio.rest import Client

        if not (from_ or messaging_service_sid):
            raise ValueError("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required to send")
        if http_client is None:
            from twilio.http.http_client import TwilioHttpClient

            http_client = TwilioHttpClient(timeout=float(read_timeout))
            # requests takes (connect, read); twilio's constructor only checks a number
            http_client.timeout = (float(connect_timeout), float(read_timeout))
        self.client = Client(account_sid, auth_token, http_client=http_client)
        if api_base:        # a local stand-in for api.twilio.com (tests, benchmarks)
            self.client.api.base_url = api_base.rstrip("/")
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.sleep = sleep

    def sender(self, from_: str | None = None) -> str:
        """The pacing/pause key: the messaging service when configured, else the number."""
        return self.messaging_service_sid or from_ or self.from_ or ""

    def send(self, *, to: str, from_: str | None = None, body: str,
             status_callback: str | None = None, validity_period: int | None = None) -> SendResult:
        """Create the message at Twilio (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

        to: E.164. body: the exact text. status_callback: the URL Twilio posts
        status changes to. validity_period: seconds left in the customer's allowed
        window, clamped to Twilio's [1, 36000] (Twilio otherwise queues up to 10 hours).

        Returns :class:`SendResult`; raises nothing for provider or network errors:
        201 → ``queued``/``accepted`` with the sid; 4xx with a code → ``failed``;
        5xx → ``unknown``; 429 or a connection error before sending → retried, then
        ``not_sent``; a timeout or a dropped connection after sending → ``unknown``.
        """
        from twilio.base.exceptions import TwilioRestException

        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = from_ or self.from_
        if status_callback:
            kwargs["status_callback"] = status_callback
        if validity_period:
            kwargs["validity_period"] = max(1, min(int(validity_period), 36000))
        attempt = 0
        while True:
            attempt += 1
            retry_reason: str | None = None
            try:
                msg = self.client.messages.create(**kwargs)
            except TwilioRestException as exc:
                code = str(exc.code) if exc.code else None
                if exc.status == 429:
                    retry_reason = f"429 {code or ''}".strip()
                elif exc.status and exc.status >= 500:
                    return SendResult("unknown", error_code=code, attempts=attempt,
                                      detail=f"HTTP {exc.status}")
                else:
                    return SendResult("failed", error_code=code, attempts=attempt,
                                      detail=f"HTTP {exc.status}")
            except Exception as exc:  # network: requests raises OSError subclasses
                if _sent_before_failure(exc):
                    retry_reason = type(exc).__name__
                else:
                    log.warning("twilio send: %s after the request left: status unknown",
                                type(exc).__name__)
                    return SendResult("unknown", attempts=attempt, detail=type(exc).__name__)
            else:
                return SendResult(str(msg.status or "queued"), sid=msg.sid, attempts=attempt)
            if attempt > self.max_retries:
                return SendResult("not_sent", attempts=attempt, detail=retry_reason)
            wait = self.backoff * (2 ** (attempt - 1))
            log.info("twilio send: %s; retrying in %.1fs", retry_reason, wait)
            self.sleep(wait)


# --- construction and the CN-09 start-up check ---------------------------------------------------

class TransportRefused(RuntimeError):
    """The configured transport may not run here (CN-09). Processes exit with code 2."""


def outbound_config(settings: Any) -> Mapping[str, Any]:
    """The ``[outbound]`` section of the config (empty mapping when absent)."""
    return dict(getattr(settings, "behaviour", {}).get("outbound", {}) or {})


def make_transport(settings: Any, http_client: Any = None,
                   sleep: Callable[[float], None] = time.sleep) -> Any:
    """The transport for ``settings.transport`` (``twilio`` or ``console``).

    Config ``[outbound]``: ``connect_timeout_seconds`` (5), ``read_timeout_seconds``
    (15), ``max_retries`` (3), ``retry_backoff_seconds`` (1.0). Raises ``ValueError``
    when twilio has no sender configured."""
    if settings.transport == "twilio":
        cfg = outbound_config(settings)
        return TwilioTransport(
            settings.account_sid or "", settings.auth_token or "", from_=settings.twilio_from,
            messaging_service_sid=settings.messaging_service_sid, http_client=http_client,
            connect_timeout=float(cfg.get("connect_timeout_seconds", 5)),
            read_timeout=float(cfg.get("read_timeout_seconds", 15)),
            max_retries=int(cfg.get("max_retries", 3)),
            backoff=float(cfg.get("retry_backoff_seconds", 1.0)), sleep=sleep,
            api_base=os.environ.get("TWILIO_API_BASE") or None)
    return ConsoleTransport()


def cn_profiles(settings: Any) -> set[str]:
    """Names of the configured profiles whose jurisdiction is ``CN``."""
    profiles = getattr(settings, "behaviour", {}).get("profiles", {}) or {}
    return {name for name, p in profiles.items()
            if str((p or {}).get("jurisdiction", "")).upper() == "CN"}


def cn09_refused_profiles(settings: Any) -> dict[str, str]:
    """CN-09 at the door: while the ``twilio`` transport is configured, the CN profiles an
    import must refuse (name → the reason the import reports for the row), so that a CN
    account never lands where a general cloud SMS channel would text it (and where the
    next start-up would refuse to run, :func:`cn09_problem`). Empty otherwise."""
    if getattr(settings, "transport", None) != "twilio":
        return {}
    return {name: (f"CN-09: an account under the CN profile {name!r} cannot be collected over the "
                   "twilio transport (a licensed 106/95xxx channel needs its own adapter); "
                   "use SMS_TRANSPORT=console or another profile")
            for name in sorted(cn_profiles(settings))}


def cn09_problem(settings: Any, sessions: Any = None) -> str | None:
    """CN-09: a general cloud SMS account may not carry collection notices to CN
    customers; a licensed (106/95xxx) channel needs its own adapter.

    Returns ``None`` when the configuration may run, else the error message: the
    ``twilio`` transport is configured and the default profile is a CN one, or (when
    ``sessions`` is given) any stored account is under a CN profile."""
    if getattr(settings, "transport", None) != "twilio":
        return None
    cn = cn_profiles(settings)
    if not cn:
        return None
    why = None
    default = str(getattr(settings, "behaviour", {}).get("default_profile", ""))
    if default in cn:
        why = f"the default profile {default!r} is a CN profile"
    elif sessions is not None:
        from sqlalchemy import select
        from sqlalchemy.exc import SQLAlchemyError

        from storage.models import Account

        try:
            with sessions() as s:
                found = s.scalar(select(Account.profile).where(Account.profile.in_(sorted(cn))).limit(1))
        except SQLAlchemyError:  # no schema yet: no accounts either
            found = None
        if found is not None:
            why = f"accounts are stored under the CN profile {found!r}"
    if why is None:
        return None
    return (f"CN-09: the twilio transport is refused because {why}. Collection notices to "
            "mainland China must go through a licensed financial (106/95xxx) channel with "
            "registered signature and templates, which needs its own transport adapter; "
            "use SMS_TRANSPORT=console or remove the CN accounts/profile.")


def check_transport_allowed(settings: Any, sessions: Any = None) -> None:
    """Raise :class:`TransportRefused` with :func:`cn09_problem`'s message, if any.
    ``duly serve`` and ``duly worker`` call it at start and exit with code 2."""
    problem = cn09_problem(settings, sessions)
    if problem:
        raise TransportRefused(problem)
