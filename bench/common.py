"""Shared pieces of the benchmarks: fresh databases, accounts, the corpus, result rows.

A benchmark module exposes ``run(...) -> dict`` with ``rows`` (what the table prints:
one dict per figure, see :func:`row`) and ``details`` (everything else measured, for
``--json``). Nothing here times anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CONFIG = ROOT / "config.toml"

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC" + "b2" * 16
PUBLIC_BASE = "https://sms.example.test"
OUR_NUMBER = "+15555550100"
SMS_PATH = "/webhooks/twilio/sms"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: Monday 2026-11-30 10:00 in New York (the corpus's reference time).
START = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)


# --- clocks -------------------------------------------------------------------------------------

def business_start(wall: dt.datetime | None = None) -> dt.datetime:
    """A Monday 10:00 in New York at least a week before the wall clock: where the
    benchmarks' business clocks start (aware UTC).

    Before the wall clock on purpose: rows whose ``updated_at`` the ORM stamps itself
    (``onupdate`` reads the wall clock when an UPDATE does not change ``updated_at``)
    must never look older than the business clock's ``now`` — a clock ahead of the wall
    makes the worker's stale-``sending`` sweep settle rows another worker is sending."""
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    local = (wall or dt.datetime.now(dt.timezone.utc)).astimezone(ny) - dt.timedelta(days=7)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return dt.datetime(monday.year, monday.month, monday.day, 10, 0, tzinfo=ny).astimezone(dt.timezone.utc)


class ShiftedClock:
    """Business time that starts at ``start`` (default :func:`business_start`) when
    ``wall0`` (``time.time()``) was read and moves with the wall clock — the same reading
    in every process given the same ``start`` and ``wall0``. Keeps quiet hours and agent
    hours identical whenever the bench runs."""

    def __init__(self, start: dt.datetime | None = None, wall0: float | None = None):
        self.start = start or business_start()
        self.wall0 = time.time() if wall0 is None else wall0

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.time() - self.wall0)


# --- settings and databases ---------------------------------------------------------------------

def settings_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like Duly: Twilio transport (replies in TwiML,
    the worker sends the rest), signed webhooks at ``PUBLIC_BASE``."""
    env = {"DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "TWILIO_FROM": OUR_NUMBER, "PUBLIC_BASE_URL": PUBLIC_BASE, "SMS_TRANSPORT": "twilio",
           "API_TOKEN": "bench-api-token"}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def load_settings(db_url: str, **extra: str) -> Any:
    from duly.config import load_settings as _load

    return _load(env=settings_env(db_url, **extra), config_path=str(CONFIG))


def with_behaviour(settings: Any, section: str, **values: Any) -> Any:
    """``settings`` with ``[section]`` keys replaced (the config mapping is copied)."""
    import dataclasses

    behaviour = dict(settings.behaviour)
    behaviour[section] = {**dict(behaviour.get(section) or {}), **values}
    return dataclasses.replace(settings, behaviour=behaviour)


def postgres_url(url: str | None) -> str:
    """``url`` or ``$DULY_BENCH_POSTGRES_URL`` / ``$DULY_TEST_POSTGRES_URL`` / the default."""
    from storage import db

    return db.normalise_url(url or os.environ.get("DULY_BENCH_POSTGRES_URL")
                            or os.environ.get("DULY_TEST_POSTGRES_URL") or DEFAULT_PG)


class Database:
    """A fresh, migrated database seeded with the approved default script: a SQLite file
    in a temp dir (``backend="sqlite"``) or a new schema on ``pg_url`` (``"postgresql"``).
    Removed on exit. ``url`` is what a process connects with."""

    def __init__(self, backend: str = "sqlite", pg_url: str | None = None):
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"backend must be sqlite or postgresql, not {backend!r}")
        self.backend = backend
        self.pg_url = pg_url
        self.tmp: Any = None
        self.admin: Any = None
        self.schema: str | None = None
        self.engine: Any = None
        self.path: Path | None = None

    def __enter__(self) -> "Database":
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from duly.app import seed_script
        from storage import db

        try:
            if self.backend == "sqlite":
                self.tmp = tempfile.TemporaryDirectory(prefix="duly-bench-")
                self.path = Path(self.tmp.name) / "bench.db"
                self.url = f"sqlite:///{self.path}"
            else:
                base = postgres_url(self.pg_url)
                self.admin = create_engine(base, isolation_level="AUTOCOMMIT",
                                           connect_args={"connect_timeout": 3})
                schema = f"duly_bench_{uuid.uuid4().hex[:10]}"
                with self.admin.connect() as c:
                    c.execute(text(f'CREATE SCHEMA "{schema}"'))
                self.schema = schema
                self.url = (make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
                            .render_as_string(hide_password=False))
            self.engine = db.make_engine(self.url)
            db.upgrade(self.engine)
            self.sessions = db.make_sessionmaker(self.engine)
            seed_script(self.sessions, load_settings(self.url))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        from sqlalchemy import text

        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None
        if self.admin is not None:
            if self.schema is not None:
                with self.admin.connect() as c:
                    c.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            self.admin.dispose()
            self.admin = None

    def release(self) -> None:
        """Close this process's connections (before other processes use the database)."""
        if self.engine is not None:
            self.engine.dispose()

    # --- sizes --------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        from sqlalchemy import inspect

        return sorted(inspect(self.engine).get_table_names())

    def row_counts(self) -> dict[str, int]:
        from sqlalchemy import text

        with self.engine.connect() as c:
            return {t: int(c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0)
                    for t in self.tables()}

    def size_bytes(self) -> int:
        """Bytes the data takes: SQLite the file after a WAL checkpoint (TRUNCATE);
        PostgreSQL the sum of ``pg_total_relation_size`` (heap, indexes, TOAST) over the
        schema's tables."""
        from sqlalchemy import text

        if self.backend == "sqlite":
            import sqlite3

            # outside SQLAlchemy: the engine opens every transaction with BEGIN IMMEDIATE,
            # and a checkpoint cannot run inside one
            raw = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            try:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()
            return self.path.stat().st_size
        with self.engine.connect() as c:
            return int(c.execute(text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'm')"), {"s": self.schema}).scalar())


def reachable(backend: str, pg_url: str | None) -> str | None:
    """``None`` when ``backend`` can be used, else why not (one line)."""
    if backend == "sqlite":
        return None
    from sqlalchemy import create_engine, text

    try:
        eng = create_engine(postgres_url(pg_url), connect_args={"connect_timeout": 3})
        try:
            with eng.connect() as c:
                c.execute(text("SELECT 1"))
        finally:
            eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:100]}"
    return None


