"""Jobs (runner.jobs, taskiq): a ``drain_outbox`` kick wakes a real worker loop at once
instead of after ``poll_seconds``; one-off ``plan_campaign`` runs in the worker's thread;
with Redis the kick crosses processes; with Redis down dispatching never raises and the
worker's poll still sends. Waits below are generous upper bounds on an event, never a
measurement: the worker's poll is 600 s, so only the kick can wake it in time."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from runner import jobs
from runner.transports import SendResult
from runner.worker import Worker
from tests.conftest import need_redis, redis_url_for_tests
from tests.test_worker import (NOW, Env, GateStandIn, Recorder, add_conversation, add_message,  # noqa: F401
                               env, gate, make_worker, message)

REPO = Path(__file__).resolve().parent.parent
LONG_POLL = 600.0


class Signalling(Recorder):
    """A transport that sets ``sent_event`` on every send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_event = threading.Event()

    def send(self, **kw: Any) -> SendResult:
        out = super().send(**kw)
        self.sent_event.set()
        return out


class Looping:
    """A worker's ``run_forever`` on a thread; ``idle`` is set after each pass."""

    def __init__(self, worker: Worker, poll: float = LONG_POLL):
        self.worker = worker
        self.passes = 0
        self.idle = threading.Event()
        inner = worker.run_once

        def counted(now: Any = None) -> dict[str, int]:
            out = inner(now)
            self.passes += 1
            self.idle.set()
            return out

        worker.run_once = counted   # type: ignore[method-assign]
        self.thread = threading.Thread(target=worker.run_forever, kwargs={"poll_seconds": poll}, daemon=True)

    def __enter__(self) -> "Looping":
        self.thread.start()
        assert self.idle.wait(60), "the worker's first pass never ended"
        return self

    def __exit__(self, *exc: Any) -> None:
        self.worker.stop()
        self.thread.join(60)
        assert not self.thread.is_alive()


def _queue() -> str:
    return f"test:jobs:{uuid.uuid4().hex}"


@contextlib.contextmanager
def receiving(env: Env) -> Iterator[SimpleNamespace]:
    """A worker looping on a :class:`Signalling` transport with a job receiver listening
    on a fresh Redis stream. Yields ``client`` (redis-py), ``url``, ``queue``,
    ``transport``, ``loop`` (:class:`Looping`) and ``receiver``; stops both and deletes
    the stream afterwards."""
    need_redis()
    from storage.kv import _redis_client

    url, queue = redis_url_for_tests(), _queue()
    client = _redis_client(url)
    transport = Signalling()
    worker = make_worker(env, transport)
    receiver = None
    try:
        with Looping(worker) as loop:
            receiver = jobs.serve(worker, url, queue=queue)
            assert receiver.listening.wait(30)
            yield SimpleNamespace(client=client, url=url, queue=queue, transport=transport, loop=loop,
                                  receiver=receiver)
    finally:
        if receiver is not None:
            receiver.stop()
        client.delete(queue)


def wait_sent(env: Env, mid: int, timeout: float) -> None:
    """Wait up to ``timeout`` s for message ``mid`` to be ``sent`` (the send returned;
    its pass settles the row next)."""
    deadline = time.monotonic() + timeout
    while message(env.sessions, mid).status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)


def test_kick_wakes_the_worker_through_the_in_memory_broker(env: Env, gate: GateStandIn):
    transport = Signalling()
    w = make_worker(env, transport)
    queue = _queue()
    receiver = jobs.serve(w, None, queue=queue)
    try:
        with Looping(w) as loop:
            assert loop.passes == 1 and transport.sent == []
            conv = add_conversation(env.sessions)
            mid = add_message(env.sessions, conv, status="pending", transport="console")
            loop.idle.clear()
            assert jobs.kick_outbox(SimpleNamespace(redis_url=None), queue=queue) is True
            assert transport.sent_event.wait(60), "the kick did not wake the worker"
            assert loop.idle.wait(60) and loop.passes >= 2
            assert [s["to"] for s in transport.sent] == ["+15555550101"]
            assert message(env.sessions, mid).status == "sent"
    finally:
        receiver.stop()


def test_plan_campaign_runs_in_the_worker_thread(env: Env, gate: GateStandIn, monkeypatch):
    import runner.campaign as campaign

    seen: list[tuple[str, Any]] = []

    def fake_plan(sessions: Any, settings: Any, now: Any, **kw: Any) -> Any:
        seen.append((threading.current_thread().name, now))
        return SimpleNamespace(queued=3)

    monkeypatch.setattr(campaign, "plan", fake_plan)
    w = make_worker(env, Signalling())
    queue = _queue()
    receiver = jobs.serve(w, None, queue=queue)
    try:
        with Looping(w) as loop:
            _, broker = jobs._client(None, queue, 5.0)
            result = jobs._loop.run(_run_job(broker, "plan_campaign", now="2026-12-01"), 60)
            assert result == {"queued": 3, "as_of": "2026-12-01T00:00:00+00:00"}
            assert seen and seen[0][0] == loop.thread.name      # ran in run_forever's thread
    finally:
        receiver.stop()
    # a process without a worker: nothing to run, nothing raised
    assert jobs.dispatch(SimpleNamespace(redis_url=None), "plan_campaign", queue=_queue()) is True
    with pytest.raises(ValueError):
        jobs.dispatch(SimpleNamespace(redis_url=None), "no_such_job")


