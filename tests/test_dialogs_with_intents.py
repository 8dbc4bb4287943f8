"""The dialog engine fed by the real interpreter (bot.intents.interpret) with the
context and plan options the engine reports: the issue's key conversations, pure."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions import IssuePayLink, OptIn, OptOut, Quarantine, RecordPlan, RecordPromise
from bot.dialogs import context_of, opening, plan_options, step
from bot.types import ConversationState, InboundText
from tests.test_dialogs_support import (NOW, SCRIPT, account, cn_account, facts, of, replies,
                                        texts, uk_account)

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


def test_split_promise():
    st, [a1, a2, a3] = talk(facts(), "I can pay $50 on", "friday if that works", "yes")
    assert of(a3, RecordPromise) == [RecordPromise("ACC-100-4521", 5000, dt.date(2026, 12, 4))]
    assert texts(a3)[0].startswith("Confirmed: $50.00 on Fri Dec 4")


def test_plan_exact_sums():
    st, [a1, a2, a3] = talk(facts(account(past_due_minor=30001)), "plan", "2", "yes")
    [plan] = of(a3, RecordPlan)
    assert plan.kind == "instalments" and len(plan.instalments) == 12     # [6, 12] months: option 2
    assert sum(a for _, a in plan.instalments) == 30001 and plan.instalments[0][1] == 2501


def test_chinese_plan_in_chinese():
    st, [a1, a2, a3] = talk(facts(cn_account()), "我想分期", "1", "是的")
    assert all(r.lang == "zh" for a in (a1, a2, a3) for r in replies(a))
    [plan] = of(a3, RecordPlan)
    assert sum(a for _, a in plan.instalments) == 260000


def test_stop_in_a_sentence_then_start():
    st, [a1, a2, a3] = talk(facts(keyword_replies="provider"), "pls stop texting me", "pay", "START")
    assert of(a1, OptOut) and [r.kind for r in replies(a1)] == ["optout_confirmation"]
    assert replies(a2) == [] and not of(a2, IssuePayLink)
    assert OptIn() in a3


def test_wrong_number():
    st, [a1] = talk(facts(), "wrong number")
    assert of(a1, Quarantine) and "$" not in texts(a1)[0]


def test_uk_identity_answer_goes_to_the_runner():
    st, [a1] = talk(facts(uk_account()), "SW1A 1AA")
    assert replies(a1) == [] and a1[0].detail["identity_answer"] is True
