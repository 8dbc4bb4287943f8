"""Planning benchmark: ``runner.campaign.plan`` over N accounts vs a bare ``INSERT … SELECT``.

    python -m bench.bench_planning [--accounts N] [--backends sqlite,postgresql] [--sample M]

For each backend, in one run on one freshly migrated database:

1. N accounts are generated in SQL (DPD 0–60, four zones, profiles 80 % us_first_party,
   10 % us_third_party, 5 % uk, 5 % cn; one phone each; 1 % on a dispute hold, 1 % opted
   out), then ``ANALYZE``.
2. **bare** — one ``INSERT INTO cadence_sends … SELECT`` of the rows planning makes (every
   account with a balance and DPD >= 1 in UTC, a constant step; planning counts DPD in the
   account's zone, so it makes ~0.4 % more: the Shanghai accounts already a day ahead of
   UTC), timed, then deleted
   (PostgreSQL: ``VACUUM ANALYZE cadence_sends`` after; not timed).
3. **plan** — ``plan(..., materialise=False)``: the set-based planning (due step per zone-exact
   DPD, eligibility and held rules, once-only key) in id-range batches, timed; peak RSS growth
   measured (``ru_maxrss``; flat memory means it does not grow with N).
4. **ratio** = plan / bare (goal <= 2x).
5. **materialise** — on a second fresh database of ``--sample`` accounts, ``plan()`` with
   messages through the gate (``runner.outbound.submit``: render, conversation, gate decision
   row), reported per account (message or held row). This is a row (and a gate context) per
   account by nature; it is not part of the ratio.

PostgreSQL: ``$DULY_BENCH_POSTGRES_URL`` or ``$DULY_TEST_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a fresh schema, dropped afterwards.
A backend that is not reachable is reported as skipped.

``run(accounts, backends, sample) -> list[dict]`` is the programmatic entry (tests run it
with N=2000); ``main(argv)`` prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.timezone.utc)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def _generate(conn: Any, dialect: str, n: int) -> None:
    """N accounts, phones, consents, holds (1 %) and opt-outs (1 %), generated in SQL."""
    today = NOW.date().isoformat()
    ts = NOW.strftime("%Y-%m-%d %H:%M:%S")
    zone = ("CASE x % 4 WHEN 0 THEN 'America/New_York' WHEN 1 THEN 'America/Chicago' "
            "WHEN 2 THEN 'America/Los_Angeles' ELSE 'Asia/Shanghai' END")
    profile = ("CASE WHEN x % 20 = 1 THEN 'uk' WHEN x % 20 = 3 THEN 'cn' "
               "WHEN x % 10 = 5 THEN 'us_third_party' ELSE 'us_first_party' END")
    cols = ("account_ref, name, currency, balance_minor, past_due_minor, minimum_due_minor, "
            "delinquent_since, timezone, language, creditor, profile, created_at, updated_at")
    if dialect == "sqlite":
        src = f"WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {n}) "
        since = f"date('{today}', '-' || (x % 61) || ' days')"
        created = f"'{ts}'"
        body = (f"INSERT INTO accounts ({cols}) {src} SELECT 'B' || x, 'Customer ' || x, 'USD', "
                f"50000 + x % 1000, 12000, 3500, {since}, {zone}, CASE WHEN x % 20 = 3 THEN 'zh' ELSE 'en' END, "
                f"'Acme Card', {profile}, {created}, {created} FROM seq")
        phone = "'+1555' || substr('0000000' || id, -7, 7)"
    else:
        since = f"DATE '{today}' - (x % 61)"
        created = f"TIMESTAMPTZ '{ts}+00'"
        body = (f"INSERT INTO accounts ({cols}) SELECT 'B' || x, 'Customer ' || x, 'USD', "
                f"50000 + x % 1000, 12000, 3500, {since}, {zone}, CASE WHEN x % 20 = 3 THEN 'zh' ELSE 'en' END, "
                f"'Acme Card', {profile}, {created}, {created} FROM generate_series(1, {n}) AS x")
        phone = "'+1555' || lpad(id::text, 7, '0')"
    conn.execute(text(body))
    conn.execute(text(f"INSERT INTO phones (e164, account_id, created_at) SELECT {phone}, id, {created} FROM accounts"))
    conn.execute(text(f"INSERT INTO consents (phone, account_id, channel, source, consented_at, created_at) "
                      f"SELECT e164, account_id, 'sms', 'bench', {created}, {created} FROM phones"))
    conn.execute(text(f"INSERT INTO holds (account_id, kind, rule, created_at, source) "
                      f"SELECT id, 'dispute', 'US-16', {created}, 'api' FROM accounts WHERE id % 100 = 7"))
    conn.execute(text(f"INSERT INTO opt_outs (phone, channel, scope, source, created_at) "
                      f"SELECT e164, 'sms', 'all', 'inbound', {created} FROM phones WHERE account_id % 100 = 13"))


def _bare(conn: Any, dialect: str) -> int:
    """The baseline: the same number of cadence rows in one plain INSERT … SELECT."""
    today = NOW.date().isoformat()
    ts = NOW.strftime("%Y-%m-%d %H:%M:%S")
    cutoff = f"date('{today}', '-1 days')" if dialect == "sqlite" else f"DATE '{today}' - 1"
    created = f"'{ts}'" if dialect == "sqlite" else f"TIMESTAMPTZ '{ts}+00'"
    res = conn.execute(text(
        "INSERT INTO cadence_sends (account_id, step, delinquent_since, profile, status, created_at) "
        f"SELECT id, 'dpd1', delinquent_since, profile, 'planned', {created} FROM accounts "
        f"WHERE balance_minor > 0 AND delinquent_since IS NOT NULL AND delinquent_since <= {cutoff}"))
    return res.rowcount


class _Database:
    """A fresh, migrated database on ``backend`` (SQLite file in a temp dir, or a new
    PostgreSQL schema), seeded with the approved default script; removed on exit."""

    def __init__(self, backend: str):
        self.backend = backend
        self.tmp = self.admin = self.schema = self.engine = None

    def __enter__(self) -> "_Database":
        from bot import dialogs
        from storage import db
        from storage import scripts as storage_scripts

        if self.backend == "sqlite":
            self.tmp = tempfile.TemporaryDirectory(prefix="duly-bench-")
            self.url = f"sqlite:///{self.tmp.name}/bench.db"
        else:
            base = db.normalise_url(os.environ.get("DULY_BENCH_POSTGRES_URL")
                                    or os.environ.get("DULY_TEST_POSTGRES_URL") or DEFAULT_PG)
            self.admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
            schema = f"duly_bench_{uuid.uuid4().hex[:10]}"
            with self.admin.connect() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            self.schema = schema
            self.url = (make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
                        .render_as_string(hide_password=False))
        self.engine = db.make_engine(self.url)
        db.upgrade(self.engine)
        self.sessions = db.make_sessionmaker(self.engine)
        with self.sessions() as s, s.begin():
            storage_scripts.ensure_default_revision(s, "default", dialogs.default_script_text())
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.tmp is not None:
            self.tmp.cleanup()
        if self.admin is not None:
            if self.schema is not None:
                with self.admin.connect() as c:
                    c.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            self.admin.dispose()

    def generate(self, n: int) -> float:
        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            _generate(conn, self.backend, n)
        _analyze(self.engine, self.backend)
        return time.perf_counter() - t0


def _one(backend: str, n: int, sample: int) -> dict[str, Any]:
    from duly.config import load_settings
    from runner.campaign import plan

    try:
        main_db = _Database(backend).__enter__()
    except Exception as exc:  # noqa: BLE001 - an unreachable backend is reported, not fatal
        return {"backend": backend, "accounts": n,
                "skipped": f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:80]}"}
    try:
        gen = main_db.generate(n)
        t0 = time.perf_counter()
        with main_db.engine.begin() as conn:
            rows_bare = _bare(conn, backend)
        bare = time.perf_counter() - t0
        with main_db.engine.begin() as conn:
            conn.execute(text("DELETE FROM cadence_sends"))
        _analyze(main_db.engine, backend, vacuum_table="cadence_sends")

        settings = load_settings(env={"DATABASE_URL": main_db.url}, config_path=str(ROOT / "config.toml"))
        rss0 = _rss_mb()
        t0 = time.perf_counter()
        report = plan(main_db.sessions, settings, NOW, materialise=False, sample_limit=0)
        planned = time.perf_counter() - t0
        rss_growth = max(0.0, _rss_mb() - rss0)
    finally:
        main_db.__exit__(None, None, None)

    # messages through the gate, on a fresh database of `sample` accounts (plan + messages)
    per_msg, made = None, 0
    if sample:
        with _Database(backend) as small:
            small.generate(sample)
            settings = load_settings(env={"DATABASE_URL": small.url}, config_path=str(ROOT / "config.toml"))
            t0 = time.perf_counter()
            rep2 = plan(small.sessions, settings, NOW, sample_limit=0)
            took = time.perf_counter() - t0
            made = rep2.queued + rep2.held_total
            per_msg = took / made * 1000 if made else None
    return {"backend": backend, "accounts": n, "rows": report.due,
            "rows_bare": rows_bare, "generate_s": gen, "bare_s": bare, "plan_s": planned,
            "ratio": planned / bare if bare else float("nan"), "rss_mb": rss_growth,
            "batches": report.batches, "sample": made, "ms_per_message": per_msg}


def _analyze(engine: Any, backend: str, vacuum_table: str | None = None) -> None:
    if backend == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {vacuum_table}" if vacuum_table else "ANALYZE"))


def run(accounts: int, backends: list[str], sample: int = 2000) -> list[dict[str, Any]]:
    """Run the benchmark on each backend; returns one result mapping per backend
    (``skipped`` set when the backend is unreachable). Times in seconds."""
    return [_one(b, accounts, sample) for b in backends]


def table(results: list[dict[str, Any]]) -> str:
    """The results as a fixed-width table."""
    head = (f"{'backend':<11}{'accounts':>10}{'rows':>10}{'bare s':>9}{'plan s':>9}{'ratio':>7}"
            f"{'RSS +MB':>9}{'msg sample':>11}{'ms/msg':>8}")
    lines = [head, "-" * len(head)]
    for r in results:
        if r.get("skipped"):
            lines.append(f"{r['backend']:<11}{r['accounts']:>10}  skipped: {r['skipped']}")
            continue
        per = f"{r['ms_per_message']:.2f}" if r["ms_per_message"] is not None else "-"
        lines.append(f"{r['backend']:<11}{r['accounts']:>10}{r['rows']:>10}{r['bare_s']:>9.2f}{r['plan_s']:>9.2f}"
                     f"{r['ratio']:>6.2f}x{r['rss_mb']:>9.1f}{r['sample']:>11}{per:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_planning", description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--sample", type=int, default=2000, help="accounts whose messages are made (0: none)")
    args = p.parse_args(argv)
    import logging
    logging.getLogger("duly").setLevel(logging.WARNING)
    results = run(args.accounts, [b.strip() for b in args.backends.split(",") if b.strip()], args.sample)
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
