"""Twilio webhooks: verify, parse into a typed message, persist, answer TwiML.

This module knows HTTP and Twilio, nothing about dialogs. The order is fixed:

1. refuse anything but ``application/x-www-form-urlencoded`` (415) — twilio-python's
   validator raises on a multipart body;
2. verify ``X-Twilio-Signature`` against the URL Twilio called, over the body exactly
   as sent (403 on a missing, garbage or wrong signature; never 500);
3. only then read fields: ``MessageSid``, ``From`` and ``To`` are required (400);
4. hand a typed :class:`bot.types.InboundMessage` to the runner, which stores it
   before acting on it;
5. answer TwiML as ``text/xml`` — ``<Response/>`` even when saying nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape, quoteattr

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.types import InboundMessage

log = logging.getLogger("duly.webhooks")

#: Largest webhook body accepted (Twilio's own bodies are a few KB; 1600 chars of
#: UCS-2 text percent-encoded stay far below this).
MAX_BODY_BYTES = 256 * 1024

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class FormParams:
    """The webhook form as an ordered multi-dict, in the shape twilio-python's
    validator accepts (``getall``) — repeated fields keep every value."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs
        self._d: dict[str, list[str]] = {}
        for k, v in pairs:
            self._d.setdefault(k, []).append(v)

    def __iter__(self):
        return iter(self._d)

    def __contains__(self, key: object) -> bool:
        return key in self._d

    def getall(self, key: str) -> list[str]:
        return self._d[key]

    def first(self, key: str, default: str = "") -> str:
        """The first value of ``key`` or ``default``."""
        values = self._d.get(key)
        return values[0] if values else default

    def as_dict(self) -> dict[str, str]:
        """First value of every field (for the audit copy)."""
        return {k: v[0] for k, v in self._d.items()}


def _xml_text(text: str) -> str:
    """Text safe inside an XML 1.0 document: characters XML forbids become U+FFFD."""
    return "".join(
        ch if (ch in "\t\n\r" or 0x20 <= ord(ch) <= 0xD7FF or 0xE000 <= ord(ch) <= 0xFFFD
               or 0x10000 <= ord(ch) <= 0x10FFFF) else "\ufffd"
        for ch in text)


def twiml(messages: list[tuple[str, str]]) -> str:
    """TwiML for ``(body, action_url)`` pairs: one ``<Message>`` each, with the status
    callback URL as ``action`` so the callback finds the stored row. Well-formed XML
    whatever the bodies hold."""
    if not messages:
        return EMPTY_TWIML
    parts = ['<?xml version="1.0" encoding="UTF-8"?><Response>']
    for body, action in messages:
        parts.append(f'<Message action={quoteattr(action)} method="POST">{escape(_xml_text(body))}</Message>')
    parts.append("</Response>")
    return "".join(parts)


def xml_response(body: str, status: int = 200) -> Response:
    """A TwiML answer: always ``text/xml``."""
    return Response(body, status_code=status, media_type="text/xml")


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio signed: ``PUBLIC_BASE_URL`` + the raw path + the raw query when
    configured, else the request's own URL (scheme and host as uvicorn saw them, which
    honours ``X-Forwarded-Proto``/``-For`` only from ``--forwarded-allow-ips``).

    The raw path and query are used as sent: Starlette's ``request.url`` decodes the
    path, which would break signatures over ``%20`` and friends."""
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope.get("path", "/")
    query = scope.get("query_string", b"").decode("latin-1")
    if "?" in path:  # some servers keep the query inside raw_path
        path, _, query = path.partition("?")
    tail = path + (("?" + query) if query else "")
    if public_base_url:
        return public_base_url.rstrip("/") + tail
    host = request.headers.get("host") or (scope.get("server") or ("localhost", 80))[0]
    return f"{scope.get('scheme', 'http')}://{host}{tail}"


async def read_signed_form(request: Request, auth_token: str, public_base_url: str | None
                           ) -> tuple[FormParams | None, Response | None]:
    """Check media type, size and signature; return the parsed form or the error answer.

    Returns ``(params, None)`` on success, ``(None, response)`` with 415, 413, 400 or
    403 otherwise. Never raises for bad input."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return None, Response("unsupported media type: send application/x-www-form-urlencoded\n",
                              status_code=415, media_type="text/plain")
    if len(request.headers.getlist("x-twilio-signature")) > 1:
        # one request, one signature: a second header is not Twilio's
        return None, Response("more than one X-Twilio-Signature\n", status_code=403, media_type="text/plain")
    signature = request.headers.get("x-twilio-signature", "")
    if not signature:
        return None, Response("missing X-Twilio-Signature\n", status_code=403, media_type="text/plain")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None, Response("body too large\n", status_code=413, media_type="text/plain")
    chunks, size = [], 0
    async for chunk in request.stream():  # read at most MAX_BODY_BYTES, never the whole claim
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None, Response("body too large\n", status_code=413, media_type="text/plain")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                          encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        # Twilio signs UTF-8 forms only: an undecodable body cannot carry a valid signature.
        return None, Response("invalid X-Twilio-Signature\n", status_code=403, media_type="text/plain")
    params = FormParams(pairs)
    url = signed_url(request, public_base_url)
    try:
        ok = RequestValidator(auth_token).validate(url, params, signature)
    except Exception:  # the validator must never turn bad input into a 500
        log.warning("signature check raised", exc_info=True)
        ok = False
    if not ok:
        log.info("webhook refused: bad signature for %s", request.scope.get("path"))
        return None, Response("invalid X-Twilio-Signature\n", status_code=403, media_type="text/plain")
    return params, None


