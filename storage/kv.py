"""Shared short-lived state for scale-out: conversation locks, MessageSid dedupe, rate counters.

One interface per concern, two implementations each (the :mod:`storage.bus` pattern):

* ``Memory*`` — in-process; enough for one process (``duly demo``, tests).
* ``Redis*`` — Redis, when ``REDIS_URL`` is set, so every web process and worker agrees.

:func:`make_kv` bundles the three into a :class:`KV`. Every Redis key starts with the prefix
(``duly:`` by default): ``duly:lock:<key>``, ``duly:seen:<key>``, ``duly:rate:<key>/<seconds>``.

Redis holds nothing that cannot be rebuilt; the database stays the truth:

* :class:`ConversationLock` only *orders* arrivals in front of the database row lock, which
  stays the real guard. A caller that gets ``None`` (busy after waiting) re-queues the work;
  it never drops it. A lock that outlives its holder (crash) expires after its ttl.
* :class:`Dedupe` is a fast path; the unique constraint on ``messages.provider_sid`` stays the
  final word. ``first()`` is a *claim*, not proof that the message was stored (see there).
* :class:`Counter` is for caps and pacing; losing it (Redis flushed) at worst lets a window
  start afresh.

When Redis is down, or does not answer within the socket timeout (2 s, one immediate retry
on a refused/broken connection, none on a timeout), every Redis implementation raises
:class:`KVUnavailable`; it never hangs. The caller decides: the webhook answers 503 (the
provider retries; nothing is lost, the database has the truth).

Units: every duration is in seconds (``float`` where noted; Redis keeps millisecond
precision for locks and dedupe; rate windows are whole seconds).
"""

from __future__ import annotations

import abc
import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Protocol, TypeVar

log = logging.getLogger("duly.kv")

PREFIX = "duly:"
#: Redis socket connect / read timeouts, seconds
SOCKET_TIMEOUT = 2.0
#: how often a waiting Redis lock acquirer re-tries, seconds
LOCK_POLL_SECONDS = 0.05
#: an upper bound on the entries a count() looks at (the stored list is capped at the
#: largest ``limit`` passed to hit() anyway)
_COUNT_SCAN = 1_000_000

T = TypeVar("T")


class KVUnavailable(RuntimeError):
    """Redis is down, unreachable or did not answer in time. The original
    :class:`redis.RedisError` is chained as ``__cause__``. Nothing is lost: the database
    holds the truth; the caller answers 503 / re-queues / retries later."""


# --- protocols ----------------------------------------------------------------------------


class LockHandle(Protocol):
    """A held conversation lock. Only this handle's token releases or extends it.

    Use as a context manager (``with handle: ...``) to release on exit; a failed release
    on exit (expired, stolen, Redis down) is logged, not raised — the lock expires anyway.
    """

    key: str
    token: str

    def release(self) -> bool:
        """Release the lock. Returns True when this handle still owned it; False (a no-op)
        when it had expired, was taken by someone else, or was already released.
        Raises :class:`KVUnavailable` (Redis only)."""
        ...

    def extend(self, ttl_seconds: float) -> bool:
        """Set the lock to expire ``ttl_seconds`` (float, > 0) from now. Returns False (a
        no-op) when this handle no longer owns it. Raises :class:`KVUnavailable`."""
        ...

    def owned(self) -> bool:
        """True while this handle holds the lock (not released, not expired)."""
        ...

    def __enter__(self) -> "LockHandle": ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class ConversationLock(Protocol):
    """Per-key mutual exclusion with an owner token and an expiry."""

    def acquire(self, key: str, *, ttl_seconds: float, wait_seconds: float) -> LockHandle | None:
        """Take the lock on ``key`` (e.g. ``"conv:42"``).

        ttl_seconds: float > 0, the lock expires by itself this long after it is taken (or
        last extended) — longer than the work it guards. wait_seconds: float >= 0, how long
        to wait while it is busy (0 → one try). Returns a :class:`LockHandle`, or ``None``
        when still busy after waiting (re-queue the work; never drop it). Waiters are not
        served in arrival order. Raises :class:`KVUnavailable` (Redis only)."""
        ...


