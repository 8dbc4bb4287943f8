"""What a new user found in the demo, each at the pure core with the real interpreter
where the wording matters: a changed promise re-confirmed (G-02), plan re-choice, START
when not opted out (US-27), the first question kept across "which account?" and the
identity check (UK-06), switching accounts, the full balance to the right party, "who is
this" before the account is chosen, the creditor named first, distinct plans, grammar."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions import (Audit, Handoff, IssuePayLink, OptIn, RecordPlan, RecordPromise,
                         SetHold)
from bot.dialogs import context_of, opening, plan_options, step
from bot.types import ConversationState, InboundText, TimerFired
from tests.test_dialogs_support import (NOW, POLICY, SCRIPT, account, cn_account, facts, of,
                                        replies, run, said, texts, uk_account)

intents = pytest.importorskip("bot.intents")

CARD = account(account_ref="CARD-88-1002", name="Sam Lee", creditor="Acme Card")
LOAN = account(account_ref="LOAN-77-1003", name="Sam Lee", creditor="Acme Loans",
               balance_minor=500000, past_due_minor=45000, minimum_due_minor=9000)
SAM = facts(CARD, LOAN)


def talk(f, *lines, st=None, opened=True):
    """Feed lines through bot.intents.interpret and step; returns (state, [actions])."""
    if st is None:
        st = opening(ConversationState(), SCRIPT, f, NOW)[0] if opened else ConversationState()
    out = []
    for line in lines:
        acct = f.accounts[0]
        it = intents.interpret(line, context=context_of(st, SCRIPT), now=NOW, tz=acct.timezone,
                               plan_options=plan_options(st), lang_hint=st.slots.get("lang"))
        st, acts = step(st, InboundText(line, it), SCRIPT, f, NOW)
        out.append(acts)
    return st, out


# --- 1, 3: changing a pending promise (G-02) ----------------------------------------------

@pytest.mark.parametrize("change", ["actually make it 100", "make it 100"])
def test_a_new_amount_replaces_the_pending_one_and_is_confirmed_back(change):
    st, [a1, a2, a3] = talk(facts(), "I can pay 50 on friday", change, "yes")
    assert texts(a1) == ["You'll pay $50.00 on Fri Dec 4. Reply YES to confirm or NO to change. "
                         "Reply STOP to opt out."]
    assert texts(a2) == ["You'll pay $100.00 on Fri Dec 4. Reply YES to confirm or NO to change. "
                         "Reply STOP to opt out."]
    assert not of(a2, IssuePayLink)                 # not read as "pay the whole past-due amount"
    assert of(a3, RecordPromise) == [RecordPromise("ACC-100-4521", 10000, dt.date(2026, 12, 4))]
    assert texts(a3)[0].startswith("Confirmed: $100.00 on Fri Dec 4")


def test_a_new_date_replaces_the_pending_one():
    st, [a1, a2, a3] = talk(facts(), "I can pay 50 on friday", "make it monday", "yes")
    assert texts(a2)[0].startswith("You'll pay $50.00 on Mon Dec 7.")
    assert of(a3, RecordPromise) == [RecordPromise("ACC-100-4521", 5000, dt.date(2026, 12, 7))]


def test_an_unreadable_reply_to_the_confirmation_repeats_it_in_full():
    st, [a1, a2] = talk(facts(), "I can pay 50 on friday", "hmm")
    assert texts(a2)[0].startswith("You'll pay $50.00 on Fri Dec 4. Reply YES")


@pytest.mark.parametrize("state_name,slots,want_state,want", [
    ("promise_confirm", {"promise": {"amount_minor": 5000, "date": "2026-12-04"}}, "promise_confirm",
     "You'll pay $100.00 on Fri Dec 4."),
    ("ask_date", {"promise": {"amount_minor": 5000}}, "ask_date", "Thanks. On what date can you pay $100.00?"),
    ("ask_amount", {"promise": {"date": "2026-12-04"}}, "promise_confirm", "You'll pay $100.00 on Fri Dec 4."),
])
@pytest.mark.parametrize("intent,conf", [("pay", 0.6), ("unknown", 0.3)])
def test_pay_or_unknown_with_an_amount_updates_the_pending_promise(state_name, slots, want_state, want,
                                                                    intent, conf):
    st = ConversationState(state_name, {"account_ref": "ACC-100-4521", "lang": "en", **slots})
    st, acts = step(st, said("make it 100", intent, conf=conf, amount="100"), SCRIPT, facts(), NOW)
    assert not of(acts, IssuePayLink)
    assert st.state == want_state and st.slots["promise"]["amount_minor"] == 10000
    assert texts(acts)[0].startswith(want)


# --- 2: plan re-choice --------------------------------------------------------------------

def test_choosing_a_plan_again_shows_it_again_or_the_new_one():
    f = facts(cn_account())
    st, [a1, a2, a3, a4, a5] = talk(f, "我想分期", "2", "2", "1", "是")
    line2 = texts(a2)[0].split("\n")[1]
    assert line2.startswith("2）") and texts(a3)[0] == texts(a2)[0]          # the same plan again
    assert "您选择了：\n回复" not in texts(a3)[0]
    assert texts(a4)[0].split("\n")[1].startswith("1）")                     # or the newly chosen one
    [plan] = of(a5, RecordPlan)
    assert plan.kind == "instalments" and len(plan.instalments) == 6
    assert sum(a for _, a in plan.instalments) == 260000


def test_plan_confirm_reports_the_numbered_options():
    st, _ = talk(facts(), "plan", "2")
    assert st.state == "plan_confirm" and plan_options(st) == 4


# --- 4: START when not opted out (US-27) --------------------------------------------------

def test_start_when_not_opted_out_confirms_nothing_and_answers_with_the_menu():
    f = facts(cn_account())
    st, acts = talk(f, "开通", "订阅", "START", opened=False)
    for a in acts:
        assert not of(a, OptIn)
        assert "optin_confirmation" not in [r.kind for r in replies(a)]
        assert [r.template for r in replies(a)] == ["notice"]
        assert any(isinstance(x, Audit) and x.rule == "US-27" and x.detail["optin"] is False for x in a)
    # opted out: exactly one confirmation, as before
    st, [a4] = talk(facts(cn_account(), opted_out=frozenset({"sms"})), "START",
                    st=ConversationState("menu", {"opted_out": True}))
    assert OptIn() in a4 and [r.kind for r in replies(a4)] == ["optin_confirmation"]


def test_start_when_not_opted_out_stays_quiet_where_the_bot_is_quiet():
    for st, f in [(ConversationState("menu", {}, "agent"), facts()),
                  (ConversationState("menu", {}), facts(keyword_replies="provider"))]:
        _, acts = step(st, said("START", "start"), SCRIPT, f, NOW)
        assert replies(acts) == [] and not of(acts, OptIn)


# --- 5: the first question survives "which account?" and the identity check (UK-06) --------

def test_balance_asked_before_the_account_is_chosen_is_answered_after():
    st, [a1, a2] = talk(SAM, "whats my balance", "1003", opened=False)
    assert [r.template for r in replies(a1)] == ["choose_account"] and "$" not in texts(a1)[0]
    assert st.slots["account_ref"] == "LOAN-77-1003"
    assert texts(a2) == ["Hi Sam Lee, this is Acme Loans. Your balance is $5,000.00. Past due: $450.00; "
                         "minimum due: $90.00. Reply PAY, PLAN, or STOP to opt out."]
    assert "pending_request" not in st.slots


def test_pay_asked_before_the_account_is_chosen_gets_the_link_after():
    st, [a1, a2] = talk(SAM, "pay", "1", opened=False)
    assert not of(a1, IssuePayLink)                                 # never before the choice
    assert of(a2, IssuePayLink) == [IssuePayLink("CARD-88-1002")]
    assert texts(a2)[0].startswith("Hi Sam Lee, this is Acme Card. You can pay $300.00 securely here: https://")


def test_a_promise_before_the_choice_keeps_its_amount_and_date():
    st, [a1, a2] = talk(SAM, "I can pay 50 on friday", "2", opened=False)
    assert st.state == "promise_confirm"
    assert texts(a2)[0].startswith("Hi Sam Lee, this is Acme Loans. You'll pay $50.00 on Fri Dec 4.")


def test_uk_balance_asked_before_the_identity_check_is_answered_after_it():
    f = facts(uk_account())
    st, [a1, a2] = talk(f, "whats my balance", "SW1A 1AA", opened=False)
    assert [r.template for r in replies(a1)] == ["verify_question"] and "£" not in texts(a1)[0]
    assert replies(a2) == []                                           # the runner checks the hash
    st, [a3] = run(st, f, TimerFired("identity_checked", {"ok": False}))
    assert "£" not in " ".join(texts(a3))
    st, [a4] = run(st, f, TimerFired("identity_checked", {"ok": True}))
    assert [r.template for r in replies(a4)] == ["balance_full"]
    assert texts(a4)[0].startswith("Your balance is £1,200.00. Past due: £300.00")


# --- 6: switching accounts ----------------------------------------------------------------

@pytest.mark.parametrize("ask", ["what about my other account", "switch account", "另一个账户"])
def test_back_to_the_account_question(ask):
    st, [a1, a2] = talk(SAM, "1", ask)
    assert st.state == "choose_account" and "account_ref" not in st.slots
    assert [r.template for r in replies(a2)] == ["choose_account"]
    st, [a3] = talk(SAM, "2", st=st)
    assert st.slots["account_ref"] == "LOAN-77-1003" and "$450.00" in texts(a3)[0]


def test_the_last_four_digits_of_another_account_switch_to_it():
    st, [a1, a2] = talk(SAM, "1", "1003")
    assert st.slots["account_ref"] == "LOAN-77-1003" and st.state == "menu"
    assert texts(a2)[0].startswith("Hi Sam Lee, this is Acme Loans.") and "$450.00" in texts(a2)[0]
    st, [a3] = talk(SAM, "1002", st=st)
    assert st.slots["account_ref"] == "CARD-88-1002" and "$300.00" in texts(a3)[0]


def test_four_digits_in_an_amount_question_stay_an_amount():
    st = ConversationState("ask_amount", {"account_ref": "CARD-88-1002", "lang": "en",
                                          "promise": {"date": "2026-12-04"}})
    st, acts = step(st, said("1003", "promise", amount="1003"), SCRIPT, SAM, NOW)
    assert st.slots["account_ref"] == "CARD-88-1002" and st.slots["promise"]["amount_minor"] == 100300


def test_a_switch_drops_the_other_accounts_pending_promise():
    st, _ = talk(SAM, "1", "I can pay 50 on friday", "switch account")
    assert "promise" not in st.slots and st.state == "choose_account"


# --- 7: the full balance to the right party -------------------------------------------------

def test_full_balance_to_the_number_on_file_where_no_check_is_required():
    st, [a1] = talk(facts(), "whats my balance")
    assert [r.template for r in replies(a1)] == ["balance_full"] and "$1,200.00" in texts(a1)[0]
    st, [a2] = talk(facts(uk_account()), "whats my balance")          # UK-06: not before the check
    assert "£" not in texts(a2)[0]


# --- 8: "which account?" pending -------------------------------------------------------------

def test_who_is_this_is_answered_while_the_account_question_is_pending():
    st, [a1] = talk(SAM, "who is this")
    assert st.state == "choose_account"
    assert texts(a1) == ["This is Acme Card / Acme Loans. You can reach us at 1-800-555-0100. "
                         "Reply STOP to opt out."]
    assert "Sam" not in texts(a1)[0] and "$" not in texts(a1)[0] and "1002" not in texts(a1)[0]


def test_the_account_question_is_reasked_twice_then_a_person_takes_over():
    n = POLICY["dialog"]["misses_before_handoff"]
    st, acts = talk(SAM, *["hello?"] * (n + 1))
    for a in acts[:n]:
        assert [r.template for r in replies(a)] == ["choose_account"] and not of(a, Handoff)
    assert of(acts[n], Handoff)[0].reason == "misunderstood" and st.mode == "agent"
    assert [r.kind for r in replies(acts[n])] == ["handoff_notice"]


# --- 9: say who is writing first -------------------------------------------------------------

def test_a_first_message_promise_names_the_creditor_first():
    st, [a1, a2] = talk(facts(), "I can pay 50 on friday", "make it 100", opened=False)
    assert texts(a1) == ["Hi Ana Diaz, this is Acme Card. You'll pay $50.00 on Fri Dec 4. Reply YES to "
                         "confirm or NO to change. Reply STOP to opt out."]
    assert texts(a2)[0].startswith("You'll pay $100.00")                # once is enough


def test_a_first_message_in_chinese_names_the_creditor_first():
    st, [a1] = talk(facts(cn_account()), "下周五还", opened=False)
    assert texts(a1) == ["王芳您好，这里是华信银行。您能还款多少？逾期金额为¥2,600.00。回复“退订”停止接收短信。"]


@pytest.mark.parametrize("line", ["pay", "plan", "whats my balance", "yes", "I can pay 5 on friday"])
def test_every_first_reply_about_the_debt_says_who_is_writing(line):
    st, [a1] = talk(facts(), line, opened=False)
    rs = texts(a1)
    assert len(rs) == 1 and "Acme Card" in rs[0], rs          # one message: no extra segment
    st, [a2] = talk(facts(), line)                               # after the notice: no greeting
    assert all("Hi Ana" not in t for t in texts(a2))


# --- 11: grammar -----------------------------------------------------------------------------

def test_identity_failed_says_tries_left_plainly():
    for lang, want in [("en", "Sorry, that didn't match. Please try again. Tries left: 1."),
                       ("zh", "抱歉，信息不匹配，请重试。剩余尝试次数：1。")]:
        f = facts(uk_account())
        st = ConversationState("verify", {"account_ref": "UK-300-7788", "identity_tries": 1, "lang": lang})
        _, acts = step(st, TimerFired("identity_checked", {"ok": False}), SCRIPT, f, NOW)
        assert texts(acts) == [want]


def test_a_script_without_the_greeting_placeholder_gets_a_short_greeting_reply_first():
    from bot.dialogs import default_script_text, load_script
    from bot.templates import render
    text = default_script_text().replace(
        'en = "{% if greeting %}{{ greeting }} {% endif %}You can pay {{ past_due }} securely here: {{ pay_link }} '
        '(link expires soon). Reply STOP to opt out."',
        'en = "You can pay {{ past_due }} securely here: {{ pay_link }} (link expires soon). Reply STOP to opt out."')
    script = load_script(text)
    st, acts = step(ConversationState(), said("pay", "pay"), script, facts(), NOW)
    rs = replies(acts)
    assert [r.template for r in rs] == ["greeting", "pay_link"]
    assert render(script, "greeting", "en", rs[0].params) == "Hi Ana Diaz, this is Acme Card."


def test_vulnerability_does_not_wait_for_the_account_question():   # UK-07
    st, [a1] = talk(SAM, "I can't pay, my husband just died")
    assert of(a1, Handoff)[0].reason == "hardship" and st.mode == "agent"
    assert [r.template for r in replies(a1)] == ["hardship"] and "$" not in texts(a1)[0]
    assert SetHold("vulnerability", None, rule="UK-07") in a1
