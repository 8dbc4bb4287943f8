"""The cadence templates and the hardship/forbearance texts of the default script
(UK-01, UK-04, UK-06, US-04, US-14, CN-05), rendered in the sandbox."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot import dialogs
from bot.dialogs.script import DEBT_PARAMS
from bot.templates import render

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = dialogs.load_script(dialogs.default_script_text())
CONFIG = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
PARAMS = {"name": "Ann Lee", "creditor": "Acme Card", "contact": "800-555-0199", "past_due": "$120.00",
          "minimum_due": "$35.00", "balance": "$500.00", "deadline": "Fri Dec 4",
          "pay_link": "https://pay.example.com/p/tok", "options": "1) 3 monthly payments of $40.00",
          "amount": "$40.00", "date": "Fri Dec 4", "greeting": "", "dpd": "35"}
STEPS = [(p, st["template"]) for p, pc in CONFIG["cadence"]["profiles"].items() for st in pc["steps"]]


def used(key, lang):
    return set(re.findall(r"\{\{\s*(\w+)", SCRIPT.templates[key][lang]))


def test_default_script_still_validates():
    assert dialogs.validate(dialogs.default_script_text()) == []


@pytest.mark.parametrize("profile,key", STEPS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_US_04_every_cadence_text_renders_with_the_opt_out(profile, key, lang):
    text = render(SCRIPT, key, lang, PARAMS)
    assert key in SCRIPT.collection
    assert ("STOP" in text) or ("退订" in text)
    assert len(text) <= 1600 and "{{" not in text


@pytest.mark.parametrize("key", [k for p, k in STEPS if p == "us_third_party"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_US_14_third_party_cadence_carries_the_full_disclosure(key, lang):
    text = render(SCRIPT, key, lang, PARAMS)
    assert "This is a communication from a debt collector attempting to collect a debt." in text
    assert "Any information obtained will be used for that purpose." in text


@pytest.mark.parametrize("key", [k for p, k in STEPS if p == "uk"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_UK_06_uk_cadence_has_no_debt_detail(key, lang):
    assert not used(key, lang) & DEBT_PARAMS
    text = render(SCRIPT, key, lang, PARAMS)
    assert "$" not in text and "Ann" not in text
    assert ("reply" in text.lower()) or ("回复" in text)


@pytest.mark.parametrize("key", [k for p, k in STEPS if p == "cn"])
def test_CN_05_zh_cadence_carries_name_amount_deadline_contact(key):
    assert {"name", "past_due", "deadline", "contact"} <= used(key, "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_UK_01_UK_04_hardship_offers_every_forbearance_option_and_the_signpost(lang):
    text = render(SCRIPT, "hardship_uk", lang, PARAMS)
    words = {"en": ["reduced payments", "freeze on interest and charges", "token payments",
                    "more time to pay", "MoneyHelper", "don't have to pay in full"],
             "zh": ["降低还款额", "冻结利息和费用", "象征性小额还款", "延期还款", "MoneyHelper", "无需一次还清"]}[lang]
    for w in words:
        assert w in text, w


@pytest.mark.parametrize("key", ["pay_link_uk", "plan_offer_uk", "plan_none_uk"])
def test_UK_01_pay_in_full_is_never_the_only_option(key):
    text = render(SCRIPT, key, "en", PARAMS)
    assert re.search(r"reduce", text) and "token" in text and "freeze" in text and "more time" in text


def test_UK_variants_are_what_the_engine_picks_for_uk_accounts():
    from bot.dialogs.engine import _Step
    from bot.types import AccountFacts, ConversationState, Facts
    import datetime as dt

    acct = AccountFacts(account_ref="UK-1", name="Ann", currency="GBP", balance_minor=1, past_due_minor=1,
                        minimum_due_minor=1, dpd=10, due_date=None, timezone="Europe/London", profile="uk")
    facts = Facts(accounts=(acct,), policy={"profiles": CONFIG["profiles"]})
    st = _Step(ConversationState(state="menu", slots={}, mode="bot"), SCRIPT, facts,
               dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc))
    assert [st.template(k, acct) for k in ("hardship", "pay_link", "plan_offer", "plan_none", "notice")] == [
        "hardship_uk", "pay_link_uk", "plan_offer_uk", "plan_none_uk", "notice"]