class Dedupe(Protocol):
    """"Have we seen this key recently?" — atomic across processes."""

    def first(self, key: str, ttl_seconds: float) -> bool:
        """Claim ``key`` (e.g. ``"sid:SM123"``) for ``ttl_seconds`` (int or float > 0).

        Returns True for the first caller within the ttl, False for every later one
        (exactly one True among concurrent callers). A claim is not proof of storage: if
        the claimant fails before its database commit, call :meth:`forget` so a retry is
        not mistaken for a duplicate; a False answer should fall through to the database's
        unique MessageSid check rather than drop the message. Raises :class:`KVUnavailable`."""
        ...

    def forget(self, key: str) -> None:
        """Drop the claim on ``key`` (the next :meth:`first` returns True)."""
        ...


class Counter(Protocol):
    """Moving-window rate counters for caps and pacing (the ``limits`` library)."""

    def hit(self, key: str, limit: int, per_seconds: int) -> bool:
        """Count one event on ``key`` if fewer than ``limit`` (int >= 0) were counted in the
        last ``per_seconds`` (int >= 1) seconds, and return True; otherwise return False
        and count nothing (a refused hit does not use up the window). Raises
        :class:`KVUnavailable`."""
        ...

    def count(self, key: str, per_seconds: int) -> int:
        """How many events :meth:`hit` counted on ``key`` in the last ``per_seconds``
        seconds (same ``per_seconds`` as the hits: each window length is its own counter)."""
        ...


# --- in-process ---------------------------------------------------------------------------


def _check_ttl(ttl_seconds: float, name: str = "ttl_seconds") -> float:
    ttl = float(ttl_seconds)
    if not ttl > 0:
        raise ValueError(f"{name} must be > 0 seconds, got {ttl_seconds!r}")
    return ttl


def _check_window(limit: int | None, per_seconds: int) -> None:
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be an int >= 0, got {limit!r}")
    if not isinstance(per_seconds, int) or per_seconds < 1:
        raise ValueError(f"per_seconds must be an int >= 1, got {per_seconds!r}")


class _HandleBase(abc.ABC):
    key: str
    token: str

    @abc.abstractmethod
    def release(self) -> bool:
        """Release the lock if this handle still owns it; ``True`` when it did."""

    def __enter__(self) -> "_HandleBase":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self.release():
                log.warning("kv: lock %s had expired or changed hands before release", self.key)
        except KVUnavailable as err:
            log.warning("kv: could not release lock %s (%s); it expires by itself", self.key, err)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r} token={self.token[:8]}…>"


class _MemoryHandle(_HandleBase):
    def __init__(self, locks: "MemoryLocks", key: str, token: str):
        self._locks, self.key, self.token = locks, key, token

    def release(self) -> bool:
        return self._locks._release(self.key, self.token)

    def extend(self, ttl_seconds: float) -> bool:
        return self._locks._extend(self.key, self.token, _check_ttl(ttl_seconds))

    def owned(self) -> bool:
        return self._locks._owned(self.key, self.token)


class MemoryLocks:
    """In-process :class:`ConversationLock` (threads). Expiry is honoured: a lock not
    released within its ttl can be taken by another caller, and the late owner's release
    or extend is then refused. Released locks are forgotten; expired ones are swept once
    more than ``size`` are held."""

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._held: dict[str, tuple[str, float]] = {}      # key → (token, expires_at)
        self._cond = threading.Condition()
        self._size = size
        self._clock = clock

    def acquire(self, key: str, *, ttl_seconds: float, wait_seconds: float) -> _MemoryHandle | None:
        """See :meth:`ConversationLock.acquire`."""
        ttl = _check_ttl(ttl_seconds)
        deadline = self._clock() + max(0.0, float(wait_seconds))
        token = uuid.uuid4().hex
        with self._cond:
            while True:
                now = self._clock()
                held = self._held.get(key)
                if held is None or held[1] <= now:
                    self._held[key] = (token, now + ttl)
                    if len(self._held) > self._size:
                        self._sweep(now)
                    return _MemoryHandle(self, key, token)
                if now >= deadline:
                    return None
                # woken by a release, or at the holder's expiry, or at our deadline
                self._cond.wait(min(deadline, held[1]) - now)

    def _sweep(self, now: float) -> None:
        for k in [k for k, (_, exp) in self._held.items() if exp <= now]:
            del self._held[k]

    def _release(self, key: str, token: str) -> bool:
        with self._cond:
            held = self._held.get(key)
            if held is None or held[0] != token:
                return False
            del self._held[key]
            self._cond.notify_all()
            return held[1] > self._clock()

    def _extend(self, key: str, token: str, ttl: float) -> bool:
        with self._cond:
            now = self._clock()
            held = self._held.get(key)
            if held is None or held[0] != token or held[1] <= now:
                return False
            self._held[key] = (token, now + ttl)
            return True

    def _owned(self, key: str, token: str) -> bool:
        with self._cond:
            held = self._held.get(key)
            return held is not None and held[0] == token and held[1] > self._clock()


