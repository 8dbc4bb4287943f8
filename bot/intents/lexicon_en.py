"""English lexicon: phrasings per intent, as regex source strings.

Rules read the *English view* of a message: normalised (see ``normalise``), typo-
corrected word by word (see ``fuzzy``), with apostrophes removed (``don't`` → ``dont``,
``i'll`` → ``ill``). Patterns are compiled once in ``classify``. Each list is a set of
alternatives; order inside a list does not matter.

Compliance sources: opt-out words from COMPLIANCE.md §(b) (US-06, 47 CFR 64.1200(a)(10),
FCC 24-24; CTIA MPBP §5.1.3; carrier defaults), attorney US-18, bankruptcy, dispute US-16,
wrong number US-12, cease US-17, hardship UK-01/UK-07.
"""

from __future__ import annotations

# --- opt-out (US-06) ------------------------------------------------------------

#: Per-se / carrier opt-out keywords, valid as the whole message or the leading word.
STOP_KEYWORDS = frozenset({
    "stop", "stopall", "unsubscribe", "unsub", "cancel", "end", "quit", "revoke",
    "optout", "remove", "arret", "arrêt", "arrete", "arrête", "alto", "parar",
    "cancelar", "baja", "td", "0000", "unsuscribe", "unsubcribe",
})
#: Keywords that count only when they are the whole message (too ambiguous inside text).
STOP_WHOLE_ONLY = frozenset({"t", "n", "r", "para", "stop all", "opt out", "opt-out",
                             "no mas", "no más", "stop now", "end all",
                             # Spanish (US carriers honour them): "stop now", "enough"
                             "para ya", "ya para", "basta", "basta ya", "ya basta", "no mas mensajes",
                             "no más mensajes", "no mas messages", "no más messages", "nomore"})
#: Common SMS abbreviations/misspellings of opt-out words (whole message only).
STOP_ABBREVIATIONS = frozenset({"stp", "sop", "stpp", "stopit", "stopp", "unsubscibe", "unsuscribe",
                                "unsubcribe", "unsubscrib", "unsubsribe", "optput", "opout",
                                "stahp", "stap", "stawp", "st0p", "5top", "sotp", "stpo"})
#: Single letters that are Chinese-gateway opt-outs but may also mean "no" (N).
STOP_AMBIGUOUS_LETTERS = frozenset({"n", "r", "t"})
#: Words allowed around a keyword without changing its meaning ("STOP please", "STOP 4417").
STOP_FILLER = frozenset({
    "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thx", "ty", "all",
    "me", "it", "asap", "immediately", "right", "away", "already", "just", "ok", "okay",
    "sir", "maam", "im", "out", "opt", "this", "texts", "msgs", "messages", "text",
    "sms", "again", "forever", "permanently", "number", "my", "from", "list",
    "dude", "omg", "bro", "man", "seriously", "ffs", "god", "oh", "ugh", "jeez", "geez", "yall", "guys",
    # dictated punctuation and joined keywords: "Stop period", "stop exclamation point", "stop and remove"
    "period", "exclamation", "point", "mark", "and",
})

#: Leading keyword followed by one of these words is an opt-out ("stop it", "stop texting").
STOP_LEAD_OBJECTS = (
    r"me|it|this|these|that|those|now|please|pls|plz|all|asap|already|texting|txting|"
    r"texts?|txts?|sending|messaging|messages?|msgs?|contacting|calling|emailing|"
    r"txtn|txtin|txtng|textin|textn|texing|msging|msgin|msgn|callin|subscription|subscriptions|"
    r"reminders|notifications|alerts|robocalls|robo calls|spam|"
    r"harassing|harrassing|bothering|spamming|hounding|pestering|blowing|hitting|"
    r"i|im|ive|id|we|wrong|not|thats|its|thanks|thank|ty|thx|no|never|u|you|ur|your|this is|forever|"
    r"for good|immediately|right now|for real|seriously|dude|man|already"
)

_REFUSAL_OBJECT = (r"(?: (?:this|that|it|you|u|yall|you people|you guys|anything|nothing|shit|jack|squat|for (?:this|that|it)|"
                   # "not paying a penny of this", "won't pay a single cent to you people" (US-17)
                   r"of (?:this|that|it)|to (?:you|u|yall|ya|them)|a thing|"
                   # "not paying you a damn cent", "another red cent" (an intensifier before the coin)
                   r"(?:a|one|another|a single|one single) (?:(?:damn|damned|goddamn|god damn|single|red|freaking|friggin|frigging|fucking|fkn|stinking|lousy|measly) )*(?:dime|cent|penny|thing|nickel)|"
                   # "I will not be paying this debt", "not paying you crooks" (US-17)
                   r"(?:the|this|that|your|ur|any|these|those) (?:stupid |fake |bogus |damn |made up |so called )?(?:debt|debts|bill|bills|balance|account|loan|crap|garbage|bs|junk)|"
                   r"(?:crooks|scammers|thieves|clowns|idiots|vultures|leeches|liars|frauds|bastards|jokers|people)))*")
#: After a refusal, a clause of its own ("not paying you a dime, f off", "not gonna pay you people
#: anything, this is a scam") keeps it a refusal (US-17) unless the rest names a time, a date, a
#: condition, a reason it cannot pay, a fee, proof or a part payment: "not paying this month, next
#: month" (a promise), "not paying you anything right now, lost my job" (hardship), "not paying this,
#: I already paid" (paid), "not paying, send me proof" (a validation request, US-16).
_REFUSAL_CLAUSE_NOT = (
    r"(?!.*\b(?:until|til|till|unless|if|before|after|when|once|but|yet|now|rn|atm|currently|moment|today|tonight|"
    r"tomorrow|tmrw|tmr|week|weeks|month|months|weekend|payday|paycheck|paid|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d+\w*|afford|broke|money|job|jobless|unemployed|laid off|hospital|sick|"
    r"fee|fees|interest|charge|charges|proof|prove|validat\w*|verif\w*|statement|contract|documents?|paperwork|evidence|"
    r"itemi[sz]ed|breakdown|plan|payments|installments?|instalments?|split|half|full|all at once|less|settle\w*|lower|"
    r"more time|extension)\b)")
#: Insults right after a refusal, with no comma ("not paying you a dime f off", "ain't paying shit scammers").
_REFUSAL_INSULT = (r"(?:f+ ?off|fuck\w*|fu|fk off|stfu|screw (?:you|u|off)|piss off|go to hell|bite me|kiss my \w+|"
                   r"scammers?|crooks?|thieves|losers?|idiots?|assholes?|bastards?|morons?|clowns?|jerks?|leeches|vultures|"
                   r"this is a scam|its a scam|scam)\b")
_REFUSAL_END = (r"(?=[.!;]|$|,? (?:so|and|bye|ever|period|lol|stop|sue|leave|never|dont|do not|go away|get lost)\b"
                r"|\s*(?:,|-+|:)\s*" + _REFUSAL_CLAUSE_NOT + r"|,? " + _REFUSAL_INSULT + ")")
#: A refusal to pay (US-17 CEASE_ALL, channel all): "I'm not paying this.", "not paying. bye",
#: "ain't paying shit", "I won't pay" (but not "not paying this month", "won't pay until friday").
REFUSE_TO_PAY = (
    # "I'm not ever paying this", "aint never paying yall", "not gonna ever pay you people" (US-17)
    r"\b(?:not|nt|aint|never|wont be|will not be|am not)(?: ever| never)? (?:gonna |going to )?(?:ever )?paying" + _REFUSAL_OBJECT + _REFUSAL_END,
    r"\b(?:wont|will not|will never|am not gonna|im not gonna|not gonna|not going to|am not going to|im not going to|aint gonna|"
    r"aint going to|refuse to)(?: ever)? pay" + _REFUSAL_OBJECT + _REFUSAL_END,
    # "no way im paying this", "no way in hell I'm paying"
    r"\bno way (?:in (?:hell|heck) )?(?:im|i am|i will|ill|am i|will i|im gonna|im going to|imma|id|i would) (?:ever )?(?:be )?pay(?:ing)?"
    + _REFUSAL_OBJECT + _REFUSAL_END,
    # "you aint getting a penny from me", "you won't see a cent from me" (not "... until I see proof": a dispute)
    r"\b(?:you|u|yall|ya|youre|you are|ur|u r|youll|you will)(?: guys| people| all)? (?:aint|are not|arent|not|never|wont|will not|will never|"
    r"not ever|dont|do not) (?:be )?(?:getting|gonna get|going to get|get|see|seeing|gonna see|collect|collecting) "
    r"(?:a |one |a single |a red |one red |another |any )?(?:penny|dime|cent|nickel|dollar|thing|anything|shit|squat|jack|nothing|money|red cent)"
    r"(?: (?:from|out of|outta|off|off of) (?:me|my|this)\w*)?" + _REFUSAL_END,
)

