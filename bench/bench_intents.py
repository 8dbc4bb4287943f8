"""Intent classification on one core: ``bot.intents.interpret`` over the labelled corpus.

    duly bench intents [--corpus public|extra|all] [--seconds S] [--rounds R]

Every row of the corpus (tests/data/replies.tsv, the public corpus, by default) is read
the way ``runner/inbound.py`` reads a reply: ``interpret(text, context=…, now=…, tz=…,
plan_options=0, lang_hint=None, optout_threshold=0.75)``, with the row's context, Monday
2026-11-30 10:00 local as ``now`` and the row's zone (America/New_York, or Asia/Shanghai
for rows with CJK; chosen before the clock starts, as the runner knows the zone from the
account). One call per row, each a fresh call: ``interpret`` keeps no per-text cache and
none is added here, so passes over the corpus repeat the work.

**floor**: the same loop calling a reader that does the least any reader must do —
Unicode NFKC normalisation of the text plus one dict lookup of the normalised text (a
table of the corpus's answers), one function call per row like ``interpret``.

Measured in CPU seconds of this process (``time.process_time``: one core, and less
disturbed by other load than wall time). Each figure is the median of ``rounds`` rounds of
at least ``seconds`` each, after one warm-up pass (imports, lazily built word lists).
Two sets: rows whose label carries no date (``date``/``date_note`` absent from the
entities) and all rows. The ratio is the cost of a reply in floors
(floor rate / interpret rate). Goals: ≥ 20,000 replies/s and ≤ 100× the floor without
dates; ≥ 2,000 replies/s over all rows.

**fixed steps** (informational, no goal): :func:`fixed_steps`, what every reading does
before any rule — ``interpret``'s own normalisation, its language detection and the
result object — over the rows without dates, in floors. It shows how much of the 100×
budget is spent before a single rule runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import unicodedata
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bench.common import corpus, median, row

EN_TZ, ZH_TZ = "America/New_York", "Asia/Shanghai"
GOAL_NO_DATES = 20_000.0
GOAL_NO_DATES_FLOORS = 100.0
GOAL_ALL = 2_000.0


def _has_date(r: dict[str, str]) -> bool:
    try:
        ents = json.loads(r.get("entities") or "{}")
    except ValueError:
        ents = {}
    return "date" in ents or "date_note" in ents


def _prepare(rows: list[dict[str, str]]) -> list[tuple[str, str, dt.datetime, str]]:
    from bot.intents.normalise import has_cjk

    out = []
    for r in rows:
        tz = ZH_TZ if has_cjk(r["text"]) else EN_TZ
        now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(tz))
        out.append((r["text"], r["context"], now, tz))
    return out


def _rate(work: Callable[[], int], seconds: float, rounds: int) -> tuple[float, list[float]]:
    """Median items per CPU second over ``rounds`` rounds of >= ``seconds`` each."""
    rates = []
    for _ in range(max(1, rounds)):
        done = 0
        t0 = time.process_time()
        while True:
            done += work()
            took = time.process_time() - t0
            if took >= seconds:
                break
        rates.append(done / took)
    return median(rates), rates


def measure(items: list[tuple[str, str, dt.datetime, str]], seconds: float, rounds: int) -> dict[str, Any]:
    """interpret and floor rates over ``items`` (text, context, now, tz)."""
    from bot.intents import interpret

    texts = [t for t, _, _, _ in items]
    answers = {unicodedata.normalize("NFKC", t): i for i, t in enumerate(texts)}

    def floor_read(text: str) -> Any:
        return answers.get(unicodedata.normalize("NFKC", text))

    def floor_pass() -> int:
        for t in texts:
            floor_read(t)
        return len(texts)

    def interpret_pass() -> int:
        for text, context, now, tz in items:
            interpret(text, context=context, now=now, tz=tz, plan_options=0, lang_hint=None,
                      optout_threshold=0.75)
        return len(items)

    def fixed_pass() -> int:
        for text, _context, _now, _tz in items:
            fixed_steps(text)
        return len(items)

    interpret_pass()  # warm-up: imports, lazily built word lists
    floor_pass()
    fixed_pass()
    rate, rates = _rate(interpret_pass, seconds, rounds)
    floor, floors = _rate(floor_pass, seconds / 4, rounds)
    fixed, _ = _rate(fixed_pass, seconds / 4, rounds)
    return {"rows": len(items), "replies_per_s": rate, "floor_per_s": floor,
            "floors_per_reply": floor / rate if rate else float("nan"),
            "us_per_reply": 1e6 / rate if rate else float("nan"),
            "fixed_per_s": fixed, "fixed_floors": floor / fixed if fixed else float("nan"),
            "rounds": rates, "floor_rounds": floors}


def fixed_steps(text: str) -> Any:
    """What every reading does before any rule: ``interpret``'s own normalisation
    (NFKC, look-alike letters, full-width digits, zero-width characters, spacing), its
    language detection and the result object — no rule, no entity. Measured in floors it
    shows how much of the ratio goal a reader spends before it reads anything."""
    from bot.intents.normalise import detect_lang, normalise
    from bot.types import Entities, Intent

    norm = normalise(text)
    return Intent("unknown", 0.0, Entities(), detect_lang(norm), "unknown.no_rule")


def run(which: str = "public", seconds: float = 0.7, rounds: int = 3) -> dict[str, Any]:
    """Both sets (no dates, all rows). Returns ``{"rows": [...], "details": {...}}``."""
    rows = corpus(which)
    no_dates = _prepare([r for r in rows if not _has_date(r)])
    every = _prepare(rows)
    a = measure(no_dates, seconds, rounds)
    b = measure(every, seconds, rounds)
    ok_rate = a["replies_per_s"] >= GOAL_NO_DATES
    ok_ratio = a["floors_per_reply"] <= GOAL_NO_DATES_FLOORS
    met_a: bool | str = True if ok_rate and ok_ratio else (
        "ratio only" if ok_ratio else "rate only" if ok_rate else False)
    out_rows = [
        row(f"intents, {a['rows']} rows without dates (replies/s, 1 core)", a["replies_per_s"], "/s",
            baseline=a["floor_per_s"], ratio=a["floors_per_reply"], ratio_note="floors",
            goal=">= 20,000/s, <= 100 floors", met=met_a),
        row(f"intents, all {b['rows']} rows (replies/s, 1 core)", b["replies_per_s"], "/s",
            baseline=b["floor_per_s"], ratio=b["floors_per_reply"], ratio_note="floors",
            goal=">= 2,000/s", met=b["replies_per_s"] >= GOAL_ALL),
        row("intents, the fixed steps alone (normalise, language, result; no rule), rows without dates",
            a["fixed_per_s"], "/s", baseline=a["floor_per_s"], ratio=a["fixed_floors"], ratio_note="floors"),
    ]
    return {"rows": out_rows, "details": {"corpus": which, "clock": "process CPU time",
                                          "no_dates": a, "all": b}}


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("intents")
    g.add_argument("--corpus", choices=["public", "extra", "all"], default="public",
                   help="public: tests/data/replies.tsv (default); extra: replies_extra.tsv; all: both")
    g.add_argument("--intents-seconds", type=float, default=0.7, help="CPU seconds per round (default 0.7)")
    g.add_argument("--intents-rounds", type=int, default=3, help="rounds; the median is reported (default 3)")


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    return run(args.corpus, args.intents_seconds, args.intents_rounds)
