"""English intents from the fourth red-team probe (see CHANGELOG)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.dialogs.engine import _VULNERABLE
from bot.intents import interpret

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def _read(text, context="notice"):
    return interpret(text, context=context, now=NOW, tz="America/New_York")


# US-05/US-06: "lose my number" stops all use of this number: texts as well as calls
@pytest.mark.parametrize("text", [
    "lose my number and don't call again",
    "delete my number and stop calling",
    "forget this number, no more calls",
])
def test_us06_lose_my_number_is_texts_and_calls(text):
    it = _read(text)
    assert it.name == "stop"
    assert it.entities.channel == "sms+voice"


def test_us06_remove_from_texts_stays_sms():
    it = _read("please remove my number from your texts")
    assert (it.name, it.entities.channel) == ("stop", "sms")


# US-12: a name correction saying the person is not the one named
@pytest.mark.parametrize("text,context", [
    ("this is Linda, not Lisa", "notice"),
    ("I'm Mark not Mike", "notice"),
    ("my name is Dana not Diana", "notice"),
    ("no, this is Sarah not Sara", "verify"),
])
def test_us12_name_correction_is_wrong_number(text, context):
    assert _read(text, context).name == "wrong_number"


@pytest.mark.parametrize("text", ["its friday not monday", "its me not him", "this is fine not ok"])
def test_us12_not_a_name_correction(text):
    assert _read(text).name != "wrong_number"


# The account holder's death reported by a relative: a person reads it (unknown), not US-12 nor hardship
@pytest.mark.parametrize("text", [
    "the account holder died in september, I'm his daughter",
    "my son passed and this was his phone",
    "my dad passed away, this was his account",
    "this was her phone, she passed last month",
    "the account holder passed away",
])
def test_deceased_account_holder_is_unknown(text):
    it = _read(text)
    assert (it.name, it.rule) == ("unknown", "unknown.deceased")


def test_own_bereavement_stays_hardship():
    assert _read("my mom died and I cant pay").name == "hardship"


# UK-07: a relative's "passed" holds automation; "passed the test", "passed by" do not
@pytest.mark.parametrize("text,held", [
    ("Please stop sending me these, my son passed and this was his phone", True),
    ("my grandma passed in october", True),
    ("my dad passed on last month", True),
    ("he passed in his sleep", True),
    ("I passed the test", False),
    ("passed by the office", False),
    ("i passed on that offer", False),
])
def test_uk07_passed_vulnerable(text, held):
    assert bool(_VULNERABLE.search(text)) is held


# Cancelling a scheduled payment: a person handles it, not a promise
@pytest.mark.parametrize("text", [
    "please cancel the $100 payment scheduled for tomorrow",
    "cancel tomorrow's payment",
    "can you cancel my next payment",
])
def test_cancel_scheduled_payment_is_unknown(text):
    it = _read(text)
    assert (it.name, it.rule) == ("unknown", "unknown.cancel_payment")


def test_cancel_with_new_day_instead_is_a_promise():
    # a reschedule keeps the new date (tests/test_intents_probe_dates2.py)
    it = _read("cancel friday's payment please, I'll pay monday instead")
    assert (it.name, it.entities.date) == ("promise", dt.date(2026, 12, 7))
