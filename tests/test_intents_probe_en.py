"""English compliance and safety intents: the fault kinds a red-team probe found.

Each case is (text, context, expected intent, key entities). For ``stop`` the key
``certain`` says whether the opt-out must be certain (confidence >= 0.9) or a possible
opt-out below the threshold (US-06 safe default: pause and hand off). Rule IDs from
/work/shared/COMPLIANCE.md are cited per group.
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


# US-06 / US-05: an opted-out customer's hostile or negated mention of texting again is
# never an opt-in (START must be an unambiguous request to resume).
OPT_IN_NEGATED = [
    ("dont you dare text me again", "opted_out", "stop", {"channel": "sms"}),
    ("dont you dare text me again", "notice", "stop", {"channel": "sms", "certain": True}),
    ("why did you text me again", "opted_out", "stop", {}),
    ("why did u message me again??", "opted_out", "stop", {}),
    ("you can't text me again", "opted_out", "stop", {"channel": "sms", "certain": True}),
    ("you cannot contact me again", "opted_out", "stop", {"channel": "all", "certain": True}),
    ("you may not contact me", "opted_out", "stop", {"channel": "all", "certain": True}),
    ("you may not contact me", "notice", "stop", {"channel": "all", "certain": True}),
    ("i will report you if you text me again", "opted_out", "stop", {"certain": True}),
    ("if you text me again i'll sue", "opted_out", "stop", {"certain": True}),
    ("who said you could text me again", "opted_out", "stop", {}),
    ("i never said you could text me again", "opted_out", "stop", {}),
    ("please message me on whatsapp instead, no sms", "opted_out", "stop", {"channel": "sms"}),
    ("you can email me instead, no texts", "opted_out", "stop", {"channel": "sms"}),
    # real opt-ins still work
    ("start pls", "opted_out", "start", {}),
    # "text me the link" is a payment request, not an opt-in
    ("you can text me the payment link", "notice", "pay", {}),
    ("START texting me again", "opted_out", "start", {}),
    ("how dare you text me again", "opted_out", "stop", {}),
    ("i told you not to text me again", "opted_out", "stop", {}),
    ("if you text me again with the link I will pay", "notice", "plan", {}),  # an offer, not a threat
]

# US-06: plain-English ("any reasonable means") opt-outs; contact/hear-from forms are a
# cease (US-17, channel all).
PLAIN_OPT_OUTS = [
    ("I don't want to receive any more texts from you", "notice", "stop", {"channel": "sms", "certain": True}),
    ("I no longer want to get these texts", "notice", "stop", {"channel": "sms", "certain": True}),
    ("please dont send me anymore messages", "notice", "stop", {"channel": "sms", "certain": True}),
    ("do not send me any more texts", "notice", "stop", {"channel": "sms", "certain": True}),
    ("knock it off with the texts", "notice", "stop", {"channel": "sms", "certain": True}),
    ("knock it off", "notice", "stop", {"certain": False}),
    ("you do not have my permission to text me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("you dont have permission to contact me", "notice", "stop", {"channel": "all", "certain": True}),
    ("I do not give you permission to call me", "notice", "stop", {"channel": "voice", "certain": True}),
    ("no further contact please", "notice", "stop", {"channel": "all", "certain": True}),
    ("no more communication", "notice", "stop", {"channel": "all", "certain": True}),
    ("I am revoking consent", "notice", "stop", {"certain": True}),
    ("i'm so tired of these texts", "notice", "stop", {"channel": "sms"}),
    ("I'm done with these texts", "notice", "stop", {"channel": "sms"}),
    ("fed up with your messages", "notice", "stop", {"channel": "sms"}),
    ("i dont want to hear from you again", "notice", "stop", {"channel": "all", "certain": True}),
    ("leave me be", "notice", "stop", {"certain": False}),
    ("buzz off", "notice", "stop", {"certain": False}),
    ("get lost", "notice", "stop", {"certain": False}),
    # past-tense blocking: a possible opt-out like "I'm blocking you"
    ("blocked", "notice", "stop", {"certain": False}),
    ("ur blocked", "notice", "stop", {"certain": False}),
    ("Blocked and reported", "notice", "stop", {"certain": False}),
    ("you've been blocked", "notice", "stop", {"certain": False}),
    ("number blocked", "notice", "stop", {"certain": False}),
    # ...but a blocked card is not an opt-out
    ("no longer wish to be contacted", "notice", "stop", {"channel": "all", "certain": True}),
    ("i do not consent to these messages", "notice", "stop", {"channel": "sms", "certain": True}),
    ("I need these texts to stop", "notice", "stop", {"channel": "sms", "certain": True}),
    ("I would like to stop receiving these messages", "notice", "stop", {"channel": "sms", "certain": True}),
    ("i've asked you to stop", "notice", "stop", {"certain": True}),
    ("not interested, stop", "notice", "stop", {"certain": True}),
]

# US-06: misspelled / txt-speak / spaced keywords.
TYPO_OPT_OUTS = [
    ("stahp", "notice", "stop", {"certain": True}),
    ("stoppp pls", "notice", "stop", {"certain": True}),
    ("pls stooop", "notice", "stop", {"certain": True}),
    ("st0p", "notice", "stop", {"certain": True}),
    ("plz stp", "notice", "stop", {"certain": True}),
    ("dnt txt me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("nomore texts", "notice", "stop", {"channel": "sms", "certain": True}),
    ("S T O P !!!", "notice", "stop", {"certain": True}),
    ("stp txtn me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("enough already stop msging me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("please stop the robocalls", "notice", "stop", {"channel": "voice", "certain": True}),
    # a clear STOP sentence is certain, not a possible opt-out
    ("harassment. STOP.", "notice", "stop", {"certain": True}),
    ("spam. stop.", "notice", "stop", {"certain": True}),
    ("Why do you keep texting me? Stop.", "notice", "stop", {"certain": True}),
    ("🛑🛑🛑 STOP", "notice", "stop", {"certain": True}),
    ("stop stop stop", "notice", "stop", {"certain": True}),
    ("cancel subscription", "notice", "stop", {"certain": True}),
    ("dude stop", "notice", "stop", {"certain": True}),
    ("omg stop", "notice", "stop", {"certain": True}),
    ("can y'all stop", "notice", "stop", {"certain": True}),
    ("Can you guys please stop?", "notice", "stop", {"certain": True}),
    # the customer's own STOP under a quoted footer (US-06) is still an opt-out
    ("> Reply STOP to unsubscribe\nSTOP", "notice", "stop", {"certain": True}),
    ("> Reply STOP to opt out\n\nstop please", "notice", "stop", {"certain": True}),
]

# US-17: a refusal to pay is a cease (stop, channel all), as "I refuse to pay" in the
# corpus; refusing only part or only for now is not.
REFUSALS = [
    ("I'm not paying this.", "notice", "stop", {"channel": "all", "certain": True}),
    ("not paying. bye", "notice", "stop", {"channel": "all", "certain": True}),
    ("ain't paying shit", "notice", "stop", {"channel": "all", "certain": True}),
    ("im not paying you a dime so stop texting", "notice", "stop", {"channel": "all", "certain": True}),
    ("I won't pay this", "notice", "stop", {"channel": "all", "certain": True}),
    ("im not gonna pay you people anything", "notice", "stop", {"channel": "all", "certain": True}),
    ("not paying it", "notice", "stop", {"channel": "all", "certain": True}),
    ("I won't pay", "notice", "stop", {"channel": "all", "certain": True}),
    ("i wont be paying this", "notice", "stop", {"channel": "all", "certain": True}),
    ("i am not paying for this", "notice", "stop", {"channel": "all", "certain": True}),
    ("i'm not paying the late fee", "notice", "dispute", {}),  # US-16: a fee disputed, not a cease
]

# US-06: an opt-out wins when the message also holds a promise.
TWO_INTENTS = [
    ("Can you guys please stop? I said I would pay on the 15th and I will. Texting me every day isn't helping.",
     "notice", "stop", {"certain": True}),
    ("Please stop. I'll pay Friday.", "notice", "stop", {"certain": True}),
    ("ok stop. ill pay next week", "notice", "stop", {"certain": True}),
]

# US-05 / US-17: channels.
CHANNELS = [
    ("I revoke consent to be contacted", "notice", "stop", {"channel": "all", "certain": True}),
    ("no emails", "notice", "stop", {"channel": "email", "certain": True}),
    ("only send letters, no texts or calls", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("send me letters only", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("Stop texting me at work. My boss sees these. Call me after 6 instead.", "notice", "stop",
     {"channel": "sms", "certain": True}),
    ("Please don't text me anymore. I'll call you guys myself when I'm ready.", "notice", "stop",
     {"channel": "sms", "certain": True}),
]

# US-06 (COMPLIANCE §(b)): short Spanish opt-outs carriers honour.
SPANISH = [
    ("no más", "notice", "stop", {"certain": True}),
    ("no me manden mas mensajes", "notice", "stop", {"channel": "sms", "certain": True}),
    ("deja de mandarme mensajes", "notice", "stop", {"channel": "sms", "certain": True}),
    ("dejen de escribirme", "notice", "stop", {"certain": True}),
    ("ya no me escriban", "notice", "stop", {"certain": True}),
    ("no quiero recibir más mensajes", "notice", "stop", {"channel": "sms", "certain": True}),
    ("para ya", "notice", "stop", {"certain": True}),
    ("basta", "notice", "stop", {"certain": True}),
]

# US-06: negated or positive requests are not opt-outs (a false opt-out silences a
# paying customer).
NOT_OPT_OUTS = [
    ("don't stop sending me reminders they help", "notice", "unknown", {}),
    ("never stop texting me reminders, they help", "notice", "unknown", {}),
    ("dont stop sending reminders pls", "notice", "unknown", {}),
    ("do not remove me from autopay", "notice", "unknown", {}),
    ("don't remove me from the payment plan", "notice", "unknown", {}),
    ("don't unsubscribe me from payment reminders", "notice", "pay", {}),  # not an opt-out
    ("please keep messaging me, I want to pay", "notice", "pay", {}),
    ("please keep texting me reminders", "notice", "unknown", {}),
    ("I'm not interested in a payment plan, I'll pay in full friday", "notice", "promise", {"date": "2026-12-04"}),
    ("the cancel button on your site doesn't work, how do I pay", "notice", "pay", {}),
    ("goodbye late fees! paid in full", "notice", "paid_already", {}),
    # ...while complaints about being texted stay opt-outs
    ("i never asked you to stop texting me", "notice", "unknown", {}),
    ("No calls please, texts are fine", "notice", "stop", {"channel": "voice", "certain": True}),
]

# UK-07: self-harm, bereavement, illness, mental health → hardship (the engine escalates).
HARDSHIP = [
    ("I want to kill myself", "notice", "hardship", {}),
    ("I'm suicidal", "notice", "hardship", {}),
    ("i'm going to kill myself", "notice", "hardship", {}),
    ("thinking about ending my life over this", "notice", "hardship", {}),
    ("honestly i dont want to be alive anymore with all this debt", "notice", "hardship", {}),
    ("i just want to die", "notice", "hardship", {}),
    ("everyone would be better off if i was dead", "notice", "hardship", {}),
    ("im depressed and cant deal with this", "notice", "hardship", {}),
    ("i have severe depression", "notice", "hardship", {}),
    ("My son just died", "notice", "hardship", {}),
    ("my wife recently passed", "notice", "hardship", {}),
    ("lost my husband last month", "notice", "hardship", {}),
    ("my dad just died", "notice", "hardship", {}),
    ("my husband is in the ICU", "notice", "hardship", {}),
    ("my mom is in hospice", "notice", "hardship", {}),
    ("I'm in the ER", "notice", "hardship", {}),
    ("had a stroke in sept", "notice", "hardship", {}),
    ("I'm in rehab", "notice", "hardship", {}),
    ("i was fired in october", "notice", "hardship", {}),
    ("I was let go from my job", "notice", "hardship", {}),
    ("I'm between jobs", "notice", "hardship", {}),
    ("lost my jobb", "notice", "hardship", {}),
    ("my business closed down", "notice", "hardship", {}),
    ("I'm on food stamps", "notice", "hardship", {}),
    ("I'm on SSI", "notice", "hardship", {}),
    ("we had a house fire", "notice", "hardship", {}),
    ("im brokeee", "notice", "hardship", {}),
    ("don't have a dime to my name", "notice", "hardship", {}),
    ("dont got da money", "notice", "hardship", {}),
    ("i aint got it rn", "notice", "hardship", {}),
    ("on maternity leave, no pay til march", "notice", "hardship", {}),
    ("i cnt pay rn", "notice", "hardship", {}),
    ("I had to quit working because of my back", "notice", "hardship", {}),
    ("I'm not avoiding you, money is just tight", "notice", "hardship", {}),
    # a deceased debtor reported by someone else stays the deceased route (not hardship)
    ("Im not gonna be able to pay", "notice", "hardship", {}),
    ("i cant go on like this", "notice", "hardship", {}),
]

# US-12: "I'm not <verb>ing you" is not a wrong number; real wrong numbers are caught.
WRONG_NUMBER = [
    ("I'm not telling you that", "verify", "unknown", {}),
    ("im not sending you my ssn", "verify", "unknown", {}),
    ("im not texting you my birthday", "verify", "unknown", {}),
    ("I'm not giving you my info", "verify", "unknown", {}),
    ("I'm not calling you back", "notice", "unknown", {}),
    ("I'm not ignoring you, I'll pay friday", "notice", "promise", {"date": "2026-12-04"}),
    ("i'm not giving you that. remove me", "verify", "stop", {}),
    ("theres no Jessica here", "notice", "wrong_number", {}),
    ("no1 here by that name", "notice", "wrong_number", {}),
    ("this number belongs to someone else now", "notice", "wrong_number", {}),
    ("idk who dat is", "notice", "wrong_number", {}),
    ("this isn't my number anymore", "notice", "wrong_number", {}),
    ("that's my mom, she's not here", "verify", "wrong_number", {}),
    ("that's my ex, we're not together anymore", "notice", "wrong_number", {}),
]

# US-16: disputes.
DISPUTES = [
    ("the balance is way too high, i only owed 200", "notice", "dispute", {}),
    ("I don't recognize this", "notice", "dispute", {}),
    ("I dont think I owe this much", "notice", "dispute", {}),
    ("never heard of this company or this debt", "notice", "dispute", {}),
    ("these fees are bogus", "notice", "dispute", {}),
    ("I paid this in March, this is wrong", "notice", "dispute", {}),
]

# US-18: attorney.
ATTORNEY = [
    ("my legal rep will be in touch", "notice", "attorney", {}),
    ("lawyered up. talk to him", "notice", "attorney", {}),
]

# "got paid" is payday, not a payment already made; "sent $X yesterday" is.
PAYDAY = [
    ("I got paid today so I can pay $100", "notice", "pay", {"amount": "100.00"}),
    ("just got paid, sending it now", "notice", "pay", {}),
    ("I got paid so I'll pay tomorrow", "notice", "promise", {"date": "2026-12-01"}),
    ("once I've been paid I'll send it", "notice", "promise", {}),
    ("sent $150 via cashapp yesterday", "notice", "paid_already", {"amount": "150.00"}),
    ("stopped at the bank and sent $100 this morning", "notice", "paid_already", {"amount": "100.00"}),
]

YES_NO = [
    ("ofc", "confirm", "affirm", {}),
    ("yessir", "confirm", "affirm", {}),
    ("sounds good 👍", "confirm", "affirm", {}),
]


# Neighbouring replies that were already read right and must stay so (they pin the fixes
# above from over-reaching: real opt-ins, "not paying this month", a blocked card, a
# deceased third party, "I'm not Dana", "i dont recognize this number"...).
GUARDS = [
    ("if u message me again im calling my lawyer", "opted_out", "attorney", {}),
    ("START", "opted_out", "start", {}),
    ("you can text me again", "opted_out", "start", {}),
    ("please text me again", "opted_out", "start", {}),
    ("ok you can text me again, I want the reminders", "opted_out", "start", {}),
    ("i do not wish to receive these messages", "notice", "stop", {"channel": "sms", "certain": True}),
    ("stop sending me these messages", "notice", "stop", {"channel": "sms", "certain": True}),
    ("i withdraw my consent to be texted", "notice", "stop", {"channel": "sms", "certain": True}),
    ("my card got blocked, can I pay with another one", "notice", "pay", {}),
    ("dont txt me no more", "notice", "stop", {"channel": "sms", "certain": True}),
    ("s t o p", "notice", "stop", {"certain": True}),
    ("stop txtin me", "notice", "stop", {"channel": "sms", "certain": True}),
    ("> Reply STOP to unsubscribe", "notice", "unknown", {}),
    ("I'm not paying this month, I'll pay on the 15th", "notice", "promise", {"date": "2026-12-15"}),
    ("I'm not paying online, can I pay by phone", "notice", "pay", {}),
    ("do not contact me again", "notice", "stop", {"channel": "all", "certain": True}),
    ("no more emails please", "notice", "stop", {"channel": "email", "certain": True}),
    ("dont text or call me, ill call you", "notice", "stop", {"channel": "sms+voice", "certain": True}),
    ("No mas!", "notice", "stop", {"certain": True}),
    ("you never stop texting me", "notice", "stop", {}),
    ("why do you keep texting me", "notice", "stop", {}),
    ("stop texting me, dont ever contact me again", "notice", "stop", {"certain": True}),
    ("we're grieving, my mother passed last week", "notice", "hardship", {}),
    ("he passed away last year", "notice", "unknown", {}),
    ("I'm not Dana", "notice", "wrong_number", {}),
    ("there is nobody here by that name", "notice", "wrong_number", {}),
    ("theres no money here", "notice", "hardship", {}),
    ("i dont recognize this number", "notice", "who_is_this", {}),
    ("it got paid last week", "notice", "paid_already", {}),
    ("I won't pay until friday", "notice", "promise", {"date": "2026-12-04"}),
    ("I want to stop my autopay", "notice", "unknown", {}),
    ("no texts received yet", "notice", "unknown", {}),
    ("I want to file a grievance", "notice", "unknown", {}),  # not grief
    ("can you take it all out at once", "notice", "pay", {}),  # not "take my life"
    ("that's my husband's account, i'll pay it", "notice", "pay", {}),
]

@pytest.mark.parametrize("text, context, intent, ents", OPT_IN_NEGATED)
def test_us06_opt_in_needs_a_clear_request(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", PLAIN_OPT_OUTS)
def test_us06_plain_english_opt_outs(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", TYPO_OPT_OUTS)
def test_us06_misspelled_and_sentence_keywords(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", REFUSALS)
def test_us17_refusal_to_pay_is_a_cease(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", TWO_INTENTS)
def test_us06_opt_out_wins_over_a_promise(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", CHANNELS)
def test_us05_us17_channels(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", SPANISH)
def test_us06_spanish_opt_outs(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", NOT_OPT_OUTS)
def test_us06_negated_stop_is_not_an_opt_out(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", HARDSHIP)
def test_uk07_hardship_and_vulnerability(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", WRONG_NUMBER)
def test_us12_wrong_number(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", DISPUTES)
def test_us16_disputes(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", ATTORNEY)
def test_us18_attorney(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", PAYDAY)
def test_got_paid_is_payday(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text, context, intent, ents", YES_NO)
def test_yes_no_slang(text, context, intent, ents):
    check(text, context, intent, ents)


# UK-07: the engine's vulnerability and self-harm words cover what the classifier reads
# as hardship, so the hold and the priority-1 hand-off fire.
@pytest.mark.parametrize("text, self_harm", [
    ("I want to kill myself", True), ("I'm suicidal", True),
    ("thinking about ending my life over this", True),
    ("honestly i dont want to be alive anymore with all this debt", True),
    ("i just want to die", True), ("i don't want to live anymore", True),
    ("My son just died", False), ("my wife recently passed", False), ("lost my husband last month", False),
    ("my husband is in the ICU", False), ("my mom is in hospice", False), ("had a stroke in sept", False),
    ("I'm in the ER", False), ("we're grieving", False), ("I'm in rehab", False),
])
def test_uk07_engine_vulnerability_words(text, self_harm):
    from bot.dialogs.engine import _SELF_HARM, _VULNERABLE
    assert run(text).name == "hardship"
    assert _VULNERABLE.search(text)
    assert bool(_SELF_HARM.search(text)) is self_harm


@pytest.mark.parametrize("text, context, intent, ents", GUARDS)
def test_guards_still_read_right(text, context, intent, ents):
    check(text, context, intent, ents)
