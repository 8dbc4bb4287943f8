"""Chinese replies the fifth red-team probe got wrong, and their neighbours. Dates resolve
against Monday 2026-11-30 10:00 Asia/Shanghai. Tests named ``test_guard_*`` passed before.

Decisions:
* 12号先还一部分，1200: the amount after the comma is the part paid (1200, on the 12th).
  A dated part payment stays a ``plan`` (the corpus: 我先还300，剩下的下个月还 → plan;
  tests/test_intents_probe_zh4.py: 明天先还￥800 → plan); only the lost amount was wrong.
* 下周五先还500、月底再还剩下的: 还剩下的 is "repay the rest", not 还剩 "how much is left"
  (a balance question): a part payment, plan, with 500 and next Friday.
* 不是周五，是周六 in the confirm state corrects the day read back: a promise with the new
  day (re-confirmed, G-02), not a yes and not a no to the whole promise.
* Plans on offer: 第二个 anywhere in a short reply is plan 2; a number of months (6个月,
  分12期) is never a plan number (the dialog picks by months, tests/test_dialogs_probe5.py).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret

SH = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(SH))
D = dt.date


def run(text, context="notice", **kw):
    return interpret(text, context=context, now=NOW, tz=SH, **kw)


# --- 4. an amount after a date and a comma --------------------------------------------------

@pytest.mark.parametrize("text, amount, date", [
    ("12号先还一部分，1200", "1200", D(2026, 12, 12)),
    ("12号先还一部分,1200", "1200", D(2026, 12, 12)),
    ("12号先还一部分，1200吧", "1200", D(2026, 12, 12)),
    ("12号先还一部分，大概1200", "1200", D(2026, 12, 12)),
    ("12号先还一部分，一千二", "1200", D(2026, 12, 12)),
    ("下周五先还一部分，500", "500", D(2026, 12, 11)),
    ("月底先还一点，800块", "800", D(2026, 11, 30)),
    ("15号还一部分，2000左右", "2000", D(2026, 12, 15)),
])
def test_zh_amount_after_date_and_comma_is_kept(text, amount, date):
    it = run(text)
    assert (it.name, it.entities.amount, it.entities.date) == ("plan", Decimal(amount), date), it


@pytest.mark.parametrize("text, amount, date", [
    ("12号，1200", "1200", D(2026, 12, 12)),
    ("下周五，500", "500", D(2026, 12, 11)),
    ("周五还，500块", "500", D(2026, 12, 4)),
])
def test_zh_date_comma_amount_is_a_promise_with_the_amount(text, amount, date):
    it = run(text)
    assert (it.name, it.entities.amount, it.entities.date) == ("promise", Decimal(amount), date), it


@pytest.mark.parametrize("text", ["12号，15号", "下周五，两点", "12号先还一部分，3天后再还", "周五还一部分，第2期下个月",
                                  "12号先还一部分，剩下的分3期"])
def test_guard_zh_date_comma_number_that_is_no_amount(text):
    assert run(text).entities.amount is None, run(text)


@pytest.mark.parametrize("text, amount, date", [
    ("下周五先还500、月底再还剩下的", "500", D(2026, 12, 11)),
    ("下周五先还500，月底再还剩下的", "500", D(2026, 12, 11)),
    ("周五先还五百，月底还剩下的", "500", D(2026, 12, 4)),
    ("先还500，剩下的月底还", "500", None),
])
def test_zh_repay_the_rest_is_a_part_payment_not_a_balance_question(text, amount, date):
    it = run(text)
    assert it.name == "plan" and it.entities.amount == Decimal(amount), it
    if date:
        assert it.entities.date == date, it


@pytest.mark.parametrize("text", ["还剩多少", "还剩下多少钱", "还剩几期", "我还剩下多少没还"])
def test_guard_zh_how_much_is_left_stays_balance(text):
    assert run(text).name == "balance"


# --- 5. 不是周五，是周六 in the confirm state ---------------------------------------------------

@pytest.mark.parametrize("text", ["不是周五，是周六", "不是周五，周六", "不是周五是周六", "周六，不是周五", "是周六不是周五",
                                  "不对，不是周五，是周六", "不是星期五，是星期六", "不是礼拜五，礼拜六"])
def test_zh_confirm_other_day_is_a_correction(text):
    it = run(text, "confirm")
    assert (it.name, it.entities.date) == ("promise", D(2026, 12, 5)), it


@pytest.mark.parametrize("text, intent", [("不是", "deny"), ("不对", "deny"), ("对", "affirm"), ("是的", "affirm")])
def test_guard_zh_confirm_yes_no(text, intent):
    assert run(text, "confirm").name == intent


def test_zh_other_day_keeps_the_new_date_outside_confirm():
    assert run("不是周五还，是周六还").entities.date == D(2026, 12, 5)


# --- 2. plan choice in a sentence -------------------------------------------------------------

@pytest.mark.parametrize("text, option", [
    ("12个月的，第二个", 2), ("第二个吧，12个月的", 2), ("6个月那个，第一个", 1), ("就要第二个，分12期的", 2),
])
def test_zh_plan_named_by_number_in_a_sentence(text, option):
    it = run(text, "plan_offer", plan_options=4)
    assert (it.name, it.entities.option) == ("choice", option), it


@pytest.mark.parametrize("text", ["第二个", "选2", "我选第二个", "就第二个吧", "第二种方案", "选项2"])
def test_guard_zh_plan_choices_read_before(text):
    it = run(text, "plan_offer", plan_options=4)
    assert (it.name, it.entities.option) == ("choice", 2), it


@pytest.mark.parametrize("text", ["我要6个月的", "选6个月的", "6个月那个", "分6期的那个", "六个月的"])
def test_zh_months_are_not_a_plan_number(text):
    for plan_options in (0, 9):
        assert run(text, "plan_offer", plan_options=plan_options).entities.option is None


@pytest.mark.parametrize("text", ["我还没收到，2000", "还有，2000"])
def test_guard_zh_still_is_no_paying_clause(text):
    assert run(text).entities.amount is None, run(text)
