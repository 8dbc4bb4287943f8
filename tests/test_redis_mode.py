"""With REDIS_URL: conversations ordered across processes by a Redis lock in front of the
database row lock; MessageSid fast path; Redis down → the database guards alone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Message
from tests.conftest import need_redis, redis_url_for_tests
from tests.live import Duly, replies_in
from tests.test_console_http import ACCOUNTS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.redis


def _config(tmp: Path) -> str:
    text = (ROOT / "config.toml").read_text("utf-8").replace("lock_wait_seconds = 10", "lock_wait_seconds = 0.5", 1)
    path = tmp / "config.toml"
    path.write_text(text, "utf-8")
    return str(path)


def test_busy_conversation_answers_503_and_the_retry_is_answered(db_url, tmp_path):
    need_redis()
    with Duly(db_url, REDIS_URL=redis_url_for_tests(), DULY_CONFIG=_config(tmp_path)) as duly:
        duly.import_accounts(ACCOUNTS)
        kv = duly.services.runner.kv
        assert kv is not None and kv.backend == "redis"
        assert "<Message" in duly.sms("help").text
        with duly.services.sessions() as s:
            conv_id = s.scalar(select(Message.conversation_id).where(Message.direction == "inbound"))
        # another process holds the conversation
        held = kv.locks.acquire(f"conv:{conv_id}", ttl_seconds=30, wait_seconds=0)
        assert held is not None
        sid = "SM" + uuid.uuid4().hex
        try:
            r = duly.sms("pay", sid=sid)
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            with duly.services.sessions() as s:       # stored, not dropped
                assert s.scalar(select(Message.id).where(Message.provider_sid == sid)) is not None
        finally:
            held.release()
        again = duly.sms("pay", sid=sid)               # Twilio's retry
        assert again.status_code == 200 and "pay" in " ".join(replies_in(again.text)).lower()
        assert duly.sms("pay", sid=sid).text.endswith("<Response/>")       # and once only


def test_redis_down_the_database_guards_alone(db_url):
    with Duly(db_url, REDIS_URL="redis://127.0.0.1:1/0") as duly:
        duly.import_accounts(ACCOUNTS)
        assert duly.http.get("/healthz").status_code == 503           # health says so
        r = duly.sms("help")
        assert r.status_code == 200 and "<Message" in r.text            # customers are still answered
