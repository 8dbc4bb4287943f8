"""Pacing shared through Redis: the configured rate per sender holds across workers."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from runner.pacing import RedisPacer
from tests.conftest import need_redis, redis_url_for_tests

pytestmark = pytest.mark.redis


def test_two_workers_share_one_rate():
    need_redis()
    from storage.kv import _redis_client

    client = _redis_client(redis_url_for_tests())
    prefix = f"test:{uuid.uuid4().hex}:"
    pacers = [RedisPacer(client, 20.0, prefix=prefix), RedisPacer(client, 20.0, prefix=prefix)]
    stamps: list[float] = []
    lock = threading.Lock()

    def send(p: RedisPacer) -> None:
        for _ in range(10):
            p.wait("+15555550100")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=send, args=(p,)) for p in pacers]
    start = time.monotonic()
    [t.start() for t in threads]
    [t.join() for t in threads]
    # 20 sends at 20/s from two workers: the 20th slot starts 19 intervals after the first
    assert stamps[-1] - start >= 19 / 20 - 0.02
    gaps = sorted(b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:]))
    assert gaps[len(gaps) // 2] >= 0.04            # the median gap is the interval (50 ms)


def test_redis_down_paces_locally():
    from storage.kv import _redis_client

    p = RedisPacer(_redis_client("redis://127.0.0.1:1/0"), 100.0)
    t = time.monotonic()
    for _ in range(3):
        p.wait("+1")
    assert time.monotonic() - t < 15
