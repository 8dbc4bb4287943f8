"""``duly intents eval FILE.tsv [--now ISO] [--json]``: score the intent classifier.

Reads a labelled TSV (columns ``text``, ``context``, ``intent``, ``entities``; see
tests/data/corpus_README.md), runs every row through :func:`bot.intents.interpret` and
prints either a score report (overall accuracy, stop recall, per-intent precision and
recall, the misclassified rows) or, with ``--json``, one JSON object per row in row
order. Time zone per row: America/New_York for English rows, Asia/Shanghai for rows
containing CJK. This module reads the clock (the default ``--now``); the classifier
never does. Message bodies are printed only to the operator's terminal, never logged.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections import Counter
from zoneinfo import ZoneInfo

from bot.intents import interpret
from bot.intents.normalise import has_cjk

EN_TZ = "America/New_York"
ZH_TZ = "Asia/Shanghai"


def read_rows(path: str) -> list[dict[str, str]]:
    """Rows of a corpus TSV as dicts (``text``, ``context``, ``intent``, ``entities``).

    Quotes are literal (tapbacks quote our messages), so the file is read with
    ``QUOTE_NONE``. A missing ``context`` reads as ``notice``."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["context"] = (row.get("context") or "notice").strip() or "notice"
        row["intent"] = (row.get("intent") or "").strip()
    return rows


def row_now(now: dt.datetime | None, tz: str) -> dt.datetime:
    """The ``now`` for one row: a naive ``--now`` is local time in the row's zone; an aware
    one is used as is; ``None`` is the current clock."""
    zone = ZoneInfo(tz)
    if now is None:
        return dt.datetime.now(zone)
    if now.tzinfo is None:
        return now.replace(tzinfo=zone)
    return now


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="duly intents eval", description=__doc__.splitlines()[0])
    parser.add_argument("file", metavar="FILE.tsv", help="labelled replies (text, context, intent, entities)")
    parser.add_argument("--now", help="ISO datetime dates resolve against; naive = local in each row's zone")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row instead of scores")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the evaluation.

    Args:
        argv: command-line arguments after ``duly intents eval`` (e.g.
            ``["tests/data/replies.tsv", "--now", "2026-11-30T10:00", "--json"]``).
    Returns:
        0 (scores are a report, not a gate); 2 on a bad ``--now`` or unreadable file.
    """
    args = _parse_args(argv)
    now: dt.datetime | None = None
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now)
        except ValueError:
            print(f"--now: not an ISO datetime: {args.now!r}", file=sys.stderr)
            return 2
    try:
        rows = read_rows(args.file)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2

    results = []
    for row in rows:
        text = row.get("text") or ""
        tz = ZH_TZ if has_cjk(text) else EN_TZ
        intent = interpret(text, context=row["context"], now=row_now(now, tz), tz=tz)
        results.append((row, intent))

    out = sys.stdout
    if args.json:
        for row, intent in results:
            obj = {"text": row.get("text") or "", "context": row["context"], "intent": intent.name,
                   "confidence": round(intent.confidence, 3)}
            ents = intent.entities.as_json()
            if ents:
                obj["entities"] = ents
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return 0

    labelled = [(row, it) for row, it in results if row["intent"]]
    total = len(labelled)
    correct = sum(1 for row, it in labelled if it.name == row["intent"])
    stops = [(row, it) for row, it in labelled if row["intent"] == "stop"]
    stop_hits = sum(1 for _, it in stops if it.name == "stop")
    out.write(f"rows: {total}\n")
    out.write(f"accuracy: {correct}/{total} = {correct / total if total else 0:.3f}\n")
    out.write(f"stop recall: {stop_hits}/{len(stops)} = {stop_hits / len(stops) if stops else 1:.3f}\n")
    gold = Counter(row["intent"] for row, _ in labelled)
    pred = Counter(it.name for _, it in labelled)
    hits = Counter(row["intent"] for row, it in labelled if it.name == row["intent"])
    out.write(f"\n{'intent':<24}{'prec':>7}{'recall':>8}{'n':>6}\n")
    for name in sorted(set(gold) | set(pred)):
        prec = hits[name] / pred[name] if pred[name] else 0.0
        rec = hits[name] / gold[name] if gold[name] else 0.0
        out.write(f"{name:<24}{prec:>7.2f}{rec:>8.2f}{gold[name]:>6}\n")
    misses = [(row, it) for row, it in labelled if it.name != row["intent"]]
    out.write(f"\nmisclassified: {len(misses)}\n")
    for row, it in misses:
        out.write(f"  [{row['context']}] {row.get('text')!r}: expected {row['intent']}, "
                  f"got {it.name} ({it.confidence:.2f}, {it.rule})\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
