"""US-17 cease at the pure core: what the customer is told after a cease, and after a
START while a hold that silences every message (US-17 cease, US-18 attorney, bankruptcy,
deceased, recalled) still stands.

The bug these pin (found by a new-user trial): "I'm not paying, stop contacting me" was
answered "Reply START to resubscribe", and START then "You're subscribed to texts from us
again" — while the cease hold (rightly) kept refusing every later message, so the
customer was told something false.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.actions import Handoff, OptIn, OptOut, SetHold
from bot.dialogs import opening, step
from bot.dialogs.script import load_script
from bot.types import ConversationState
from tests.test_dialogs_support import (NOW, SCRIPT, account, cn_account, facts, of, replies,
                                        run, said, texts)


def opened(f=None, lang=None):
    f = f or facts()
    st = ConversationState(slots={"lang": lang} if lang else {})
    return opening(st, SCRIPT, f, NOW)


def test_US_17_cease_is_acknowledged_without_offering_START():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("I'm not paying, stop contacting me", "stop", channel="all"))
    assert of(a1, OptOut) == [OptOut(frozenset({"sms", "voice", "email"}))]
    assert SetHold("cease", None, rule="US-17") in a1
    [r] = replies(a1)
    assert r.kind == "optout_confirmation"          # still the one confirmation (US-08)
    assert r.template == "cease_acknowledgement"
    [t] = texts(a1)
    assert t == "We've received your request. We will stop contacting you about this account."
    assert "START" not in t


def test_US_17_cease_acknowledgement_in_chinese():
    f = facts(cn_account())
    st, _ = opened(f, lang="zh")
    st, [a1] = run(st, f, said("我不还了，别再联系我", "stop", lang="zh", channel="all"))
    [t] = texts(a1)
    assert t == "我们已收到您的要求，将不再就此账户与您联系。"
    assert "START" not in t


def test_US_05_plain_stop_still_offers_START():
    st, _ = opened()
    st, [a1] = run(st, facts(), said("please stop texting me", "stop"))
    [r] = replies(a1)
    assert r.template == "optout_confirmation"
    assert "Reply START to resubscribe" in texts(a1)[0]


@pytest.mark.parametrize("hold", ["cease", "attorney", "bankruptcy", "deceased", "recalled"])
def test_US_27_start_under_a_silencing_hold_lifts_the_opt_out_but_promises_no_texts(hold):
    f = facts(account(holds=(hold,)), opted_out=frozenset({"sms"}))
    st = ConversationState("menu", {"opted_out": True, "lang": "en"})
    st, [a1] = run(st, f, said("START", "start"))
    assert of(a1, OptIn) != []                       # US-27: the SMS opt-out is lifted
    [r] = replies(a1)
    assert r.kind == "optin_confirmation" and r.template == "optin_held"
    [t] = texts(a1)
    assert t == ("You can get texts from us again, but because of an earlier request we won't "
                 "text you about your account until a member of our team has reviewed it.")
    assert "subscribed to texts from us again" not in t
    assert of(a1, Handoff) == [Handoff("hold_review", 3)]
    assert st.mode == "agent"


def test_US_27_start_under_a_cease_hold_in_chinese():
    f = facts(cn_account(holds=("cease",)), opted_out=frozenset({"sms"}))
    st = ConversationState("menu", {"opted_out": True, "lang": "zh"})
    st, [a1] = run(st, f, said("START", "start", lang="zh"))
    [t] = texts(a1)
    assert t == "您可以重新接收我们的短信。但由于您之前的要求，在我们的工作人员审核之前，我们不会就您的账户给您发短信。"


def test_US_27_start_with_only_a_dispute_hold_is_an_ordinary_opt_in():
    # a dispute hold pauses collection but answers still go: the ordinary confirmation is true
    f = facts(account(holds=("dispute",)), opted_out=frozenset({"sms"}))
    st = ConversationState("menu", {"opted_out": True, "lang": "en"})
    st, [a1] = run(st, f, said("START", "start"))
    [r] = replies(a1)
    assert r.template == "optin_confirmation"
    assert of(a1, Handoff) == []


def test_US_17_message_under_a_silencing_hold_goes_to_a_person_not_nowhere():
    # after START under a cease an agent hands back: a later "I want to pay" is not
    # answered by the bot (the gate would refuse it) but a person sees it (nothing silent)
    f = facts(account(holds=("cease",)))
    st = ConversationState("menu", {"lang": "en"})
    st, [a1] = run(st, f, said("I want to pay", "pay"))
    assert replies(a1) == []
    assert of(a1, Handoff) == [Handoff("hold_review", 3)]
    st2, [a2] = run(st, f, said("hello?", "unknown"))
    assert replies(a2) == [] and of(a2, Handoff) == []      # already with a person


def test_scripts_published_before_these_templates_still_load_and_use_the_built_in_text():
    text = SCRIPT.text
    for key in ("cease_acknowledgement", "optin_held"):
        start = text.index(f"[templates.{key}]")
        end = text.index("\n[", start + 1)
        text = text[:start] + text[end + 1:]
    old = load_script(text)
    assert old.templates["cease_acknowledgement"]["en"] == SCRIPT.templates["cease_acknowledgement"]["en"]
    assert old.templates["optin_held"]["zh"] == SCRIPT.templates["optin_held"]["zh"]


def _with_template(key: str, en: str, zh: str) -> str:
    text = SCRIPT.text
    start = text.index(f"[templates.{key}]")
    end = text.index("\n[", start + 1)
    return text[:start] + f'[templates.{key}]\nen = "{en}"\nzh = "{zh}"\n' + text[end + 1:]


@pytest.mark.parametrize("en", [
    "Please pay what you owe today at https://pay.example.com/x",
    "We will stop contacting you. Reply START to resubscribe.",
    "{{ when }}: we will stop contacting you.",
])
def test_US_17_validator_rejects_collection_content_or_unfilled_placeholders_in_the_cease_answer(en):
    from bot.dialogs.script import validate
    problems = validate(_with_template("cease_acknowledgement", en, "我们将不再联系您。"))
    assert [p for p in problems if "cease_acknowledgement" in p.message], problems


def test_US_17_script_text_with_creditor_and_contact_renders_and_keeps_the_cease():
    # found by an attack: a cease_acknowledgement using {{ creditor }} failed to render
    # (the engine sent no values), the step rolled back and the cease hold was lost
    script = load_script(_with_template("cease_acknowledgement",
                                        "{{ creditor }}: we will stop contacting you. Questions: {{ contact }}",
                                        "{{ creditor }}：我们将不再联系您。"))
    st = ConversationState("menu", {"lang": "en"})
    st, acts = step(st, said("I'm not paying, stop contacting me", "stop", channel="all"), script, facts(), NOW)
    assert SetHold("cease", None, rule="US-17") in acts
    [r] = replies(acts)
    from bot.templates import render
    assert render(script, r.template, r.lang, r.params) == \
        "Acme Card: we will stop contacting you. Questions: 1-800-555-0100"
