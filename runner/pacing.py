"""Pacing: at most N messages per second per sender.

Carriers and Twilio queue (and eventually fail) what a sender pushes faster than its
throughput (a US long code: 1 message segment per second). :class:`Pacer` spaces the
sends of each sender ``1 / rate`` seconds apart, measured against an injected
monotonic clock and ``sleep`` so tests run on a fake clock without sleeping.

Scope: :class:`Pacer` paces one process. With ``REDIS_URL`` the workers share
:class:`RedisPacer`, so the configured rate holds per sender across all of them.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class Pacer:
    """Spaces sends per sender.

    rate: messages per second per sender (``> 0``; ``None`` or ``0`` disables pacing).
    monotonic: returns seconds (float) from a monotonic clock. sleep: waits seconds.
    """

    def __init__(self, rate: float | None, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rate is not None and rate < 0:
            raise ValueError("messages_per_second must be >= 0")
        self.interval = (1.0 / float(rate)) if rate else 0.0
        self.monotonic = monotonic
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._guard = threading.Lock()

    def wait(self, sender: str) -> float:
        """Block until ``sender`` may send again and book its slot. Returns the seconds
        waited (0.0 when no wait was needed)."""
        if not self.interval:
            return 0.0
        with self._guard:
            now = self.monotonic()
            slot = max(now, self._next.get(sender, now))
            self._next[sender] = slot + self.interval
        waited = slot - now
        if waited > 0:
            self.sleep(waited)
        return max(0.0, waited)


# Books the next slot of a sender atomically, on Redis's own clock (one clock for every
# worker host): returns the slot's start in microseconds and the server's "now".
_BOOK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
redis.call('SET', KEYS[1], string.format('%d', slot + tonumber(ARGV[1])), 'PX', tonumber(ARGV[2]))
return {slot, now}
"""


class RedisPacer:
    """:class:`Pacer` shared by every worker through Redis (``REDIS_URL``): the
    configured rate holds for the sender however many workers send. Slots are booked
    atomically on Redis's clock; the waiting happens in the worker. When Redis cannot be
    reached it falls back to a local :class:`Pacer` at the same rate (logged), so a
    Redis outage slows nothing down but may let N workers go N times faster until it
    is back.

    client: a redis-py client. rate: messages per second per sender (``0``/``None``
    disables). prefix: key prefix (``duly:``)."""

    def __init__(self, client: object, rate: float | None, prefix: str = "duly:",
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.interval = (1.0 / float(rate)) if rate else 0.0
        self.prefix = prefix
        self.sleep = sleep
        self.local = Pacer(rate, sleep=sleep)
        self._script = client.register_script(_BOOK) if rate else None   # type: ignore[attr-defined]

    def wait(self, sender: str) -> float:
        """Block until ``sender`` may send again and book its slot. Returns seconds waited."""
        if not self.interval:
            return 0.0
        iv_us = int(self.interval * 1_000_000)
        try:
            slot, now = self._script(keys=[f"{self.prefix}pace:{sender}"],
                                     args=[iv_us, max(1000, int(iv_us / 1000) * 4 + 60_000)])
        except Exception as exc:  # noqa: BLE001 - redis down: pace locally
            import logging

            logging.getLogger("duly.pacing").warning("redis pacing unavailable (%s); pacing locally",
                                                     type(exc).__name__)
            return self.local.wait(sender)
        waited = (int(slot) - int(now)) / 1_000_000
        if waited > 0:
            self.sleep(waited)
        return max(0.0, waited)
