"""English intents from the sixth red-team probe (see CHANGELOG): 360 replies in the contexts
the corpus uses, read against the corpus clock (tests/intents_probe_support.py). Before the
fixes 253/360 (70%) passed; after, 360/360. Three held-out rounds were written after the
first fixes: 22 rows (7/22 passed before any fix, 20/22 after the first round), 29
compliance rows (26/29 before any fix, 27/29 before their own) and 24 rows in other
contexts (18/24 before any fix). Rows marked ``!x`` must not read as x.

Fault kinds found and fixed (each with its neighbouring phrasings):
* A death report naming the person ("Dana passed away", "my husband John died last week",
  "Mr. Jones passed away") was unknown/no rule or hardship: it is the death report
  (``unknown`` with :data:`bot.types.DECEASED_REPORT_RULE`). Without a name ("my husband passed
  away") it stays the customer's own loss (hardship); a thing is no name ("my phone died").
* A refused day in other phrasings ("cant do friday", "friday wont work", "fridays not gonna
  work", "not this friday", "i wont have it by friday", "im not going to pay on friday") was
  a promise for that day (G-02 read it back). A can't-pay form is hardship (as "I can't pay
  friday"); a declined day is a no in the confirm state and never a promise elsewhere. A
  second clause with another day ("..., how about monday", "friday wont work but monday will")
  is the promise for that day; a deadline ("cant pay till friday") stays a promise.
* Plans on offer: a plan refused by number ("not 2", "the first one is too much", "anything
  but option 1") was chosen; with another plan named ("2 is too much, 1 please") that one is.
* A refusal to pay with an intensified coin ("not paying you a damn cent") was pay: a cease
  (US-17, channel all).
* A question about the deadline ("do i have to pay by friday?", "is friday the deadline") was a
  promise: balance.
* Other: a part on one day and the rest on another is a plan; "when i get my tax refund" is a
  date to come (promise); "I'd prefer you didn't text me anymore" is an opt-out; "does the
  interest ever stop?" and "stop the automatic payment on the 15th" are not (a payment
  matter: a person reads it); "idk who dana is" and "this phone belongs to my son" are a
  wrong number; NICU is hardship.
* ask_amount: a refused amount ("cant do 50") was a promise of it; with another amount in a
  clause of its own ("50 is too much, 30", "not 50, 40") that one is the amount.
* opted_out: "ok start again" (a lead word before START) is an opt-in.

Decisions: a relative reporting the holder's illness or incapacity ("I'm his daughter, he has
dementia") stays a wrong number (US-12: nothing about the debt to a third party; a person
reviews the quarantine); "can I pay 50 friday?" is a promise (the corpus reads "can I pay next
week" so; the dialog confirms it).
"""

from __future__ import annotations

import pytest

from bot.intents import interpret
from bot.types import DECEASED_REPORT_RULE
from tests.intents_probe_support import NOW_NY, NY, check

