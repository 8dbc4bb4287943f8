"""Logging: structured JSON lines with a request id, and phone numbers masked.

``configure(fmt)`` is called once per process by the CLI: ``json`` (the default for
``duly serve`` and ``duly worker``, one JSON object per line via ``python-json-logger``)
or ``text`` (demo and terminal tools); ``LOG_FORMAT`` overrides. Every record gets
``request_id`` (the web request being served, from :data:`REQUEST_ID`; ``-`` outside a
request) and passes :class:`MaskPhones`, a last line of defence that masks any E.164
number left in a message (the code already logs masked numbers: ``runner.outbound.mask_phone``).
Message bodies are never logged at INFO.

:class:`RequestIdMiddleware` (pure ASGI) takes a sane ``X-Request-ID`` from the caller or
makes one, sets :data:`REQUEST_ID` for the request and returns it in the response header.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import uuid
from typing import Any

#: the id of the web request being served (``-`` outside one)
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("duly_request_id", default="-")

_PHONE = re.compile(r"\+\d{8,15}")
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _mask(match: re.Match[str]) -> str:
    digits = match.group(0)
    return digits[:4] + "***" + digits[-4:]


class MaskPhones(logging.Filter):
    """Masks E.164 numbers (``+15555550101`` → ``+155***0101``) in a record's message and
    adds ``request_id``. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        try:
            msg = record.getMessage()
        except Exception:
            return True
        if _PHONE.search(msg):
            record.msg, record.args = _PHONE.sub(_mask, msg), None
        return True


def configure(fmt: str | None = None, level: str | None = None) -> None:
    """Set up the root logger once: ``fmt`` ``json`` or ``text`` (``LOG_FORMAT`` wins),
    ``level`` (``LOG_LEVEL`` wins, default INFO)."""
    fmt = (os.environ.get("LOG_FORMAT") or fmt or "text").lower()
    level = (os.environ.get("LOG_LEVEL") or level or "INFO").upper()
    handler = logging.StreamHandler()
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                                           rename_fields={"levelname": "level", "asctime": "time",
                                                          "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.addFilter(MaskPhones())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("alembic", "httpx", "httpx2", "httpcore", "twilio.http_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class RequestIdMiddleware:
    """Pure ASGI middleware: one id per HTTP request (``X-Request-ID`` in and out)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for k, v in scope.get("headers") or []:
            if k == b"x-request-id":
                given = v.decode("latin-1")
                break
        rid = given if _SAFE_ID.fullmatch(given or "") else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(rid)

        async def send_with_id(message: dict) -> None:
            if message.get("type") == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
