"""Self-harm words (UK-07, CONC 7.2.1R(2), FCA FG21/1: "self-harm terms → immediate
escalation"), shared by the reader (``bot.intents.classify``: a hardship reply with them is
rule :data:`bot.types.SELF_HARM_RULE`) and the dialog engine (``bot.dialogs.engine``: the
crisis-support answer, a vulnerability hold and a ``self_harm`` hand-off at priority 1,
whatever the intent). Pure: regular expressions only; read on the text as received.
"""

from __future__ import annotations

import re

#: English self-harm phrasings (ideation included: "I might as well just end it").
SELF_HARM_EN = (r"suicid|kill(?:ing)? my ?self|\bkms\b|(?:end|ending|take|taking) my (?:own )?life|end(?:ing)? it all|self[- ]?harm|"
                 r"hurt(?:ing)? my ?self(?! laughing)|\bi (?:just |really |honestly |literally |kinda )?(?:want to|wanna) die\b|better off dead|"
                 r"better off without me|better off if i (?:was|were|wasn['’]?t|weren['’]?t) (?:dead|gone|here|around|alive)|(?:don['’]?t|do not|no longer) (?:want|wanna) (?:to )?(?:be alive|live (?:anymore|any more)|"
                 r"live(?=[.!,]|$)|exist anymore|wake up (?:anymore|tomorrow)|go on living)|no (?:reason|point) (?:to|in) (?:live|living)|"
                 # UK-07 "immediate escalation": the neighbours of the phrases above
                 r"\b(?:see (?:the|any|no)|what['’]?s the|whats the|is no|there['’]?s no|theres no|any) point (?:in|of|to) "
                 r"(?:living|being alive|life\b|going on|carrying on|live\b)|nothing (?:left )?to live for|"
                 r"(?:no|any) reason to (?:live|go on|keep going|be alive)|(?:life|living) (?:is(?:n['’]?t| not)|aint|ain['’]t) worth (?:it|living)|"
                 r"not worth living|wish (?:i|id|i['’]d) (?:was|were|be|been) dead|(?:rather|better) be dead|(?:rather|wanna|want to) just die|"
                 r"\b(?:off|unalive|hang|hanging|shoot|shooting|cut|cutting|drown|drowning|overdose on|od on) my ?self\b|\boverdos(?:e|ing)\b|"
                 r"jump(?:ing)? (?:off|in front of) (?:a|the) (?:bridge|building|roof|train|cliff)|slit my wrists?|take all my pills|"
                 # "I might as well just end it", "thinking about ending things", "so done with life": ideation,
                 # but not "end it with a final payment", "end things with your company" (UK-07)
                 r"\b(?:might|may) as well (?:just )?(?:end|finish) (?:it|things|everything)\b(?! (?:with|by|early|off|and pay)\b)|"
                 r"\b(?:thinking|thought|think|been thinking|keep thinking) (?:about|of) (?:just )?(?:ending|end) (?:it|things|everything)\b"
                 r"(?! (?:with|by|early|off)\b)|"
                 r"\b(?:want|wanna|going|gonna|about|ready|planning|plan|decided) (?:to )?(?:just )?end (?:things|everything)\b(?! (?:with|by|early|off|on)\b)|"
                 r"\bend(?:ing)? it (?:tonight|for good)\b(?! (?:with|by)\b)|"
                 r"\b(?:so |really |just |completely |totally )?(?:done|finished|over it) with (?:life|living|being alive|this life)\b|"
                 r"\b(?:tired|sick) of (?:living|being alive|life)(?=[.!,?]|$| any ?more\b)|\bgive up on (?:life|living)\b|\bgiving up on (?:life|living)\b|"
                 r"\bdont want to (?:be here|wake up) any ?more\b|\bdon['’]t want to (?:be here|wake up) any ?more\b")
# UK-07 Chinese self-harm words (third probe): 一了百了, 活着真没意思, 还不上我就从楼上跳下去, 我就去死好了
SELF_HARM_ZH = (r"一了百了|活[着著](?:真|真的|都|也|还)?没(?:有)?意思|活[着著](?:还)?有什么意思|(?:楼|樓|桥|橋|天台|楼顶|樓頂|窗户|窗戶)上?跳下去|"
                 r"从[^，,。.!?]{0,6}跳下去|從[^，,。.!?]{0,6}跳下去|跳下去(?:算了|死)|(?:我|那我)(?:就|要|只能|还不如|干脆)?去死|不想活|活不下去|想不开|"
                 r"吃药(?:自尽|死)|安眠藥|割脈|跳樓|"
                 # passive ideation ("living is too tiring") is read as self-harm risk: priority 1
                 r"活[着著](?:好|太|真|真的)?累")
#: Every self-harm phrasing, English and Chinese (the engine's ``_SELF_HARM``).
SELF_HARM = re.compile(r"suicid|kill myself|end my life|self[- ]harm|" + SELF_HARM_EN + r"|自杀|轻生|不想活|活不下去|想死(?!你|您)|"
                        r"寻死|不如死|死了算了|一死了之|活着没意思|没法活|跳楼|结束生命|割腕|自残|上吊|跳河|跳江|活够了|"
                        r"了结自己|安眠药|自殺|輕生|我(?:就|要|想|会|只能)?去死|我死给你(?:们)?看|" + SELF_HARM_ZH, re.I)


def self_harm_words(text: str) -> bool:
    """True when ``text`` (as received) has self-harm words (UK-07)."""
    return SELF_HARM.search(text) is not None
