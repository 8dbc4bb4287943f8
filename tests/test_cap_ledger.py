"""Cap ledgers (runner/caps.py): one contract over the in-process and the Redis ledger,
and the gate's dispatch using one (US-20 "7 in 7 days", ST-01, CN-03) so that two workers
sending about the same debt at once cannot both pass a cap only one of them fits."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

from runner.caps import MemoryCapLedger, RedisCapLedger, ledger_key
from tests.conftest import need_redis, redis_url_for_tests

DAY = 86400.0
T0 = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture(params=["memory", "redis"])
def ledger(request):
    if request.param == "memory":
        yield MemoryCapLedger()
        return
    need_redis()
    from storage.kv import _redis_client

    client = _redis_client(redis_url_for_tests())
    led = RedisCapLedger(client)
    yield led
    for k in client.scan_iter("duly:cap:test-*"):
        client.delete(k)


def _key() -> str:
    return f"duly:cap:test-{uuid.uuid4().hex[:8]}"


def test_reserves_until_the_cap_is_full(ledger):
    key = _key()
    caps = [(3, 7 * DAY)]
    got = [ledger.reserve(key, f"m{i}", T0 + i, [], caps).ok for i in range(5)]
    assert got == [True, True, True, False, False]


def test_known_database_rows_count_once_however_often_merged(ledger):
    key = _key()
    known = [("11", T0 - DAY), ("12", T0 - 2 * DAY)]
    caps = [(3, 7 * DAY)]
    assert ledger.reserve(key, "13", T0, known, caps).ok is True
    # the same rows passed again (another worker's view) are not counted twice
    res = ledger.reserve(key, "14", T0 + 1, known, caps)
    assert res.ok is False
    assert res.times == (T0 - 2 * DAY, T0 - DAY, T0)


def test_a_retry_of_the_same_message_is_not_counted_against_itself(ledger):
    key = _key()
    caps = [(2, 7 * DAY)]
    assert ledger.reserve(key, "1", T0, [], caps).ok
    assert ledger.reserve(key, "2", T0 + 1, [], caps).ok
    assert ledger.reserve(key, "2", T0 + 2, [], caps).ok        # "2" again: still 2 in the span
    assert ledger.reserve(key, "3", T0 + 3, [], caps).ok is False


def test_the_window_rolls(ledger):
    key = _key()
    caps = [(1, DAY)]
    assert ledger.reserve(key, "1", T0, [], caps).ok
    assert ledger.reserve(key, "2", T0 + DAY - 1, [], caps).ok is False
    assert ledger.reserve(key, "3", T0 + DAY, [], caps).ok          # (at - span, at]: T0 has left


def test_every_cap_must_have_room(ledger):
    key = _key()
    caps = [(5, 7 * DAY), (1, DAY)]          # e.g. ST-01 alongside US-20
    assert ledger.reserve(key, "1", T0, [], caps).ok
    assert ledger.reserve(key, "2", T0 + 3600, [], caps).ok is False
    assert ledger.reserve(key, "3", T0 + DAY + 1, [], caps).ok


def test_concurrent_reservations_never_exceed_the_cap(ledger):
    key = _key()
    caps = [(7, 7 * DAY)]
    results: list[bool] = []
    lock = threading.Lock()

    def go(i: int) -> None:
        ok = ledger.reserve(key, f"m{i}", T0 + i * 0.001, [], caps).ok
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 7 and len(results) == 24


def test_ledger_keys():
    assert ledger_key(42, "+15555550101") == "duly:cap:acct:42"
    assert ledger_key(None, "+15555550101") == "duly:cap:phone:+15555550101"


def test_redis_down_raises_kv_unavailable():
    from storage.kv import KVUnavailable, _redis_client

    led = RedisCapLedger(_redis_client("redis://127.0.0.1:1/0"))
    with pytest.raises(KVUnavailable):
        led.reserve("duly:cap:x", "1", T0, [], [(7, 7 * DAY)])
