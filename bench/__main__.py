"""``duly bench [BENCHMARK ...] [--json] [--postgres URL] [--quick] [options]``: run the
benchmarks in ``bench/`` and print one table (benchmark, value, baseline, ratio, goal, met?).

BENCHMARK is any of ``webhooks``, ``intents``, ``memory``, ``outbound``, ``planning``;
none (or ``all``) runs every one at modest sizes (a few minutes on two cores). Every ratio
is computed from figures taken in the same run. Method: each module's docstring and
bench/README.md. ``--json`` prints the table on stderr and a JSON document (rows,
details, machine) on stdout.

``duly bench --accounts N`` without a benchmark name runs the planning benchmark alone,
as before (``python -m bench.bench_planning`` still takes its own options too).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import time
from typing import Any, Callable

from bench import bench_intents, bench_memory, bench_outbound, bench_planning, bench_webhooks
from bench.common import row, table

NAMES = ("webhooks", "intents", "memory", "outbound", "planning")


# --- planning, as rows -----------------------------------------------------------------------

def planning(accounts: int, sample: int, pg_url: str | None) -> dict[str, Any]:
    """``bench_planning`` on SQLite (and PostgreSQL with ``pg_url``) as table rows."""
    if pg_url:
        os.environ["DULY_BENCH_POSTGRES_URL"] = pg_url
    backends = ["sqlite", "postgresql"] if pg_url else ["sqlite"]
    results = bench_planning.run(accounts, backends, sample)
    rows = []
    for r in results:
        if r.get("skipped"):
            rows.append(row(f"planning {r['backend']}", None, "", skipped=r["skipped"]))
            continue
        rows.append(row(f"planning {r['backend']}, {accounts:,} accounts: plan vs INSERT...SELECT (s)",
                        r["plan_s"], "s", baseline=r["bare_s"], ratio=r["ratio"], ratio_note="bare",
                        goal="<= 2x", met=r["ratio"] <= 2.0))
    return {"rows": rows, "details": results}


# --- machine ----------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    import sqlite3

    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "loadavg": [round(x, 2) for x in load]}


# --- the command ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="duly bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("benchmarks", nargs="*", metavar="BENCHMARK",
                   help=f"any of {', '.join(NAMES)} (default: all)")
    p.add_argument("--json", action="store_true", help="JSON on stdout (the table goes to stderr)")
    p.add_argument("--postgres", metavar="URL", default=None,
                   help="also run on PostgreSQL at URL (a fresh schema, dropped afterwards)")
    p.add_argument("--quick", action="store_true", help="tiny sizes (seconds; a smoke run, not a measurement)")
    g = p.add_argument_group("planning")
    g.add_argument("--accounts", type=int, default=None,
                   help="accounts to plan (default 100,000 in a full run; 1,000,000 for `planning` alone)")
    g.add_argument("--sample", type=int, default=None,
                   help="accounts whose messages are made through the gate (default 0; 2000 alone)")
    for mod in (bench_webhooks, bench_intents, bench_memory, bench_outbound):
        mod.add_arguments(p)
    return p


QUICK = {"customers": 20, "concurrency": 4, "seconds": 1.0, "open_seconds": 1.0, "warmup": 0.3,
         "intents_seconds": 0.1, "intents_rounds": 1, "conversations": 5, "messages": 2,
         "rate": 20.0, "outbound_messages": 10, "workers": "1,2", "accounts": 2000}


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    names = [n for n in args.benchmarks if n != "all"] or list(NAMES)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r} (choose from {', '.join(NAMES)})")
    alone = bool(args.benchmarks) and names == ["planning"]
    if not args.benchmarks and (args.accounts is not None or args.sample is not None):
        names, alone = ["planning"], True   # `duly bench --accounts N`, as before
    if args.quick:
        for k, v in QUICK.items():
            if k in ("accounts",) and args.accounts is not None:
                continue
            setattr(args, k, v)
    accounts = args.accounts if args.accounts is not None else (1_000_000 if alone else 100_000)
    sample = args.sample if args.sample is not None else (2000 if alone else 0)
    if args.quick and args.sample is None:
        sample = 0

    for noisy in ("duly", "alembic", "httpx", "httpx2", "httpcore", "twilio.http_client", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    runs: dict[str, Callable[[], dict[str, Any]]] = {
        "webhooks": lambda: bench_webhooks.from_args(args),
        "intents": lambda: bench_intents.from_args(args),
        "memory": lambda: bench_memory.from_args(args),
        "outbound": lambda: bench_outbound.from_args(args),
        "planning": lambda: planning(accounts, sample, args.postgres),
    }
    info = machine()
    _note(f"duly bench: {', '.join(names)} on {info['nproc']} x {info['cpu'] or 'unknown CPU'}, "
          f"load {info['loadavg']}" + (f", PostgreSQL {args.postgres}" if args.postgres else ""))
    rows: list[dict[str, Any]] = []
    details: dict[str, Any] = {}
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        _note(f"  {name} ...")
        try:
            out = runs[name]()
        except Exception as exc:  # one failing benchmark must not hide the others
            logging.getLogger("bench").exception("benchmark %s failed", name)
            out = {"rows": [row(name, None, "", skipped=f"error: {exc.__class__.__name__}: {exc}")],
                   "details": {"error": repr(exc)}}
        took = time.perf_counter() - t0
        _note(f"  {name}: {took:.1f} s")
        rows.extend(out["rows"])
        details[name] = out["details"]
    info["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    total = time.perf_counter() - started
    text = table(rows)
    footer = (f"{info['nproc']} x {info['cpu']}; Python {info['python']}, SQLite {info['sqlite']}; "
              f"load {info['loadavg']} -> {info['loadavg_after']}; {total:.0f} s"
              + ("; --quick: a smoke run at tiny sizes, not a measurement" if args.quick else ""))
    if args.json:
        print(text + "\n" + footer, file=sys.stderr)
        doc = _clean({"rows": rows, "details": details, "machine": info, "seconds": total})
        print(json.dumps(doc, indent=1, default=_jsonable, allow_nan=False))
    else:
        print(text)
        print(footer)
    return 0


def _jsonable(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _clean(v: Any) -> Any:
    """NaN/inf → None, recursively (JSON has no NaN)."""
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