#: Natural-language opt-outs judged certain (US-06; CEASE US-17 for "contact" forms).
STOP_PHRASES = (
    # "I'd prefer you didn't text me anymore", "I would rather you stopped texting me"
    r"\b(?:prefer|rather|like it if|appreciate it if) (?:you|u|yall|you guys)(?: all| guys)? (?:didnt|did not|dont|do not|wouldnt|would not|stopped|stop|no longer|quit|never) "
    r"(?:text|txt|messag|contact|call|email|reach)\w*",
    r"\b(?:stop|stp|quit|cease|end|pls stop|please stop)\s+(?:all\s+)?(?:the\s+)?(?:texting|txting|texts?|txts?|"
    r"txtn|txtin|txtng|textin|textn|texing|msging|msgin|msgn|robo ?calls?|phone calls|voicemails?|"
    r"messaging|messages?|msgs?|sending|contacting|calling|emailing|e-?mails?|harass(?:ing)?|"
    r"harrassing|bothering|spamming|hounding|pestering|blowing up|hitting me up|calls|"
    r"reaching out|communicating)\b",
    r"\b(?:dont|dnt|donot|do not|never|pls dont|please dont|u dont|you dont|dont you dare|dont u dare|dont (?:you|u) ever)\s+(?:ever\s+)?(?:text|txt|message|msg|"
    r"contact|call|email|e-mail|sms|bother|harass|reach out|write)(?:ing)?\b(?! (?:before|after|until|til|till|at|during|on|in the|while)\b)",
    r"\bno ?more (?:texts?|txts?|messages?|msgs?|calls|emails?|contact|sms|communications?|robocalls)\b",
    # "no further contact", "no emails", ", no texts or calls" (a clause of its own)
    r"\bno (?:further|more|other) (?:contact|communications?|correspondence)\b",
    r"\b(?:(?<!\w )|(?<=\bbut )|(?<=\band )|(?<=\bso )|(?<=\binstead ))(?:pls |please )?no (?:more )?(?:texts?|txts?|text messages|messages?|msgs?|sms|"
    r"(?:phone )?calls|e-?mails?|robocalls)(?: (?:or|and|nor|/) (?:texts?|(?:phone )?calls|e-?mails?|sms|messages))?"
    r"(?: (?:please|pls|thanks|thank you|ever|again|anymore|any more))?(?:[.!,;]|$)",
    r"\b(?:dont|do not|never) want (?:to be|you to|yall to|u to) (?:contacted|texted|messaged|called|bothered|contact|text|message|call)\b",
    r"^(?:pls |please )?no (?:texts?|txts?|messages?|msgs?|sms|calls)(?: please| pls| thanks| thank you)?[.!]*$",
    r"\b(?:dont|do not|never|no longer) (?:want|need|wish)(?: to (?:get|receive|be getting|be receiving|keep getting|"
    r"keep receiving|see|have))? (?:these|your|ur|any|the|this|those|yalls|no)? ?(?:more |further |any ?more |other )?"
    r"(?:texts|messages|msgs|txts|sms|calls|text messages|reminders|notifications|emails|e-mails|robocalls|communications?|correspondence|contact)\b",
    r"\b(?:dont|do not|never|no longer) (?:want|wish|need) to (?:hear from|be contacted by|deal with) (?:you|u|yall|your company|this company)\b",
    r"\b(?:dont|do not|never|no longer) (?:want|wish|like) to be (?:contacted|texted|messaged|called|bothered|emailed|harassed)\b",
    r"\b(?:i )?(?:do not|dont|no longer) consent\b",
    r"\b(?:i )?(?:wish|want|would like|prefer|request) (?:to receive |to have |to get )?no (?:further|more|other) (?:contact|communications?|correspondence|texts|messages|calls)\b", r"\b(?:i )?(?:revoke|withdraw) (?:my )?(?:consent|permission)\b",
    r"\b(?:stop|quit) (?:receiving|getting) (?:these |the |your |any |all |ur )?(?:texts|messages|msgs|text messages|calls|emails|notifications|reminders)\b",
    r"\b(?:want|need|would like) (?:(?:this|these|it|them|all)(?: (?:texts|messages|msgs|calls|text messages|reminders|emails))?|"
    r"(?:the |your |ur |all (?:the |these |your )?)?(?:texts|messages|msgs|calls|text messages|reminders|emails)) to stop\b",
    r"\b(?:asked|begged|told|tell|telling) (?:you|u|yall) (?:\w+ )?(?:to|2) stop\b", r"\b(?:ive|i have|i) (?:already )?asked (?:you|u|yall) (?:to|2) stop\b",
    r"\b(?:dont|dnt|do not|never|stop|quit|pls dont|please dont) send(?:ing)? (?:me )?(?:any ?more |any |no more |more |further |these |those |the |your |ur )+"
    r"(?:texts|messages|msgs|txts|sms|text messages|reminders|notifications|emails|e-mails|alerts)\b",
    # permission / consent withdrawn (FCC 24-24: any reasonable means)
    r"\b(?:you|u|yall|ya|your company) (?:dont|do not|no longer) have (?:my |any )?(?:permission|consent|authori[sz]ation)\b",
    r"\b(?:i )?(?:dont|do not|no longer) (?:give|grant) (?:you |u )?(?:my )?(?:permission|consent)\b",
    r"\b(?:revok|withdraw|withdrew|rescind|cancel)(?:e|es|ed|ing|ling|led)? (?:my |all |any |the )?(?:consent|permission|authori[sz]ation)\b",
    r"\b(?:you |u |yall )?(?:cant|cannot|can not|may not|must not|shall not|should not|shouldnt|are not allowed to|arent allowed to|"
    r"have no right to|are not to|better not) (?:ever )?(?:text|txt|message|msg|contact|call|email|e-mail|sms|bother|harass|reach out to|write to)(?:ing)? me\b"
    r"(?! (?:the|a|that|your|ur|my|an) (?:link|payment|amount|balance|info|details|total)| (?:before|after|until|til|till|at work|during|on weekends)\b)",
    r"\bif (?:you|u|yall|ya|anyone) (?:ever )?(?:text|txt|message|msg|contact|call|email|sms)(?:s)? (?:me )?(?:again|one more time|ever again)\b"
    r"(?!.*\b(?:pay|paying|link|payment|plan|balance)\b)",
    r"\b(?:knock|cut) it (?:off|out) (?:with )?(?:the |these |your |ur |all the |all these )?(?:texts|messages|msgs|calls|texting|calling|spam|txts|emails)\b",
    # "enough with the texts already", "enough of these calls" (US-06)
    r"\benough (?:with |of )?(?:the |these |your |ur |all the |all these |all your )?(?:texts|text messages|messages|msgs|txts|calls|texting|calling|spam|robocalls|reminders)\b",
    # "contact me no further", "text me no more" (US-06; contact is a cease, US-17)
    r"\b(?:contact|text|txt|message|msg|call|email|e-mail|bother|write) me no (?:further|more|longer)\b",
    # "add me to ur DNC list", "put my number on your do not call list" (US-06)
    r"\b(?:add|put|place|register|list) (?:me|my (?:number|#|phone|cell|info)|this (?:number|#|phone)|us)(?: number)? (?:on|to|in|into) (?:the |your |ur |yalls |a )?(?:internal )?"
    r"(?:dnc|do not (?:call|contact|text|disturb)|dont (?:call|contact|text)|no (?:call|contact)|opt ?out|suppression|blocked?) ?(?:list|registry|register)?\b",
    r"\bdnc\b",
    # a sentence of its own that is only the keyword or "(can you) please stop": "harassment. STOP.",
    # "Can you guys please stop? I said I would pay on the 15th" (the opt-out wins, US-06)
    r"\b(?<!\w )(?:(?:can|could|would|will) (?:you|u|yall|ya)(?: guys| all| people)? )?(?:ok |okay |just |please |pls |plz |kindly |now |so )*"
    r"(?:stop|stop it|stop already|stop now|stop please|stop pls|unsubscribe|stop all)(?:[.!?]+(?: |$)|$)",
    r"^(?:can|could|would|will) (?:you|u|yall|ya)(?: guys| all| people)? (?:just |please |pls |plz |kindly )*stop(?: already| now| please| pls)?[.!?]*$",
    r"\bcancel (?:my |the |this |these |your |all )?(?:subscription|texts|messages|sms|text messages|alerts|notifications|reminders)\b",
    # Spanish (US carriers honour Spanish opt-outs; "mensajes" reads as "messages" after typo correction)
    r"\bno (?:me )?(?:manden|mande|mandes|envien|envíen|envies|envíes|escriban|escribas|escriba|llamen|llames|contacten|molesten|moleste)\b",
    r"\b(?:deja|dejen|deje|para|paren|pare) de (?:mandar|enviar|escribir|llamar|molestar|textear|contactar)(?:me|nos)?\b",
    r"\bno quiero (?:recibir |mas |más |tus |sus )*(?:mensajes|messages|textos|llamadas)\b",
    r"\b(?:no|basta de) (?:mas|más) (?:mensajes|messages|textos|llamadas)\b", r"\bdar(?:me)? de baja\b",
    r"\b(?:remove|take|delete|drop|unsubscribe) (?:me|my (?:number|#|phone|info))(?: number)? (?:off|from)\b",
    # "take this number out of your database", "delete me from your system", "purge my info from your records"
    r"\b(?:remove|take|delete|drop|erase|purge|scrub|wipe|get|pull) (?:me|us|my (?:number|#|phone|cell|info|information|details|contact(?: info)?)|this (?:number|#|phone))"
    r"(?: number)? (?:off|from|out of|outta) (?:of )?(?:your|ur|the|yalls|this|all (?:your|ur|the)) (?:database|system|systems|records?|files?|list|lists|contacts?|"
    r"mailing list|call list|contact list|texting list|sms list|directory|dialer|platform)\b",
    r"\bremove (?:me|my number|my #)(?!\w)",
    r"\b(?:opt|sign) me out\b", r"\bopt(?:ing)? out\b", r"\bopt-out\b",
    r"\bunsub(?:scribe)?\b",
    r"\bdo not (?:ever )?contact\b", r"\bcease\b",
    r"\b(?:want|need) (?:this|these|it|the texts|the messages) to stop\b",
    r"\bmake (?:it|them|this) stop\b",
    r"\b(?:said|say|saying|told you|tell you) (?:to )?stop\b",
    r"\bdo not call\b", r"\bwrong to text me\b",
    # CEASE_ALL (US-17, FDCPA 15 USC 1692c(c)): a refusal to pay ends collection contact
    r"\b(?:i )?refuse to pay\b", r"\b(?:i will|ill|i am|im) never (?:going to |gonna )?pay\b", r"\bnever (?:going to|gonna) pay\b",
    r"\b(?:text|message|call|contact) me (?:again|one more time) and\b",
    # CEASE_ALL (US-17): "I'm not paying this", "ain't paying shit" (a refusal, not "not paying this month")
    *REFUSE_TO_PAY,
    r"\bquit (?:it|this)\b",
    r"\bstop (?:with )?(?:the|these|your|ur) (?:texts|messages|msgs|calls|spam)\b",
    r"\brevoke (?:my )?consent\b", r"\bwithdraw (?:my )?consent\b",
    r"\bstop (?:all )?(?:communication|contact)\b",
    # "no calls no texts", "no texts, no calls" (US-06, channels US-05)
    r"^(?:pls |please )?no (?:more )?(?:texts?|txts?|messages?|sms|(?:phone )?calls|e-?mails?)[,.]? (?:(?:and|or|&|/) )?no (?:more )?"
    r"(?:texts?|txts?|messages?|sms|(?:phone )?calls|e-?mails?)\b",
    # consent revoked / not authorised (FCC 24-24: any reasonable means)
    r"\b(?:consent|permission|authori[sz]ation) (?:is |has been |hereby |now )?(?:revoked|withdrawn|rescinded|denied)\b",
    r"\b(?:i )?(?:do not|dont|no longer|never) authori[sz]e (?:you |u |yall |your company |anyone )?(?:to )?(?:ever )?(?:contact|text|call|email|message|txt|reach)\b",
    # "these messages need to end", "the texts have to stop", "you guys need to stop"
    r"\b(?:texts|messages|msgs|calls|text messages|harassment|this|these|it|them|the texts|the messages|the calls)(?: \w+)? (?:need|needs|has|have|got|must|gotta) (?:to )?(?:stop|end|cease)\b",
    r"\b(?:you|u|yall|ya)(?: guys| all| people)? (?:need|needs|have|got|gotta|must|better) (?:to )?stop"
    r"(?=[.!?,]|$| (?:texting|txting|messaging|calling|contacting|emailing|bothering|harassing|it|now|already|this|please|pls|immediately|asap|right now)\b)",
    # "I texted STOP last week and you're still messaging me", "I opted out"
    r"\b(?:i |we )?(?:texted|txted|sent|replied|responded|typed|said|wrote|replied with|responded with) (?:you )?(?:stop|unsubscribe|unsub|stopall|quit|end)\b(?! (?:by|in|at|over|charging)\b)",
    r"\b(?:i |we )(?:already )?opted ?out\b",
    # "not interested please remove"
    r"\b(?:please |pls |plz |kindly )remove[.!]*$", r"\bnot interested[,.!]* (?:please |pls )?remove\b",
    # "don't want a call, send link": a voice opt-out (US-05, texts continue)
    r"\b(?:dont|do not|never) want (?:a |any |no |your |ur |these |those |the |more |phone )?(?:phone )?(?:call|calls|phone calls?|voicemails?|robocalls?)\b",
    # "email me instead of texting", "text me instead of calling" (the named medium only)
    r"\binstead of (?:texting|txting|texts|text messages|messaging|sms|calling|phone calls|calls|emailing|emails)\b",
    # "texts are fine, just no calls at work" (a voice opt-out, US-05)
    r"\bno (?:more )?(?:phone )?calls (?:at|to) (?:work|my job|my work|the office|my office)\b",
)

#: Replies that probably mean "stop" but not certainly: stop with a confidence below the
#: opt-out threshold, so the dialog pauses automation and hands off (US-06 safe default).
STOP_PHRASES_UNSURE = (
    r"\b(?:leave me|leave us|lemme|let me) (?:the hell |\w+ )?alone\b",
    r"\b(?:lose|delete|forget|erase) (?:my|this) (?:number|#|contact|info)(?!\w)",
    r"\b(?:im|i am|i will|ill|gonna|going to) (?:be )?block(?:ing)?\b",
    r"\bblock(?:ing|ed)? (?:this|your|ur|you|u)\b(?! (?:card|account|payment))",
    r"^(?:good ?bye|bye|bye bye)\b(?! (?:to )?(?:late fees?|fees|debt|balance|bills?|interest|collections))",
    r"\b(?:no|not) (?:interested|consent)\b(?=.*\b(?:texts?|messages?|contact)\b)",
    r"\b(?:tired|sick|fed up|done) (?:and tired )?(?:of|with) (?:these|your|ur|the|all the|all these|getting|receiving|yall|all your) "
    r"(?:texts|messages|msgs|calls|text messages|robocalls|emails)\b",
    r"\b(?:knock|cut) it (?:off|out)\b", r"\b(?:buzz|back|bugger|shove) off\b",
    r"\bdisappear (?:from|off) (?:your|ur|the|yalls) (?:list|system|database|records)\b",
    # a bare "mute" / "silence" / "shut up": probably an opt-out, not certainly (US-06 safe default)
    r"^(?:pls |please )?(?:mute|silence|quiet|hush|shush|shut up|be quiet|zip it|(?:mute|silence) (?:this|these|it|me|notifications|this number|(?:the |these |your |all |all the )?(?:texts|calls|messages|notifications|reminders|alerts)))(?: (?:please|pls|now))?[.!]*$",
    # a complaint to a regulator, "i want out", a bare "I refuse" (US-17 if it is a refusal to pay)
    r"\b(?:report(?:ing|ed)?|complain(?:ing|ed)?|file a complaint|filing a complaint) (?:this |you |yall |u |your company |about (?:this|you) )?"
    r"(?:to|with) (?:the )?(?:ftc|fcc|cfpb|bbb|better business bureau|attorney general|state attorney general|ag)\b",
    r"^(?:i )?(?:want|wanna) out[.!]*$", r"^i (?:refuse|decline)[.!]*$", r"\bget lost\b", r"\bleave me be\b",
    # "blocked", "ur blocked", "Blocked and reported" (past tense of "I'm blocking you")
    r"^(?:(?:you|u|this number|number|ur|youre|you are|u r|u are|youve been|you have been|u been|you been|you got|u got|this number is|number is|"
    r"your number is|ur number is|now|just|and|ok|all) )*blocked\b(?! (?:card|account|payment|me|my))",
    r"\b(?:blocked|blocking) (?:and|&|n) reported\b", r"\breported (?:and|&|n) blocked\b",
    r"\b(?:why did (?:you|u|yall) |why are (?:you|u|yall) |who said (?:you|u|yall) could |(?:i )?never said (?:you|u|yall) could )"
    r"(?:still )?(?:text|txt|message|msg|contact|call)(?:ed|ing)? me again\b",
    r"\bnot interested\b(?! in (?:a |the |your |any |making |doing )?(?:payment |monthly )?(?:plans?|settlements?|arrangements?|"
    r"installments?|options?|discounts?|offers?|partial|payments?))", r"\bgo away\b", r"^(?:pls |please )?no more[.!]*$", r"^this is spam\b",
    r"\b(?:report(?:ing|ed)?|flag(?:ging|ged)?|mark(?:ing|ed)?) (?:this|you|it|these|your number|ur number|u)? ?(?:as )?spam\b", r"\b(?:stop|quit) (?:asking|bugging|pinging|nagging|pushing)\b",
    r"\bhow (?:do|can) i (?:stop|unsubscribe|opt out)\b", r"\bwhy (?:do|are|does) (?:you|u|yall|this number) keep (?:texting|messaging|calling)\b",
    r"(?<!please )(?<!pls )(?<!plz )(?<!can )(?<!could )(?<!to )(?<!may )(?<!should )\bkeep (?:texting|messaging|calling) me\b"
    r"(?! (?:(?:the |my |those |these |your |payment )?(?:reminders|updates|notices|alerts|links?)|updated|posted|informed|in the loop|please|pls|plz|thanks|thank you)\b)", r"\benough\b(?=.*\b(?:texts|messages)\b)|^enough[!.]*$",
)

#: A stop-class word used for something else: not an opt-out, the rest of the text decides.
STOP_NOT = (
    r"\bstop(?:ping|ped|s)? (?:by|in|over|at)\b",
    # "stop the automatic payment on the 15th": a payment matter (CANCEL_PAYMENT), not an opt-out
    r"\bstop (?:(?:my|the|this|that|next|upcoming|scheduled|pending|automatic|auto|recurring|monthly) )+(?:payments?|pmts?|draft|debit|withdrawal|auto ?pay|autopay|installment)\b",
    # "does the interest ever stop?", "when will the fees end": the charges, not the texts
    r"\b(?:interest|fees?|late fees?|charges?|penalt(?:y|ies)|payments?|autopay|auto ?pay|debit|deductions?) (?:ever |ever going to |going to |gonna |will |to )?(?:stop|end)\b",
    r"\bstop(?:ping|ped|s)? (?:paying|making (?:the |my )?payments?|payment)\b",
    # "take me off autopay", "remove me from the payment plan": a payment matter (CANCEL_PAYMENT), not an opt-out
    r"\b(?:remove|take|drop|unenroll|unsubscribe|cancel|get) me (?:off|from|out of) (?:of )?(?:the |my |this |your |ur )?(?:payment plan|plan|auto ?pay|autopay|auto-?draft|arrangement|auto ?debit|recurring payments?|payment schedule|paperless|paper statements?)\b",
    r"\b(?:end|finish|close) (?:it|this|things|the account|my account) (?:with|by) (?:a |one |the |my |this |paying|making|sending)",
    r"\b(?:stop|end|quit|cancel) (?:charging|adding|taking|withdrawing|deducting|billing|"
    r"debiting|drafting|pulling)\b",
    r"\b(?:stop|cancel|end) (?:the |my |this |that |our |your )?(?:late )?(?:fees?|interest|"
    r"charges?|auto ?pay|autopay|auto-?draft|auto ?debit|debit|payments?|order|card|check|"
    r"transaction|plan|promise|arrangement|appointment|withdrawal|draft)\b",
    r"\bend of (?:the |this |next )?(?:month|week|year|day|mo)\b",
    r"\b(?:by|at|before|til|till|until) (?:the )?end\b",
    r"\b(?:dont|do not|never|wont|will not|please dont|pls dont|cant|cannot|couldnt) (?:stop|cancel|end)\b",
    r"\bquit (?:my|his|her|the|a|this|that) (?:\w+ )?(?:job|work|gig|position)\b", r"\bquit (?:working|work|school)\b",
    r"\b(?:cancel|stop|end|unsubscribe|opt out) (?:button|link|option|page|fee)s?\b",
    r"\b(?:bus|truck|rest|pit|full|one|last|next|first|train|subway) stop\b", r"\bstop (?:sign|light)s?\b",
    r"\bremove (?:the |my |this |that |an? |your )?(?:old |expired |current |saved |previous |other |existing )?"
    r"(?:card|cards|bank|bank account|payment method|debit card|credit card|acct|account number|routing number)\b",
)

