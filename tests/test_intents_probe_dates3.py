"""Dates (English and Chinese) and English amounts found wrong by the third red-team
probe, with the neighbouring phrasings of each fault kind. Tests named ``test_guard_*``
pin decisions the new rules must not undo (they passed before); every other case failed
before the fix.

Reference moment as in the corpus: Monday 2026-11-30 10:00, America/New_York for English,
Asia/Shanghai for Chinese. These are money errors (a wrong promise date or amount); G-02
(the confirmation repeats exactly what the customer said) is the rule at stake.

Decisions (see also bot/intents/dates.py and amounts.py docstrings):
* "probably 30, maybe 40" / "30 or 40" after "how much?": a range, amount 30 and
  amount_max 40 (the Entities type's range, as "between 30 and 40"); the dialog confirms.
* "twelve-fifty": 1250 (the amounts contract: 1-19 before a tens word is hundreds); the
  dialog echoes it back, unchanged this round.
* A past-tense payment date does not roll forward: each clause of a reply that mixes past
  and future cues is read in its own tense; of a past and a future date the future one is
  the entity (the promise), a past one stays when it is the only date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
D = dt.date


def read(text: str, context: str = "notice"):
    return interpret(text, context=context, now=dt.datetime(2026, 11, 30, 10, 0, tzinfo=NY), tz="America/New_York")


def read_zh(text: str, context: str = "notice"):
    return interpret(text, context=context, now=dt.datetime(2026, 11, 30, 10, 0, tzinfo=SH), tz="Asia/Shanghai")


# --- English relative and holiday-relative dates ----------------------------------------------

@pytest.mark.parametrize("text, context, date", [
    ("the day after christmas", "ask_date", D(2026, 12, 26)),
    ("the day after christmas i can pay", "notice", D(2026, 12, 26)),
    ("the day before christmas", "ask_date", D(2026, 12, 24)),
    ("day after thanksgiving", "ask_date", D(2027, 11, 26)),
    ("the day after new years", "ask_date", D(2027, 1, 2)),
    ("2 weeks from tomorrow", "ask_date", D(2026, 12, 15)),
    ("two weeks from friday", "ask_date", D(2026, 12, 18)),
    ("3 days from tomorrow", "ask_date", D(2026, 12, 4)),
    ("i can pay 2 weeks from friday", "notice", D(2026, 12, 18)),
    ("first of the year", "ask_date", D(2027, 1, 1)),
    ("the beginning of next year", "ask_date", D(2027, 1, 1)),
    ("i can pay the first of the year", "notice", D(2027, 1, 1)),
    ("sat morning", "ask_date", D(2026, 12, 5)),
    ("sun afternoon", "ask_date", D(2026, 12, 6)),
    ("wed night", "ask_date", D(2026, 12, 2)),
    ("ill pay sat morning", "notice", D(2026, 12, 5)),
    ("the 30th of next month", "ask_date", D(2026, 12, 30)),
    ("next month on the 30th", "ask_date", D(2026, 12, 30)),
    ("ill pay the 30th of next month", "notice", D(2026, 12, 30)),
])
def test_relative_and_holiday_dates(text, context, date):
    it = read(text, context)
    assert (it.name, it.entities.date) == ("promise", date)


def test_week_after_next_is_a_range_without_a_day():
    it = read("the week after next", "ask_date")
    assert it.name == "promise" and it.entities.date is None


@pytest.mark.parametrize("text, context, date", [
    ("3 days from now", "ask_date", D(2026, 12, 3)), ("a week from friday", "ask_date", D(2026, 12, 11)),
    ("a week from tomorrow", "ask_date", D(2026, 12, 8)), ("monday morning", "ask_date", D(2026, 12, 7)),
    ("first thing monday", "ask_date", D(2026, 12, 7)), ("by tmrw night", "ask_date", D(2026, 12, 1)),
    ("tonight", "ask_date", D(2026, 11, 30)), ("this evening", "ask_date", D(2026, 11, 30)),
    ("end of next month", "ask_date", D(2026, 12, 31)), ("christmas", "ask_date", D(2026, 12, 25)),
])
def test_guard_relative_dates(text, context, date):
    it = read(text, context)
    assert (it.name, it.entities.date) == ("promise", date)


# --- which of several dates: "instead", "so", a negated or a schedule day ---------------------

@pytest.mark.parametrize("text, date", [
    ("hey its me again, the guy who said friday. change of plans, can it be monday the 7th instead?", D(2026, 12, 7)),
    ("i said friday but can it be monday instead?", D(2026, 12, 7)),
    ("not paying today but friday", D(2026, 12, 4)),
    ("I don't have to pay you today right? Friday is fine?", D(2026, 12, 4)),
    ("not today, friday", D(2026, 12, 4)),
    ("not tomorrow but monday", D(2026, 12, 7)),
    ("i dont need to pay today, ill pay friday", D(2026, 12, 4)),
])
def test_the_date_meant_wins(text, date):
    it = read(text)
    assert (it.name, it.entities.date) == ("promise", date)


def test_schedule_day_gives_way_to_the_conclusion():
    it = read("I get my SSI on the 1st so the 2nd", "ask_date")
    assert (it.name, it.entities.date) == ("promise", D(2026, 12, 2))


def test_guard_contact_time_instead_is_not_a_promise():
    assert read("can you text me after 5pm instead, I'm at work").name != "promise"


# --- past tense: a paid date does not roll into the future ------------------------------------

@pytest.mark.parametrize("text, date", [
    ("I already paid this on the 20th through your website, I have the confirmation email. "
     "Why am I still getting these? Please check your system.", D(2026, 11, 20)),
    ("I paid on the 20th. Why am I still getting texts?", D(2026, 11, 20)),
    ("already sent it on friday, can you check?", D(2026, 11, 27)),
])
def test_past_tense_payment_date_is_in_the_past(text, date):
    it = read(text)
    assert (it.name, it.entities.date) == ("paid_already", date)


def test_future_date_beats_a_past_one():
    it = read("I paid 50 on monday, can I pay the rest friday")
    assert it.entities.date == D(2026, 12, 4)


# --- Chinese: traditional/Cantonese dates; cancelling an agreed payment -------------------------

@pytest.mark.parametrize("text, date", [
    ("下個禮拜三還", D(2026, 12, 9)), ("下個星期五還", D(2026, 12, 11)), ("聽日還", D(2026, 12, 1)),
    ("聽日還錢", D(2026, 12, 1)), ("後日還錢", D(2026, 12, 2)), ("聽朝還", D(2026, 12, 1)),
    ("下個月尾還", D(2026, 12, 31)), ("月頭還", D(2026, 12, 1)), ("下個月30號還", D(2026, 12, 30)),
])
def test_cantonese_and_traditional_dates(text, date):
    it = read_zh(text)
    assert (it.name, it.entities.date) == ("promise", date)


@pytest.mark.parametrize("text, date", [("禮拜五還", D(2026, 12, 4)), ("星期五還", D(2026, 12, 4)), ("下个礼拜三还", D(2026, 12, 9))])
def test_guard_weekdays(text, date):
    it = read_zh(text)
    assert (it.name, it.entities.date) == ("promise", date)


def test_cantonese_yesterday_paid():
    it = read_zh("琴日還咗")
    assert (it.name, it.entities.date) == ("paid_already", D(2026, 11, 29))


@pytest.mark.parametrize("text", ["听日本朋友说的", "以后日子好了再说"])
def test_guard_not_cantonese_dates(text):
    it = read_zh(text)
    assert it.entities.date is None and it.name != "promise"


@pytest.mark.parametrize("text", ["我想取消上周五约好的还款", "我想取消明天的还款", "把明天的自动扣款停掉，我手动还"])
def test_cancelling_an_agreed_payment_is_not_a_promise(text):
    it = read_zh(text)
    assert (it.name, it.rule) == ("unknown", "unknown.cancel_payment")


# --- English amounts ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, context, amount, date", [
    ("sixty dollars and fifty cents on wednesday", "notice", "60.50", D(2026, 12, 2)),
    ("$60 and 50 cents friday", "notice", "60.50", D(2026, 12, 4)),
    ("sixty dollars and fifty cents", "ask_amount", "60.50", None),
    ("60 dollars and 50 cents", "ask_amount", "60.50", None),
    ("twenty five dollars and ten cents", "ask_amount", "25.10", None),
    ("I can pay one fifty on friday", "notice", "150", D(2026, 12, 4)),
    ("i can pay fifty friday", "notice", "50", D(2026, 12, 4)),
    ("ill send you two fifty tmrw", "notice", "250", D(2026, 12, 1)),
    ("a hundred and twenty five on the 5th", "notice", "125", D(2026, 12, 5)),
    ("like 60ish", "ask_amount", "60", None),
    ("60ish", "ask_amount", "60", None),
    ("$20 but only after the 15th", "ask_amount", "20", D(2026, 12, 15)),
])
def test_english_amounts(text, context, amount, date):
    it = read(text, context)
    assert (it.name, it.entities.amount, it.entities.date) == ("promise", Decimal(amount), date)


@pytest.mark.parametrize("text", ["probably 30, maybe 40", "30 or 40", "maybe 40 or 30", "30 maybe 40"])
def test_hedged_two_amounts_are_a_range(text):
    it = read(text, "ask_amount")
    assert (it.name, it.entities.amount, it.entities.amount_max) == ("promise", Decimal(30), Decimal(40))


@pytest.mark.parametrize("text, amount", [("twelve-fifty", 1250), ("one fifty", 150)])
def test_guard_spoken_prices(text, amount):
    it = read(text, "ask_amount")
    assert (it.name, it.entities.amount) == ("promise", Decimal(amount))


@pytest.mark.parametrize("text", ["I can do twenty more days", "i can do one thing for you", "give me two"])
def test_guard_number_words_that_are_not_money(text):
    assert read(text).entities.amount is None
