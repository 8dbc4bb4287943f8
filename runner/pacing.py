"""Pacing: at most N messages per second per sender.

Carriers and Twilio queue (and eventually fail) what a sender pushes faster than its
throughput (a US long code: 1 message segment per second). Sends of one sender are
booked on a fixed grid of slots ``1 / rate`` seconds apart — the Generic Cell Rate
Algorithm (GCRA, ITU-T I.371; the "virtual scheduling" form)::

    slot = max(next, now - tolerance)        # next: the sender's next free slot
    next = slot + interval                   # interval = 1 / rate

A send that comes a little late (its worker was claiming the next batch, a database
commit took longer) takes its slot anyway — up to ``tolerance`` seconds in the past —
so the time is made up by the sends after it instead of lost: over a long run the rate
is the configured one. The bound it keeps, whatever the timing of the calls: **any N
consecutive sends of a sender span at least (N − 1) × interval − tolerance seconds**,
so a window of T seconds holds at most ``floor((T + tolerance) / interval) + 1`` sends,
and the rate over a window of N sends never exceeds ``(N − 1) / ((N − 1) × interval −
tolerance)`` (for the default tolerance of one interval, at most one send more than
strict spacing, and the long-run rate never more than the configured one).
``tolerance = 0`` is strict spacing: ``(N − 1) × interval`` exactly, nothing made up.

:class:`Pacer` paces one process against an injected monotonic clock and ``sleep``
(tests run on a fake clock without sleeping). With ``REDIS_URL`` the workers share
:class:`RedisPacer`: the same schedule, booked atomically in Redis on Redis's clock, so
the configured rate holds per sender across all of them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

log = logging.getLogger("duly.pacing")


def tolerance_for(rate: float | None, tolerance: float | None) -> float:
    """The catch-up tolerance in seconds: ``tolerance`` when given (``>= 0``), else one
    interval (``1 / rate``); 0.0 when pacing is off. Raises ``ValueError`` below 0."""
    if not rate:
        return 0.0
    if tolerance is None:
        return 1.0 / float(rate)
    if tolerance < 0:
        raise ValueError("pacing tolerance must be >= 0 seconds")
    return float(tolerance)


class Pacer:
    """Spaces sends per sender on a fixed grid (module docstring).

    rate: messages per second per sender (``> 0``; ``None`` or ``0`` disables pacing).
    tolerance: seconds a late send may still take its slot (``None``: one interval;
    ``0``: strict spacing). monotonic: returns seconds (float) from a monotonic clock.
    sleep: waits seconds.
    """

    def __init__(self, rate: float | None, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, *, tolerance: float | None = None):
        if rate is not None and rate < 0:
            raise ValueError("messages_per_second must be >= 0")
        self.interval = (1.0 / float(rate)) if rate else 0.0
        self.tolerance = tolerance_for(rate, tolerance)
        self.monotonic = monotonic
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._guard = threading.Lock()

    def book(self, sender: str) -> float:
        """Book ``sender``'s next slot without waiting. Returns the seconds until the slot
        starts (``<= 0``: it has started; go now)."""
        if not self.interval:
            return 0.0
        with self._guard:
            now = self.monotonic()
            nxt = self._next.get(sender)
            slot = now if nxt is None else max(nxt, now - self.tolerance)
            self._next[sender] = slot + self.interval
        return slot - now

    def wait(self, sender: str) -> float:
        """Block until ``sender``'s next slot and book it. Returns the seconds waited
        (0.0 when the slot had already started)."""
        waited = self.book(sender)
        if waited > 0:
            self.sleep(waited)
        return max(0.0, waited)


# Books the next slot of a sender atomically, on Redis's own clock (one clock for every
# worker host), on the grid of the module docstring. KEYS[1]: the sender's key; ARGV:
# interval, tolerance (µs), key expiry (ms). Returns the slot's start and the server's
# "now" (µs).
_BOOK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = redis.call('GET', KEYS[1])
local slot = now
if nxt then slot = math.max(tonumber(nxt), now - tonumber(ARGV[2])) end
redis.call('SET', KEYS[1], string.format('%d', slot + tonumber(ARGV[1])), 'PX', tonumber(ARGV[3]))
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
    disables). prefix: key prefix (``duly:``). tolerance: seconds a late send may still
    take its slot (``None``: one interval; ``0``: strict). sleep: waits seconds."""

    def __init__(self, client: object, rate: float | None, prefix: str = "duly:",
                 sleep: Callable[[float], None] = time.sleep, *, tolerance: float | None = None):
        self.client = client
        self.interval = (1.0 / float(rate)) if rate else 0.0
        self.tolerance = tolerance_for(rate, tolerance)
        self.prefix = prefix
        self.sleep = sleep
        self.local = Pacer(rate, sleep=sleep, tolerance=tolerance)
        self._script = client.register_script(_BOOK) if rate else None   # type: ignore[attr-defined]

    def book(self, sender: str) -> float:
        """Book ``sender``'s next slot in Redis. Returns the seconds until it starts
        (``<= 0``: go now); paces locally when Redis does not answer."""
        if not self.interval:
            return 0.0
        iv_us = int(self.interval * 1_000_000)
        tol_us = int(self.tolerance * 1_000_000)
        try:
            slot, now = self._script(keys=[f"{self.prefix}pace:{sender}"],
                                     args=[iv_us, tol_us, max(1000, int(iv_us / 1000) * 4 + 60_000)])
        except Exception as exc:  # noqa: BLE001 - redis down: pace locally
            log.warning("redis pacing unavailable (%s); pacing locally", type(exc).__name__)
            return self.local.book(sender)
        return (int(slot) - int(now)) / 1_000_000

    def wait(self, sender: str) -> float:
        """Block until ``sender`` may send again and book its slot. Returns seconds waited."""
        waited = self.book(sender)
        if waited > 0:
            self.sleep(waited)
        return max(0.0, waited)