# --- accounts ------------------------------------------------------------------------------------

def customer_phone(i: int) -> str:
    """The E.164 number of bench customer ``i`` (0-based; +1 555 5xx xxxx, never ours)."""
    return f"+1555{5100000 + i:07d}"


def accounts_csv(n: int, *, days_past_due: int = 12) -> str:
    """An accounts CSV (the import format, ``duly accounts import``) for ``n`` US
    first-party customers in New York with consent on file."""
    lines = ["account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,"
             "timezone,state,creditor,profile,consent_source,consent_at,language"]
    for i in range(n):
        bal = 250 + (i * 37) % 4000
        lines.append(f"BENCH-{i + 1},Customer {i + 1},{customer_phone(i)},{bal}.00,{days_past_due},"
                     f"{bal // 4}.00,{max(25, bal // 40)}.00,USD,America/New_York,NY,Northwind Card,"
                     f"us_first_party,card application,2024-03-01T12:00:00Z,en")
    return "\n".join(lines) + "\n"


def import_accounts(settings: Any, sessions: Any, n: int, *, days_past_due: int = 12,
                    today: dt.date | None = None) -> Any:
    """Import ``n`` customers through ``duly accounts import``'s code path; returns the
    ``ImportReport`` (raises when rows were refused)."""
    from duly.accounts_cli import import_file

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as fh:
        fh.write(accounts_csv(n, days_past_due=days_past_due))
    try:
        report = import_file(settings, sessions, Path(fh.name), today=today or business_start().date())
    finally:
        Path(fh.name).unlink()
    if report.errors:
        raise RuntimeError(f"account import refused rows: {report.errors[:3]}")
    return report


# --- the corpus ----------------------------------------------------------------------------------

CORPUS_FILES = {"public": ("replies.tsv",), "extra": ("replies_extra.tsv",),
                "all": ("replies.tsv", "replies_extra.tsv")}


def corpus(which: str = "public") -> list[dict[str, str]]:
    """Labelled replies (``text``, ``context``, ``intent``, ``entities``): ``public`` is
    tests/data/replies.tsv (the public corpus), ``extra`` our own rows, ``all`` both."""
    rows: list[dict[str, str]] = []
    for name in CORPUS_FILES[which]:
        with open(DATA / name, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                r["context"] = (r.get("context") or "notice").strip() or "notice"
                r["text"] = r.get("text") or ""
                rows.append(r)
    return rows


# --- statistics ----------------------------------------------------------------------------------

def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of already sorted values; NaN when empty."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return float(sorted_values[k])


def median(values: Iterable[float]) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def slope(times: Sequence[float]) -> float:
    """Least-squares events per second through (t_i, i) — the steady rate of a stream
    of event times, insensitive to where the stream started."""
    n = len(times)
    if n < 2:
        return float("nan")
    mt = sum(times) / n
    mi = (n - 1) / 2
    num = sum((t - mt) * (i - mi) for i, t in enumerate(times))
    den = sum((t - mt) ** 2 for t in times)
    return num / den if den else float("nan")


# --- result rows and the table ------------------------------------------------------------------

def row(benchmark: str, value: float | None, unit: str, *, baseline: float | None = None,
        ratio: float | None = None, ratio_note: str = "", goal: str = "", met: bool | str | None = None,
        skipped: str | None = None) -> dict[str, Any]:
    """One line of the table. ``ratio`` is what the goal is stated in (its meaning in
    ``ratio_note``); ``met``: True/False, a note, or None (no goal)."""
    return {"benchmark": benchmark, "value": value, "unit": unit, "baseline": baseline,
            "ratio": ratio, "ratio_note": ratio_note, "goal": goal, "met": met, "skipped": skipped}


def _num(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    s = f"{v:,.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"
    return f"{s} {unit}".rstrip()


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a fixed-width table: benchmark, value, baseline, ratio, goal, met?"""
    cells = [("benchmark", "value", "baseline", "ratio", "goal", "met?")]
    for r in rows:
        if r.get("skipped"):
            cells.append((r["benchmark"], "skipped", "", "", r.get("goal") or "", r["skipped"][:60]))
            continue
        ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.2f}x"
        if r.get("ratio") is not None and r.get("ratio_note"):
            ratio += f" {r['ratio_note']}"
        met = r.get("met")
        met_s = "-" if met is None else ("yes" if met is True else "NO" if met is False else str(met))
        cells.append((r["benchmark"], _num(r.get("value"), r.get("unit", "")),
                      _num(r.get("baseline"), r.get("unit", "")), ratio, r.get("goal") or "-", met_s))
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    right = {1, 2, 3}
    out = []
    for n, c in enumerate(cells):
        out.append("  ".join(c[i].rjust(widths[i]) if i in right and n else c[i].ljust(widths[i])
                             for i in range(6)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