#: A negated stop request ("don't stop sending me reminders", "do not remove me from autopay",
#: "never stop texting me reminders"): the span is removed before the opt-out phrases are
#: read, so the rest of the message still decides ("you never stop texting me" is not one).
STOP_NEGATED = (
    r"\b(?:(?<!\w )|" + "|".join(f"(?<=\\b{w} )" for w in "please pls plz just but and so kindly i we ok okay no oh".split())
    + r")(?:dont|dnt|do not|never|pls dont|please dont)"
    r"(?: ever)? (?:stop|quit|cease|end|unsubscribe|unsub|remove|cancel|opt me out|take me off)\b",
    r"\b(?:never|didnt|did not) (?:ask|asked|tell|told|say|said|want|wanted) (?:you |u |yall )?(?:to )?(?:stop|unsubscribe|opt me out|remove me)\b",
    r"\b(?:wait|no wait|hold on|oops|sorry|hey|actually|no) (?:dont|do not|pls dont|please dont) (?:stop|unsubscribe|remove|cancel|opt me out|take me off)\b",
    r"\b(?:im|i am|i was|were|we are|i m) not (?:trying to |going to |gonna |asking to |looking to |wanting to )?(?:opt(?:ing)? out|unsubscrib(?:e|ing)|quitting)\b",
    r"\b(?:dont|do not|didnt|did not) (?:want|wanna|mean|need|wish|plan) (?:to )?(?:opt(?: me)? out|unsubscribe|be (?:opted out|unsubscribed|removed)|stop (?:the |your )?(?:texts|messages|reminders))\b",
    r"\b(?:undo|cancel|reverse|take back|retract) (?:the |my |that |this )?(?:opt ?out|opt-out|stop|unsubscribe|unsub)\b",
    r"\b(?:remove|take|drop|unenroll|unsubscribe|cancel|get) me (?:off|from|out of) (?:of )?(?:the |my |this |your |ur )?(?:payment plan|plan|auto ?pay|autopay|auto-?draft|arrangement|auto ?debit|recurring payments?|payment schedule|paperless|paper statements?)\b",
    r"\b(?:didnt|did not|never) (?:mean|meant|want|intend) to (?:text |send |say |reply |type |hit |press |reply with |respond with )?(?:stop|unsubscribe|opt out)\b",
    r"\b(?:texted|sent|replied|typed|said|hit|pressed|replied with)(?: you)? (?:stop|unsubscribe) (?:by (?:mistake|accident)|accidentally|on accident)\b",
    r"\b(?:the )?stop was (?:a mistake|an accident|by accident|by mistake)\b",
    r"\b(?:the |these |your |ur )?(?:texts|calls|messages|msgs|reminders|notifications|it|this|they)(?: guys)? (?:will|would|should|are going to|gonna) (?:stop|end)"
    r"(?= (?:if|once|when|after|as soon as) (?:i|we) (?:pay|paid|make|made|send|sent|clear|settle)\b)",
    r"\b(?:almost|nearly|was (?:going to|gonna|about to)|thought about|considered|felt like|wanted to|about to) "
    r"(?:texting|texted|text|sending|sent|send|replying|replied|reply|typing|typed|type|saying|said|say|hitting|hit|pressing|pressed) (?:you )?(?:stop|unsubscribe|quit|end)\b",
    r"\b(?:if|once|when|after|as soon as) (?:i|we) (?:pay|paid|have paid|make|made|send|sent|clear|settle)\b[^.!?]*?\b(?:will|would|do|does|did|is|are)"
    r"(?: (?:the|these|your|ur|all the|all these))? (?:texts|calls|messages|msgs|reminders|notifications|letters|emails|it|this|they|you|u|yall)(?: guys| all)? (?:stop|end|quit)\b",
    r"\b(?:will|would|do|does|when will|when do)(?: (?:the|these|your|ur|all the|all these))? (?:texts|calls|messages|msgs|reminders|notifications|letters|emails|it|this|they|you|u|yall)"
    r"(?: guys| all)? (?:stop|end|quit)(?: (?:texting|calling|messaging|contacting|sending)(?: me)?)?(?= (?:if|once|when|after|as soon as|after|the day|since) (?:i|we) (?:pay|paid|make|made|send|sent|clear|settle)\b)",
)

#: A request to cancel/stop a payment or autopay: a person must look (not an opt-out).
CANCEL_PAYMENT = (
    # "please cancel the $100 payment scheduled for tomorrow", "cancel friday's payment"
    r"\b(?:cancel|call off|void|undo|unschedule|delete|hold off on|stop) (?:(?:my|the|this|that|next|upcoming|scheduled|pending|automatic|auto|recurring|monthly|"
    r"todays?|tomorrows?|tmrws?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|weeks|months|\$? ?\d[\d,]*(?:\.\d\d)?|dollars?) )+"
    r"(?:payments?|pmt|pymt|draft|debit|withdrawal|auto ?pay|autopay|installment)\b"
    # a new day in its place ("..., I'll pay monday instead") is a reschedule: the promise of the new date
    r"(?!.*\b(?:instead|rather)\b)",
    r"\b(?:cancel|stop|dont stop|do not stop) (?:my |the |this |that )?(?:auto ?pay|autopay|"
    r"payments?|scheduled payment|check|transaction|auto-?draft|debit|withdrawal)\b",
    r"\b(?:remove|take|drop|unenroll|unsubscribe|cancel|get) me (?:off|from|out of) (?:of )?(?:the |my |this |your |ur )?(?:payment plan|plan|auto ?pay|autopay|auto-?draft|arrangement|auto ?debit|recurring payments?|payment schedule|paperless|paper statements?)\b",
    r"\b(?:dont|do not|never) (?:remove|take|drop|unenroll|unsubscribe) me (?:off |from |out of )(?:the |my |this )?(?:payment plan|plan|"
    r"auto ?pay|autopay|arrangement|auto-?draft)\b",
)

#: Channel words for a stop (US-05: opt-out is per medium).
CHANNEL_VOICE = r"\b(?:call|calls|calling|phone calls?|ring|ringing|voicemails?|robocalls?)\b"
CHANNEL_EMAIL = r"\b(?:e-?mails?|e-?mailing)\b"
CHANNEL_SMS = r"\b(?:text|texts|texting|txt|txts|txting|sms|messages?|messaging|msgs?)\b"
CHANNEL_ALL = (r"\b(?:contact|contacting|contacted|contacts|reach|reaching|communicate|communicating|"
               r"communications?|correspondence|hear from|leave me alone|cease|harass|harassing|refuse to pay|never (?:going to |gonna )?pay)\b|^i refuse[.!]*$")
#: A refusal to pay is a cease of all contact (US-17) whatever medium the message names.
CHANNEL_CEASE = (r"\brefuse to pay\b", r"\bnever (?:going to |gonna )?pay\b", *REFUSE_TO_PAY)
#: Only email, or no phone contact: neither texts nor calls (US-05).
CHANNEL_OFF_PHONE = (
    r"\b(?:only (?:contact|reach|write|message) me (?:by|through|via|at|on|thru) (?:my )?e-?mail|"
    r"(?:contact|reach|write) me (?:only )?(?:by|through|via|at) (?:my )?e-?mail only|(?:by|via|through) e-?mail only|e-?mail only|"
    r"only (?:by |via )?e-?mail(?: me)?|e-?mail me only|only communicate (?:by|via|through) e-?mail)\b",
    r"\bno (?:phone|telephone|cell(?: ?phone)?) contact\b",
)
CHANNEL_MAIL_ONLY = (r"\b(?:only (?:contact|reach|write) me (?:by|through|via|in) (?:mail|letter|post|writing)|"
                     r"(?:by|via) (?:mail|letter|post) only|in writing only|only in writing|mail only|"
                     r"only (?:send|mail) (?:me )?(?:letters|mail)|(?:send|mail) (?:me )?(?:letters|mail) only|letters only)\b")
CHANNEL_SMS_OK = (r"\b(?:text(?:ing)?|texts|txt|sms) (?:is|are) (?:fine|ok|okay|good|better)\b|\b(?:can|may) text me\b",
                  r"\b(?:you|u|yall|ya) (?:can|may|could) (?:still |keep )?(?:text|txt|message|msg|sms)(?:ing)?(?: me)?\b(?! (?:me )?(?:again|one more time|ever)\b)",
                  r"\b(?:i )?(?:prefer|rather have|would rather have|rather get|would rather get|like) (?:texts?|texting|sms|text messages)\b",
                  # "text only, no calls", "only text me, never call", "just text me the link" (US-05)
                  r"(?<!dont )(?<!do not )(?<!never )(?<!no )\b(?:texts?|txt|sms|text messages?)(?: me)? only\b",
                  r"(?<!dont )(?<!do not )(?<!never )\b(?:only|just) (?:texts?|txt|sms)\b(?! (?:me )?(?:to|and))",
                  r"(?<!dont )(?<!do not )(?<!never )\b(?:(?:only|just|please|pls) )?text me (?:instead|the link|it|the info)\b")
#: Voice named only as a way the customer accepts or will use ("call me after 6 instead",
#: "I'll call you"): removed before looking for a voice opt-out (US-05).
CHANNEL_VOICE_OK = (r"(?:^|[.!?,;] )(?:(?:just|please|pls|you can|u can|you may|feel free to|better) )?call me\b(?! again)",
                    r"\b(?:calls?|calling|phone calls?) (?:is|are) (?:fine|ok|okay|good|better)\b",
                    r"\b(?:ill|i will|i can|let me|i(?:ll| will) be the one to) call (?:you|u|yall|ya)\b(?: (?:guys|all|people|myself))?",
                    r"\bcall (?:me )?instead\b",
                    r"\b(?:i )?(?:prefer|rather have|would rather have|rather get|would rather get|like) (?:phone )?(?:calls?|calling|a call)\b",
                    r"\b(?:you|u|yall|ya) (?:can|may|could) (?:still )?call(?: me)?\b(?! (?:me )?(?:again|one more time|ever)\b)")
#: A do-not-call list asked for by text: texts are calls under the TCPA (47 CFR 64.1200(d)), so texts and calls.
CHANNEL_DNC = r"\bdnc\b|\bdo not call (?:list|registry|register)\b|\b(?:on|to) (?:the |your |ur )?(?:internal )?do not call\b"
#: "lose my number", "delete this number": stop using this number at all, texts and calls alike (US-05/US-06)
CHANNEL_DNC += r"|\b(?:lose|delete|forget|erase|get rid of|throw away|trash) (?:my|this) (?:phone |cell )?(?:number|#)(?!\w)(?! (?:from|off) (?:your |ur |the )?(?:texts?|text list|sms|messages))"
CHANNEL_EMAIL_OK = (r"(?:^|[.!?,;] |\b(?:just|please|pls|you can|u can|you may|feel free to|better to) )e-?mail me\b(?! again)",
                    r"\be-?mails? (?:is|are) (?:fine|ok|okay|good|better)\b", r"\be-?mail (?:me )?instead\b")

# --- opt-in ---------------------------------------------------------------------

START_KEYWORDS = frozenset({"start", "unstop", "subscribe", "resubscribe", "re-subscribe", "resume",
                            "optin", "opt in", "opt-in", "restart", "start again"})
START_PHRASES = (
    r"\b(?:you |u )?(?:can|may|could|pls|please) (?:text|txt|message|msg|contact) me(?: again| now)?\b"
    r"(?! (?:the|a|an|that|this|your|ur|my|those|these|info|details|link|payment|amount|balance|total|on|at|via|by|through)\b)",
    r"\btext me again\b", r"\b(?:want|like|need) (?:the |my |your )?(?:texts|messages|text messages|reminders|notifications) (?:again|back)\b",
    r"\bsend (?:me )?(?:the )?(?:texts|messages|reminders) again\b", r"\bturn (?:it|them) back on\b", r"\bresume (?:texts|texting|messages|sms)\b", r"\bopt (?:me )?(?:back )?in\b",
    r"\bstart (?:texting|sending|the texts|messages) again\b", r"^(?:please |pls )?start (?:texting|messaging|sending) (?:me )?(?:again|back|now)?(?: please| pls)?[.!]*$", r"\bsubscribe me\b",
    r"\bturn (?:texts|messages|notifications) (?:back )?on\b", r"\bre-? ?subscribe\b",
)
#: After our opt-out confirmation (context ``opted_out``): a clear request to undo it is an opt-in
#: ("wait dont opt me out, that was my kid", "I sent STOP by mistake", "undo the opt out").
START_UNDO = (
    r"\b(?:dont|do not|pls dont|please dont|didnt want you to|did not want you to) (?:opt me out|unsubscribe me|remove me|take me off|stop (?:the |my |your )?(?:texts|messages|reminders|texting me))\b",
    r"\b(?:didnt|did not|never) (?:mean|meant|want|intend) to (?:text |send |say |reply |type |hit |press |reply with |respond with )?(?:stop|unsubscribe|opt out)\b",
    r"\b(?:texted|sent|replied|typed|said|hit|pressed|replied with)(?: you)? (?:stop|unsubscribe) (?:by (?:mistake|accident)|accidentally|on accident)\b",
    r"\b(?:accidentally|mistakenly) (?:texted|sent|replied|typed|said|hit|pressed|opted out|unsubscribed)\b",
    r"\b(?:stop|that|the opt ?out|opting out) was (?:a mistake|an accident|by accident|by mistake)\b",
    r"\b(?:undo|cancel|reverse|take back|retract) (?:the |my |that |this )?(?:opt ?out|opt-out|stop|unsubscribe|unsub)\b",
    r"\b(?:i )?(?:still )?(?:want|need) to (?:keep )?(?:get|getting|receive|receiving) (?:the |your |these )?(?:texts|messages|reminders|text reminders)\b",
    r"\bkeep me (?:subscribed|opted in|on (?:the|your) (?:list|texts))\b",
)
#: An opt-in phrase said in negation, a threat, a complaint or for another medium is never an
#: opt-in (US-06: opting back in must be unambiguous): "dont you dare text me again",
#: "why did you text me again", "if you text me again i'll sue", "message me on whatsapp instead".
START_NOT = (
    r"\b(?:dont|dnt|do not|never|cant|cannot|can not|may not|must not|wont|will not|shouldnt|should not|"
    r"better not|not allowed|no right|dare|if|why|who said|unless|report|reported|sue|block|blocked|stop|"
    r"instead|whatsapp|signal|telegram|email|e-mail|mail|letter|letters|no sms|no texts?|no more|not)\b",
)

# --- auto replies and tapbacks (never opt-outs, never entities) --------------------

