"""Jobs: wake-ups and one-off work for the worker, dispatched through taskiq.

The database outbox and timers stay the truth: a job carries no message and no state a
worker could not find in the database. A job only says "do it now" — ``drain_outbox``
starts the worker's next pass at once instead of after ``[outbound] poll_seconds`` (an
agent's reply, a webhook that queued a message outside the TwiML answer), and
``plan_campaign`` runs a cadence planning pass as of a date in the worker. A lost job is
therefore repaired by the worker's poll; a job run twice does no harm (a pass is
idempotent, planning queues each step once).

Brokers (:func:`make_broker`): with ``REDIS_URL`` a taskiq-redis
:class:`~taskiq_redis.RedisStreamBroker` — a Redis stream read by one consumer group,
so each job goes to one worker, acknowledged after it ran, and claimed by another worker
if its consumer died before the ack (after ``idle_timeout``); without Redis taskiq's
:class:`~taskiq.InMemoryBroker`, which runs the job in the dispatching process (it
reaches a worker only in the same process — tests, demos; a separate ``duly worker``
then relies on its poll).

Web side: :func:`dispatch` / :func:`kick_outbox` — never raise for Redis trouble (logged
at WARNING; the poll picks the work up). Worker side: :func:`serve` runs taskiq's
``Receiver`` on a thread with its own event loop next to ``Worker.run_forever``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from taskiq import AsyncBroker, Context, InMemoryBroker, TaskiqDepends
from taskiq.kicker import AsyncKicker
from taskiq.receiver import Receiver

log = logging.getLogger("duly.jobs")

#: Redis stream (queue) name and consumer group every worker reads it with.
QUEUE = "duly:jobs"
GROUP = "duly-workers"
#: Jobs kept in the stream at most (approximately; acknowledged ones included).
STREAM_MAXLEN = 10_000
#: Seconds a job may stay unacknowledged by a dead consumer before another worker takes it.
IDLE_SECONDS = 300
#: Seconds between attempts to (re)connect the receiver while Redis is down.
RETRY_SECONDS = 5.0


# --- the jobs ------------------------------------------------------------------------------

def _workers(context: Context) -> list[Any]:
    return list(getattr(context.state, "workers", None) or [])


async def drain_outbox(context: Context = TaskiqDepends()) -> int:
    """Wake the worker(s) this broker serves (``Worker.wake``): their next pass starts
    now. Returns how many were woken (0 in a process without a worker)."""
    workers = _workers(context)
    for w in workers:
        w.wake()
    return len(workers)


async def plan_campaign(now: str | None = None, context: Context = TaskiqDepends()) -> dict[str, Any]:
    """Plan the cadence as of ``now`` (ISO datetime or date; naive = UTC; default the
    worker's clock) in the worker's own thread, before its next pass
    (``Worker.call_soon`` → :func:`runner.campaign.plan`). Returns ``{"queued": int,
    "as_of": ISO}``, or ``{"queued": 0, "as_of": None}`` in a process without a worker.
    Raises what planning raises (the job is then reported failed)."""
    workers = _workers(context)
    if not workers:
        return {"queued": 0, "as_of": None}

    def run(worker: Any) -> dict[str, Any]:
        from duly.worker_cli import parse_now
        from runner.campaign import plan

        at = parse_now(now) if now else worker.clock()
        report = plan(worker.sessions, worker.settings, at)
        return {"queued": int(report.queued), "as_of": at.isoformat()}

    return await asyncio.wrap_future(workers[0].call_soon(run))


#: name → task function; a job's taskiq name is ``duly.<name>``.
TASKS = {"drain_outbox": drain_outbox, "plan_campaign": plan_campaign}


def make_broker(redis_url: str | None, *, queue: str = QUEUE, consumer: str | None = None) -> AsyncBroker:
    """A broker with :data:`TASKS` registered and ``state.workers = []``.

    redis_url: ``REDIS_URL`` → :class:`taskiq_redis.RedisStreamBroker` on stream
    ``queue``, consumer group :data:`GROUP`, consumer name ``consumer`` (default a
    random one); ``None`` → :class:`taskiq.InMemoryBroker`. Not started."""
    broker: AsyncBroker
    if redis_url:
        from taskiq_redis import RedisStreamBroker

        broker = RedisStreamBroker(redis_url, queue_name=queue, consumer_group_name=GROUP,
                                   consumer_name=consumer, maxlen=STREAM_MAXLEN, xread_block=1000,
                                   idle_timeout=IDLE_SECONDS * 1000, unacknowledged_lock_timeout=30,
                                   socket_connect_timeout=1, socket_timeout=5)
    else:
        broker = InMemoryBroker(await_inplace=False)
    for name, fn in TASKS.items():
        broker.register_task(fn, task_name=f"duly.{name}")
    broker.state.workers = []
    return broker


# --- the web side: dispatch ---------------------------------------------------------------

class _Loop:
    """One event loop on a daemon thread for this process's dispatches (taskiq's
    client API is async; the web's handlers and the runner are not)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="duly-jobs-dispatch", daemon=True).start()

    def run(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


_guard = threading.Lock()
_loop: _Loop | None = None
_clients: dict[tuple[str | None, str], AsyncBroker] = {}


def _client(redis_url: str | None, queue: str, timeout: float) -> tuple[_Loop, AsyncBroker]:
    """This process's started broker for (``redis_url``, ``queue``)."""
    global _loop
    with _guard:
        if _loop is None:
            _loop = _Loop()
        loop = _loop
        broker = _clients.get((redis_url, queue))
        if broker is None:
            broker = make_broker(redis_url, queue=queue)
            loop.run(broker.startup(), timeout)   # raises while Redis is down: not kept
            _clients[(redis_url, queue)] = broker
    return loop, broker


def dispatch(settings: Any, name: str, *, queue: str = QUEUE, timeout: float = 2.0, **kwargs: Any) -> bool:
    """Send job ``name`` (a key of :data:`TASKS`) with ``kwargs`` to the workers through
    ``settings.redis_url`` (the in-process broker without it). Waits at most ``timeout``
    seconds for the broker to take it. Returns True when it was queued; False when not
    (Redis down or slow: logged at WARNING — the worker's poll does the work within
    ``[outbound] poll_seconds``). Never raises for broker trouble; raises ``ValueError``
    for an unknown ``name``."""
    if name not in TASKS:
        raise ValueError(f"unknown job {name!r} (one of {', '.join(TASKS)})")
    redis_url = getattr(settings, "redis_url", None) or None
    try:
        loop, broker = _client(redis_url, queue, timeout)
        loop.run(AsyncKicker(f"duly.{name}", broker, {}).kiq(**kwargs), timeout)
        return True
    except Exception as exc:  # noqa: BLE001 - never into the request: the poll repairs it
        log.warning("job %s not dispatched (%s: %s); the worker's poll will pick the work up",
                    name, type(exc).__name__, exc)
        return False


def kick_outbox(settings: Any, **kw: Any) -> bool:
    """Wake a worker to send what was just queued (``drain_outbox``); call it after the
    transaction that queued a non-TwiML outbound message commits. Returns
    :func:`dispatch`'s answer; never raises for broker trouble."""
    return dispatch(settings, "drain_outbox", **kw)


# --- the worker side: the receiver --------------------------------------------------------

class JobReceiver:
    """taskiq's :class:`~taskiq.receiver.Receiver` for one worker, on a daemon thread
    with its own event loop (:func:`serve`). ``stop()`` ends it."""

    def __init__(self, worker: Any, redis_url: str | None, queue: str = QUEUE):
        self.worker = worker
        self.redis_url = redis_url
        self.queue = queue
        self.listening = threading.Event()   # set once the consumer group is read
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finish: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._memory: AsyncBroker | None = None

    def start(self) -> "JobReceiver":
        """Start receiving. Without Redis the worker joins this process's in-memory
        broker (dispatches in this process reach it directly). Returns self."""
        if not self.redis_url:
            _, self._memory = _client(None, self.queue, 5.0)
            self._memory.state.workers.append(self.worker)
            self.listening.set()
            return self
        self._thread = threading.Thread(target=self._run, name="duly-jobs-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs (running ones finish) and wait up to ``timeout`` seconds."""
        self._stopping.set()
        if self._memory is not None:
            workers = self._memory.state.workers
            if self.worker in workers:
                workers.remove(self.worker)
            return
        if self._loop is not None and self._finish is not None:
            try:
                self._loop.call_soon_threadsafe(self._finish.set)
            except RuntimeError:  # the loop has closed already
                pass
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
        finally:
            loop.close()

    async def _listen(self) -> None:
        self._finish = asyncio.Event()
        if self._stopping.is_set():
            return
        while not self._stopping.is_set():
            broker = make_broker(self.redis_url, queue=self.queue,
                                 consumer=getattr(self.worker, "holder", None))
            broker.is_worker_process = True
            broker.state.workers = [self.worker]
            try:
                await broker.startup()
                self.listening.set()
                log.info("receiving jobs from %s", self.queue)
                await Receiver(broker, run_startup=False, max_async_tasks=4).listen(self._finish)
            except Exception as exc:  # noqa: BLE001 - Redis down: the poll keeps working
                self.listening.clear()
                if self.redis_url and _key_error(exc) and self._drop_malformed():
                    continue  # at once: the entry that stopped the receiver is gone
                log.warning("job receiver: %s: %s; retrying in %.0f s (the poll keeps sending)",
                            type(exc).__name__, exc, RETRY_SECONDS)
            finally:
                try:
                    await broker.shutdown()
                except Exception:  # noqa: BLE001
                    pass
            if not self._stopping.is_set():
                try:
                    await asyncio.wait_for(self._finish.wait(), RETRY_SECONDS)
                except asyncio.TimeoutError:
                    pass

    def _drop_malformed(self) -> bool:
        """taskiq-redis's reader raised KeyError: drop the stream's entries without a
        ``data`` field (:func:`drop_malformed_entries`) and wake the worker, since kicks read in
        the same batch after the bad entry wait for re-claiming (``IDLE_SECONDS``).
        Returns True when something was dropped (the receiver restarts at once)."""
        dropped = drop_malformed_entries(self.redis_url, self.queue)
        log.warning("job receiver: stream entry without a data field; dropped %d malformed entr%s",
                    dropped, "y" if dropped == 1 else "ies")
        if dropped:
            wake = getattr(self.worker, "wake", None)
            if wake is not None:
                wake()
        return dropped > 0


def _key_error(exc: BaseException) -> bool:
    """True when ``exc`` is, or (in a TaskGroup's ExceptionGroup) holds, a KeyError."""
    if isinstance(exc, KeyError):
        return True
    return isinstance(exc, BaseExceptionGroup) and exc.subgroup(KeyError) is not None


def drop_malformed_entries(redis_url: str, queue: str = QUEUE, group: str = GROUP) -> int:
    """Acknowledge (for ``group``) and delete every entry of stream ``queue`` that has no
    ``data`` field — something other than taskiq wrote it, and taskiq-redis's reader
    raises KeyError on it each time it is read or re-claimed. A job is only a wake-up
    (the outbox stays the truth), so nothing is lost. Returns how many entries were
    dropped; 0 when Redis cannot be reached (logged by the caller's retry)."""
    from storage.kv import _redis_client

    try:
        client = _redis_client(redis_url)
        bad: list[bytes] = []
        start: str | bytes = "-"
        while True:
            batch = client.xrange(queue, min=start, max="+", count=1000)
            bad += [entry_id for entry_id, fields in batch if b"data" not in fields]
            if len(batch) < 1000:
                break
            start = b"(" + batch[-1][0]
        if bad:
            client.xack(queue, group, *bad)
            client.xdel(queue, *bad)
        return len(bad)
    except Exception as exc:  # noqa: BLE001 - Redis trouble: the caller's retry covers it
        log.warning("job receiver: could not clean stream %s: %s: %s", queue, type(exc).__name__, exc)
        return 0


def serve(worker: Any, redis_url: str | None, *, queue: str = QUEUE) -> JobReceiver:
    """Receive jobs for ``worker`` (a :class:`runner.worker.Worker`) alongside its
    ``run_forever``: ``drain_outbox`` wakes it, ``plan_campaign`` runs in its thread.
    ``redis_url``: ``REDIS_URL`` (``None``: the in-process broker). Returns the started
    :class:`JobReceiver`; call ``stop()`` when the worker stops."""
    return JobReceiver(worker, redis_url, queue).start()
