"""English intents, third red-team probe: the fault kinds it found, with neighbours.

Each case is (text, context, expected intent, key entities). For ``stop`` the key
``certain`` says whether the opt-out must be certain (confidence >= 0.75, the default
opt-out threshold) or a possible opt-out below it (US-06 safe default: pause and hand
off). Rule IDs from /work/shared/COMPLIANCE.md are cited per group.
"""


import pytest

from tests.intents_probe_support import check


# US-06: missed opt-outs (keyword runs, DNC lists, "out of your database", "cut it out",
# "no further communication", "contact me no further"), and clear stops that were only unsure
# (dictated punctuation, "stop and remove", a signature after the keyword, a polite lead-in).
OPT_OUTS = [
    ("STOPSTOPSTOP", "notice", "stop", {"certain": True}),
    ("stopstop", "notice", "stop", {"certain": True}),
    ("add me to ur DNC list", "notice", "stop", {"certain": True, "channel": "sms+voice"}),
    ("put my number on your do not call list", "notice", "stop", {"certain": True, "channel": "sms+voice"}),
    ("take this number out of your database", "notice", "stop", {"certain": True, "channel": "sms"}),
    ("delete me from your system", "notice", "stop", {"certain": True}),
    ("please remove my info from your records", "notice", "stop", {"certain": True}),
    ("cut it out with the messages", "notice", "stop", {"certain": True, "channel": "sms"}),
    ("knock it off with the calls", "notice", "stop", {"certain": True, "channel": "voice"}),
    ("cut it out", "notice", "stop", {"certain": False}),
    ("enough with the texts already", "notice", "stop", {"certain": True, "channel": "sms"}),
    ("enough of these calls", "notice", "stop", {"certain": True, "channel": "voice"}),
    ("I do not wish to receive any further communication", "notice", "stop", {"certain": True, "channel": "all"}),
    ("I no longer wish to receive communications from you", "notice", "stop", {"certain": True, "channel": "all"}),
    ("I wish to receive no further correspondence", "notice", "stop", {"certain": True, "channel": "all"}),
    ("contact me no further", "notice", "stop", {"certain": True, "channel": "all"}),
    ("text me no more", "notice", "stop", {"certain": True, "channel": "sms"}),
    ("Stop period", "notice", "stop", {"certain": True}),
    ("stop exclamation point", "notice", "stop", {"certain": True}),
    ("stop and remove", "notice", "stop", {"certain": True}),
    ("unsubscribe and stop", "notice", "stop", {"certain": True}),
    ("stop\n-- \nJohn Smith\nRegional Manager", "notice", "stop", {"certain": True}),
    ("Stop -- John Smith, Regional Manager", "notice", "stop", {"certain": True}),
    ("STOP\n\nSent from my iPhone", "notice", "stop", {"certain": True}),
    ("STOP\nJohn", "notice", "stop", {"certain": True}),
    # the opt-out wins; the engine escalates the vulnerability separately (UK-07)
    ("please stop, I'm in the hospital", "notice", "stop", {"certain": True}),
    ("pls stop. my husband just died", "notice", "stop", {"certain": True}),
    ("mute", "notice", "stop", {"certain": False}),
    ("silence", "notice", "stop", {"certain": False}),
    ("mute the calls please", "notice", "stop", {"certain": False, "channel": "voice"}),
    ("I want to disappear from your list", "notice", "stop", {"certain": False}),
]

# US-06 false opt-outs that silence a paying customer: a negated or undone opt-out, a question
# about the texts stopping once paid, "stop paying", our footer quoted in single quotes.
NOT_OPT_OUTS = [
    ("I'm not opting out I just want to talk to someone", "notice", "agent", {}),
    ("im not trying to unsubscribe, what's my balance", "notice", "balance", {}),
    ("'Reply STOP to opt out' — I don't want to opt out, I want to pay", "notice", "pay", {}),
    ("I don't want to opt out, send me the payment link", "notice", "pay", {}),
    ("if I pay today will the texts stop", "notice", "pay", {}),
    ("will the calls stop once I pay?", "notice", "pay", {}),
    ("will you stop texting me if I pay?", "notice", "pay", {}),
    ("the texts will stop when I pay right?", "notice", "pay", {}),
    ("haha i almost texted stop lol. ok how much do i owe", "notice", "balance", {}),
    ("keep texting me the reminders pls", "notice", "unknown", {}),
    ("end it with a final payment", "notice", "pay", {}),
    ("take me off autopay", "notice", "unknown", {}),
    ("remove me from the payment plan", "notice", "unknown", {}),
    ("I didnt mean to text stop", "notice", "unknown", {}),
    # US-06: a clear request to undo the opt-out just confirmed is an opt-in
    ("wait dont opt me out, that was my kid", "opted_out", "start", {}),
    ("I didnt mean to text stop", "opted_out", "start", {}),
    ("I sent stop by accident", "opted_out", "start", {}),
    ("undo the opt out please", "opted_out", "start", {}),
    # still opt-outs
    ("will you stop texting me", "notice", "stop", {"certain": True}),
    ("remove me from your list", "notice", "stop", {"certain": True}),
    ("why do you keep texting me", "notice", "stop", {"certain": False}),
]

# US-05: the medium the customer accepts is not opted out.
CHANNELS = [
    ("you can text but stop calling my cell", "notice", "stop", {"channel": "voice"}),
    ("u can still text me, just stop calling", "notice", "stop", {"channel": "voice"}),
    ("i prefer calls, stop the texts", "notice", "stop", {"channel": "sms"}),
    ("I'd rather have texts, stop calling", "notice", "stop", {"channel": "voice"}),
]

