"""The live-update bus: one contract over the in-process and the Redis implementation."""

from __future__ import annotations

import asyncio
import threading

import pytest

from storage.bus import MemoryBus, RedisBus
from tests.conftest import need_redis, redis_url_for_tests


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def bus(request):
    if request.param == "memory":
        return MemoryBus()
    need_redis()
    return RedisBus(redis_url_for_tests())


def _run(coro):
    """Run ``coro`` on a fresh event loop in its own thread (the browser tests' Playwright
    keeps a loop running in the main thread, where ``asyncio.run`` would refuse)."""
    out = {}

    def target():
        out["value"] = asyncio.run(coro)

    t = threading.Thread(target=target)
    t.start()
    t.join(30)
    return out["value"]


def test_every_subscriber_gets_a_publish_from_another_thread(bus):
    async def main():
        a, b = bus.subscribe(), bus.subscribe()
        assert await a.get(0.3) is None                       # nothing yet (and Redis subscribes)
        assert await b.get(0.3) is None
        t = threading.Thread(target=bus.publish, args=("handoff", 42))
        t.start()
        t.join()
        got = [await a.get(3), await b.get(3)]
        await a.close()
        await b.close()
        return got

    assert _run(main()) == [{"kind": "handoff", "conversation_id": 42}] * 2


def test_a_closed_subscription_gets_nothing_and_publish_never_raises(bus):
    async def main():
        sub = bus.subscribe()
        await sub.get(0.2)
        await sub.close()
        bus.publish("message", 1)                              # no listener: fine
        return True

    assert _run(main())


def test_slow_subscriber_keeps_the_newest_wakeups():
    bus = MemoryBus()

    async def main():
        sub = bus.subscribe()
        for i in range(300):
            bus.publish("message", i)
        await asyncio.sleep(0.05)
        got = [await sub.get(0.1) for _ in range(256)]
        return [g["conversation_id"] for g in got]

    ids = _run(main())
    assert ids[-1] == 299 and ids[0] == 44


def test_redis_down_publish_is_dropped_not_raised():
    bus = RedisBus("redis://127.0.0.1:1/0")                    # nothing listens there
    bus.publish("handoff", 1)

    async def main():
        sub = bus.subscribe()
        got = await sub.get(0.1)                               # falls back to polling
        await sub.close()
        return got

    assert _run(main()) is None
