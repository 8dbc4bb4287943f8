"""Intents from the seventh probe (a new-user trial, see CHANGELOG): refusals to pay that were
not read as a cease, scam accusations, and self-harm told apart from hardship. Read against
the corpus clock (tests/intents_probe_support.py). Before the fixes 60/104 rows passed; after,
104/104. Rows marked ``!x`` must not read as x.

Fault kinds found and fixed (each with its neighbouring phrasings):
* A refusal to pay followed by a clause of its own — an insult ("I'm not paying you a dime, f
  off": abuse, a cadence text followed), a scam claim ("not gonna pay you people anything, this
  is a scam": who is this, no hold) — or by an insult with no comma, and the forms "not ever
  paying", "never ever pay", "im nt paying", "a penny of this", "a single cent to you people",
  were no cease. A refusal is a cease (US-17: ``stop`` with channel ``all``; the engine then
  places the cease hold) unless the rest names a time, a date, a condition, a reason it cannot
  pay, a fee, proof or a part payment ("not paying this month, next month": a promise; "I'm not
  paying the late fee": a dispute; "not paying, send me proof first": a validation request,
  US-16; "I can't pay a dime right now": hardship).
* Chinese defiance (爱咋咋地, 要钱没有，要命一条, 想都别想, 门都没有, 休想, 别想让我还, 欠钱不还怎么了)
  was unknown: a refusal, a cease (US-17). Not 现在要钱没有 (no money now), 不还会怎样 (a question).
* A scam claim about the debt or the collection with no refusal ("this is a scam", "this whole
  thing is a scam", "you guys are running a scam", 这是诈骗, 纯属诈骗) was "who is this": a
  dispute and a validation request (US-16: collection stops until verification is sent). A
  question ("is this a scam?", 是不是诈骗, 这是诈骗吧) stays who is this (the creditor and a
  contact: the corpus's label) and a bare insult ("you're scammers", 骗子！) abuse (a person
  follows up; the corpus's label).
* Self-harm words in a hardship reply ("honestly I want to kill myself over this debt", "I want
  to end it all", 我不想活了) were plain hardship: still ``hardship``, with the rule
  ``hardship.self_harm`` (:data:`bot.types.SELF_HARM_RULE`; UK-07 "self-harm terms → immediate
  escalation"): the engine answers with crisis lines, not payment options, and hands off as
  self-harm (tests/test_dialogs_self_harm.py).
"""

from __future__ import annotations

import pytest

from bot.intents import interpret
from bot.types import SELF_HARM_RULE
from tests.intents_probe_support import NOW_NY, NY, check

CEASE = {"channel": "all", "certain": True}
HARM = {"rule": SELF_HARM_RULE}

