"""Live-update bus: wake-ups for the console's server-sent events.

One interface, two implementations (the aiogram FSM-storage pattern):

* :class:`MemoryBus` — in-process; enough for one web process (``duly demo``, tests).
* :class:`RedisBus` — Redis pub/sub, when ``REDIS_URL`` is set, so that a handoff made by
  one process (a worker's timer, another web process) reaches browsers on every process.

A message is only a hint that something changed (``{"kind": "message" | "handoff" |
"conversation", "conversation_id": int}``): the console re-reads the database, which is
the truth. A lost message therefore loses nothing (the stream also polls), and Redis holds
nothing that cannot be rebuilt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Protocol

log = logging.getLogger("duly.bus")

CHANNEL = "duly:console"


class Subscription(Protocol):
    """An open subscription; ``get(timeout)`` returns the next message or ``None`` after
    ``timeout`` seconds; ``close()`` releases it."""

    async def get(self, timeout: float) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """``publish`` may be called from any thread (sync code, after commit); ``subscribe``
    from a running event loop."""

    def publish(self, kind: str, conversation_id: int | None) -> None: ...

    def subscribe(self) -> Subscription: ...


class _QueueSubscription:
    def __init__(self, bus: "MemoryBus", loop: asyncio.AbstractEventLoop):
        self.bus, self.loop = bus, loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)

    def _put(self, msg: dict[str, Any]) -> None:
        if self.queue.full():          # a slow browser: drop the oldest wake-up, not the newest
            self.queue.get_nowait()
        self.queue.put_nowait(msg)

    async def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def close(self) -> None:
        self.bus._remove(self)


class MemoryBus:
    """In-process bus. Thread-safe publish; each subscriber gets every message."""

    def __init__(self) -> None:
        self._subs: list[_QueueSubscription] = []
        self._lock = threading.Lock()

    def publish(self, kind: str, conversation_id: int | None) -> None:
        """Tell every subscriber that ``kind`` happened on ``conversation_id``."""
        msg = {"kind": kind, "conversation_id": conversation_id}
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub._put, msg)
            except RuntimeError:      # its loop is closed
                self._remove(sub)

    def subscribe(self) -> _QueueSubscription:
        """Subscribe from the running event loop."""
        sub = _QueueSubscription(self, asyncio.get_running_loop())
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: _QueueSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open (tests, metrics)."""
        with self._lock:
            return len(self._subs)


class _RedisSubscription:
    def __init__(self, url: str):
        import redis.asyncio as aioredis

        self.client = aioredis.Redis.from_url(url, socket_timeout=5)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.subscribed = False

    async def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            if not self.subscribed:
                await self.pubsub.subscribe(CHANNEL)
                self.subscribed = True
            msg = await self.pubsub.get_message(timeout=timeout)
        except Exception as exc:      # Redis down: the stream falls back to polling
            log.warning("bus: redis unavailable (%s); polling", type(exc).__name__)
            self.subscribed = False
            await asyncio.sleep(timeout)
            return None
        if msg is None or msg.get("type") != "message":
            return None
        try:
            return json.loads(msg["data"])
        except (ValueError, TypeError):
            return None

    async def close(self) -> None:
        try:
            await self.pubsub.aclose()
            await self.client.aclose()
        except Exception:
            pass


class RedisBus:
    """Redis pub/sub on channel ``duly:console``. A failed publish is logged and dropped:
    the stream's poll still shows the change."""

    def __init__(self, url: str):
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def publish(self, kind: str, conversation_id: int | None) -> None:
        """Publish a wake-up to every web process."""
        try:
            self.client.publish(CHANNEL, json.dumps({"kind": kind, "conversation_id": conversation_id}))
        except Exception as exc:
            log.warning("bus: publish failed (%s); browsers will see it on the next poll",
                        type(exc).__name__)

    def subscribe(self) -> _RedisSubscription:
        """Subscribe from the running event loop."""
        return _RedisSubscription(self.url)


def make_bus(redis_url: str | None) -> MemoryBus | RedisBus:
    """:class:`RedisBus` when ``redis_url`` is set, else :class:`MemoryBus`."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
