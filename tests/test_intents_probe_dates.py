"""English promise dates and amounts found wrong by the red-team probe (findings 25–30),
with the neighbouring phrasings of each fault kind. Tests named ``test_guard_*`` were
already right before the fix: they pin the documented decisions (``pay 12-15 dollars`` is
money, ``i work 9-5`` is no date…) that the new rules must not undo; every other case
failed before it.

Reference moment as in the corpus: Monday 2026-11-30 10:00 America/New_York; a Friday
evening (2026-12-04 19:30), December's last day (2026-12-31, year rollover) and January's
last day (2027-01-31, month end) are checked too. No compliance rule is enforced here:
these are money errors (a wrong promise date or amount recorded against the customer).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret
from bot.intents.amounts import find_amount, words_amount
from bot.intents.entities import extract_entities

NY = ZoneInfo("America/New_York")
MON = dt.datetime(2026, 11, 30, 10, 0, tzinfo=NY)       # the corpus' Monday
FRI_EVE = dt.datetime(2026, 12, 4, 19, 30, tzinfo=NY)   # Friday evening
DEC31 = dt.datetime(2026, 12, 31, 10, 0, tzinfo=NY)     # year rollover
JAN31 = dt.datetime(2027, 1, 31, 10, 0, tzinfo=NY)      # month end (a Sunday)
D = dt.date


def read(text: str, context: str = "notice", now: dt.datetime = MON):
    return interpret(text, context=context, now=now, tz="America/New_York")


def ents(text: str, now: dt.datetime = MON):
    return extract_entities(text.casefold(), now=now, tz="America/New_York", lang="en")


# --- 25: "grand", "hundred", "thousand" after digits; ranges; spoken prices ------------------

@pytest.mark.parametrize("text, context, intent, amount, date", [
    ("ill pay 2 grand on the 1st", "notice", "promise", "2000", D(2026, 12, 1)),
    ("I can pay 3 grand friday", "notice", "promise", "3000", D(2026, 12, 4)),
    ("i'll send 2 grand", "notice", "promise", "2000", None),
    ("would you take 1 grand to settle", "notice", "plan", "1000", None),
    ("i can do 1.5 grand next friday", "notice", "promise", "1500", D(2026, 12, 11)),
    ("$2 grand by the 15th", "notice", "promise", "2000", D(2026, 12, 15)),
    ("can pay 5 hundred on friday", "notice", "promise", "500", D(2026, 12, 4)),
    ("2 thousand", "ask_amount", "promise", "2000", None),
    ("2 grand", "ask_amount", "promise", "2000", None),
])
def test_grand_hundred_thousand_after_digits(text, context, intent, amount, date):
    it = read(text, context)
    assert (it.name, it.entities.amount, it.entities.date) == (intent, Decimal(amount), date), it


@pytest.mark.parametrize("text, lo, hi", [
    ("i can pay between $50 and $100", "50", "100"),
    ("between 50 and 100 dollars", "50", "100"),
    ("i can pay between 50 and 100", "50", "100"),
    ("can pay 50-100", "50", "100"),
    ("i could do 75 to 150", "75", "150"),
])
def test_amount_ranges(text, lo, hi):
    m = find_amount(text)
    assert (m.value, m.value_max) == (Decimal(lo), Decimal(hi)), text


# Guards (already right before the fix; they pin the decisions the fix must not undo) -----------

@pytest.mark.parametrize("text, lo, hi", [
    ("pay 12-15 dollars", "12", "15"),        # a currency word: money, not December 15th
    ("$12-15", "12", "15"),
])
def test_guard_currency_ranges_stay_money(text, lo, hi):
    m = find_amount(text)
    assert (m.value, m.value_max) == (Decimal(lo), Decimal(hi)), text
    assert ents(text).date is None


@pytest.mark.parametrize("text", ["from 5 to 6", "i work from 9 to 5", "between 2 and 3 pm", "pay 10 to 20 days"])
def test_guard_not_amount_ranges(text):
    assert ents(text).amount is None, text


@pytest.mark.parametrize("text, expected", [
    ("two fifty dollars", "250"), ("one twenty five bucks", "125"), ("twelve fifty dollars", "1250"),
    ("nine ninety nine bucks", "999"),
])
def test_spoken_prices(text, expected):
    assert ents(text).amount == Decimal(expected), text


def test_words_amount_rejects_non_numbers():
    assert [words_amount(t) for t in ("five six", "fifty twenty", "a", "hello", "one")] == [
        None, None, None, None, Decimal(1)]


# --- 26: after "how much?" a bare decimal, range or number words is the amount ---------------------

@pytest.mark.parametrize("text, amount, amount_max", [
    ("50.00", "50.00", None), ("12.50", "12.50", None), ("75.5", "75.5", None), ("100.00", "100.00", None),
    ("1,200.00", "1200.00", None), ("maybe 37.50", "37.50", None),
    ("12.10", "12.10", None),                 # an amount here, not December 10th
    ("fifty", "50", None), ("eighty", "80", None), ("twenty five", "25", None), ("two fifty", "250", None),
    ("maybe fifty", "50", None),
    ("between 50 and 100", "50", "100"), ("50-100", "50", "100"), ("50 to 100", "50", "100"),
    ("about 75-100", "75", "100"),
    ("$20. that's all I got", "20", None),
])
def test_ask_amount_bare(text, amount, amount_max):
    it = read(text, "ask_amount")
    assert it.name == "promise", it
    assert it.entities.amount == Decimal(amount), it
    assert it.entities.amount_max == (Decimal(amount_max) if amount_max else None), it
    assert it.entities.date is None, it


def test_guard_ask_amount_period_is_not_a_date():
    # "$40 a week": a plan-like amount, never "in a week"
    it = read("$40 a week", "ask_amount")
    assert (it.entities.amount, it.entities.date) == (Decimal(40), None)


# --- 27: US month-day with a dash or a dot --------------------------------------------------------

@pytest.mark.parametrize("text, context, intent, amount, date", [
    ("ill pay 12-20", "notice", "promise", None, D(2026, 12, 20)),
    ("I can pay $50 on 12-18", "notice", "promise", "50", D(2026, 12, 18)),
    ("ill pay on 12-15", "notice", "promise", None, D(2026, 12, 15)),
    ("ill pay on 12.15", "notice", "promise", None, D(2026, 12, 15)),
    ("$100 by 12-24", "notice", "promise", "100", D(2026, 12, 24)),
    ("friday 12-11", "notice", "promise", None, D(2026, 12, 11)),
    ("12-18", "ask_date", "promise", None, D(2026, 12, 18)),
    ("12.10", "ask_date", "promise", None, D(2026, 12, 10)),
    ("on 1-15", "ask_date", "promise", None, D(2027, 1, 15)),
    ("12-18-2026", "ask_date", "promise", None, D(2026, 12, 18)),
])
def test_dash_and_dot_month_day(text, context, intent, amount, date):
    it = read(text, context)
    assert (it.name, it.entities.amount, it.entities.date) == (
        intent, Decimal(amount) if amount else None, date), it


@pytest.mark.parametrize("text", [
    "i work 9-5", "2-3 days", "give me 1-2 weeks", "call 555-0100", "pay 12.15", "I can pay 5-10 a week",
    "case # 24-10xxx",
])
def test_guard_dash_numbers_that_are_not_dates(text):
    assert ents(text).date is None, text


def test_guard_pay_dot_is_money():
    assert (ents("pay 12.15").amount, ents("pay 12.15").date) == (Decimal("12.15"), None)


# --- 28: weekday + day of month: the explicit date wins ---------------------------------------------

@pytest.mark.parametrize("text, context, date", [
    ("tuesday the 8th", "ask_date", D(2026, 12, 8)),
    ("monday the 14th", "ask_date", D(2026, 12, 14)),
    ("wed the 9th", "ask_date", D(2026, 12, 9)),
    ("friday the 11th", "ask_date", D(2026, 12, 11)),
    ("I'll pay Friday Dec 11", "notice", D(2026, 12, 11)),
    ("ill pay friday, december 11th", "notice", D(2026, 12, 11)),
    ("fri 12/11", "ask_date", D(2026, 12, 11)),
    ("this friday the 11th", "ask_date", D(2026, 12, 11)),
    # they disagree (the 10th is a Thursday): the day of month wins, the dialog echoes it back
    ("friday the 10th", "ask_date", D(2026, 12, 10)),
])
def test_weekday_with_day_of_month(text, context, date):
    it = read(text, context)
    assert (it.name, it.entities.date) == ("promise", date), it


# --- 29: holidays ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, now, date", [
    ("christmas eve", MON, D(2026, 12, 24)),
    ("xmas eve", MON, D(2026, 12, 24)),
    ("i'll pay christmas eve", MON, D(2026, 12, 24)),
    ("new years eve", MON, D(2026, 12, 31)),
    ("new year's eve", MON, D(2026, 12, 31)),
    ("nye", MON, D(2026, 12, 31)),
    ("black friday", MON, D(2027, 11, 26)),    # day after Thanksgiving, not this Friday
    ("labor day", MON, D(2027, 9, 6)),
    ("memorial day", MON, D(2027, 5, 31)),
    # year rollover: said on New Year's Eve
    ("new years eve", DEC31, D(2026, 12, 31)),
    ("christmas eve", DEC31, D(2027, 12, 24)),
])
def test_holidays(text, now, date):
    it = read(text, "ask_date", now)
    assert (it.name, it.entities.date) == ("promise", date), it


# --- 30: short/misspelt weekdays, bare spans, end of day, month parts, ordinal words ----------------

@pytest.mark.parametrize("text, context, date", [
    ("wed?", "ask_date", D(2026, 12, 2)), ("wed.", "ask_date", D(2026, 12, 2)),
    ("maybe wed?", "ask_date", D(2026, 12, 2)), ("sat", "ask_date", D(2026, 12, 5)),
    ("Sat.", "ask_date", D(2026, 12, 5)), ("sun", "ask_date", D(2026, 12, 6)),
    ("wed or thurs", "ask_date", D(2026, 12, 2)),
    ("sat or sun", "ask_date", D(2026, 12, 5)), ("ill pay sat", "notice", D(2026, 12, 5)),
    ("will pay wensday", "notice", D(2026, 12, 2)), ("pay on thrusday", "notice", D(2026, 12, 3)),
    ("ill pay fryday", "notice", D(2026, 12, 4)), ("wendsday", "ask_date", D(2026, 12, 2)),
    ("saterday", "ask_date", D(2026, 12, 5)), ("tusday", "ask_date", D(2026, 12, 1)),
    ("next fryday", "ask_date", D(2026, 12, 11)),
    ("1 week", "ask_date", D(2026, 12, 7)), ("one week", "ask_date", D(2026, 12, 7)),
    ("1 wk", "ask_date", D(2026, 12, 7)), ("a week", "ask_date", D(2026, 12, 7)),
    ("couple weeks", "ask_date", D(2026, 12, 14)), ("maybe 3 days", "ask_date", D(2026, 12, 3)),
    ("a week or two", "ask_date", D(2026, 12, 7)),
    ("EOD", "notice", D(2026, 11, 30)), ("by end of day", "notice", D(2026, 11, 30)),
    ("mid december", "ask_date", D(2026, 12, 15)), ("mid dec", "ask_date", D(2026, 12, 15)),
    ("mid-january", "ask_date", D(2027, 1, 15)), ("early december", "ask_date", D(2026, 12, 1)),
    ("end of december", "ask_date", D(2026, 12, 31)),
    ("the first", "ask_date", D(2026, 12, 1)), ("on the first", "notice", D(2026, 12, 1)),
    ("ill pay on the fifteenth", "notice", D(2026, 12, 15)), ("by the twenty-first", "ask_date", D(2026, 12, 21)),
])
def test_short_and_vague_dates(text, context, date):
    it = read(text, context)
    assert (it.name, it.entities.date) == ("promise", date), it


@pytest.mark.parametrize("text", ["late december", "after the holidays", "over the holidays"])
def test_ranges_have_no_single_date(text):
    # a range of days (the corpus' date_note convention): a promise, the dialog asks which day
    it = read(text, "ask_date")
    assert (it.name, it.entities.date) == ("promise", None), it


@pytest.mark.parametrize("text", [
    "i sat down to pay", "out in the sun", "today is my birthday", "someday", "happy holidays", "the first one",
    "I can pay $40 a week", "sick for 3 days",
])
def test_guard_not_weekdays_or_spans(text):
    d = ents(text).date
    assert d is None or text == "today is my birthday", (text, d)


# --- other reference moments ------------------------------------------------------------------------

@pytest.mark.parametrize("text, now, date", [
    ("sat", FRI_EVE, D(2026, 12, 5)),
    ("wed?", FRI_EVE, D(2026, 12, 9)),
    ("1 week", FRI_EVE, D(2026, 12, 11)),
    ("friday the 18th", FRI_EVE, D(2026, 12, 18)),
    ("the first", FRI_EVE, D(2027, 1, 1)),
    ("12-5", DEC31, D(2027, 12, 5)),            # gone this year: next year's
    ("ill pay 1-15", DEC31, D(2027, 1, 15)),
    ("tuesday the 12th", DEC31, D(2027, 1, 12)),
    ("mid jan", DEC31, D(2027, 1, 15)),
    ("early january", DEC31, D(2027, 1, 1)),
    ("end of january", DEC31, D(2027, 1, 31)),
    ("the fifteenth", DEC31, D(2027, 1, 15)),
    ("1 wk", DEC31, D(2027, 1, 7)),
    ("the first", JAN31, D(2027, 2, 1)),
    ("mid feb", JAN31, D(2027, 2, 15)),
    ("2-28", JAN31, D(2027, 2, 28)),
    ("end of january", JAN31, D(2027, 1, 31)),
])
def test_other_reference_moments(text, now, date):
    it = read(text, "ask_date", now)
    assert (it.name, it.entities.date) == ("promise", date), it


@pytest.mark.parametrize("text, now, context, date", [
    ("the 11th friday", MON, "ask_date", D(2026, 12, 11)),
    ("monday or tuesday", MON, "ask_date", D(2026, 12, 7)),   # two options: the first
    ("christmas", MON, "ask_date", D(2026, 12, 25)),
    ("new year's day", MON, "ask_date", D(2027, 1, 1)),
    ("thanksgiving", MON, "ask_date", D(2027, 11, 25)),       # 2026-11-26 is gone: next year's
    ("the 4th of july", MON, "ask_date", D(2027, 7, 4)),
    ("new years", DEC31, "ask_date", D(2027, 1, 1)),
    ("mon", MON, "ask_date", D(2026, 12, 7)), ("nxt fri", MON, "ask_date", D(2026, 12, 11)),
    ("in a couple days", MON, "ask_date", D(2026, 12, 2)), ("EOD", MON, "ask_date", D(2026, 11, 30)),
    ("end of the week", MON, "ask_date", D(2026, 12, 4)), ("end of next week", MON, "ask_date", D(2026, 12, 11)),
    ("this weekend", MON, "ask_date", D(2026, 12, 5)), ("next weekend", MON, "ask_date", D(2026, 12, 12)),
    ("early next month", MON, "ask_date", D(2026, 12, 1)), ("the 1st of the month", MON, "ask_date", D(2026, 12, 1)),
    ("tmrw", MON, "ask_date", D(2026, 12, 1)), ("2morrow", MON, "ask_date", D(2026, 12, 1)),
    ("fri", FRI_EVE, "ask_date", D(2026, 12, 11)),            # on a Friday, "fri" is next week's
    ("EOD", FRI_EVE, "ask_date", D(2026, 12, 4)),
])
def test_guard_dates_already_right(text, now, context, date):
    it = read(text, context, now)
    assert (it.name, it.entities.date) == ("promise", date), it


@pytest.mark.parametrize("text, amount", [
    ("$1,200.50", "1200.50"), ("a hundred and fifty", "150"), ("fifty bucks", "50"), ("2k", "2000"),
    ("1.5k", "1500"), ("a grand", "1000"), ("1200 dollars", "1200"), ("two hundred", "200"),
])
def test_guard_ask_amount_marked_money(text, amount):
    it = read(text, "ask_amount")
    assert (it.name, it.entities.amount) == ("promise", Decimal(amount)), it


@pytest.mark.parametrize("text", ["on payday", "next payday"])
def test_guard_payday_has_no_date(text):
    it = read(text, "ask_date")
    assert (it.name, it.entities.date) == ("promise", None), it


@pytest.mark.parametrize("text, intent", [
    ("all of it", "pay"), ("the whole thing", "pay"), ("everything", "pay"), ("the full amount", "pay"),
    ("in full", "pay"), ("half", "plan"), ("half of it", "plan"), ("some of it", "plan"),
])
def test_ask_amount_whole_or_part_of_the_balance(text, intent):
    # "how much?" → the whole balance is a payment (pay link), a part of it asks for plans
    it = read(text, "ask_amount")
    assert (it.name, it.entities.amount) == (intent, None), it
