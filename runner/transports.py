"""Transports: how an allowed outbound message leaves Duly.

A transport never interprets text and never decides whether a message may go — the
outbound gate already did. ``console`` prints and marks the message sent (dev, demo);
``twilio`` calls the real twilio library's Messages API, with an HTTP client that can
be injected (tests record requests and answer the way Twilio's API documents).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TextIO

#: Twilio error codes that mean "never retry this message" (the number cannot get it).
PERMANENT_ERRORS = {"21211", "21408", "21610", "21612", "21614", "30003", "30004", "30005", "30006"}


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send: ``status`` is ``sent`` (console), ``queued``/``accepted``
    (provider took it, ``sid`` set), ``failed`` (permanent, ``error_code`` set) or
    ``unknown`` (timeout or connection lost: the status callback will settle it —
    Twilio's Messages API has no idempotency key, so it is never retried blindly)."""

    status: str
    sid: str | None = None
    error_code: str | None = None


class ConsoleTransport:
    """Prints each message to ``out`` instead of sending it (``SMS_TRANSPORT=console``)."""

    name = "console"

    def __init__(self, out: TextIO | None = None):
        self.out = out or sys.stdout

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None = None,
             validity_period: int | None = None) -> SendResult:
        """Print ``body`` addressed to ``to``; always ``SendResult("sent")``."""
        print(f"[console sms → {to}] {body}", file=self.out, flush=True)
        return SendResult("sent")


class TwilioTransport:
    """Sends through Twilio's Messages API with the official ``twilio`` library.

    http_client: a ``twilio.http.HttpClient`` (inject a recording fake in tests).
    from_ / messaging_service_sid: the sender (one of them is required).
    """

    name = "rest"

    def __init__(self, account_sid: str, auth_token: str, *, from_: str | None = None,
                 messaging_service_sid: str | None = None, http_client: Any = None):
        from twilio.rest import Client

        if not (from_ or messaging_service_sid):
            raise ValueError("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required to send")
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid

    def send(self, *, to: str, from_: str | None = None, body: str,
             status_callback: str | None = None, validity_period: int | None = None) -> SendResult:
        """Create the message at Twilio. ``validity_period``: seconds left in the
        customer's allowed window (Twilio otherwise queues up to 10 hours).
        Returns :class:`SendResult`; raises nothing for provider errors."""
        from twilio.base.exceptions import TwilioException, TwilioRestException

        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = from_ or self.from_
        if status_callback:
            kwargs["status_callback"] = status_callback
        if validity_period:
            kwargs["validity_period"] = max(1, min(int(validity_period), 36000))
        try:
            msg = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code else None
            if exc.status and exc.status >= 500:
                return SendResult("unknown", error_code=code)
            return SendResult("failed", error_code=code)
        except TwilioException:
            return SendResult("unknown")
        except OSError:
            return SendResult("unknown")
        return SendResult(str(msg.status or "queued"), sid=msg.sid)