ROWS = [
    # --- death reports naming the person
    ('Dana passed away', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('dana passed away last month', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('my husband John died last week', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('My wife Maria passed away in October', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('John passed away on the 3rd. This is his wife', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('sorry, Robert died in august', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('mike died in a car accident last month', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('my son Kevin passed away in june', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Tom passed on last year', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Bea died', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Carlos has passed away', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Dana passed away', 'verify', 'unknown', {"rule": "unknown.deceased"}),
    ('Dana died 2 weeks ago', 'confirm', 'unknown', {"rule": "unknown.deceased"}),
    ('my mom Linda passed away in september, this was her phone', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Mr. Jones passed away', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Linda passed away two weeks ago, please stop texting', 'notice', 'stop', {}),
    # --- guards: not a death report
    ('my phone died so i didnt see your text, ill pay friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ('sorry phone died, can you resend the link', 'notice', 'pay', {}),
    ('my husband passed away', 'notice', 'hardship', {}),
    ('my dog died and i cant pay this week', 'notice', 'hardship', {}),
    ('my car died and I had to pay for repairs, cant pay right now', 'notice', 'hardship', {}),
    # --- a refused day is not a promise for it
    ('cant do friday', 'confirm', 'hardship', {}),
    ("can't do friday", 'notice', '!promise', {}),
    ("can't do friday", 'ask_date', '!promise', {}),
    ('friday wont work', 'confirm', 'deny', {}),
    ("friday won't work for me", 'ask_date', '!promise', {}),
    ('friday doesnt work', 'confirm', 'deny', {}),
    ("friday doesn't work for me", 'notice', '!promise', {}),
    ('not this friday', 'confirm', 'deny', {}),
    ('not this friday sorry', 'ask_date', '!promise', {}),
    ('friday is no good', 'confirm', 'deny', {}),
    ('no can do on friday', 'confirm', 'deny', {}),
    ('i wont have it by friday', 'notice', '!promise', {}),
    ('theres no way i can pay by friday', 'notice', '!promise', {}),
    ('friday isnt possible', 'confirm', 'deny', {}),
    ("friday's not gonna work", 'confirm', 'deny', {}),
    ('unable to pay on the 15th', 'notice', 'hardship', {}),
    ('i cant make the 15th', 'confirm', 'hardship', {}),
    ('i can not pay friday', 'ask_date', '!promise', {}),
    ('cant pay friday sorry', 'ask_date', '!promise', {}),
    ('cant do friday, how about monday', 'confirm', 'promise', {"date": "2026-12-07"}),
    ('friday wont work but monday will', 'confirm', 'promise', {"date": "2026-12-07"}),
    ('friday doesnt work, monday does', 'ask_date', 'promise', {"date": "2026-12-07"}),
    ('i can pay friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ('cant pay till friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ("can't pay anything until friday", 'notice', 'promise', {"date": "2026-12-04"}),
    ('friday works', 'ask_date', 'promise', {"date": "2026-12-04"}),
    # --- conditionals and questions that look like promises
    ("if I get paid friday I'll pay 50", 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('if my check clears ill pay 100 tomorrow', 'notice', 'promise', {"amount": "100", "date": "2026-12-01"}),
    ('if you waive the fees i can pay 200 today', 'notice', 'plan', {}),
    ('if you take off the late fee ill pay it all friday', 'notice', 'plan', {}),
    ('if i pay 50 now will you stop texting me', 'notice', 'pay', {}),
    ('if i pay today will the calls stop', 'notice', 'pay', {}),
    ('can I pay 50 friday?', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('is it ok if i pay 30 on the 15th?', 'notice', 'promise', {"amount": "30", "date": "2026-12-15"}),
    ('could i pay 40 on friday instead', 'notice', 'promise', {"amount": "40", "date": "2026-12-04"}),
    ('can i pay tomorrow?', 'notice', 'promise', {"date": "2026-12-01"}),
    ('what if i pay 25 friday', 'notice', 'promise', {"amount": "25", "date": "2026-12-04"}),
    ('do i have to pay by friday?', 'notice', 'balance', {}),
    ('when is it due? friday?', 'notice', '!promise', {}),
    ('is friday the deadline', 'notice', '!promise', {}),
    # --- amounts with currency words
    ('50 dollars friday', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('i can do 50 bucks on friday', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ("I'll send $75.50 tomorrow", 'notice', 'promise', {"amount": "75.50", "date": "2026-12-01"}),
    ('fifty dollars on friday', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('ill pay 1,200 dollars on the 15th', 'notice', 'promise', {"amount": "1200", "date": "2026-12-15"}),
    ('i can pay 50 usd friday', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('two hundred on friday', 'notice', 'promise', {"amount": "200", "date": "2026-12-04"}),
    ('ill pay 50$ friday', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('50 dollars', 'ask_amount', 'promise', {"amount": "50"}),
    ('like 40 bucks', 'ask_amount', 'promise', {"amount": "40"}),
    ('a hundred', 'ask_amount', 'promise', {"amount": "100"}),
    ('USD 80 on monday', 'notice', 'promise', {"amount": "80", "date": "2026-12-07"}),
    ('i can send 60 dollars friday and 60 the next friday', 'notice', 'plan', {}),
    # --- opt-outs inside longer texts
    ('I already told you people a hundred times to stop texting me', 'notice', 'stop', {"certain": True}),
    ('look I know I owe but please stop texting me at work', 'notice', 'stop', {"certain": True}),
    ("you need to stop contacting me or I'm reporting you", 'notice', 'stop', {"certain": True, "channel": "all"}),
    ("take my number off your list, I'll call when I'm ready", 'notice', 'stop', {}),
    ('ok whatever. dont text me anymore', 'notice', 'stop', {"certain": True}),
    ('Thanks for the reminder but please remove me from these texts', 'notice', 'stop', {"certain": True}),
    ("I'm not paying anything and stop texting me", 'notice', 'stop', {"certain": True, "channel": "all"}),
    ('delete my number', 'notice', 'stop', {}),
    ('i dont want these messages anymore', 'notice', 'stop', {}),
    ('no more texts, call me instead', 'notice', 'stop', {"channel": "sms"}),
    ('quit blowing up my phone', 'notice', 'stop', {}),
    ('stop harassing me', 'notice', 'stop', {}),
    ('STOP texting me you f***ing idiots', 'notice', 'stop', {"certain": True}),
    ('f*** off and stop texting', 'notice', 'stop', {"certain": True}),
    ('leave me the hell alone', 'notice', 'stop', {}),
    ('never text me again', 'notice', 'stop', {"certain": True}),
    ('i paid friday so stop texting me', 'notice', 'stop', {"certain": True}),
    ("I'll pay when I can, stop texting me every day", 'notice', 'stop', {}),
    ('seriously stop', 'notice', 'stop', {}),
    ('omg just stop', 'notice', 'stop', {}),
    ('stop texting me i get it', 'confirm', 'stop', {"certain": True}),
    ('stop', 'plan_offer', 'stop', {"certain": True}),
    ('please no more messages', 'verify', 'stop', {}),
    ('do not text me at this number again', 'ask_date', 'stop', {"certain": True}),
    ('lose this number', 'ask_amount', 'stop', {}),
    ('unsubscribe me from the emails', 'notice', 'stop', {"channel": "email"}),
    ('dont ever call me again', 'notice', 'stop', {"channel": "voice"}),
    # --- not opt-outs
    ('i will stop by the bank friday and pay', 'notice', 'promise', {"date": "2026-12-04"}),
    ("don't stop the reminders, they help me", 'notice', '!stop', {}),
    ('my paycheck stopped, i lost my job', 'notice', 'hardship', {}),
    ("I stopped working in october, can't pay", 'notice', 'hardship', {}),
    ('quit my job last month so money is tight', 'notice', 'hardship', {}),
    ('ill pay at the end of the week', 'notice', 'promise', {}),
    ('cancel the payment i set up for friday', 'notice', 'unknown', {}),
    ('please dont cancel my plan', 'notice', '!stop', {}),
    ('the texts can stop once I pay friday right?', 'notice', '!stop', {}),
    ('will the texts stop if i pay today', 'notice', 'pay', {}),
    ('how do i stop the late fees', 'notice', '!stop', {}),
    ('im gonna stop by your office tomorrow to pay', 'notice', 'promise', {"date": "2026-12-01"}),
    # --- third parties
    ('this is her son', 'notice', 'wrong_number', {}),
    ('this is his mom, he doesnt live here anymore', 'notice', 'wrong_number', {}),
    ("she doesn't have this phone anymore", 'notice', 'wrong_number', {}),
    ('this is his lawyer', 'notice', 'attorney', {}),
    ("I'm her attorney, direct all communication to my office", 'notice', 'attorney', {}),
    ("I'm his daughter, he has dementia and can't handle this", 'notice', 'wrong_number', {}),
    ("I'm her caregiver, she has alzheimers", 'notice', 'wrong_number', {}),
    ("this is his wife, he's at work, what is this about", 'notice', 'wrong_number', {}),
    # --- anger, sarcasm, profanity
    ('go to hell', 'notice', 'abuse', {}),
    ('f*** you', 'notice', 'abuse', {}),
    ('you people are scum', 'notice', 'abuse', {}),
    ("you'll never see a dime from me", 'notice', 'stop', {"channel": "all"}),
    ("I ain't paying shit", 'notice', 'stop', {"channel": "all"}),
    ('not paying you a damn cent', 'notice', 'stop', {"channel": "all"}),
    ('go ahead and sue me', 'notice', 'unknown', {}),
    ("yeah right, i'll pay when pigs fly", 'notice', '!promise', {}),
    ('wow another text, you guys are relentless', 'notice', '!stop', {}),
    # --- dates
    ('ill pay at the end of the month', 'notice', 'promise', {}),
    ('ill pay next payday', 'notice', 'promise', {}),
    ('on my next payday', 'ask_date', 'promise', {}),
    ('i get paid on the 15th ill pay then', 'notice', 'promise', {"date": "2026-12-15"}),
    ('first of the month', 'ask_date', 'promise', {"date": "2026-12-01"}),
    ('beginning of next month', 'ask_date', 'promise', {}),
    ('by christmas', 'ask_date', 'promise', {"date": "2026-12-25"}),
    ('in two weeks', 'ask_date', 'promise', {"date": "2026-12-14"}),
    ('ill pay on the 1st', 'notice', 'promise', {"date": "2026-12-01"}),
    ('mid december', 'ask_date', 'promise', {}),
    ('i can pay half on the 15th and the rest on the 30th', 'notice', 'plan', {}),
    ("i'll have it to you by the end of next week", 'notice', 'promise', {}),
    ('ill pay when i get my tax refund', 'notice', 'promise', {}),
    # --- compliance: dispute, hardship, attorney, bankruptcy
    ("this isn't my debt", 'notice', 'dispute', {}),
    ('i never had an account with you', 'notice', 'dispute', {}),
    ('the amount is wrong, I only owe 200', 'notice', 'dispute', {}),
    ("I don't recognize this charge", 'notice', 'dispute', {}),
    ('prove i owe this', 'notice', 'dispute', {}),
    ('send me proof i owe this', 'notice', 'dispute', {}),
    ('I was a victim of identity theft, this isnt mine', 'notice', 'dispute', {}),
    ('I lost my job', 'notice', 'hardship', {}),
    ('im in the hospital rn', 'notice', 'hardship', {}),
    ("on disability, can't afford anything", 'notice', 'hardship', {}),
    ('my hours got cut', 'notice', 'hardship', {}),
    ('i just got out of surgery', 'notice', 'hardship', {}),
    ('struggling to buy food rn', 'notice', 'hardship', {}),
    ("I can't take this anymore I want to die", 'notice', 'hardship', {}),
    ('talk to my lawyer', 'notice', 'attorney', {}),
    ('I have legal representation', 'notice', 'attorney', {}),
    ('my attorney will contact you', 'notice', 'attorney', {}),
    ('i filed chapter 7', 'notice', 'bankruptcy', {}),
    ('im going through bankruptcy', 'notice', 'bankruptcy', {}),
    ('this debt was included in my bankruptcy', 'notice', 'bankruptcy', {}),
    ('I paid this off in 2019', 'notice', 'paid_already', {}),
    # --- plan offers
    ('not the second one', 'plan_offer', '!choice', {}),
    ('none of them', 'plan_offer', '!choice', {}),
    ('the first one is too much', 'plan_offer', '!choice', {}),
    ('2 sounds good', 'plan_offer', 'choice', {"option": 2}),
    ('option 3 pls', 'plan_offer', 'choice', {"option": 3}),
    ("I'll do the 2nd one but can I start next month", 'plan_offer', 'choice', {"option": 2}),
    ("can't afford any of those", 'plan_offer', 'hardship', {}),
    ('not 2', 'plan_offer', '!choice', {}),
    ('anything but option 1', 'plan_offer', '!choice', {}),
    ('2 is too much, 1 please', 'plan_offer', 'choice', {"option": 1}),
    ('no not option 2', 'plan_offer', '!choice', {}),
    # --- more named death reports and guards
    ('hi this is about Dana? Dana passed away last month', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Unfortunately Gary passed away in November', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('fyi Rosa died in september', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('my dad Frank passed last spring', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('Mary Smith passed away on Nov 2', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ("my laptop died so I couldn't pay online", 'notice', '!deceased', {}),
    ('the deadline has passed?', 'notice', '!deceased', {}),
    ('grace period has passed already', 'notice', '!deceased', {}),
    ('my grandma passed away last week so money is tight', 'notice', 'hardship', {}),
    ('my husband recently passed', 'notice', 'hardship', {}),
    ("time has passed and I still can't pay", 'notice', 'hardship', {}),
    ('everything died this month, car, fridge, all of it', 'notice', '!deceased', {}),
    # --- refused days, more phrasings
    ("tomorrow won't work", 'confirm', 'deny', {}),
    ("the 15th doesn't work for me", 'confirm', 'deny', {}),
    ('monday is not good', 'confirm', 'deny', {}),
    ('nah friday aint gonna happen', 'confirm', 'deny', {}),
    ('friday wont happen', 'notice', '!promise', {}),
    ('tmrw wont work sorry', 'ask_date', '!promise', {}),
    ("I can't swing friday", 'notice', '!promise', {}),
    ('i wont be able to do the 15th', 'confirm', 'hardship', {}),
    ('no way i can do friday', 'notice', '!promise', {}),
    ('cant make it friday, how about the 11th', 'confirm', 'promise', {"date": "2026-12-11"}),
    ('friday doesnt work but the 11th does', 'notice', 'promise', {"date": "2026-12-11"}),
    ("friday's no good. can i do monday", 'ask_date', 'promise', {"date": "2026-12-07"}),
    ('not this friday but next', 'confirm', '!deny', {}),
    ('not friday', 'confirm', 'deny', {}),
    ("i can't do friday or saturday", 'notice', '!promise', {}),
    ("can't pay friday, maybe monday", 'notice', 'promise', {"date": "2026-12-07"}),
    ('i cant pay before friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ('i will pay friday no problem', 'notice', 'promise', {"date": "2026-12-04"}),
    ('friday is good', 'ask_date', 'promise', {"date": "2026-12-04"}),
    ('friday works great', 'ask_date', 'promise', {"date": "2026-12-04"}),
    ('i cant do this anymore, ill pay friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ('the link doesnt work, ill pay friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ('im not paying this month', 'notice', 'hardship', {}),
    ("i'm not going to pay on friday", 'notice', '!promise', {}),
    ('we will not be paying tomorrow', 'notice', '!promise', {}),
    ('not paying until friday', 'notice', 'promise', {"date": "2026-12-04"}),
    ('not paying today but friday', 'notice', 'promise', {"date": "2026-12-04"}),
    # --- plan choice refusals
    ('not option 1', 'plan_offer', '!choice', {}),
    ('the second one is too expensive', 'plan_offer', '!choice', {}),
    ("I don't want 3", 'plan_offer', '!choice', {}),
    ('option 1 is too high, can i do 2', 'plan_offer', 'choice', {"option": 2}),
    ('not 1, 3', 'plan_offer', 'choice', {"option": 3}),
    ('anything but the first one', 'plan_offer', '!choice', {}),
    ('option 2 please, not 1', 'plan_offer', 'choice', {"option": 2}),
    ('no 2', 'plan_offer', 'choice', {"option": 2}),
    ('none of those work', 'plan_offer', '!choice', {}),
    # --- refusals to pay with intensifiers
    ('not paying a single damn penny', 'notice', 'stop', {"channel": "all"}),
    ("you won't get another dime from me", 'notice', 'stop', {"channel": "all"}),
    ('i aint paying you one red cent', 'notice', 'stop', {"channel": "all"}),
    # --- questions about the deadline
    ('is friday the deadline?', 'notice', 'balance', {}),
    ('is it due friday?', 'notice', 'balance', {}),
    ('do we have to pay by the 15th', 'notice', 'balance', {}),
    ('whats the deadline', 'notice', 'balance', {}),
    ('can i pay by friday?', 'notice', 'promise', {"date": "2026-12-04"}),
    # --- events as dates
    ("i'll pay once my tax refund comes", 'notice', 'promise', {}),
    ('as soon as i get my paycheck ill send 100', 'notice', 'promise', {"amount": "100"}),
    ("i'll pay after i get my bonus", 'notice', 'promise', {}),
    # --- split payments
    ('i can pay 50 friday and the rest next month', 'notice', 'plan', {}),
    ('half on friday and the other half on the 15th', 'notice', 'plan', {}),
    ('i can do 100 now and the remainder on the 1st', 'notice', 'plan', {}),
    ('i can pay some on friday but not the whole thing', 'notice', '!stop', {}),
    # --- txt-speak, typos, run-ons
    ('pls stp txtin me', 'notice', 'stop', {}),
    ('u guys need 2 stop msging me fr', 'notice', 'stop', {}),
    ('omg plz stop textng me i said i wud pay', 'notice', 'stop', {}),
    ('i cnt pay rn lost my job', 'notice', 'hardship', {}),
    ('cn i do 25 a wk', 'notice', 'plan', {}),
    ('wrong # bro', 'notice', 'wrong_number', {}),
    ('who dis', 'notice', 'who_is_this', {}),
    ('i alredy paid this last wk', 'notice', 'paid_already', {}),
    ('idk who dana is', 'notice', 'wrong_number', {}),
    ('talk to my atty', 'notice', 'attorney', {}),
    ('filed bk last yr', 'notice', 'bankruptcy', {}),
    ('im tryna pay but the link aint workin', 'notice', 'pay', {}),
    ('ya i can do 50 fri', 'confirm', 'affirm', {"amount": "50", "date": "2026-12-04"}),
    ('sry cant do fri', 'confirm', 'hardship', {}),
    ('nah fri dont work', 'confirm', 'deny', {}),
    ('i got paid today so ill send it tonite', 'notice', 'promise', {}),
    ('look i know i owe u guys but i just had surgery and im out of work for 6 weeks so i cant pay anything right now', 'notice', 'hardship', {}),
    ('i told the last person i talked to that i would pay on the 15th and i will so stop texting me every day', 'notice', 'stop', {}),
    ('i been paying on time for years and now you charge me a late fee thats not right', 'notice', 'dispute', {}),
    # --- embedded opt-outs and polite ones
    ('Hi, I appreciate the reminder but I would like to opt out of text messages please', 'notice', 'stop', {"certain": True, "channel": "sms"}),
    ('Please take this number off your contact list', 'notice', 'stop', {}),
    ("I'd prefer you didn't text me anymore", 'notice', 'stop', {}),
    ('kindly stop sending me messages', 'notice', 'stop', {"certain": True}),
    ('I no longer wish to receive these texts', 'notice', 'stop', {}),
    ("I'm revoking consent to be contacted", 'notice', 'stop', {}),
    ('can you stop texting me', 'notice', 'stop', {}),
    # --- not opt-outs
    ("I'll stop by tomorrow to pay in person", 'notice', 'promise', {"date": "2026-12-01"}),
    ('i need to stop my autopay and pay manually', 'notice', '!stop', {}),
    ('im going to quit my second job soon so I need a lower payment', 'notice', 'plan', {}),
    ('does the interest ever stop?', 'notice', '!stop', {}),
    ('when will these fees end', 'notice', '!stop', {}),
    ('I want to end this debt, how much to pay it off', 'notice', 'balance', {}),
    ('can I cancel the promise I made and pay today instead', 'notice', '!stop', {}),
    # --- third parties
    ("this phone belongs to my son, he's 12", 'notice', 'wrong_number', {}),
    ("I'm his wife, he's deployed overseas right now", 'notice', '!stop', {}),
    # --- sarcasm, anger, profanity
    ('wow thanks for reminding me for the 10th time today', 'notice', '!promise', {}),
    ('yeah ill get right on that', 'notice', '!promise', {}),
    ('you people are f***ing vultures', 'notice', 'abuse', {}),
    ('eat shit', 'notice', 'abuse', {}),
    ('piss off', 'notice', 'abuse', {}),
    ('go f yourself', 'notice', 'abuse', {}),
    # --- currency
    ('I can pay 50 dollars friday', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('I can pay fifty bucks next friday', 'notice', 'promise', {"amount": "50"}),
    ('$40 on the 15th', 'notice', 'promise', {"amount": "40", "date": "2026-12-15"}),
    ('40.00 on friday', 'notice', 'promise', {"amount": "40.00", "date": "2026-12-04"}),
    ('ill pay 1k friday', 'notice', 'promise', {"amount": "1000", "date": "2026-12-04"}),
    ('2 hundred by friday', 'notice', 'promise', {"amount": "200", "date": "2026-12-04"}),
    # --- held out: written after the first round of fixes, never tuned on before it (29/33 EN+ZH passed then)
    ("Susan passed away in july, I'm her sister", 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('our dad Michael died on thanksgiving', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('i cant do the 4th', 'confirm', 'hardship', {}),
    ("the 4th won't work", 'confirm', 'deny', {}),
    ("nope, tomorrow's no good", 'confirm', 'deny', {}),
    ('tomorrow doesnt work for me, friday does', 'confirm', 'promise', {"date": "2026-12-04"}),
    ('cant do 50 on friday', 'notice', '!promise', {}),
    ('not happening friday', 'confirm', '!promise', {}),
    ("i won't have the money by the 15th", 'notice', '!promise', {}),
    ('i wont have it till the 15th', 'notice', 'promise', {"date": "2026-12-15"}),
    ('not option 3, too long', 'plan_offer', '!choice', {}),
    ("3 is too long, i'll take 2", 'plan_offer', 'choice', {"option": 2}),
    ('neither 1 nor 2', 'plan_offer', '!choice', {}),
    ('I would really appreciate it if you stopped texting me', 'notice', 'stop', {}),
    ("please stop, i'll pay friday", 'notice', 'stop', {}),
    ('does the late fee ever end', 'notice', '!stop', {}),
    ('not paying one damn dime', 'notice', 'stop', {"channel": "all"}),
    ('do i need to pay by the 15th?', 'notice', 'balance', {}),
    ('i can pay 100 on friday and the rest on the 15th', 'notice', 'plan', {}),
    ('ill pay when my stimulus check comes', 'notice', 'promise', {}),
    ('idk who robert is', 'notice', 'wrong_number', {}),
    ('this number belongs to my boss', 'notice', 'wrong_number', {}),
    # --- held out, round 4 (compliance intents; 36/38 EN+ZH passed before its fixes)
    ('ok I get it, now please stop messaging me', 'notice', 'stop', {"certain": True}),
    ("i'm at work, stop texting me during the day", 'notice', 'stop', {}),
    ('this is harassment, cease all communication', 'notice', 'stop', {"channel": "all"}),
    ('I am requesting that you cease and desist', 'notice', 'stop', {}),
    ('put me on your do not call list', 'notice', 'stop', {}),
    ("STOP. I will call you when I'm ready", 'notice', 'stop', {"certain": True}),
    ('I will pay on friday. Stop texting me', 'notice', 'stop', {"certain": True}),
    ('no more messages till friday please', 'notice', '!promise', {}),
    ('stop sending reminders, I set up autopay', 'notice', 'stop', {}),
    ('you can stop the reminders now, I paid', 'notice', '!promise', {}),
    ('stop by friday? what does that mean', 'notice', '!stop', {}),
    ('I want to stop paying interest', 'notice', '!stop', {}),
    ('stop the automatic payment on the 15th', 'notice', '!stop', {}),
    ("my lawyer's name is Tom Reyes, 555-0100", 'notice', 'attorney', {}),
    ("I've retained counsel", 'notice', 'attorney', {}),
    ("I'm represented by an attorney regarding this debt", 'notice', 'attorney', {}),
    ('we filed for chapter 13 last month', 'notice', 'bankruptcy', {}),
    ('my bankruptcy case number is 24-1234', 'notice', 'bankruptcy', {}),
    ("I'm not filing bankruptcy I just need time", 'notice', '!bankruptcy', {}),
    ("I don't owe this, I want it validated", 'notice', 'dispute', {}),
    ('this debt is past the statute of limitations', 'notice', 'dispute', {}),
    ('I never received the item, I disputed it with the bank', 'notice', 'dispute', {}),
    ("I've been in the hospital for two weeks", 'notice', 'hardship', {}),
    ('my son is in the NICU', 'notice', 'hardship', {}),
    ("I'm a veteran on disability, fixed income", 'notice', 'hardship', {}),
    ("I lost my husband last month and I'm trying to get things in order", 'notice', 'hardship', {}),
    ("honestly I don't want to be here anymore", 'notice', 'hardship', {}),
    ('my mom Carol passed, what do i do about her card', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ("she passed away and i'm the executor", 'notice', 'unknown', {"rule": "unknown.deceased"}),
    # --- held out, round 5 (other contexts: ask_amount, verify, opted_out; a refused amount)
    ('cant do 50', 'ask_amount', '!promise', {}),
    ('50 wont work, how about 30', 'ask_amount', 'promise', {"amount": "30"}),
    ('maybe 25 dollars', 'ask_amount', 'promise', {"amount": "25"}),
    ('nothing right now', 'ask_amount', '!promise', {}),
    ('whatever you want', 'ask_amount', '!stop', {}),
    ('stop asking me', 'ask_amount', 'stop', {}),
    ('yes this is Dana', 'verify', 'affirm', {}),
    ('Dana passed away', 'ask_date', 'unknown', {"rule": "unknown.deceased"}),
    ('no she died', 'verify', 'unknown', {"rule": "unknown.deceased"}),
    ('this isnt dana anymore, new number', 'verify', 'wrong_number', {}),
    ('who wants to know', 'verify', '!affirm', {}),
    ('not friday, the 11th', 'ask_date', 'promise', {"date": "2026-12-11"}),
    ('friday doesnt work', 'plan_offer', '!choice', {}),
    ('can i start the plan next friday', 'plan_offer', '!stop', {}),
    ('none of these, i can only do 20 a month', 'plan_offer', 'plan', {}),
    ('ok start again', 'opted_out', 'start', {}),
    ('nope dont start', 'opted_out', '!start', {}),
    ('never text me again', 'opted_out', 'stop', {}),
    ("I'll pay friday, stop", 'confirm', 'stop', {}),
    ('yes but not friday', 'confirm', '!affirm', {}),
    ("yes, friday won't work though, monday", 'confirm', '!affirm', {}),
    ('i can do 50 but not 100', 'ask_amount', 'promise', {"amount": "50"}),
    ('50 is too much, 30', 'ask_amount', 'promise', {"amount": "30"}),
    ('not 50, 40', 'ask_amount', 'promise', {"amount": "40"}),

]


def _check(text, context, intent, ents):
    """``intent`` as in :func:`tests.intents_probe_support.check`; ``"!a,b"`` means none of them
    (the reply must not be read as a, b — e.g. a refused day never a promise), ``"!deceased"``
    any reading but the death report."""
    if not intent.startswith("!"):
        check(text, context, intent, ents)
        return
    it = interpret(text, context=context, now=NOW_NY, tz=NY)
    if intent == "!deceased":
        assert it.rule != DECEASED_REPORT_RULE, (text, it)
    else:
        assert it.name not in intent[1:].split(","), (text, it)


@pytest.mark.parametrize("text, context, intent, ents", ROWS)
def test_probe6_en(text, context, intent, ents):
    _check(text, context, intent, ents)
