"""What the red-team probe test files (tests/test_intents_probe_*.py) share: the corpus's
clock (Monday 2026-11-30 10:00 in the customer's zone) and one check of a reading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from bot.intents import interpret

NY = "America/New_York"
NOW_NY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(NY))


def check(text: str, context: str, intent: str, ents: Mapping[str, Any]) -> None:
    """``text`` read in ``context`` (New York) is ``intent`` with ``ents``: dates as ISO
    strings, amounts as decimal strings; ``rule`` the deciding rule (e.g. the death report's
    ``unknown.deceased``); ``certain`` (for stop) says whether the
    confidence is at or above the default opt-out threshold, 0.75, or below it."""
    it = interpret(text, context=context, now=NOW_NY, tz=NY)
    assert it.name == intent, (text, it)
    ents = dict(ents)
    rule = ents.pop("rule", None)
    if rule is not None:
        assert it.rule == rule, (text, it)
    certain = ents.pop("certain", None)
    if certain is True:
        assert it.confidence >= 0.75, (text, it)  # at or above the opt-out threshold
    elif certain is False:
        assert it.confidence < 0.75, (text, it)
    for key, value in ents.items():
        got = getattr(it.entities, key)
        if key == "date":
            got = got.isoformat() if got else None
        elif key == "amount" and value is not None:
            value = Decimal(value)
        assert got == value, (text, key, it)
