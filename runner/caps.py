"""Frequency-cap ledgers: one atomic count-and-reserve per debt across every worker.

The gate counts a debt's initiated messages from the database (``runner.outbound.resolve``)
inside the sending transaction. Two workers dispatching two messages about the *same*
debt at the same moment (two phones on one account, a cadence step and a promise reminder
due together) each count without the other's uncommitted row, and both may pass a cap
that only one of them should (US-20 "7 in 7 days", ST-01, CN-03). A ledger closes that:
after the gate says ``send``, the worker reserves the message in the debt's ledger, which
counts and adds in one atomic step; a full ledger turns the send into a deferral to when
the window frees.

* :class:`RedisCapLedger` (``REDIS_URL``): a sorted set per debt (member = message id,
  score = UTC epoch seconds), updated by one Lua script (``EVALSHA``), expiring after the
  longest cap's span.
* :class:`MemoryCapLedger`: the same in one process (tests, single worker).

Nothing here is the only record: every call passes the database's own view of the debt's
counted messages, which the script merges first (by message id, so merging twice counts
once). Redis restarted empty is rebuilt by the next reservation; a ledger never counts
*fewer* messages than the database. A reservation whose send then fails stays counted
(conservative: at worst a later notice waits). Redis down → :class:`storage.kv.KVUnavailable`,
and the caller relies on the database count alone (the single-worker guarantee).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

#: ``(count, span_seconds)`` pairs: at most ``count`` in any rolling ``span_seconds``
CapSpec = tuple[int, float]


@dataclass(frozen=True)
class Reservation:
    """A ledger's answer. ``ok``: the message was reserved (it may go). ``times``: UTC
    epoch seconds of every message the ledger counts for the debt within the longest
    span (the caller re-runs the gate with them to find when the window frees)."""

    ok: bool
    times: tuple[float, ...]


class CapLedger(Protocol):
    """Count-and-reserve, atomically, per debt key."""

    def reserve(self, key: str, member: str, at: float, known: Sequence[tuple[str, float]],
                caps: Sequence[CapSpec]) -> Reservation:
        """Reserve ``member`` (a message id) at ``at`` (UTC epoch seconds) in ``key``'s
        ledger if every cap in ``caps`` has room: fewer than ``count`` entries later than
        ``at - span`` — later than ``at`` too, since another worker's clock may run a
        little ahead —, not counting ``member`` itself (a retry of the same message). ``known``: the database's
        ``(member, epoch seconds)`` pairs for the debt, merged first. Raises
        :class:`storage.kv.KVUnavailable` when the store cannot be reached."""
        ...


def ledger_key(account_id: int | None, phone: str) -> str:
    """The ledger key of a debt: its account, else (no account) the phone number."""
    return f"duly:cap:acct:{account_id}" if account_id is not None else f"duly:cap:phone:{phone}"


class MemoryCapLedger:
    """:class:`CapLedger` in one process (a lock around a dict of dicts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, dict[str, float]] = {}

    def reserve(self, key: str, member: str, at: float, known: Sequence[tuple[str, float]],
                caps: Sequence[CapSpec]) -> Reservation:
        """See :meth:`CapLedger.reserve`."""
        longest = max((span for _, span in caps), default=0.0)
        with self._lock:
            entries = self._sets.setdefault(key, {})
            for m, score in known:
                entries.setdefault(str(m), float(score))
            for m in [m for m, score in entries.items() if score <= at - longest]:
                del entries[m]
            ok = all(sum(1 for m, score in entries.items() if m != member and at - span < score) < count
                     for count, span in caps)
            if ok:
                entries[member] = at
            return Reservation(ok, tuple(sorted(entries.values())))


# KEYS[1] the debt's sorted set. ARGV: member, at, longest span, number of caps, then
# (count, span) per cap, then (member, score) per known message.
_LUA = """
local key = KEYS[1]
local member = ARGV[1]
local at = tonumber(ARGV[2])
local longest = tonumber(ARGV[3])
local ncaps = tonumber(ARGV[4])
local i = 5
local caps = {}
for c = 1, ncaps do
  caps[c] = {tonumber(ARGV[i]), tonumber(ARGV[i + 1])}
  i = i + 2
end
while i <= #ARGV do
  redis.call('ZADD', key, 'NX', ARGV[i + 1], ARGV[i])
  i = i + 2
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', at - longest)
local mine = redis.call('ZSCORE', key, member)
local ok = 1
for c = 1, ncaps do
  local lo = at - caps[c][2]
  local n = redis.call('ZCOUNT', key, '(' .. lo, '+inf')
  if mine and tonumber(mine) > lo then n = n - 1 end
  if n >= caps[c][1] then ok = 0 end
end
if ok == 1 then
  redis.call('ZADD', key, at, member)
end
if longest > 0 then
  redis.call('PEXPIRE', key, math.ceil(longest * 1000) + 60000)
end
local scores = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local out = {ok}
for j = 2, #scores, 2 do out[#out + 1] = scores[j] end
return out
"""


class RedisCapLedger:
    """:class:`CapLedger` on Redis: one Lua script per reservation (atomic on the server).
    ``client``: a redis-py client (``storage.kv._redis_client``)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._script = client.register_script(_LUA)

    def reserve(self, key: str, member: str, at: float, known: Sequence[tuple[str, float]],
                caps: Sequence[CapSpec]) -> Reservation:
        """See :meth:`CapLedger.reserve`."""
        from storage.kv import _call

        longest = max((span for _, span in caps), default=0.0)
        args: list[Any] = [member, repr(float(at)), repr(float(longest)), len(caps)]
        for count, span in caps:
            args += [int(count), repr(float(span))]
        for m, score in known:
            args += [str(m), repr(float(score))]
        out = _call(lambda: self._script(keys=[key], args=args))
        return Reservation(int(out[0]) == 1, tuple(sorted(float(x) for x in out[1:])))


__all__ = ["CapLedger", "CapSpec", "MemoryCapLedger", "RedisCapLedger", "Reservation", "ledger_key"]
