"""Pacing: at most N messages per second per sender.

Carriers and Twilio queue (and eventually fail) what a sender pushes faster than its
throughput (a US long code: 1 message segment per second). :class:`Pacer` spaces the
sends of each sender ``1 / rate`` seconds apart, measured against an injected
monotonic clock and ``sleep`` so tests run on a fake clock without sleeping.

Scope: one process. Several workers on PostgreSQL each pace themselves; set the rate
per worker accordingly (``messages_per_second / workers``).
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