_SID = re.compile(r"[A-Za-z]{2}[0-9A-Za-z]{1,62}")
#: An SMS/MMS address: E.164, a short code or an alphanumeric sender ID (≤ 11
#: characters); 20 characters is the column width everywhere a phone is stored.
_ADDRESS = re.compile(r"\+?[0-9A-Za-z][0-9A-Za-z ._-]{0,19}")


def valid_sid(value: str) -> bool:
    """A Twilio SID shape: two letters then up to 62 letters/digits (no NUL, no spaces)."""
    return bool(value) and _SID.fullmatch(value) is not None


def valid_address(value: str) -> bool:
    """``From``/``To`` of an SMS: E.164, a short code or an alphanumeric sender, at most
    20 characters. ``whatsapp:+1…`` and other channels are refused (400)."""
    return bool(value) and len(value) <= 20 and _ADDRESS.fullmatch(value) is not None


def _small_int(raw: str, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(raw)))
    except (TypeError, ValueError):
        return default


def parse_inbound(params: FormParams) -> InboundMessage | None:
    """The signed form as a typed message; ``None`` when ``MessageSid``, ``From`` or
    ``To`` is missing, empty or not an SMS address/SID (see :func:`valid_address`). NUL characters in the body become U+FFFD (PostgreSQL
    text cannot hold NUL) — after the signature was checked over the original."""
    sid, frm, to = params.first("MessageSid"), params.first("From"), params.first("To")
    if not valid_sid(sid) or not valid_address(frm) or not valid_address(to):
        return None
    body = params.first("Body").replace("\x00", "\ufffd")
    num_media = _small_int(params.first("NumMedia", "0"), 0, 0, 10)
    num_segments = _small_int(params.first("NumSegments", "1"), 1, 1, 100)
    media = []
    for i in range(min(num_media, 10)):
        url = params.first(f"MediaUrl{i}")
        if url:
            media.append((url, params.first(f"MediaContentType{i}")))
    audit = {k.replace("\x00", "\ufffd")[:64]: v.replace("\x00", "\ufffd")[:2000]
             for k, v in params.as_dict().items()}
    return InboundMessage(provider_sid=sid, from_number=frm.replace("\x00", ""),
                          to_number=to.replace("\x00", ""), body=body,
                          num_segments=num_segments, num_media=num_media,
                          media=tuple(media), params=audit)


def status_action_url(base: str, message_id: int) -> str:
    """The ``action`` URL of a TwiML ``<Message>``: the status webhook carrying the
    stored message's id."""
    return f"{base.rstrip('/')}/webhooks/twilio/status?{urlencode({'mid': message_id})}"


def routes(app_state: Any) -> list[Route]:
    """The Twilio routes, bound to the app's services (``app_state.services``)."""

    async def sms(request: Request) -> Response:
        services = request.app.state.services
        params, error = await read_signed_form(request, services.settings.auth_token,
                                               services.settings.public_base_url)
        if error is not None:
            return error
        msg = parse_inbound(params)
        if msg is None:
            return Response("MessageSid, From and To are required\n", status_code=400,
                            media_type="text/plain")
        base = services.settings.public_base_url or _base_of(request)
        replies = await run_in_threadpool(services.runner.receive, msg)
        return xml_response(twiml([(body, status_action_url(base, mid)) for mid, body in replies]))

    async def status(request: Request) -> Response:
        services = request.app.state.services
        params, error = await read_signed_form(request, services.settings.auth_token,
                                               services.settings.public_base_url)
        if error is not None:
            return error
        sid = params.first("MessageSid") or params.first("SmsSid")
        st = (params.first("MessageStatus") or params.first("SmsStatus")).lower()
        if not valid_sid(sid) or not st or len(st) > 16 or not st.isalpha():
            return Response("MessageSid and MessageStatus are required\n", status_code=400,
                            media_type="text/plain")
        to = params.first("To")
        if to and not valid_address(to):
            to = ""
        code = params.first("ErrorCode")
        code = code if code.isascii() and code.isdigit() and len(code) <= 8 else None
        mid_raw = request.query_params.get("mid", "")
        # isascii(): str.isdigit() is also true for "²", "①"... which int() refuses; and
        # messages.id is a 32-bit INTEGER on PostgreSQL, where a larger bound value is
        # "integer out of range" — both were 503s found by tests/test_webhook_fuzz.py.
        # Out of range means no such row: the lookup by MessageSid still runs.
        mid = int(mid_raw) if mid_raw.isascii() and mid_raw.isdigit() and len(mid_raw) <= 10 else None
        if mid is not None and mid > 2**31 - 1:
            mid = None
        await run_in_threadpool(services.runner.status_callback, sid, st, code, to, mid)
        return Response(status_code=204)

    return [
        Route("/webhooks/twilio/sms", sms, methods=["POST"]),
        Route("/webhooks/twilio/status", status, methods=["POST"]),
    ]


def _base_of(request: Request) -> str:
    scope = request.scope
    host = request.headers.get("host") or "localhost"
    return f"{scope.get('scheme', 'http')}://{host}"


