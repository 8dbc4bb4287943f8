"""Two `duly serve` processes on one database answer the same conversation without a
race: the database row lock on the conversation is the guard across processes."""

from __future__ import annotations

import collections
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from storage import db as storage_db
from storage.models import Message
from tests.live import AUTH_TOKEN, OUR_NUMBER, PUBLIC_BASE, wait_healthy

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=db_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE,
               SMS_TRANSPORT="console", API_TOKEN="x", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "duly.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    def alive() -> None:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}")

    wait_healthy(url, alive)


def _post(url: str, body: str, sid: str) -> int:
    form = [("MessageSid", sid), ("From", "+15555550101"), ("To", OUR_NUMBER), ("Body", body),
            ("NumMedia", "0"), ("AccountSid", "AC" + "0" * 32)]
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + "/webhooks/twilio/sms", dict(form))
    r = httpx.post(url + "/webhooks/twilio/sms", content=urlencode(form).encode(), timeout=60,
                   headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
    return r.status_code


def test_two_processes_same_conversation_no_race(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    from duly.app import seed_script
    from tests.live import settings_for
    seed_script(storage_db.make_sessionmaker(engine), settings_for(db_url))
    ports = [_free_port(), _free_port()]
    procs = [_serve(db_url, p) for p in ports]
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for u, pr in zip(urls, procs):
            _wait_healthy(u, pr)
        sids = ["SM" + uuid.uuid4().hex for _ in range(20)]
        codes = {}

        def send(i):
            codes[i] = _post(urls[i % 2], f"hello {i}", sids[i])
            # the same MessageSid to the other process too: acted on once
            if i % 5 == 0:
                _post(urls[(i + 1) % 2], f"hello {i}", sids[i])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(c == 200 for c in codes.values()) and len(codes) == 20
        with storage_db.make_sessionmaker(engine)() as s:
            inbound = s.execute(select(Message.id, Message.provider_sid, Message.processed_at)
                                .where(Message.direction == "inbound")).all()
            out = s.execute(select(Message.id, Message.in_reply_to_id, Message.body)
                            .where(Message.direction == "outbound").order_by(Message.id)).all()
        assert sorted(r.provider_sid for r in inbound) == sorted(sids)
        assert all(r.processed_at is not None for r in inbound)
        per_inbound = collections.Counter(r.in_reply_to_id for r in out)
        # every inbound acted on once: the same replies are never produced twice for it
        assert all(n <= 2 for n in per_inbound.values()), per_inbound
        order = [r.in_reply_to_id for r in out if r.in_reply_to_id is not None]
        assert order == sorted(order)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        engine.dispose()