AUTO_REPLY = (
    r"^[\[(]?auto[- ]?(?:reply|response|responder|matic reply)\b", r"\bautomatic reply\b",
    r"\bautoreply\b", r"\bout of (?:the )?office\b", r"\bdriving focus\b",
    r"^(?:im|i am) driving\b", r"\bdo not disturb\b", r"\bsee your message when\b",
    r"\bthis is an automated (?:reply|response|message)\b", r"\bi am currently (?:away|unavailable)\b",
    r"\b(?:im|i am) (?:currently )?(?:away from my phone|unavailable right now)\b",
    r"^(?:im|i am) (?:busy|in a meeting|at work)[,.!]? (?:(?:i )?will|ill|i ll) (?:get back|call|text|reply)\b",
    r"\bwill (?:get back to you|reply|respond) (?:when|as soon as|asap|later)\b",
    r"\bsilenced notifications\b", r"^sorry,? i cant talk right now\b", r"^(?:i )?cant talk (?:right )?now\b",
    r"\bcall you (?:back )?later\b(?!.*\b(?:pay|owe|debt)\b)", r"\bplease leave a message\b",
    r"^this (?:number|phone number|line|phone) (?:does not|doesnt|is unable to|cannot|can not|cant) (?:accept|receive) (?:text messages|texts|sms|messages)[.!]?$",
    r"^(?:sorry,? )?(?:i )?cant talk (?:rn|right now|now)\b(?!.*\b(?:pay|owe|debt|stop|link)\b)",
    r"^thanks? (?:you )?for (?:your|ur) (?:message|text)\W+(?:i|ill|i will|we|well)\b.*\b(?:get back|reply|respond)\b",
    r"^thanks? (?:you )?for (?:your|ur) (?:message|text)\W+(?:im|i am)\b.*\b(?:vacation|holiday|away|out of (?:town|the country)|unavailable|limited access|no access)\b",
    r"\b(?:this|the) (?:person|number|subscriber|customer|user|mobile|party)(?: you are trying to reach| you have reached)? is (?:currently )?(?:unavailable|not available)\b",
    r"^(?:im|i am) (?:currently )?(?:on vacation|on holiday|out of the country|travell?ing)\b.*\b(?:limited|no) (?:access|service|reception|signal)\b",
)
#: An auto-reply rule never decides a text that asks for something or talks about paying
#: ("I can't talk right now, at work. Text me the payment link"): a person wrote it.
AUTO_REPLY_NOT = r"\b(?:pay|paying|payment|paid|link|owe|balance|debt|bill|invoice|amount)\b|\b(?:text|send|email) me (?:the|a|that|your|my)\b"
TAPBACK = (
    r'^(?:liked|loved|laughed at|emphasized|emphasised|disliked|questioned|'
    r'reacted .{1,12} to|reacted to) (?:"|an? (?:image|message|photo|video|attachment|link|'
    r'sticker|gif|audio message|movie))',
)
#: Our own footer quoted back (a pasted message, an email-style quote): never an opt-out.
QUOTED_FOOTER = (r'"[^"]*\b(?:reply|text|txt) stop\b[^"]*"?|^>.*$'
                 r"|(?:(?<=\s)|^)'[^']*\b(?:reply|text|txt) stop\b[^']*'(?=\s|$|[.,!?:;-])")
SIGNATURE = r"\s*-*\s*sent from my (?:iphone|ipad|android|samsung[\w ]*|galaxy[\w ]*|phone|mobile|verizon[\w ]*)\b.*$"

# --- other compliance intents ---------------------------------------------------

ATTORNEY = (  # US-18 REPRESENTED
    r"\b(?:lawyer|lawyers|attorney|attorneys|atty|attny|counsel|law firm|law office|solicitor|"
    r"legal aid|legal representation|paralegal)\b",
    r"\blaw (?:group|offices?|llc|pllc|pc)\b", r"\blaw\b(?=.*\d{3})",
    r"\besq\b", r"\besquire\b(?! magazine)", r"\bi (?:am|m) represented\b", r"\b(?:have|got|retained|hired|obtained|found) (?:legal )?representation\b", r"\blawyer(?:ed|ing) up\b", r"\blegal (?:rep|reps|representative|team|advisor|adviser)\b", r"\bim represented\b", r"\brepresented by\b",
)
#: A denied or asked-about lawyer is no representation: read without these spans (US-18
#: still wins when the rest asserts one: "I don't need to talk to you, talk to my lawyer").
ATTORNEY_NOT = (
    r"\b(?:dont|do not|dont even|didnt|did not|never) (?:need|have|want|got|hire|hired|get|use) (?:a |an |any |no )?(?:lawyer|attorney|counsel|law firm)s?\b",
    r"\bno (?:lawyer|attorney|law firm|counsel)s? (?:needed|necessary|yet|involved)\b",
    r"\b(?:who|what|which)(?: is|s| are|re) (?:your|ur|the|yalls) (?:lawyers?|attorneys?|law firm|counsel)\b",
    r"\b(?:are (?:you|u|yall|you guys)|r u|is this|is it|is this from|are you from|is that) (?:a |an |the )?(?:law firm|law office|lawyers?|attorneys?)\b",
    r"\b(?:state )?attorneys? general\b",
)
BANKRUPTCY = (
    r"\bbankrupt(?:cy|cies)?\b", r"\bbk\b", r"\bchapter (?:7|11|13|seven|thirteen|eleven)\b",
    r"\bch\.? ?(?:7|11|13)\b", r"\bdischarged\b", r"\bbankruptcy trustee\b",
    r"\bautomatic stay\b", r"\bfiled for (?:ch|chapter|bk)\b",
)
#: A denied bankruptcy ("I'm not bankrupt", "I never filed bankruptcy"): read without it.
BANKRUPTCY_NOT = (
    r"\b(?:im not|i am not|i aint|not|never been|never filed|never filed for|didnt file|didnt file for|did not file|did not file for|"
    r"not filing|not filing for|wont file|wont file for|will not file|not going|dont want to file|dont want to file for|do not want to file|"
    r"dont want to go|do not want to go|without filing|without filing for|avoid|avoid filing|avoid filing for|avoiding) "
    r"(?:going )?(?:bankrupt|bankruptcy|bk|chapter (?:7|11|13))\b",
    r"\b(?:my |our |the )?(?:company|employer|job|boss|firm|work|workplace|plant|factory)(?: i work(?:ed)? (?:for|at))? "
    r"(?:went|has gone|had gone|is going|just went|filed for|filed|declared|is in|went into) (?:bankrupt|bankruptcy|chapter (?:7|11|13))\b",
    r"\b(?:my |our |the )?(?:business|shop|store|restaurant)(?: i (?:owned|had|ran))? (?:went|has gone|had gone|is going|just went) bankrupt\b",
)

# --- wrong number (US-12) -------------------------------------------------------

WRONG_NUMBER = (
    # US-12: a name correction that says the person is not the one named ("this is Linda, not Lisa",
    # "I'm Mark not Mike", "my name is Dana not Diana"): not "this is Lisa, not Linda's phone", "its friday not monday"
    r"^(?:no+,? |nope,? |sorry,? |um+,? )?(?:this is|its|it is|im|i am|my name is|my names|name is|names) (?!(?:me|him|her|them|us|it|that|this|he|she|fine|good|ok|okay|here|home|there|sure|sorry|busy|broke|late|done|ready|working|paying|lying|joking|kidding|right|wrong|correct|true|mine|yours|his|hers|today|tomorrow|tonight|now|later|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monthly|weekly|one|two|three|four|five|first|second|third|fourth|fifth|all|half|full|option|plan|number|a|an|the|my|your|ur|sick|ill|well|bankrupt|poor|scared|mad|angry|upset|alone|free|available|able|interested|responsible|liable|unemployed|employed|married|single|dead|alive|him|owed|owing|due|paid|over|behind|ahead|texting|calling|asking|saying|telling|trying|going|gonna)\b)[a-z]{2,},? (?:and |its |im |i am )?not (?!(?:me|him|her|them|us|it|that|this|he|she|fine|good|ok|okay|here|home|there|sure|sorry|busy|broke|late|done|ready|working|paying|lying|joking|kidding|right|wrong|correct|true|mine|yours|his|hers|today|tomorrow|tonight|now|later|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monthly|weekly|one|two|three|four|five|first|second|third|fourth|fifth|all|half|full|option|plan|number|a|an|the|my|your|ur|sick|ill|well|bankrupt|poor|scared|mad|angry|upset|alone|free|available|able|interested|responsible|liable|unemployed|employed|married|single|dead|alive|him|owed|owing|due|paid|over|behind|ahead|texting|calling|asking|saying|telling|trying|going|gonna)\b)[a-z]{2,}[.!]*$",
    r"\bwrong (?:number|#|num|no|person|phone|guy|girl|lady|man|texter|contact)(?!\w)",
    r"\bwrong #", r"^(?:thats |this is |its |that is )?not me[.!]*$",
    r"\b(?:incorrect|wrong) (?:number|#|num|person|phone|digits?|contact|recipient)\b", r"^(?:that |this |it |thats )?aint me[.!]*$",
    r"^(?:this |that |it |that there )?(?:aint|aint no|is not|isnt|s not) (?!(?:my |the |a |an |it|right|true|fair|funny|mine|me\b|real|over|done|enough|correct)\b)[a-z]+[.!]*(?: (?:bro|buddy|dude|man|lol|sorry|sir|maam|pal|fam))?[.!]*$",
    r"\b(?:im|i am) not (?:the )?(?:account ?holder|account owner|debtor|borrower|person (?:you(?:re| are)|u r|ur) (?:looking for|after|trying to reach))\b", r"\bnot me\b(?! (?:to|the))",
    r"\b(?:i )?(?:dont|do not) know (?:any ?one|any ?body|anybody|who (?:that|this|you)|a |an |this "
    r"(?:person|guy|lady|woman|man)|him|her|them|no ?one|nobody|[a-z]+ named)\b",
    r"\bno ?(?:one|body|1) (?:here )?(?:by|named|with|called) (?:that|this)?\b",
    r"\b(?:theres|there is|there s) no (?!(?:money|cash|way|problem|need|reason|point|income|funds|debt|balance|payment|job|work|chance|more|further|longer|time)\b)"
    r"[a-z]+ (?:here|at this number|on this (?:number|phone)|living here)\b",
    r"\b(?:number|phone) (?:belongs|belonged|is registered|goes|went) to (?:some ?one|somebody|a different|another|some other)\b",
    r"\b(?:some ?one|somebody) else(?:s)? (?:number|phone|has (?:this|that) number)\b",
    r"\b(?:idk|i dont know|dunno|i do not know|no idea|not sure) who (?:that|dat|this|dis|thet) (?:is|person is)\b",
    # "idk who dana is", "no idea who mike is": the person named is unknown here (US-12)
    r"\b(?:idk|i dont know|dunno|i do not know|no idea|never heard of) who (?!(?:you|u|yall|this|that|dis|dat|it|i|to|that person|the)\b)[a-z]+(?: [a-z]+)? is\b",
    r"\b(?:number|phone|cell) (?:belongs|belonged|is registered|goes) to my (?:son|daughter|kid|child|mom|mother|dad|father|wife|husband|brother|sister|boss|work|company|roommate|girlfriend|boyfriend)\b",
    r"\bnobody (?:by that name|named|here by)\b",
    r"\b(?:my name is ?(?:nt|not)|my names not|my name isnt|this is not|this isnt|thats not|i am not|im not) "
    r"(?:(?<!i am not )(?<!im not )|(?![a-z]{2,}ing\b))"  # "I'm not ignoring you", "im not telling you that": not a name
    r"(?!my |the |a |an |in |at |on |sure|able|going|gonna|paying|interested|working|home|available|ready|happy|"
    r"okay|ok|trying|mine|it|true|right|fair|correct|what|how|why|possible|true|"
    # adjectives, not names: "I'm not broke, just busy"
    r"(?:broke|busy|bankrupt|poor|rich|lying|scared|afraid|mad|angry|upset|stupid|dumb|dead|done|here|there|avoiding|hiding|"
    r"refusing|worried|responsible|liable|aware|employed|unemployed|married|single|kidding|joking|playing|crazy|blind|deaf|"
    r"late|behind|allowed|obligated|required|sorry|stalling|rude|asking|either|sick|well|alone|free|mean)\b)[a-z]+[!.]*(?:$|[,!.]| stop| you)",
    r"\bnew (?:number|phone|#)(?!\w)", r"\b(?:had|have had|got) this (?:number|#|phone)(?!\w)",
    r"\b(?:doesnt|does not|dont|do not|no longer) (?:live|lives|stay|work) here\b",
    r"\bno longer (?:has|have|uses|owns) (?:this|that) (?:number|phone|#)(?!\w)",
    r"\b(?:doesnt|does not|dont|do not|no longer|hasnt) (?:have|had|use|own|got) (?:this|that) (?:number|phone|#)(?!\w)",
    r"\b(?:this is|im|i am|its|it is) (?:his|her|their) (?:mom|mother|dad|father|wife|husband|son|daughter|sister|brother|girlfriend|boyfriend|partner|roommate|aunt|uncle|grandma|grandmother|grandpa|grandson|granddaughter|niece|nephew|friend|landlord|coworker|boss|caregiver|neighbor)\b",
    r"\b(?:not|isnt|is not) (?:who|the person) (?:you(?:re| are)|u r|ur) (?:looking|trying)\b",
    r"\byou (?:have|got|texted) the wrong\b", r"\bnever heard of (?:him|her|them|that person)\b",
    r"\bthis (?:number|phone|#) (?:isnt|is not|doesnt|does not) (?:belong|his|hers)\b",
    r"\bnot (?:his|her|their) (?:number|phone)\b", r"\b(?:not|isnt|aint) [a-z]+s (?:phone|number|cell|#)(?!\w)", r"^no [a-z]+ (?:here|at this number)\b",
    r"^who(?: is|s|s is) (?!this|that|it|dis|you|u|there|calling|texting|sending|speaking|the|a|an|my|your|messaging|writing|contacting)[a-z]+(?: [a-z]+)?\?*$",
    r"\bjust got this (?:number|phone|#)(?!\w)",
    r"\b(?:used to|use to) (?:have|own|use|be) (?:this|that|the|my) (?:number|phone|#|cell)(?!\w)",
    r"\b(?:number|phone|#) used to (?:belong to|be) (?:my|his|her|some|a)\b",
    r"\b(?:confused|mixed up|mistaken|mixing) (?:me )?(?:up )?(?:with|for) (?:some ?one|somebody|another person|some other|a different)\b",
    r"\bthis is a (?:business|work|company|office) (?:line|number|phone)\b",
    r"\b(?:this|that|it) (?:isnt|is not|aint|s not) (?:my|his|her|their|[a-z]+s) (?:number|phone|#) (?:anymore|any more|no more)\b",
    # a third party answering (US-12): "that's my mom, she's not here", "that's my ex, we're not together"
    r"\b(?:thats|that is) my (?:ex|ex-?wife|ex-?husband|ex-?boyfriend|ex-?girlfriend|mom|mother|mum|dad|father|son|daughter|brother|sister|"
    r"husband|wife|grandma|grandmother|grandpa|grandfather|aunt|uncle|cousin|roommate|tenant|boyfriend|girlfriend|nephew|niece)(?=[,.!;]|$| (?:and|but|she|he|they)\b)",
    r"\b(?:shes|hes|she is|he is) not (?:here|around|at this number|living here)\b", r"\b(?:number|phone) (?:belongs|is registered) to me\b", r"\bbelongs to me not\b", r"\bdont know (?:who|any|a)\b",
)