class MemoryDedupe:
    """In-process :class:`Dedupe`: at most ``size`` keys (the oldest claim is forgotten
    first — a forgotten duplicate is then caught by the database's unique constraint)."""

    def __init__(self, size: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._seen: OrderedDict[str, float] = OrderedDict()   # key → expires_at
        self._lock = threading.Lock()
        self._size = size
        self._clock = clock

    def first(self, key: str, ttl_seconds: float) -> bool:
        """See :meth:`Dedupe.first`."""
        ttl = _check_ttl(ttl_seconds)
        with self._lock:
            now = self._clock()
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + ttl
            self._seen.move_to_end(key)
            while self._seen:                                    # expired at the front
                k, exp = next(iter(self._seen.items()))
                if exp > now and len(self._seen) <= self._size:
                    break
                del self._seen[k]
            return True

    def forget(self, key: str) -> None:
        """See :meth:`Dedupe.forget`."""
        with self._lock:
            self._seen.pop(key, None)


class _LimitsCounters:
    """:class:`Counter` over a ``limits`` moving-window storage (``MovingWindowSupport``:
    ``acquire_entry`` / ``get_moving_window``). Used at the storage level, not through
    ``MovingWindowRateLimiter``, because the limiter's key embeds the limit, and
    :meth:`count` has none: here the key is ``<key>/<per_seconds>``."""

    def __init__(self, storage: Any, wrap: Callable[[Callable[[], T]], T]):
        self._storage = storage
        self._wrap = wrap

    def hit(self, key: str, limit: int, per_seconds: int) -> bool:
        """See :meth:`Counter.hit`."""
        _check_window(limit, per_seconds)
        return bool(self._wrap(lambda: self._storage.acquire_entry(f"{key}/{per_seconds}",
                                                                   limit, per_seconds)))

    def count(self, key: str, per_seconds: int) -> int:
        """See :meth:`Counter.count`."""
        _check_window(None, per_seconds)
        return int(self._wrap(lambda: self._storage.get_moving_window(
            f"{key}/{per_seconds}", _COUNT_SCAN, per_seconds))[1])


class MemoryCounters(_LimitsCounters):
    """In-process :class:`Counter` (``limits`` ``memory://`` storage). Serialised by one
    lock so that concurrent hits never overshoot the limit."""

    def __init__(self) -> None:
        from limits.storage import MemoryStorage

        guard = threading.Lock()

        def wrap(fn: Callable[[], T]) -> T:
            with guard:
                return fn()

        super().__init__(MemoryStorage(), wrap)


# --- Redis --------------------------------------------------------------------------------


def _redis_client(url: str) -> Any:
    """A redis-py client that fails fast: 2 s socket timeouts, one immediate retry on a
    broken/refused connection (a pooled socket gone stale after a Redis restart), no retry
    on a timeout."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT,
                                socket_connect_timeout=SOCKET_TIMEOUT,
                                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)))


def _call(fn: Callable[[], T]) -> T:
    """Run a Redis call; turn any Redis failure into :class:`KVUnavailable`."""
    import redis

    try:
        return fn()
    except redis.exceptions.LockError:
        raise
    except redis.RedisError as err:
        raise KVUnavailable(f"redis unavailable: {type(err).__name__}: {err}") from err


class _RedisHandle(_HandleBase):
    def __init__(self, lock: Any, key: str, token: str):
        self._lock, self.key, self.token = lock, key, token

    def release(self) -> bool:
        from redis.exceptions import LockError

        try:
            _call(self._lock.release)
            return True
        except LockError:            # expired, taken by someone else, or already released
            return False

    def extend(self, ttl_seconds: float) -> bool:
        from redis.exceptions import LockError

        ttl = _check_ttl(ttl_seconds)
        try:
            return bool(_call(lambda: self._lock.extend(ttl, replace_ttl=True)))
        except LockError:
            return False

    def owned(self) -> bool:
        return bool(_call(self._lock.owned))


class RedisLocks:
    """:class:`ConversationLock` on Redis: redis-py's :class:`redis.lock.Lock` (``SET NX PX``
    with a random token; release/extend by Lua script that checks the token). Waiting
    acquirers poll every :data:`LOCK_POLL_SECONDS`."""

    def __init__(self, client: Any, prefix: str = PREFIX):
        self._client = client
        self._prefix = prefix + "lock:"

    def acquire(self, key: str, *, ttl_seconds: float, wait_seconds: float) -> _RedisHandle | None:
        """See :meth:`ConversationLock.acquire`."""
        ttl = _check_ttl(ttl_seconds)
        wait = max(0.0, float(wait_seconds))
        lock = self._client.lock(self._prefix + key, timeout=ttl, sleep=LOCK_POLL_SECONDS,
                                 blocking=wait > 0, blocking_timeout=wait, thread_local=False)
        token = uuid.uuid4().hex
        if not _call(lambda: lock.acquire(token=token)):
            return None
        return _RedisHandle(lock, key, token)


class RedisDedupe:
    """:class:`Dedupe` on Redis: one ``SET key 1 NX PX ttl`` per call (atomic)."""

    def __init__(self, client: Any, prefix: str = PREFIX):
        self._client = client
        self._prefix = prefix + "seen:"

    def first(self, key: str, ttl_seconds: float) -> bool:
        """See :meth:`Dedupe.first`."""
        ms = max(1, int(_check_ttl(ttl_seconds) * 1000))
        return bool(_call(lambda: self._client.set(self._prefix + key, b"1", nx=True, px=ms)))

    def forget(self, key: str) -> None:
        """See :meth:`Dedupe.forget`."""
        _call(lambda: self._client.delete(self._prefix + key))


class RedisCounters(_LimitsCounters):
    """:class:`Counter` on Redis (``limits`` ``RedisStorage``, moving window: one list of
    timestamps per key, capped at the limit, trimmed and expired by Lua). Timestamps are
    the calling host's wall clock: keep hosts NTP-synced."""

    def __init__(self, client: Any, prefix: str = PREFIX):
        from limits.storage import RedisStorage

        url = "redis://"  # unused: the client's own pool (and timeouts) is passed in
        super().__init__(RedisStorage(url, connection_pool=client.connection_pool,
                                      key_prefix=prefix + "rate"), _call)


# --- bundle -------------------------------------------------------------------------------


@dataclass
class KV:
    """The three services for one deployment. ``backend`` is ``"memory"`` or ``"redis"``."""

    locks: ConversationLock
    dedupe: Dedupe
    counters: Counter
    backend: str
    client: Any = None          #: the redis-py client (``None`` in memory)

    def ping(self) -> None:
        """Raise :class:`KVUnavailable` unless the backend answers (memory always does)."""
        if self.client is not None:
            _call(self.client.ping)

    def close(self) -> None:
        """Close the Redis connections (no-op in memory)."""
        if self.client is not None:
            self.client.close()


def make_kv(redis_url: str | None, *, prefix: str = PREFIX) -> KV:
    """Redis implementations when ``redis_url`` is set, else in-process ones.

    prefix: put in front of every Redis key (default ``duly:``; tests use a unique one).
    Nothing connects here: a Redis that is down shows up as :class:`KVUnavailable` on
    first use."""
    if not redis_url:
        return KV(MemoryLocks(), MemoryDedupe(), MemoryCounters(), "memory")
    client = _redis_client(redis_url)
    return KV(RedisLocks(client, prefix), RedisDedupe(client, prefix),
              RedisCounters(client, prefix), "redis", client)
