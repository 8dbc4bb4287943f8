"""Inbound webhooks: the full path against a bare Starlette endpoint, same run, same uvicorn.

    duly bench webhooks [--customers N] [--concurrency C] [--seconds S] [--warmup W]
                        [--postgres URL [--pg-processes P] [--redis URL]]

**Duly** is ``duly.app.create_app`` as ``duly serve`` runs it (uvicorn with
``proxy_headers``, ``forwarded_allow_ips=127.0.0.1``, no access log), configured like
production: Twilio transport (replies ride in the TwiML answer; ``keyword_replies =
provider``), signatures checked against ``PUBLIC_BASE_URL``, on a fresh database with
``--customers`` accounts imported through ``duly accounts import``'s code path. Every
request takes the whole path: signature, parse, store (MessageSid unique), the
conversation lock, ``interpret``, the dialog step, the gate, commit, claim the replies,
TwiML. The business clock starts at a Monday 10:00 New York (a week or more before the wall
clock, ``bench.common.business_start``) and moves with the wall clock, so quiet and agent
hours are the same whenever the bench runs.

**bare** is a Starlette app with one route on the same path, served by the same uvicorn
settings and process count: it reads the body, parses the same form (``parse_qsl`` into
the same multi-dict) and answers a TwiML document Duly actually answered in this run (the
median-length one with a ``<Message>``).

The load generator (``bench/loadgen.py``) is a separate process: HTTP/1.1 keep-alive
connections, every request a unique, correctly signed MessageSid from one of the
customers with a body from the corpus (tests/data/replies*.tsv). For each server:

1. **max throughput** — closed loop, ``--concurrency`` connections, ``--warmup`` seconds
   then ``--seconds`` counted; 200 answers per second;
2. **latency** — open loop at half of *Duly's* maximum (requests evenly spaced, latency
   from the scheduled start), ``--open-seconds`` counted after ``--warmup``; the bare endpoint
   gets the same offered rate, so both are compared under the same load.

**store-only floor** (informational, no goal) is the least a webhook can do and lose
nothing: the same signature check and form parsing as Duly, one committed INSERT of the
message (MessageSid unique) on the same database, the same TwiML (``bench.servers.store_app``).
Its throughput against the bare endpoint's shows how much of the gap any webhook that
stores before it acts must pay; Duly's against it, what the lock, intents, step, gate and
claim cost on top.

Server CPU per request (from ``/proc``) is recorded too. Goals: throughput >= 0.5x the
bare endpoint's; p99 <= 25 ms at half the maximum rate.

SQLite runs one server process (one writer). With ``--postgres URL`` the same runs on a
fresh schema there with ``--pg-processes`` server processes (default 2) sharing the
listening socket (``--redis URL`` sets ``REDIS_URL`` for them).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench import loadgen
from bench.common import (AUTH_TOKEN, OUR_NUMBER, PUBLIC_BASE, Database, business_start, corpus,
                          customer_phone, import_accounts, load_settings, reachable, row)
from bench.servers import STORE_TABLE, Servers, create_store_table

GOAL_THROUGHPUT_RATIO = 0.5
GOAL_P99_MS = 25.0


# --- one backend --------------------------------------------------------------------------------

def _load(servers: Servers, target: loadgen.Target, kind: str, **kw: Any) -> dict[str, Any]:
    cpu0 = servers.cpu_seconds()
    res = loadgen.run_in_process(kind, target, **kw)
    cpu = servers.cpu_seconds() - cpu0
    out = res.summary()
    sent = max(1, res.sent)
    out["server_cpu_ms_per_request"] = cpu / sent * 1000
    out["samples"] = res.samples
    return out


def _both_loops(servers: Servers, target: loadgen.Target, *, concurrency: int, seconds: float,
                open_seconds: float, warmup: float, rate: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """A baseline server's closed loop and its open loop at Duly's half rate ``rate``
    (fresh seeds), without the answer samples."""
    target.port = servers.port
    target.seed += 1
    closed = _load(servers, target, "closed", concurrency=concurrency, seconds=seconds, warmup=warmup)
    target.seed += 1
    opened = _load(servers, target, "open", rate=rate, seconds=open_seconds, warmup=warmup)
    closed.pop("samples"), opened.pop("samples")
    return closed, opened


def _answer_of(samples: list[str]) -> str:
    from webhooks.twilio import EMPTY_TWIML

    if not samples:
        return EMPTY_TWIML
    by_len = sorted(samples, key=len)
    return by_len[len(by_len) // 2]


def run_backend(backend: str, *, customers: int, concurrency: int, seconds: float, warmup: float,
                open_seconds: float | None = None,
                processes: int = 1, pg_url: str | None = None, redis_url: str | None = None,
                seed: int = 7) -> dict[str, Any]:
    """Both servers on one fresh database of ``backend``. Returns the details mapping."""
    from sqlalchemy import text

    bodies = [r["text"] for r in corpus("all") if r["text"].strip()]
    phones = [customer_phone(i) for i in range(customers)]
    env = {"REDIS_URL": redis_url} if redis_url else {}
    open_seconds = open_seconds or seconds
    out: dict[str, Any] = {"backend": backend, "processes": processes, "customers": customers,
                           "concurrency": concurrency, "seconds": seconds, "open_seconds": open_seconds,
                           "warmup": warmup,
                           "bodies": len(bodies), "redis": bool(redis_url)}
    with Database(backend, pg_url) as db:
        settings = load_settings(db.url, **env)
        import_accounts(settings, db.sessions, customers)
        db.release()
        start, wall0 = business_start(), time.time()
        target = loadgen.Target("127.0.0.1", 0, phones, bodies, token=AUTH_TOKEN, public_base=PUBLIC_BASE,
                                to=OUR_NUMBER, seed=seed)
        with Servers("duly", processes, db_url=db.url, env=env, start=start, wall0=wall0) as s:
            target.port = s.port
            closed = _load(s, target, "closed", concurrency=concurrency, seconds=seconds, warmup=warmup)
            rate = max(1.0, closed["throughput"] / 2)
            target.seed += 1
            opened = _load(s, target, "open", rate=rate, seconds=open_seconds, warmup=warmup)
        answer = _answer_of(closed.pop("samples") + opened.pop("samples"))
        out["duly"] = {"closed": closed, "open": opened}
        with db.engine.connect() as c:
            out["database"] = {
                "inbound": c.execute(text("SELECT count(*) FROM messages WHERE direction = 'inbound'")).scalar(),
                "unprocessed": c.execute(text("SELECT count(*) FROM messages WHERE direction = 'inbound' "
                                              "AND processed_at IS NULL")).scalar(),
                "outbound": c.execute(text("SELECT count(*) FROM messages WHERE direction = 'outbound'")).scalar(),
                "conversations": c.execute(text("SELECT count(*) FROM conversations")).scalar(),
                "agent_mode": c.execute(text("SELECT count(*) FROM conversations WHERE mode = 'agent'")).scalar(),
            }
        db.release()
        loops = {"concurrency": concurrency, "seconds": seconds, "open_seconds": open_seconds,
                 "warmup": warmup, "rate": rate}
        with Servers("bare", processes, answer=answer) as s:
            b_closed, b_open = _both_loops(s, target, **loops)
        out["bare"] = {"closed": b_closed, "open": b_open, "answer_bytes": len(answer.encode())}
        create_store_table(db.engine)
        db.release()
        with Servers("store", processes, answer=answer, db_url=db.url) as s:
            s_closed, s_open = _both_loops(s, target, **loops)
        with db.engine.connect() as c:
            stored = c.execute(text(f"SELECT count(*) FROM {STORE_TABLE}")).scalar()
        out["store"] = {"closed": s_closed, "open": s_open, "stored": stored}
        db.release()
    out["half_rate"] = rate
    return out


def _rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    label = (f"webhooks {d['backend']}" + (f" x{d['processes']} proc" if d["processes"] > 1 else "")
             + (" + redis" if d.get("redis") else ""))
    dc, do = d["duly"]["closed"], d["duly"]["open"]
    bc, bo = d["bare"]["closed"], d["bare"]["open"]
    tput = dc["throughput"] / bc["throughput"] if bc["throughput"] else float("nan")
    bad = dc["requests"] - dc["ok"] + dc["errors"] + do["requests"] - do["ok"] + do["errors"]
    stalled = dc["stalled"]
    note = (f" ({bad} non-200)" if bad else "") + (f" ({stalled} stalled)" if stalled else "")
    bad += stalled
    rate = d["half_rate"]
    sc, so = d["store"]["closed"], d["store"]["open"]
    floor = sc["throughput"] / bc["throughput"] if bc["throughput"] else float("nan")
    return [
        row(f"{label}: max throughput (req/s){note}", dc["throughput"], "/s", baseline=bc["throughput"],
            ratio=tput, ratio_note="bare", goal=">= 0.5x bare", met=tput >= GOAL_THROUGHPUT_RATIO and not bad),
        row(f"{label}: p50 at {rate:.0f} req/s (half max)", do["p50_ms"], "ms", baseline=bo["p50_ms"],
            ratio=do["p50_ms"] / bo["p50_ms"] if bo["p50_ms"] else None, ratio_note="bare"),
        row(f"{label}: p99 at {rate:.0f} req/s (half max)", do["p99_ms"], "ms", baseline=bo["p99_ms"],
            ratio=do["p99_ms"] / bo["p99_ms"] if bo["p99_ms"] else None, ratio_note="bare",
            goal="<= 25 ms", met=do["p99_ms"] <= GOAL_P99_MS and not bad),
        row(f"{label}: store-only floor, max throughput (req/s)", sc["throughput"], "/s",
            baseline=bc["throughput"], ratio=floor, ratio_note="bare"),
        row(f"{label}: full path vs store-only floor (req/s)", dc["throughput"], "/s",
            baseline=sc["throughput"], ratio=dc["throughput"] / sc["throughput"] if sc["throughput"] else None,
            ratio_note="floor"),
        row(f"{label}: store-only floor, p99 at {rate:.0f} req/s", so["p99_ms"], "ms", baseline=bo["p99_ms"],
            ratio=so["p99_ms"] / bo["p99_ms"] if bo["p99_ms"] else None, ratio_note="bare"),
    ]


def run(*, customers: int = 500, concurrency: int = 8, seconds: float = 8.0, warmup: float = 2.0,
        open_seconds: float = 15.0,
        pg_url: str | None = None, pg_processes: int = 2, redis_url: str | None = None,
        backends: tuple[str, ...] | None = None) -> dict[str, Any]:
    """SQLite (1 process), plus PostgreSQL when ``pg_url`` is given (or ``backends`` says so).
    Returns ``{"rows": [...], "details": {"sqlite": {...}, ...}}``."""
    backends = backends or (("sqlite", "postgresql") if pg_url else ("sqlite",))
    rows, details = [], {}
    for backend in backends:
        why = reachable(backend, pg_url)
        if why:
            rows.append(row(f"webhooks {backend}", None, "", skipped=why))
            details[backend] = {"skipped": why}
            continue
        d = run_backend(backend, customers=customers, concurrency=concurrency, seconds=seconds,
                        warmup=warmup, open_seconds=open_seconds, processes=1 if backend == "sqlite" else pg_processes,
                        pg_url=pg_url, redis_url=redis_url if backend == "postgresql" else None)
        details[backend] = d
        rows.extend(_rows(d))
    return {"rows": rows, "details": details}


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("webhooks")
    g.add_argument("--customers", type=int, default=500, help="accounts imported / phones texting (500)")
    g.add_argument("--concurrency", type=int, default=8,
                   help="closed-loop connections (8)")
    g.add_argument("--seconds", type=float, default=8.0, help="counted seconds of the closed loop (8)")
    g.add_argument("--open-seconds", type=float, default=15.0,
                   help="counted seconds of the open loop (15: p99 wants samples)")
    g.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds before each phase (2)")
    g.add_argument("--pg-processes", type=int, default=2, help="server processes on PostgreSQL (2)")
    g.add_argument("--redis", default=None, metavar="URL", help="REDIS_URL for the PostgreSQL servers")


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    return run(customers=args.customers, concurrency=args.concurrency, seconds=args.seconds,
               warmup=args.warmup, open_seconds=args.open_seconds, pg_url=args.postgres, pg_processes=args.pg_processes,
               redis_url=args.redis)


