"""kill -9 in the middle of things, with real processes and the real twilio library over
HTTP to a local stand-in for api.twilio.com:

* a worker killed mid-send: the row is left ``sending``; the next worker marks it
  ``unknown`` and never sends it again; Twilio's status callback settles it;
* a web process killed with requests in flight: Twilio retries them; every message is
  stored once and acted on once, no reply is produced twice.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from storage import db as storage_db
from storage.models import Message
from tests.live import AUTH_TOKEN, OUR_NUMBER, PUBLIC_BASE, Duly, LiveServer, wait_for
from tests.test_e2e_processes import _free_port, _serve, _wait_healthy
from tests.test_worker import CUSTOMER, NOW, TWILIO_ENV, add_account, add_conversation, add_message

ROOT = Path(__file__).resolve().parent.parent


class FakeTwilio:
    """Answers the Messages API like Twilio (201 + JSON); the first request hangs."""

    def __init__(self) -> None:
        self.hits: list[dict] = []
        self.lock = threading.Lock()

    async def create(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        with self.lock:
            self.hits.append(form)
            first = len(self.hits) == 1
        if first:
            await asyncio.sleep(120)            # the worker is mid-send when it is killed
        sid = "SM" + uuid.uuid4().hex
        return JSONResponse({"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                             "body": form.get("Body"), "num_segments": "1", "error_code": None,
                             "account_sid": request.path_params["sid"]}, status_code=201)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self.create,
                                       methods=["POST"])])


def _short_lease_config(tmp: Path) -> str:
    """config.toml with a 2-second SQLite worker lease (the killed worker's lease would
    otherwise keep the next one out for a minute of wall clock)."""
    text = (ROOT / "config.toml").read_text("utf-8")
    marker = "lease_seconds = 60 "
    assert marker in text
    path = tmp / "config.toml"
    path.write_text(text.replace(marker, "lease_seconds = 2  ", 1), "utf-8")
    return str(path)


def _worker(db_url: str, api: str, now: dt.datetime, config: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=db_url, TWILIO_API_BASE=api, PUBLIC_BASE_URL=PUBLIC_BASE,
               LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", DULY_CONFIG=config, **TWILIO_ENV)
    env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    return subprocess.Popen([sys.executable, "-m", "duly.cli", "worker", "--once", "--now", now.isoformat()],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_worker_killed_mid_send_never_sends_twice(db_url, tmp_path):
    config = _short_lease_config(tmp_path)
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    sessions = storage_db.make_sessionmaker(engine)
    fake = FakeTwilio()
    try:
        acct = add_account(sessions)
        conv = add_conversation(sessions, account_id=acct)
        asked = add_message(sessions, conv, status="received", transport=None, kind="inbound",
                            sender="customer", to=OUR_NUMBER, frm=CUSTOMER)
        with sessions() as s, s.begin():
            s.get(Message, asked).direction = "inbound"
        # written a minute before the worker runs (an hour-old reply is refused as stale,
        # gate:stale_reply, and would never reach the fake)
        mid = add_message(sessions, conv, status="pending", transport="rest", kind="reply", sender="bot",
                          in_reply_to_id=asked, account_id=acct, body="Thanks, we got your message.",
                          created_at=NOW - dt.timedelta(minutes=1))
        with LiveServer(fake.app()) as api:
            first = _worker(db_url, api.url, NOW, config)
            assert wait_for(lambda: len(fake.hits) == 1, timeout=60), first.stderr.read1().decode()[-2000:]
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            with sessions() as s:
                assert s.get(Message, mid).status == "sending"
            # the next worker, past the sending timeout: unknown, never resent
            time.sleep(2.5)                        # the dead worker's SQLite lease runs out
            second = _worker(db_url, api.url, NOW + dt.timedelta(minutes=10), config)
            out, err = second.communicate(timeout=60)
            assert second.returncode == 0, err.decode()[-2000:]
            assert len(fake.hits) == 1
            with sessions() as s:
                assert s.get(Message, mid).status == "unknown"
        # Twilio's status callback for it settles it
        with Duly(db_url) as duly:
            form = [("MessageSid", "SM" + "e" * 32), ("MessageStatus", "delivered"), ("To", CUSTOMER),
                    ("From", OUR_NUMBER), ("AccountSid", TWILIO_ENV["TWILIO_ACCOUNT_SID"])]
            assert duly.post_signed(f"/webhooks/twilio/status?mid={mid}", form).status_code == 204
        with sessions() as s:
            assert s.get(Message, mid).status == "delivered"
    finally:
        engine.dispose()


def _post(url: str, body: str, sid: str) -> int:
    form = [("MessageSid", sid), ("From", "+15555550101"), ("To", OUR_NUMBER), ("Body", body),
            ("NumMedia", "0"), ("AccountSid", "AC" + "0" * 32)]
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + "/webhooks/twilio/sms", dict(form))
    try:
        return httpx.post(url + "/webhooks/twilio/sms", content=urlencode(form).encode(), timeout=60,
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "X-Twilio-Signature": sig}).status_code
    except httpx.HTTPError:
        return 0                               # the process died under it


def test_web_process_killed_with_requests_in_flight_loses_nothing(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    from duly.app import seed_script
    from tests.live import settings_for

    seed_script(storage_db.make_sessionmaker(engine), settings_for(db_url))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(db_url, port)
    sids = ["SM" + uuid.uuid4().hex for _ in range(20)]
    try:
        _wait_healthy(url, proc)
        codes: dict[int, int] = {}
        threads = [threading.Thread(target=lambda i=i: codes.__setitem__(i, _post(url, f"hello {i}", sids[i])))
                   for i in range(20)]
        for t in threads:
            t.start()
            time.sleep(0.01)
        time.sleep(0.15)
        proc.send_signal(signal.SIGKILL)         # mid-request for some of them
        proc.wait(10)
        for t in threads:
            t.join()
        # a new process; Twilio retries every request that did not get a 200
        proc = _serve(db_url, port)
        _wait_healthy(url, proc)
        for i, sid in enumerate(sids):
            if codes.get(i) != 200:
                assert _post(url, f"hello {i}", sid) == 200
        # and delivers some twice anyway (it may): acted on once
        for i in range(0, 20, 4):
            assert _post(url, f"hello {i}", sids[i]) == 200
        with storage_db.make_sessionmaker(engine)() as s:
            inbound = s.execute(select(Message.provider_sid, Message.processed_at)
                                .where(Message.direction == "inbound")).all()
            out = s.execute(select(Message.in_reply_to_id).where(Message.direction == "outbound")).all()
        assert sorted(r.provider_sid for r in inbound) == sorted(sids)
        assert all(r.processed_at is not None for r in inbound)
        per = collections.Counter(r.in_reply_to_id for r in out)
        assert all(n <= 2 for n in per.values()), per      # never the same replies twice
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        engine.dispose()
