"""English compliance intents, second red-team probe: the fault kinds it found.

Each case is (text, context, expected intent, key entities). For ``stop`` the key
``certain`` says whether the opt-out must be certain (confidence >= 0.75, the default
opt-out threshold) or a possible opt-out below it (US-06 safe default: pause and hand
off). Rule IDs from /work/shared/COMPLIANCE.md are cited per group.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret
from tests.intents_probe_support import check

NY = "America/New_York"
NOW_NY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(NY))


def run(text, context="notice"):
    return interpret(text, context=context, now=NOW_NY, tz=NY)


# A. US-17: a refusal to pay is a cease of all contact (stop, channel all) ...
REFUSALS = [
    ("I will not be paying this debt", "notice", "stop", {"channel": "all", "certain": True}),
    ("I will not pay this debt", "notice", "stop", {"channel": "all", "certain": True}),
    ("im not going to pay this bill.", "notice", "stop", {"channel": "all", "certain": True}),
    ("not gonna pay this debt", "notice", "stop", {"channel": "all", "certain": True}),
    ("Not paying this debt. Period.", "notice", "stop", {"channel": "all", "certain": True}),
    ("no way im paying this", "notice", "stop", {"channel": "all", "certain": True}),
    ("no way I'm paying", "notice", "stop", {"channel": "all", "certain": True}),
    ("no way in hell I'm paying this", "notice", "stop", {"channel": "all", "certain": True}),
    ("not paying you crooks", "notice", "stop", {"channel": "all", "certain": True}),
    ("I'm not paying you scammers anything", "notice", "stop", {"channel": "all", "certain": True}),
    ("you aint getting a penny from me", "notice", "stop", {"channel": "all"}),
    ("you're not getting a dime from me", "notice", "stop", {"channel": "all"}),
    ("you won't see a cent from me", "notice", "stop", {"channel": "all"}),
    ("you'll never get a dime out of me", "notice", "stop", {"channel": "all"}),
]
# ... but a conditional refusal is a dispute / validation request (US-16), and "I won't
# pay, I just can't" is hardship (UK-01); a date keeps a promise.
NOT_REFUSALS = [
    ("I won't pay until I see an itemized bill", "notice", "dispute", {}),
    ("I'm not paying a dime until you show me the contract", "notice", "dispute", {}),
    ("I'm not saying I won't pay, I just can't this month", "notice", "hardship", {}),
    ("no way I can pay that much at once", "notice", "plan", {}),
    ("I won't pay the full amount, but I can do half", "notice", "plan", {}),
]

# B. US-06 / US-05: plain-language opt-outs, with the channels the customer names.
PLAIN_OPT_OUTS = [
    ("no calls no texts", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("no texts no calls", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("please only contact me by email", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("contact me by email only", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("email only please", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("no texts, email only", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("email me instead of texting", "notice", "stop", {"channel": "sms", "certain": True}),
    ("write me a letter instead of texting me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("text me instead of calling", "notice", "stop", {"channel": "voice", "certain": True}),
    ("send everything in writing, no phone contact", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("consent revoked", "notice", "stop", {"certain": True}),
    ("my consent is withdrawn", "notice", "stop", {"certain": True}),
    ("i do not authorize you to contact me", "notice", "stop", {"channel": "all", "certain": True}),
    ("I don't authorize you to text me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("these messages need to end", "notice", "stop", {"channel": "sms", "certain": True}),
    ("the texts have to stop", "notice", "stop", {"channel": "sms", "certain": True}),
    ("lemme alone", "notice", "stop", {"certain": False}),
    ("let me alone!", "notice", "stop", {"certain": False}),
    # a voice opt-out with a pay request: the voice opt-out must be recorded (texts continue)
    ("don't want a call, send link", "notice", "stop", {"channel": "voice", "certain": True}),
]

# C. US-05: "text only, no calls" opts out of calls only; texts continue.
VOICE_ONLY = [
    ("text only, no calls please", "notice", "stop", {"channel": "voice", "certain": True}),
    ("texts only please, no phone calls", "notice", "stop", {"channel": "voice", "certain": True}),
    ("only text me, never call", "notice", "stop", {"channel": "voice", "certain": True}),
    ("text me instead, dont call", "notice", "stop", {"channel": "voice", "certain": True}),
    ("dont call me, just text me the link", "notice", "stop", {"channel": "voice", "certain": True}),
    ("please only text, dont call, I can't answer at work", "notice", "stop", {"channel": "voice", "certain": True}),
]

# D. UK-01: "can't pay this month" is hardship, not a dateless promise.
CANT_PAY_NOW = [
    ("I can't pay this month", "notice", "hardship", {}),
    ("can't pay this week, things are tough", "notice", "hardship", {}),
    ("can't pay this month, things are really hard", "notice", "hardship", {}),
    ("i cant make a payment this month", "notice", "hardship", {}),
    ("I won't be able to pay this month", "notice", "hardship", {}),
    ("I can't pay this month", "ask_date", "hardship", {}),
]

# E. Hardship / dispute / wrong number / attorney that read as unknown.
HARDSHIP = [  # UK-01, UK-07
    ("we just buried my father", "notice", "hardship", {}),
    ("domestic violence situation, I had to leave my home", "notice", "hardship", {}),
    ("I'm in a shelter right now", "notice", "hardship", {}),
    ("we're about to lose the house", "notice", "hardship", {}),
    ("house is in foreclosure", "notice", "hardship", {}),
    ("my car got repo'd and I can't get to work", "notice", "hardship", {}),
    ("I need help, I'm drowning in debt", "notice", "hardship", {}),
    ("i have literally $3 in my account", "notice", "hardship", {}),
    ("i'm in jail", "notice", "hardship", {}),
    ("I'm deployed overseas", "notice", "hardship", {}),
    ("zero, i have nothing", "ask_amount", "hardship", {}),
]
DISPUTES = [  # US-16
    ("disputed", "notice", "dispute", {}),
    ("i contest this", "notice", "dispute", {}),
    ("I'm contesting this debt", "notice", "dispute", {}),
    ("show me the contract I signed", "notice", "dispute", {}),
    ("send me an itemized statement", "notice", "dispute", {}),
    ("the amount doesnt match my statement", "notice", "dispute", {}),
    ("the balance doesn't add up", "notice", "dispute", {}),
    ("this debt is over 10 years old", "notice", "dispute", {}),
    ("I never received any service from this company", "notice", "dispute", {}),
    ("the insurance was supposed to cover this", "notice", "dispute", {}),
    ("I returned the item, I shouldn't owe anything", "notice", "dispute", {}),
    ("that's not the right amount", "confirm", "dispute", {}),
]
WRONG_NUMBER = [  # US-12
    ("not Dana", "verify", "wrong_number", {}),
    ("no, not dana", "verify", "wrong_number", {}),
    ("my brother used to have this phone", "notice", "wrong_number", {}),
    ("this number used to belong to my cousin", "notice", "wrong_number", {}),
    ("I think you have me confused with someone else", "notice", "wrong_number", {}),
    ("you've got me mixed up with somebody else", "notice", "wrong_number", {}),
]
ATTORNEY = [  # US-18
    ("i have representation", "notice", "attorney", {}),
]

# F. Negation: a denied lawyer / bankruptcy / agent / hardship word does not decide.
NEGATED = [
    ("I'm not bankrupt, i just need more time", "notice", "plan", {}),
    ("I never filed bankruptcy, I can pay 50 a month", "notice", "plan", {"amount": "50"}),
    ("i'm not filing for bankruptcy, i'll pay friday", "notice", "promise", {"date": "2026-12-04"}),
    ("i dont need a lawyer, i just want to pay", "notice", "pay", {}),
    ("no lawyer needed, send me the link", "notice", "pay", {}),
    ("who is your lawyer?", "notice", "who_is_this", {}),
    ("is this a law firm?", "notice", "who_is_this", {}),
    ("are you attorneys?", "notice", "who_is_this", {}),
    ("I'm not broke, just busy. I'll pay friday", "notice", "promise", {"date": "2026-12-04"}),
    ("I don't want to talk to an agent, just send the link", "notice", "pay", {}),
    ("I dont want to talk to anyone I just want the link", "notice", "pay", {}),
    ("no need to talk to a person, i'll pay online", "notice", "pay", {}),
]

# G. The typo corrector must not make an opt-out out of a near word (US-06 false stops).
NEAR_WORDS = [
    ("resubscribe", "opted_out", "start", {}),
    ("I want to resubscribe to texts", "opted_out", "start", {}),
    ("re-subscribe please", "opted_out", "start", {}),
    ("i'll remove the old card and add a new one, then pay", "notice", "pay", {}),
    ("can i remove my card from the account and pay with a different one", "notice", "pay", {}),
]

# H. Clear opt-outs that were below the threshold (US-06).
CLEAR_OPT_OUTS = [
    ("I texted STOP last week and you're still messaging me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("i replied stop twice already", "notice", "stop", {"certain": True}),
    ("you guys need to stop", "notice", "stop", {"certain": True}),
    ("not interested please remove", "notice", "stop", {"certain": True}),
    ("STILL getting texts?? I opted out!", "opted_out", "stop", {"channel": "sms", "certain": True}),
    ("texts are fine, just no calls at work", "notice", "stop", {"channel": "voice", "certain": True}),
    ("lol stop i already paid", "notice", "stop", {"certain": True}),
    # possible opt-outs: pause and hand off
    ("reporting this to the FTC", "notice", "stop", {"certain": False}),
    ("i want out", "notice", "stop", {"certain": False}),
    ("I refuse", "notice", "stop", {"channel": "all", "certain": False}),
    # not opt-outs
    ("you need to stop adding fees", "notice", "dispute", {}),
]

# I. Auto replies: never an opt-out, never entities.
AUTO = [
    ("[Auto-Reply] I am driving right now", "notice", "auto_reply", {"date": None}),
    ("Thanks for your message! I'll get back to you soon.", "notice", "auto_reply", {}),
    ("can't talk rn will text later", "notice", "auto_reply", {}),
    ("This number does not accept text messages.", "notice", "auto_reply", {}),
]

# Neighbours: who is this / abuse / identity questions that read as something else.
OTHER = [
    ("what debt?", "notice", "who_is_this", {}),
    ("which account is this for", "notice", "who_is_this", {}),
    ("why do you need my birthday", "verify", "who_is_this", {}),
    ("you people are bloodsuckers", "notice", "abuse", {}),
    ("reporting you to the attorney general", "notice", "stop", {"certain": False}),  # no representation (US-18)
]

# J. Paid already, dated in the past.
PAID = [
    ("Paid on the 25th", "notice", "paid_already", {}),
    ("I paid on the 20th", "notice", "paid_already", {}),
]


@pytest.mark.parametrize("text, context, intent, ents", REFUSALS)
def test_us17_refusal_to_pay_is_a_cease(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", NOT_REFUSALS)
def test_us16_conditional_refusal_is_a_dispute_not_a_cease(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", PLAIN_OPT_OUTS)
def test_us06_us05_plain_language_opt_outs(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", VOICE_ONLY)
def test_us05_text_only_is_a_voice_opt_out(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", CANT_PAY_NOW)
def test_uk01_cant_pay_this_month_is_hardship(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", HARDSHIP)
def test_uk01_uk07_hardship(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", DISPUTES)
def test_us16_disputes(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", WRONG_NUMBER)
def test_us12_wrong_number(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", ATTORNEY)
def test_us18_attorney_and_bankruptcy(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", NEGATED)
def test_negated_lawyer_bankruptcy_agent_words_do_not_decide(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", NEAR_WORDS)
def test_us06_near_words_are_not_opt_outs(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", CLEAR_OPT_OUTS)
def test_us06_clear_opt_outs_are_certain(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", AUTO)
def test_auto_replies(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", PAID)
def test_paid_on_a_past_date(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", OTHER)
def test_who_is_this_abuse_and_regulator_complaints(text, context, intent, ents):
    check(text, context, intent, ents)


# Guards: neighbours that were already read right and must stay so after the fixes above
# (promises with a date, genuine attorney/bankruptcy, channel-specific stops, auto replies).
GUARDS = [
    ("not paying until you send proof i owe this", "notice", "dispute", {}),
    ("you aren't getting a cent until i see proof", "notice", "dispute", {}),
    ("I won't pay until friday", "notice", "promise", {"date": "2026-12-04"}),
    ("I can't pay until the 5th", "notice", "promise", {"date": "2026-12-05"}),
    ("no calls, no texts, nothing", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("put it in writing and stop calling", "notice", "stop", {"channel": "voice", "certain": True}),
    ("i dont want any calls", "notice", "stop", {"channel": "voice", "certain": True}),
    ("don't call me, texting is fine", "notice", "stop", {"channel": "voice", "certain": True}),
    ("dont call or text me", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("I can't pay this week but I'll pay next friday", "notice", "promise", {"date": "2026-12-11"}),
    ("can't pay til the 20th", "notice", "promise", {"date": "2026-12-20"}),
    ("not today", "verify", "deny", {}),
    ("I've retained legal representation", "notice", "attorney", {}),
    ("my lawyer said not to talk to you", "notice", "attorney", {}),
    ("I'm filing bankruptcy next week", "notice", "bankruptcy", {}),
    ("talk to my attorney, I don't need to talk to you", "notice", "attorney", {}),
    ("im not lying, i'll pay tomorrow", "notice", "promise", {"date": "2026-12-01"}),
    ("you need to stop texting me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("hey stop by the office later", "notice", "unknown", {}),
    ("I want out of this debt, how do I pay it off", "notice", "pay", {}),
    ("(Auto Reply) I'm driving with Do Not Disturb on", "notice", "auto_reply", {}),
    ("This is an automated reply. I'm out of the office until Monday", "notice", "auto_reply", {"date": None}),
    ("paid it on 11/25", "notice", "paid_already", {}),
    ("I'll pay on the 15th", "notice", "promise", {"date": "2026-12-15"}),
]


@pytest.mark.parametrize("text, context, intent, ents", GUARDS)
def test_guards_still_read_right(text, context, intent, ents):
    check(text, context, intent, ents)