#: Refusing to give identity details ("im not sending you my ssn") is no identity answer.
IDENTITY_REFUSAL = (r"\b(?:not|wont|will not|never|dont|do not|refuse to|aint) (?:gonna |going to )?(?:send|give|tell|share|provide|text|giving|sending|telling|sharing|texting)\b"
                    r"|\bwhy (?:do|would|does|should|did) (?:you|u|yall|i)\b")

# --- dispute (US-16) ----------------------------------------------------------------

DISPUTE = (
    r"\b(?:isnt|is not|not|aint) (?:my|mine|even my) (?:debt|account|card|loan|bill|charge|charges|balance)\b",
    r"\bnot mine\b", r"\bisnt mine\b", r"\b(?:i )?(?:dont|do not|dont even) owe\b", r"\bowe (?:you )?nothing\b",
    r"\bnever (?:had|opened|signed up|applied|took out|authorized|authorised|used) (?:for )?(?:a |an |this |that |any |the )?"
    r"(?:card|account|loan|credit|charge|charges)\b",
    r"\b(?:amount|balance|bill|charge|charges|total|statement|interest|fees?) (?:is|are|seems|looks|seem) (?:way |much |far |really |so |a lot |a bit |just )?(?:wrong|incorrect|off|not right|too high|inflated|bogus|made up|fake)\b",
    r"\bi only (?:owed|borrowed)\b", r"\bi (?:owed|borrowed) only\b",
    r"\b(?:dont|do not|dont even) (?:think|believe) i owe\b",
    r"\b(?:dont|do not|dont even|never) recogni[sz]e (?:this|that|it|these|any of this|what this is)\b(?! (?:number|#|company|name|sender|text|phone))",
    r"\bnever heard of (?:this|that|the|your|these) (?:debt|account|loan|charge|company|creditor|bill|balance)\b",
    r"\b(?:not|wont|will not|refuse to) (?:be )?pay(?:ing)? (?:the|these|those|any|that|this|your|ur|all these|all the) (?:late )?(?:fees?|interest|charges?|penalt(?:y|ies))\b",
    r"\b(?:fees?|charges?|interest|debt|balance) (?:is|are) (?:bogus|a scam|made up|fake|illegal|bs|bullshit|outrageous|a joke)\b",
    r"\bwrong (?:amount|balance|charge|charges|total|bill)\b", r"\bincorrect (?:amount|balance|charge)\b",
    r"\b(?:proof|prove|validation|validate|verification|verify|evidence) (?:that )?(?:of )?(?:i |this |the )?(?:owe|debt)\b",
    r"\bdebt validation\b", r"\bvalidation (?:letter|notice)\b",
    r"\bdispute\b", r"\bdisputing\b", r"\bfraud(?:ulent)?\b", r"\bidentity theft\b", r"\bstolen\b",
    r"\b(?:was|been|already|got) (?:settled|resolved|closed|forgiven|written off|charged off)\b",
    r"\bstatute of limitations\b",
    # a conditional refusal is a validation request: "I won't pay until I see an itemized bill"
    r"\b(?:wont|will not|not|not gonna|not going to|refuse to|no way im|arent|are not|aint)(?: be)? (?:pay(?:ing)?|getting|get|see)\b.*\b(?:until|unless|till|til|before)\b"
    r".*\b(?:itemi[sz]ed|proof|prove|validat\w*|verif\w*|documentation|documents?|paperwork|contract|statement|breakdown|in writing|"
    r"written|copy|signature|records?|receipt|invoice|bill)\b",
    r"\bdisputed\b", r"\bcontest(?:ing|ed)?\b", r"\b(?:show|send|give|mail) me (?:a |an |the |my |some )?(?:copy of (?:the |my )?)?"
    r"(?:contract|signature|signed|agreement|paperwork|documents?|documentation|itemi[sz]ed|original|breakdown)\b",
    r"\bcontract i signed\b", r"\bitemi[sz]ed (?:bill|statement|list|breakdown|invoice)\b",
    r"\b(?:doesnt|does not|dont|do not|didnt) (?:match|add up)\b",
    r"\b(?:over|more than|at least) (?:\d+|ten|seven|eight|nine|twenty) (?:years?|yrs) old\b",
    r"\bnever (?:received|got|used) (?:any |the |a |an |their |your )?(?:service|services|product|products|goods|item|items|order|merchandise)\b",
    r"\binsurance (?:was supposed to|is supposed to|should have|shouldve|should|was going to|said they would|already) (?:cover|pay|paid|covered)\b",
    r"\b(?:returned|sent back) (?:the |it |my |everything|all )?(?:item|items|product|order|merchandise|car|equipment|phone|device|goods|it)\b",
    r"\bshould(?:nt| not) (?:owe|have to pay)\b", r"\bnot the (?:right|correct) (?:amount|balance|total|bill)\b",
    r"\b(?:stop|quit) charging\b", r"\bcharging me\b", r"\b(?:stop|quit) adding (?:on )?(?:the |these |all these |me )?(?:late )?(?:fees?|interest|charges)\b", r"\b(?:late )?fees? (?:are|is) (?:wrong|unfair|bs|ridiculous)\b",
    r"\b(?:stop|remove|waive|drop|take off|get rid of) (?:the |these |those |all the |all |my |that )?(?:late )?fees?\b",
    r"\b(?:dont|do not|never) (?:have|had) (?:an? |any )?(?:account|card|loan|credit card|debt)s? (?:with|from|at)\b",
    r"\b(?:records?|statement|report|math|numbers?|figures?|fees?|calculation) (?:is|are|seems|looks|is all|are all) (?:wrong|incorrect|off|not right)\b",
    r"\bdont recognize (?:this|the|that|these) (?:debt|charges?|account|loan|balance|amount)\b",
    r"\bovercharg\w*\b", r"\b(?:theres|there is|must be|this is|its|it is) (?:a |an |some )?(?:mistake|error)\b",
    r"\b(?:mistake|error) (?:on|in|with) (?:my|the|this|your)\b", r"\bcharged (?:me )?(?:twice|double|two times|2x)\b",
    r"\bnever (?:received|got|requested|asked for|ordered|activated) (?:a |an |this |the |that |any )?(?:card|loan|account|money|statement|bill|credit)\b",
    r"\bvalidation\b", r"\b(?:i )?closed (?:that|this|the|my) (?:account|card)\b", r"\b(?:didnt|did not) owe\b",
    r"\b(?:arent|are not|isnt|is not|not|aint) mine\b", r"\b(?:(?<!\w )|(?<=\band )|(?<=\bbut )|(?<=\bso ))(?:this|that|it|thats|its) (?:is )?(?:wrong|incorrect|a mistake)\b",
    r"\bno idea what (?:this|the|that) (?:debt|charge|account|bill|balance) is\b", r"\bnever signed\b", r"\bproof\b", r"\btoo old\b", r"\btime.?barred\b",
    r"\bnever (?:borrowed|took out|took|had|owed)\b", r"\bi owe less\b", r"\bdont owe (?:that|this) much\b", r"\bthats not (?:right|correct|accurate)\b", r"\bdouble charg\w*\b", r"\bnot (?:responsible|liable) for\b",
    r"\bi didnt (?:make|authorize|authorise|sign up for|open) (?:these|this|that|those|the)\b",
    r"\bunauthori[sz]ed\b", r"^prove it\b", r"\bprove (?:it|that)\b",
    r"\bnever (?:signed up|applied|agreed|authori[sz]ed)\b", r"\bstole my (?:identity|card|info|information|wallet)\b",
    r"\bidentity (?:was |got )?stolen\b", r"\bnot (?:a )?debt i (?:owe|recognize)\b",
    # a conditional refusal until the amount is fixed: "not paying until you fix the amount"
    r"\b(?:wont|will not|not|not gonna|not going to|refuse to|no way im|aint|cant|cannot)(?: be)? (?:pay(?:ing)?|paying you)\b.*\b(?:until|unless|till|til)\b"
    r".*\b(?:fix|fixes|fixed|correct|corrects|corrected|adjust|adjusted|remove|removed|take off|waive|waived|explain|explains|sort out|straighten out|figure out|fixes)\b",
    # the amount itself contested: "balance should be $212 not $450", "the amount you list ($1,245.00) is not what I owe"
    r"\bnot what i (?:owe|owed|agreed to|borrowed|signed up for)\b",
    r"\b(?:balance|amount|total|bill|charge|it|debt|payoff|statement)(?: due| owed)? (?:should|shouldve|should have|is supposed to|was supposed to) (?:only )?(?:be|been|say|said|read) (?:only )?\$? ?\d",
    r"\b(?:i (?:only )?owe|it(?:s| is)(?: only)?|should be|balance is(?: only)?) \$? ?\d[\d,.]*,? not \$? ?\d",
    # identity theft: "someone opened this in my name"
    r"\b(?:someone|somebody|some ?one|some1|a stranger|scammers?|thie(?:f|ves)|my ex|they|my (?:ex-?)?(?:husband|wife|boyfriend|girlfriend|roommate|brother|sister|son|daughter|cousin|father|mother|dad|mom)) "
    r"(?:else )?(?:must have |had |has |have |probably )?(?:opened|took out|taken out|applied for|signed up for|set up|used|put|charged|ran up|racked up|opened up)\b.*\b(?:in|under) my name\b",
    r"\b(?:was|were|been|got) (?:opened|taken out|applied for|set up|put) (?:\w+ )?(?:in|under) my name\b",
    r"\b(?:someone|somebody|some ?one) (?:else )?(?:used|stole|took|got|has|had) my (?:name|identity|info|information|ssn|social|details|card|card number)\b",
    r"\bidentity (?:fraud|theft|thief)\b", r"\bid theft\b",
    # another person's debt by a divorce decree: "this was included in my divorce settlement, my ex owes it"
    r"\b(?:in|included in|part of|covered (?:in|by)|assigned (?:in|to|by)|per|under|according to) (?:my |the |our )?(?:divorce|separation) (?:settlement|decree|agreement|papers|judgment|judgement)\b",
    r"\bmy ex(?:-?(?:husband|wife|boyfriend|girlfriend))? (?:owes (?!me\b)|is (?:responsible|liable) for|was (?:supposed|ordered) to pay|has to pay|should (?:be )?pay)",
    r"\b(?:supposed to|should) (?:be|have been) (?:written off|forgiven|settled|closed|cancell?ed|discharged|covered|wiped)\b",
    r"\b(?:wtf|what the (?:hell|heck|fuck|f)|wth) (?:is |are )?(?:this|that|these) (?:charges?|fees?|amount|bill|balance)\b",
    r"\b(?:remove|waive|drop|take off) (?:the |this |that |my )?\$ ?\d+(?:\.\d\d)? (?:late )?(?:fee|charge)s?\b",
)

#: US-16: the debt or the collection said to be a scam ("this is a scam", "this whole thing is a scam",
#: "you're running a scam") is a dispute and a validation request; not a question ("is this a scam?",
#: "this is a scam?": who is this, answered with the creditor and a contact) nor a bare insult
#: ("you're scammers": abuse, a person follows up). With a refusal it is a cease (US-17).
#: Read only when the reply has one of :data:`SCAM_WORDS` (a cheap pre-check, classify).
SCAM_CLAIM = (
    r"\b(?<!is )(?<!if )(?<!dont think )(?<!do not think )(?:this|that|it|this whole thing|the whole thing|this (?:debt|account|bill|text|message|loan|collection)|"
    r"(?:you|u|yall|you guys|you people) (?:are|r|re) (?:running|pulling|doing))(?: is| s|s)? (?:(?:a|such a|total|totally|complete|"
    r"completely|obviously|clearly|just|all|fucking|freaking|nothing but|straight up|a total|a complete|an obvious) )*"
    r"(?:scam|fraud|con|fake|bogus|shakedown|ripoff|rip off)\b(?!.*\?)",
)
SCAM_WORDS = frozenset({"scam", "fraud", "con", "fake", "bogus", "shakedown", "ripoff", "rip"})

# --- paid already --------------------------------------------------------------------

PAID_ALREADY = (
    r"\balready (?:paid|payed|sent|made|mailed|submitted|took care|taken care|settled up|covered)\b",
    # "I got paid today" / "once I've been paid" is payday, not a payment made ("it got paid" is, below)
    r"\b(?<!get )(?<!gets )(?<!getting )(?<!be )(?<!will be )(?<!got )(?<!ive been )(?<!i have been )(?<!havent been )(?<!have not been )(?<!hasnt been )(?<!not been )(?<!not getting )(?<!havent gotten )(?<!weve been )(?<!we have been )(?<!when i )(?<!until its )(?<!until it is )(?<!til its )(?<!till its )(?<!until )paid\b(?! (?:on|next|by|this) (?:friday|monday|"
    r"tuesday|wednesday|thursday|saturday|sunday|fri|mon|tue|wed|thu|the \d))(?!day)",
    r"\bpayed\b", r"^(?:sent|paid|done)[.!]*$", r"\bpayment (?:submitted|sent|made|done|complete|completed)\b", r"^already (?:handled|done|taken care of|settled|cleared)\b", r"\b(?:made|paid) all (?:my|the|of my|of the) payments\b", r"\b(?:should have|shouldve|should of) (?:posted|gone through|gone thru|cleared|been received|arrived)\b",
    r"\b(?:it|payment|the payment|my payment|check|the check) (?:already )?(?:went|has gone|already went) (?:thru|through)\b",
    r"\b(?:posted|cleared) already\b", r"\balready (?:posted|cleared|went through|went thru)\b", r"^already done\b", r"\b(?:its|it is|its all|all) (?:already )?(?:done|taken care of|settled|cleared)\b",
    r"\b(?:i|we|my \w+) (?:already )?(?:sent|mailed|transferred|wired|dropped off) (?:you |u |it |the |a |my |\$?\d)", r"\b(?:and|just|already|i) (?:made|sent|submitted|did) (?:a |the |my |that )?payment\b", r"^(?:made|sent) (?:a |the |my )?payment\b", r"(?<!got )(?<!been )\bpaid (?:it|this|that|off|in full|already|yesterday|last)\b",
    r"\bpayment (?:went|has gone|was|has been|is) (?:thru|through|sent|made|posted|processed|submitted|completed)\b",
    r"\bpayment (?:posted|cleared|processed|went thru|went through)\b",
    r"\b(?:already )?(?:took|taken|withdrew|withdrawn|debited|deducted|pulled) (?:it|the money|the payment|out|my payment)\b",
    r"\bconf(?:irmation)? ?(?:#|number|no|num|code)(?!\w)",
    r"\b(?:mailed|sent|dropped off) (?:a |the |my |you a |u a )?(?:check|cheque|money order|payment|money|it|the money|funds)\b",
    r"\bcheck (?:is |was )?in the mail\b", r"\btook care of (?:it|this|that)\b",
    r"\b(?:i|we) (?:made|submitted|sent) (?:a |the |my )?payment\b",
    r"\bzelle?d\b", r"\bvenmoed\b", r"\bcleared (?:it|the balance)\b",
    # "sent via venmo this morning", "paid through your website"; "the check cleared last week"
    r"(?<!be )(?<!ill )(?<!will )(?<!to )(?<!can )(?<!get )(?<!gets )(?<!getting )(?<!i get )\b(?:sent|transferred|wired|paid|payed)"
    r"(?: (?:it|you|u|the money|the payment|payment|that|the balance|in full))? (?:via|through|thru|by|with|on|over|using) "
    r"(?:venmo|zelle|cash ?app|cashapp|paypal|apple pay|google pay|wire|bank transfer|money order|ach|your (?:website|site|app|portal|link)|the (?:website|site|app|portal|link)|online)\b",
    r"\b(?:check|cheque|payment|transfer|money order|funds|deposit|my payment|the payment)(?: (?:i|we) (?:sent|mailed|made))? (?:has |had |already )?(?:cleared|posted|went through|went thru|was (?:cashed|deposited|received|processed))\b",
    r"\b(?:you|u|yall) (?:already )?(?:cashed|deposited|received|got|took) (?:my|the) (?:check|cheque|payment|money order|money)\b",
    r"\b(?:it|this|that|bill|balance|account|debt|loan|everything|invoice|amount|payment|the rest) (?:already )?(?:got|has been|have been|was|were) paid\b",
    r"^(?:just |already |i just |i already )?(?:sent|mailed|transferred|wired) (?:you |u |it |the |a |my |\$ ?\d|\d)",
    r"\b(?:and|just|already) (?:sent|mailed|transferred|wired) (?:you |u |it |the |a |my |\$ ?\d|\d)",
    # a payment made, with its amount or kind between ("just made a $100 payment online", "I've made
    # an online payment", "did a $50 payment through the app", "made my december payment"): not a
    # request to pay; "I want to make a $100 payment" (make, not made) stays pay, "made a payment plan" is none
    r"(?:^|\b(?:i|ive|i have|we|weve|we have|just|already|and) )(?:(?:just|already|finally) )?(?:made|did|submitted|completed|put through|sent)"
    r" (?:a|an|the|my|our|that|this|another|one)(?: (?:\$ ?\d[\d,.]*|\d[\d,.]*(?: ?(?:dollars?|bucks|usd|\$))?|online|partial|full|small|minimum|min"
    r"|monthly|extra|one time|one-time|final|last|first|down|late|january|february|march|april|may|june|july|august|september|october"
    r"|november|december|this months|last months|months|weekly|card|debit|bank|ach)){0,3} (?:payment|pmt|pymt)\b(?! (?:plan|arrangement|option)s?\b)",
    r"\bpayment of \$ ?\d[\d,.]*(?: dollars| bucks)? (?:was |has been |just |already )?(?:made|submitted|sent|done|completed|processed)\b",
)

