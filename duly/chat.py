"""``duly chat PHONE``: talk to the running bot as a customer, from the terminal.

Each line typed is sent as a *signed* inbound webhook (the dev token, or
``TWILIO_AUTH_TOKEN``); every outbound message to that phone is printed as it is
stored — replies, reminders, agent messages — by following the database.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

import httpx2 as httpx
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

WEBHOOK_PATH = "/webhooks/twilio/sms"


def signed_post(client: httpx.Client, url: str, signing_url: str, token: str,
                form: list[tuple[str, str]]) -> httpx.Response:
    """POST ``form`` to ``url`` with an ``X-Twilio-Signature`` computed over
    ``signing_url`` the way Twilio does."""
    sig = RequestValidator(token).compute_signature(signing_url, dict(form))
    return client.post(url, data=dict(form), headers={"X-Twilio-Signature": sig})


def inbound_form(phone: str, ours: str, body: str) -> list[tuple[str, str]]:
    """The form fields Twilio sends for an inbound SMS."""
    sid = "SM" + uuid.uuid4().hex
    return [("MessageSid", sid), ("SmsSid", sid), ("AccountSid", "AC" + "0" * 32),
            ("From", phone), ("To", ours), ("Body", body), ("NumMedia", "0"),
            ("NumSegments", "1"), ("SmsStatus", "received"), ("ApiVersion", "2010-04-01")]


#: statuses after which a shown text can still change to refused, failed or undelivered
_OPEN = ("deferred", "pending", "queued", "sending", "sent")
_QUIET = ("sent", "queued", "delivered", "pending", "sending")


def _say(line: str) -> None:
    if sys.stdout.isatty():
        print(f"\r\033[K{line}\nyou> ", end="", flush=True)
    else:
        print(line, flush=True)


def follow(sessions, phone: str, stop: threading.Event, start_after: int, earlier_until: int = 0) -> None:
    """Print every outbound message to ``phone`` stored after id ``start_after``; those up
    to ``earlier_until`` (already there when the chat started) are marked as earlier. A
    text shown while it waited (deferred to the morning, queued) that is later refused at
    the gate, fails or is undelivered is reported again with its status and rule."""
    from storage.models import Decision, Message

    last = start_after
    waiting: dict[int, str] = {}   # id -> status, for texts that may still be refused
    while not stop.is_set():
        try:
            with sessions() as s:
                rows = s.execute(select(Message.id, Message.body, Message.status, Message.kind)
                                 .where(Message.to_number == phone, Message.direction == "outbound",
                                        Message.id > last).order_by(Message.id)).all()
                changed = s.execute(select(Message.id, Message.body, Message.status)
                                    .where(Message.id.in_(list(waiting)))).all() if waiting else []
                rules = {mid: s.scalar(select(Decision.rule).where(Decision.message_id == mid,
                                                                   Decision.verdict == "refuse")
                                       .order_by(Decision.id.desc()).limit(1))
                         for mid, _, st in changed if st == "refused" and waiting.get(mid) != st}
        except Exception:
            rows, changed, rules = [], [], {}
        for mid, body, status in changed:
            if status == waiting.get(mid):
                continue
            if status in ("refused", "failed", "undelivered", "canceled"):
                rule = f" {rules[mid]}" if rules.get(mid) else ""
                short = body if len(body) <= 60 else body[:57] + "…"
                _say(f"duly> [{status}{rule}: {short}]")
            if status in _OPEN:
                waiting[mid] = status
            else:
                waiting.pop(mid, None)
        for mid, body, status, kind in rows:
            last = mid
            note = "" if status in _QUIET else f"  [{status}]"
            who = "duly (earlier)>" if mid <= earlier_until else "duly>"
            _say(f"{who} {body}{note}")
            if status in _OPEN:
                waiting[mid] = status
        stop.wait(0.3)


def main(phone: str, url: str = "http://127.0.0.1:8000", to: str | None = None) -> int:
    """Run the chat loop until EOF or Ctrl-C."""
    if not os.environ.get("TWILIO_AUTH_TOKEN"):
        os.environ["DULY_DEV"] = "1"
    from bot.phones import normalise_phone
    from duly.config import load_settings
    from storage import db
    from storage.models import Message

    settings = load_settings()
    e164 = normalise_phone(phone, settings.behaviour.get("default_region", "US"))
    if e164 is None:
        print(f"duly chat: {phone!r} is not a phone number", file=sys.stderr)
        return 2
    ours = to or settings.behaviour.get("demo", {}).get("our_number", "+15555550100")
    base = url.rstrip("/")
    signing = (settings.public_base_url or base) + WEBHOOK_PATH
    engine = db.make_engine(settings.database_url)
    sessions = db.make_sessionmaker(engine)
    try:
        with sessions() as s:
            # show the last few messages Duly already sent this phone (a cadence notice
            # may have gone before the chat started), then follow new ones
            recent = s.scalars(select(Message.id).where(
                Message.to_number == e164, Message.direction == "outbound")
                .order_by(Message.id.desc()).limit(3)).all()
            start_after = (min(recent) - 1) if recent else (s.scalar(select(func.max(Message.id))) or 0)
    except Exception:
        print("duly chat: cannot read the database; start `duly demo` (or `duly serve`) first, "
              "in this folder", file=sys.stderr)
        return 2
    with sessions() as s:
        earlier_until = s.scalar(select(func.max(Message.id))) or 0
    print(f"Chatting as {e164} with {ours} at {base}. Ctrl-D or Ctrl-C to quit.", flush=True)
    stop = threading.Event()
    t = threading.Thread(target=follow, args=(sessions, e164, stop, start_after, earlier_until), daemon=True)
    t.start()
    failed = False
    try:
        with httpx.Client(timeout=20) as client:
            while True:
                try:
                    line = input("you> " if sys.stdin.isatty() else "")
                except EOFError:
                    break
                try:
                    r = signed_post(client, base + WEBHOOK_PATH, signing, settings.auth_token,
                                    inbound_form(e164, ours, line))
                except httpx.HTTPError as exc:
                    print(f"duly chat: cannot reach {base}: {exc}", file=sys.stderr, flush=True)
                    failed = True
                    continue
                if r.status_code != 200:
                    failed = True
                    print(f"duly chat: the server answered {r.status_code}: {r.text.strip()}",
                          file=sys.stderr)
                time.sleep(0.4)
    except KeyboardInterrupt:
        pass
    finally:
        time.sleep(0.5)
        stop.set()
        engine.dispose()
    print()
    return 1 if failed else 0
