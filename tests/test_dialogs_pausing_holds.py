"""Pausing holds at the pure core (US-16 dispute, UK-07 vulnerability, "already paid",
US-06 an opt-out under review; G-01): the bot answers no message with collection content
while one stands — the message reaches a person, the customer is told so once — and the
gate refuses collection templates under them even as a reply (the second line). Also
UK-06: an agent cannot record a promise or plan on a thread whose identity was never
confirmed, and a reply listing several postcodes is one failed try.

Found by attack 1207e (findings 10, 13, 6); the e2e tests are in
``tests/regressions/test_attack_1207e.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions import Audit, Handoff, OptOut, RecordPlan, RecordPromise, SetHold
from bot.dialogs import step
from bot.dialogs.script import COLLECTION_PARAMS, is_collection
from bot.gate import PAUSING_HOLDS, Candidate, GateContext, decide
from bot.identity import answers, candidates, several_answers
from bot.types import AgentAction, ConversationState
from tests.test_dialogs_support import (NOW, SCRIPT, account, facts, of, replies, run, said,
                                        texts, uk_account)

MONEY = ("$", "£", "pay.example", "{{")


def _asks(actions) -> list[str]:
    return [t for t in texts(actions) if any(m in t for m in MONEY)]


# --- the engine: a person answers, once told ------------------------------------------

@pytest.mark.parametrize("hold,reason,priority", [("dispute", "dispute", 2), ("vulnerability", "hardship", 2),
                                                  ("paid_already", "paid_already", 2),
                                                  ("optout_review", "optout_review", 1)])
def test_US_16_UK_07_a_message_under_a_pausing_hold_reaches_a_person_with_no_collection(hold, reason, priority):
    f = facts(account(holds=(hold,)))
    st = ConversationState("menu", {"lang": "en"})
    st, [a1] = run(st, f, said("how much do I owe? send me the pay link", "pay"))
    assert of(a1, Handoff) == [Handoff(reason, priority)]
    assert [r.template for r in replies(a1)] == ["handoff_notice"]
    assert [r.kind for r in replies(a1)] == ["handoff_notice"]
    assert _asks(a1) == []
    assert not of(a1, RecordPromise) and st.mode == "agent"
    assert any(isinstance(a, Audit) and a.detail.get("paused") == "hold" for a in a1)


def test_US_16_the_notice_is_not_repeated_after_a_hand_back():
    f = facts(account(holds=("dispute",)))
    st = ConversationState("menu", {"lang": "en"})
    st, [a1] = run(st, f, said("hi", "greeting"))
    assert [r.template for r in replies(a1)] == ["handoff_notice"]
    assert st.slots["hold_notice"] == ["dispute"]
    st, [back] = run(st, f, AgentAction("hand_back", "agent@x.test", {"state": "menu"}))
    assert st.mode == "bot"
    st, [a2, a3] = run(st, f, said("I can pay 50 on friday", "promise"), said("yes", "confirm"))
    assert replies(a2) == [] and replies(a3) == []              # told once already
    assert of(a2, Handoff) == [Handoff("dispute", 2)]          # ... but a person has it again
    assert not of(a2 + a3, RecordPromise) and "promise" not in st.slots


def test_US_16_the_customers_own_dispute_ack_counts_as_the_notice():
    f = facts(account())
    st = ConversationState("menu", {"lang": "en"})
    st, [a1] = run(st, f, said("this is not my debt", "dispute"))
    assert SetHold("dispute", "ACC-100-4521", rule="US-16") in a1
    assert st.slots["hold_notice"] == ["dispute"]
    held = facts(account(holds=("dispute",)))
    st, _ = run(st, held, AgentAction("hand_back", "agent@x.test", {"state": "menu"}))
    st, [a2] = run(st, held, said("pay", "pay"))
    assert replies(a2) == [] and of(a2, Handoff) == [Handoff("dispute", 2)]


def test_US_16_stop_help_and_start_are_still_answered_under_a_dispute_hold():
    f = facts(account(holds=("dispute",)))
    st = ConversationState("menu", {"lang": "en"})
    _, [h] = run(st, f, said("HELP", "help"))
    assert [r.kind for r in replies(h)] == ["help"] and _asks(h) == []
    _, [s] = run(st, f, said("STOP", "stop"))
    assert of(s, OptOut) and [r.kind for r in replies(s)] == ["optout_confirmation"]
    # START from a number that is not opted out is read as a greeting: a person answers it
    _, [g] = run(st, f, said("START", "start"))
    assert of(g, Handoff) == [Handoff("dispute", 2)] and _asks(g) == []


def test_US_16_a_confirmed_identity_under_a_dispute_hold_gets_no_menu():
    from bot.types import TimerFired

    f = facts(uk_account(holds=("dispute",)))
    st = ConversationState("verify", {"lang": "en", "account_ref": "UK-300-7788"})
    st, [a1] = run(st, f, TimerFired("identity_checked", {"ok": True}))
    assert st.slots["identity_confirmed"] == ["UK-300-7788"]
    assert _asks(a1) == [] and of(a1, Handoff) == [Handoff("dispute", 2)]


def test_G_01_a_silencing_hold_still_wins_over_a_pausing_one():
    f = facts(account(holds=("cease", "dispute")))
    st, [a1] = run(ConversationState("menu", {"lang": "en"}), f, said("pay", "pay"))
    assert replies(a1) == [] and of(a1, Handoff) == [Handoff("hold_review", 3)]


# --- the gate: collection templates refused under a pausing hold, answers go --------------

def test_US_16_gate_refuses_collection_content_in_a_reply_under_a_pausing_hold():
    for hold, rule in (("dispute", "US-16"), ("vulnerability", "UK-07"), ("paid_already", "G-01"),
                       ("optout_review", "US-06")):
        ctx = GateContext(holds=(hold,))
        v = decide(Candidate("reply", collection=True), ctx)
        assert (v.action, v.rule) == ("refuse", rule), hold
        for kind in ("reply", "help", "optout_confirmation", "optin_confirmation", "handoff_notice"):
            assert decide(Candidate(kind), ctx).action == "send", (hold, kind)
    # no hold: a collection reply goes; a wrong-number hold is not a pausing one (US-12 path)
    assert decide(Candidate("reply", collection=True), GateContext()).action == "send"
    assert "wrong_number" not in PAUSING_HOLDS
    # dispute wins the rule when several pausing holds stand
    v = decide(Candidate("reply", collection=True), GateContext(holds=("vulnerability", "dispute")))
    assert v.rule == "US-16"


def test_US_16_collection_templates_are_the_marked_ones_and_the_ones_asking_for_money():
    for key in ("notice", "notice_short", "pay_link", "pay_link_uk", "balance", "balance_full", "plan_offer",
                "plan_confirm", "promise_confirm", "promise_recorded", "ask_amount", "promise_review",
                "promise_reminder"):
        assert is_collection(SCRIPT, key), key
    for key in ("help", "handoff_notice", "dispute_ack", "paid_already_ack", "hardship",
                "optout_confirmation", "verify_question", "unknown_sender", "nope"):
        assert not is_collection(SCRIPT, key), key
    assert {"past_due", "balance", "pay_link", "options", "amount"} <= COLLECTION_PARAMS
    assert not {"name", "last4", "greeting"} & COLLECTION_PARAMS


# --- UK-06: an agent's promise on an unconfirmed thread ----------------------------------

def test_UK_06_an_agent_cannot_record_a_promise_or_plan_before_the_identity_check():
    f = facts(uk_account())
    st = ConversationState("verify", {"lang": "en", "account_ref": "UK-300-7788"}, mode="agent")
    due = (NOW + dt.timedelta(days=4)).date().isoformat()
    _, acts = step(st, AgentAction("record_promise", "agent@x.test",
                                   {"account_ref": "UK-300-7788", "amount_minor": 5000, "due_date": due}),
                   SCRIPT, f, NOW)
    assert not of(acts, RecordPromise)
    assert Audit("UK-06", {"agent_error": "identity_unconfirmed", "account_ref": "UK-300-7788"}) in acts
    _, acts = step(st, AgentAction("record_plan", "agent@x.test", {"account_ref": "UK-300-7788", "option": 1}),
                   SCRIPT, f, NOW)
    assert not of(acts, RecordPlan)
    # confirmed in this thread: recorded
    ok = ConversationState("menu", {"lang": "en", "account_ref": "UK-300-7788",
                                    "identity_confirmed": ["UK-300-7788"]}, mode="agent")
    _, acts = step(ok, AgentAction("record_promise", "agent@x.test",
                                   {"account_ref": "UK-300-7788", "amount_minor": 5000, "due_date": due}),
                   SCRIPT, f, NOW)
    assert of(acts, RecordPromise)
    # a profile without identity_check: recorded as before
    _, acts = step(ConversationState("menu", {"lang": "en"}, mode="agent"),
                   AgentAction("record_promise", "agent@x.test",
                               {"account_ref": "ACC-100-4521", "amount_minor": 5000, "due_date": due}),
                   SCRIPT, facts(account()), NOW)
    assert of(acts, RecordPromise)


# --- UK-06: one answer, one guess ---------------------------------------------------------

def test_UK_06_a_reply_listing_several_postcodes_yields_nothing_to_test():
    guesses = "E1 6AN M1 1AE B1 1BB LS1 1UR G1 1XQ CF10 1EP"
    assert len(answers(guesses, "postal_code")) == 6 and several_answers(guesses, "postal_code")
    assert candidates(guesses, question="postal_code") == []
    assert candidates("it is SW1A 1AA or E1 6AN", question="postal_code") == []
    assert candidates("E 16 AN M 11 AE", question="postal_code") == []   # spaced out: still two
    assert candidates("1980 1981 1982", question="birth_year") == []
    assert candidates("1234 or 5678", question="last4") == []


@pytest.mark.parametrize("text", ["my postcode is SW1A 1AA", "SW1A 1AA, yes SW1A1AA", "sw1a-1aa",
                                  "ＳＷ１Ａ １ＡＡ", "my postcode's N1 9GU", "EC1A 1BB please"])
def test_UK_06_one_postcode_however_written_is_still_one_answer(text):
    assert len(answers(text, "postal_code")) == 1
    assert candidates(text, question="postal_code") != []


def test_UK_06_one_answer_of_other_shapes_and_unknown_questions():
    assert answers("90210-1234", "postal_code") == {"902101234"}        # ZIP+4 is one answer
    assert answers("born 3/4/1988", "birth_year") == {"1988"}
    assert "1988" in candidates("born 3/4/1988", question="birth_year")
    assert answers("anything 1 2", "favourite_colour") == set()         # no known shape
    assert candidates("SW1A 1AA E1 6AN") != []                          # no question: as before


def test_UK_06_hard_rules_refuse_an_amount_to_an_unconfirmed_party_under_identity_check():
    from bot.lint import hard_rules

    uk = {"jurisdiction": "UK", "identity_check": True}
    text = "Hi Olivia, a friendly reminder: your payment of £50.00 is due Fri Dec 4. Reply STOP to opt out."
    assert [p.rule for p in hard_rules(text, profile=uk, identity_confirmed=False)] == ["UK-06"]
    assert hard_rules(text, profile=uk, identity_confirmed=True) == []
    assert hard_rules(text, profile=uk) == []                                   # not checked
    assert hard_rules(text, profile={"jurisdiction": "UK"}, identity_confirmed=False) == []
    assert hard_rules("This is Northwind Card. Reply STOP to opt out.", profile=uk,
                      identity_confirmed=False) == []
