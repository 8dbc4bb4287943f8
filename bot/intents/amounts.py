"""Money amounts in customer SMS replies (English and Chinese).

Pure functions over text: no I/O, no clock, no logging. Regexes are compiled at
import; ``cn2an`` (Chinese numerals, ~0.3 s to import) is imported lazily, the
first time a Chinese numeral in a money context is seen.

An amount is what the customer typed in major units, exact, currency-less
(``"$1,250.00"`` → ``Decimal("1250.00")``, ``"1.2k"`` → ``Decimal("1200")``,
``"两千六"`` → ``Decimal("2600")``). A number counts as money only with money
context:

* a currency sign or word next to it: ``$50``, ``50$``, ``$ 250``, ``£20``,
  ``¥500``, ``50 bucks``, ``50 dollars``, ``500元``, ``两千块``;
* a ``k``/``万`` multiplier (``w`` too, in Chinese text only): ``1.2k``, ``1.5万``, ``5w``;
  ``grand``/``hundred``/``thousand`` after digits: ``2 grand`` → 2000, ``1.5 grand`` → 1500,
  ``5 hundred`` → 500 (a bare ``2`` before ``grand`` is never two dollars);
* a Chinese numeral with a 百/千/万 unit, even bare: ``两千``, ``三万五`` (not before
  天/号/期… units);
* English number words with a currency word or a hundred/thousand/grand:
  ``fifty bucks``, ``two hundred``, ``a grand``;
* a range: ``$50-100`` → 50..100, ``两三百`` → 200..300 (``value_max``),
  ``between $50 and $100`` / ``pay between 50 and 100`` → 50..100, ``can pay 50-100`` → 50..100;
* ``two fifty`` (no ``hundred``) is 250, ``one twenty five`` 125, ``twelve fifty`` 1250;
  number words right after a paying verb are money from 10 up (``pay one fifty`` 150,
  ``send you sixty`` 60; not ``do one thing``, ``twenty more days``);
* cents after a whole amount: ``sixty dollars and fifty cents`` / ``$60 and 50 cents`` → 60.50;
* a paying verb right before it: ``pay 100``, ``would u take 200``,
  ``I can do 25 every 2 wks``, ``还两千``, ``先还五百``, or a Chinese numeral right
  before ``先还``/``还``: ``一千五先还上``;
* a bare number that opens the message and is followed by a date word
  (``50 on fri``, ``100 tmrw``) or a period (``50 a month``, ``50/mo``).

Never amounts: dates (``10/3``, ``the 15th``, ``15号``, ``1988年3月4号``; ``pay 12-20`` —
a dash ``M-D`` with no currency sign or word is a date, left to :mod:`dates`, while
``pay 12-15 dollars`` / ``$12-15`` is a range of money), times
(``after 5``, ``两点半``, ``12点``), counts and periods (``2 payments``,
``every 2 wks``, ``ch 7``, ``6 yrs``, ``分3期``), account/confirmation/case
numbers, phone numbers, zip codes, ``last 4 1234``, ``身份证后四位1234`` — none of
these carry money context, and the verb rules refuse a number followed by a
date/time/count unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["AmountMatch", "find_amounts", "find_amount", "pick_amount", "chinese_to_int", "words_amount",
           "is_month_day"]


@dataclass(frozen=True)
class AmountMatch:
    """One amount found in a text.

    value: major units, exact (``Decimal``); the lower end of a range.
    value_max: upper end of a range (``两三百`` → value 200, value_max 300), else None.
    start, end: character span of the whole expression in the text (``text[start:end]``),
        including the currency sign/word.
    strong: True when a currency sign/word or multiplier marked it (beats verb context).
    """

    value: Decimal
    value_max: Decimal | None
    start: int
    end: int
    strong: bool


# --- shared pieces ------------------------------------------------------------------

#: Cheap pre-check: no digit and no Chinese numeral → no amount (a few µs exit).
_ANY_NUMBER = re.compile(r"[\d零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬]")

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CN_DIGITS = "零〇一二两三四五六七八九壹贰贰叁肆伍陆柒捌玖"
_CN_UNITS = "十百千万亿拾佰仟萬"
_CN = f"[{_CN_DIGITS}{_CN_UNITS}]+"

# What may not follow a bare (verb-context) number: date/time/count units, slashes…
_EN_NOT_AFTER = (
    r"(?![\d/:a-z]|[.,-]\d|\s*(?:to|~)\s*\d|\s*(?:st|nd|rd|th)\b|\s*(?:am|pm|a\.m|p\.m|o'?clock|%|percent"
    r"|(?:(?:more|separate|small|smaller|equal|monthly|weekly|partial|extra)\s+)?(?:payments?|pmts?"
    r"|installments?|instalments?|checks?|cheques?|cards?|accounts?|bills?|loans?|times?|x\b)"
    r"|weeks?\b|wks?\b|days?\b|months?\b"
    r"|mos?\b|mths?\b|yrs?\b|years?\b|hours?\b|hrs?\b|minutes?\b|mins?\b|people|kids|of\s+them"
    # "I do 2 jobs", "sent 3 emails": a plural noun after the number makes it a count
    r"|(?!(?:is|was|towards|plus|as|this|its|yes|always|perhaps|thursdays|tuesdays|us|pls|thanks|tops|unless|afterwards|besides|whats|thats|lets"
    # weekdays that end in s: "ill send 150 thurs", "will pay 60 tues", "75 weds", "80 mondays"
    r"|thurs|tues|weds|mondays|wednesdays|fridays|saturdays|sundays|mons|fris|sats|suns)\b)[a-z]+s\b))"
)

_EN_CURRENCY_PREFIX = re.compile(
    rf"(?:(?<![a-z])(?:usd|us\$|rmb|cny|gbp|eur)\s?|[$£¥￥€]\s?)(?P<n>{_NUM})(?P<k>k\b|\s?(?:grand|thousand|hundred)\b)?"
    rf"(?:\s?(?:-|to|~)\s?(?:[$£¥￥€]\s?)?(?P<n2>{_NUM})(?P<k2>k\b)?(?![\d/:]))?",
    re.I,
)
_EN_CURRENCY_SUFFIX = re.compile(
    rf"(?<![\d./:#])(?<!\d,)(?P<n>{_NUM})(?P<k>k)?"
    rf"(?:\s?(?:-|to|~)\s?(?P<n2>{_NUM})(?P<k2>k)?)?"
    r"\s?(?:[$£€]|(?:usd|dollars?|dollas?|bucks?|quid|pounds?|euros?|rmb|yuan|kuai)\b"
    r"|元|块钱?|圆|美元|美金|人民币)",
    re.I,
)
_K_NUMBER = re.compile(rf"(?<![\d./:#$£¥€])(?<!\d,)(?P<n>{_NUM})\s?(?P<k>k|w|万|grand|thousand|hundred)(?![a-z])(?!(?<=万)\d)", re.I)

_EN_VERB = (
    r"(?:pay(?:ing)?|paid|do|doing|take|send(?:ing)?|sent|give|giving|offer(?:ing)?|put(?:ting)?"
    r"|make|afford|manage|cover|try|owe|zelle|venmo|wire|transfer)"
)
_EN_FILLER = r"(?:(?:u|you|ya|y'all|them|it|off|like|about|around|maybe|only|just|at\s+least|up\s+to|another|an?\s+extra|extra)\s+)*"
_EN_VERB_NUMBER = re.compile(
    rf"\b{_EN_VERB}\s+{_EN_FILLER}(?P<n>{_NUM})(?P<k>k\b)?"
    rf"(?:\s?(?P<sep>-|to|~)\s?(?P<n2>{_NUM})(?P<k2>k\b)?)?{_EN_NOT_AFTER}", re.I
)
#: ``between $50 and $100``, ``between 50 and 100 dollars``, ``pay between 50 and 100``.
_BETWEEN = re.compile(
    rf"\b(?P<verb>{_EN_VERB}\s+{_EN_FILLER})?(?:between|btwn|anywhere\s+from|somewhere\s+between|from)\s+"
    rf"(?P<c1>[$£€]\s?)?(?P<n>{_NUM})(?P<k>k\b)?\s*(?:and|&|-|to|or)\s*(?P<c2>[$£€]\s?)?(?P<n2>{_NUM})(?P<k2>k\b)?"
    r"(?P<cur>\s?(?:dollars?|bucks?|usd)\b)?(?![\d/:.]\d|\s*(?:am|pm|st|nd|rd|th|days?|weeks?|wks?|months?|mos?|hours?|hrs?|years?|yrs?)\b)",
    re.I)
_DATE_WORD_AFTER = (
    r"(?:on|by|tmrw|tmr|tomorrow|2moro|2morrow|today|tonight|now|rn|next|nxt|this|til|till|until"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|a\s+month|a\s+week|per|each|every|monthly|weekly|biweekly)\b"
)
_EN_LEADING_NUMBER = re.compile(
    rf"^\s*(?P<n>{_NUM})(?P<k>k\b)?(?:\s+|\s*/\s*(?=mo|wk|month|week)){_DATE_WORD_AFTER}", re.I
)
_EN_PERIOD_NUMBER = re.compile(
    rf"(?<![\d./:#])(?<!\d,)(?P<n>{_NUM})\s*(?:/\s*(?:mo|month|wk|week)\b|(?:a|per|each)\s+(?:month|mo|week|wk)\b)",
    re.I,
)

# Chinese: verbs before, 先还 after; units that make a number not money.
_ZH_NOT_AFTER = (
    r"(?![\d.]|\s*(?:号|號|日|月|年|点|點|期|天|周|週|星期|礼拜|个|個|岁|歲|次|分钟|分|小时|位|部|些|下|成|%|％|倍|张|笔|家|秒))"
)
_ZH_NUMBER = rf"(?:\d+(?:\.\d+)?(?:[十百千万萬kw](?:\d)?)?|{_CN})"
_ZH_CN_CURRENCY = re.compile(rf"(?P<n>{_CN})\s?(?:块钱?|元|圆|人民币|rmb)", re.I)
_ZH_RANGE = re.compile(
    r"(?P<a>[一二两三四五六七八九])(?P<b>[二两三四五六七八九])(?P<u>[十百千万])"
    r"(?P<cur>\s?(?:块钱?|元|圆|人民币|rmb))?"
)
_ZH_VERB_NUMBER = re.compile(
    rf"(?:先还|还上|还|付|转账?|打|交|凑|存|给|充|先给|先付|先转)(?:了|个|掉|款)?\s?(?P<n>{_ZH_NUMBER}){_ZH_NOT_AFTER}",
    re.I,
)
# A number with a 百/千/万 unit (两千, 一万五, 2千): what may follow it is looser than for a bare
# number (一万五下个月5号还, 2千周五, 两千月底: the date words after it are not its unit), and it
# is never cut short (一万五 is not 一万 before 五).
_ZH_BIG = rf"(?:[{_CN_DIGITS}]+|\d{{1,4}})[百千万亿佰仟萬][{_CN_DIGITS}{_CN_UNITS}]*(?:(?<=[千万萬])\d)?"
_ZH_BIG_NOT_AFTER = (r"(?![\d.{_CN_DIGITS}{_CN_UNITS}]|\s*(?:号|號|日|年|点|點|期|天|个|個|岁|歲|次|分钟|分|小时|位|部|些|成|%|％|倍|张|笔|家|秒"
                     r"|米|公里|斤|人|字|页|条|块地))").replace("{_CN_DIGITS}", _CN_DIGITS).replace("{_CN_UNITS}", _CN_UNITS)
_ZH_BARE_BIG = re.compile(rf"(?<![第{_CN_DIGITS}{_CN_UNITS}\d])(?P<n>{_ZH_BIG}){_ZH_BIG_NOT_AFTER}")
#: A spelled range: 两百到三百, 一千到一千五, 2千至3千 (amount..amount_max).
_ZH_SPAN_RANGE = re.compile(rf"(?<![第{_CN_DIGITS}{_CN_UNITS}\d])(?P<a>{_ZH_BIG})\s?(?:块钱?|元)?\s?(?:到|至|~|～|-|或者?)\s?"
                            rf"(?P<b>{_ZH_BIG})(?P<cur>\s?(?:块钱?|元|圆))?{_ZH_BIG_NOT_AFTER}")
#: A bare number after a comma that ends a date or a paying clause: 12号先还一部分，1200 (1200 on
#: the 12th), 下周五，500, 15号还一部分，2000左右. The comma is the full-width one folded (NFKC) or
#: not; a date/count unit after the number (12号，15号, 下周五，两点, ，3天后) makes it no amount.
_ZH_AFTER_COMMA = re.compile(
    r"(?:号|號|日|[周週][一二三四五六日天]|(?:星期|礼拜|禮拜)[一二三四五六日天]|月底|月初|月中|月尾|月头|明天|后天|今天|今晚"
    r"|(?:还(?![有是没在要不])|還(?![有是沒在要不])|付|转|轉|交|给|給)[^，,、。；;.!?\d]{0,6})[，,、]\s?(?:大概|大约|大約|约|約|差不多|先|就|能|可以|只能)?\s?"
    rf"(?P<n>\d{{2,7}}(?:\.\d{{1,2}})?(?![,\d])|{_ZH_BIG}){_ZH_NOT_AFTER}")
_ZH_NUMBER_BEFORE_VERB = re.compile(rf"(?P<n>{_ZH_NUMBER})(?=先还|先付|先给|先转|还上|还给|还你)", re.I)
#: An instalment: 每月500, 每个月还一千, 一期两百, 500一个月.
_ZH_PERIOD_NUMBER = re.compile(
    rf"(?:每个?(?:月|周|星期|礼拜|期)|一个?月|一期)(?:还|付|交|转|给|都|可以|能)?(?:你们?)?\s?(?P<n>{_ZH_NUMBER}){_ZH_NOT_AFTER}"
    rf"|(?P<n2>{_ZH_NUMBER})(?=\s?(?:块钱?|元)?(?:一个月|每个?月|一期|每期|一周|每周))", re.I)

_CN_VALUE = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
             "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
             "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_UNIT_VALUE = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000,
                  "万": 10000, "萬": 10000, "亿": 100000000, "k": 1000, "w": 10000,
                  "grand": 1000, "thousand": 1000, "hundred": 100}


# English number words ("two hundred", "fifty bucks", "a grand"): only with a
# currency word after them or a hundred/thousand/grand inside them.
_W_ONES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_W_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_W_NUM = "|".join(sorted([*_W_ONES, *_W_TENS], key=len, reverse=True))
_WORD_AMOUNT = re.compile(
    rf"\b(?P<w>(?:a|{_W_NUM})(?:(?:\s+|-)(?:and\s+)?(?:{_W_NUM}|hundred|thousand|grand))*)"
    r"(?P<cur>\s+(?:dollars?|bucks?|usd|quid|pounds?))?\b",
    re.I,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
#: Number words right after a paying verb: ``pay one fifty`` (150), ``send you sixty`` (60);
#: under 10 never (``do one thing``, ``take two``), nor before a count (``twenty more days``).
_EN_VERB_WORDS = re.compile(
    rf"\b{_EN_VERB}\s+{_EN_FILLER}(?P<w>(?:{_W_NUM})(?:(?:\s+|-)(?:and\s+)?(?:{_W_NUM}|hundred|thousand|grand))*)\b"
    rf"(?!\s+(?:more|of|extra)\b){_EN_NOT_AFTER}", re.I)
_TENS_WORD = re.compile(r"\b(?:ten|eleven|twelve|[a-z]+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b")
#: Cents after a whole amount: ``sixty dollars and fifty cents`` (60.50), ``$60 and 50 cents``.
_CENTS_AFTER = re.compile(rf"\s*(?:and|&|,|\+)?\s*(?P<c>\d{{1,2}}|(?:{_W_NUM})(?:[\s-]+(?:{_W_NUM}))?)\s*(?:cents?|¢)", re.I)

# Cheap pre-checks for the English regexes below (all ``re.I``): a regex runs only when a
# literal every one of its matches must contain is in the text. ``re.I`` also matches
# four non-ASCII letters to ASCII ones (İ ı → i, K → k, ſ → s); they are folded first, so
# a pre-check can only let a regex run, never skip one that would match.
_IGNORECASE_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"})
_PREFIX_SIGNS = "$£¥￥€"
_PREFIX_CODES = ("usd", "rmb", "cny", "gbp", "eur")  # "us$" holds "$"
_SUFFIX_SIGNS = "$£€元块圆美人"  # 美元, 美金, 人民币
_SUFFIX_WORDS = ("usd", "doll", "buck", "quid", "pound", "euro", "rmb", "yuan", "kuai")
_VERB_STEMS = ("pay", "paid", "do", "tak", "sen", "giv", "offer", "put", "mak", "afford", "manag", "cover",
               "try", "owe", "zelle", "venmo", "wire", "transfer")
_PERIOD_WORDS = ("mo", "wk", "week")  # "month" holds "mo"


def _any_in(needles, hay: str) -> bool:
    for n in needles:
        if n in hay:
            return True
    return False


def _words_to_int(words: str) -> int | None:
    """``"two hundred fifty"`` → 250, ``"a grand"`` → 1000; None if not a number.

    Spoken prices without ``hundred``: ``"two fifty"`` → 250, ``"one twenty five"`` → 125,
    ``"twelve fifty"`` → 1250 (1–19 followed by a tens word is hundreds, as said aloud).
    """
    total = current = 0
    seen = False
    for w in re.split(r"[\s-]+", words.lower()):
        if w in ("and",):
            continue
        if w == "a":
            current = current or 1
        elif w in _W_ONES:
            if current and (current < 10 or current % 10):
                return None  # "five six", "twenty one two": not a number
            current += _W_ONES[w]
        elif w in _W_TENS:
            if 0 < current < 20:  # "two fifty", "twelve fifty"
                current *= 100
            elif current % 100:
                return None  # "fifty twenty"
            current += _W_TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in ("thousand", "grand"):
            total += (current or 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


_WORDS_ONLY = re.compile(rf"(?:a|{_W_NUM})(?:(?:\s+|-)(?:and\s+)?(?:{_W_NUM}|hundred|thousand|grand))*", re.I)


def words_amount(text: str) -> Decimal | None:
    """A reply that is nothing but English number words (``"fifty"``, ``"two fifty"``,
    ``"a hundred and fifty"``) → its value; else None. For the bot's "how much?" question,
    where a bare number is the amount (the classifier's ``ask_amount`` context)."""
    text = text.strip()
    if not _WORDS_ONLY.fullmatch(text) or text.lower() in ("a", "an"):
        return None
    n = _words_to_int(text)
    return Decimal(n) if n else None


def chinese_to_int(s: str) -> int | None:
    """Small Chinese numeral (0..99, e.g. ``十五``, ``二十一``, ``五``) → int; else None.

    Used for days, months, hours and counts, where importing cn2an is not worth it.
    Digit strings are accepted too (``"15"`` → 15).
    """
    if s.isdigit():
        return int(s)
    if not s:
        return None
    if "十" in s:
        head, _, tail = s.partition("十")
        if len(head) > 1 or len(tail) > 1:
            return None
        tens = _CN_VALUE.get(head, None) if head else 1
        ones = _CN_VALUE.get(tail, None) if tail else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    if len(s) == 1:
        return _CN_VALUE.get(s)
    # "二〇二六" style digit-by-digit
    if all(c in _CN_VALUE for c in s):
        return int("".join(str(_CN_VALUE[c]) for c in s))
    return None


def _decimal(num: str, k: str | None = None) -> Decimal | None:
    """``"1,250.00"`` → Decimal("1250.00"); with a ``k``/``w``/``万`` multiplier scaled."""
    try:
        value = Decimal(num.replace(",", ""))
    except InvalidOperation:
        return None
    if k:
        value = value * _CN_UNIT_VALUE[k.lower().strip()]
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return value


def _zh_number(s: str) -> Decimal | None:
    """A Chinese/mixed number → Decimal: ``两千六`` 2600, ``三万五`` 35000, ``1.5万`` 15000, ``3千5`` 3500."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万萬kw])?(\d)?", s, re.I)
    if m:
        value = _decimal(m.group(1))
        if value is None:
            return None
        if m.group(2):
            unit = _CN_UNIT_VALUE[m.group(2).lower()]
            value = value * unit
            if m.group(3):  # 3千5 → 3500 (next lower unit)
                value += int(m.group(3)) * (unit // 10)
            if value == value.to_integral_value():
                value = value.quantize(Decimal(1))
        return value
    if not any(c in _CN_UNITS for c in s) and len(s) > 1:
        return None  # "一二" is not a number we trust
    import cn2an  # lazy: ~0.3 s import

    try:
        return Decimal(int(cn2an.cn2an(s, "normal")))
    except Exception:  # cn2an raises ValueError and friends on odd input
        return None


def is_month_day(a: str, b: str) -> bool:
    """``12``-``20``: could the two numbers of a dash pair be a US month-day (1–12, 1–31,
    no decimals)? Such a pair with no currency sign or word is a date (``ill pay 12-20``),
    never an amount; ``50-100`` cannot be one and stays a range."""
    return a.isdigit() and b.isdigit() and 1 <= int(a) <= 12 and 1 <= int(b) <= 31 and len(b) <= 2


def _zh_money_like(s: str) -> bool:
    """A Chinese verb-context number must look like an amount: Arabic digits, or a
    numeral with a unit (五百, 两千六) — not a lone 一 (还一部分, 还一下)."""
    return any(c.isdigit() for c in s) or any(c in _CN_UNITS for c in s)


def find_amounts(text: str) -> list[AmountMatch]:
    """All money amounts in ``text``, in text order, non-overlapping.

    text: an SMS body, raw or normalised (case does not matter).
    Returns a list of :class:`AmountMatch`; empty when there is no money.
    """
    low = text.lower()
    words_possible = ("hundred" in low or "thousand" in low or "grand" in low or "dollar" in low
                      or "buck" in low or "usd" in low or "quid" in low or "pound" in low)
    tens_words = _TENS_WORD.search(low) is not None  # "pay one fifty"
    if not words_possible and not tens_words and not _ANY_NUMBER.search(text):
        return []
    cjk = _CJK.search(text) is not None
    fold = low if text.isascii() else text.translate(_IGNORECASE_FOLD).lower()
    found: list[AmountMatch] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(value: Decimal | None, vmax: Decimal | None, a: int, b: int, strong: bool) -> None:
        if value is None or not free(a, b):
            return
        if vmax is not None and vmax <= value:
            vmax = None
        taken.append((a, b))
        found.append(AmountMatch(value, vmax, a, b, strong))

    for m in _ZH_SPAN_RANGE.finditer(text) if cjk else ():
        add(_zh_number(m.group("a")), _zh_number(m.group("b")), m.start(), m.end(), bool(m.group("cur")))
    for m in _ZH_RANGE.finditer(text) if cjk else ():
        a, b = _CN_VALUE[m.group("a")], _CN_VALUE[m.group("b")]
        if b == a + 1:
            unit = _CN_UNIT_VALUE[m.group("u")]
            add(Decimal(a * unit), Decimal(b * unit), m.start(), m.end(), True)
    # before the currency regexes, which would take "$50" and "$100" apart
    if "between" in fold or "btwn" in fold or "from" in fold:
        for m in _BETWEEN.finditer(text):
            if m.group("c1") or m.group("c2") or m.group("cur") or m.group("verb"):
                add(_decimal(m.group("n"), m.group("k")), _decimal(m.group("n2"), m.group("k2")),
                    m.start() if not m.group("verb") else m.end("verb"), m.end(), True)
    currency_rxs = []
    if _any_in(_PREFIX_SIGNS, text) or _any_in(_PREFIX_CODES, fold):
        currency_rxs.append(_EN_CURRENCY_PREFIX)
    if _any_in(_SUFFIX_SIGNS, text) or _any_in(_SUFFIX_WORDS, fold):
        currency_rxs.append(_EN_CURRENCY_SUFFIX)
    for rx in currency_rxs:
        for m in rx.finditer(text):
            value = _decimal(m.group("n"), m.group("k"))
            vmax = _decimal(m.group("n2"), m.group("k2")) if m.group("n2") else None
            add(value, vmax, m.start(), m.end(), True)
    for m in _K_NUMBER.finditer(text) if ("k" in fold or "w" in fold or "万" in text or "grand" in fold
                                          or "hundred" in fold or "thousand" in fold) else ():
        if m.group("k") in ("w", "W") and not cjk:
            continue  # "2w" in English is two weeks; 5w = 50,000 only in Chinese slang
        add(_decimal(m.group("n"), m.group("k")), None, m.start(), m.end(), True)
    # Chinese numerals with a currency word (两千块, 五百元) are caught by the suffix
    # regex only for digits; handle CN numerals here.
    for m in _ZH_CN_CURRENCY.finditer(text) if cjk else ():
        if _zh_money_like(m.group("n")):
            add(_zh_number(m.group("n")), None, m.start(), m.end(), True)
    if words_possible:
        for m in _WORD_AMOUNT.finditer(text):
            w = m.group("w").lower()
            if not m.group("cur") and not any(u in w for u in ("hundred", "thousand", "grand")):
                continue
            if w in ("a", "one") and not m.group("cur"):
                continue
            n = _words_to_int(w)
            if n:
                add(Decimal(n), None, m.start(), m.end(), bool(m.group("cur")))
    for m in _EN_VERB_NUMBER.finditer(text) if _any_in(_VERB_STEMS, fold) else ():
        if m.group("n2") and m.group("sep") == "-" and not (m.group("k") or m.group("k2")) and is_month_day(
                m.group("n"), m.group("n2")):
            continue  # "pay 12-20": a date (dates.py), not $12-20
        vmax = _decimal(m.group("n2"), m.group("k2")) if m.group("n2") else None
        add(_decimal(m.group("n"), m.group("k")), vmax, m.start("n"), m.end(), False)
    for m in _EN_VERB_WORDS.finditer(text) if (tens_words or words_possible) and _any_in(_VERB_STEMS, fold) else ():
        n = _words_to_int(m.group("w"))
        if n and n >= 10:
            add(Decimal(n), None, m.start("w"), m.end("w"), False)
    for m in _EN_PERIOD_NUMBER.finditer(text) if _any_in(_PERIOD_WORDS, fold) else ():
        add(_decimal(m.group("n")), None, m.start("n"), m.end("n"), False)
    m = _EN_LEADING_NUMBER.search(text)
    if m:
        add(_decimal(m.group("n"), m.group("k")), None, m.start("n"), m.end("k") if m.group("k") else m.end("n"), False)
    for rx in (_ZH_VERB_NUMBER, _ZH_NUMBER_BEFORE_VERB, _ZH_BARE_BIG, _ZH_AFTER_COMMA) if cjk else ():
        for m in rx.finditer(text):
            n = m.group("n")
            if _zh_money_like(n):
                add(_zh_number(n), None, m.start("n"), m.end("n"), False)
    for m in _ZH_PERIOD_NUMBER.finditer(text) if cjk and ("每" in text or "一" in text) else ():
        g = "n" if m.group("n") else "n2"
        if _zh_money_like(m.group(g)):
            add(_zh_number(m.group(g)), None, m.start(g), m.end(g), False)
    if "cent" in fold or "¢" in text:
        found = [_with_cents(text, f) for f in found]
    found.sort(key=lambda x: x.start)
    return found


def _with_cents(text: str, f: AmountMatch) -> AmountMatch:
    """``sixty dollars and fifty cents``: the whole amount with its cents (60.50)."""
    m = _CENTS_AFTER.match(text, f.end)
    if f.value_max is not None or f.value != f.value.to_integral_value() or not m:
        return f
    c = m.group("c")
    cents = int(c) if c.isdigit() else _words_to_int(c)
    if cents is None or not 0 < cents < 100:
        return f
    return AmountMatch(f.value.quantize(Decimal(1)) + Decimal(cents).scaleb(-2), None, f.start, m.end(), f.strong)


def find_amount(text: str) -> AmountMatch | None:
    """The amount a reply is about: the first currency-marked one, else the first
    verb-context one, else None. ``text`` as for :func:`find_amounts`."""
    return pick_amount(find_amounts(text))


def pick_amount(matches: list[AmountMatch]) -> AmountMatch | None:
    """From :func:`find_amounts`' result: the first strong match, else the first one."""
    for m in matches:
        if m.strong:
            return m
    return matches[0] if matches else None
