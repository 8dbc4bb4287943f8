"""English intents from the fifth red-team probe (see CHANGELOG), with the neighbouring
phrasings of each fault kind. Tests named ``test_guard_*`` pin decisions the new rules
must not undo (they passed before); every other case failed before the fix.

Decisions:
* A yes followed by a restatement ("yes please set that up", "yes that works, the 15th",
  "its me, Darnell") is a yes in the confirm and verify states. A restated date or amount
  stays on the reading; the dialog compares it with what it read back (G-02: a different
  one is a correction, confirmed again, never recorded on a yes). A yes with a "but", a
  refusal or a reason is not a plain yes; stop always wins (US-06, US-17).
* Plans on offer: the plan named by number or ordinal anywhere in a short reply is the
  choice ("the 12 month one, number 2", "I'll take option 2"); a number of months is
  never read as a plan number ("go with the 6 month plan" is not option 6): the dialog,
  which knows the offers, picks by months when exactly one offer has that many
  instalments (tests/test_dialogs_probe5.py).
* "Just made a $100 payment online": a payment made, ``paid_already`` (COMPLIANCE intent
  names), not a request to pay; "I want to make a $100 payment now" stays ``pay``.
* A correction in the confirm state that refuses one day and names another ("not friday,
  saturday", "no, saturday not friday") is a promise with the new day (re-confirmed,
  G-02), not a no to the whole promise.
"""

from __future__ import annotations

import pytest

from tests.intents_probe_support import check


# --- 1. yes + a restatement in the confirm and verify states ---------------------------------

@pytest.mark.parametrize("text", [
    "yes please set that up",
    "yep go ahead and set that up",
    "yes please go ahead and set it up",
    "yeah set it up",
    "ok go ahead and book it",
    "sure, sign me up",
    "yes lock it in",
    "yes please do that",
    "yes that works for me, go ahead",
    "yup thats right, set it up please",
])
def test_confirm_yes_with_a_restated_action_is_affirm(text):
    check(text, "confirm", "affirm", {})


@pytest.mark.parametrize("text, ents", [
    ("yes that works, the 15th", {"date": "2026-12-15"}),
    ("yes, the 15th", {"date": "2026-12-15"}),
    ("yes friday works", {"date": "2026-12-04"}),
    ("yep $50 on friday", {"amount": "50", "date": "2026-12-04"}),
    ("yes that's right, $50 on the 15th", {"amount": "50", "date": "2026-12-15"}),
    ("correct, 50 dollars friday", {"amount": "50", "date": "2026-12-04"}),
])
def test_confirm_yes_with_a_restated_date_or_amount_is_affirm_keeping_them(text, ents):
    check(text, "confirm", "affirm", ents)


@pytest.mark.parametrize("text", [
    "its me, Darnell",
    "it's me Darnell",
    "yes this is Darnell",
    "yes, Darnell here",
    "yeah it's Darnell",
    "yes Darnell speaking",
    "speaking",
    "yes speaking, this is Darnell",
    "thats me, Darnell Jones",
])
def test_verify_yes_with_a_name_is_affirm(text):
    check(text, "verify", "affirm", {})


@pytest.mark.parametrize("text, context, intent, ents", [
    ("yes but I can't pay", "confirm", "hardship", {}),
    ("yes but I can't pay", "verify", "hardship", {}),
    ("yes stop texting me", "confirm", "stop", {"channel": "sms", "certain": True}),
    ("yes please stop", "confirm", "stop", {}),
    ("yes go ahead and stop texting me", "confirm", "stop", {"channel": "sms"}),
    ("yes, I refuse to pay", "confirm", "stop", {"channel": "all"}),  # US-17
    ("yes I already paid", "confirm", "paid_already", {}),
    ("yes but not on the 15th", "confirm", "unknown", {}),  # a person reads it (unchanged)
    ("yes but I lost my job", "confirm", "hardship", {}),
    ("its me but this isn't my debt", "verify", "dispute", {}),
])
def test_guard_yes_with_a_but_a_refusal_or_stop_is_not_a_plain_yes(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context", [
    ("yes please set that up", "notice"),
    ("its me, Darnell", "notice"),
])
def test_guard_restatement_is_read_as_yes_only_where_a_yes_was_asked(text, context):
    from bot.intents import interpret
    from tests.intents_probe_support import NOW_NY, NY
    assert interpret(text, context=context, now=NOW_NY, tz=NY).name not in ("affirm", "deny")


