"""The load generator: signed Twilio SMS webhooks over HTTP/1.1 keep-alive connections,
in its own process.

Each request is what Twilio posts for an inbound SMS (the form of ``tests/live.py``'s
``Duly.sms``): a unique ``MessageSid``, ``From`` one of the bench customers, ``Body`` a
reply from the corpus, signed with twilio-python's ``RequestValidator`` over
``PUBLIC_BASE_URL`` + the path, exactly as Twilio signs. Requests are made (and signed)
as they are sent, the same way for every server.

The client is a minimal asyncio HTTP/1.1 client (write the request, read the head, read
``Content-Length`` bytes) rather than httpx: on two cores an httpx client tops out
below what a bare uvicorn endpoint serves, which would understate the baseline (the
ratio would flatter Duly). ``TCP_NODELAY`` is on (asyncio's default for TCP).

Two ways to load:

* **closed loop** (:func:`closed_loop`): ``concurrency`` connections, each sending its
  next request as soon as the answer arrives; after ``warmup`` seconds, answers that
  arrive within the next ``seconds`` are counted — the maximum throughput;
* **open loop** (:func:`open_loop`): requests are issued on a fixed schedule (``rate``
  per second, evenly spaced) whatever the answers do, into a queue served by a pool of
  connections; a request's latency runs from the moment it was issued, so time waiting
  for a free connection while the server falls behind counts (no coordinated omission),
  while the client timer's own lateness (~1 ms on asyncio, reported apart) does not.
  Requests scheduled in the ``seconds`` after ``warmup`` are counted.

:func:`run_in_process` runs either in a child process and returns plain data.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass
class Target:
    """Where and what to send. ``phones``: customers' numbers; ``bodies``: SMS texts."""

    host: str
    port: int
    phones: list[str]
    bodies: list[str]
    path: str = "/webhooks/twilio/sms"
    token: str = ""
    public_base: str = ""
    to: str = "+15555550100"
    seed: int = 1


