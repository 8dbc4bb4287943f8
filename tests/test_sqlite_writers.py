"""SQLite write transactions queue on a Python lock in front of SQLite's own
(storage.db.SQLiteWriters): a waiting writer runs as soon as the one before it commits,
instead of sleeping in SQLite's busy handler (found by the webhook benchmark: its tail
latency at half load). The lock must never leak: commit, rollback, an error in BEGIN and a
connection returned mid-transaction all release it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from storage import db as storage_db


@pytest.fixture
def engine(tmp_path):
    eng = storage_db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with eng.begin() as c:
        c.execute(text("CREATE TABLE t (i INTEGER)"))
    yield eng
    eng.dispose()


def _held(engine) -> bool:
    lock = engine.sqlite_writers._lock
    free = lock.acquire(blocking=False)
    if free:
        lock.release()
    return not free


def test_commit_and_rollback_release_the_lock(engine):
    with engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (1)"))
        assert _held(engine)
    assert not _held(engine)
    with pytest.raises(RuntimeError):
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("boom")
    assert not _held(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM t")).scalar() == 1


def test_a_connection_returned_mid_transaction_releases_it(engine):
    conn = engine.connect()
    conn.begin()
    conn.execute(text("INSERT INTO t VALUES (3)"))
    assert _held(engine)
    conn.close()           # back to the pool without commit: rolled back, lock released
    assert not _held(engine)


def test_deferred_readers_do_not_queue(engine):
    with engine.begin() as w:
        w.execute(text("INSERT INTO t VALUES (4)"))
        with engine.connect() as r:
            r = r.execution_options(sqlite_begin="DEFERRED")
            assert r.execute(text("SELECT count(*) FROM t")).scalar() == 0   # WAL: the old snapshot
            r.rollback()


def test_writers_take_turns_in_order_and_none_is_lost(engine):
    order: list[int] = []
    go = threading.Barrier(8)

    def write(i: int) -> None:
        go.wait()
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (:i)"), {"i": i})
            order.append(i)
            time.sleep(0.01)       # hold the write lock a while, as a webhook's step does

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with engine.connect() as c:
        assert sorted(r[0] for r in c.execute(text("SELECT i FROM t"))) == list(range(8))
    assert sorted(order) == list(range(8)) and not _held(engine)