# --- 2. plan choice in a sentence --------------------------------------------------------------

@pytest.mark.parametrize("text, option", [
    ("the 12 month one, number 2", 2),
    ("option 2, the 12 month one", 2),
    ("6 month plan, option 1", 1),
    ("i think the second option works best for me", 2),
    ("the second one, the 12 month", 2),
    ("number 2, 12 months", 2),
    ("ok #2 the 12-month one", 2),
])
def test_plan_named_by_number_in_a_sentence_is_the_choice(text, option):
    check(text, "plan_offer", "choice", {"option": option})


@pytest.mark.parametrize("text", ["I'll take option 2", "the second one", "2", "two", "the 2nd one"])
def test_guard_plan_choices_read_before_stay(text):
    check(text, "plan_offer", "choice", {"option": 2})


@pytest.mark.parametrize("text", [
    "go with the 6 month plan",
    "the 6 month one",
    "6 months please",
    "I want the 3 month option",
    "lets do 6 months",
])
def test_months_are_not_a_plan_number(text):
    from bot.intents import interpret
    from tests.intents_probe_support import NOW_NY, NY
    for plan_options in (0, 9):  # 0: the number of plans on offer is not known
        it = interpret(text, context="plan_offer", now=NOW_NY, tz=NY, plan_options=plan_options)
        assert it.entities.option is None, (text, it)


# --- 3. a payment made is paid_already, not a request to pay ----------------------------------

@pytest.mark.parametrize("text, amount", [
    ("Just made a $100 payment online", "100"),
    ("just made a 100 dollar payment", "100"),
    ("I made an online payment this morning", None),
    ("made a $250 payment yesterday through the app", "250"),
    ("I've made a payment", None),
    ("ive made a $50 payment", "50"),
    ("we made a partial payment last week", None),
    ("i did a $50 payment through the app", "50"),
    ("I submitted a $100 payment on your website", "100"),
    ("just made my december payment", None),
    ("I made the $75 payment already", "75"),
    ("Just completed a $100 payment online", "100"),
    ("payment of $100 made today", "100"),
])
def test_payment_made_is_paid_already(text, amount):
    check(text, "notice", "paid_already", {"amount": amount} if amount else {})


@pytest.mark.parametrize("text, intent", [
    ("I paid 100 yesterday", "paid_already"),
    ("sent it this morning", "paid_already"),
    ("I want to pay $100 now", "pay"),
    ("I want to make a $100 payment now", "pay"),
    ("can I make a $100 payment online", "pay"),
    ("how do I make a $100 payment", "pay"),
    ("I'll make a $100 payment friday", "promise"),
])
def test_guard_paying_vs_paid(text, intent):
    check(text, "notice", intent, {})


# --- 5. a corrected day in the confirm state ---------------------------------------------------

@pytest.mark.parametrize("text", [
    "not friday, saturday",
    "no, saturday not friday",
    "no saturday, not friday",
    "not friday but saturday",
    "no not friday, saturday",
    "nope, saturday not friday",
    "saturday not friday",
])
def test_confirm_other_day_is_a_correction(text):
    check(text, "confirm", "promise", {"date": "2026-12-05"})


@pytest.mark.parametrize("text, intent", [
    ("no I can't pay on friday", "deny"),
    ("no not friday", "deny"),
])
def test_guard_confirm_refused_day_alone_stays_no(text, intent):
    check(text, "confirm", intent, {})


@pytest.mark.parametrize("text", ["nobody here", "its ridiculous", "yes later", "yes not here"])
def test_guard_verify_no_name_no_yes(text):
    from bot.intents import interpret
    from tests.intents_probe_support import NOW_NY, NY
    assert interpret(text, context="verify", now=NOW_NY, tz=NY).name != "affirm"
