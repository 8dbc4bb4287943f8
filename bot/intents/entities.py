"""Amount and date extraction for customer SMS replies: the one entry point.

``extract_entities(text, now=..., tz=..., lang=...)`` is pure (no I/O, no clock
reads, no logging) and cheap: a text with no digit, no Chinese numeral and no
date word leaves after two precompiled regex searches. Amounts are taken out
first (blanked, same length) so that in ``"$50 on the 15th"`` the 50 can never be
read as a date; dates are then looked for in what is left. See
:mod:`bot.intents.amounts` and :mod:`bot.intents.dates` for the rules and the
documented choices for ambiguous forms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from .amounts import find_amounts, pick_amount
from .dates import find_dates, has_date_token, resolve_fallback

__all__ = ["ExtractResult", "extract_entities"]


@dataclass(frozen=True)
class ExtractResult:
    """Amount and date entities of one reply.

    amount: major units as typed, exact (``Decimal("1250.00")``, ``Decimal("2600")``);
        the lower end of a range.
    amount_max: upper end of a range (``还两三百`` → amount 200, amount_max 300), else None.
    date: calendar date in the customer's zone (future-preferring unless ``date_is_past``).
    time: local time of day if one was given (``两点半前`` → 14:30, ``12点之前`` → 12:00).
    has_date_words: a date/time expression was seen even if unresolved
        (``next payday``, ``发工资``, ``nxt wk``).
    date_is_past: the expression points to the past (``yesterday``, ``last week``,
        ``mailed a check monday``, ``sent it thru zelle on 5/2``).
    spans: character spans ``(start, end)`` in the given text of the amount and
        date/time expressions, sorted.
    """

    amount: Decimal | None = None
    amount_max: Decimal | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    has_date_words: bool = False
    date_is_past: bool = False
    spans: tuple[tuple[int, int], ...] = ()


_EMPTY = ExtractResult()


# Length-preserving (1:1) fold of full-width ASCII and curly quotes, so raw text works
# and spans still index the caller's text. Full NFKC is the classifier's job.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x2018: 0x27, 0x2019: 0x27, 0x201C: 0x22, 0x201D: 0x22, 0xFFE5: 0xA5,
              0xFFE1: 0xA3, 0x00A0: 0x20})


#: Before a date: the date being replaced or refused ("cancel the payment on the 4th",
#: "from the 4th to the 11th", "instead of friday", "monday not friday", "can't pay on the
#: 11th", 不是周五，是周六), or a schedule rather than a day ("I get paid every other friday").
_OLD_DATE_BEFORE = re.compile(
    r"(?:\binstead\s+of|\brather\s+than|\bnot|\bfrom|\bmove\s+(?:it|my\s+payment|the\s+payment)\s+from"
    r"|\bcancel\w*(?:\s+(?:the|my|that|this))?(?:\s+(?:payment|pmt|one))?(?:\s+(?:on|for|due))?"
    r"|\b(?:cant|can't|can’t|cannot|wont|won't|won’t|not\s+able\s+to|unable\s+to)\s+(?:pay|do|make)(?:\s+(?:it|that|this))?(?:\s+(?:on|by))?"
    # a negated payment: "not paying today but friday", "I don't have to pay you today right? Friday is fine?"
    r"|\bnot\s+(?:(?:gonna|going\s+to|able\s+to)\s+)?(?:paying|pay|sending|send|doing|do)(?:\s+(?:it|that|this|you|u|anything))?(?:\s+(?:on|by))?"
    r"|\b(?:dont|don't|don’t|do\s+not|no\s+need\s+to)\s+(?:(?:have|need|want)\s+to\s+|wanna\s+|gotta\s+)?(?:pay|send|do|make)"
    r"(?:\s+(?:it|that|this|you|u|anything|the\s+payment))?(?:\s+(?:on|by))?"
    # a pay schedule, not the day meant: "I get my SSI on the 1st, can pay the 2nd"
    r"|\b(?:get|gets|getting)\s+my\s+[a-z]+(?:\s+(?:check|deposit|benefits?|money))?(?:\s+(?:on|by))?"
    r"|\bevery(?:\s+other)?|\beach)\s+(?:the\s+)?$"
    # 不是周五，是周六 / 周六，不是周五 / 是周六而不是周五: the day refused
    r"|(?:不是|而不是|并不是|不在|不要)\s?$", re.I)
#: After a date: the day refused ("friday wont work but monday will", "friday's no good, monday",
#: 周五不行，下周一可以, 这周五还不了，下周一还): it gives way to the other date.
_OLD_DATE_AFTER = re.compile(
    r"(?:'?s)?(?:\s+(?:is|will|would|does|really|probably|just|definitely))*\s+(?:wont|won't|won’t|will\s+not|doesnt|doesn't|doesn’t"
    r"|does\s+not|dont|don't|isnt|isn't|isn’t|is\s+not|aint|not|no)\s+(?:gonna\s+|going\s+to\s+|really\s+|be\s+)?"
    r"(?:work|working|possible|good|doable|happen|an\s+option|ok|okay)\b"
    r"|\s*(?:可能|恐怕|真的|实在|實在)?(?:不行|不可以|不方便|唔得|还不了|還不了|还不上|還不上|还不起|還不起|没办法|沒辦法|没法|沒法|还唔到|還唔到|付不了|来不及|來不及)", re.I)
#: After a date: the date the customer wants now ("pay on the 11th instead"). Used with
#: ``match(text, pos)``, which anchors at ``pos`` (a ``^`` would only match at 0).
_NEW_DATE_AFTER = re.compile(r"[\s.,!?]*(?:instead|rather)\b", re.I)
#: Before a date: the conclusion ("I get my SSI on the 1st so the 2nd", "…which means friday").
_NEW_DATE_BEFORE = re.compile(r"\b(?:so|which\s+means|meaning|but)\s+(?:(?:maybe|prob|probably|like|on|by|i\s+can\s+do|i\s+can\s+pay)\s+)*(?:the\s+)?$", re.I)


def _the_date_meant(text: str, dated: list) -> list:
    """Several dates in one reply: the one the customer means to pay on first — a date
    marked "instead" (or concluded with "so …", "but …") wins, a past one comes after a future one; a replaced, refused or recurring one ("cancel the payment on
    the 4th and pay on the 11th instead", "next one is the 11th" after "every other
    friday") gives way to the others. The order is kept otherwise."""
    def rank(h) -> int:
        if _NEW_DATE_AFTER.match(text, h.end) or _NEW_DATE_BEFORE.search(text, 0, h.start):
            return 0
        return 2 if _OLD_DATE_BEFORE.search(text, 0, h.start) or _OLD_DATE_AFTER.match(text, h.end) else 1
    # a past date (what was paid) gives way to a future one (what is promised): "I paid 50 on
    # monday, can I pay the rest friday" → friday; the past date stays when it is the only one
    ranks = [rank(h) * 2 + (h.past and h.date is not None) for h in dated]
    if len(set(ranks)) == 1:
        return dated
    return [h for _, i, h in sorted((r, i, h) for i, (r, h) in enumerate(zip(ranks, dated)))]


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def extract_entities(text: str, *, now: dt.datetime, tz: str, lang: str) -> ExtractResult:
    """Amount, date and time of day in one customer reply.

    text: the SMS body, normalised by the classifier (NFKC, casefolded…) or raw
        (full-width ASCII and curly quotes are folded here, length-preserving).
    now: an aware datetime (any zone) — the moment the reply is interpreted.
    tz: the customer's IANA zone name; relative dates resolve there
        (the customer's today is ``now.astimezone(ZoneInfo(tz)).date()``).
    lang: ``"en"`` or ``"zh"``; both scripts are searched either way, ``lang`` only
        picks dateparser's languages for the rare fallback.
    Returns an :class:`ExtractResult`; ``ExtractResult()`` when nothing is found.
    Raises ValueError if ``now`` is naive (a naive clock is a bug upstream), and
    zoneinfo.ZoneInfoNotFoundError for an unknown ``tz``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not text.isascii():
        text = text.translate(_FOLD)
    amounts = find_amounts(text)
    date_text = text
    spans: list[tuple[int, int]] = []
    amount = amount_max = None
    if amounts:
        chosen = pick_amount(amounts)
        amount, amount_max = chosen.value, chosen.value_max
        for a in amounts:
            spans.append((a.start, a.end))
            date_text = date_text[:a.start] + " " * (a.end - a.start) + date_text[a.end:]
    if not has_date_token(date_text):
        if not amounts:
            return _EMPTY
        return ExtractResult(amount=amount, amount_max=amount_max, spans=tuple(spans))

    local_now = now.astimezone(_zone(tz))
    today = local_now.date()
    hits = find_dates(date_text, today=today, now_time=local_now.time().replace(tzinfo=None), lang=lang)
    date = time = None
    past = False
    has_words = bool(hits)
    dated = [h for h in hits if h.date is not None]
    if len(dated) > 1:
        dated = _the_date_meant(text, dated)
    if dated:
        first = dated[0]
        date, past = first.date, first.past
    elif hits:
        past = any(h.past for h in hits if h.time is None)
    timed = [h for h in hits if h.time is not None]
    if timed:
        time = timed[0].time
        if date is None and all(h.time is not None for h in hits):
            # a bare time: today if still ahead, else tomorrow (not when a vague
            # date such as "next week" was also given: then the day is unknown);
            # in a past-tense reply ("paid at 3pm") today if already gone, else yesterday
            clock = local_now.time().replace(tzinfo=None)
            if timed[0].past:
                past = True
                date = today if time <= clock else today - dt.timedelta(days=1)
            else:
                date = today if time > clock else today + dt.timedelta(days=1)
    for h in hits:
        spans.append((h.start, h.end))
        date_text = date_text[:h.start] + " " * (h.end - h.start) + date_text[h.end:]
    if date is None and not hits:
        fb = resolve_fallback(date_text, now_local=local_now, tz=tz, lang=lang)
        if fb is not None:
            start, end, date = fb
            has_words = True
            past = date < today
            spans.append((start, end))
    if amount is None and not has_words and date is None:
        return _EMPTY
    return ExtractResult(amount=amount, amount_max=amount_max, date=date, time=time,
                         has_date_words=has_words, date_is_past=past, spans=tuple(sorted(spans)))
