"""The labelled corpus (and our extra rows) through interpret(): accuracy and stop recall.

Dates resolve against Monday 2026-11-30 10:00 local (America/New_York for English rows,
Asia/Shanghai for rows with CJK), as tests/data/corpus_README.md says.
"""

import csv
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret
from bot.intents.normalise import has_cjk

DATA = Path(__file__).parent / "data"
FILES = ["replies.tsv", "replies_extra.tsv"]


def load(name):
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def classify(row):
    tz = "Asia/Shanghai" if has_cjk(row["text"]) else "America/New_York"
    now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(tz))
    return interpret(row["text"], context=row["context"], now=now, tz=tz)


@pytest.mark.parametrize("name", FILES)
def test_accuracy_and_stop_recall(name):
    rows = load(name)
    misses, stops, stop_hits = [], 0, 0
    for row in rows:
        it = classify(row)
        if it.name != row["intent"]:
            misses.append(f"[{row['context']}] {row['text']!r}: want {row['intent']}, got {it.name} ({it.rule})")
        if row["intent"] == "stop":
            stops += 1
            stop_hits += it.name == "stop"
    accuracy = 1 - len(misses) / len(rows)
    print(f"\n{name}: accuracy {accuracy:.3f} ({len(rows) - len(misses)}/{len(rows)}), "
          f"stop recall {stop_hits}/{stops}")
    for m in misses:
        print("  MISS", m)
    assert stop_hits == stops, "every stop must be caught"
    assert accuracy >= 0.95


def test_not_stop_trap_rows_are_not_stop():
    """Rows the corpus marks as traps and labels other than stop must not read as stop."""
    rows = [r for r in load("replies.tsv") if r["intent"] != "stop"
            and ("stop" in r["text"].lower() or "cancel" in r["text"].lower()
                 or "end of" in r["text"].lower() or "trap" in json.loads(r["entities"] or "{}"))]
    assert len(rows) >= 10
    wrong = [r["text"] for r in rows if classify(r).name == "stop"]
    assert wrong == []


def test_stop_channels_match_labels():
    for row in load("replies.tsv"):
        want = json.loads(row["entities"] or "{}").get("channel")
        if want:
            assert classify(row).entities.channel == want, row["text"]


def test_labelled_amounts_match():
    """Where the corpus labels an amount, the Intent carries it (from extract_entities)."""
    from decimal import Decimal
    for name in FILES:
        for row in load(name):
            want = json.loads(row["entities"] or "{}").get("amount")
            if want and row["intent"] != "unknown":
                assert classify(row).entities.amount == Decimal(want), row["text"]
