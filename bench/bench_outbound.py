"""Outbound pacing: achieved vs configured messages per second through the real worker.

    duly bench outbound [--rate R] [--outbound-messages N] [--workers 1,2,4] [--postgres URL [--redis URL]]

A fake Twilio API (``bench.servers.fake_twilio_app``: ``POST …/Messages.json`` answers
201 with the message resource, like Twilio's) runs under uvicorn in its own process. The
real ``runner.transports.TwilioTransport`` talks to it over HTTP with its default client
(twilio's ``TwilioHttpClient``: requests, keep-alive, the configured timeouts) and
``api_base`` (what ``TWILIO_API_BASE`` sets) pointing at the fake — nothing else differs.

On a fresh database, N customers (New York, DPD 12, consent on file) are imported and
``runner.campaign.plan`` makes their cadence notice (through the gate) at a Monday 10:00
New York (``bench.common.business_start``): N pending ``rest`` messages from one sender. Then W ``runner.worker.Worker``
threads run ``run_forever`` (hooks, claim in batches, the gate again at dispatch, pace,
send, record) with ``[outbound] messages_per_second = R / W`` each (per worker process,
as config.toml says, when there is no Redis), until the fake has all N. With ``--redis
URL`` (and ``--postgres``) the W workers also run with ``duly worker``'s Redis set-up:
each configured with the whole rate R and one :class:`runner.pacing.RedisPacer` schedule
shared through Redis (a fresh key prefix per run), as ``REDIS_URL`` gives them.

**achieved** = the least-squares slope of the fake's arrival times (messages per second,
insensitive to when the stream started); **configured** = R; the goal is achieved /
configured within 1 %. Several workers need PostgreSQL (``FOR UPDATE SKIP LOCKED``); on
SQLite the outbox lease lets one worker send at a time, so only W = 1 runs there.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request
import uuid
from typing import Any

from bench.common import (ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, Database, ShiftedClock,
                          import_accounts, load_settings, reachable, row, slope, with_behaviour)
from bench.servers import Servers

GOAL_TOLERANCE = 0.01


def _arrivals(base_url: str) -> list[float]:
    with urllib.request.urlopen(base_url + "/_arrivals", timeout=10) as r:
        return json.loads(r.read())


def run_one(backend: str, workers: int, rate: float, messages: int, pg_url: str | None = None,
            timeout: float | None = None, redis_url: str | None = None) -> dict[str, Any]:
    """One configuration on a fresh database: ``workers`` worker threads, ``rate``
    messages/s in total, ``messages`` customers; with ``redis_url`` the workers share a
    :class:`runner.pacing.RedisPacer` at ``rate`` instead of pacing at ``rate / workers``
    each. Returns the details mapping (achieved msg/s, ratio to ``rate``, statuses…)."""
    from sqlalchemy import text

    from runner.campaign import plan
    from runner.inbound import Runner
    from runner.transports import TwilioTransport
    from runner.worker import Worker

    with Database(backend, pg_url) as db, Servers("twilio") as fake:
        clock = ShiftedClock()
        settings = load_settings(db.url)
        import_accounts(settings, db.sessions, messages)
        t0 = time.perf_counter()
        report = plan(db.sessions, settings, clock())
        seed_s = time.perf_counter() - t0
        with db.engine.connect() as c:
            pending = c.execute(text("SELECT count(*) FROM messages WHERE direction = 'outbound' "
                                     "AND status = 'pending' AND transport = 'rest'")).scalar()
        client, prefix = None, f"bench:{uuid.uuid4().hex}:"
        if redis_url:
            from runner.pacing import RedisPacer
            from storage.kv import _redis_client

            client = _redis_client(redis_url)
        per_worker = with_behaviour(settings, "outbound",
                                    messages_per_second=rate if client is not None else rate / workers)
        pool = []
        for _ in range(workers):
            transport = TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, from_=OUR_NUMBER, api_base=fake.url)
            runner = Runner(per_worker, db.sessions, clock=clock, transport=None)
            pacer = RedisPacer(client, rate, prefix=prefix) if client is not None else None
            pool.append(Worker(per_worker, db.sessions, transport, clock=clock, runner=runner, pacer=pacer))
        threads = [threading.Thread(target=w.run_forever, kwargs={"poll_seconds": 0.1}, daemon=True)
                   for w in pool]
        started = time.time()
        for th in threads:
            th.start()
        limit = timeout or (pending / rate * 2 + 30)
        times: list[float] = []
        while time.time() - started < limit:
            time.sleep(0.25)
            times = _arrivals(fake.url)
            if len(times) >= pending:
                break
        for w in pool:
            w.stop()
        for th in threads:
            th.join(30)
        times = sorted(_arrivals(fake.url))
        if client is not None:
            keys = list(client.scan_iter(prefix + "*"))
            if keys:
                client.delete(*keys)
        with db.engine.connect() as c:
            statuses = dict(c.execute(text("SELECT status, count(*) FROM messages WHERE direction = 'outbound' "
                                           "GROUP BY status")).all())
    achieved = slope(times)
    span = (times[-1] - times[0]) if len(times) > 1 else float("nan")
    # time lost to the pacing beyond the configured spacing, per claimed batch (a claim
    # runs the gate for each row while nothing is sent, and the pacer does not catch up)
    batches = max(1, -(-len(times) // max(1, pool[0].batch_size * workers)))
    stall = (span - (len(times) - workers) / rate) / batches if len(times) > workers else float("nan")
    return {"backend": backend, "workers": workers, "configured": rate,
            "per_worker": rate if redis_url else rate / workers, "redis": bool(redis_url),
            "planned": report.queued, "pending": pending, "sent": len(times), "seed_s": seed_s,
            "achieved": achieved, "ratio": achieved / rate if rate else float("nan"),
            "first_to_last_rate": (len(times) - 1) / span if span and span == span else float("nan"),
            "first_send_after_s": (times[0] - started) if times else None,
            "batch_size": pool[0].batch_size, "stall_s_per_batch_round": stall,
            "statuses": {str(k): v for k, v in statuses.items()}}


def _redis_problem(url: str) -> str | None:
    try:
        from storage.kv import _redis_client

        _redis_client(url).ping()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable at {url} ({exc.__class__.__name__})"


def run(*, rate: float = 20.0, messages: int = 240, workers: tuple[int, ...] = (1, 2, 4),
        pg_url: str | None = None, backends: tuple[str, ...] | None = None,
        redis_url: str | None = None) -> dict[str, Any]:
    """Every configuration: SQLite with 1 worker, PostgreSQL (``pg_url``) with each of
    ``workers``, and with ``redis_url`` PostgreSQL + Redis (shared pacing) with each of
    ``workers``. ``backends`` limits the databases (``"sqlite"``, ``"postgresql"``).
    Returns ``{"rows": table rows, "details": {backend: [run_one details]}}``; the
    Redis runs are under ``"postgresql+redis"``."""
    backends = backends or (("sqlite", "postgresql") if pg_url else ("sqlite",))
    rows, details = [], {}
    runs = [(b, None) for b in backends]
    if redis_url and "postgresql" in backends:
        runs.append(("postgresql", redis_url))
    for backend, rurl in runs:
        label = backend + ("+redis" if rurl else "")
        why = reachable(backend, pg_url) or (_redis_problem(rurl) if rurl else None)
        if why:
            rows.append(row(f"outbound pacing {label}", None, "", skipped=why))
            details[label] = {"skipped": why}
            continue
        counts = [1] if backend == "sqlite" else list(workers)
        details[label] = []
        for w in counts:
            d = run_one(backend, w, rate, messages, pg_url, redis_url=rurl)
            details[label].append(d)
            complete = d["sent"] == d["pending"] and d["pending"] > 0
            note = "" if complete else f" ({d['sent']}/{d['pending']} sent)"
            rows.append(row(f"outbound pacing {label}, {w} worker{'s' if w > 1 else ''} "
                            f"({d['sent']} msgs){note}", d["achieved"], "msg/s", baseline=rate,
                            ratio=d["ratio"], ratio_note="configured", goal="within 1 %",
                            met=complete and abs(d["ratio"] - 1) <= GOAL_TOLERANCE))
    return {"rows": rows, "details": details}


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("outbound")
    g.add_argument("--rate", type=float, default=20.0, help="configured messages per second in total (20)")
    g.add_argument("--outbound-messages", type=int, default=240,
                   help="messages per run (240: whole batches of 20 for 1, 2 and 4 workers)")
    g.add_argument("--workers", default="1,2,4", help="worker counts on PostgreSQL (1,2,4); SQLite runs 1")
    # `--redis URL` (bench_webhooks registers it; the same option) adds the PostgreSQL +
    # Redis runs here: the workers share pacing through Redis


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    counts = tuple(int(x) for x in str(args.workers).split(",") if x.strip())
    return run(rate=args.rate, messages=args.outbound_messages, workers=counts, pg_url=args.postgres,
               redis_url=getattr(args, "redis", None))