ROWS = [
    # --- the trial's two refusals
    ("I'm not paying you a dime, f off", 'notice', 'stop', CEASE),
    ('not gonna pay you people anything, this is a scam', 'notice', 'stop', CEASE),
    # --- refusals with profanity or insults after them
    ("im not paying you a damn dime, go to hell", 'notice', 'stop', CEASE),
    ("I ain't paying shit, f*** off", 'notice', 'stop', CEASE),
    ("I'm not paying you a dime f off", 'notice', 'stop', CEASE),
    ("never paying this, you bloodsuckers", 'notice', 'stop', CEASE),
    ("not paying you people a nickel, you're crooks", 'notice', 'stop', CEASE),
    ("you people won't get a dime from me, f off", 'notice', 'stop', CEASE),
    ("im not paying this crap, scammers", 'notice', 'stop', CEASE),
    ("ur not getting a penny from me, scammers", 'notice', 'stop', CEASE),
    ("not paying you jack, get lost", 'notice', 'stop', CEASE),
    ("fuck you I'm not paying", 'notice', 'stop', CEASE),
    ("f off, not paying you a dime", 'notice', 'stop', CEASE),
    # --- a dime/cent/penny/nickel/red cent/anything/a thing/shit, "you people", "ever"
    ("aint paying you people shit", 'notice', 'stop', CEASE),
    ("never paying you a penny", 'notice', 'stop', CEASE),
    ("not gonna pay u a red cent lol", 'notice', 'stop', CEASE),
    ("not paying you thieves a thing", 'notice', 'stop', CEASE),
    ("won't pay a single cent to you people", 'notice', 'stop', CEASE),
    ("no way in hell im paying you people anything", 'notice', 'stop', CEASE),
    ("im not paying shit to you scammers", 'notice', 'stop', CEASE),
    ("im not paying u nothing", 'notice', 'stop', CEASE),
    ("not paying a penny of this, it's a scam", 'notice', 'stop', CEASE),
    ("I'm not ever paying this", 'notice', 'stop', CEASE),
    ("I will never ever pay you", 'notice', 'stop', CEASE),
    ("nope. not paying. ever.", 'notice', 'stop', CEASE),
    # --- txt-speak
    ('not gonna pay, this is a scam', 'notice', 'stop', CEASE),
    ('i aint never paying yall', 'notice', 'stop', CEASE),
    ('not payin yall a dime', 'notice', 'stop', {"channel": "all"}),
    ('aint payin shit', 'notice', 'stop', {"channel": "all"}),
    ('im nt paying you anything', 'notice', 'stop', CEASE),
    ("gonna be a cold day in hell. not gonna pay", 'notice', 'stop', CEASE),
    # --- other contexts
    ("I'm not paying you a dime, f off", 'confirm', 'stop', CEASE),
    ('not gonna pay you people anything, this is a scam', 'ask_amount', 'stop', CEASE),
    ("never paying you a penny", 'plan_offer', 'stop', CEASE),
    # --- Chinese refusals
    ('一分钱都不会还', 'notice', 'stop', CEASE),
    ('我就是不还', 'notice', 'stop', CEASE),
    ('不还你们能怎样', 'notice', 'stop', CEASE),
    ('爱咋咋地', 'notice', 'stop', CEASE),
    ('不还，爱咋咋地', 'notice', 'stop', CEASE),
    ('要钱没有，要命一条', 'notice', 'stop', CEASE),
    ('想都别想', 'notice', 'stop', CEASE),
    ('门都没有', 'notice', 'stop', CEASE),
    ('休想', 'notice', 'stop', CEASE),
    ('别想让我还一分钱', 'notice', 'stop', CEASE),
    ('欠钱不还怎么了', 'notice', 'stop', CEASE),
    ('老子不还', 'notice', 'stop', CEASE),
    ('不还又怎样', 'notice', 'stop', CEASE),
    ('死也不还', 'notice', 'stop', CEASE),
    ('我是不会还的', 'notice', 'stop', CEASE),
    ('你们爱怎么样就怎么样，我不还', 'notice', 'stop', CEASE),
    ('骗子，一分钱都不会给你们', 'notice', 'stop', CEASE),
    ('我不会还的，别再联系我', 'notice', 'stop', CEASE),
    # --- guards: no false cease
    ("I'm not paying until Friday", 'notice', 'promise', {"date": "2026-12-04"}),
    ('not paying this month, next month', 'notice', '!stop', {}),
    ("I can't pay a dime right now", 'notice', 'hardship', {}),
    ("I'm not paying the late fee", 'notice', 'dispute', {}),
    ("I'm not paying this, I already paid it", 'notice', 'paid_already', {}),
    ('not paying this until you send me proof', 'notice', 'dispute', {}),
    ("I'm not paying you a dime until I see the contract", 'notice', 'dispute', {}),
    ('not paying, send me proof first', 'notice', 'dispute', {}),
    ('not paying anything right now, lost my job', 'notice', 'hardship', {}),
    ('not paying this week, I get paid on the 15th', 'notice', '!stop', {}),
    ('not paying this, but I can do 50 a month', 'notice', 'plan', {}),
    ("I'm not paying 300, I can do 100", 'notice', '!stop', {}),
    ('not paying it all at once, can we do a plan', 'notice', 'plan', {}),
    ('这个月不还，下个月还', 'notice', '!stop', {}),
    ('现在一分钱都没有', 'notice', 'hardship', {}),
    ('我一分钱都还不起', 'notice', 'hardship', {}),
    ('利息我不还', 'notice', 'dispute', {}),
    ('不是不还，是没钱', 'notice', 'hardship', {}),
    ('不还会怎样', 'notice', '!stop', {}),
    ('现在要钱没有', 'notice', '!stop', {}),
    # --- scam claims: a dispute (US-16); questions stay who is this, bare insults abuse
    ('this is a scam', 'notice', 'dispute', {}),
    ('lol this is a scam', 'notice', 'dispute', {}),
    ('this whole thing is a scam', 'notice', 'dispute', {}),
    ('you guys are running a scam', 'notice', 'dispute', {}),
    ("this is a scam, I don't owe you anything", 'notice', 'dispute', {}),
    ('I think this is a scam', 'notice', 'dispute', {}),
    ('这是诈骗', 'notice', 'dispute', {}),
    ('你们这就是诈骗', 'notice', 'dispute', {}),
    ('纯属诈骗', 'notice', 'dispute', {}),
    ('is this a scam?', 'notice', 'who_is_this', {}),
    ('this is a scam?', 'notice', 'who_is_this', {}),
    ("how do I know this isn't a scam", 'notice', 'who_is_this', {}),
    ('这是诈骗吧', 'notice', 'who_is_this', {}),
    ('是不是诈骗', 'notice', 'who_is_this', {}),
    ("you're scammers", 'notice', 'abuse', {}),
    ('骗子！', 'notice', 'abuse', {}),
    ('this is a scam, stop texting me', 'notice', 'stop', {"channel": "sms"}),
    # --- self-harm told apart from hardship (UK-07)
    ('honestly I want to kill myself over this debt', 'notice', 'hardship', HARM),
    ("I can't take this anymore, I want to end it all", 'notice', 'hardship', HARM),
    ('我不想活了', 'notice', 'hardship', HARM),
    ("i dont want to be alive anymore", 'notice', 'hardship', HARM),
    ('thinking about ending things', 'notice', 'hardship', HARM),
    ('活着没意思', 'notice', 'hardship', HARM),
    ('我想自杀', 'notice', 'hardship', HARM),
    ('还不上我就从楼上跳下去', 'notice', 'hardship', HARM),
    ("i want to kill myself", 'ask_date', 'hardship', HARM),
    ("i want to kill myself", 'confirm', 'hardship', HARM),
    # --- guards: hardship, not self-harm
    ('this debt is killing me', 'notice', 'hardship', {"rule": "!" + SELF_HARM_RULE}),
    ("I lost my job and can't pay", 'notice', 'hardship', {"rule": "!" + SELF_HARM_RULE}),
    ('my husband passed away', 'notice', 'hardship', {"rule": "!" + SELF_HARM_RULE}),
    ("stop texting me or i'll kill myself", 'notice', 'stop', {}),
    ('this is not my debt. you people make me want to kill myself', 'notice', 'dispute', {}),
]


def _check(text, context, intent, ents):
    """As :func:`tests.intents_probe_support.check`; ``"!a,b"`` means none of them, and a
    ``rule`` of ``"!r"`` any rule but r."""
    ents = dict(ents)
    rule = ents.get("rule")
    if rule and rule.startswith("!"):
        ents.pop("rule")
        it = interpret(text, context=context, now=NOW_NY, tz=NY)
        assert it.rule != rule[1:], (text, it)
    if not intent.startswith("!"):
        check(text, context, intent, ents)
        return
    it = interpret(text, context=context, now=NOW_NY, tz=NY)
    assert it.name not in intent[1:].split(","), (text, it)


@pytest.mark.parametrize("text, context, intent, ents", ROWS)
def test_probe7_cease(text, context, intent, ents):
    _check(text, context, intent, ents)
