"""UK-03 / UK-01 while plans are on offer: "tell us what you can pay" (the UK plan text
asks for it) must lead somewhere. Found by a new-user trial: "I can pay 5 a month",
"none of those work, I can do 10 a month", "none of these are affordable", "can you
freeze the interest please" each got the same plan list again (or "Sorry, I didn't
understand. Reply PAY to pay £300.00"). A counter-offer is never flatly rejected
(UK-03): a person reviews it, and the customer is told so."""

from __future__ import annotations

import pytest

from bot.actions import Audit, Handoff, RecordPlan
from bot.dialogs import context_of, opening, step
from bot.intents import interpret
from bot.types import ConversationState, InboundText
from tests.test_dialogs_support import NOW, SCRIPT, account, facts, of, replies, texts, uk_account


def offered(f):
    st, _ = opening(ConversationState(slots={}), SCRIPT, f, NOW)
    st, _ = step(st, InboundText("plan", interpret("plan", context="notice", now=NOW, tz="America/New_York")),
                 SCRIPT, f, NOW)
    assert context_of(st, SCRIPT) == "plan_offer"
    return st


def reply_to_offer(f, text, st=None):
    st = st or offered(f)
    i = interpret(text, context=context_of(st, SCRIPT), now=NOW, tz="America/New_York")
    return step(st, InboundText(text, i), SCRIPT, f, NOW)


US = facts(account(past_due_minor=30000))
UK = facts(uk_account(identity_required=False))


@pytest.mark.parametrize("f", [US, UK], ids=["us", "uk"])
@pytest.mark.parametrize("text,amount", [
    ("I can pay 5 a month", "5.00"),
    ("none of those work, I can do 10 a month", "10.00"),
    ("i can only manage 20 per month", "20.00"),
])
def test_UK_03_an_amount_instead_of_a_choice_goes_to_a_person(f, text, amount):
    st, acts = reply_to_offer(f, text)
    assert of(acts, Handoff) == [Handoff("counter_offer", 3)]
    assert of(acts, RecordPlan) == []
    [t] = texts(acts)
    assert "Payment plans for" not in t
    assert f"you can pay {'£' if f is UK else '$'}{amount}" in t
    assert "A member of our team will look at what you can afford" in t
    assert any(isinstance(a, Audit) and a.rule == "UK-03" for a in acts)
    assert st.mode == "agent"


@pytest.mark.parametrize("text", [
    "none of these are affordable", "too much", "can I pay less", "can you freeze the interest please",
    "these are all too high for me", "都太多了，还不起这么多", "能不能少一点",
])
def test_UK_03_rejecting_every_offer_goes_to_a_person(text):
    st, acts = reply_to_offer(UK, text)
    assert [h.reason for h in of(acts, Handoff)] in (["counter_offer"], ["hardship"])
    assert not any("Payment plans for" in t for t in texts(acts))


@pytest.mark.parametrize("text,option", [("2", 2), ("option 1", 1), ("the first one", 1)])
def test_a_choice_is_still_a_choice(text, option):
    st, acts = reply_to_offer(US, text)
    assert of(acts, Handoff) == []
    assert st.slots.get("plan_choice") == option


def test_a_dated_promise_while_plans_are_on_offer_is_still_a_promise():
    st, acts = reply_to_offer(US, "I can pay 50 on friday")
    assert of(acts, Handoff) == []
    assert "You'll pay $50.00 on Fri Dec 4" in texts(acts)[0]
