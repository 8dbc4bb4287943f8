"""``interpret()``: one customer reply → :class:`bot.types.Intent`.

Pure: no I/O, no clock reads, no logging of bodies. Rules are ordered; the first that
decides wins. The order is the policy:

1. empty, signature-only, tapback, our own footer quoted back, auto-reply → no entities,
   never an opt-out;
2. compliance that can never be outvoted: attorney (US-18), bankruptcy, opt-out keyword
   forms (US-06: whole message or leading keyword; COMPLIANCE §(b) US and China
   lexicons), wrong number (US-12), natural-language opt-outs (US-06; "contact" forms and
   refusals to pay are a cease, US-17), possible opt-outs (stop *below* the threshold),
   opt-in;
3. what the bot last asked (``context``): yes/no, identity answers (verify), plan number
   (plan_offer), a date (ask_date), an amount (ask_amount);
4. the rest, most specific first: conditional offers, dispute (US-16; a scam claim about
   the debt, "this is a scam", is one), paid_already,
   hardship (UK-01/UK-07; with self-harm words its rule is ``hardship.self_harm``,
   :data:`bot.types.SELF_HARM_RULE`), deceased third party → unknown, help, cancel-a-payment →
   unknown, agent, who_is_this, abuse, plan, promise, "can't pay" → hardship, an
   unexplained stop-class word → stop below the threshold (US-06 safe default), balance,
   pay, generic yes/no, unknown.

English rules read a typo-corrected view of the normalised text (``fuzzy``); Chinese
rules are exact substrings (``lexicon_zh``), with jieba (``segment``) only where a
substring is ambiguous. Dates and amounts come from ``bot.intents.entities``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal

from bot.self_harm import self_harm_words
from bot.types import CONTEXTS, DECEASED_REPORT_RULE, SELF_HARM_RULE, Entities, Intent

from . import fuzzy
from . import lexicon_en as en
from . import lexicon_zh as zh
from .normalise import detect_lang, has_cjk, normalise
from .prefilter import Rule, word_starts
from .segment import zh_words

_extract = None


def _extract_entities(text: str, *, now: dt.datetime, tz: str, lang: str):
    global _extract
    if _extract is None:  # imported on first use so the package imports without it
        from .entities import extract_entities
        _extract = extract_entities
    return _extract(text, now=now, tz=tz, lang=lang)


def _rx(patterns) -> Rule:
    return Rule(patterns)


# English ---------------------------------------------------------------------------
_AUTO = _rx(en.AUTO_REPLY)
_AUTO_NOT = re.compile(en.AUTO_REPLY_NOT)
_TAPBACK = _rx(en.TAPBACK)
_SIGNATURE = re.compile(en.SIGNATURE)
_QUOTED_FOOTER = re.compile(en.QUOTED_FOOTER, re.M)
_ATTORNEY = _rx(en.ATTORNEY)
_ATTORNEY_NOT = _rx(en.ATTORNEY_NOT)
_BANKRUPTCY = _rx(en.BANKRUPTCY)
_BANKRUPTCY_NOT = _rx(en.BANKRUPTCY_NOT)
_STOP_PHRASE = _rx(en.STOP_PHRASES + (en.CHANNEL_MAIL_ONLY,) + en.CHANNEL_OFF_PHONE)
_STOP_UNSURE = _rx(en.STOP_PHRASES_UNSURE)
_STOP_NOT = _rx(en.STOP_NOT)
_STOP_NEGATED = _rx(en.STOP_NEGATED)
_STOP_LEAD = re.compile(r"^(?P<kw>[a-zêé]+)(?:(?P<punct>\s*[.!,;:]+|\s+-+(?:\s|$))|\s+(?P<obj>" + en.STOP_LEAD_OBJECTS + r")\b)")
#: "please stop, I'm in the hospital": a polite lead-in before a leading keyword (not "ok stop, ...")
_STOP_POLITE = re.compile(r"^(?:(?:please|pls|plz|plse|kindly)[ ,]+)+")
#: "STOPSTOPSTOP", "stopstop": a keyword typed over and over without spaces
_STOP_RUN = re.compile(r"(?:stop|unsubscribe|unsub|stopall|quit|cancel|optout){2,}")
_STOP_WORD = Rule(r"\b(?:stop|stopall|unsubscribe|unsub|cancel|quit|revoke|optout|opt out|opt-out|"
                        r"remove|block|cease)\b")
_STOP_TRAIL = Rule(r"(?<!dont )(?<!do not )(?<!to )(?<!never )(?<!wont )\b(?:stop|unsubscribe|quit|stopall|optout)[.!]*$")
_CANCEL_PAYMENT = _rx(en.CANCEL_PAYMENT)
_CH_VOICE = _rx(en.CHANNEL_VOICE)
_CH_EMAIL = _rx(en.CHANNEL_EMAIL)
_CH_SMS = _rx(en.CHANNEL_SMS)
_CH_ALL = _rx(en.CHANNEL_ALL)
_CH_MAIL_ONLY = _rx((en.CHANNEL_MAIL_ONLY,) + en.CHANNEL_OFF_PHONE)
_CH_SMS_OK = _rx(en.CHANNEL_SMS_OK)
_CH_VOICE_OK = _rx(en.CHANNEL_VOICE_OK)
_CH_EMAIL_OK = _rx(en.CHANNEL_EMAIL_OK)
_CH_CEASE = _rx(en.CHANNEL_CEASE)
_CH_DNC = _rx(en.CHANNEL_DNC)
_START = _rx(en.START_PHRASES)
_START_NOT = _rx(en.START_NOT)
_START_UNDO = _rx(en.START_UNDO)
_WRONG = _rx(en.WRONG_NUMBER)
_DISPUTE = _rx(en.DISPUTE)
_SCAM_CLAIM = _rx(en.SCAM_CLAIM)
_PAID = _rx(en.PAID_ALREADY)
_HARDSHIP = _rx(en.HARDSHIP)
_HARDSHIP_WEAK = _rx(en.HARDSHIP_WEAK + en.CANT_PAY_NOW)
_CANT_PAY_NOW = _rx(en.CANT_PAY_NOW)
_PROMISE_POSITIVE = _rx(en.PROMISE_POSITIVE)
_CANT_PAY_ON = _rx(en.CANT_PAY_ON)
_CANT_PAY_ON_BUT = re.compile(en.CANT_PAY_ON_BUT)
_PAID_DATED = re.compile(en.PAID_DATED)
_REFUSED_CANT = re.compile("|".join(en.REFUSED_DAY_CANT))
_REFUSED_NO = re.compile("|".join(en.REFUSED_DAY_NO)
                         # "not this friday", "nope not the 15th sorry": the whole reply refuses the day
                         + r"|^(?:(?:no+|nope|nah|sorry|sadly|unfortunately|um+|hmm+|oh|ah)[ ,.!]+)*not (?:on |by )?(?:the )?(?:this |next |coming )?"
                         + en.REFUSED_DAY_WORDS + r"(?:[ ,.!]+(?:sorry|sry|unfortunately|sadly|either|tho|though))*[ .!]*$")
_REFUSED_DEADLINE = re.compile(en.REFUSED_DAY_DEADLINE)
_REFUSED_CLAUSE = re.compile(en.REFUSED_DAY_CLAUSE)
_Z_REFUSED_CANT = re.compile(zh.REFUSED_DAY_CANT)
_Z_REFUSED_NO = re.compile(zh.REFUSED_DAY_NO)
_Z_REFUSED_DEADLINE = re.compile(zh.REFUSED_DAY_DEADLINE)
_Z_CLAUSE = re.compile(r"[,.;!?，。；！？\s]+|但是|可是|不过|要不|改成|换成|改到|换到")
_DECEASED = _rx(en.DECEASED)
_DECEASED_HOLDER = _rx(en.DECEASED_HOLDER)
_DECEASED_NAMED = re.compile(en.DECEASED_NAMED)
_DEADLINE_QUESTION = _rx(en.DEADLINE_QUESTION)
_AGENT = _rx(en.AGENT)
_AGENT_NOT = _rx(en.AGENT_NOT)
_WHO = _rx(en.WHO_IS_THIS)
_ABUSE = _rx(en.ABUSE)
_BALANCE = _rx(en.BALANCE)
_PLAN = _rx(en.PLAN)
_PLAN_OFFER = _rx(en.PLAN_OFFER)
_PAY = _rx(en.PAY)
_PAY_VERB = _rx(en.PAY_VERB)
_PAY_WANT = Rule(r"\b(?:i want|i wanna|i would like|id like|ready|im ready|i need|i have) to "
                 r"(?:pay|make a payment|clear|settle|close)\b")
_IMMEDIATE = _rx(en.IMMEDIATE)
_DATE_CUE = _rx(en.DATE_CUE)
_PROMISE_NODATE = Rule(r"\b(?:i can|i could|ill|i will|im going to|im gonna|i am going to|gonna|can) "
                             r"(?:pay|send|do|get you)\b")
_WORDS = re.compile(r"[a-z0-9êéáíóúñ#$*-]+")
_LETTERS = re.compile(r"[a-z]+")
_REPEATS = re.compile(r"(.)\1+")
_SPACED = re.compile(r"(?:[a-z][ .\-]){2,}[a-z][ .!]*")
_ONE_NUMBER = re.compile(r"(?:[a-z]+ ){0,3}\$? ?(\d{1,7}(?:\.\d{1,2})?)(?: [a-z]+){0,2}")
_BARE_NUMBER = re.compile(r"^\$? ?(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,7}(?:\.\d{1,2})?) ?(?:\$|usd|dollars|bucks|元|块)?$")
# ask_amount ("how much can you pay?"): the reply is only an amount, a range or number words,
# with a few hedges around it ("maybe 37.50", "50.00", "between 50 and 100", "fifty")
_AMT_HEDGE = (r"(?:(?:maybe|about|around|like|only|just|prob|probably|say|um+|uh+|ok|okay|hmm+|i can do|i can pay"
              r"|i could do|i could pay|i can send|i can manage|i can afford|how about|can i do|can we do|lets say"
              r"|lets do|i think|approximately|roughly|no more than|at most|up to|at least)\s+)*")
_AMT_NUM = r"\$? ?(?:\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,7}(?:\.\d{1,2})?)(?: ?-?ish\b)?"  # "60ish": about 60
_AMT_TAIL = (r"(?: ?(?:\$|usd|dollars?|bucks?))?(?:[.,!]*\s+(?:maybe|tops|max|ok|okay|please|pls|for now|to start|is all i have"
             r"|is all i got|thats all i have|thats all i got|is what i have))*\s*[.?!]*$")
_AMT_ONLY = re.compile(rf"^{_AMT_HEDGE}(?P<n>{_AMT_NUM}){_AMT_TAIL}")
_AMT_RANGE = re.compile(rf"^{_AMT_HEDGE}(?:between |btwn |from |anywhere from |somewhere between )?(?P<n>{_AMT_NUM})"
                        # "probably 30, maybe 40", "30 or 40": the lower and the upper end
                        rf"(?: ?(?:-|to|and|&) ?|,? (?:or )?(?:maybe|possibly|perhaps|prob|probably) |,? or )(?P<n2>{_AMT_NUM}){_AMT_TAIL}")
# ask_amount: the whole balance ("all of it" → pay, the pay link) or a part of it ("half" → plan)
_AMT_FULL = re.compile(r"^(?:(?:i can pay|i can do|ill pay|i will pay|i can|ill do|i want to pay|pay|maybe|prob|probably|just|ok|okay)\s+)?"
                       r"(?:all(?: of it)?|(?:the )?(?:whole|full|entire) (?:thing|amount|balance|bill|debt)|everything"
                       r"|(?:it )?in full|the full|all of the balance|the total|the whole balance|full balance|full amount)"
                       r"(?:\s+(?:today|now|rn|right now|please|pls))?\s*[.!]*$")
_AMT_PART = re.compile(r"^(?:(?:i can pay|i can do|ill pay|i can|maybe|prob|probably|just|only|ok|okay|like|about)\s+)?"
                       r"(?:half|half of it|half the (?:balance|amount|bill)|a half|a third|a quarter|a portion|part of it|some of it"
                       r"|a little|a bit|a little bit)(?:\s+(?:now|today|for now|to start|maybe))?\s*[.!]*$")
_AMT_WORDS = re.compile(rf"^{_AMT_HEDGE}(?P<w>[a-z -]+?)(?: (?:dollars?|bucks?))?(?:\s+(?:maybe|tops|max|ok|please))*\s*[.?!]*$")

#: Words of an amount said in words, with its currency and hedges ("sixty dollars and fifty cents").
_AMT_WORDS_ONLY = frozenset("""
a an and one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand grand dollars dollar bucks
buck cents cent usd maybe about around like only just prob probably i can do pay could send ish
""".split())

# Chinese --------------------------------------------------------------------------
_Z_STOP = _rx(zh.STOP)
_Z_STOP_NOT = _rx(zh.STOP_NOT)
_Z_STOP_UNSURE = _rx(zh.STOP_UNSURE)
_Z_KEYWORD_NOT = _rx(zh.KEYWORD_NOT)
_Z_STOP_QUESTION = _rx(zh.STOP_QUESTION)
_Z_THEN_PAY = _rx(zh.THEN_PAY)
_Z_START = _rx(zh.START)
_Z_CANCEL_PAYMENT = _rx(zh.CANCEL_PAYMENT)
_Z_AUTO = _rx(zh.AUTO_REPLY)
_Z_ATTORNEY = _rx(zh.ATTORNEY)
_Z_ATTORNEY_COURT = _rx(zh.ATTORNEY_COURT)
_Z_THIRD_PARTY = _rx(zh.THIRD_PARTY_CONTACT)
_Z_CH_VOICE = _rx(zh.CHANNEL_VOICE)
_Z_CH_SMS = _rx(zh.CHANNEL_SMS)
_Z_CH_SMS_OK = _rx(zh.CHANNEL_SMS_OK)
_Z_CH_EMAIL = _rx(zh.CHANNEL_EMAIL)
_Z_CH_ALL = _rx(zh.CHANNEL_ALL)
_Z_CH_MAIL_ONLY = _rx(zh.CHANNEL_MAIL_ONLY)
_Z_BANKRUPTCY = _rx(zh.BANKRUPTCY)
_Z_BANKRUPTCY_NOT = _rx(zh.BANKRUPTCY_NOT)
_Z_REFUSAL = _rx(zh.REFUSAL)
_Z_REFUSAL_NOT = _rx(zh.REFUSAL_NOT)
_Z_WRONG = _rx(zh.WRONG_NUMBER)
_Z_DISPUTE = _rx(zh.DISPUTE)
_Z_SCAM_CLAIM = _rx(zh.SCAM_CLAIM)
_Z_SCAM_WORD = re.compile(r"诈骗|骗局|骗钱|敲诈|假的")
_Z_PAID = _rx(zh.PAID_ALREADY)
_Z_HARDSHIP = _rx(zh.HARDSHIP)
_Z_HELP = _rx(zh.HELP)
_Z_DECEASED = _rx(zh.DECEASED)
_Z_DECEASED_REPORTED = _rx(zh.DECEASED_REPORTED)
_Z_KEEP_PAYMENT = _rx(zh.KEEP_PAYMENT)
_Z_CONSEQUENCE = _rx(zh.CONSEQUENCE)
# plan_offer: 第三种, 选第二个，每月还多少, 我选方案2 (the plan number wins over the plan words)
_Z_CHOICE_IN = re.compile(r"(?:选|选择|要|就|用)(?:第|方案|选项)\s?(?P<a>[1-9一二三四五六七八九])(?![0-9十百千万块元])|^第(?P<b>[1-9一二三四五六七八九])(?:个|种|号|项)?(?:方案|选项)?(?:吧|的)?[!.]*$"
                          r"|(?:选|选择)(?P<c>[1-9一二三四五六七八九])(?:个|种|号)?(?![0-9十百千万块元号])|第(?P<d>[1-9一二三四五六七八九])(?:个|种|项)?(?:方案|选项)"
                          # 方案一可以, 要二號方案 (the plan's number, not the 2nd of the month)
                          r"|(?:方案|选项)\s?(?P<e>[1-9一二三四五六七八九])(?![0-9十百千万块元号])|(?<![0-9一二三四五六七八九十])(?P<f>[1-9一二三四五六七八九])(?:号|號|个|個)(?:方案|选项)")
_Z_AGENT = _rx(zh.AGENT)
_Z_WHO = _rx(zh.WHO_IS_THIS)
_Z_ABUSE = _rx(zh.ABUSE)
_Z_BALANCE = _rx(zh.BALANCE)
_Z_PLAN = _rx(zh.PLAN)
_Z_PAY = _rx(zh.PAY)
_Z_IMMEDIATE = _rx(zh.IMMEDIATE)
_Z_DATE_CUE = _rx(zh.DATE_CUE)
_Z_IDENTITY = _rx(zh.IDENTITY)
_Z_HAI_AMBIGUOUS = re.compile(zh.HAI_AMBIGUOUS)
_Z_REPAY_VERB = re.compile(r"还|付|转|交|缴|pay")
_Z_NOT = re.compile(r"不|没")
_ZH_TRAILING = re.compile(r"(?:谢谢|谢了|多谢|谢谢你|哈+|啊|呀|哦|呢|吧|啦|!|\.|\s*(?:thanks|thank you|thx|ty)\b)+$")
_Z_PUNCT = re.compile(r"[\s,.!?~:;\"'()【】…]+")

# Context-specific -----------------------------------------------------------------
_AFFIRM = frozenset("""yes y ye yea yeah ya yah yep yup yuh k kk ok okay okey sure correct right confirm confirmed
agreed agree deal absolutely definitely alright fine perfect great yess yesss affirmative si oui
ofc yessir yessur yesir aight ight certainly indeed yeppers yass""".split())
_AFFIRM_PHRASES = frozenset({
    "sure thing", "of course", "thats right", "that is right", "sounds good", "go ahead", "please do",
    "yes please", "that works", "works for me", "i agree", "for sure", "yes sir", "yes maam", "ok thanks",
    "ok thank you", "ok cool", "cool", "bet", "got it", "that is correct", "thats correct", "sure why not",
    "why not", "i guess", "i guess so", "sounds great", "lets do it", "do it", "deal", "please", "yes pls",
    # identity confirmations ("Is this Dana?")
    "me", "yes me", "that is me", "thats me", "it is me", "its me", "this is me", "speaking", "yes speaking",
    "yes it is", "yes it is me", "yes its me", "yes thats me", "this is her", "this is him", "this is he",
    "this is she", "yes this is her", "yes this is him",
})
_START_LEAD = frozenset("ok okay yes yeah yep please pls plz".split())
_START_FILLER = frozenset("please pls plz again now thanks thx ty texts messages texting sms back ok okay".split())
_DENY = frozenset("no nope nah naw negative nay never non".split())
_ZH_YES_NO = zh.AFFIRM | zh.DENY
_LAUGHS = frozenset("lol lmao haha hahaha hehe ha lolol rofl".split())
_LEAD_FILLER = frozenset("lol lmao haha hahaha lolol rofl omg ugh bruh bro dude yo hey".split())
_DENY_PHRASES = frozenset({"not now", "not today", "not yet", "not really", "no way", "not interested in that",
                           "i dont think so", "dont think so", "not at this time", "i cant", "no i cant",
                           "i dont want to", "no i dont", "id rather not", "rather not", "i would rather not", "pass",
                           "i pass", "no way", "hell no", "absolutely not", "definitely not", "not interested",
                           "nuh uh", "nuh-uh", "nuh", "uh uh", "uh-uh", "nu uh", "nu-uh", "nuhuh", "uhuh no", "hell nah",
                           "nah fam", "no no", "no sir", "no maam", "nope nope", "nah nah"})
_DENY_REST = frozenset("""not today now thanks thank you thx way really i dont want to dont sorry cant right
maybe later pls please sir maam yet thats wrong im good mind never incorrect it isnt is that fine ok okay""".split())
_AFFIRM_REST = frozenset("""this is it thats me speaking yes please thanks thank you thx sure thing that works
go ahead do it i agree sounds good correct right ok okay sir maam lets""".split())
#: confirm/verify: a yes followed by a restatement of what is being agreed ("yes please set that
#: up", "yep go ahead and set that up", "yes that works, the 15th", "yes I can pay $50 friday").
#: Every word after the yes must be one of these (or a date/amount word when the reply carries a
#: date or an amount): a "but", a refusal, a reason or a stop word is never in it (US-06, US-17).
_RESTATE_WORDS = frozenset("""
set up it that this me go ahead and do book lock in sign put down for the a please pls plz thanks thank you thx
works work fine good great perfect right correct sounds is its thats ok okay sure yes yeah yep yup on by of my
payment plan promise one lets get started done confirm confirmed agreed deal then i ill will can pay sir maam
dollars dollar bucks
""".split())
_RESTATE_DATE_WORDS = frozenset("""
mon monday tue tues tuesday wed weds wednesday thu thur thurs thursday fri friday sat saturday sun sunday today
tomorrow tmrw tmr tonight next this week month end eom eow
""".split())  # with _DATE_ONLY_WORDS (below): "the 15th", "mid december"
_RESTATE_NUMBER = re.compile(r"\$?\d{1,7}(?:\.\d{1,2})?(?:st|nd|rd|th)?|\d{1,2}/\d{1,2}(?:/\d{2,4})?")
#: verify: a yes that names the person ("its me, Darnell", "yes Darnell speaking", "yes, Darnell here",
#: "yes speaking, this is Darnell"): the name is one or two words that are no other reply's words.
_VERIFY_NAMED = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|ya|yea|correct|right)(?: speaking)?\s+)?(?:its|it is|thats|that is|this is) me\s+(?P<a>[a-z]+(?: [a-z]+)?)$"
    r"|^(?:yes|yeah|yep|yup|ya|yea|correct|right)(?: speaking)?\s+(?:(?:this is|its|it is)\s+)?(?P<b>[a-z]+(?: [a-z]+)??)(?:\s+(?:here|speaking))?$"
    r"|^speaking\s+(?:this is|its|it is)\s+(?P<c>[a-z]+(?: [a-z]+)?)$")
_NOT_A_NAME = frozenset("""
not no but and here speaking me him her them the a an wrong sorry busy who why what how is it this that you your
ur u calling stop pay paid mine available home dead gone out away at work true right fine ok okay good yes yeah
done over about for ready okay late a lie wrong number his hers their mom dad wife husband son daughter
later maybe now why sure nobody someone somebody else whatever so of course thanks thank thx please pls
""".split())
_IDENTITY_REFUSAL = _rx(en.IDENTITY_REFUSAL)
_IDENTITY = Rule(
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(?:zip|zipcode|postal|postcode|post code|dob|birthday|born|"
    r"date of birth|ssn|social|last (?:4|four)|last four digits|ending in)\b|^\d{4,5}$|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2},? \d{4}\b|\b(?:19|20)\d{2}\b"
)
#: After "Is this Dana?": "not Dana" names someone else (US-12); not "not today", "not now".
_VERIFY_NOT_NAME = re.compile(
    r"^(?:no,? |nope,? )?(?:its |this is |thats |im |i am )?not (?!(?:now|today|yet|really|sure|interested|paying|true|right|correct|mine|"
    r"me|him|her|them|that|this|it|exactly|quite|again|tonight|tomorrow|anymore|ever|available|home|here|ready|happy|telling|saying|giving|"
    r"going|gonna|comfortable|okay|ok|possible|a|an|the|my|your|you|u)\b)[a-z]+[.!]*$")
_VERIFY_ECHO = re.compile(r"^is this [a-z]+ ")  # "Is this Jordan? no it isn't."
_VERIFY_WRONG = frozenset({"not me", "no not me", "no its not", "no it is not", "no thats not me", "wrong person",
                           "no it isnt", "it isnt", "nope it isnt", "nope its not", "no it aint", "no that aint me", "no this isnt",
                           "no this is not", "no thats not", "no thats not him", "no thats not her",
                           "not him", "not her", "不是", "不是我", "不是的", "我不是", "不是他", "不是她"})
_CHOICE = re.compile(
    r"^(?:(?:i(?:ll| will)? (?:take|choose|pick|want|go with) |lets do |i want )?(?:option|plan|choice|number|no\.?|#)? ?"
    r"(?P<n>\d)(?:st|nd|rd|th)?(?: one| option| plan)?(?: please| pls| plz)?[.!]*"
    r"|(?:(?:i(?:ll| will)? (?:take|choose|pick|want|go with|do) |lets (?:do|go with|go for) |i want |give me |gimme )(?:the )?)?"
    r"(?:the |option |plan |choice |number |#)?(?P<w>first|second|third|fourth|fifth|one|two|three|four|five)"
    r"(?: one| option| plan)?(?: please| pls)?[.!]*"
    r"|(?:我)?(?:就)?(?:选|要|选择|用)?(?:第|方案)?(?P<z>[一二三四五六七八九1-9])(?:个|号|种)?(?:方案|选项)?(?:吧|的)?)$"
)
_QUOTED_TAIL = re.compile(r'"[^"]{3,}"\s*[:\-]*\s*([^"]{1,40})$')
_WORDNUM = {"first": 1, "one": 1, "second": 2, "two": 2, "third": 3, "three": 3, "fourth": 4, "four": 4,
            "fifth": 5, "five": 5, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# plan_offer: an ordinal with "one"/"option"/"plan" or after a choosing verb is a choice,
# not a date ("the 2nd one", "i'll take the 2nd", "i choose the 3rd plan"); a bare "the 2nd"
# stays a date. Read on the plain text (apostrophes gone: "ill", "id").
_CHOOSE_VERB = (r"(?:i(?:ll| will| would| wanna| want to| think ill)? (?:take|choose|pick|want|go with|go for|do|get|like)"
                r"|id (?:like|take|go with|pick|choose)|lets (?:do|go with|go for|go)|can i (?:do|get|have|take|pick|choose|go with)"
                r"|could i (?:do|get|have|take)|give me|gimme|go with|put me down for|sign me up for)")
_CHOICE_ORD = re.compile(
    r"^(?:(?:yeah|yes|yep|yea|ok|okay|um+|hmm+|so|sure)[, ]+)?(?:(?P<verb>" + _CHOOSE_VERB + r") )?"
    r"(?:the )?(?:(?P<n>[1-9])(?:st|nd|rd|th)|(?P<w>first|second|third|fourth|fifth))(?P<noun> (?:one|option|plan|choice))?"
    r"(?:,? (?:please|pls|plz|works|is fine|is good|sounds good|looks good|for me|thanks|thank you|thx|then|i guess))*[.!]*$")
_CHOICE_ORD_IN = re.compile(r"\b(?:the )?(?P<n>[1-9])(?:st|nd|rd|th) (?:one|option|plan|choice)\b")
#: plan_offer: a plan's length ("the 12 month one", "6-month plan", "twelve months", 6个月的, 分12期) is
#: never its number; the dialog, which knows the offers, picks by months (bot/dialogs/engine.py).
_PLAN_MONTHS = re.compile(r"\b(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen"
                          r"|twenty[ -]?four|thirty[ -]?six)[ -]?(?:months?|mos?|mths?)\b")
_Z_PLAN_MONTHS = re.compile(r"(?:分)?(?:\d{1,2}|[一二两三四五六七八九十]{1,3})\s?(?:个月|個月|期)")
#: plan_offer: the plan named by number or ordinal inside a sentence ("the 12 month one, number 2",
#: "i think the second option works best for me", "ok #2 the 12-month one"); not with a refusal
#: ("not the second one", "the first plan doesnt work").
_CHOICE_NUM_IN = re.compile(r"(?:\b(?:option|number|no|choice|plan|opt)\s?|#\s?)(?P<n>[1-9])\b"
                            r"|\b(?:the )?(?P<w>first|second|third|fourth|fifth) (?:one|option|plan|choice)\b")
_CHOICE_REFUSED = re.compile(r"\b(?:not|dont|doesnt|wont|cant|no|never|neither|nor|instead of|rather than)\b(?! \d)")
#: plan_offer: a plan refused by number ("not 2", "the first one is too much", "anything but option 1",
#: 不要第二个, 第一个太贵了, 第二個唔要) is never the choice; with another plan named in a clause of
#: its own ("2 is too much, 1 please", 不选第一个，选第三个, 方案2不行，方案1吧) that one is.
_CHOICE_NO = re.compile(r"\bno\b(?! \d)|\b(?:not|dont|doesnt|wont|cant|never|neither|nor|none|instead of|rather than|except|anything but"
                        r"|too (?:much|high|expensive|long|big|steep|pricey)|cant afford|no good|hate|rather not)\b")
_CHOICE_CLAUSE = re.compile(r"[,.;!?]+|\b(?:but|instead|so|how about|what about|rather)\b")
_CHOICE_MENTION = re.compile(r"(?:\b(?:option|number|no|choice|plan|opt)\s?|#\s?)?\b(?P<n>[1-9])(?:st|nd|rd|th)?\b(?! ?(?:months?|mos?|mths?|dollars?|bucks|%))"
                             r"|\b(?P<w>first|second|third|fourth|fifth)\b")
_Z_CHOICE_NO = re.compile(r"不要|不选|不行|不用|不想|不可以|不好|太贵|太多|太高|太长|太久|唔要|唔得|唔好|除了|没法|不能")
_Z_CHOICE_CLAUSE = re.compile(r"[,.;!?，。；\s]+|但是|可是|不过")
_Z_CHOICE_MENTION = re.compile(r"(?:第|方案|选项)\s?(?P<a>[1-9一二三四五六七八九])(?![0-9十百千万块元号月天周期])|(?P<b>[1-9一二三四五六七八九])(?:号|號)(?:方案|选项)")
_Z_CHOICE_ORD_IN = re.compile(r"第(?P<n>[1-9一二三四五六七八九])(?:个|個|种|種|项|項)(?![月天周期号])")
# confirm: a correction of what was read back ("no that's wrong, I said the 11th", "no I
# meant friday", "actually make it 60") is a promise with the new date/amount (the dialog
# re-confirms it, G-02); "no I can't pay on the 11th" alone is a no.
_CORRECTION = re.compile(r"^(?:no+|nope|nah|naw|wrong|actually|sorry|oops|oh|wait|correction|thats wrong|thats not right)\b"
                         r"|\b(?:i meant|i mean|i said|i typed|should be|should have said|meant to say|make it|change it to"
                         r"|supposed to be|wrong date|wrong amount)\b")
_CORRECTION_CANT = re.compile(r"\b(?:cant|cannot|wont|not able to|unable to) (?:pay|do|make)\b")
#: The day refused in a correction ("not friday", "not on the 15th", "not next friday"); what is
#: left after it tells a refusal ("no not friday": a no) from a changed day ("not friday, saturday",
#: "saturday not friday": a correction even without a "no" before it).
_CORRECTION_NOT_DAY = re.compile(
    r"\bnot (?:on |by )?(?:the )?(?:next |this )?(?:\d{1,2}(?:st|nd|rd|th)?|(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
    r"|today|tomorrow|tmrw|week|month)\b")
_CORRECTION_ALT = re.compile(r"\b(?:but|how about|what about|instead|make it|can do|could do|can pay|could pay|rather"
                             r"|i meant|i mean|i said|should be|change it to|supposed to be|its)\b")
# A payment-method question ("whats the address to mail a check", "can i mail you a check"):
# pay, not the plan words' "a check" (= per paycheck); "a check every month" stays a plan.
_PAY_METHOD = re.compile(
    r"\b(?:mailing )?address\b.*\b(?:check|cheque|money order|payment|pay|mail|send)|\b(?:mail|send|post)\b.*\baddress\b"
    r"|\bmailing address\b|\bwhere (?:do|can|should|would) i (?:mail|send|post|drop off|bring) (?:a |my |the |in )?(?:check|cheque|money order|payment)"
    r"|\b(?:mail|send|post|mailing|sending)(?: (?:you|u|yall|in))? (?:a |my |the )?(?:check|cheque|money order)\b"
    r"|\bpay (?:by|with|via|through) (?:a )?(?:check|cheque|money order|mail)\b")
_RECURRING = re.compile(r"\b(?:every|each|per|monthly|weekly|biweekly|bi-weekly|installments?|instalments?|a month|a week"
                        r"|make (?:small |smaller |monthly |weekly )?payments|plan)\b")
# "I get paid every other friday, next one is the 11th. I'll pay then": the pay schedule is
# not a payment plan; the promise ties "then" to the date (see entities: the explicit date).
_PAYDAY_EVERY = re.compile(
    r"\b(?:(?:get|gets|getting|got|am|im|is|are) paid|pay ?days? (?:is|are)|paychecks? (?:come|comes|is|are)(?: in)?)"
    r" (?:every other|every|each|bi-?weekly|weekly|monthly|twice a month|once a month)"
    r"(?: (?:week|wk|month|friday|monday|tuesday|wednesday|thursday|saturday|sunday|fri|mon|tue|tues|wed|thu|thur|thurs"
    r"|sat|sun|two weeks|2 weeks|other week))?\b")

# Vocabulary the typo corrector must leave alone (our own slang and abbreviations).
_KNOWN = frozenset("""txting txts msgs unsub atty attny pmt pymt tmrw tmrow 2moro payoff autopay zelle venmo
cashapp thru acct conf dont cant wont didnt isnt doesnt whats thats texting
resubscribe resubscribed resubscribing subscribe subscribed remover""".split())

_NO_ENTITIES = Entities()
_CERTAIN = 0.95
_UNSURE_MARK = -1.0  # replaced by the caller's "unsure" confidence
_LEXICON = 0.9


def _channel(s: str, st: frozenset[str]) -> str:
    """Channels a stop covers (US-05: opt-out is per medium; US-17 cease → all)."""
    if _CH_MAIL_ONLY.search(s, st):
        return "sms+voice"
    if _CH_CEASE.search(s, st):
        return "all"  # a refusal to pay is a cease whatever medium it names (US-17)
    if _CH_DNC.search(s, st) and not _CH_ALL.search(s, st):
        return "sms+voice"  # a do-not-call list asked for by text: texts are calls (TCPA, 47 CFR 64.1200(d))
    chans = []
    sms_ok = _CH_SMS_OK.search(s, st) is not None
    if _CH_SMS.search(s, st) and not sms_ok:
        chans.append("sms")
    if _CH_VOICE.search(s, st) and (not _CH_VOICE_OK.search(s, st) or _CH_VOICE.search(_CH_VOICE_OK.sub(" ", s), st)):
        chans.append("voice")  # "call me after 6 instead", "I'll call you": not a voice opt-out
    if _CH_EMAIL.search(s, st) and (not _CH_EMAIL_OK.search(s, st) or _CH_EMAIL.search(_CH_EMAIL_OK.sub(" ", s), st)):
        chans.append("email")
    if _CH_ALL.search(s, st) and not chans:
        return "all"
    if not chans:
        return "sms"
    return "+".join(chans)


def _z_channel(z: str) -> str:
    """Channels a Chinese (or mixed) stop covers, read like :func:`_channel` (US-05 per
    medium: 别打电话了，发短信就行 is voice only; US-17: 不要再联系我 is a cease → all, and so
    is a refusal to pay whatever medium it names: 不还，别发了)."""
    if _z_refuses(z):
        return "all"
    if _Z_CH_MAIL_ONLY.search(z):  # 只接受邮件联系, 有事发邮件，别打电话: texts and calls off (US-05)
        return "sms+voice"
    chans = []
    if _Z_CH_SMS.search(z) and not _Z_CH_SMS_OK.search(z):
        chans.append("sms")
    if _Z_CH_VOICE.search(z):
        chans.append("voice")
    if _Z_CH_EMAIL.search(z):
        chans.append("email")
    if chans:
        return "+".join(chans)
    return "all" if _Z_CH_ALL.search(z) else "sms"


def _z_refuses(z: str) -> bool:
    """A Chinese refusal to pay (US-17 cease): 这钱我不还, 就不还, 不还了 — not 不是不还,
    暂时不还, 如果不还…, 利息我不还 (a fee: dispute)."""
    return _Z_REFUSAL.search(z) is not None and _Z_REFUSAL_NOT.search(z) is None


def _refused_day(s: str, z: str | None) -> tuple[str, bool] | None:
    """A reply that refuses a day ("cant do friday", "friday wont work", "not this friday", 周五不行,
    这周五还不了): ``(kind, alternative)`` — kind ``"cant"`` (a can't-pay form: hardship, as "I can't
    pay friday") or ``"no"`` (the day declined); alternative is True when another clause names a
    day ("..., how about monday", 周五不行，下周一可以: the promise is for that one). None when
    nothing refuses a day. Called only for replies with a date."""
    if z:
        m = _Z_REFUSED_CANT.search(z)
        kind = "cant"
        if not m:
            m = _Z_REFUSED_NO.search(z)
            kind = "no"
        if not m or _Z_REFUSED_DEADLINE.search(z, 0, m.start()):
            return None
        text, clause = z, _Z_CLAUSE
    else:
        if "no" not in s and "nt" not in s and "unable" not in s and "doubt" not in s:
            return None  # every refusal says no/not/cant/wont/dont/…, "unable" or "doubt"
        m = _REFUSED_CANT.search(s)
        kind = "cant"
        if m and _REFUSED_DEADLINE.search(s):
            return None  # "cant pay till friday": a deadline, the promise stands
        if not m:
            m = _REFUSED_NO.search(s)
            kind = "no"
        if not m:
            return None
        text, clause = s, _REFUSED_CLAUSE
    start, end = 0, len(text)
    for b in clause.finditer(text):
        if b.end() <= m.start():
            start = b.end()
        elif b.start() >= m.end():
            end = b.start()
            break
    other = text[:start] + " " + text[end:]
    if z:
        alt = bool(_Z_DATE_CUE.search(other) or _Z_DATE_CUE_YUE.search(other)) and not (
            _Z_REFUSED_CANT.search(other) or _Z_REFUSED_NO.search(other))
    else:
        alt = _DATE_CUE.search(other, word_starts(other)) is not None or (
            _PROMISE_POSITIVE.search(other, word_starts(other)) is not None and bool(other.strip()))
    return kind, alt


_AMOUNT_NO = re.compile(r"\b(?:wont|will not|doesnt|does not|dont|isnt|is not|aint|not|no)(?: gonna| going to| really| be)?"
                        r" (?:work|possible|doable|happen|an option|ok|okay)\b|\btoo (?:much|high|steep|expensive|many)\b|\bno way\b"
                        r"|\bnot (?:\$ ?)?\d")  # "not 50, 40"
_CLAUSE_NUMBER = re.compile(r"\$? ?(\d{1,7}(?:\.\d{1,2})?)\b")
_Z_AMOUNT_NO = re.compile(zh.REFUSED_DAY_NO + "|" + zh.REFUSED_DAY_CANT + r"|太多|太高|太贵")
_Z_CLAUSE_NUMBER = re.compile(r"\d{1,7}(?:\.\d{1,2})?|[零〇一二两三四五六七八九十百千万]+")


def _refused_amount(s: str, z: str | None) -> tuple[str, Decimal | None] | None:
    """ask_amount: an amount refused ("cant do 50", "50 wont work, how about 30", 五十不行，三十吧):
    ``(kind, other)`` — kind as :func:`_refused_day`'s, other the one amount named in a clause
    without a refusal (then that is the amount), else None. None when no amount is refused."""
    from .amounts import _zh_number
    if z:
        no, cant, clause, number = _Z_AMOUNT_NO, _Z_REFUSED_CANT, _Z_CLAUSE, _Z_CLAUSE_NUMBER
        text = z
    else:
        no, cant, clause, number = _AMOUNT_NO, _REFUSED_CANT, _REFUSED_CLAUSE, _CLAUSE_NUMBER
        text = s
    refused, other, kind = False, set(), "no"
    for part in clause.split(text):
        if not part or not part.strip():
            continue
        values = []
        for m in number.finditer(part):
            tok = m.group(1) if m.groups() else m.group(0)
            v = Decimal(tok) if tok[0].isdigit() else _zh_number(tok)
            if v:
                values.append(v)
        if not values:
            continue
        if cant.search(part) or no.search(part):
            refused = True
            kind = "cant" if cant.search(part) else kind
        else:
            other.update(values)
    if not refused:
        return None
    return kind, (other.pop() if len(other) == 1 else None)


def _deceased_named(s: str) -> bool:
    """A death report naming the person ("Dana passed away", "my husband John died last week"):
    the account holder we wrote to by name (``lexicon_en.DECEASED_NAMED``); never a subject that
    is no name ("my phone died", "the deadline has passed", "my husband passed away")."""
    if "die" not in s and "pass" not in s and "dead" not in s and "decease" not in s:
        return False
    for m in _DECEASED_NAMED.finditer(s):
        names = [n for n in m.group("n1", "n2", "n3", "n4") if n]
        if names and not any(n in en.DECEASED_NOT_NAME for n in names):
            return True
    return False


def _stop_keyword(s: str, st: frozenset[str], words: list[str]) -> tuple[float, str] | None:
    """Opt-out keyword as the whole message or the leading word (US-06, COMPLIANCE §(b),
    47 CFR 64.1200(a)(10)). Returns (confidence, rule) or None."""
    if not words:
        return None
    plain = " ".join(words)
    if plain in en.STOP_AMBIGUOUS_LETTERS:
        return _LEXICON, "stop.gateway_letter"
    if plain in en.STOP_KEYWORDS or plain in en.STOP_WHOLE_ONLY:
        return _CERTAIN, "stop.keyword"
    if len(words) == 1:
        squeezed = _REPEATS.sub(r"\1", plain)  # "stooop", "stoppp"
        if squeezed in en.STOP_KEYWORDS or plain in en.STOP_ABBREVIATIONS:
            return _LEXICON, "stop.keyword_variant"
        if _STOP_RUN.fullmatch(plain):  # "STOPSTOPSTOP"
            return _CERTAIN, "stop.keyword_run"
        if fuzzy.near_miss(plain, "stop"):  # "stoo": not a real word, one edit from "stop"
            return _UNSURE_MARK, "stop.near_miss"
    core = [w for w in words if w not in en.STOP_FILLER and not w.isdigit()]
    if core and all(w in en.STOP_KEYWORDS for w in core) and len(set(core)) <= 2:  # "stop stop stop"
        return _CERTAIN, "stop.keyword_plus"
    if core and len(words) <= 4 and len(set(core)) <= 2 and all(_stop_variant(w) for w in core):
        return _LEXICON, "stop.keyword_variant"  # "stoppp pls", "plz stp"
    m = _STOP_LEAD.match(s)
    if m and m.group("kw") in en.STOP_KEYWORDS and not _STOP_NOT.match(s):
        return _CERTAIN, "stop.leading_keyword"
    polite = _STOP_POLITE.match(s)
    if polite and len(words) > 1:  # "please stop, I'm in the hospital" (the engine escalates UK-07 separately)
        rest = s[polite.end():]
        mp = _STOP_LEAD.match(rest)
        if mp and mp.group("kw") in en.STOP_KEYWORDS and not _STOP_NOT.match(rest):
            return _CERTAIN, "stop.leading_keyword_polite"
    if m and m.group("obj") and m.group("kw") in en.STOP_ABBREVIATIONS:
        return _LEXICON, "stop.leading_keyword_variant"  # "stp txtn me"
    if words[0] in ("stop", "unsubscribe", "stopall", "optout") and len(words) > 1 and not _STOP_NOT.search(s, st):
        return _UNSURE_MARK, "stop.leading_unsure"
    return None


def _stop_variant(w: str) -> bool:
    """A keyword, a known misspelling or a keyword with letters repeated ("stoppp")."""
    if w in en.STOP_KEYWORDS or w in en.STOP_ABBREVIATIONS:
        return True
    squeezed = _REPEATS.sub(r"\1", w)
    return squeezed in en.STOP_KEYWORDS or squeezed in en.STOP_ABBREVIATIONS


def _classify(s: str, st: frozenset[str], words: list[str], zh_text: str | None, zc: frozenset[str] | None,
              zst: frozenset[str] | None, context: str, ent, plan_options: int,
              unsure: float) -> tuple[str, float, str, dict]:
    """The rule cascade over the English view ``s`` (``st`` its :func:`word_starts`) and the
    Chinese text ``zh_text`` (``zc`` its characters, ``zst`` its word starts; all None for
    a text without CJK). Returns (intent, confidence, rule, extra entity fields)."""
    z = zh_text

    # 2. compliance: attorney, bankruptcy, opt-out keyword forms --------------------
    # US-18 represented: wins over everything, even an opt-out in the same message
    # a denied or asked-about lawyer ("I don't need a lawyer", "is this a law firm?") is read without it
    if (_ATTORNEY.search(s, st) and (not _ATTORNEY_NOT.search(s, st) or _ATTORNEY.search(_ATTORNEY_NOT.sub(" ", s), st))) or (z and (_Z_ATTORNEY.search(z, zst, zc) or (
            _Z_ATTORNEY_COURT.search(z, zst, zc) and not _Z_BANKRUPTCY.search(z, zst, zc)))):
        return "attorney", _CERTAIN, "attorney.lexicon", {}
    if ((_BANKRUPTCY.search(s, st) and (not _BANKRUPTCY_NOT.search(s, st)  # "I'm not bankrupt"
                                        or _BANKRUPTCY.search(_BANKRUPTCY_NOT.sub(" ", s), st)))
            or (z and _Z_BANKRUPTCY.search(z, zst, zc) and (
                not _Z_BANKRUPTCY_NOT.search(z) or _Z_BANKRUPTCY.search(_Z_BANKRUPTCY_NOT.sub(" ", z))))):
        return "bankruptcy", _CERTAIN, "bankruptcy.lexicon", {}  # not 公司破产了 (the employer's: hardship)
    # US-06 opt-out keywords (whole message or leading word), 47 CFR 64.1200(a)(10)
    hit = _stop_keyword(s, st, words) if not (z and (_Z_KEYWORD_NOT.search(z, zst, zc) or _Z_STOP_QUESTION.search(z))) else None  # TD银行, TD是什么意思
    if not hit and len(words) > 1 and words[0] in _LEAD_FILLER:  # "lol stop i already paid": the laugh is no content
        rest = s[s.index(words[0]) + len(words[0]):].lstrip(" ,.!:;-")
        hit = _stop_keyword(rest, word_starts(rest), words[1:])
        if hit and hit[0] == _CERTAIN:
            hit = (_LEXICON, hit[1] + "_after_filler")
    if hit:
        conf, rule = hit
        if conf == _UNSURE_MARK or (rule == "stop.gateway_letter" and context in ("confirm", "verify", "plan_offer")):
            conf = unsure  # possible opt-out ("n" may mean "no" here): pause and hand off (US-06)
        return "stop", conf, rule, {"channel": _z_channel(z) if z else _channel(s, st)}
    if z:
        zs = _Z_STOP_NOT.sub("", z)
        third_party = _Z_THIRD_PARTY.search(zs)
        if third_party:  # 不要联系我的家人: about third parties (CN-02), not this number's texts
            zs = _Z_THIRD_PARTY.sub("", zs)
        if _Z_STOP_QUESTION.search(zs) and not _Z_HELP.search(_plain(s, z)):  # 退订会影响我的征信吗 (US-06: unsure stop); 回TD会怎样: help
            zq = _Z_STOP_QUESTION.sub(" ", zs)
            if not _Z_STOP.search(zq) and not _z_refuses(zq):
                return "stop", unsure, "stop.zh_keyword_question", {"channel": _z_channel(zs)}
        if _Z_STOP.search(zs):
            return "stop", _CERTAIN, "stop.zh_lexicon", {"channel": _z_channel(zs)}
        if _z_refuses(zs) and not _Z_WRONG.search(zs):  # US-17: 这钱我不还 is a cease (not 他借钱不还关我什么事)
            return "stop", _CERTAIN, "stop.zh_refusal", {"channel": "all"}
        if _Z_STOP_UNSURE.search(zs):
            return "stop", unsure, "stop.zh_unsure", {"channel": _z_channel(zs)}
        if third_party:
            return "unknown", 0.5, "unknown.third_party_contact", {}
    # US-12 wrong number (quarantines the number, which also ends texts)
    if ((_WRONG.search(s, st) and not _DECEASED_HOLDER.search(s, st))
            or (z and _Z_WRONG.search(z, zst, zc) and not _Z_DECEASED_REPORTED.search(z))  # 我是他老婆，他去世了: unknown
            or (context == "verify" and (_plain(s, z) in _VERIFY_WRONG or _VERIFY_NOT_NAME.match(_plain(s, z))
                                         or _VERIFY_ECHO.sub("", _plain(s, z)) in _VERIFY_WRONG))):
        return "wrong_number", _LEXICON, "wrong_number.lexicon", {}
    # US-06 natural-language opt-outs; "contact" forms are a cease (US-17, channel all).
    # A negated stop ("don't stop sending me reminders") is read without its span.
    so = _STOP_NEGATED.sub(" ", s) if _STOP_NEGATED.search(s, st) else s
    if _STOP_PHRASE.search(so, st):
        return "stop", _LEXICON, "stop.phrase", {"channel": _channel(s, st)}
    if _STOP_UNSURE.search(so, st) and not _STOP_NOT.search(s, st):
        return "stop", unsure, "stop.unsure_phrase", {"channel": _channel(s, st)}
    if _STOP_TRAIL.search(so, st) and not _STOP_NOT.search(s, st):
        conf = _LEXICON if _CH_SMS.search(s, st) else unsure
        return "stop", conf, "stop.trailing_keyword", {"channel": _channel(s, st)}
    plain = _plain(s, z)
    lead = 1 if context == "opted_out" and len(words) > 1 and words[0] in _START_LEAD else 0  # "ok start again"
    start_plus = len(words) > lead and words[lead] in en.START_KEYWORDS and all(w in _START_FILLER for w in words[lead + 1:])
    if plain in en.START_KEYWORDS or start_plus or (z and _Z_START.search(z, zst, zc)) or (
            context == "opted_out" and plain in ("yes", "y", "ok", "okay", "start again", "resume")):
        return "start", _CERTAIN if plain in en.START_KEYWORDS or start_plus else _LEXICON, "start.lexicon", {}
    if context == "opted_out" and _START_UNDO.search(s, st):
        return "start", _LEXICON, "start.undo_opt_out", {}  # "wait dont opt me out, that was my kid" (US-06)
    if _START.search(s, st):
        if not _START_NOT.search(s, st):
            return "start", _LEXICON, "start.lexicon", {}
        if context == "opted_out":  # "dont you dare text me again": never an opt-in (US-06)
            return "stop", unsure, "stop.start_negated", {"channel": _channel(s, st)}

    # 3. what the bot last asked -------------------------------------------------------
    yn = _yes_no(plain, words, context)
    if yn and (context in ("confirm", "verify") or plain in _AFFIRM or plain in _DENY
               or plain in _AFFIRM_PHRASES or plain in _ZH_YES_NO):
        return yn, _LEXICON, f"{yn}.{context}", {}
    if not yn and context in ("confirm", "verify") and not z and _yes_restated(plain, words, context, ent):
        # "yes please set that up", "its me, Darnell"; a restated date/amount stays on the reading:
        # the dialog compares it with what it read back (G-02)
        return "affirm", _LEXICON, f"affirm.{context}_restated", {}
    if context == "verify":
        if ((_IDENTITY.search(s, st) and not _IDENTITY_REFUSAL.search(s, st)) or (z and _Z_IDENTITY.search(z, zst, zc))
                or (words and all(w.isdigit() for w in words))):
            return "identity_check_answer", _LEXICON, "identity.verify", {}
    if context == "confirm" and _has_date(s, st, z, zc, zst, ent):
        refused = _refused_day(s, z)
        if refused:
            if refused[1]:  # "cant do friday, how about monday", 周五不行，下周一可以: the new day (G-02)
                return "promise", _LEXICON, "promise.confirm_correction", {}
            if refused[0] == "no":  # "friday wont work", "not this friday", 周五不行: no to the read-back
                return "deny", _LEXICON, "deny.confirm_refused_day", {}
    if context == "confirm" and (ent.amount is not None or (ent.date is not None and not ent.date_is_past)):
        not_day = _CORRECTION_NOT_DAY.search(plain) if "not" in words else None
        rest = _CORRECTION_NOT_DAY.sub(" ", plain) if not_day else ""
        other_day = bool(not_day) and _DATE_CUE.search(rest, word_starts(rest)) is not None
        if ((other_day or _CORRECTION.search(plain))
                and not (_DISPUTE.search(s, st) or _PAID.search(s, st) or _HARDSHIP.search(s, st))):
            if ((_CORRECTION_CANT.search(plain) or (not_day and not other_day))
                    and not _CORRECTION_ALT.search(plain)):
                return "deny", _LEXICON, "deny.confirm_cant", {}  # "no not friday", "no I can't pay on the 11th"
            return "promise", _LEXICON, "promise.confirm_correction", {}
    if context == "plan_offer":
        choice = _plan_choice(plain, words, s, z, ent, plan_options)
        if choice:
            return choice
    if (context == "ask_date" and _has_date(s, st, z, zc, zst, ent) and not ent.date_is_past
            and not (z and _Z_HAI_AMBIGUOUS.search(z) and not _zh_repays(z))
            and not ((r := _refused_day(s, z)) and not r[1])):  # "friday wont work": not a date given
        if not (_DISPUTE.search(s, st) or _HARDSHIP.search(s, st)
                or (_CANT_PAY_NOW.search(s, st) and not _PROMISE_POSITIVE.search(s, st))
                or (z and (_Z_HARDSHIP.search(z, zst, zc) or _Z_PAID.search(z, zst, zc)))):
            return "promise", _LEXICON, "promise.ask_date", {}
    if context == "ask_amount":
        refused = _refused_amount(s, z)
        if refused:  # "cant do 50": never a promise of 50; "50 wont work, how about 30": 30
            if refused[1] is not None:
                return "promise", _LEXICON, "promise.ask_amount_other", {"amount": refused[1], "amount_max": None, "date": None}
            if refused[0] == "cant":
                return "hardship", 0.7, "hardship.refused_amount", {}
            return "unknown", 0.5, "unknown.refused_amount", {}
        bare = _ask_amount_bare(s, ent)
        if bare is not None:  # "50.00", "maybe 37.50", "between 50 and 100", "fifty", "two fifty"
            return "promise", _LEXICON, "promise.ask_amount_bare", bare
        if ent.amount is not None and (len(words) <= 4 or all(w in _AMT_WORDS_ONLY or w.lstrip("$").isdigit() for w in words)):
            return "promise", _LEXICON, "promise.ask_amount", {}  # "sixty dollars and fifty cents"
        if ent.amount is None and _AMT_FULL.match(s.strip()):
            return "pay", _LEXICON, "pay.ask_amount_full", {}  # the whole balance: the pay link
        if ent.amount is None and _AMT_PART.match(s.strip()):
            return "plan", _LEXICON, "plan.ask_amount_part", {}  # a part of the balance: plans
        m = _BARE_NUMBER.match(plain) or (len(words) <= 4 and _ONE_NUMBER.fullmatch(plain))
        if m:  # the bot asked "how much?": a bare number is the amount
            amount = Decimal(m.group(1).replace(",", ""))
            return "promise", _LEXICON, "promise.ask_amount_bare", {"amount": amount}

    # 4. the rest, most specific first -----------------------------------------------
    if _PLAN_OFFER.search(s, st):
        return "plan", _LEXICON, "plan.conditional_offer", {}
    if _DISPUTE.search(s, st) or (z and _Z_DISPUTE.search(z, zst, zc)):  # US-16
        return "dispute", _LEXICON, "dispute.lexicon", {}
    if ((not en.SCAM_WORDS.isdisjoint(words) and _SCAM_CLAIM.search(s, st))
            or (z and _Z_SCAM_WORD.search(z) and _Z_SCAM_CLAIM.search(z, zst, zc))):
        return "dispute", _LEXICON, "dispute.scam_claim", {}  # US-16: "this is a scam", 这是诈骗
    if _PAID.search(s, st) or (z and _Z_PAID.search(z, zst, zc)) or (ent.date_is_past and _PAID_DATED.match(s)):
        return "paid_already", _LEXICON, "paid_already.lexicon", {}
    if z and _Z_DECEASED.search(z, zst, zc):  # 我爸走了，这是他的手机: the account holder, reported by a relative
        return "unknown", 0.5, DECEASED_REPORT_RULE, {}
    if _DECEASED_HOLDER.search(s, st) or _deceased_named(s):  # "the account holder died, I'm his daughter",
        return "unknown", 0.5, DECEASED_REPORT_RULE, {}               # "Dana passed away": a person reads it
    if _HARDSHIP.search(s, st) or (z and _Z_HARDSHIP.search(z, zst, zc) and not (
            ent.date is not None and (r := _refused_day(s, z)) and r[1])):  # UK-01, UK-07; not 下周五还不上，月底可以
        return "hardship", _LEXICON, "hardship.lexicon", {}
    if _DECEASED.search(s, st):
        return "unknown", 0.5, DECEASED_REPORT_RULE, {}
    if plain in en.HELP_WHOLE or (z and _Z_HELP.search(plain)):
        return "help", _CERTAIN, "help.keyword", {}
    if z and _Z_KEEP_PAYMENT.search(z, zst, zc):  # 别停我的自动还款: a person reads it
        return "unknown", 0.5, "unknown.keep_payment", {}
    if _CANCEL_PAYMENT.search(s, st) or (z and _Z_CANCEL_PAYMENT.search(z, zst, zc)):
        return "unknown", 0.5, "unknown.cancel_payment", {}
    if (_AGENT.search(s, st) and (not _AGENT_NOT.search(s, st) or _AGENT.search(_AGENT_NOT.sub(" ", s), st))) or (z and _Z_AGENT.search(z, zst, zc)):
        return "agent", _LEXICON, "agent.lexicon", {}
    if _WHO.search(s, st) or (z and _Z_WHO.search(z, zst, zc)):
        return "who_is_this", _LEXICON, "who_is_this.lexicon", {}
    if _ABUSE.search(s, st) or (z and _Z_ABUSE.search(z, zst, zc)):
        return "abuse", _LEXICON, "abuse.lexicon", {}
    if z and _Z_BALANCE.search(z, zst, zc):  # 多少 questions before 少还/先还 plan words
        return "balance", _LEXICON, "balance.zh_lexicon", {}
    if not z and _PAY_METHOD.search(s) and not _RECURRING.search(s):
        return "pay", _LEXICON, "pay.method_question", {}
    if not z and _PAYDAY_EVERY.search(s):
        rest = _PAYDAY_EVERY.sub(" ", s)
        if not _PLAN.search(rest):  # the only plan words are the pay schedule's
            promise = _promise(s, st, z, zc, zst, words, ent)
            if promise:
                return promise
    if _PLAN.search(s, st) or (z and _Z_PLAN.search(z, zst, zc) and not (ent.amount is None and _Z_THEN_PAY.search(z))):
        return "plan", _LEXICON, "plan.lexicon", {}  # not 出糧先還 (先 = "then": a promise)
    if z and _Z_CONSEQUENCE.search(z, zst, zc):  # 如果今天不还会上征信吗: a question, not a promise
        return "unknown", 0.5, "unknown.question", {}
    promise = _promise(s, st, z, zc, zst, words, ent)
    if promise:
        return promise
    if _HARDSHIP_WEAK.search(s, st):
        return "hardship", 0.7, "hardship.cant_pay", {}
    if _STOP_WORD.search(so, st) and not _STOP_NOT.search(s, st):
        # US-06 safe default: a stop-class word nothing explained → pause and hand off
        return "stop", unsure, "stop.unsure_word", {"channel": _channel(s, st)}
    if _PAY_WANT.search(s, st) and "how much" not in s and not _DEADLINE_QUESTION.search(s, st):  # "I want to pay off my balance": paying
        return "pay", _LEXICON, "pay.want_to_pay", {}
    if _BALANCE.search(s, st) or (z and _Z_BALANCE.search(z, zst, zc)):
        return "balance", _LEXICON, "balance.lexicon", {}
    if _PAY.search(s, st) or (z and _Z_PAY.search(z, zst, zc)):
        return "pay", _LEXICON, "pay.lexicon", {}
    if ent.amount is not None and len(words) <= 3 and not z:
        return "pay", 0.6, "pay.bare_amount", {}
    if yn:  # _yes_no(plain, words, context), as computed for step 3
        return yn, 0.7, f"{yn}.generic", {}
    return "unknown", 0.3, "unknown.no_rule", {}


def _plan_choice(plain: str, words: list[str], s: str, z: str | None, ent,
                 plan_options: int) -> tuple[str, float, str, dict] | None:
    """plan_offer: the plan chosen by number or ordinal (``"2"``, ``"the second one"``, ``"I'll
    take option 2"``, ``"the 12 month one, number 2"``, 第二个, 选2), else None. A plan's length
    (``"6 month plan"``, 6个月的) is never its number: the dialog, which knows the offers, picks
    by months (bot/dialogs/engine.py ``_reread``)."""
    if (_PLAN_MONTHS.search(plain) if "m" in plain else None) or (z and _Z_PLAN_MONTHS.search(z)):
        plain = _PLAN_MONTHS.sub(" months ", plain)
        if z:
            z = _Z_PLAN_MONTHS.sub("月", z)
            plain = _Z_PLAN_MONTHS.sub(" 月 ", plain)
        plain = " ".join(plain.split())
        words = _WORDS.findall(plain)
    refused = _choice_refused(s, z, plan_options if plan_options > 0 else 9)
    if refused is not None:  # "not 2", 不要第二个: never that plan; "2 is too much, 1 please": plan 1
        return refused or None
    q = _QUOTED_TAIL.search(s)
    if q:  # 'Quoting your msg "Reply 1 for plan A, 2 for plan B": 2': the answer after our quoted text
        m = _CHOICE.match(_plain(q.group(1), None))
        token = m and (m.group("n") or m.group("w") or m.group("z"))
        n = (int(token) if token.isdigit() else _WORDNUM[token]) if token else 0
        if 1 <= n <= (plan_options if plan_options > 0 else 9):
            return "choice", _CERTAIN, "choice.plan_offer_after_quote", {"option": n, "amount": None, "date": None}
    m = _CHOICE_ORD.match(plain)
    if m and (m.group("verb") or m.group("noun")):
        n = int(m.group("n")) if m.group("n") else _WORDNUM[m.group("w")]
        if 1 <= n <= (plan_options if plan_options > 0 else 9):
            return "choice", _CERTAIN, "choice.plan_offer_ordinal", {"option": n, "date": None}
    m = _CHOICE_ORD_IN.search(plain) if len(words) <= 12 else None
    if m and 1 <= int(m.group("n")) <= (plan_options if plan_options > 0 else 9):
        return "choice", 0.8, "choice.in_sentence", {"option": int(m.group("n")), "date": None}
    m = _CHOICE.match(plain)
    if m:
        token = m.group("n") or m.group("w") or m.group("z")
        n = int(token) if token.isdigit() else _WORDNUM[token]
        limit = plan_options if plan_options > 0 else 9
        if 1 <= n <= limit:
            return "choice", _CERTAIN, "choice.plan_offer", {"option": n}
    m = _CHOICE_NUM_IN.search(plain) if len(words) <= 12 and not _CHOICE_REFUSED.search(plain) else None
    if m:  # "the 12 month one, number 2", "i think the second option works best for me"
        n = int(m.group("n")) if m.group("n") else _WORDNUM[m.group("w")]
        if 1 <= n <= (plan_options if plan_options > 0 else 9):
            return "choice", 0.8, "choice.in_sentence", {"option": n, "amount": None, "date": None}
    m = (_Z_CHOICE_IN.search(z) or (_Z_CHOICE_ORD_IN.search(z) if not _Z_NOT.search(z) else None)) if z else None
    if m:
        token = m.group("n") if m.re is _Z_CHOICE_ORD_IN else (
            m.group("a") or m.group("b") or m.group("c") or m.group("d") or m.group("e") or m.group("f"))
        n = int(token) if token.isdigit() else _WORDNUM[token]
        if 1 <= n <= (plan_options if plan_options > 0 else 9):
            return "choice", 0.8, "choice.zh_in_sentence", {"option": n, "date": None}  # 要二號方案: not the 2nd
    numbers = [w for w in words if w.isdigit()]
    if len(numbers) == 1 and len(numbers[0]) == 1 and len(words) <= 8:
        n = int(numbers[0])  # "sure, 2 works", "can I do 3 instead"
        if 1 <= n <= (plan_options if plan_options > 0 else 9) and ent.amount in (None, n):
            return "choice", 0.8, "choice.in_sentence", {"option": n}
    return None


def _choice_refused(s: str, z: str | None, limit: int) -> tuple[str, float, str, dict] | None | bool:
    """plan_offer with a refusal: the one plan named outside the refused clauses (a choice), False
    when every plan named is refused ("not 2", 不要第二个: no choice), None when it does not apply."""
    if z:
        if not _Z_CHOICE_NO.search(z):
            return None
        text, no, clause, mention = z, _Z_CHOICE_NO, _Z_CHOICE_CLAUSE, _Z_CHOICE_MENTION
    else:
        if not _CHOICE_NO.search(s):
            return None
        text = re.sub(r"\b(?:anything|any|all) but\b", "not", s)
        no, clause, mention = _CHOICE_NO, _CHOICE_CLAUSE, _CHOICE_MENTION
    chosen, refused = set(), set()
    for part in clause.split(text):
        if not part:
            continue
        for m in mention.finditer(part):
            token = next(g for g in m.groups() if g)
            n = int(token) if token.isdigit() else _WORDNUM[token]
            (refused if no.search(part) else chosen).add(n)
    if not refused:
        return None
    chosen -= refused
    if len(chosen) == 1 and 1 <= (n := chosen.pop()) <= limit:
        return "choice", 0.8, "choice.other_than_refused", {"option": n, "amount": None, "date": None}
    return False


def _ask_amount_bare(s: str, ent) -> dict | None:
    """After "how much can you pay?": a reply that is only an amount is the amount, with
    no currency word needed — ``50.00``, ``1,200.00``, ``maybe 37.50`` (cents kept: the
    dot is not punctuation here), ``between 50 and 100`` / ``50-100`` (amount..amount_max),
    ``fifty``, ``two fifty`` (250), ``a hundred and fifty``. A month-day such as ``12.10`` read
    as a date elsewhere is the amount here (the date is dropped). None when the reply is
    something else; entity amounts already marked as money (``$50``, ``2 grand``) are kept
    by the caller's next rule."""
    from .amounts import is_month_day, words_amount

    t = s.strip()
    if ent.amount is not None and ent.amount_max is not None:
        return None  # "$50-100": already a range
    m = _AMT_ONLY.match(t)
    if m:  # "$20. thats all i got": the entity amount stands
        return {"amount": Decimal(_amt_digits(m.group("n"))), "date": None} if ent.amount is None else {}
    m = _AMT_RANGE.match(t)
    if m:
        a, b = (_amt_digits(m.group(k)) for k in ("n", "n2"))
        if "-" in t and is_month_day(a, b) and ent.date is not None:
            return None  # "12-18": a date (see amounts.is_month_day)
        lo, hi = sorted((Decimal(a), Decimal(b)))  # "maybe 40 or 30": still 30..40
        if hi > lo:
            return {"amount": lo, "amount_max": hi, "date": None}
    if ent.amount is None:
        m = _AMT_WORDS.match(t)
        value = words_amount(m.group("w")) if m and m.group("w").strip() not in ("one", "a", "an") else None
        if value is not None:
            return {"amount": value}
    return None


def _amt_digits(n: str) -> str:
    """``"$1,200"`` → ``"1200"``, ``"60ish"`` → ``"60"`` (an approximate amount is the amount)."""
    return re.sub(r" ?-?ish$", "", n).strip("$ ").replace(",", "")


def _plain(s: str, z: str | None) -> str:
    """The message as space-joined words/CJK runs, punctuation dropped ("help??" → "help")."""
    return _Z_PUNCT.sub(" ", s).strip()


def _zh_all_in(text: str, vocab: frozenset[str]) -> bool:
    """True when ``text`` is a run of words from ``vocab`` (greedy, longest first)."""
    i = 0
    while i < len(text):
        for n in (5, 4, 3, 2, 1):
            if text[i:i + n] in vocab:
                i += n
                break
        else:
            return False
    return i > 0


def _yes_no(plain: str, words: list[str], context: str) -> str | None:
    """``"affirm"``/``"deny"`` for a yes/no-shaped reply, else None."""
    if len(words) == 1 and plain.isascii() and plain.isalpha():
        plain = _REPEATS.sub(r"\1", plain)  # "yesss", "noo", "okkk"
    elif not plain.isascii():
        plain = _ZH_TRAILING.sub("", plain).strip(" ,")  # 好的谢谢, 不用了谢谢
        if plain not in zh.AFFIRM and _zh_all_in(plain.replace(" ", ""), zh.AFFIRM):
            return "affirm"  # 是的是我, 好的好的, 对，是本人
    if plain in _AFFIRM or plain in _AFFIRM_PHRASES or plain in zh.AFFIRM:
        return "affirm"
    if plain.endswith((" ok", " okay")) and plain.rsplit(" ", 1)[0] in _AFFIRM_PHRASES:
        return "affirm"  # "sounds good 👍" (the emoji reads as "ok")
    if (plain in _DENY or plain in _DENY_PHRASES or plain in zh.DENY
            or (context == "confirm" and plain in ("不是", "不是的"))
            or (context in ("confirm", "verify") and plain in ("不对", "不对的", "错了", "不正确"))):
        return "deny"
    words = [w for w in words if w not in _LAUGHS]  # "lol ok"
    if not words:
        return None
    if len(words) == 1 and (words[0] in _AFFIRM or words[0] in _DENY):
        return "affirm" if words[0] in _AFFIRM else "deny"
    if words[0] in _DENY and len(words) <= 5 and all(w in _DENY_REST or w in _DENY for w in words[1:]):
        return "deny"
    if words[0] in _AFFIRM and len(words) <= 6:
        rest = words[1:]
        if all(w in _AFFIRM_REST or w in _AFFIRM for w in rest):
            return "affirm"
        if (context == "verify" and rest[:2] == ["this", "is"]) or rest[:2] == ["it", "is"] or rest[:1] == ["its"]:
            return "affirm"
    return None


def _yes_restated(plain: str, words: list[str], context: str, ent) -> bool:
    """confirm/verify: a yes followed by a restatement (see ``_RESTATE_WORDS``), or in verify a
    yes that names the person (``_VERIFY_NAMED``). Called only when :func:`_yes_no` said nothing."""
    if not words or len(words) > 12:
        return False
    if context == "verify":
        m = _VERIFY_NAMED.match(plain)
        if m:
            name = (m.group("a") or m.group("b") or m.group("c")).split()
            if not any(w in _NOT_A_NAME or w in _AFFIRM or w in _DENY for w in name):
                return True
    if words[0] not in _AFFIRM or len(words) < 2:
        return False
    dated = ent.date is not None or ent.amount is not None
    for w in words[1:]:
        if w in _RESTATE_WORDS or w in _AFFIRM or w in _AFFIRM_REST or w in _LAUGHS:
            continue
        if dated and (w in _RESTATE_DATE_WORDS or w in _DATE_ONLY_WORDS or _RESTATE_NUMBER.fullmatch(w)):
            continue
        return False
    return True


def _has_date(s: str, st: frozenset[str], z: str | None, zc: frozenset[str] | None,
              zst: frozenset[str] | None, ent) -> bool:
    return bool(ent.date is not None or ent.has_date_words or _DATE_CUE.search(s, st)
                or (z and _Z_DATE_CUE.search(z, zst, zc)))


def _zh_repays(z: str) -> bool:
    """With jieba: does this Chinese reply say "repay" (还 as a word, or a paying word),
    or is it only a date ("还是明天吧")? Called only when 还 starts an ambiguous
    compound (还有/还是/还要…), so short lexicon-decided texts never load jieba."""
    rest = [w for w in zh_words(z) if w not in zh.PARTICLES and not _Z_DATE_CUE.search(w) and not w.isdigit()]
    return not rest or any(w in zh.REPAY_WORDS for w in rest)


#: Words of date (and amount) expressions DATE_CUE does not name, allowed in a date-only
#: promise ("EOD", "by end of day", "christmas eve", "mid december", "the first", "2 grand").
_DATE_ONLY_WORDS = frozenset("""
eod eow eom end day of christmas xmas eve new years year nye thanksgiving black independence labor memorial
mid middle early beginning start late january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec first second third fourth fifth fifteenth
twentieth thirtieth twenty thirty week wk one two three couple tmr tmrw today tonight holidays holiday
grand k hundred thousand
three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen
nineteen forty fifty sixty seventy eighty ninety cents cent ish but only
""".split())
#: A changed day ("change of plans, can it be monday the 7th instead?"): a promise of the new date.
_RESCHEDULE = re.compile(r"\b(?:instead|change of plans?|change (?:it|the date) to|reschedule|move (?:it|the payment|my payment) to"
                         r"|push (?:it|the payment|my payment) (?:back )?to|can (?:it|we) be|could (?:it|we) be|make it)\b")
#: "text me after 5 instead": a contact time, not a payment date.
_CONTACT_WORD = re.compile(r"\b(?:text|txt|call|contact|email|message|msg|reach)\b")
#: "not today, friday", "not tomorrow but monday": the refused day is not the one meant.
_NOT_DAY_BUT = re.compile(r"\bnot (?:on |by )?(?:today|tonight|tomorrow|tmrw|tmr|this week|(?:this )?(?:mon|tues|wednes|thurs|fri|satur|sun)day"
                          r"|the \d{1,2}(?:st|nd|rd|th))\b[ ,.;-]*(?:but |maybe |more like |try |how about )?(?:on |by )?[a-z0-9]")
#: Cancelling a payment agreed earlier (我想取消上周五约好的还款, 把明天的自动扣款停掉): not a promise.
_Z_CANCEL_PROMISE = re.compile(r"(?:取消|撤销|撤回|作废|不算)[^，。,.!?！？]{0,10}?(?:还款|付款|约定|承诺|约好|预约|扣款|转账)"
                               r"|(?:自动扣款|扣款|代扣|自动还款)(?:给我)?(?:停掉|停了|关掉|关了|关闭|取消|停止)")
#: Cantonese date words lexicon_zh.DATE_CUE does not name (traditional already folded).
_Z_DATE_CUE_YUE = re.compile(r"听日(?!本|语|文|记)|听朝|听晚|(?<![以之然最往随落背午今])后日(?!子|常)|今日|今朝|琴日|月尾|月头|出粮")


def _promise(s: str, st: frozenset[str], z: str | None, zc: frozenset[str] | None, zst: frozenset[str] | None,
             words: list[str], ent) -> tuple[str, float, str, dict] | None:
    """Promise-to-pay: a future date with a paying verb, or a reply that is only a date
    ("next friday", "give me til monday"). "today"/"now" alone makes it ``pay``."""
    cue_en = _DATE_CUE.search(s, st) is not None
    cue_zh = bool(z and (_Z_DATE_CUE.search(z, zst, zc) or _Z_DATE_CUE_YUE.search(z)))
    if z and _Z_CANCEL_PROMISE.search(z):
        return "unknown", 0.5, "unknown.cancel_payment", {}
    has_date = ent.date is not None or ent.has_date_words or cue_en or cue_zh
    past = ent.date_is_past and not (cue_zh and "了" not in z and "咗" not in z)  # 这个月25号还: still a promise
    if past and cue_zh and "咗" in z and _Z_REPAY_VERB.search(z):
        return "paid_already", _LEXICON, "paid_already.zh_past_date", {}  # 琴日還咗 (Cantonese 咗 = 了)
    if has_date and not past:
        if not (cue_en or cue_zh) and (_IMMEDIATE.search(s, st) or (z and _Z_IMMEDIATE.search(z, zst, zc))):
            return None  # "pay now", "现在就还": a payment, not a promise
        refused = _refused_day(s, z)
        if refused and not refused[1]:  # "cant do friday", "friday wont work", 周五还不了, 周五不行
            if refused[0] == "cant":
                return "hardship", 0.7, "hardship.refused_day", {}
            return "unknown", 0.5, "unknown.refused_day", {}
        if cue_zh:
            if _Z_HAI_AMBIGUOUS.search(z) and not _zh_repays(z):
                return None  # 明天还有事: 还 means "still" here, not "repay"
            zt = z.replace("今日", "今天")  # Cantonese 今日 = 今天
            if (ent.time is None and "今天" in zt and _Z_REPAY_VERB.search(z) and not _Z_NOT.search(z) and not _Z_HAI_AMBIGUOUS.search(z)
                    and not _Z_DATE_CUE.search(zt.replace("今天", " ")) and not _Z_DATE_CUE_YUE.search(zt.replace("今天", " "))):
                return "pay", _LEXICON, "pay.zh_today", {}  # 今天还清, 我今天就还: paying today, as "I'll pay today"
            return "promise", _LEXICON, "promise.zh_date", {}
        if refused and ent.date is not None and not ent.date_is_past:
            return "promise", 0.8, "promise.refused_day_other", {}  # "friday doesnt work but the 11th does"
        if _CANT_PAY_NOW.search(s, st) and not _PROMISE_POSITIVE.search(s, st):
            return None  # "I can't pay this month": hardship (UK-01), not a promise
        if (_CANT_PAY_ON.search(s, st) and not _PROMISE_POSITIVE.search(s, st)
                and not _CANT_PAY_ON_BUT.search(s)):
            return None  # "I can't pay friday": a refused day, never a promise for it
        if _PAY_VERB.search(s, st):
            if _DEADLINE_QUESTION.search(s, st):
                return None  # "do i have to pay by friday?": a question (balance), not a promise
            return "promise", _LEXICON, "promise.date_and_verb", {}
        rest = _LETTERS.findall(_DATE_CUE.sub(" ", s))
        if all(w in en.PROMISE_FILLER or w in _DATE_ONLY_WORDS for w in rest):
            return "promise", 0.8, "promise.date_only", {}
        if ent.date is not None and ent.time is None and not _CONTACT_WORD.search(s) and (_RESCHEDULE.search(s) or (_NOT_DAY_BUT.search(s) and all(
                w in en.PROMISE_FILLER or w in _DATE_ONLY_WORDS or w == "not" for w in rest))):
            return "promise", 0.8, "promise.reschedule", {}  # "can it be monday the 7th instead?", "not today, friday"
        return None
    if ent.amount is not None and _PROMISE_NODATE.search(s, st):
        return "promise", 0.7, "promise.amount_no_date", {}
    return None


#: What the rest of a reply may say for the reply to be read as ``contact_time`` (US-03):
#: nothing that needs answering on its own.
_WINDOW_ONLY_REST = frozenset({"unknown", "affirm", "deny", "auto_reply", "contact_time"})


def interpret(text: str, *, context: str = "notice", now: dt.datetime, tz: str = "America/New_York",
              plan_options: int = 0, lang_hint: str | None = None, optout_threshold: float = 0.75) -> Intent:
    """Read one customer reply (see :func:`_interpret` for the arguments).

    A standing time restriction (US-03, 12 CFR 1006.6(b)(1); UK-05, CONC 7.9.4R: "only text
    me after 6pm", "don't text before noon", 晚上六点以后再发; :mod:`bot.intents.contact_time`)
    is read first, and the rest of the reply on its own: when the rest says nothing that
    needs an answer ("I work nights", "ok", nothing) the intent is ``contact_time`` with the
    window in ``entities.window`` (``None`` for a restriction the window cannot hold: days,
    "I work nights" with no time); otherwise the rest's intent wins and carries the window
    too (both apply: "I'll pay Friday, only text after 6"). An opt-out in the rest wins
    (the engine records no window under it). "busy", "can't talk now" and "call me after
    5" carry no window."""
    kw = dict(context=context, now=now, tz=tz, plan_options=plan_options, lang_hint=lang_hint,
              optout_threshold=optout_threshold)
    norm = normalise(text)
    found = None
    if norm and len(norm) <= 320:
        from . import contact_time
        z = norm.translate(zh.TRAD) if has_cjk(norm) else None
        found = contact_time.find(norm.replace("'", ""), z)
    if found is not None and found.loose and context in ("ask_date", "ask_amount", "plan_offer", "confirm"):
        found = None   # "not before 15" after "when can you pay?": a day or an amount, not a window
    if found is None:
        return _interpret(text, **kw)
    lang = detect_lang(norm)
    rest = _interpret(found.rest, **kw) if re.search(r"\w", found.rest) else None
    # a yes or no is an answer where the bot asked for one ("yes, and only text after 6pm"
    # confirms the promise and sets the window); after a notice it adds nothing
    only = _WINDOW_ONLY_REST if context in ("notice", "opted_out") else _WINDOW_ONLY_REST - {"affirm", "deny"}
    if rest is None or rest.name in only:
        ents = Entities(window=found.window)
        return Intent("contact_time", _LEXICON if found.window else 0.8, ents, lang or (rest.lang if rest else None),
                      found.rule)
    if found.window is None:
        return rest
    return Intent(rest.name, rest.confidence, replace(rest.entities, window=found.window), rest.lang or lang,
                  rest.rule + "+" + found.rule)


def _interpret(text: str, *, context: str = "notice", now: dt.datetime, tz: str = "America/New_York",
               plan_options: int = 0, lang_hint: str | None = None, optout_threshold: float = 0.75) -> Intent:
    """Read one customer reply.

    Args:
        text: the SMS body as received.
        context: what the bot last asked, one of :data:`bot.types.CONTEXTS` (unknown values
            are read as ``"notice"``).
        now: timezone-aware datetime; relative dates resolve against it in ``tz``.
        tz: the customer's IANA zone.
        plan_options: how many numbered plans are on offer (``plan_offer`` context); 0 → 1..9.
        lang_hint: the conversation's language when the text itself does not tell.
        optout_threshold: config ``[intents].optout_threshold``; a possible opt-out the
            rules are not sure of is returned as ``stop`` *below* it (US-06 safe default,
            47 CFR 64.1200(a)(10)), a certain one at ≥ 0.9.
    Returns:
        :class:`bot.types.Intent` with name in :data:`bot.types.INTENTS`, confidence 0..1,
        entities (amount/date/time from ``extract_entities``; ``channel`` for stop;
        ``option`` for choice), ``lang`` ("zh"/"en"/None) and ``rule`` (deciding rule id).
    """
    if context not in CONTEXTS:
        context = "notice"
    norm = normalise(text)
    lang = detect_lang(norm)
    if not norm:
        return Intent("unknown", 0.3, _NO_ENTITIES, lang, "unknown.empty")
    if "\n" in text:  # "STOP\n-- \nJohn Smith": a keyword on a line of its own ends a sentence
        lines = [ln for ln in text.splitlines() if ln.strip()]
        first = normalise(lines[0]).strip(" .!") if lines else ""
        if len(lines) > 1 and first in en.STOP_KEYWORDS:
            norm = first + ". " + normalise(" ".join(lines[1:]))
    if "sent from my" in norm:
        norm = _SIGNATURE.sub("", norm).strip()
        if not norm:
            return Intent("unknown", 0.3, _NO_ENTITIES, lang, "unknown.signature")
    # 1. auto replies, tapbacks and quoted footers: never an opt-out, never entities
    if _TAPBACK.match(norm):
        return Intent("unknown", 0.6, _NO_ENTITIES, lang, "unknown.tapback")
    if "stop" in norm and ('"' in norm or ">" in norm or "'" in norm):
        if ">" in text and "\n" in text:  # e-mail style quote: drop quoted lines, keep the customer's own ("...\nSTOP")
            norm = normalise("\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith((">", "\uff1e"))))
        norm = _QUOTED_FOOTER.sub(" ", norm).strip()
        if not norm:
            return Intent("unknown", 0.5, _NO_ENTITIES, lang, "unknown.quoted_footer")
    cjk = has_cjk(norm)
    s = norm.replace("'", "")
    s_typed = s
    s = fuzzy.correct_text(s, _KNOWN)
    if _SPACED.fullmatch(s):
        s = re.sub(r"[ .\-]", "", s)  # "s t o p", "s.t.o.p"
    z = fuzzy.correct_zh(norm.translate(zh.TRAD)) if cjk else None  # 退訂 → 退订
    zc = frozenset(z) if z else None
    zst = word_starts(z) if z else None
    st = word_starts(s)
    if (_AUTO.search(s, st) and not _AUTO_NOT.search(s)) or (z and _Z_AUTO.search(z, zst, zc)):
        return Intent("auto_reply", _LEXICON, _NO_ENTITIES, lang, "auto_reply.lexicon")
    words = _WORDS.findall(s)
    ent_lang = lang or (lang_hint if lang_hint in ("en", "zh") else "en")
    ent = _extract_entities(norm, now=now, tz=tz, lang=ent_lang)
    unsure = min(0.6, optout_threshold - 0.1)
    name, conf, rule, extra = _classify(s, st, words, z, zc, zst, context, ent, plan_options, unsure)
    if name == "hardship" and self_harm_words(text):
        rule = SELF_HARM_RULE  # UK-07: self-harm told apart from hardship (the engine escalates at once)
    if name == "stop" and s != s_typed and conf > 0.85:
        conf, rule = 0.85, rule + ".typo"  # read through a typo correction: likely, not certain
    if name == "stop" and conf < optout_threshold and rule in ("stop.keyword", "stop.keyword_plus"):
        conf = _CERTAIN
    if name == "identity_check_answer" or (not extra and ent.amount is None and ent.amount_max is None
                                           and ent.date is None and ent.time is None):
        entities = _NO_ENTITIES  # a birth date or zip is not a payment date/amount
    else:
        entities = Entities(amount=extra.get("amount", ent.amount), amount_max=extra.get("amount_max", ent.amount_max),
                            date=extra.get("date", ent.date), time=ent.time,
                            option=extra.get("option"), channel=extra.get("channel"))
    return Intent(name, conf, entities, lang, rule)
