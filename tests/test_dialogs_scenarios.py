"""Conversations through the default script at the pure core (pay, plan, promise,
split promise, stop in a sentence, START, handoff silence, dispute, wrong number,
Chinese plan, several accounts, identity, reply cap, ...)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.actions import (Audit, Flag, Handoff, IssuePayLink, OfferPlans, OptIn, OptOut,
                         Quarantine, RecordPlan, RecordPromise, Reply, SetHold)
from bot.dialogs import context_of, opening, plan_options, step
from bot.types import (AgentAction, ConversationState, PaymentPosted, TimerFired)
from tests.test_dialogs_support import (NOW, NY, POLICY, SCRIPT, account, cn_account, facts,
                                        of, replies, run, said, texts, uk_account)


def opened(f=None, lang=None):
    f = f or facts()
    st = ConversationState(slots={"lang": lang} if lang else {})
    return opening(st, SCRIPT, f, NOW)


def test_opening_is_a_collection_notice_with_opt_out():  # US-04
    st, acts = opened()
    assert st.state == "menu" and context_of(st, SCRIPT) == "notice"
    [r] = replies(acts)
    assert r.kind == "notice"
    [t] = texts(acts)
    assert t == ("Hi Ana Diaz, this is Acme Card. Your account is past due: $300.00 is due by "
                 "Mon Dec 7. Reply PAY, PLAN, or STOP to opt out.")


def test_pay_issues_link_then_reply():
    st, _ = opened()
    st, [acts] = run(st, facts(), said("pay", "pay"))
    assert isinstance(acts[0], IssuePayLink) and acts[0].account_ref == "ACC-100-4521"
    [r] = replies(acts)
    assert r.template == "pay_link" and "pay_link" not in r.params   # the runner fills it
    assert "https://pay.example.com/p/TOKEN" in texts(acts)[0]
    assert "ACC-100-4521" not in texts(acts)[0]


def test_plan_choose_confirm_record_exact_sums():
    f = facts(account(past_due_minor=10001))
    st, [a0] = run(opened(f)[0], f, said("plan", "plan"))
    # 6 x $16.67 and 12 x $8.33 would fall below min_instalment ($25): dropped
    assert [(p["kind"], len(p["instalments"])) for p in of(a0, OfferPlans)[0].plans] == [
        ("deferral", 1), ("interest_free", 3)]
    f = facts(account(past_due_minor=30001))
    st, _ = opened(f)
    st, [a1] = run(st, f, said("plan", "plan"))
    [offer] = of(a1, OfferPlans)
    assert st.state == "plan_offer" and context_of(st, SCRIPT) == "plan_offer"
    assert plan_options(st) == len(offer.plans) == 4
    assert [len(p["instalments"]) for p in offer.plans] == [6, 12, 1, 3]
    for p in offer.plans:
        assert sum(a for _, a in p["instalments"]) == 30001
    st, [a2, a3] = run(st, f, said("1", "choice", option=1), said("yes", "affirm"))
    assert st.state == "menu" and context_of(st, SCRIPT) == "notice" and plan_options(st) == 0
    assert "Reply YES to confirm" in texts(a2)[0]
    [plan] = of(a3, RecordPlan)
    assert plan.kind == "instalments"
    assert [a for _, a in plan.instalments] == [5001, 5000, 5000, 5000, 5000, 5000]   # remainder first
    assert sum(a for _, a in plan.instalments) == 30001
    t = texts(a3)[0]
    for d, a in plan.instalments:   # the confirmation lists the recorded instalments
        from bot.dialogs import format_date
        assert f"{format_date(d, 'en')}: ${a // 100}.{a % 100:02d}" in t


def test_plan_deny_goes_back_to_menu():
    st, _ = opened()
    st, [_, a2, a3] = run(st, facts(), said("plan", "plan"), said("2", "choice", option=2), said("no", "deny"))
    assert st.state == "menu" and not of(a3, RecordPlan) and "plans" not in st.slots


def test_plan_choice_out_of_range_reoffers():
    st, _ = opened()
    st, [_, a2] = run(st, facts(), said("plan", "plan"), said("9", "choice", option=9))
    assert st.state == "plan_offer" and replies(a2)[0].template == "plan_offer"


def test_promise_in_one_message():
    st, _ = opened()
    st, [a1, a2] = run(st, facts(), said("I can pay $50 on friday", "promise", amount="50",
                                        date=dt.date(2026, 12, 4)), said("yes", "affirm"))
    assert texts(a1)[0].startswith("You'll pay $50.00 on Fri Dec 4")
    assert of(a2, RecordPromise) == [RecordPromise("ACC-100-4521", 5000, dt.date(2026, 12, 4))]
    assert texts(a2)[0].startswith("Confirmed: $50.00 on Fri Dec 4")   # G-02


def test_split_promise_keeps_the_amount():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("I can pay $50 on", "promise", amount="50"))
    assert st.state == "ask_date" and context_of(st, SCRIPT) == "ask_date"
    assert st.slots["promise"] == {"amount_minor": 5000}
    st, [a2, a3] = run(st, facts(), said("friday if that works", "promise", date=dt.date(2026, 12, 4)),
                       said("yes", "affirm"))
    assert st.state == "menu"
    [p] = of(a3, RecordPromise)
    assert (p.amount_minor, p.due_date) == (5000, dt.date(2026, 12, 4))
    assert texts(a3)[0].startswith("Confirmed: $50.00 on Fri Dec 4")


def test_promise_without_amount_asks_the_amount():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("I'll pay friday", "promise", date=dt.date(2026, 12, 4)))
    assert st.state == "ask_amount" and context_of(st, SCRIPT) == "ask_amount"
    st, [a2] = run(st, facts(), said("100", "promise", amount="100"))
    assert st.state == "promise_confirm" and "$100.00 on Fri Dec 4" in texts(a2)[0]


def test_promise_in_the_past_is_reasked():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("50 on the 20th", "promise", amount="50", date=dt.date(2026, 11, 20)))
    assert st.state == "ask_date" and replies(a1)[0].template == "promise_bad_date"
    assert not of(a1, RecordPromise)


def test_promise_today_after_allowed_hours_is_reasked():
    late = dt.datetime(2026, 11, 30, 21, 30, tzinfo=NY)
    st, _ = opened()
    st, [a1] = run(st, facts(), said("50 today", "promise", amount="50", date=dt.date(2026, 11, 30)), now=late)
    assert st.state == "ask_date" and replies(a1)[0].template == "promise_bad_date"


@pytest.mark.parametrize("amount,date", [("50", dt.date(2027, 2, 1)), ("5", dt.date(2026, 12, 4))])
def test_promise_out_of_policy_is_a_counter_offer_for_a_person(amount, date):   # UK-03
    st, _ = opened()
    st, [a1] = run(st, facts(), said("x", "promise", amount=amount, date=date))
    assert of(a1, Handoff)[0].reason == "counter_offer"
    assert any(isinstance(a, Audit) and a.rule == "UK-03" for a in a1)
    t = texts(a1)[0]
    assert "review" in t and "reject" not in t.lower()
    assert st.mode == "agent"


def test_stop_in_a_sentence():
    st, _ = opened()
    f = facts(keyword_replies="provider")
    st, [a1] = run(st, f, said("please stop texting me", "stop", channel="sms"))
    assert of(a1, OptOut) == [OptOut(frozenset({"sms"}))]
    assert [r.kind for r in replies(a1)] == ["optout_confirmation"]   # not a provider keyword
    assert context_of(st, SCRIPT) == "opted_out"


def test_exact_stop_under_provider_is_recorded_quietly():
    st, _ = opened()
    st, [a1] = run(st, facts(keyword_replies="provider"), said("STOP", "stop", channel="sms"))
    assert of(a1, OptOut) and replies(a1) == []
    st2, [a2] = run(opened()[0], facts(keyword_replies="app"), said("STOP", "stop", channel="sms"))
    assert [r.kind for r in replies(a2)] == ["optout_confirmation"]


def test_second_stop_gets_no_reply_and_start_opts_back_in():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("stop", "stop"))
    f = facts(opted_out=frozenset({"sms"}))
    st, [a2, a3, a4] = run(st, f, said("STOP!!", "stop"), said("pay", "pay"), said("START", "start"))
    assert replies(a2) == [] and replies(a3) == []
    assert OptIn() in a4 and [r.kind for r in replies(a4)] == ["optin_confirmation"]
    assert context_of(st, SCRIPT) == "notice"
    # provider answers the exact keyword START itself: recorded, no reply from Duly
    st5, a5 = step(ConversationState("menu", {"opted_out": True}), said("start", "start"),
                   SCRIPT, facts(opted_out=frozenset({"sms"}), keyword_replies="provider"), NOW)
    assert OptIn() in a5 and replies(a5) == []


def test_stop_voice_only_keeps_texting_and_says_so():   # US-05
    st, _ = opened()
    st, [a1] = run(st, facts(), said("stop calling me", "stop", channel="voice"))
    assert of(a1, OptOut) == [OptOut(frozenset({"voice"}))]
    assert [r.kind for r in replies(a1)] == ["reply"]
    assert "phone calls" in texts(a1)[0]
    assert context_of(st, SCRIPT) == "notice"


def test_stop_all_is_a_cease_hold():   # US-17
    st, _ = opened()
    st, [a1] = run(st, facts(), said("do not contact me anymore", "stop", channel="all"))
    assert of(a1, OptOut) == [OptOut(frozenset({"sms", "voice", "email"}))]
    assert SetHold("cease", None, rule="US-17") in a1
    assert [r.kind for r in replies(a1)] == ["optout_confirmation"]


def test_handoff_silence_then_hand_back():   # G-01
    st, _ = opened()
    st, [a1] = run(st, facts(), said("talk to a person", "agent"))
    assert of(a1, Handoff) == [Handoff("agent_request", 2)]
    assert [r.kind for r in replies(a1)] == ["handoff_notice"]
    assert st.mode == "agent"
    st, acts = run(st, facts(), said("pay", "pay"), said("hello?", "unknown"), said("plan", "plan"),
                   said("help", "help"))
    assert all(replies(a) == [] for a in acts[:3])
    assert [r.kind for r in replies(acts[3])] == ["help"]
    st, [a5] = run(st, facts(), said("stop", "stop"))
    assert [r.kind for r in replies(a5)] == ["optout_confirmation"]
    st, _ = run(ConversationState("menu", {}, "agent"), facts(), AgentAction("hand_back", "ag1", {"state": "menu"}))
    assert st.mode == "bot"


def test_dispute_holds_and_hands_off():   # US-16
    st, _ = opened()
    st, [a1] = run(st, facts(), said("this is not my debt", "dispute"))
    assert SetHold("dispute", "ACC-100-4521", rule="US-16") in a1
    assert of(a1, Handoff)[0].reason == "dispute" and Flag("dispute") in a1
    assert "$" not in texts(a1)[0]


def test_attorney_no_debt_talk():   # US-18
    st, [a1] = run(opened()[0], facts(), said("talk to my lawyer", "attorney"))
    assert SetHold("attorney", "ACC-100-4521", rule="US-18") in a1 and Flag("attorney") in a1
    assert "$" not in texts(a1)[0] and not of(a1, IssuePayLink)


def test_wrong_number_quarantines_and_discloses_nothing():   # US-12, UK-06
    st, [a1] = run(opened()[0], facts(), said("wrong number", "wrong_number"))
    assert Quarantine() in a1 and Flag("wrong_number") in a1
    [t] = texts(a1)
    assert "Ana" not in t and "$" not in t and "Acme" not in t
    st, [a2] = run(st, facts(), said("pay", "pay"))
    assert replies(a2) == [] and not of(a2, IssuePayLink)


def test_paid_already_pauses_and_hands_off():
    st, [a1] = run(opened()[0], facts(), said("I already paid", "paid_already"))
    assert SetHold("paid_already", "ACC-100-4521", rule="G-01") in a1
    assert of(a1, Handoff)[0].reason == "paid_already" and Flag("paid_already") in a1


def test_hardship_uk_signposts_free_advice_and_vulnerability_holds():   # UK-01, UK-04, UK-07
    f = facts(uk_account(identity_confirmed=True))
    st, [a1] = run(opened(f)[0], f, said("I lost my job and my husband just died", "hardship"))
    assert of(a1, Handoff)[0].reason == "hardship"
    assert SetHold("vulnerability", "UK-300-7788", rule="UK-07") in a1
    assert "MoneyHelper" in texts(a1)[0]
    f2 = facts()
    st, [a2] = run(opened(f2)[0], f2, said("I lost my job", "hardship"))
    assert not of(a2, SetHold) and "MoneyHelper" not in texts(a2)[0]


def test_auto_reply_is_ignored():
    st0, _ = opened()
    st, [a1] = run(st0, facts(), said("I'm driving", "auto_reply"))
    assert replies(a1) == [] and st.state == st0.state


def test_unknown_reasks_then_hands_off():
    st, _ = opened()
    n = POLICY["dialog"]["misses_before_handoff"]
    st, acts = run(st, facts(), *[said("blah", "unknown")] * (n + 1))
    for a in acts[:n]:
        assert replies(a)[0].template == "reask" and not of(a, Handoff)
    assert of(acts[n], Handoff)[0].reason == "misunderstood"


def test_low_confidence_reading_counts_as_a_miss():
    st, [a1] = run(opened()[0], facts(), said("pay?", "pay", conf=0.2))
    assert not of(a1, IssuePayLink) and replies(a1)[0].template == "reask"


def test_abuse_hands_off_calmly():
    st, [a1] = run(opened()[0], facts(), said("!!!", "abuse"))
    assert of(a1, Handoff)[0].reason == "abuse" and len(replies(a1)) <= 1


def test_balance_and_who_is_this():
    st, [a1, a2] = run(opened()[0], facts(), said("balance", "balance"), said("who is this", "who_is_this"))
    # a US first-party profile needs no identity check: the number on file is the right
    # party and gets the whole balance (balance_full); UK-06 only gates it where required
    assert texts(a1)[0] == ("Your balance is $1,200.00. Past due: $300.00; minimum due: $50.00. "
                            "Reply PAY, PLAN, or STOP to opt out.")
    assert texts(a2)[0].startswith("This is Acme Card") and "$" not in texts(a2)[0]


def test_chinese_plan_request_answered_in_chinese():
    f = facts(cn_account())
    st, _ = opened(f)
    st, [a1] = run(st, f, said("我想分期", "plan", lang="zh"))
    [r] = replies(a1)
    assert r.lang == "zh"
    t = texts(a1)[0]
    assert "¥2,600.00" in t and "分3期" in t and "退订" in t
    st, [a2, a3] = run(st, f, said("1", "choice", option=1, lang=None), said("是", "affirm", lang="zh"))
    [plan] = of(a3, RecordPlan)
    assert sum(a for _, a in plan.instalments) == 260000
    assert "12月7日（周一）" in texts(a3)[0]


def test_language_follows_the_message():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("还款", "pay", lang="zh"))
    assert replies(a1)[0].lang == "zh" and st.slots["lang"] == "zh"
    st, [a2] = run(st, facts(), said("ok", "balance"))       # unclear: keep zh
    assert replies(a2)[0].lang == "zh"


def test_several_accounts_ask_which_one_first():
    a, b = account(), account(account_ref="LN-555-0042", creditor="Acme Loans", past_due_minor=99900)
    f = facts(a, b)
    st, acts = opened(f)
    assert st.state == "choose_account" and plan_options(st) == 2
    t = texts(acts)[0]
    assert "4521" in t and "0042" in t and "Acme Loans" in t and "$" not in t and "Ana" not in t
    st, [a1] = run(st, f, said("pay", "pay"))                  # no debt detail before the choice
    assert not of(a1, IssuePayLink) and "$" not in texts(a1)[0]
    st, [a2] = run(st, f, said("2", "choice", option=2))
    assert st.slots["account_ref"] == "LN-555-0042" and st.state == "menu"
    assert "$999.00" in texts(a2)[0]
    st3, [a3] = run(opened(f)[0], f, said("the one ending 4521", "unknown"))
    assert st3.slots["account_ref"] == "ACC-100-4521"


def test_unknown_sender_learns_nothing():
    f = facts(accounts=())
    for intent in ("pay", "balance", "plan", "who_is_this", "unknown"):
        st, acts = step(ConversationState(), said(intent, intent), SCRIPT, f, NOW)
        for t in texts(acts):
            assert "$" not in t and "Acme" not in t
        assert not of(acts, IssuePayLink) and not of(acts, OfferPlans)


def test_identity_confirmation_before_debt_detail():   # UK-06
    f = facts(uk_account())
    st, acts = opened(f)
    assert st.state == "verify" and context_of(st, SCRIPT) == "verify"
    assert "£" not in texts(acts)[0] and "postcode" in texts(acts)[0]
    st, [a1] = run(st, f, said("balance?", "balance"))
    assert "£" not in texts(a1)[0]
    st, [a2] = run(st, f, said("SW1A 1AA", "identity_check_answer"))
    assert a2 == [Audit("UK-06", {"identity_answer": True, "account_ref": "UK-300-7788"})]
    st, [a3] = run(st, f, TimerFired("identity_checked", {"ok": True}))
    assert st.state == "menu" and "£300.00" in texts(a3)[0]


def test_identity_wrong_answers_hand_off():
    f = facts(uk_account())
    st, _ = opened(f)
    st, acts = run(st, f, *[TimerFired("identity_checked", {"ok": False})] * 3)
    assert replies(acts[0])[0].template == "identity_failed"
    assert of(acts[2], Handoff)[0].reason == "identity_failed" and st.mode == "agent"


def test_reply_cap_stops_loops():
    cap = POLICY["dialog"]["max_auto_replies_per_hour"]
    st0, _ = opened()
    f = facts(replies_last_hour=cap)
    st, [a1] = run(st0, f, said("pay", "pay"))
    assert replies(a1) == [] and not of(a1, IssuePayLink)
    assert any(isinstance(a, Audit) and a.rule == "US-20" for a in a1)
    assert st.state == st0.state
    st, [a2] = run(st0, f, said("not mine", "dispute"))           # protection still happens
    assert of(a2, SetHold) and of(a2, Handoff)
    assert [r.kind for r in replies(a2)] == ["handoff_notice"]             # a handoff is never silent
    st, [a3] = run(st0, f, said("stop", "stop"))                 # the one confirmation still goes
    assert [r.kind for r in replies(a3)] == ["optout_confirmation"]
    st, [a4] = run(st0, facts(replies_last_hour=cap - 1), said("pay", "pay"))
    assert len(replies(a4)) == 1


def test_payment_posted_and_timers_are_quiet():
    st0, _ = opened()
    st, [a1, a2] = run(st0, facts(), PaymentPosted("ACC-100-4521", 5000, NOW), TimerFired("other"))
    assert replies(a1) == [] and replies(a2) == [] and st.state == st0.state


def test_agent_close_resets_conversation():
    st, _ = run(ConversationState("plan_offer", {"plans": [], "lang": "zh"}, "agent"), facts(),
                AgentAction("close", "ag1"))
    assert st.state == SCRIPT.initial and st.mode == "bot" and st.slots["lang"] == "zh"


def test_step_is_pure_and_deterministic():
    st0, _ = opened()
    ev = said("I can pay $50 on friday", "promise", amount="50", date=dt.date(2026, 12, 4))
    first = step(st0, ev, SCRIPT, facts(), NOW)
    again = step(st0, ev, SCRIPT, facts(), NOW)
    assert first == again
    assert st0.slots.get("promise") is None    # input state untouched


def test_full_balance_only_to_a_confirmed_right_party():   # UK-06
    f = facts(uk_account(identity_confirmed=True))
    st, [a1] = run(opened(f)[0], f, said("balance", "balance"))
    assert "£1,200.00" in texts(a1)[0] and replies(a1)[0].template == "balance_full"


def test_vulnerability_recorded_even_when_silent():   # UK-07
    st, [a1] = run(ConversationState("menu", {"account_ref": "ACC-100-4521"}, "agent"), facts(),
                   said("my husband died", "hardship"))
    assert SetHold("vulnerability", "ACC-100-4521", rule="UK-07") in a1 and replies(a1) == []


def test_UK_06_the_last_wrong_answer_says_it_did_not_match_and_who_helps_next():
    # found by a new-user trial: after the third wrong postcode the customer got only
    # "Thanks. A member of our team will get back to you soon." (out of hours only "Our
    # team is away…"), never that the answer did not match
    f = facts(uk_account())
    st, _ = opened(f)
    st, acts = run(st, f, *[TimerFired("identity_checked", {"ok": False})] * 3)
    [r] = replies(acts[2])
    assert (r.template, r.kind) == ("identity_locked", "handoff_notice")
    assert texts(acts[2]) == ["Sorry, that didn't match. For your security, a member of our team "
                              "will help you confirm who you are."]