# --- hardship (UK-01, UK-07) ------------------------------------------------------

HARDSHIP = (
    r"\blost (?:my |our |his |her )?(?:job|income|work|employment)\b", r"\blost job\b",
    r"\blaid off\b", r"\blayed off\b", r"\bgot (?:fired|let go)\b", r"\bunemploy\w*\b", r"\bout of work\b",
    r"\b(?:no|without a|dont have a|dont have any) (?:job|income|work)\b", r"\bfurlough\w*\b",
    r"\bsick\b", r"\billness\b", r"\bhospital\w*\b", r"\bsurgery\b", r"\bcancer\b", r"\bmedical\b",
    r"\bchemo\w*\b", r"\bdisab\w+\b", r"\binjur\w+\b", r"\bpregnan\w*\b",
    r"\bhours (?:got |were |was |have been |been )?(?:cut|reduced)\b", r"\bpay ?cut\b",
    r"\b(?:cant|cannot|can not|unable to|couldnt|could not) afford\b", r"\bbarely\b",
    r"\b(?:money|things|finances|budget|cash)(?: is| are|s)? (?:really |super |very )?tight\b", r"\btight (?:on|with) (?:money|cash)\b",
    r"(?<!not )\bbroke\b", r"\bno money\b", r"\b(?:dont|do not) have (?:the |any |enough )?(?:money|cash|funds)\b",
    r"\bstruggl\w+\b", r"\b(?:things|times|life|it)(?: have| has|s| are| is)? (?:been )?(?:really |so |very |super )?(?:rough|hard|tough|difficult)\b",
    r"\b(?:husband|wife|partner|boyfriend|girlfriend) left\b", r"\bsingle (?:mom|mother|dad|father|parent)\b", r"\b(?:got |was |been |am |im )?hurt\b", r"\bsocial security\b", r"\bssdi?\b",
    r"\bfixed income\b", r"\bretired\b", r"\bon (?:a )?pension\b", r"\bno income\b", r"\b(?:work|business|sales) (?:has been|is|s been|was) (?:slow|dead|down)\b", r"\bslow (?:at work|season)\b", r"\bcut (?:my|our|his|her) (?:hours|pay|shifts?|wages?|salary)\b", r"\bquit my job\b", r"\bstopped working\b", r"\bcant work\b", r"\bhard times?\b", r"\bhardship\b", r"\bfinancial (?:difficult\w*|trouble|problems?|crisis)\b",
    r"\bhelp (?:me )?(?:with )?(?:pay|paying|payments?)\b", r"\bneed help (?:paying|with)\b",
    r"\bdivorc\w+\b", r"\bfuneral\b", r"\bevict\w*\b", r"\bhomeless\b",
    r"\bmy (?:husband|wife|mom|mother|dad|father|son|daughter|partner|child) (?:passed|died)\b",
    r"\bbehind on (?:rent|bills|everything)\b", r"\bliving paycheck to paycheck\b",
    r"\b(?:no|not any|zero) (?:savings|income)\b", r"\bcovid\b", r"\bcorona ?virus\b", r"\bcar (?:accident|broke)\b",
    r"\baccident\b", r"\bemergency\b", r"\bhardship program\b",
    # self-harm (UK-07: the engine escalates at priority 1)
    r"\bkill(?:ing)? my ?self\b", r"\bsuicid\w*\b", r"\bkms\b", r"\bself[- ]?harm\w*\b", r"\bhurt(?:ing)? my ?self\b",
    r"\b(?:end|ending|take|taking) my (?:own )?life\b", r"\bend(?:ing)? it all\b",
    r"\b(?:dont|do not|no longer) (?:want|wanna) (?:to )?(?:be alive|live (?:anymore|any more)|live(?=[.!,]|$)|exist anymore|"
    r"wake up (?:anymore|tomorrow)|go on living)", r"\bi (?:just |really |honestly |literally |kinda )?(?:want to|wanna) die\b",
    r"\bbetter off dead\b", r"\bbetter off without me\b",
    # ideation, as engine _SELF_HARM_EN: "I might as well just end it", "thinking about ending things", "so done with life"
    r"\b(?:might|may) as well (?:just )?(?:end|finish) (?:it|things|everything)\b(?! (?:with|by|early|off|and pay)\b)",
    r"\b(?:thinking|thought|think|been thinking|keep thinking) (?:about|of) (?:just )?(?:ending|end) (?:it|things|everything)\b(?! (?:with|by|early|off)\b)",
    r"\b(?:want|wanna|going|gonna|about|ready|planning|plan|decided) (?:to )?(?:just )?end (?:things|everything)\b(?! (?:with|by|early|off|on)\b)",
    r"\bend(?:ing)? it (?:tonight|for good)\b(?! (?:with|by)\b)",
    r"\b(?:done|finished|over it) with (?:life|living|being alive|this life)\b", r"\b(?:tired|sick) of (?:living|being alive|life)(?=[.!,?]|$| any ?more\b)",
    r"\bgiv(?:e|ing) up on (?:life|living)\b", r"\bdont want to (?:be here|wake up) any ?more\b",
    r"\b(?:want to|wanna|wish i could|i could just|just want to|going to|gonna) (?:just )?disappear\b(?! (?:from|off|out of) )",
    r"\b(?:dont|do not|cant|cannot|can not) see (?:a|any) way out\b", r"\bno way out\b(?! of (?:this|the|my|these) (?:debt|loan|contract|plan|agreement|account)s?)", r"\bbetter off if i (?:was|were|wasnt|werent) (?:dead|gone|here|around|alive)\b", r"\bno (?:reason|point) (?:to|in) (?:live|living)\b",
    # mental health
    r"\bdepress\w*\b", r"\banxiety\b", r"\bmental (?:health|illness|breakdown)\b", r"\bnervous breakdown\b", r"\bpanic attacks?\b",
    r"\bptsd\b", r"\bbipolar\b", r"\brehab\b", r"\bpsych (?:ward|hospital)\b",
    r"\b(?:cant|cannot|can not) (?:go on|cope|take (?:it|this|much more) (?:anymore|any more)|handle (?:it|this|life) (?:anymore|any more))\b",
    r"\b(?:dont|do not) see the point (?:anymore|any more|in (?:anything|living|going on|life))\b", r"\bend of my rope\b", r"\bwits end\b",
    # bereavement (the customer's own loss; a deceased debtor reported by someone else is DECEASED)
    r"\b(?:my|our) (?:\w+ )?(?:husband|wife|mom|mother|mum|dad|father|son|daughter|partner|child|kid|baby|brother|sister|"
    r"grandma|grandmother|grandpa|grandfather|fiance|fiancee|spouse|boyfriend|girlfriend|parents?|family member|twin|stepson|stepdaughter) "
    r"(?:just |recently |suddenly |unexpectedly |has |had |was )*(?:passed|died|is dead|was killed|got killed|lost (?:his|her|their) (?:life|battle))\b",
    r"\blost (?:my|our) (?:\w+ )?(?:husband|wife|mom|mother|mum|dad|father|son|daughter|partner|child|kid|baby|brother|sister|"
    r"grandma|grandmother|grandpa|grandfather|fiance|fiancee|spouse|boyfriend|girlfriend|parents?)\b",
    r"\bbereave\w*\b", r"\bgriev(?:e|es|ed|ing)\b", r"\bgrief\b", r"\bwidow\w*\b", r"\bin mourning\b",
    r"\b(?:death|loss|passing) (?:in|of) (?:the|my|our) (?:family|husband|wife|son|daughter|mom|mother|dad|father|child)\b",
    # illness and care
    r"\b(?:icu|nicu|picu)\b", r"\bintensive care\b", r"\bhospice\b", r"\b(?:in|at|to) the (?:er|e\.r\.|emergency room)\b", r"\bemergency room\b",
    r"\bstroke\b", r"\bheart attack\b", r"\bdialysis\b", r"\btumou?r\b", r"\bdiagnosed\b", r"\bterminal(?:ly)? ill\b",
    r"\bnursing home\b", r"\bbed ?rest\b", r"\bbedridden\b", r"\bcaregiver\b", r"\bcarer\b",
    # job and income loss
    r"\b(?:was|got|been|just got|recently got|i was|im|i am|ive been|i have been|just) (?:fired|let go|terminated|downsized)\b(?! up)",
    r"\blet go (?:from|at) (?:my |the )?(?:job|work)\b", r"\bbetween jobs\b", r"\blost (?:my |our )?(?:jobb?|jobs|business|house|home)\b",
    r"\b(?:my|our|the) (?:business|shop|store|restaurant|company) (?:closed|shut down|went under|failed|went bankrupt)\b",
    r"\bhad to (?:quit|stop|leave) (?:working|work|my job)\b",
    r"\bon (?:maternity|paternity|medical|sick|disability|unpaid) leave\b", r"\bmaternity leave\b",
    r"\bon (?:food stamps|snap|ssi|welfare|unemployment|medicaid|public assistance|workers comp)\b", r"\bfood stamps\b",
    r"\bno (?:pay|paycheck|paychecks|wages|salary) (?:til|till|until|for|since|right now|this month)\b",
    r"\b(?:house|apartment|home) (?:fire|burned|flooded)\b",
    # "government shutdown, no paycheck", "my wife quit her job", "these debts are killing me"
    r"\b(?:government|govt|gov|federal) shut ?down\b", r"\bshut ?down\b(?=.*\b(?:pay|paid|paycheck|work|job|furlough)\w*\b)",
    r"\bno (?:paycheck|paychecks|wages|salary)\b", r"\bmissed (?:a |my |two |2 )?paychecks?\b", r"\bon strike\b",
    r"\b(?:havent|have not|hasnt|has not|werent|were not|wasnt|was not|not) (?:been )?(?:getting )?paid (?:in|for) (?:weeks|months|a while|a month|\d+ (?:weeks|months))\b",
    r"\b(?:husband|wife|partner|spouse|boyfriend|girlfriend|mom|dad) (?:quit|lost|left) (?:her|his|their) (?:job|work)\b",
    r"\b(?:debts?|bills|money|stress|finances|this debt|these debts|payments) (?:is|are) (?:killing|crushing|drowning|destroying) me\b", r"\b(?:lost everything|natural disaster|hurricane|tornado|wildfire)\b",
    # no money
    r"(?<!not )\bbro+ke+\b", r"\b(?:dont|do not|dnt|aint got|dont got) (?:have )?(?:a (?:dime|penny|cent)|two (?:nickels|pennies|cents))\b",
    r"\b(?:dont|do not|dnt|aint|i aint|dont even) (?:got|have) (?:da|tha|the|no|any|enough) (?:money|cash|funds)\b",
    r"\bmoney is (?:just |really |so )?(?:tight|short|scarce)\b",
    # bereavement, abuse, housing, custody, service (UK-01, UK-07)
    r"\bburied (?:my|our)\b", r"\bdomestic (?:violence|abuse)\b", r"\babusive (?:husband|wife|partner|ex|relationship|boyfriend|girlfriend)\b",
    r"\b(?:in|at|to) a (?:shelter|womens shelter|homeless shelter)\b", r"\b(?:fled|flee|fleeing|escaped|escaping) (?:my|an|the|from)\b",
    r"\b(?:about to|going to|gonna|might|could|may|will) lose (?:the|my|our) (?:house|home|apartment|place|car)\b",
    r"\bforeclos\w*\b", r"\brepo(?:d|ed|ssessed|ssession)\b", r"\b(?:drowning|buried|sinking) in (?:debt|bills)\b",
    r"\b(?:in|from) (?:jail|prison)\b", r"\bincarcerated\b", r"\bdeployed\b", r"\bdeployment\b", r"\bactive duty\b",
    r"\b(?:have|got|only have|only got) (?:literally |only |just |like )?\$ ?\d{1,2}(?:\.\d\d)? (?:in|to) my (?:name|account|bank|checking)\b",
    r"\bi (?:have|got) nothing(?: left)?(?=[.!,]|$| left| to (?:pay|give))",
    # "can't pay this month" (UK-01): no money now, no date to pay
    r"\bi (?:just |simply |really )?(?:cant|cannot)(?: do it| do that| manage)? (?:this|next) (?:month|week|paycheck)\b",
)
#: "can't pay this month": no money now and no date to pay it (UK-01), not a promise; a date
#: after "until"/"till"/"by" keeps the promise ("I can't pay until the 5th").
CANT_PAY_NOW = (
    r"\b(?:cant|cnt|cannot|can not|unable to|wont be able to|not able to|not gonna be able to|not going to be able to)"
    r"(?: (?:pay|make (?:the |a |my |this |any )?payments?|make it|do it|afford it|manage|do anything|pay anything|pay you|pay it))?"
    r" (?:anything |it |you )?(?:this|next|for the|for this) (?:month|week|paycheck|payday|period|time)\b",
)
#: "I can't pay friday", "i can not pay 50 on friday", "I won't be able to pay friday": a
#: refused day, not a promise for it (the caller lets "till"/"until"/"before" and a
#: "but monday works" clause through as promises).
CANT_PAY_ON = (
    r"\b(?:cant|cnt|cannt|cannot|can not|unable to|wont be able to|not able to|not gonna be able to|"
    r"not going to be able to) (?:pay|make (?:the |a |my |this |that |any )?payments?|make it|do it)\b",
)
#: A refused day in other phrasings: a can't-verb before the day ("cant do friday", "i cant make
#: the 15th", "i wont have it by friday", "theres no way i can pay by friday") or the day with a
#: refusing predicate ("friday wont work", "fridays not gonna work", "friday is no good",
#: "the 15th isnt possible"), "no can do on friday". Never a promise for that day; a second clause
#: with another day ("..., how about monday") is the promise (the classifier reads the clauses).
REFUSED_DAY_WORDS = (r"(?:(?:mon|tues?|wednes|wed|thurs?|thu|fri|satur|sat|sun)(?:day)?s?|today|tonight|tomorrow|tmrw|tmr"
           r"|(?:the )?\d{1,2}(?:st|nd|rd|th)s?|that day|that date|this week|next week|the weekend|this weekend)")
