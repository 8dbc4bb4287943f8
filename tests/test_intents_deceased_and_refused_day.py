"""Two misreadings found by a new-user trial and the review after it.

* A relative's report that the account holder died, introduced as "this is his wife" /
  "this is not him", was a wrong number (US-12: "We'll remove this number") instead of a
  death report (``unknown`` with rule :data:`bot.types.DECEASED_REPORT_RULE`, which the
  engine turns into a deceased hold, a person and a condolence — UK-07).
* "I can't pay friday" was a promise to pay on Friday (G-02: the bot read back "You'll
  pay … on Fri"); a refused day is not a promise.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.intents import interpret
from bot.types import DECEASED_REPORT_RULE

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)


def read(text, context="notice"):
    return interpret(text, context=context, now=NOW, tz="America/New_York")


@pytest.mark.parametrize("text", [
    "this is his wife, he died in october",
    "This is his wife. Bea passed away last month.",
    "this is her son, mom passed away",
    "he passed away last month, I'm his daughter",
    "this is not him, he died",
    "he is no longer with us",
    "本人已去世",
    "我是他老婆，他已经去世了",
])
def test_death_report_by_someone_else(text):
    i = read(text)
    assert (i.name, i.rule) == ("unknown", DECEASED_REPORT_RULE)


@pytest.mark.parametrize("text,name", [
    ("wrong number, the guy who had this number died", "wrong_number"),   # a previous owner of the number
    ("this is his wife, he's not here right now", "wrong_number"),
    ("my mum passed away last month", "hardship"),                       # the customer's own loss
    ("I'm his widow", "hardship"),
    ("我妈妈上个月去世了", "hardship"),
])
def test_guards_that_are_not_a_death_report(text, name):
    assert read(text).name == name


@pytest.mark.parametrize("context", ["notice", "confirm"])
@pytest.mark.parametrize("text", [
    "I can't pay friday", "i cant pay friday", "i can not pay friday", "I cannot pay on friday",
    "I won't be able to pay friday", "I can not pay 50 on friday",
])
def test_a_refused_day_is_not_a_promise(text, context):
    i = read(text, context)
    assert i.name == "hardship", (text, i)


@pytest.mark.parametrize("text,date", [
    ("i cant pay friday but monday works", dt.date(2026, 12, 7)),
    ("can not pay till friday", dt.date(2026, 12, 4)),
    ("I can't pay friday, I can pay monday", dt.date(2026, 12, 7)),
    ("I can pay friday", dt.date(2026, 12, 4)),
])
def test_promises_around_a_refused_day_stay_promises(text, date):
    i = read(text)
    assert (i.name, i.entities.date) == ("promise", date)
