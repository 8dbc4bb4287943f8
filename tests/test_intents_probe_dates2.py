"""English dates, amounts and choices found wrong by the second red-team probe, with the
neighbouring phrasings of each fault kind. Tests named ``test_guard_*`` were already
right before the fix and pin decisions the new rules must not undo; every other case
failed before it.

Reference moment as in the corpus: Monday 2026-11-30 10:00 America/New_York. These are
money errors (a wrong promise date or amount, a plan choice lost); G-02 (the
confirmation repeats exactly what the customer said) is the rule at stake.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret

NY = ZoneInfo("America/New_York")
MON = dt.datetime(2026, 11, 30, 10, 0, tzinfo=NY)
D = dt.date


def read(text: str, context: str = "notice", plan_options: int = 0):
    return interpret(text, context=context, now=MON, tz="America/New_York", plan_options=plan_options)


# --- plan choices read as dates (plan_offer) ------------------------------------------------

@pytest.mark.parametrize("text, option", [
    ("the 2nd one", 2), ("the 3rd one", 3), ("the 1st one please", 1), ("i'll take the 2nd", 2),
    ("the 3rd option", 3), ("i'll take the 3rd one", 3), ("ill go with the 1st one", 1),
    ("gimme the 2nd one", 2), ("can i get the 1st one", 1), ("i'd like the 2nd plan", 2),
    ("i pick the 2nd", 2), ("i choose the 3rd", 3), ("the 2nd option sounds good", 2),
    ("yeah the 2nd one", 2), ("i'll take the second", 2), ("lets go with the 1st", 1),
    ("I'll take the 2nd one please", 2), ("the 2nd one looks good to me", 2),
])
def test_plan_offer_ordinal_is_a_choice_not_a_date(text, option):
    it = read(text, "plan_offer", plan_options=3)
    assert (it.name, it.entities.option, it.entities.date) == ("choice", option, None), it


@pytest.mark.parametrize("text, date", [
    ("the 2nd", D(2026, 12, 2)), ("i can pay on the 2nd", D(2026, 12, 2)), ("ill pay the 1st", D(2026, 12, 1)),
])
def test_guard_plan_offer_a_day_of_month_with_no_choosing_word_stays_a_date(text, date):
    it = read(text, "plan_offer", plan_options=3)
    assert it.name == "promise" and it.entities.date == date and it.entities.option is None, it


@pytest.mark.parametrize("text, option", [("2nd", 2), ("the second one", 2), ("option 2", 2)])
def test_guard_plan_offer_existing_choices(text, option):
    assert read(text, "plan_offer", plan_options=3).entities.option == option


# --- the amount before a weekday abbreviation; sat/sun after an amount ------------------------

@pytest.mark.parametrize("text, amount, date", [
    ("ill send 150 thurs", "150", D(2026, 12, 3)),
    ("will pay 60 tues", "60", D(2026, 12, 1)),
    ("ill pay 60 weds", "60", D(2026, 12, 2)),
    ("can pay 100 tues", "100", D(2026, 12, 1)),
    ("i can do 75 weds", "75", D(2026, 12, 2)),
    ("ill pay 80 mondays", "80", D(2026, 12, 7)),
    ("ill send 40 sat", "40", D(2026, 12, 5)),
    ("will pay 60 sun", "60", D(2026, 12, 6)),
    ("ill pay $60 sat", "60", D(2026, 12, 5)),
])
def test_amount_kept_before_every_weekday_abbreviation(text, amount, date):
    it = read(text)
    assert (it.name, it.entities.amount, it.entities.date) == ("promise", Decimal(amount), date), it


@pytest.mark.parametrize("text, amount, date", [
    ("ill send 150 fri", "150", D(2026, 12, 4)), ("ill pay 50 mon", "50", D(2026, 12, 7)),
    ("ill pay 50 wed", "50", D(2026, 12, 2)), ("ill pay 50 thu", "50", D(2026, 12, 3)),
    ("ill pay 50 thur", "50", D(2026, 12, 3)), ("ill pay 50 tue", "50", D(2026, 12, 1)),
    ("ill pay 50 on thurs", "50", D(2026, 12, 3)), ("ill send 150 thursday", "150", D(2026, 12, 3)),
])
def test_guard_amount_before_weekday(text, amount, date):
    it = read(text)
    assert (it.entities.amount, it.entities.date) == (Decimal(amount), date), it


@pytest.mark.parametrize("text", ["i sat down to pay", "sitting in the sun"])
def test_guard_sat_sun_as_words_are_no_date(text):
    assert read(text).entities.date is None


# --- a pay schedule is not a plan; the explicit date wins -----------------------------------

@pytest.mark.parametrize("text, amount, date", [
    ("I get paid every other friday, next one is the 11th. I'll pay then", None, D(2026, 12, 11)),
    ("my payday is every other friday, next one is the 11th, ill pay then", None, D(2026, 12, 11)),
    ("I get paid every friday so ill pay 50 then", "50", D(2026, 12, 4)),
    ("I get paid every other friday, ill pay then", None, D(2026, 12, 4)),
])
def test_pay_schedule_then_a_promise(text, amount, date):
    it = read(text)
    assert it.name == "promise" and it.entities.date == date, it
    assert it.entities.amount == (Decimal(amount) if amount else None)


@pytest.mark.parametrize("text", ["i get paid every friday, can i pay 100 every payday",
                                  "can i pay 50 every other friday"])
def test_guard_recurring_payments_stay_a_plan(text):
    assert read(text).name == "plan"


# --- corrections after the bot reads a promise back (confirm) -------------------------------

@pytest.mark.parametrize("text, date, amount", [
    ("no that's wrong, I said the 11th", D(2026, 12, 11), None),
    ("no I meant friday", D(2026, 12, 4), None),
    ("nope, friday", D(2026, 12, 4), None),
    ("actually make it the 11th", D(2026, 12, 11), None),
    ("sorry i meant the 12th", D(2026, 12, 12), None),
    ("wrong date, it's the 11th", D(2026, 12, 11), None),
    ("no its the 11th", D(2026, 12, 11), None),
    ("no I said friday not monday", D(2026, 12, 4), None),
    ("no I can't pay on the 11th, how about the 18th", D(2026, 12, 18), None),
    ("no i said $60", None, "60"),
])
def test_confirm_correction_is_a_promise_with_the_new_date(text, date, amount):
    it = read(text, "confirm")
    assert (it.name, it.entities.date) == ("promise", date), it
    assert it.entities.amount == (Decimal(amount) if amount else None)


@pytest.mark.parametrize("text", ["no I can't pay on the 11th", "no not friday"])
def test_confirm_refused_date_is_a_no(text):
    assert read(text, "confirm").name == "deny"


@pytest.mark.parametrize("text, intent", [
    ("no", "deny"), ("no thats wrong", "deny"), ("not right now", "unknown"), ("no, maybe later", "deny"),
    ("yes", "affirm"), ("no i already paid on the 4th", "paid_already"),
])
def test_guard_confirm_yes_no(text, intent):
    assert read(text, "confirm").name == intent


def test_guard_confirm_correction_reconfirms_the_new_date_in_the_dialog():
    """G-02: the engine keeps the amount and reads the corrected date back."""
    from bot.actions import RecordPromise
    from bot.dialogs import context_of, opening, plan_options, step
    from bot.types import ConversationState, InboundText
    from tests.test_dialogs_support import NOW, SCRIPT, facts, of, texts

    f = facts()
    st, _ = opening(ConversationState(), SCRIPT, f, NOW)
    out = []
    for line in ("I can pay $50 on friday", "no that's wrong, I said the 11th", "yes"):
        it = interpret(line, context=context_of(st, SCRIPT), now=NOW, tz="America/New_York",
                       plan_options=plan_options(st))
        st, acts = step(st, InboundText(line, it), SCRIPT, f, NOW)
        out.append(acts)
    assert "$50.00 on Fri Dec 11" in texts(out[1])[0]
    assert of(out[2], RecordPromise) == [RecordPromise("ACC-100-4521", 5000, D(2026, 12, 11))]


# --- payment-method questions ----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "whats the address to mail a check", "where do i mail a check", "what address do i send a check to",
    "can i mail you a check", "whats your mailing address", "can i pay with a check",
    "whats the address for payments",
])
def test_payment_method_question_is_pay(text):
    assert read(text).name == "pay"


@pytest.mark.parametrize("text, intent", [
    ("can i send a check every month", "plan"), ("can i pay by check", "pay"), ("where do i send my payment", "pay"),
    ("i mailed a check last week", "paid_already"),
])
def test_guard_payment_method_neighbours(text, intent):
    assert read(text).name == intent


# --- the date kept when a reply replaces one date with another ------------------------------

@pytest.mark.parametrize("text, intent, date", [
    # decision: cancelling a scheduled payment stays with a person (unknown.cancel_payment: the
    # bot cannot stop a payment already set up), but the date carried is the new one
    ("I want to cancel the payment on the 4th and pay on the 11th instead", "unknown", D(2026, 12, 11)),
    ("can i move my payment from the 4th to the 11th", "promise", D(2026, 12, 11)),
    ("instead of friday can i pay monday", "promise", D(2026, 12, 7)),
    ("cancel friday's payment, i'll pay monday instead", "promise", D(2026, 12, 7)),
])
def test_replaced_date_gives_way_to_the_new_one(text, intent, date):
    it = read(text)
    assert (it.name, it.entities.date) == (intent, date), it


@pytest.mark.parametrize("text, date", [
    ("ill pay monday not friday", D(2026, 12, 7)), ("i can pay on the 4th or the 11th", D(2026, 12, 4)),
    ("can i change my payment date to the 11th", D(2026, 12, 11)),
])
def test_guard_first_date_kept_otherwise(text, date):
    assert read(text).entities.date == date