REFUSED_DAY_CANT = (
    r"\b(?:cant|cnt|cannt|cannot|can not|unable to|wont be able to|not able to|not gonna be able to|not going to be able to"
    r"|no way i can|no way i could|dont think i can|doubt i can|wont|will not) (?:pay|do|make|manage|swing|send"
    r"|have (?:it|that|the money|the payment|enough)|get (?:it|that|the money|you))\b",
    # a negated paying verb: "im not paying this month", "i'm not going to pay on friday", "we will not be paying tomorrow"
    r"\bnot (?:(?:gonna|going to|be|be able to) )?(?:pay|paying|send|sending|make|making)\b",
    r"\b(?:wont|will not) be (?:paying|sending|making)\b",
)
REFUSED_DAY_NO = (
    r"\b" + REFUSED_DAY_WORDS + r"(?: (?:is|will|would|does|do|really|probably|prob|just|definitely|def|honestly|totally))*"
    r" (?:wont|will not|doesnt|does not|dont|do not|isnt|is not|aint|not|no|wouldnt|would not)"
    r" (?:gonna |going to |really |be |do )?(?:work|working|possible|good|doable|happen|happening|an option|ok|okay|great|it)\b",
    r"\bno can do\b",
)
#: A deadline after the can't ("cant pay till friday", "can not pay before the 15th"): the promise stands.
REFUSED_DAY_DEADLINE = r"\b(?:until|till|til|untill|before|after|unless)\b"
#: Where a second clause starts ("cant do friday, how about monday", "friday wont work but monday will").
REFUSED_DAY_CLAUSE = r"[,.;!?]+|\b(?:but|how about|what about|maybe|instead|though|tho|however|rather|so|try|can i do|could i do)\b"

#: What keeps a refused-day reply a promise: a deadline word or a second, positive clause.
CANT_PAY_ON_BUT = r"\b(?:until|till|til|untill|before|after|but|instead|rather|though|however|works?)\b"
#: A positive promise clause: with it, a "can't pay this week" reply is still a promise.
PROMISE_POSITIVE = r"\b(?:ill|i will|i can|i could|will|but can|can do|ill have|ill be able|i should be able|i get paid)\b(?! not)"
#: "Paid on the 25th": a payment on a date in the past (the caller checks the date).
PAID_DATED = r"^(?:i |we |already |i already |we already |i just |just )?(?:paid|payed|sent|made)(?: it| this| that| you| u| the balance| in full| the payment| a payment| my payment)? on\b"
#: "can't pay" without a reason or a date: hardship, checked after promises.
HARDSHIP_WEAK = (
    r"\b(?:cant|cnt|cannt|cannot|can not|unable to|wont be able to|not able to|not gonna be able to|not going to be able to) (?:pay|make (?:the |a |my |this )?payments?|make it)\b",
    r"\bdont have it\b", r"\b(?:aint|dont|dnt) got it\b",
)

DECEASED = (r"\b(?:he|she|they|who) (?:has |had )?(?:passed|died|is dead|is deceased)\b", r"\bdeceased\b",
            r"\b(?:he|she)s (?:dead|deceased|passed)\b",
            r"\b(?:he|she|they)(?: is| are|s|re) no longer (?:with us|alive|living)\b")

#: The account holder dead, reported by a relative ("the account holder died in september, I'm his
#: daughter", "my son passed and this was his phone"): unknown, a person reads it (corpus convention),
#: before wrong number (US-12: the relative is not the debtor, but the estate is handled by a person) and hardship.
_KIN_EN = (r"(?:wife|husband|widow|widower|son|daughter|mother|mom|mum|father|dad|brother|sister|partner|spouse|"
           r"child|kid|family|niece|nephew|grandson|granddaughter|grandchild|executor|executrix|caretaker|carer|"
           r"caregiver|fiance|fiancee|girlfriend|boyfriend)")
_DEATH_EN = (r"(?:died|passed|passed away|passed on|is dead|is deceased|has died|has passed(?: away)?|"
             r"is no longer (?:with us|alive)|was killed|deceased)")
DECEASED_HOLDER = (
    # "this is his wife, he died in october", "This is his wife. Bea passed away last month."
    r"\b(?:this is|im|i am|its|it is)(?: (?:the|his|her|their))? " + _KIN_EN + r"\b.*\b" + _DEATH_EN + r"\b",
    # "he passed away last month, I'm his daughter"
    r"\b" + _DEATH_EN + r"\b.*\b(?:im|i am|this is)(?: (?:his|her|their))? " + _KIN_EN + r"\b",
    # "this is not him, he died": not a wrong number but the holder's death
    r"\b(?:not|isnt|is not) (?:him|her|them)\b.*\b(?:he|she|they)(?: (?:has|had|just|recently))* " + _DEATH_EN + r"\b",
    r"\b(?:the |this )?(?:account ?holder|account owner|card ?holder|borrower|debtor|person on (?:the|this) account)(?: (?:has|had|just|recently))* (?:died|passed|passed away|passed on|is dead|is deceased|has died|has passed(?: away)?|is no longer (?:with us|alive)|was killed|lost (?:his|her|their) (?:life|battle))\b",
    r"\b(?:died|passed|passed away|passed on|is dead|is deceased|has died|has passed(?: away)?|is no longer (?:with us|alive)|was killed|lost (?:his|her|their) (?:life|battle))\b.*\b(?:this|it|that)(?: number| phone)? (?:was|is|were) (?:his|her|their|my (?:late )?(?:\w+s)) (?:phone|number|cell|cell phone|account|card|debt|loan|bill|line|#)\b",
    r"\b(?:this|it|that)(?: number| phone)? (?:was|is|were) (?:his|her|their|my (?:late )?(?:\w+s)) (?:phone|number|cell|cell phone|account|card|debt|loan|bill|line|#)\b.*\b(?:he|she|they|who)(?: (?:has|had|just|recently))* (?:died|passed|passed away|passed on|is dead|is deceased|has died|has passed(?: away)?|is no longer (?:with us|alive)|was killed|lost (?:his|her|their) (?:life|battle))\b",
)

#: The person named dead ("Dana passed away", "my husband John died last week", "sorry, Robert died
#: in august", "Mr. Jones passed away"): the account holder we wrote to by name, reported by someone
#: else (a death report). The customer's own loss without a name ("my husband passed away") stays
#: hardship; the classifier drops subjects that are no name (DECEASED_NOT_NAME: "my phone died").
_NAME_AUX = r"(?!(?:has|had|just|recently|sadly|suddenly|was|is|also|unexpectedly|finally)\b)"
_DEATH_NAMED = r" (?:has |had |just |recently |sadly |suddenly |unexpectedly |also |finally )*(?:passed away|passed on|died|is deceased|is dead|has passed)\b"
DECEASED_NAMED = (
    r"(?:^|[.!?;,] )(?:(?:sorry|hi|hello|hey|unfortunately|sadly|fyi|so|well|um+|im sorry to (?:say|tell you)|just so you know)[ ,.!:]+)*"
    r"(?:(?:mr|mrs|ms|miss|dr)\.? )?(?P<n1>[a-z]+)(?: " + _NAME_AUX + r"(?P<n2>[a-z]+))?" + _DEATH_NAMED
    + r"|\b(?:my|our) (?:late )?" + _KIN_EN + r" " + _NAME_AUX + r"(?P<n3>[a-z]+)(?: " + _NAME_AUX + r"(?P<n4>[a-z]+))?"
    + r" (?:has |had |just |recently |sadly |suddenly |unexpectedly |also )*(?:passed away|passed on|passed|died|is deceased|is dead)\b"
)
DECEASED_NOT_NAME = frozenset("""
i me you he she it they we who which that this there these those everyone everybody someone somebody nobody anyone everything
something nothing hes shes its theyre my your his her our their the a an and but so or because cause when since after before
then now just also finally almost nearly sadly suddenly unfortunately recently
wife husband widow widower son daughter mother mom mum father dad brother sister partner spouse child kid kids family niece
nephew grandson granddaughter grandchild executor executrix caretaker carer caregiver fiance fiancee girlfriend boyfriend
grandma grandpa grandmother grandfather granny nana mama papa aunt uncle cousin friend boss neighbor neighbour buddy pal
roommate coworker baby parents parent stepson stepdaughter stepmom stepdad twin
phone cell cellphone battery car truck van laptop computer pc tv dog cat pet fish plant plants bird hamster puppy kitten
horse engine motor charger account card deadline date time offer link app wifi internet signal printer ipad tablet iphone
android screen fridge washer dryer furnace heater ac transmission alternator period window promo deal due bill payment plan
grace day week month year hope dream business job store shop company
""".split())

# --- help / agent ---------------------------------------------------------------------

HELP_WHOLE = frozenset({"help", "info", "information", "ayuda", "help me", "i need help",
                        "need help", "help please", "help pls", "menu", "options",
                        "commands", "aide", "more info",
                        # "what can i reply with"
                        "what can i reply with", "what can i reply", "what do i reply", "what should i reply",
                        "what do i reply with", "what should i reply with", "what can i text", "what do i text back",
                        "what can i say", "what do i say", "what are the commands"})

AGENT = (
    r"\b(?:talk|speak|chat|connect|transfer|put) (?:me )?(?:to|with|through to) (?:a |an |the |some |your |ur )?"
    r"(?:real |live |actual |human |another )?(?:person|human|agent|rep|representative|someone|somebody|"
    r"operator|manager|supervisor|customer service|cs|people|employee|staff|associate)\b",
    r"\b(?:real|live|actual) (?:person|human|agent|people|rep)\b", r"\bhuman\b",
    r"\b(?:supervisor|manager|representative|operator|live agent)\b", r"\bcustomer (?:service|support|care)\b",
    r"\b(?:call|ring|phone) me\b", r"\bpcm\b", r"\bgive me a (?:call|ring)\b", r"\bcan (?:someone|somebody|u|you) call\b",
    r"\b(?:are|r) (?:you|u) (?:a )?(?:bot|robot|real|human|automated|machine|ai|person)\b",
    r"\bis this (?:a )?(?:bot|robot|automated|machine|ai|real person|human)\b",
    r"\b(?:texting|talking to|chatting with) a (?:bot|robot|machine)\b", r"\bbot\b",
    r"\b(?:what|whats) (?:is )?(?:your|ur|the) (?:phone )?number\b",
    r"\bnumber (?:i can|to) call\b", r"\bcan i call (?:you|u|someone|somebody|yall)\b", r"\b(?:number|#) (?:can|do|should) i call\b", r"\bsomeone on the phone\b",
    r"\b(?:get|put) me (?:someone|somebody|a person|a human)\b", r"\b(?:get|have|need|want|like) a (?:call|phone call|callback|call back)\b",
    r"\b(?:talk|speak|discuss this) (?:on|over|by) (?:the )?phone\b", r"\b(?:speak|talk) (?:with|to) (?:someone|somebody|anyone)\b", r"\bwho (?:can|do) i (?:talk|speak) to\b", r"^agent\b",
)

#: "I don't want to talk to an agent, just send the link": read without the refused agent.
AGENT_NOT = (
    r"\b(?:dont|do not|dont even|never|no need to|not) (?:want|need|wanna|have|trying) (?:to )?(?:talk|speak|chat)(?: to| with) "
    r"(?:a |an |the |any |some |your )?(?:real |live |actual |human )?(?:person|human|agent|rep|representative|one|anyone|anybody|"
    r"someone|somebody|people|operator|manager|supervisor)\b",
    r"\bno need to (?:talk|speak|chat)(?: to| with) (?:a |an |the |any |some )?(?:real |live |actual )?(?:person|human|agent|rep|representative|one|anyone|someone)\b",
)

# --- who is this / abuse ----------------------------------------------------------

