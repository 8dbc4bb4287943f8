"""One contract for storage.kv: every test runs over the in-process and the Redis backends.

The Redis runs use a unique key prefix per test (``duly:test:<hex>:``) and delete their keys
afterwards; they skip (or fail under ``DULY_REQUIRE_SERVICES=1``) when Redis is down.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Iterator

import pytest

from storage.kv import KV, KVUnavailable, make_kv
from tests.conftest import need_redis, redis_url_for_tests

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def kv(request: pytest.FixtureRequest) -> Iterator[KV]:
    if request.param == "memory":
        yield make_kv(None)
        return
    need_redis()
    prefix = f"duly:test:{uuid.uuid4().hex[:12]}:"
    store = make_kv(redis_url_for_tests(), prefix=prefix)
    assert store.backend == "redis"
    try:
        yield store
    finally:
        keys = list(store.client.scan_iter(match=prefix + "*"))
        if keys:
            store.client.delete(*keys)
        store.close()


def _run_threads(n: int, target) -> list:
    results: list = [None] * n
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


# --- locks --------------------------------------------------------------------------------


def test_lock_excludes_a_second_holder(kv: KV):
    h = kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0)
    assert h is not None and h.owned()
    t0 = time.monotonic()
    assert kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0.2) is None
    assert time.monotonic() - t0 >= 0.1                   # it did wait
    other = kv.locks.acquire("conv:2", ttl_seconds=5, wait_seconds=0)   # other keys are free
    assert other is not None
    assert h.release() is True and other.release() is True
    again = kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0)
    assert again is not None and again.token != h.token
    again.release()


def test_lock_expires_after_ttl_and_the_late_owner_cannot_release_it(kv: KV):
    h = kv.locks.acquire("conv:1", ttl_seconds=0.3, wait_seconds=0)
    assert h is not None
    t0 = time.monotonic()
    h2 = kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=2)   # gets it once h expires
    assert h2 is not None and 0.15 <= time.monotonic() - t0 < 1.5
    assert not h.owned()
    assert h.release() is False                           # stolen: a no-op
    assert h.extend(5) is False
    assert h2.owned()
    assert kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0) is None   # still h2's
    assert h2.release() is True
    assert h2.release() is False                          # twice: a no-op


def test_release_after_expiry_is_refused_even_when_nobody_took_it(kv: KV):
    h = kv.locks.acquire("conv:1", ttl_seconds=0.2, wait_seconds=0)
    assert h is not None
    time.sleep(0.35)
    assert h.release() is False
    assert kv.locks.acquire("conv:1", ttl_seconds=1, wait_seconds=0) is not None


def test_extend_keeps_the_lock(kv: KV):
    h = kv.locks.acquire("conv:1", ttl_seconds=0.3, wait_seconds=0)
    assert h is not None
    time.sleep(0.15)
    assert h.extend(2) is True
    time.sleep(0.3)                                       # past the original ttl
    assert h.owned()
    assert kv.locks.acquire("conv:1", ttl_seconds=1, wait_seconds=0) is None
    assert h.release() is True


def test_context_manager_releases(kv: KV):
    h = kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0)
    assert h is not None
    with h:
        assert kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0) is None
    assert not h.owned()
    with pytest.raises(ZeroDivisionError):
        with kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0):
            1 / 0
    assert kv.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=0) is not None


def test_waiting_acquirer_gets_it_after_release(kv: KV):
    h = kv.locks.acquire("conv:1", ttl_seconds=10, wait_seconds=0)
    assert h is not None
    got: dict = {}

    def waiter() -> None:
        t0 = time.monotonic()
        got["handle"] = kv.locks.acquire("conv:1", ttl_seconds=10, wait_seconds=5)
        got["waited"] = time.monotonic() - t0

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    assert "handle" not in got                            # still waiting
    assert h.release() is True
    t.join(5)
    assert got["handle"] is not None and got["handle"].owned()
    assert 0.25 <= got["waited"] < 2                      # well before the 10 s ttl
    got["handle"].release()


def test_twenty_threads_under_the_lock_lose_no_update(kv: KV):
    shared = {"n": 0}

    def work(i: int) -> bool:
        h = kv.locks.acquire("conv:shared", ttl_seconds=10, wait_seconds=15)
        assert h is not None
        with h:
            n = shared["n"]
            time.sleep(0.002)                             # widen the race window
            shared["n"] = n + 1
        return True

    assert all(_run_threads(20, work))
    assert shared["n"] == 20


def test_lock_rejects_a_non_positive_ttl(kv: KV):
    with pytest.raises(ValueError):
        kv.locks.acquire("conv:1", ttl_seconds=0, wait_seconds=0)


# --- dedupe -------------------------------------------------------------------------------


def test_dedupe_first_again_after_ttl(kv: KV):
    assert kv.dedupe.first("sid:SM1", 0.3) is True
    assert kv.dedupe.first("sid:SM1", 0.3) is False
    assert kv.dedupe.first("sid:SM2", 0.3) is True        # keys are independent
    time.sleep(0.45)
    assert kv.dedupe.first("sid:SM1", 0.3) is True        # expired: a first again
    assert kv.dedupe.first("sid:SM1", 10) is False


def test_dedupe_forget(kv: KV):
    assert kv.dedupe.first("sid:SM1", 60) is True
    kv.dedupe.forget("sid:SM1")
    assert kv.dedupe.first("sid:SM1", 60) is True
    kv.dedupe.forget("sid:never-seen")                    # no error


def test_dedupe_concurrent_first_gives_exactly_one_true(kv: KV):
    results = _run_threads(20, lambda i: kv.dedupe.first("sid:SMrace", 30))
    assert results.count(True) == 1 and results.count(False) == 19


# --- counters -----------------------------------------------------------------------------


def test_counter_limit_and_window_expiry(kv: KV):
    assert [kv.counters.hit("cap:+15550001", 3, 1) for _ in range(5)] == [True, True, True, False, False]
    assert kv.counters.count("cap:+15550001", 1) == 3     # refused hits are not counted
    assert kv.counters.count("cap:+15550002", 1) == 0
    assert kv.counters.hit("cap:+15550002", 3, 1) is True  # keys are independent
    assert kv.counters.count("cap:+15550001", 60) == 0    # another window is another counter
    time.sleep(1.1)
    assert kv.counters.count("cap:+15550001", 1) == 0
    assert kv.counters.hit("cap:+15550001", 3, 1) is True
    assert kv.counters.count("cap:+15550001", 1) == 1


def test_counter_concurrent_hits_never_overshoot(kv: KV):
    results = _run_threads(20, lambda i: kv.counters.hit("pace:global", 5, 60))
    assert results.count(True) == 5
    assert kv.counters.count("pace:global", 60) == 5


def test_counter_zero_limit_refuses_and_bad_window_is_an_error(kv: KV):
    assert kv.counters.hit("cap:none", 0, 60) is False
    with pytest.raises(ValueError):
        kv.counters.hit("cap:x", 1, 0)
    with pytest.raises(ValueError):
        kv.counters.count("cap:x", 0.5)  # type: ignore[arg-type]


# --- Redis down ---------------------------------------------------------------------------


def _all_calls(store: KV) -> list:
    return [
        lambda: store.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=1),
        lambda: store.dedupe.first("sid:SM1", 60),
        lambda: store.dedupe.forget("sid:SM1"),
        lambda: store.counters.hit("cap:1", 3, 60),
        lambda: store.counters.count("cap:1", 60),
        store.ping,
    ]


def test_redis_on_a_dead_port_raises_kv_unavailable_fast():
    store = make_kv("redis://127.0.0.1:1/0")              # nothing listens there
    for call in _all_calls(store):
        t0 = time.monotonic()
        with pytest.raises(KVUnavailable) as info:
            call()
        assert time.monotonic() - t0 < 3
        assert info.value.__cause__ is not None


def test_redis_that_never_answers_raises_kv_unavailable_within_the_socket_timeout():
    silent = socket.socket()                              # accepts connections, never replies
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        store = make_kv(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        t0 = time.monotonic()
        with pytest.raises(KVUnavailable):
            store.locks.acquire("conv:1", ttl_seconds=5, wait_seconds=10)
        assert time.monotonic() - t0 < 3.5
    finally:
        silent.close()


@pytest.mark.redis
def test_a_held_lock_whose_redis_went_away_releases_quietly_on_exit():
    need_redis()
    store = make_kv(redis_url_for_tests(), prefix=f"duly:test:{uuid.uuid4().hex[:12]}:")
    h = store.locks.acquire("conv:1", ttl_seconds=2, wait_seconds=0)   # expires by itself
    assert h is not None
    store.client.connection_pool.reset()
    store.client.connection_pool.connection_kwargs.update(port=1)   # "Redis is down" from now on
    with h:                                               # no exception escapes the exit
        pass
    with pytest.raises(KVUnavailable):
        h.owned()
    store.close()
