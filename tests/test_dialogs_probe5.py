"""The fifth red-team probe through the dialog: the real interpreter feeding ``step()``
(as tests/test_dialogs_with_intents.py). Plans on offer with the default policy
(config.toml [plans]): 1 = 6 instalments, 2 = 12 instalments, 3 = deferral,
4 = 3 interest-free instalments.

* A plan named by its months is chosen when exactly one offer has that many instalments;
  a number and months that name different plans choose nothing (the plans are shown again).
* A yes that restates the promise's date or amount records the promise only when they are
  what was read back; another date or amount is a correction, confirmed again (G-02).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions import RecordPlan, RecordPromise
from bot.dialogs import context_of, opening, plan_options, step
from bot.types import ConversationState, InboundText
from tests.test_dialogs_support import NOW, SCRIPT, cn_account, facts, of, replies

intents = pytest.importorskip("bot.intents")


def talk(f, *lines):
    st, _ = opening(ConversationState(), SCRIPT, f, NOW)
    out = []
    for line in lines:
        acct = f.accounts[0]
        it = intents.interpret(line, context=context_of(st, SCRIPT), now=NOW, tz=acct.timezone,
                               plan_options=plan_options(st), lang_hint=st.slots.get("lang"))
        st, acts = step(st, InboundText(line, it), SCRIPT, f, NOW)
        out.append(acts)
    return st, out


@pytest.mark.parametrize("line, count", [
    ("go with the 12 month plan", 12),
    ("the 6 month one", 6),
    ("6 months please", 6),
    ("I'll take the 12-month plan", 12),
    ("twelve months", 12),
    ("the 3 month one", 3),           # the interest-free offer
    ("the 12 month one, number 2", 12),
    ("option 1, the 6 month", 6),
])
def test_plan_chosen_by_months(line, count):
    st, [_, a2, a3] = talk(facts(), "plan", line, "yes")
    assert st.state == "menu", (line, a2)
    [plan] = of(a3, RecordPlan)
    assert len(plan.instalments) == count


@pytest.mark.parametrize("line, count", [("我要12个月的", 12), ("6个月那个", 6), ("分12期的那个", 12), ("十二个月的", 12)])
def test_zh_plan_chosen_by_months(line, count):
    st, [_, a2, a3] = talk(facts(cn_account()), "我想分期", line, "是的")
    [plan] = of(a3, RecordPlan)
    assert len(plan.instalments) == count


@pytest.mark.parametrize("line", ["the 6 month one, number 2", "the 9 month plan", "option 2, the 6 month one"])
def test_plan_months_that_do_not_name_one_offer_choose_nothing(line):
    st, [_, a2] = talk(facts(), "plan", line)
    assert st.state == "plan_offer" and "plan_choice" not in st.slots, a2
    assert [r.template for r in replies(a2)] == ["plan_offer"]


@pytest.mark.parametrize("line", ["yes please set that up", "yep go ahead and set that up"])
def test_plan_confirmed_with_a_restatement(line):
    st, [_, _, a3] = talk(facts(), "plan", "2", line)
    [plan] = of(a3, RecordPlan)
    assert len(plan.instalments) == 12


def test_promise_confirmed_with_the_same_date_restated():
    st, [_, _, a3] = talk(facts(), "I can pay $50", "the 15th", "yes that works, the 15th")
    assert of(a3, RecordPromise) == [RecordPromise("ACC-100-4521", 5000, dt.date(2026, 12, 15))]


def test_promise_yes_with_another_date_is_confirmed_again_not_recorded():
    st, [_, _, a3] = talk(facts(), "I can pay $50", "the 15th", "yes that works, the 16th")
    assert of(a3, RecordPromise) == []
    assert st.state == "promise_confirm" and st.slots["promise"]["date"] == "2026-12-16"


def test_promise_yes_with_another_amount_is_confirmed_again_not_recorded():
    st, [_, _, a3] = talk(facts(), "I can pay $50", "the 15th", "yes, $60 on the 15th")
    assert of(a3, RecordPromise) == []
    assert st.state == "promise_confirm" and st.slots["promise"]["amount_minor"] == 6000


def test_promise_day_corrected_in_the_confirm_state():
    st, [_, a2, a3] = talk(facts(), "I can pay $50 friday", "no, saturday not friday", "yes")
    assert of(a2, RecordPromise) == []
    assert of(a3, RecordPromise) == [RecordPromise("ACC-100-4521", 5000, dt.date(2026, 12, 5))]


def test_zh_promise_day_corrected_in_the_confirm_state():
    st, [_, a2, a3] = talk(facts(cn_account()), "周五还500", "不是周五，是周六", "是的")
    assert of(a2, RecordPromise) == []
    assert of(a3, RecordPromise) == [RecordPromise("CN-200-8876", 50000, dt.date(2026, 12, 5))]


@pytest.mark.parametrize("line", ["$50 a month for 6 months", "第2期什么时候还"])
def test_plan_months_with_an_amount_or_an_instalment_number_choose_nothing(line):
    st, [_, a2] = talk(facts(), "plan", line)
    assert "plan_choice" not in st.slots, a2
