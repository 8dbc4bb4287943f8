"""One arrangement per debt, at the pure core (G-02, UK-03).

The bug: a customer with a pending promise-to-pay ($50 on Friday) texted "plan" and
accepted a plan — both stayed active on the debt (two sets of reminders, and the promise
later "broken" while the customer paid the plan). The step now reads the debt's current
arrangement from the facts (``AccountFacts.promise`` / ``AccountFacts.plan``) and:

* offers plans while a promise is pending with a note that a plan replaces it (NO keeps
  it); accepting records the plan, whose confirmation names the promise it replaced (the
  runner marks that promise ``superseded``);
* asked for a plan while one is active, says what the plan asks next and hands off
  (``plan_change``): the bot never agrees a second plan beside it;
* takes a promise while a plan is active as a payment toward the plan when it is dated by
  the plan's next payment (nothing recorded), and sends a later one to a person (UK-03);
* replaces a pending promise with a changed one (amount or date), and records nothing new
  for the same one again.
"""

from __future__ import annotations

import datetime as dt

from bot.actions import Audit, Handoff, OfferPlans, RecordPlan, RecordPromise, Reply
from bot.dialogs import context_of, opening, step
from bot.intents import interpret
from bot.types import AgentAction as AgentEvent, ConversationState, InboundText, PlanFacts, PromiseFacts
from tests.test_dialogs_support import NOW, SCRIPT, account, cn_account, facts, of, texts

FRI = dt.date(2026, 12, 4)
PROMISE = PromiseFacts(id=7, amount_minor=5000, due_date=FRI)                 # $50.00 on Fri Dec 4
PLAN = PlanFacts(id=9, kind="instalments", next_amount_minor=10000, next_due=dt.date(2026, 12, 10))


def _say(st, f, text, tz="America/New_York"):
    i = interpret(text, context=context_of(st, SCRIPT), now=NOW, tz=tz)
    return step(st, InboundText(text, i), SCRIPT, f, NOW)


def _menu(f):
    st, _ = opening(ConversationState(slots={}), SCRIPT, f, NOW)
    return st


def _audits(acts, rule="G-02"):
    return [dict(a.detail) for a in acts if isinstance(a, Audit) and a.rule == rule]


# --- a plan while a promise is pending ------------------------------------------------------

def test_plan_while_a_promise_is_pending_says_it_replaces_the_promise():
    f = facts(account(promise=PROMISE))
    st, acts = _say(_menu(f), f, "plan")
    assert len(of(acts, OfferPlans)) == 1
    note, offer = texts(acts)
    assert note == ("You have a promise to pay $50.00 on Fri Dec 4. If you choose a plan, it replaces "
                    "that promise. Reply NO to keep your promise.")
    assert offer.startswith("Payment plans for $300.00:\n1) ")
    assert {"plan_would_replace_promise": 7} in _audits(acts)
    assert st.state == "plan_offer"


def test_accepting_the_plan_records_it_and_the_confirmation_names_the_replaced_promise():
    f = facts(account(promise=PROMISE))
    st, _ = _say(_menu(f), f, "plan")
    st, _ = _say(st, f, "1")
    assert st.state == "plan_confirm"
    st, acts = _say(st, f, "yes")
    [plan] = of(acts, RecordPlan)
    assert plan.account_ref == "ACC-100-4521" and sum(a for _, a in plan.instalments) == 30000
    [t] = texts(acts)
    assert t.startswith("Your plan is set up. It replaces your promise of $50.00 on Fri Dec 4. Payments:\n")
    assert of(acts, RecordPromise) == []
    assert {"plan_replaces_promise": 7} in _audits(acts)
    assert st.state == "menu" and st.mode == "bot"


def test_no_at_the_plan_offer_keeps_the_promise():
    f = facts(account(promise=PROMISE))
    st, _ = _say(_menu(f), f, "plan")
    st, acts = _say(st, f, "no")
    assert of(acts, RecordPlan) == [] and of(acts, RecordPromise) == []
    assert st.state == "menu"


def test_a_plan_without_a_promise_has_no_note():
    f = facts(account())
    st, acts = _say(_menu(f), f, "plan")
    [offer] = texts(acts)
    assert offer.startswith("Payment plans for $300.00:")
    st, _ = _say(st, f, "1")
    st, acts = _say(st, f, "yes")
    [t] = texts(acts)
    assert t.startswith("Your plan is set up. Payments:\n")


def test_zh_plan_while_a_promise_is_pending():
    f = facts(cn_account(promise=PromiseFacts(3, 50000, FRI)))
    st, acts = _say(_menu(f), f, "分期", tz="Asia/Shanghai")
    note, offer = texts(acts)
    assert note == "您已承诺于12月4日（周五）还款¥500.00。如选择还款方案，该承诺将被取代；回复“否”保留原承诺。"
    assert "的还款方案：" in offer
    st, _ = _say(st, f, "1", tz="Asia/Shanghai")
    st, acts = _say(st, f, "是", tz="Asia/Shanghai")
    assert len(of(acts, RecordPlan)) == 1
    [t] = texts(acts)
    assert t.startswith("您的还款计划已设立。该计划已取代您原定于12月4日（周五）还款¥500.00的承诺。还款安排：\n")


