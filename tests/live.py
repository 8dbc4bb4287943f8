"""Test helpers: a real uvicorn server in a thread, signed Twilio requests, app wiring."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import urlencode

import httpx2 as httpx
import uvicorn
from twilio.request_validator import RequestValidator

from duly.app import create_app, make_services
from duly.config import load_settings

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC_BASE = "https://sms.example.test"
API_TOKEN = "test-api-token"
OUR_NUMBER = "+15555550100"

#: Monday 2026-11-30 10:00 in New York, the corpus's reference time.
MONDAY_10_NY = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)


class Clock:
    """A settable clock: ``clock()`` returns ``now``; ``advance(**kw)`` moves it."""

    def __init__(self, now: dt.datetime = MONDAY_10_NY):
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.now

    def advance(self, **kw: float) -> None:
        with self._lock:
            self.now = self.now + dt.timedelta(**kw)


class RecordingTransport:
    """Records what would be sent (for non-TwiML sends)."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, **kw: Any):
        from runner.transports import SendResult

        self.sent.append(kw)
        return SendResult("sent")


def settings_for(db_url: str, **env: str):
    base = {"DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE,
            "API_TOKEN": API_TOKEN, "SMS_TRANSPORT": "console"}
    base.update(env)
    return load_settings(env=base)


class LiveServer:
    """uvicorn serving ``app`` on a free loopback port, in a background thread."""

    def __init__(self, app: Any, **config: Any):
        """``config``: more ``uvicorn.Config`` options (e.g. ``timeout_keep_alive``)."""
        self.app = app
        # IPPROTO_TCP: uvicorn then sets TCP_NODELAY (about 40 ms per keep-alive request otherwise)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, **{
            "log_level": "warning", "lifespan": "off", "access_log": False,
            "timeout_graceful_shutdown": 3, **config}))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


class Duly:
    """A running Duly (real uvicorn, real database) plus a customer's phone to text from."""

    def __init__(self, db_url: str, clock: Clock | None = None, **env: str):
        self.clock = clock or Clock()
        self.transport = RecordingTransport()
        self.settings = settings_for(db_url, **env)
        self.services = make_services(self.settings, clock=self.clock, transport=self.transport,
                                      migrate=True)
        self.app = create_app(self.services)
        self.server = LiveServer(self.app)
        self.http: httpx.Client | None = None

    def __enter__(self) -> "Duly":
        self.server.__enter__()
        self.http = httpx.Client(base_url=self.server.url, timeout=30)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.http is not None:
            self.http.close()
        self.server.__exit__(*exc)
        self.services.engine.dispose()

    # --- requests ---------------------------------------------------------------------
    def post_signed(self, path: str, form: list[tuple[str, str]], token: str = AUTH_TOKEN,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        params: dict[str, list[str]] = {}
        for k, v in form:
            params.setdefault(k, []).append(v)

        class _P(dict):
            def getall(self, k):
                return params[k]

        sig = RequestValidator(token).compute_signature(PUBLIC_BASE + path, _P({k: v for k, v in params.items()}))
        h = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig}
        h.update(headers or {})
        return self.http.post(path, content=urlencode(form).encode(), headers=h)

    def sms(self, body: str, frm: str = "+15555550101", to: str = OUR_NUMBER,
            sid: str | None = None) -> httpx.Response:
        sid = sid or "SM" + uuid.uuid4().hex
        form = [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"), ("SmsSid", sid),
                ("SmsStatus", "received"), ("Body", body), ("To", to), ("NumSegments", "1"),
                ("MessageSid", sid), ("AccountSid", "AC" + "a1" * 16), ("From", frm),
                ("ApiVersion", "2010-04-01")]
        return self.post_signed("/webhooks/twilio/sms", form)

    def conversation(self, phone: str = "+15555550101") -> dict[str, Any]:
        r = self.http.get("/api/conversations", params={"phone": phone},
                          headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert r.status_code == 200, r.text
        return r.json()

    def outbound_bodies(self, phone: str = "+15555550101") -> list[str]:
        return [m["body"] for m in self.conversation(phone)["messages"] if m["direction"] == "outbound"
                and m["status"] != "refused"]

    def import_accounts(self, csv_text: str, today: dt.date | None = None):
        import io
        import tempfile
        from pathlib import Path

        from duly.accounts_cli import import_file

        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as fh:
            fh.write(csv_text)
        try:
            return import_file(self.settings, self.services.sessions, Path(fh.name),
                               today=today or self.clock().date(), now=self.clock())
        finally:
            Path(fh.name).unlink()


def replies_in(twiml_text: str) -> list[str]:
    """The ``<Message>`` bodies in a TwiML answer."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(twiml_text)
    return [m.text or "" for m in root.iter("Message")]


def wait_for(pred: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.02)


def wait_healthy(url: str, alive: Callable[[], None], timeout: float = 60.0) -> None:
    """Wait until ``url``'s ``/healthz`` answers 200 (a server process starting).
    ``alive()`` is called between tries and raises when the process(es) died; a server
    not healthy within ``timeout`` seconds raises ``AssertionError``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        try:
            if httpx.get(url + "/healthz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become healthy in {timeout:g} s")


# --- console ---------------------------------------------------------------------------------

def add_user(duly: "Duly", email: str, role: str = "agent", password: str = "correct horse battery") -> str:
    """Create a console user directly in the database; returns the password."""
    from console import auth

    with duly.services.sessions() as s, s.begin():
        auth.create_user(s, email, role, password, duly.clock())
    return password


def console_login(duly: "Duly", email: str, password: str = "correct horse battery") -> tuple[httpx.Client, str]:
    """Sign in through the real form; returns a client holding the session cookie and the
    session's CSRF token (read from the page)."""
    import re

    c = httpx.Client(base_url=duly.server.url, timeout=30)
    page = c.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/console/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text
    inbox = c.get("/console/inbox")
    assert inbox.status_code == 200, inbox.text
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', inbox.text).group(1)
    return c, csrf
