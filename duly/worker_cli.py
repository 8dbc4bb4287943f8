"""``duly worker [--once] [--now ISO]``: the worker process (CONTRACT.md, "CLI").

Without ``--once`` it runs until SIGTERM/SIGINT, polling ``[outbound] poll_seconds``,
and receives jobs (:mod:`runner.jobs`: with ``REDIS_URL`` from the Redis stream
``duly:jobs``) that wake it early or hand it one-off work.
``--once`` handles everything due as of ``--now`` (default the clock) and exits 0 —
for cron and tests. ``--now`` is an ISO datetime; a naive one means UTC.

Exit codes: 0 done; 2 refused configuration (bad ``--now``, config error, or CN-09:
the ``twilio`` transport with accounts under a CN profile).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
from typing import Any

log = logging.getLogger("duly.worker")


def parse_now(text: str) -> dt.datetime:
    """``2026-12-01T15:00:00`` (UTC), ``2026-12-01T10:00-05:00`` or ``…Z`` → aware UTC.
    Raises ``ValueError`` for anything else."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def transport_startup_check(settings: Any, prog: str, sessions: Any = None) -> int:
    """The start-up check the web and worker processes call (CN-09). Prints the reason
    to stderr and returns 2 when the configured transport may not run, else 0.
    ``sessions``: a sessionmaker to look for CN accounts (default: one on
    ``settings.database_url``, disposed afterwards)."""
    from runner.transports import cn09_problem

    engine = None
    if sessions is None:
        from storage import db as storage_db

        engine = storage_db.make_engine(settings.database_url, **(
        storage_db.pool_options(settings.behaviour) if not settings.database_url.startswith("sqlite") else {}))
        sessions = storage_db.make_sessionmaker(engine)
    try:
        problem = cn09_problem(settings, sessions)
    finally:
        if engine is not None:
            engine.dispose()
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 2
    return 0


def add_parser(sub: Any) -> None:
    """Register ``worker`` on the ``duly`` subparsers."""
    s = sub.add_parser("worker", help="send due outbound messages and fire timers")
    s.add_argument("--once", action="store_true", help="handle everything due, then exit")
    s.add_argument("--now", help="ISO datetime to act as of (naive = UTC); default the clock")
    s.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the worker as ``args`` say (``once``, ``now``). Returns the exit code."""
    from duly.app import seed_script
    from duly.config import ConfigError, load_settings
    from runner.inbound import Runner, utcnow
    from runner.transports import make_transport
    from runner.worker import Worker
    from storage import db as storage_db

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"duly worker: {exc}", file=sys.stderr)
        return 2
    now = None
    if getattr(args, "now", None):
        try:
            now = parse_now(args.now)
        except ValueError:
            print(f"duly worker: --now must be an ISO datetime, not {args.now!r}", file=sys.stderr)
            return 2
    clock = (lambda: now) if now is not None else utcnow
    engine = storage_db.make_engine(settings.database_url, **(
        storage_db.pool_options(settings.behaviour) if not settings.database_url.startswith("sqlite") else {}))
    try:
        if engine.dialect.name == "sqlite":
            storage_db.upgrade(engine)
        sessions = storage_db.make_sessionmaker(engine)
        seed_script(sessions, settings)
        rc = transport_startup_check(settings, "duly worker", sessions)
        if rc:
            return rc
        try:
            transport = make_transport(settings)
        except ValueError as exc:
            print(f"duly worker: {exc}", file=sys.stderr)
            return 2
        if transport.name == "rest" and not settings.public_base_url:
            log.warning("PUBLIC_BASE_URL is not set: sent messages get no status callback, "
                        "so an unknown outcome is never settled")
        # The worker sends; the runner only steps conversations (its own dispatch is off).
        from storage.settings_store import SettingsStore

        runner = Runner(settings, sessions, clock=clock, transport=None)
        runner.settings_store = SettingsStore(sessions, settings.behaviour)
        pacer = ledger = None
        if settings.redis_url:
            from runner.caps import RedisCapLedger
            from runner.pacing import RedisPacer
            from runner.transports import outbound_config
            from storage.kv import _redis_client

            client = _redis_client(settings.redis_url)
            ledger = RedisCapLedger(client)   # caps counted atomically across workers
            if transport.name == "rest":      # one rate per sender across every worker
                conf = outbound_config(settings)
                tolerance = conf.get("pacing_tolerance_seconds")
                pacer = RedisPacer(client, float(conf.get("messages_per_second", 1.0)),
                                   tolerance=None if tolerance is None else float(tolerance))
        worker = Worker(settings, sessions, transport, clock, runner, pacer=pacer, ledger=ledger)
        if args.once:
            counts = worker.run_once(now)
            print("duly worker: " + json.dumps(counts, sort_keys=True), flush=True)
            return 0
        from duly.app import warm_up

        warm_up(runner)   # the readers and the script now; long-lived objects out of the GC's way

        def _stop(signum: int, frame: Any) -> None:
            log.info("signal %d: stopping after this pass", signum)
            worker.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        log.info("worker %s started (%s, transport %s)", worker.holder, engine.dialect.name,
                 transport.name)
        from runner import jobs

        # jobs (drain_outbox, plan_campaign) wake the loop early; the poll stays the truth
        receiver = jobs.serve(worker, settings.redis_url)
        try:
            worker.run_forever()
        finally:
            receiver.stop()
        return 0
    finally:
        engine.dispose()