# --- a plan while a plan is active --------------------------------------------------------------

def test_plan_while_a_plan_is_active_goes_to_a_person_with_the_next_payment():
    f = facts(account(plan=PLAN))
    st, acts = _say(_menu(f), f, "plan")
    assert of(acts, OfferPlans) == [] and of(acts, RecordPlan) == []
    [t] = texts(acts)
    assert t == ("Your payment plan is in place: your next payment is $100.00, due Thu Dec 10. "
                 "A member of our team will contact you to talk about changing it.")
    assert of(acts, Handoff) == [Handoff("plan_change", 3)]
    assert {"plan_in_force": 9} in _audits(acts)
    assert st.mode == "agent" and "plans" not in st.slots


def test_zh_plan_while_a_plan_is_active():
    f = facts(cn_account(plan=PlanFacts(4, "instalments", 43334, dt.date(2026, 12, 10))))
    _, acts = _say(_menu(f), f, "我想分期", tz="Asia/Shanghai")
    [t] = texts(acts)
    assert t == ("您的还款计划正在执行中，下一期应还¥433.34，还款日为12月10日（周四）。"
                 "我们的工作人员将与您联系，商量调整方案。")


# --- a promise while a plan is active -----------------------------------------------------------

def test_a_promise_by_the_next_instalment_counts_toward_the_plan():
    f = facts(account(plan=PLAN))
    st, acts = _say(_menu(f), f, "I can pay $50 on friday")
    assert of(acts, RecordPromise) == [] and of(acts, Handoff) == []
    [t] = texts(acts)
    assert t == ("Thanks. Your payment plan stays as agreed: $50.00 on Fri Dec 4 will count toward it "
                 "(next payment $100.00, due Thu Dec 10).")
    assert {"toward_plan": 9, "amount_minor": 5000, "date": "2026-12-04"} in _audits(acts)
    assert st.state == "menu" and st.mode == "bot" and "promise" not in st.slots


def test_a_promise_asked_for_its_amount_then_counts_toward_the_plan():
    f = facts(account(plan=PLAN))
    st, acts = _say(_menu(f), f, "I'll pay on friday")
    assert st.state == "ask_amount"
    st, acts = _say(st, f, "80")
    assert of(acts, RecordPromise) == []
    [t] = texts(acts)
    assert "$80.00 on Fri Dec 4 will count toward it" in t


def test_a_promise_after_the_next_instalment_goes_to_a_person_UK_03():
    f = facts(account(plan=PLAN))
    st, acts = _say(_menu(f), f, "I can pay $50 on december 15")
    assert of(acts, RecordPromise) == []
    [t] = texts(acts)
    assert t == ("Thanks for your offer of $50.00 on Tue Dec 15. Your plan payment of $100.00 is due "
                 "Thu Dec 10, so a member of our team will look at changing your plan and get back to you.")
    assert of(acts, Handoff) == [Handoff("counter_offer", 3)]
    assert any(d.get("counter_offer") and d.get("plan_id") == 9 for d in _audits(acts, "UK-03"))
    assert st.mode == "agent"


def test_a_catch_up_promise_after_a_missed_instalment_counts_toward_the_plan():
    missed = PlanFacts(9, "instalments", 10000, dt.date(2026, 11, 20), next_missed=True)
    f = facts(account(plan=missed))
    _, acts = _say(_menu(f), f, "I can pay $100 on december 15")
    assert of(acts, RecordPromise) == [] and of(acts, Handoff) == []
    [t] = texts(acts)
    assert t == ("Thanks. Your payment plan stays as agreed: $100.00 on Tue Dec 15 will count toward it "
                 "(next payment $100.00, due Fri Nov 20).")


def test_zh_a_promise_while_a_plan_is_active():
    f = facts(cn_account(plan=PlanFacts(4, "instalments", 43334, dt.date(2026, 12, 10))))
    _, acts = _say(_menu(f), f, "我周五还500", tz="Asia/Shanghai")
    assert of(acts, RecordPromise) == []
    [t] = texts(acts)
    assert t == "谢谢。您的还款计划保持不变：您计划于12月4日（周五）还款的¥500.00将计入该还款计划（下一期应还¥433.34，还款日为12月10日（周四））。"


def test_a_plan_agreed_between_the_read_back_and_the_yes_takes_the_promise_as_toward_it():
    st, _ = _say(_menu(facts(account())), facts(account()), "I can pay $50 on friday")
    assert st.state == "promise_confirm"
    st, acts = _say(st, facts(account(plan=PLAN)), "yes")
    assert of(acts, RecordPromise) == []
    assert "will count toward it" in texts(acts)[0]


# --- a second promise on the same debt ---------------------------------------------------------

