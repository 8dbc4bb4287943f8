"""Every state of the default script × every intent, at the pure core (incl. agent
mode and an opted-out number). Compliance intents must do the right thing everywhere:
US-04, US-05, US-06, US-08, US-12, US-16, US-17, US-18, UK-06, G-01."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions import (Audit, Flag, Handoff, IssuePayLink, OfferPlans, OptIn, OptOut,
                         Quarantine, RecordPlan, RecordPromise, Reply, SetHold)
from bot.dialogs import context_of, step
from bot.dialogs.plans import offers
from bot.dialogs.script import DEBT_PARAMS
from bot.types import CONTEXTS, INTENTS, ConversationState, TimerFired
from tests.test_dialogs_support import (NOW, POLICY, SCRIPT, account, facts, of, replies,
                                        said, texts)

STATES = sorted(SCRIPT.states)
ENTITIES = {
    "choice": {"option": 1}, "promise": {"amount": "50", "date": dt.date(2026, 12, 4)},
    "stop": {"channel": "sms"},
}


def slots_for(state: str) -> dict:
    slots: dict = {"account_ref": "ACC-100-4521", "lang": "en"}
    plans = [o.as_json() for o in offers(30000, "USD", POLICY["plans"], dt.date(2026, 11, 30))]
    if state in ("plan_offer", "plan_confirm"):
        slots["plans"] = plans
    if state == "plan_confirm":
        slots["plan_choice"] = 1
    if state == "ask_date":
        slots["promise"] = {"amount_minor": 5000}
    if state == "promise_confirm":
        slots["promise"] = {"amount_minor": 5000, "date": "2026-12-04"}
    if state == "choose_account":
        slots.pop("account_ref")
    return slots


def event_for(intent: str, conf: float = 0.95):
    return said(intent, intent, conf=conf, **ENTITIES.get(intent, {}))


CASES = [(s, i, m) for s in STATES for i in INTENTS for m in ("bot", "agent")]


@pytest.mark.parametrize("state_name,intent,mode", CASES)
def test_every_state_every_intent(state_name, intent, mode):
    state = ConversationState(state_name, slots_for(state_name), mode)
    f = facts()
    new, actions = step(state, event_for(intent), SCRIPT, f, NOW)
    assert new.state in SCRIPT.states
    assert new.mode in ("bot", "agent")
    assert context_of(new, SCRIPT) in CONTEXTS
    rendered = texts(actions)          # every reply renders (StrictUndefined)
    reps = replies(actions)
    kinds = [r.kind for r in reps]

    if mode == "agent" and intent not in ("stop", "help", "start"):
        # G-01: the bot stays silent while an agent owns the conversation
        assert reps == [], (intent, rendered)
        assert not of(actions, IssuePayLink) and not of(actions, OfferPlans)

    if intent == "stop":
        assert of(actions, OptOut) == [OptOut(frozenset({"sms"}))]          # US-05
        assert kinds == ["optout_confirmation"]                              # US-08: exactly one
        assert not of(actions, IssuePayLink) and not of(actions, OfferPlans)
        assert "$" not in rendered[0] and "http" not in rendered[0]
        assert context_of(new, SCRIPT) == "opted_out"
    elif intent == "help":
        assert kinds == ["help"]                                             # US-26
        assert "STOP" in rendered[0] and "$" not in rendered[0]
    elif intent == "start":
        assert not of(actions, OptOut)
        assert len(reps) <= 1
    elif intent in ("attorney", "bankruptcy", "dispute"):
        holds = of(actions, SetHold)
        assert [h.kind for h in holds] == [intent]
        assert holds[0].rule == {"attorney": "US-18", "dispute": "US-16", "bankruptcy": "G-01"}[intent]
        assert of(actions, Handoff)[0].reason == intent
        assert Flag(intent) in actions
        assert new.mode == "agent"
        assert kinds == ([] if mode == "agent" else ["handoff_notice"])
        for r in reps:
            assert not (set(r.params) & DEBT_PARAMS)
        assert not of(actions, IssuePayLink) and not of(actions, RecordPromise) and not of(actions, RecordPlan)
    elif intent == "wrong_number":
        assert of(actions, Quarantine) and Flag("wrong_number") in actions   # US-12
        assert "account_ref" not in new.slots
        for t in rendered:
            assert "Ana" not in t and "$" not in t and "Acme" not in t       # no name, no debt
    elif intent == "agent" and mode == "bot":
        assert of(actions, Handoff)[0].reason == "agent_request"
        assert kinds == ["handoff_notice"]
        assert new.mode == "agent"
    elif intent == "auto_reply":
        assert reps == []


@pytest.mark.parametrize("state_name", STATES)
@pytest.mark.parametrize("intent", INTENTS)
def test_opted_out_number_hears_only_help_and_start(state_name, intent):
    state = ConversationState(state_name, {**slots_for(state_name), "opted_out": True})
    f = facts(opted_out=frozenset({"sms"}))
    new, actions = step(state, event_for(intent), SCRIPT, f, NOW)
    kinds = [r.kind for r in replies(actions)]
    if intent == "help":
        assert kinds == ["help"]
    elif intent == "start":
        assert OptIn() in actions and kinds == ["optin_confirmation"]
        assert context_of(new, SCRIPT) != "opted_out"
    else:
        assert kinds == [], intent          # US-05; a second STOP gets no reply either
    if intent == "stop":
        assert not of(actions, OptOut)      # already recorded


@pytest.mark.parametrize("state_name", STATES)
def test_low_confidence_stop_pauses_and_hands_off_silently(state_name):
    state = ConversationState(state_name, slots_for(state_name))
    new, actions = step(state, event_for("stop", conf=0.5), SCRIPT, facts(), NOW)
    assert SetHold("optout_review", None, rule="US-06") in actions
    assert of(actions, Handoff)[0].reason == "optout_review"
    assert replies(actions) == [] and not of(actions, OptOut)
    assert new.mode == "agent"


@pytest.mark.parametrize("state_name", STATES)
@pytest.mark.parametrize("intent", INTENTS)
def test_chinese_replies_render(state_name, intent):
    state = ConversationState(state_name, {**slots_for(state_name), "lang": "zh"})
    new, actions = step(state, said("x", intent, lang="zh", **ENTITIES.get(intent, {})), SCRIPT, facts(), NOW)
    for r in replies(actions):
        assert r.lang == "zh"
    texts(actions)
    assert new.slots["lang"] == "zh"


# Every template the engine can emit, in every state, with and without entities, in both
# languages: no Reply goes out with a required placeholder empty ("You'll pay  on .",
# "您选择了：\n回复…"), and the engine's guard never has to refuse one (G-02).
VARIANTS = [{}, {"amount": "100"}, {"date": dt.date(2026, 12, 7)}, {"date": dt.date(2026, 11, 20)},
            {"amount": "100", "date": dt.date(2026, 12, 7)}, {"option": 2}, {"option": 9},
            {"channel": "voice"}]


def _phones():
    from tests.test_dialogs_support import cn_account, uk_account
    return [facts(), facts(uk_account(identity_confirmed=True)), facts(cn_account()),
            facts(uk_account()), facts(accounts=())]


def _no_blanks(actions):
    from bot.dialogs.engine import _required
    linked = bool(of(actions, IssuePayLink))
    for r in replies(actions):
        need = _required(SCRIPT, r.template, r.lang) - {"greeting"}
        empty = [k for k in need if not (k == "pay_link" and linked) and not str(r.params.get(k, "")).strip()]
        assert not empty, (r.template, empty)
    refused = [a for a in actions if isinstance(a, Audit) and "refused_reply" in a.detail]
    assert not refused, refused


@pytest.mark.parametrize("state_name", STATES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_reply_with_empty_values(state_name, lang):
    for f in _phones():
        for intent in INTENTS:
            for ent in VARIANTS:
                for conf in (0.95, 0.3):
                    state = ConversationState(state_name, {**slots_for(state_name), "lang": lang})
                    new, actions = step(state, said("x", intent, conf=conf, lang=lang, **ent), SCRIPT, f, NOW)
                    _no_blanks(actions)
                    # and the next reply from wherever that led
                    for follow in ("unknown", "affirm", "choice", "promise"):
                        _, more = step(new, said("y", follow, lang=lang, **ent), SCRIPT, f, NOW)
                        _no_blanks(more)
    if state_name == "verify":
        from tests.test_dialogs_support import uk_account
        f = facts(uk_account())
        st = ConversationState("verify", {"account_ref": "UK-300-7788", "lang": lang,
                                          "pending_request": {"intent": "promise", "entities": {"amount": "50.00"},
                                                              "text": "x"}})
        for ok in (True, False):
            _no_blanks(step(st, TimerFired("identity_checked", {"ok": ok}), SCRIPT, f, NOW)[1])


def test_the_guard_refuses_a_reply_with_empty_values():   # G-02
    # promise_confirm with nothing pending (e.g. a hand-edited state): the re-ask would read
    # "You'll pay  on ." — refused, audited, and a person takes over instead.
    state = ConversationState("promise_confirm", {"account_ref": "ACC-100-4521", "lang": "en"})
    new, actions = step(state, said("hmm", "unknown", conf=0.3), SCRIPT, facts(), NOW)
    assert "promise_confirm" not in [r.template for r in replies(actions)]
    assert Audit("G-02", {"refused_reply": "promise_confirm", "empty": ["amount", "date"]}) in actions
    assert of(actions, Handoff)[0].reason == "misunderstood" and new.mode == "agent"
    assert [r.kind for r in replies(actions)] == ["handoff_notice"]
