"""Standing time restrictions in a reply (US-03, UK-05): "only text me after 6pm".

US-03 (12 CFR 1006.6(b)(1), comment 6(b)(1)-1): a collector must not communicate at a
time the consumer says is inconvenient; UK-05 (CONC 7.9.4R): respect reasonable requests
about when to contact (shift workers). This module finds such a statement in one reply
and reads it as a window, minutes after local midnight, ``[start, end)`` as the customer
said it (``start > end`` wraps midnight); the dialog engine narrows it to the profile's
allowed hours.

What counts (decided here, documented in CHANGELOG.md):

* a *standing* designation: "only text me after 6pm", "don't text before noon",
  "not before 12, I work nights", "text me between 5 and 8pm", "I work nights, text
  after 2pm", 晚上六点以后再发, 中午12点前别发短信, 上班时间别发 (working hours are read
  as 09:00–18:00, so the window kept is the evening 18:00–24:00: one interval, narrower
  than asked, on the safe side);
* **not** a bare "busy" / "can't talk now" (the CFPB comment: not a standing
  designation), **not** a call-back ("call me after 5": a one-off request for a call,
  read as ``agent`` as before), **not** "text me back after 5" (a one-off reply), and
  **not** "stop texting me before 9am" (anything led by an opt-out word stays an
  opt-out, US-06: the safe reading);
* a restriction the window model cannot hold — days ("weekends only", "not on
  weekdays") or "I work nights" with no time — is found (``window=None``) so that a
  person reads it; the days are left alone.

Bare hours: 1–7 read as p.m. (13:00–19:00), 8–11 as a.m., 12 as noon; an explicit
am/pm, "noon", a 24-hour "18:00" or 上午/下午/晚上 decides otherwise. "between 5 and 8pm":
a start with no am/pm is read in the same half-day as the end when that keeps it first.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Restriction", "find"]


@dataclass(frozen=True)
class Restriction:
    """What was found: ``window`` (``None`` for a restriction the model cannot hold:
    days, "I work nights" without a time), ``rest`` (the text with the restriction
    clause removed, read for anything else the reply says) and ``rule`` (for the trace)."""

    window: tuple[int, int] | None
    rest: str
    rule: str
    #: no texting word and no am/pm ("not before 15", "only after 5"): in a reply to a
    #: question about a date or an amount it is not read as a window
    loose: bool = False


# --- English --------------------------------------------------------------------------

_T = (r"(?:(?P<{n}h>\d{{1,2}})(?:[:.](?P<{n}m>[0-5]\d))?(?! ?(?:st|nd|rd|th)\b)(?!\d)"
      r"(?: ?(?P<{n}ap>am|pm|a\.m\.?|p\.m\.?|a|p)\b)?(?: ?oclock)?"
      r"|(?P<{n}w>noon|midday|midnight|lunch ?time|lunch))")
_TIME1, _TIME2 = _T.format(n="a"), _T.format(n="b")
_VERB = r"(?:text|txt|texting|message|msg|messaging|sms|contact|contacting|send|sending|reach|bother|bothering|hit)"
_OBJ = r"(?: (?:me|us|anything|any texts?|any messages?|texts?|messages?|msgs))*(?: (?:at all|ever|please|pls))*"
_BEFORE = r"(?:before|until|till|til|untill|earlier than|any earlier than|prior to)"
_AFTER = r"(?:after|past|later than|any later than|from)"
_POLITE = r"(?:(?:please|pls|plz|kindly|and|but|so|ok|okay|also) )*"

_EN_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((op, re.compile(p)) for op, p in (
    # "don't text me before 12", "please do not message me after 8pm", "never text before noon"
    ("after", rf"{_POLITE}(?:dont|do not|never|pls dont|please dont|no need to) {_VERB}{_OBJ} {_BEFORE} {_TIME1}"),
    ("before", rf"{_POLITE}(?:dont|do not|never|pls dont|please dont) {_VERB}{_OBJ} (?:after|past|later than) {_TIME1}"),
    # "no texts before noon", "no messages after 8pm please"
    ("after", rf"{_POLITE}no (?:texts?|messages?|msgs|sms|contact) {_BEFORE} {_TIME1}"),
    ("before", rf"{_POLITE}no (?:texts?|messages?|msgs|sms|contact) (?:after|past|later than) {_TIME1}"),
    # "text me between 5 and 8pm", "only message me from 9 to 5"
    ("between", rf"{_POLITE}(?:(?:only|just) )?(?:{_VERB}{_OBJ} )?(?:(?:only|just) )?(?:between|from|btwn) {_TIME1}"
                rf" ?(?:and|to|-|till|until) ?{_TIME2}(?: only)?"),
    # "only text me after 6pm", "text me after 2pm", "texts after 6 only"
    ("after", rf"{_POLITE}(?:(?:only|just) )?{_VERB}{_OBJ} (?:(?:only|just) )?(?:after|past|later than) {_TIME1}(?: only)?"),
    ("before", rf"{_POLITE}(?:(?:only|just) )?{_VERB}{_OBJ} (?:(?:only|just) )?(?:before|until|till) {_TIME1}(?: only)?"),
    # "not before 12", "only after 6pm", "after 6pm only", "nothing before noon"
    ("after", rf"{_POLITE}(?:not|nothing|never) {_BEFORE} {_TIME1}"),
    ("before", rf"{_POLITE}(?:not|nothing|never) (?:after|past|later than) {_TIME1}"),
    ("after", rf"{_POLITE}only (?:after|past|later than) {_TIME1}"),
    ("before", rf"{_POLITE}only (?:before|until|till) {_TIME1}"),
    ("after", rf"{_POLITE}(?:after|past) {_TIME1} only"),
))
#: the first of the rules above with no texting word ("not before 12", "only after 6pm")
_FIRST_VERBLESS = 7
#: "text me back after 5", "call me after 5": a one-off (reply or call-back), never a window
_EN_ONE_OFF = re.compile(r"\b(?:call|ring|phone|text|message|txt|msg|get back to|reach)(?: me)? back\b|\bcall me\b|\bring me\b|\bphone me\b")
_EN_OPTOUT_LEAD = re.compile(r"^\W*(?:stop|unsubscribe|quit|cancel|end|optout|opt out)\b")
#: restrictions the window cannot hold: days, "I work nights" with no time
_EN_UNHELD = re.compile(
    r"\b(?:i|we) (?:work|do|am on|m on|have) (?:the )?(?:nights|night shifts?|nites|overnights?|graveyard shift)\b"
    r"|\b(?:i|we) (?:work|sleep) (?:at night|during the day|days)\b|\bnight shift worker\b"
    r"|\b(?:only )?(?:on )?(?:the )?weekends? only\b|\bonly (?:on )?(?:the )?weekends?\b|\bweekdays? only\b"
    r"|\bonly (?:on )?weekdays?\b|\bnot on (?:the )?(?:weekends?|weekdays?|sundays?|saturdays?)\b"
    r"|\bno (?:texts?|messages?) on (?:the )?(?:weekends?|sundays?|saturdays?)\b"
    r"|\b(?:dont|do not) (?:text|message|contact)(?: me)? (?:on|during) (?:the )?(?:weekends?|weekdays?|sundays?|saturdays?|work|the day|work hours|working hours)\b"
    r"|\bnot (?:during|while (?:im|i am) at) (?:work|the day|work hours|working hours)\b")
_WORK_HOURS_EN = re.compile(
    r"\b(?:dont|do not|please dont|pls dont|never) (?:text|message|contact)(?: me)? (?:during|in) (?:work|working|office|business) hours\b"
    r"|\bno (?:texts?|messages?) during (?:work|working|office|business) hours\b")


def _minutes(m: re.Match[str], n: str, *, bare_pm_below: int = 8) -> tuple[int, bool] | None:
    """The time group ``n`` of ``m`` as minutes, and whether its half-day was stated."""
    word = m.group(f"{n}w")
    if word:
        if word == "midnight":
            return 1440, True
        return 720, True
    h, mm, ap = int(m.group(f"{n}h")), int(m.group(f"{n}m") or 0), (m.group(f"{n}ap") or "")
    if ap:
        if not 1 <= h <= 12:
            return None
        pm = ap.startswith("p")
        h = (h % 12) + (12 if pm else 0)
        return h * 60 + mm, True
    if h > 24 or (h == 24 and mm):
        return None
    if m.group(f"{n}m") and (h >= 13 or h == 0):  # a 24-hour clock: 18:00
        return h * 60 + mm, True
    if h >= 13:
        return h * 60 + mm, True
    if h == 0:
        return None
    if h < bare_pm_below:
        h += 12
    return h * 60 + mm, False


def _en(s: str) -> Restriction | None:
    if _EN_OPTOUT_LEAD.search(s) or _EN_ONE_OFF.search(s):
        return None
    for i, (op, rx) in enumerate(_EN_RULES):
        m = rx.search(s)
        if m is None:
            continue
        a = _minutes(m, "a")
        if a is None:
            continue
        rest = (s[:m.start()] + " " + s[m.end():]).strip(" ,.;!-")
        if op == "between":
            b = _minutes(m, "b")
            if b is None:
                continue
            start, end = a[0], b[0]
            if not a[1] and start >= 720 and start - 720 < end <= 720 + 720 and end < start:
                start -= 720
            if not a[1] and end >= 720 and start < 720 and start + 720 < end:
                start += 720  # "between 5 and 8pm": 17:00–20:00
            if not b[1] and end <= start and end < 720:
                end += 720
            if start % 1440 == end % 1440:
                continue
            loose = not any(m.group(g) for g in ("aap", "am", "aw", "bap", "bm", "bw")) and re.search(rf"\b{_VERB}\b", m.group(0)) is None
            return Restriction((start % 1440, end if end == 1440 else end % 1440), rest, "contact_time.between",
                               loose)
        t = a[0]
        loose = i >= _FIRST_VERBLESS and not (m.group("aap") or m.group("am") or m.group("aw"))
        if op == "after":
            if t >= 1440:
                continue
            return Restriction((t, 1440), rest, "contact_time.after", loose)
        if t <= 0:
            continue
        return Restriction((0, t), rest, "contact_time.before", loose)
    m = _WORK_HOURS_EN.search(s)
    if m is not None:
        rest = (s[:m.start()] + " " + s[m.end():]).strip(" ,.;!-")
        return Restriction((18 * 60, 1440), rest, "contact_time.work_hours")
    m = _EN_UNHELD.search(s)
    if m is not None:
        rest = (s[:m.start()] + " " + s[m.end():]).strip(" ,.;!-")
        return Restriction(None, rest, "contact_time.unheld")
    return None


# --- Chinese --------------------------------------------------------------------------

_ZN = "零〇一二两三四五六七八九十"
_ZT = (r"(?P<{n}p>早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|晚)?(?P<{n}h>\d{{1,2}}|[" + _ZN + r"]{{1,3}})"
       r"(?:[点點:：时](?P<{n}m>半|一刻|三刻|\d{{1,2}}分?|[" + _ZN + r"]{{1,3}}分)?|(?=[:：]))")
_ZT1, _ZT2 = _ZT.format(n="a"), _ZT.format(n="b")
_ZSEND = r"(?:再|才)?(?:给我)?(?:发|联系|发短信|发信息|发消息|打扰|短信)"
_ZNO = r"(?:别|不要|不用|勿|请勿|请不要|不准|不许|莫)"
_ZH_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((op, re.compile(p)) for op, p in (
    ("after", rf"{_ZT1}(?:以前|之前|前){_ZNO}(?:再)?(?:给我)?(?:发|联系|打扰)"),
    ("before", rf"{_ZT1}(?:以后|之后|后){_ZNO}(?:再)?(?:给我)?(?:发|联系|打扰)"),
    ("between", rf"(?:只在|只能在|请在|在)?{_ZT1}(?:到|至|-|~|—)+{_ZT2}(?:之间|中间)?(?:再|才)?(?:给我)?(?:发|联系)"),
    ("after", rf"(?:只在|只能在|请在|在)?{_ZT1}(?:以后|之后|后){_ZSEND}"),
    ("before", rf"(?:只在|只能在|请在){_ZT1}(?:以前|之前|前){_ZSEND}"),
))
_ZH_WORK_HOURS = re.compile(r"(?:上班|工作|办公)(?:时间|时候|期间)(?:里|内)?" + _ZNO + r"(?:给我)?(?:发|联系|打扰)")
_ZH_UNHELD = re.compile(r"(?:我)?(?:上|值)?夜班|周末(?:别|不要|勿)(?:给我)?发|(?:只在|只能)周末(?:发|联系)|工作日(?:别|不要|勿)(?:给我)?发")
_ZH_OPTOUT_LEAD = re.compile(r"^(?:退订|停止|别再发|不要再发)")
_ZH_CALL = re.compile(r"(?:给我)?(?:打电话|打给我|回电|来电|电话联系)")
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}


def _zh_number(t: str) -> int | None:
    if t.isdigit():
        return int(t)
    if t == "十":
        return 10
    if t.startswith("十"):
        return 10 + _ZH_DIGITS.get(t[1:], -100)
    if "十" in t:
        a, _, b = t.partition("十")
        return _ZH_DIGITS.get(a, -100) * 10 + (_ZH_DIGITS.get(b, -100) if b else 0)
    if len(t) == 1:
        return _ZH_DIGITS.get(t)
    return None


def _zh_minutes(m: re.Match[str], n: str) -> tuple[int, bool] | None:
    h = _zh_number(m.group(f"{n}h"))
    if h is None or h < 0 or h > 24:
        return None
    raw = m.group(f"{n}m") or ""
    if raw == "半":
        mm = 30
    elif raw in ("一刻", "三刻"):
        mm = 15 if raw == "一刻" else 45
    elif raw:
        mm = _zh_number(raw.rstrip("分")) or 0
    else:
        mm = 0
    part = m.group(f"{n}p") or ""
    if part in ("下午", "傍晚", "晚上", "夜里", "夜间", "晚") and h < 12:
        h += 12
    elif part == "中午" and h < 6:
        h += 12
    elif not part and 1 <= h < 8:
        h += 12
    elif not part and h == 0:
        return None
    return min(h * 60 + mm, 1440), bool(part)


def _zh(z: str) -> Restriction | None:
    if _ZH_OPTOUT_LEAD.search(z) or _ZH_CALL.search(z):
        return None
    for op, rx in _ZH_RULES:
        m = rx.search(z)
        if m is None:
            continue
        a = _zh_minutes(m, "a")
        if a is None:
            continue
        rest = (z[:m.start()] + z[m.end():]).strip("，,。.！!；; ")
        rest = re.sub(r"^(?:短信|信息|消息)+|^了", "", rest).strip("，,。.！!；; ")
        if op == "between":
            b = _zh_minutes(m, "b")
            if b is None:
                continue
            start, end = a[0], b[0]
            if not b[1] and end <= start and end < 720:
                end += 720
            if not a[1] and b[1] and end > 720 and start < 720 and start + 720 < end:
                start += 720
            if start % 1440 == end % 1440:
                continue
            return Restriction((start % 1440, end if end == 1440 else end % 1440), rest, "contact_time.between")
        t = a[0]
        if op == "after":
            if t >= 1440:
                continue
            return Restriction((t, 1440), rest, "contact_time.after")
        if t <= 0:
            continue
        return Restriction((0, t), rest, "contact_time.before")
    m = _ZH_WORK_HOURS.search(z)
    if m is not None:
        rest = (z[:m.start()] + z[m.end():]).strip("，,。.！!；; ")
        rest = re.sub(r"^(?:短信|信息|消息)+|^了", "", rest).strip("，,。.！!；; ")
        return Restriction((18 * 60, 1440), rest, "contact_time.work_hours")
    m = _ZH_UNHELD.search(z)
    if m is not None:
        rest = (z[:m.start()] + z[m.end():]).strip("，,。.！!；; ")
        return Restriction(None, rest, "contact_time.unheld")
    return None


def find(s: str, z: str | None = None) -> Restriction | None:
    """The standing time restriction in a reply, or ``None``.

    ``s``: the normalised English view (lower case, apostrophes removed); ``z``: the
    Chinese view when the reply has CJK text."""
    if z:
        found = _zh(z)
        if found is not None:
            return found
    if not any(c.isdigit() for c in s) and not any(w in s for w in (
            "noon", "midday", "midnight", "lunch", "night", "nite", "weekend", "weekday", "work",
            "saturday", "sunday", "shift", "sleep", "overnight", "day")):
        return None
    return _en(s)