async def _run_job(broker: Any, name: str, **kw: Any) -> Any:
    from taskiq.kicker import AsyncKicker

    task = await AsyncKicker(f"duly.{name}", broker, {}).kiq(**kw)
    res = await task.wait_result(timeout=60)
    assert not res.is_err, res.error
    return res.return_value


def test_call_soon_fails_when_the_worker_stops_first(env: Env):
    w = make_worker(env, Signalling())
    w.stop()
    fut = w.call_soon(lambda worker: 1)
    with pytest.raises(RuntimeError):
        fut.result(5)


@pytest.mark.redis
def test_kick_from_another_process_wakes_a_worker_through_redis(env: Env, gate: GateStandIn):
    need_redis()
    url = redis_url_for_tests()
    queue = _queue()
    # two workers share the queue on PostgreSQL; on SQLite only the lease holder sends,
    # so one worker (the second is a stand-in that never receives or sends)
    transports = [Signalling(), Signalling()]
    workers = [make_worker(env, t) for t in transports]
    consumers = workers if env.backend == "postgresql" else workers[:1]
    receivers = [jobs.serve(w, url, queue=queue) for w in consumers]
    if env.backend != "postgresql":
        workers[1] = make_worker(env, transports[1], holder="stand-in")
    try:
        assert all(r.listening.wait(30) for r in receivers)
        with Looping(workers[0]) as a, Looping(workers[1]) as b:
            a.idle.clear()
            b.idle.clear()
            conv = add_conversation(env.sessions)
            mid = add_message(env.sessions, conv, status="pending", transport="console")
            code = ("import sys, types; from runner.jobs import kick_outbox; "
                    f"sys.exit(0 if kick_outbox(types.SimpleNamespace(redis_url={url!r}), queue={queue!r}) else 3)")
            done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=120)
            assert done.returncode == 0, done.stderr.decode()[-2000:]
            deadline = time.monotonic() + 60
            while not any(t.sent_event.is_set() for t in transports) and time.monotonic() < deadline:
                time.sleep(0.02)  # either worker may take the job
            assert any(t.sent_event.is_set() for t in transports)
            woken = a if transports[0].sent else b
            assert woken.idle.wait(60)
            # one job, one worker woken: the other never passed again
            assert min(a.passes, b.passes) == 1 and max(a.passes, b.passes) >= 2
            assert sum(len(t.sent) for t in transports) == 1
            assert message(env.sessions, mid).status == "sent"
    finally:
        for r in receivers:
            r.stop()
        from storage.kv import _redis_client

        _redis_client(url).delete(queue)


def test_redis_down_dispatch_does_not_raise_and_the_poll_still_sends(env: Env, gate: GateStandIn, caplog):
    dead = "redis://127.0.0.1:1/0"
    transport = Signalling()
    w = make_worker(env, transport)
    receiver = jobs.serve(w, dead, queue=_queue())
    try:
        with Looping(w, poll=0.2):
            conv = add_conversation(env.sessions)
            mid = add_message(env.sessions, conv, status="pending", transport="console")
            with caplog.at_level("WARNING", logger="duly.jobs"):
                assert jobs.kick_outbox(SimpleNamespace(redis_url=dead), queue=_queue()) is False
            assert any("not dispatched" in r.getMessage() for r in caplog.records)
            assert transport.sent_event.wait(60), "the poll did not send"
            # the transport answered; the worker records it right after (bounded wait)
            deadline = time.monotonic() + 30
            while message(env.sessions, mid).status == "sending" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert message(env.sessions, mid).status == "sent"
    finally:
        receiver.stop()


def test_a_stream_entry_without_data_is_dropped_and_later_kicks_still_wake(env: Env, gate: GateStandIn, caplog):
    """Something other than taskiq wrote to the jobs stream (no ``data`` field):
    taskiq-redis's reader raises KeyError on it, every time it is read or re-claimed.
    The receiver drops it (acknowledged and deleted), wakes the worker once for any
    kick read in the same batch, and keeps receiving: a later kick wakes the worker."""
    with caplog.at_level("WARNING", logger="duly.jobs"), receiving(env) as r:
        r.client.xadd(r.queue, {"junk": "not a job"})
        deadline = time.monotonic() + 30
        while r.client.xlen(r.queue) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert r.client.xlen(r.queue) == 0, "the malformed entry is still in the stream"
        assert any("dropped 1 malformed entry" in rec.getMessage() for rec in caplog.records)
        assert r.receiver.listening.wait(30)
        r.loop.idle.clear()
        conv = add_conversation(env.sessions)
        mid = add_message(env.sessions, conv, status="pending", transport="console")
        assert jobs.kick_outbox(SimpleNamespace(redis_url=r.url), queue=r.queue)
        assert r.transport.sent_event.wait(60), "a kick after the bad entry never woke the worker"
        wait_sent(env, mid, 30)
        assert message(env.sessions, mid).status == "sent"
        assert len(r.transport.sent) == 1
        pending = r.client.xpending(r.queue, jobs.GROUP)
        assert pending["pending"] == 0