WHO_IS_THIS = (
    r"\bwho(?: is|s|s is) (?:this|that|it|dis)\b", r"\bwho dis\b", r"\bwhos (?:this|that|dis)\b",
    r"\bwho (?:are|r) (?:you|u|yall|you guys|u guys)\b", r"\b(?:what|which) (?:company|business|bank|lender|creditor)\b",
    r"\bwhat(?: is|s|s is) (?:this|that|it) (?:about|for|regarding|re)\b", r"\bwhat(?: is|s|s is) this\b", r"\bwhats this\b",
    r"\bis this (?:a )?(?:scam|spam|legit|real|legitimate|phishing|fake)\b", r"\bscam\?", r"\bspam\?",
    r"\b(?:how (?:did|do|d)|howd) (?:you|u|yall|ya) (?:get|got|find) (?:my|this) (?:number|#|info|phone)(?!\w)",
    r"\bwhere (?:did|do) (?:you|u) get (?:my|this) (?:number|#)(?!\w)",
    r"\bwho (?:do|does) (?:you|u|this) (?:work for|represent)\b", r"\bwhat(?: is|s|s is) this regarding\b",
    r"\bwho (?:sent|is sending) (?:this|me)\b",
    r"^is this (?!a |an |the |it |true|right|correct|ok|okay|real|legit|about|for|me|my|your|you|bot|automated)[a-z]+(?: [a-z]+)?\?*$", r"\bwhy (?:are|r|is) (?:you|u|yall|this number) (?:texting|messaging|contacting) me\b", r"\bwho wants to know\b",
    r"\bwhy (?:do|would|does) (?:you|u|yall|this) (?:need|want) (?:that|this|to know|my|it)\b", r"\bwho (?:am i|are we) (?:talking|speaking|texting|chatting) (?:to|with)\b",
    r"\bscam\b", r"\bwhat(?: is|s) (?:your|ur|the) (?:company|business|bank)(?: name)?\b", r"\bwho(?: is|s|s is)? (?:texting|messaging|sending|contacting|calling|writing)\b",
    r"\bwho(?: is|s) (?:this|it) from\b", r"^what (?:debt|account|bill|balance|loan)\?*$", r"\bwhich (?:account|debt|loan|card) is (?:this|it|that)\b",
    # asking about the collector's lawyer is no representation (US-18 reads ATTORNEY_NOT)
    r"\b(?:who|what|which)(?: is|s| are|re) (?:your|ur|the|yalls) (?:lawyers?|attorneys?|law firm|counsel)\b",
    r"\b(?:are (?:you|u|yall|you guys)|r u|is this|is it|is this from|are you from) (?:a |an |the )?(?:law firm|law office|lawyers?|attorneys?)\b", r"\bdont (?:recognize|know) (?:this|the|your) (?:number|#|company|name|sender)(?!\w)", r"\b(?:i )?dont know what this is\b", r"^who\?*$",
)
ABUSE = (
    r"\bf\*+\w*", r"\bfu+ck\w*\b", r"\bf+u+c+k\b", r"\bfck\w*\b", r"\bfuk\w*\b", r"\bstfu\b", r"\bwtf\b",
    r"\bshit\w*\b", r"\bsh[\*!1i]+t\w*", r"\bb(?:i|!|\*)tch\w*\b", r"\bass ?hole\w*\b", r"\bbastard\w*\b", r"\bgo to hell\b",
    r"\bscrew (?:you|u|off)\b", r"\bpiss off\b", r"\bscammers?\b(?!\?)", r"\bvultures?\b", r"\bcrooks?\b",
    r"\bthie(?:f|ves)\b", r"\bleeches\b", r"\bidiots?\b", r"\bmorons?\b", r"\bdamn (?:you|u)\b",
    r"\bkiss my\b", r"\bbite me\b", r"\blosers?\b", r"\bpathetic\b", r"\bdisgusting\b", r"\bscum\w*\b", r"\bshame on (?:you|u)\b", r"\bgreedy\b", r"\b(?:go )?f(?:\*+|uck|k)? (?:yourself|urself|yourselves)\b", r"^f u\b", r"\bf you\b", r"\b(?:you|u|yall|ya) (?:all )?suck\b", r"\beat shit\b", r"\bsuck (?:it|my)\b", r"\bdie\b", r"\bf off\b", r"\bgtfo\b", r"\bdumbass\b", r"\bcunt\b",
    r"\bdick\w*\b", r"\bmf\b", r"\bmotherf\w*\b", r"\bsob\b", r"\bparasites?\b", r"\bloan sharks?\b", r"\bblood ?suckers?\b",
)

# --- money: balance, plan, promise, pay --------------------------------------------

#: A question about the deadline, not a promise for it (balance): "do i have to pay by friday?",
#: "is friday the deadline", "is it due friday?".
DEADLINE_QUESTION = (
    r"^(?:so |wait |um+ |ok )?(?:do|does|must|should) (?:i|we) (?:have to|need to|gotta|got to|still have to|really have to) (?:pay|make (?:a |the )?payment)(?: it| this| that| something| anything)? (?:by|before|on)\b",
    r"\bis (?:it|this|that|the payment|my payment) due (?:on |by )?\w+\?", r"\bis \w+ the (?:deadline|due date|last day)\b",
    r"\b(?:whats|what is|when is) the deadline\b",
)
BALANCE = (
    r"\bhow much (?:do i|i|does it|is it|is my|do we|is the|is left|left|remaining|is owed|is due|i gotta|do i still|i still)\b",
    r"\bhow much\b(?=.*\b(?:owe|due|left|balance|bill|pay off|payoff)\b)", r"\bhow much (?:to|for|would|will|does|do|is|are|was)\b",
    r"\bbalance\b", r"\bpay ?off (?:amt|amount|balance|quote)\b", r"\bpayoff\b",
    r"\bwhat (?:do|does) i (?:still )?owe\b", r"\bwhat i owe\b",
    r"\b(?:min|minimum|mininum) (?:payment|pmt|pymt|due|amount|amt)\b", r"\bamount (?:due|owed|owing)\b",
    r"\bwhat(?: is|s|s is) (?:due|owed)\b", r"\bwhy is (?:it|my|the|this)\b", r"\bwhy (?:did|has) (?:it|my|the) (?:go up|increase|bill)\b",
    r"\bwhat(?: is|s|s is) the (?:total|amount)\b", r"\bhow much\?*$", r"\btotal (?:due|owed)\b", r"\bstatement\b",
    r"\bwhen is (?:it|my payment|the payment) due\b", r"\bdue date\b",
    *DEADLINE_QUESTION,
)
#: "not interested in a payment plan, I'll pay in full friday": a plan refused is no plan request.
_PLAN_REFUSED = "".join(f"(?<!{p})" for p in (
    "not interested in a ", "not interested in ", "dont want a ", "dont need a ", "do not want a ", "do not need a "))
PLAN = (
    _PLAN_REFUSED + r"\bpayment plans?\b",
    "".join(f"(?<!{p}payment )" for p in (
        "not interested in a ", "not interested in ", "dont want a ", "dont need a ", "do not want a ", "do not need a "))
    + _PLAN_REFUSED + r"(?<!i )(?<!ill )(?<!will )(?<!we )(?<!to )\bplan\b(?! (?:on|to|for|ahead)\b)", r"\binstal+ments?\b", r"\bpayment arrangement\b", r"\barrangement\b",
    r"\b(?:do|make|set up|setup|split (?:it )?(?:in|into)) (?:some |monthly |small |\d+ )?payments\b",
    r"\b(?<=\d )payments\b", r"\bevery (?:other )?(?:week|wk|month|friday|monday|tuesday|wednesday|thursday|saturday|"
    r"sunday|fri|mon|payday|paycheck|pay day|2 weeks|two weeks|\d+ (?:days|weeks|wks))\b", r"\b(?<!in )(?<!within )(?<!me )(?:a|per|each|every) ?(?:month|mo|week|wk|2 weeks|2 wks|two weeks|other week|paycheck|check)\b",
    r"/ ?(?:month|mo|week|wk)\b",
    r"\bmonthly\b", r"\bbi-?weekly\b", r"\bweekly\b", r"\bhalf (?:now|today|next|later)\b", r"\bhalf and half\b",
    # a part on one day and the rest on another: "half on the 15th and the rest on the 30th", "50 friday and the rest next month"
    r"(?:\b(?:half|part|some|a portion)\b|\$ ?\d|\b\d+ (?:now|today|tonight|tomorrow|friday|monday|tuesday|wednesday|thursday|saturday|sunday|on|by|this|next)\b)"
    r"(?:(?!\bbut\b).)*\b(?:and|then|plus) (?:the )?(?:rest|other half|remainder|balance|remaining)\b(?:(?!\bbut\b).)* (?:on|by|next|in|at|the|after)\b",
    r"\b(?:take|accept|settle for|do you take|would you take|would u take) \$?\d", r"\bclose (?:it|this|the account) out\b",
    r"\bsettle(?:ment)?\b", r"\blowest\b", r"\bsplit (?:it|the|this)\b", r"\ba little at a time\b", r"\bpartial\b",
    r"\bpart of it\b", r"\bsome (?:of it )?now\b", r"\bdefer\w*\b", r"\bextension\b", r"\bmore time\b",
    r"\bpostpone\b", r"\b(?:only|just) (?:have|got|pay|do|afford|send|manage) \$? ?\d",
    r"\b(?:can|could|may) i (?:just |only )?(?:pay|do|send) \$? ?\d+(?:\.\d\d)? (?:now|today|for now|right now)\b", r"\bspread (?:out|it|the|them|this)\b",
    r"\b(?:cant|cannot|can not|unable to|wont|will not|not gonna|not going to) (?:pay|do|afford|make) (?:the |it |this )?(?:in )?(?:full|whole|entire|total|all)\b",
    r"\b(?:that much|so much|the whole (?:thing|amount)|it all|everything|the full amount) at once\b",
    r"\breduce (?:what i owe|the (?:balance|amount|debt|total)|my (?:balance|debt|bill))\b", r"\b\$?\d+\b.*\band \$?\d+ (?:on|the|next|by|in|every|a|each)\b",
    r"\bbreak (?:it|this|that|the \w+) (?:up|into|down)\b", r"\binto (?:\d+ )?payments\b",
    r"\bpay (?:just |only )?(?:the )?min(?:imum)?\b(?! (?:payment )?(?:is|due|amount))", r"\bover (?:\d+|a few|several|two|three|four|six|twelve) (?:months|weeks|mos|paychecks)\b",
    r"\b(?:lower|reduce|decrease) (?:my |the |our )?(?:monthly )?(?:payments?|pmts?|installments?)\b", r"\b(?:a )?(?:lower|reduced) (?:monthly )?payment\b", r"\ball at once\b", r"\bskip (?:a|this|next|one|the) (?:month|payment|pmt)\b",
    r"(?<!never )(?<!not )(?<!dont )(?<!wont )\b(?:skip|skipping|pause|postpone|(?:(?<=can i )|(?<=could i )|(?<=may i )|(?<=can we )|(?<=could we ))(?:miss|delay|push back)) (?:a |this |next |one |the |my )?(?:months |months |this months |next months |weeks )?(?:payments?|pmts?|installments?)(?: (?:this|next) (?:month|week))?\b",
    r"\b(?:skip|skipping) (?:a|this|next|one|the) (?:months?|weeks?)\b", r"\bpayment (?:holiday|break|pause)\b",
    r"\b(?:take|accept|settle for) (?:half|less|a lower|part|a portion|a partial)\b", r"\bwork (?:something|it|this|out) out\b", r"\bwork (?:something )?with me\b",
    r"\bcome to an? (?:agreement|arrangement|deal)\b", r"\bwhat are my options\b", r"\bany options\b",
    r"\b(?:now|today|this week) and (?:\$?\d+|the rest|rest|half|some|more|another|the other half) (?:next|later|on|in|by|the|at|after)\b", r"\bif (?:you|u|yall) .*\b(?:i can|i could|ill|i will|i would|id)\b",
    r"\b(?:waive|drop|remove|reduce|lower) (?:the )?(?:fees?|interest|late fees?)\b", r"\bsmaller payments?\b",
    r"\b(?:can i|could i|can we) (?:do|pay) (?:less|smaller|a smaller|a lower|less than)\b",
)
#: A conditional offer ("if you stop adding fees I can pay 100"): a negotiation, checked
#: before dispute so the fee complaint inside it does not decide.
PLAN_OFFER = (
    r"\b(?:if|when|once) (?:you|u|yall|ya)\b.*\b(?:i can|i could|ill|i will|id|i would|i\s?ll)\b",
    r"\b(?:stop|quit|waive|drop|remove|reduce|lower|take off)\w* (?:adding |charging )?(?:the |all the |these )?"
    r"(?:late )?(?:fees?|interest)\b.*\b(?:pay|ill|i can|i will|i could)\b",
)
#: Words that make a reply a payment act.
PAY_VERB = r"\b(?:take care of (?:it|this|that|the balance)|handle it|get it done|settle (?:it|up)|clear it|pay|paying|pmt|payment|send|sending|transfer|deposit|cover|put|get you|make (?:a|the) payment|have (?:it|the money|the funds)|get (?:it|the money) to you)\b"
IMMEDIATE = r"\b(?:now|rn|right now|today|asap|immediately|right away|this minute)\b"
PAY = (
    r"\bpay(?:ing)?\b", r"\bpayment\b", r"\bpayment link\b", r"\b(?:send|text|give) (?:me )?(?:the |a |that )?(?:link|url)\b", r"\blink\b",
    r"\bhow (?:do|can|to|should) i pay\b", r"\bwhere (?:do|can) i pay\b", r"\bmake (?:a |the )?payment\b",
    r"\b(?:debit|credit) card\b", r"\b(?:do|can|will) (?:you|u|yall) (?:take|accept)\b",
    r"\b(?:zelle|venmo|cash ?app|paypal|apple pay|google pay|money order)\b", r"\b(?:set ?up|enroll in|sign up for|start|turn on) auto ?pay\b",
    r"\b(?:i want|i wanna|i would like|id like|ready|im ready|i need|i have) to (?:pay|make a payment)\b", r"\b(?:i|ill|i will) (?:send|transfer) (?:it|the money|money)\b",
    r"\b(?:sending|transferring) (?:it|the money|you the money|the payment|you) (?:now|rn|right now|today|asap)\b",
)

#: English date cues (the entities module resolves them; this only says "a date was meant").
DATE_CUE = (
    r"\b(?:mon|tues?|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?\b(?<!\bsun)(?<!\bsat)",
    r"\b(?:wednesday|saturday|sunday)\b",
    r"\b(?:tomorrow|tmrw|tmr|tmrow|tmw|2moro|2morrow|2mrw|tomoro|tomorow|tommorow|tonight|tonite)\b",
    r"\b(?:next|nxt|this|coming) (?:week|wk|month|mo|payday|paycheck|weekend|year)\b",
    r"\bweekend\b",
    r"\bend of (?:the |this |next )?(?:month|week|mo)\b",
    r"\beom\b",
    r"\b\d{1,2}(?:st|nd|rd|th)\b",
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
    r"\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{1,2}\b",
    r"\bin (?:a |\d+ |one |two |three |a few |few )?(?:days?|wks?|weeks?|months?)\b",
    r"\bpayday\b",
    r"\bget(?:ting)? paid\b", r"\b(?:once|when|after|as soon as) (?:i|ive|i have|we|weve|we have)(?: been| get| got)? paid\b",
    r"\bfirst of (?:the )?month\b",
    # an event to pay on: "ill pay when i get my tax refund", "once my stimulus comes" (no date: the dialog asks it)
    r"\b(?:when|once|after|as soon as) (?:i|we) (?:get|receive|got) (?:my|our|the) (?:tax refund|refund|tax return|taxes|income tax|stimulus|bonus|settlement|inheritance|paycheck|check|ssi|benefits|disability check|unemployment check|unemployment)\b",
    r"\b(?:when|once|after|as soon as) (?:my|our|the) (?:tax refund|refund|tax return|taxes|stimulus|bonus|settlement|paycheck|check|ssi|benefits)(?: check| money| payment| deposit)? (?:comes|come|clears|clear|hits|hit|arrives|arrive|is in|gets here|lands)\b",
    r"\b(?:\d+|a|one|two|three|a few|few|couple(?: of)?) (?:more )?(?:days?|wks?|weeks?)\b(?! ago)",
    r"\b(?:til|till|until|by) (?:the )?\d+(?:st|nd|rd|th)?\b",
    r"\bday after\b",
    r"\blater\b",
)
#: Words allowed in a reply that is only a date ("give me til monday", "can i do the 20th instead").
PROMISE_FILLER = frozenset("""
i ill im will can could do the on by in til till until before after give me instead of ok okay k then and
rest that if works work it is be get paid a an at around maybe probably how about what or for you u ur your
this thx thanks please pls latest later than first thing morning afternoon evening night week month next
wk wks days day weeks months mo sure yes yeah yep gonna going to try let lets say make full amount bucks
dollars usd that fine good should would so just is are we our my hopefully definitely most likely
payday paycheck when get go time soon sometime no problem right noon am pm oclock o clock coming few
need have has until expect expecting hope hoping plan planning try trying promise
""".split())