# US-16 disputes (a conditional refusal until the amount is fixed, the amount contested,
# identity theft, a divorce decree), US-12 wrong number, US-18 attorney wins over a stop,
# UK-01 hardship.
COMPLIANCE = [
    ("not paying until you fix the amount", "notice", "dispute", {}),
    ("I won't pay until you correct the balance", "notice", "dispute", {}),
    ("balance should be $212 not $450", "notice", "dispute", {"amount": "212"}),
    ("The amount you list ($1,245.00) is not what I owe. My last statement said $845.00.", "notice", "dispute", {}),
    ("I only owe $300, not $900", "notice", "dispute", {}),
    ("someone opened this in my name", "notice", "dispute", {}),
    ("this account was opened in my name without my permission", "notice", "dispute", {}),
    ("my ex ran up this card in my name", "notice", "dispute", {}),
    ("somebody used my identity for this", "notice", "dispute", {}),
    ("this was included in my divorce settlement, my ex owes it", "notice", "dispute", {}),
    ("per the divorce decree my ex-husband is responsible for this", "notice", "dispute", {}),
    ("this was supposed to be written off", "notice", "dispute", {}),
    ("wtf is this charge", "notice", "dispute", {}),
    ("can you remove the $35 fee? it's not right", "notice", "dispute", {}),
    ("this aint kevin", "notice", "wrong_number", {}),
    ("that aint me", "notice", "wrong_number", {}),
    ("incorrect number", "notice", "wrong_number", {}),
    ("wrong digits buddy", "notice", "wrong_number", {}),
    ("I'm not the account holder but I'll pass on the message", "notice", "wrong_number", {}),
    ("Is this Jordan? no it isn't.", "verify", "wrong_number", {}),
    ("no it isnt", "verify", "wrong_number", {}),
    ("esq. handling this, dont contact me", "notice", "attorney", {}),
    ("John Doe, Esq. represents me", "notice", "attorney", {}),
    ("government shutdown, no paycheck", "notice", "hardship", {}),
    ("the plant shut down and I haven't been paid in weeks", "notice", "hardship", {}),
    ("my wife quit her job, can we lower the payments", "notice", "hardship", {}),
    ("these debts are killing me, I can't sleep", "notice", "hardship", {}),
    ("my business went bankrupt and I lost everything", "notice", "hardship", {}),
    ("the company I work for filed for bankruptcy and I got laid off", "notice", "hardship", {}),
    # the customer's own bankruptcy stays one
    ("my business filed chapter 7, is my personal debt included", "notice", "bankruptcy", {}),
    ("I filed for bankruptcy", "notice", "bankruptcy", {}),
]

# UK-07 self-harm / possible ideation (the engine words are in tests/test_engine_words_en.py)
SELF_HARM = [
    ("I might as well just end it", "notice", "hardship", {}),
    ("I'm thinking about ending things", "notice", "hardship", {}),
    ("im so done with life", "notice", "hardship", {}),
    ("I'm tired of living", "notice", "hardship", {}),
    ("I don't see a way out of this.", "notice", "hardship", {}),
    ("I want to disappear", "notice", "hardship", {}),
    # not ideation
    ("I want to end it with one payment", "notice", "pay", {}),
    ("tired of living paycheck to paycheck", "notice", "hardship", {}),
]

# choices, yes/no, paid already, deferral, auto replies, help, abuse
MONEY = [
    ("lets do number three", "plan_offer", "choice", {"option": 3}),
    ("i'll take number two", "plan_offer", "choice", {"option": 2}),
    ('Quoting your msg "Reply 1 for plan A, 2 for plan B": 2', "plan_offer", "choice", {"option": 2}),
    ("nuh uh", "confirm", "deny", {}),
    ("uh-uh", "confirm", "deny", {}),
    ("sent via venmo this morning", "notice", "paid_already", {}),
    ("paid through your website yesterday", "notice", "paid_already", {}),
    ("the check cleared last week", "notice", "paid_already", {}),
    ("you already cashed my check", "notice", "paid_already", {}),
    ("I'll send via zelle tomorrow", "notice", "promise", {"date": "2026-12-01"}),
    ("can I skip this month's payment", "notice", "plan", {}),
    ("could i miss next months payment", "notice", "plan", {}),
    ("I'll never miss a payment again, promise. paying friday", "notice", "promise", {"date": "2026-12-04"}),
    ("I can't talk right now, at work. Text me the payment link and I'll do it on my lunch break", "notice", "pay", {}),
    ("Sorry, I can't talk right now.", "notice", "auto_reply", {}),
    ("This person is unavailable. Please try again later.", "notice", "auto_reply", {}),
    ("Thanks for your message! I'm on vacation with limited access to my phone.", "notice", "auto_reply", {}),
    ("what can i reply with", "notice", "help", {}),
    ("eat sh*t", "notice", "abuse", {}),
]


@pytest.mark.parametrize("text,context,intent,ents", OPT_OUTS)
def test_us06_opt_outs_missed_or_unsure(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text,context,intent,ents", NOT_OPT_OUTS)
def test_us06_false_opt_outs_and_undo(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text,context,intent,ents", CHANNELS)
def test_us05_accepted_medium_not_opted_out(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text,context,intent,ents", COMPLIANCE)
def test_us16_us12_us18_uk01_compliance_intents(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text,context,intent,ents", SELF_HARM)
def test_uk07_ideation_is_hardship(text, context, intent, ents):
    check(text, context, intent, ents)


@pytest.mark.parametrize("text,context,intent,ents", MONEY)
def test_choices_paid_deferral_auto_reply(text, context, intent, ents):
    check(text, context, intent, ents)