def test_a_changed_promise_replaces_the_pending_one():
    f = facts(account(promise=PROMISE))
    st, acts = _say(_menu(f), f, "I can pay $80 on monday")
    [t] = texts(acts)
    assert t.startswith("This replaces your promise of $50.00 on Fri Dec 4. You'll pay $80.00 on Mon Dec 7.")
    st, acts = _say(st, f, "yes")
    assert of(acts, RecordPromise) == [RecordPromise("ACC-100-4521", 8000, dt.date(2026, 12, 7))]
    [t] = texts(acts)
    assert t == ("Confirmed: $80.00 on Mon Dec 7. It replaces your promise of $50.00 on Fri Dec 4. "
                 "Thank you. Reply STOP to opt out.")
    assert {"promise_replaces": 7} in _audits(acts)


def test_the_same_promise_again_records_nothing_new():
    f = facts(account(promise=PROMISE))
    st, acts = _say(_menu(f), f, "I can pay $50 on friday")
    [t] = texts(acts)
    assert t.startswith("You'll pay $50.00 on Fri Dec 4.")
    st, acts = _say(st, f, "yes")
    assert of(acts, RecordPromise) == []
    assert texts(acts) == ["Confirmed: $50.00 on Fri Dec 4. Thank you. Reply STOP to opt out."]
    assert {"promise_unchanged": 7} in _audits(acts)


def test_zh_a_changed_promise():
    f = facts(cn_account(promise=PromiseFacts(3, 50000, FRI)))
    st, acts = _say(_menu(f), f, "我下周一还800", tz="Asia/Shanghai")
    [t] = texts(acts)
    assert t.startswith("这将取代您原定于12月4日（周五）还款¥500.00的承诺。您将于12月7日（周一）还款¥800.00。")
    st, acts = _say(st, f, "是", tz="Asia/Shanghai")
    assert of(acts, RecordPromise) == [RecordPromise("CN-200-8876", 80000, dt.date(2026, 12, 7))]
    assert texts(acts) == ["已确认：12月7日（周一）还款¥800.00，取代您原定于12月4日（周五）还款¥500.00的承诺。"
                           "谢谢。回复“退订”停止接收短信。"]


# --- agents, through the same step ------------------------------------------------------------

def test_agent_promise_while_a_plan_is_active_is_refused():
    f = facts(account(plan=PLAN))
    _, acts = step(ConversationState(mode="agent"), AgentEvent("record_promise", "ann@example.com", {
        "account_ref": "ACC-100-4521", "amount_minor": 5000, "due_date": "2026-12-04"}), SCRIPT, f, NOW)
    assert of(acts, RecordPromise) == []
    [d] = [d for d in _audits(acts) if "agent_error" in d]
    assert (d["problem"], d["plan_id"], d["next_amount_minor"], d["next_due"]) == ("plan_active", 9, 10000,
                                                                                  "2026-12-10")


def test_agent_promise_replaces_a_pending_one_and_agent_plan_replaces_both():
    f = facts(account(promise=PROMISE))
    _, acts = step(ConversationState(mode="agent"), AgentEvent("record_promise", "ann@example.com", {
        "account_ref": "ACC-100-4521", "amount_minor": 6000, "due_date": "2026-12-08"}), SCRIPT, f, NOW)
    assert of(acts, RecordPromise) == [RecordPromise("ACC-100-4521", 6000, dt.date(2026, 12, 8),
                                                     source="agent:ann@example.com")]
    assert {"promise_replaces": 7} in _audits(acts)
    f = facts(account(promise=PROMISE, plan=PLAN))
    _, acts = step(ConversationState(mode="agent"), AgentEvent("record_plan", "ann@example.com", {
        "account_ref": "ACC-100-4521", "option": 1}), SCRIPT, f, NOW)
    assert len(of(acts, RecordPlan)) == 1
    assert {"plan_replaces_promise": 7, "plan_replaces_plan": 9} in _audits(acts)


# --- scripts published before these texts ----------------------------------------------------

NEW_TEXTS = ("plan_replaces_promise", "plan_in_force", "promise_toward_plan", "promise_plan_review")


def test_the_built_in_texts_are_the_default_scripts():
    from bot.dialogs.script import BUILTIN_TEMPLATES
    for key in NEW_TEXTS:
        assert dict(SCRIPT.templates[key]) == dict(BUILTIN_TEMPLATES[key]), key


def test_a_script_without_the_new_texts_still_says_so():
    """A revision published before these texts (no ``[templates.plan_replaces_promise]`` …,
    the old ``promise_recorded``) loads and gets the built-in texts."""
    import re

    from bot.dialogs import default_script_text, load_script

    old = default_script_text()
    for key in NEW_TEXTS:
        old = re.sub(rf"\n\[templates\.{key}\][^\n]*\nen = [^\n]*\nzh = [^\n]*\n", "\n", old)
    assert "plan_in_force" not in old
    script = load_script(old)
    f = facts(account(promise=PROMISE))
    st, _ = opening(ConversationState(slots={}), script, f, NOW)
    i = interpret("plan", context=context_of(st, script), now=NOW, tz="America/New_York")
    _, acts = step(st, InboundText("plan", i), script, f, NOW)
    assert [r.template for r in of(acts, Reply)] == [
        "plan_replaces_promise", "plan_offer"]
    assert texts(acts)[0].startswith("You have a promise to pay $50.00 on Fri Dec 4.")