class RequestMaker:
    """Builds signed webhook requests (bytes), each with a fresh MessageSid."""

    def __init__(self, t: Target):
        from twilio.request_validator import RequestValidator

        self.t = t
        self.validator = RequestValidator(t.token)
        self.url = t.public_base.rstrip("/") + t.path
        self.rng = random.Random(t.seed)
        self.head = (f"POST {t.path} HTTP/1.1\r\nHost: {t.host}:{t.port}\r\n"
                     "User-Agent: TwilioProxy/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Accept: */*\r\n")
        self.account = "AC" + "b2" * 16

    def make(self) -> bytes:
        sid = "SM" + uuid.uuid4().hex
        frm = self.rng.choice(self.t.phones)
        body = self.rng.choice(self.t.bodies)
        form = [("ToCountry", "US"), ("ToState", "NY"), ("SmsMessageSid", sid), ("NumMedia", "0"),
                ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", "NY"),
                ("SmsStatus", "received"), ("FromCity", ""), ("Body", body), ("FromCountry", "US"),
                ("To", self.t.to), ("ToZip", ""), ("NumSegments", "1"), ("MessageSid", sid),
                ("AccountSid", self.account), ("From", frm), ("ApiVersion", "2010-04-01")]
        sig = self.validator.compute_signature(self.url, dict(form))
        payload = urlencode(form).encode()
        return (self.head + f"X-Twilio-Signature: {sig}\r\nI-Twilio-Idempotency-Token: {uuid.uuid4()}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


class Conn:
    """One keep-alive connection."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.r: asyncio.StreamReader | None = None
        self.w: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.r, self.w = await asyncio.open_connection(self.host, self.port)

    async def roundtrip(self, req: bytes) -> tuple[int, bytes]:
        if self.w is None:
            await self.open()
        self.w.write(req)
        head = await self.r.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.r.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.w is not None:
            self.w.close()
        self.r = self.w = None


@dataclass
class Result:
    """What a load run saw. Latencies in milliseconds (counted requests only)."""

    mode: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    sent: int = 0
    offered_rate: float | None = None
    samples: list[str] = field(default_factory=list)
    client_cpu_s: float = 0.0
    bytes_in: int = 0
    #: closed loop: connections still waiting for an answer ``grace`` seconds after the
    #: window (cancelled); open loop: counted requests never answered (also in ``errors``)
    stalled: int = 0
    #: open loop: how late the client's timer issued each counted request (ms after its
    #: schedule; not part of the latency)
    lateness_ms: list[float] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    def summary(self) -> dict[str, Any]:
        from bench.common import percentile

        lat = sorted(self.latencies_ms)
        late = sorted(self.lateness_ms)
        return {"mode": self.mode, "seconds": self.seconds, "requests": len(lat), "ok": self.ok,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "errors": self.errors,
                "stalled": self.stalled,
                "throughput": self.ok / self.seconds if self.seconds else float("nan"),
                "offered_rate": self.offered_rate,
                "p50_ms": percentile(lat, 50), "p90_ms": percentile(lat, 90),
                "p99_ms": percentile(lat, 99), "max_ms": lat[-1] if lat else float("nan"),
                "mean_response_bytes": self.bytes_in / len(lat) if lat else float("nan"),
                "client_late_p50_ms": percentile(late, 50) if late else None,
                "client_late_p99_ms": percentile(late, 99) if late else None,
                "client_cpu_s": self.client_cpu_s}


def _sample(res: Result, body: bytes) -> None:
    if len(res.samples) < 50 and b"<Message" in body:
        res.samples.append(body.decode("utf-8", "replace"))


async def closed_loop(t: Target, concurrency: int, seconds: float, warmup: float,
                      grace: float = 5.0) -> Result:
    maker = RequestMaker(t)
    res = Result("closed", seconds)
    conns = [Conn(t.host, t.port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in conns))
    t0 = time.perf_counter()
    start, end = t0 + warmup, t0 + warmup + seconds

    async def client(c: Conn) -> None:
        while True:
            began = time.perf_counter()
            if began >= end:
                return
            req = maker.make()
            try:
                status, body = await c.roundtrip(req)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                c.close()
                if time.perf_counter() >= start:
                    res.errors += 1
                continue
            done = time.perf_counter()
            if start <= done < end:
                res.latencies_ms.append((done - began) * 1000)
                res.statuses[status] = res.statuses.get(status, 0) + 1
                res.bytes_in += len(body)
                _sample(res, body)
            res.sent += 1

    tasks = [asyncio.create_task(client(c)) for c in conns]
    _, pending = await asyncio.wait(tasks, timeout=warmup + seconds + grace)
    for p in pending:   # still waiting for an answer long after the window: stalled
        p.cancel()
    res.stalled = len(pending)
    for c in conns:
        c.close()
    return res


async def open_loop(t: Target, rate: float, seconds: float, warmup: float, pool: int = 64,
                    drain: float = 30.0) -> Result:
    maker = RequestMaker(t)
    res = Result("open", seconds, offered_rate=rate)
    queue: asyncio.Queue = asyncio.Queue()
    conns = [Conn(t.host, t.port) for _ in range(pool)]
    await asyncio.gather(*(c.open() for c in conns))
    total = int(rate * (warmup + seconds))
    first_counted = int(rate * warmup)
    t0 = time.perf_counter() + 0.05

    async def scheduler() -> None:
        i = 0
        while i < total:
            now = time.perf_counter()
            while i < total and t0 + i / rate <= now:
                req = maker.make()
                queue.put_nowait((i, t0 + i / rate, time.perf_counter(), req))
                i += 1
            if i < total:
                await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
        for _ in conns:
            queue.put_nowait(None)

    async def worker(c: Conn) -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            i, scheduled, issued, req = item
            try:
                status, body = await c.roundtrip(req)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                c.close()
                if i >= first_counted:
                    res.errors += 1
                continue
            res.sent += 1
            if i >= first_counted:
                res.latencies_ms.append((time.perf_counter() - issued) * 1000)
                res.lateness_ms.append((issued - scheduled) * 1000)
                res.statuses[status] = res.statuses.get(status, 0) + 1
                res.bytes_in += len(body)
                _sample(res, body)

    tasks = [asyncio.create_task(worker(c)) for c in conns]
    await scheduler()
    done, pending = await asyncio.wait(tasks, timeout=drain)
    for p in pending:  # the server never answered these within `drain`
        p.cancel()
    # counted requests without an answer (refused connections, or still waiting) are errors
    unanswered = max(0, (total - first_counted) - len(res.latencies_ms) - res.errors)
    res.errors += unanswered
    res.stalled = len(pending)
    for c in conns:
        c.close()
    return res


def _child(conn: Any, kind: str, target: Target, kwargs: dict[str, Any]) -> None:
    try:
        c0 = time.process_time()
        fn = closed_loop if kind == "closed" else open_loop
        res = asyncio.run(fn(target, **kwargs))
        res.client_cpu_s = time.process_time() - c0
        conn.send(("ok", res))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", f"{exc.__class__.__name__}: {exc}"))
    finally:
        conn.close()


def run_in_process(kind: str, target: Target, timeout: float = 300, **kwargs: Any) -> Result:
    """Run :func:`closed_loop` (``kind="closed"``) or :func:`open_loop` (``"open"``) in a
    child process (fork) and return its :class:`Result`."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(child, kind, target, kwargs), daemon=True)
    p.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise TimeoutError(f"load generator ({kind}) gave no result in {timeout:.0f} s")
        status, value = parent.recv()
    finally:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join()
    if status != "ok":
        raise RuntimeError(f"load generator failed: {value}")
    return value
