"""Attack on fb347d6 (runner/jobs.py): malformed entries in the jobs stream — several,
mixed with valid kicks, and one whose ``data`` field is junk."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from runner import jobs
from tests.conftest import need_redis, redis_url_for_tests
from tests.test_jobs import _queue, receiving, wait_sent
from tests.test_worker import (Env, GateStandIn, add_conversation, add_message,  # noqa: F401
                               env, gate, message)

pytestmark = pytest.mark.redis


def test_mixed_malformed_and_valid_entries_the_receiver_recovers_and_the_worker_sends(
        env: Env, gate: GateStandIn, caplog):
    """Three entries without ``data``, one whose ``data`` is junk, and valid kicks in
    between, written in one go (one read batch). The receiver must not stall on a
    KeyError loop (each malformed entry dropped, the junk-data one acknowledged by taskiq
    as unparsable), the worker must be woken for the kicks behind them, and a kick after
    all that must still wake it at once."""
    if env.backend != "sqlite":
        pytest.skip("the stream, not the database, is under test")
    with caplog.at_level("WARNING", logger="duly.jobs"), receiving(env) as r:
        client, queue, transport = r.client, r.queue, r.transport
        r.loop.idle.clear()
        conv = add_conversation(env.sessions)
        first = add_message(env.sessions, conv, status="pending", transport="console")
        pipe = client.pipeline()
        pipe.xadd(queue, {"junk": "1"})
        pipe.xadd(queue, {"data": b"\x00not json at all"})
        pipe.xadd(queue, {"junk": "2"})
        pipe.execute()
        assert jobs.kick_outbox(SimpleNamespace(redis_url=r.url), queue=queue)
        client.xadd(queue, {"Data": "case matters"})
        t0 = time.monotonic()
        assert transport.sent_event.wait(20), "the worker was never woken past the malformed entries"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
                b"data" not in fields for _, fields in client.xrange(queue)):
            time.sleep(0.05)
        assert all(b"data" in fields for _, fields in client.xrange(queue)), client.xrange(queue)
        assert r.receiver.listening.wait(10)
        assert time.monotonic() - t0 < 15
        wait_sent(env, first, 10)
        assert message(env.sessions, first).status == "sent"
        # and later kicks still wake it
        transport.sent_event.clear()
        second = add_message(env.sessions, conv, status="pending", transport="console")
        assert jobs.kick_outbox(SimpleNamespace(redis_url=r.url), queue=queue)
        assert transport.sent_event.wait(20), "a kick after the malformed entries never woke the worker"
        wait_sent(env, second, 10)
        assert message(env.sessions, second).status == "sent"
        assert len(transport.sent) == 2


def test_drop_malformed_entries_spares_valid_ones_and_pages_past_1000():
    """drop_malformed_entries pages with XRANGE by 1,000: every entry without ``data``
    past the first page goes, every entry with one stays (acknowledged or not)."""
    need_redis()
    from storage.kv import _redis_client

    url = redis_url_for_tests()
    queue = _queue()
    client = _redis_client(url)
    try:
        client.xgroup_create(queue, jobs.GROUP, id="0", mkstream=True)
        pipe = client.pipeline()
        for i in range(2503):
            pipe.xadd(queue, {"data": b"x"} if i % 3 else {"nodata": str(i)})
        pipe.execute()
        client.xreadgroup(jobs.GROUP, "c1", {queue: ">"}, count=5000)   # all delivered, none acked
        bad = sum(1 for i in range(2503) if not i % 3)
        assert jobs.drop_malformed_entries(url, queue) == bad
        assert client.xlen(queue) == 2503 - bad
        assert client.xpending(queue, jobs.GROUP)["pending"] == 2503 - bad
        assert jobs.drop_malformed_entries(url, queue) == 0
        assert jobs.drop_malformed_entries("redis://127.0.0.1:1/0", queue) == 0   # Redis down: 0
    finally:
        client.delete(queue)
