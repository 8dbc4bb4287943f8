"""Dates and times of day in customer SMS replies (English and Chinese).

Pure functions: no I/O, no clock reads (the caller passes ``today``/``now``), no
logging. Rules (precompiled regexes) handle every form we know customers use;
``dateparser`` is a lazy fallback only for leftovers that still contain a strong
date token (a month name or a weekday), never for text without one.

Resolution is FUTURE-preferring (a reply usually promises), except when the
expression itself is past (``yesterday``, ``last week``, ``上周五``, ``昨天``) or
the sentence is in the past tense (``mailed a check monday``, ``sent it thru zelle
on 5/2``), in which case the most recent matching day on or before today is taken
and ``past`` is set.

Choices for ambiguous forms (documented contract, see also tests/test_dates.py):

* ``friday`` / ``fri`` / ``til monday``: the next occurrence strictly after today
  (on Monday, ``monday`` is a week away: ``give me til monday`` → +7d).
* ``this friday``: this Monday–Sunday week's Friday if not yet past, else the next one.
* ``next friday``: the Friday of NEXT calendar week (Monday-start), same as 下周五:
  on Mon 2026-11-30 → 2026-12-11 (on Sun 2026-12-06 → 2026-12-11 too). The corpus
  calls it ambiguous; the dialog should echo the date back for confirmation.
* ``friday after next``: next occurrence + 7 days.
* ``the 2nd`` / ``on the 15th`` / ``15号``: the next such day of month on or after
  today (today counts), skipping months that lack it (31st).
* ``12/18``, ``6/30``, ``10/3``: US month/day; without a year the next occurrence on
  or after today — ``10/3`` on 2026-11-30 is 2027-10-03 (it cannot be October 3rd
  2026 in a promise). With a year it is taken as written.
* ``next week`` / ``nxt wk`` / ``下周`` / ``next month`` / ``下个月``: ``has_date_words``
  only, no date (a range, not a day; the dialog asks which day).
* ``end of the month`` / ``eom`` / ``月底``: last day of this month (today if today is it).
* ``下个月初`` / ``first of next month``: the 1st of next month. ``月初`` alone: the
  next 1st on or after today. ``月中``: the next 15th.
* ``payday`` / ``next payday`` / ``发工资`` / ``get paid``: ``has_date_words``, no date.
* ``now`` / ``rn`` / ``现在`` / ``下班`` / ``今晚`` / ``tonight``: today.
* A time with no date (``两点半前``, ``12点之前``, ``after 5``): date is today when
  that time is still ahead of ``now`` locally, else tomorrow. Hours 1–7 without
  am/pm (or 上午/早上) are afternoon (``after 5`` → 17:00, ``两点半`` → 14:30);
  8–11 are morning; 12 is noon.
* ``下周五`` is next calendar week's Friday; ``这周三``/``本周三`` this week's (may be
  past: then ``past`` is set); plain ``周五`` this week's if today or later, else
  next week's (so, unlike English ``friday``, ``周一`` said on a Monday is today).
* ``asap`` / ``soon`` / ``in a few days`` / ``尽快`` / ``过几天`` / ``近期``:
  ``has_date_words`` only (no commitment to a day).
* ``a week from friday`` → next Friday + 7; ``end of the year`` / ``年底`` → Dec 31;
  ``christmas``, ``new year's``, ``thanksgiving`` → next occurrence;
  ``this weekend`` / ``周末`` → Saturday (``next weekend`` / ``下周末`` a week on).
* Chinese holidays: ``元旦`` 01-01, ``圣诞节`` 12-25, ``国庆`` / ``十一长假`` 10-01,
  ``五一`` 05-01, ``双十二`` 12-12 (next occurrence); ``春节`` / ``过年`` / ``除夕`` /
  ``元宵`` / ``中秋`` / ``端午`` from a lunar table (2025–2035; 春节 2027 is 2027-02-06).
  ``春节前`` is the holiday itself (a deadline); ``春节后`` / ``过完年`` / ``年后`` is a
  range: ``has_date_words`` only.
* ``等我三天`` / ``再等我两周`` / ``给我三天时间``: today + n days/weeks/months.
* ``12月底`` / ``1月初``: that month's last / first day, next occurrence
  (``11月底`` on 2026-11-30 is today).
* ``31/12/2026``: a first number above 12 can only be a day, read as day/month;
  ``24/7`` and fractions in money context (``pay 1/2 now``) are not dates.
* ``12-20``, ``12.15``: US month-day with a dash is a date after a date word (``on``, ``by``,
  ``til``…), right after a weekday (``fri 12-11``), as the whole reply (``12-18``) or with a
  year; right after a paying word (``ill pay 12-20``) only when it falls within ~3 months
  (``pay 5-10`` is neither a date nor, see amounts, money: the dialog asks). With a dot only
  after a date word (``on 12.15``) or as the whole reply with a two-digit day (``12.10``;
  the ``ask_amount`` context reads that as $12.10). A currency sign/word makes it money
  (``pay 12-15 dollars``, ``$12-15``); a count/time unit after it is neither (``2-3 days``,
  ``i work 9-5``).
* ``tuesday the 8th``, ``Friday Dec 11``, ``fri 12/11``: the explicit date wins over the
  weekday, also when they disagree (``friday the 10th`` → the 10th; the dialog echoes it).
* ``wed?``, ``wed.``, ``mon``: alone (or before ``or <weekday>``) a weekday; ``sat``/``sun``
  only as the whole reply or after ``pay``/``maybe``/``or`` (``i sat down``, ``in the sun``
  are not). Misspelt weekdays (``wensday``, ``thrusday``, ``fryday``, ``saterday``) are read
  within one edit (6-letter names) or two (longer), same first letter.
* ``1 week``, ``one week``, ``couple weeks``, ``maybe 3 days`` as the whole reply: from today
  (``in a week``); never inside a sentence (``sick for 3 days``, ``$40 a week``).
* ``mid december`` → the 15th, ``early december`` / ``beginning of jan`` → the 1st, ``end of
  december`` → the last day (next occurrence); ``late december`` and ``after the holidays``:
  ``has_date_words`` only (a range). ``the first`` / ``on the fifteenth``: day of month.
* ``christmas eve`` 12-24, ``new year's eve``/``nye`` 12-31, ``new year's (day)`` 1 January,
  ``black friday`` the day after Thanksgiving, ``labor day``, ``memorial day``,
  ``independence day``, ``halloween``, ``valentine's``: next occurrence on or after today.
* ``the day after christmas`` 12-26, ``the day before christmas`` 12-24 (a holiday ± 1 day);
  ``2 weeks from tomorrow`` / ``3 days from friday`` (count from that day); ``first of the
  year`` / ``beginning of next year`` → next 1 January; ``the 30th of next month`` / ``next month
  on the 3rd`` → that day of next month (``this month``: this one's, may be past); ``the week
  after next`` is a range (no day); ``sat morning`` / ``sun afternoon`` / ``wed night`` are weekdays.
* Chinese text is folded traditional → simplified (1:1, lexicon_zh.TRAD) before the rules:
  ``下個禮拜三`` = ``下个礼拜三``. Cantonese: ``聽日``/``聽朝``/``聽晚`` tomorrow, ``後日`` the day
  after, ``琴日``/``尋日``/``噚日`` yesterday, ``今日``/``今朝`` today, ``月尾`` / ``月頭`` end / start of month.
* A reply with both past and future cues is read clause by clause (``.?!;``, newline,
  ``, ``, `` but``): ``I already paid this on the 20th…, why am I still getting these?`` →
  the 20th in the past.
* Past tense (``paid``, ``sent``, ``mailed``, ``已经`` … and no future cue such as
  ``will``, ``can``, ``next``, ``要``) flips weekdays, ``m/d``, day-of-month and bare
  times to the most recent occurrence: ``paid at 3pm`` asked at 10:00 is yesterday.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .amounts import chinese_to_int
from .lexicon_zh import TRAD as _ZH_TRAD

__all__ = ["DateHit", "find_dates", "has_date_token", "resolve_fallback"]


@dataclass(frozen=True)
class DateHit:
    """One date or time expression.

    start, end: character span in the text.
    date: resolved local calendar date, or None for vague ones (``next week``, ``发工资``).
    time: local time of day if the expression gives one (``两点半`` → 14:30).
    past: the expression points to the past.
    kind: short rule id (``"weekday"``, ``"dom"``, ``"zh_time"``…) for the decision trace.
    """

    start: int
    end: int
    date: dt.date | None
    time: dt.time | None
    past: bool
    kind: str


# --- cheap pre-check ------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9'’]+")
_DIGIT = re.compile(r"\d")
_DIGIT_OR_ZH = re.compile(r"[\d年尽儘末近阵今明昨周週星礼禮号號日月天点點时時朝班工薪现現马馬立晚早午凌当:：节節旦诞誕夕宵秋庆慶五双雙]")
_ZH_DATE_CHAR = re.compile(r"[年尽儘末近阵今明昨周週星礼禮号號日月天点點时時朝班工薪现現马馬立晚早午凌当:：节節旦诞誕夕宵秋庆慶五双雙]")
_MONTH_WORDS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september "
    "oct october nov november dec december".split())
_WEEKDAY_WORDS = frozenset(
    "mon monday mondays tue tues tuesday tuesdays wed weds wednesday wednesdays thu thur thurs thursday "
    "thursdays fri friday fridays sat saturday saturdays sun sunday sundays".split())
_UNIT_WORDS = frozenset("day days week weeks wk wks month months mo mos mth".split())
_TODAY_WORDS = frozenset("today 2day tday tonight tonite rn now earlier later eod".split())
_HOLIDAY_WORDS = frozenset("christmas xmas x thanksgiving year years year's nye black independence halloween "
                           "valentines valentine valentine's memorial labor".split())
_PART_OF_DAY = frozenset("morning afternoon evening am pm".split())
_YESTERDAY_WORDS = frozenset("yesterday yday yest ystrdy".split())
_TOMORROW_PREFIX = ("tom", "2mo", "tmr", "2mr", "tmw")
_PAY_WORDS = frozenset("payday paycheck check paid pay".split())
_EN_DATE_WORDS = (_MONTH_WORDS | _WEEKDAY_WORDS | _UNIT_WORDS | _TODAY_WORDS | _YESTERDAY_WORDS
                  | _HOLIDAY_WORDS
                  | frozenset("weekend weekends eom eow eoy fortnight payday paycheck paid noon midday lunch "
                              "lunchtime while asap soon few holiday holidays".split())
                  # ordinal words ("on the first", "the fifteenth"): the dom_word rule
                  | frozenset("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
                              "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
                              "thirtieth".split()))


#: A word that may be a misspelt weekday (``wensday``, ``thrusday``, ``fryday``); see :func:`_weekday_typo`.
_WD_TYPO = r"[mtwfs][a-z]{1,8}d(?:a?y|ya)s?"
_WD_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday_typo(word: str) -> int | None:
    """A misspelt weekday → 0..6, else None: same first letter, within one edit (OSA, a
    transposition costs 1) of a 6-letter name (``fryday``, ``mondy``), two of a longer one
    (``wensday``, ``thrusday``, ``saterday``); a tie between two names is no answer.
    Real ``-day`` words (``today``, ``payday``, ``someday``, ``midday``) are further away."""
    w = word.lower()
    if w.endswith("ys") or w.endswith("yas"):
        w = w[:-1]
    if not 4 <= len(w) <= 10 or w in _WEEKDAYS_EN:
        return _WEEKDAYS_EN.get(w)
    from rapidfuzz.distance import OSA  # already loaded by the classifier's typo corrector

    best, best_d, tie = None, 99, False
    for i, name in enumerate(_WD_FULL):
        if name[0] != w[0]:
            continue
        d = OSA.distance(w, name)
        if d <= (1 if len(name) <= 6 else 2):
            if d < best_d:
                best, best_d, tie = i, d, False
            elif d == best_d:
                tie = True
    return None if tie else best


#: Real words shaped like a weekday typo, skipped without a distance computation.
_DAY_WORDS = frozenset("today payday paydays someday birthday holiday holidays midday everyday workday weekday "
                       "weekdays mayday sameday doomsday".split())
_WD_TYPO_SCAN = re.compile(rf"\b{_WD_TYPO}\b")


def _has_weekday_typo(low: str) -> bool:
    """Does the lower-case ``low`` hold a misspelt weekday? One regex scan; the distance is
    computed only for ``...day``-shaped words that are not weekdays already."""
    if "dy" not in low and "day" not in low and "dya" not in low:
        return False  # the usual case, two substring tests
    for m in _WD_TYPO_SCAN.finditer(low):
        w = m.group(0)
        if w not in _WEEKDAY_WORDS and w not in _DAY_WORDS and _weekday_typo(w) is not None:
            return True
    return False


def _features(text: str) -> tuple[str, frozenset[str] | set[str], bool, bool]:
    """(lowercased text, its word set, has a digit, has a Chinese date character)."""
    low = text.lower()
    return low, set(_WORD.findall(low)), _DIGIT.search(low) is not None, _ZH_DATE_CHAR.search(low) is not None


def _this_part_of_day(words) -> bool:
    """``this am`` / ``this morning``: "am" alone is far too common to trigger anything."""
    return "this" in words and not _PART_OF_DAY.isdisjoint(words)


def _has_tomorrow(words) -> bool:
    return any(w.startswith(_TOMORROW_PREFIX) for w in words)


def has_date_token(text: str) -> bool:
    """Cheap pre-check (two char-class searches, one word split, one set test):
    could ``text`` hold a date or time? False means no rule and no fallback can find one."""
    if _DIGIT_OR_ZH.search(text):
        return True
    low = text.lower()
    words = set(_WORD.findall(low))
    return (not _EN_DATE_WORDS.isdisjoint(words) or _has_tomorrow(words) or _this_part_of_day(words)
            or _has_weekday_typo(low))


# --- helpers ------------------------------------------------------------------------------

_WEEKDAYS_EN = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}
_WEEKDAYS_ZH = {"一": 0, "1": 0, "二": 1, "2": 1, "三": 2, "3": 2, "四": 3, "4": 3, "五": 4, "5": 4,
                "六": 5, "6": 5, "日": 6, "天": 6, "七": 6, "7": 6}
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_NUM_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
              "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
              "couple": 2, "a couple": 2, "a couple of": 2, "couple of": 2}


def _add_months(d: dt.date, n: int, day: int | None = None) -> dt.date:
    """``d`` moved ``n`` months; ``day`` (or d.day) clipped to the month's length."""
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    last = calendar.monthrange(y, m)[1]
    return dt.date(y, m, min(day or d.day, last))


def _end_of_month(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _next_dom(today: dt.date, day: int, past: bool) -> dt.date | None:
    """Next day-of-month ``day`` on/after today (or last one on/before today when past)."""
    if not 1 <= day <= 31:
        return None
    step = -1 if past else 1
    y, m = today.year, today.month
    for _ in range(14):
        if day <= calendar.monthrange(y, m)[1]:
            cand = dt.date(y, m, day)
            if (cand >= today) if not past else (cand <= today):
                return cand
        m += step
        if m == 13:
            y, m = y + 1, 1
        elif m == 0:
            y, m = y - 1, 12
    return None


def _month_day(today: dt.date, month: int, day: int, year: int | None, past: bool) -> dt.date | None:
    """Month/day (optional year) → date; without a year the next occurrence on/after
    today (or last on/before today when past). Invalid dates → None."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year is not None:
        if year < 100:
            year += 2000 if year <= (today.year % 100) + 10 else 1900
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    for offset in range(0, 9):  # 29 Feb may need up to 8 years
        y = today.year - offset if past else today.year + offset
        try:
            cand = dt.date(y, month, day)
        except ValueError:
            continue
        if (cand <= today) if past else (cand >= today):
            return cand
    return None


def _weekday_next(today: dt.date, wd: int) -> dt.date:
    """Next ``wd`` strictly after today (1..7 days on)."""
    return today + dt.timedelta(days=(wd - today.weekday()) % 7 or 7)


def _weekday_prev(today: dt.date, wd: int) -> dt.date:
    """Last ``wd`` strictly before today."""
    return today - dt.timedelta(days=(today.weekday() - wd) % 7 or 7)


def _week_start(today: dt.date, weeks: int = 0) -> dt.date:
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)


def _hour_24(h: int, ap: str | None) -> int | None:
    """12-hour clock + optional marker → 0..23. Without a marker 1–7 are pm, 12 is noon."""
    if ap:
        ap = ap.lower().replace(".", "")
        if ap in ("pm", "p", "下午", "晚上", "晚", "傍晚", "夜里", "今晚", "明晚"):
            return h + 12 if h < 12 else h
        if ap in ("中午",):
            return h + 12 if h < 6 else h
        if ap in ("am", "a", "上午", "早上", "早", "凌晨", "早晨", "今早", "明早"):
            return 0 if h == 12 else h
    if h > 23:
        return None
    if 1 <= h <= 7:
        return h + 12
    return h


# --- English rules -------------------------------------------------------------------------

_EN_PAST_CUE = frozenset(
    "paid sent mailed made went did was were already transferred posted submitted cleared wired dropped "
    "deposited zelled venmoed ago had".split())
_EN_FUTURE_CUE = frozenset(
    "will ill i'll i’ll gonna going can can't can’t cant could by til till until next nxt shall promise plan "
    "want wanna let give get gets getting paying pay send sending".split())
_ZH_PAST_CUE = re.compile(r"已经|已|昨|前天|上周|上个?月|上星期|上礼拜")
_ZH_FUTURE_CUE = re.compile(r"会|要|准备|打算|就|再|下|明|后天|之前|前还|可以")

_WD_ALT = (r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
           r"|tues|weds|thurs|thur|tue|thu|fri")
_WD_AMBIG = r"mon|wed|sat|sun"  # need a modifier ("on sat"), else words like "sat", "sun", "c'mon"
_MOD = r"next|nxt|this|last|coming|this\s+coming|on|by|til|till|until|before|after|b4|for|from|thru|through"
_MONTH_ALT = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
              r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_ORD = r"(?:st|nd|rd|th)"
_NOT_ORD_NOUN = (r"(?!\s+(?:payment|pmt|time|installment|instalment|notice|letter|card|one|option|plan"
                 r"|floor|place|call|text|message|grade|try|attempt|account|acct|reminder|year|yr)s?\b)")

_ORD_WORDS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split())}
_ORD_WORDS.update({f"twenty{sep}{w}": 20 + n for sep in ("-", " ", "") for w, n in list(_ORD_WORDS.items())[:9]})
_ORD_WORDS.update({"thirtieth": 30, "thirty-first": 31, "thirty first": 31, "thirtyfirst": 31})
_ORD_WORD_ALT = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _ORD_WORDS), key=len, reverse=True))
_ORD_PARTS = frozenset(w for k in _ORD_WORDS for w in re.split(r"[\s-]", k))
_MD_QUICK = re.compile(r"\d[-.]\d")
#: Where a dash/dot month-day (``12-20``, ``12.15``) is a date: after these words, or as the
#: whole reply (``12-18``), or right after a weekday (``fri 12-11``).
_MD_PREP = re.compile(r"(?:\b(?:on|by|til|till|until|before|after|due|thru|through|for|b4|from|date|is)\s*"
                      r"|^\s*(?:(?:maybe|ok|okay|k|how\s+about|prob|probably|say|like)\s+)*"
                      r"|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)$", re.I)
_MD_PAY = re.compile(r"\b(?:pay|paying|send|sending|pmt|payment)\s*$", re.I)
_MD_NOT_AFTER = (r"(?![\d/-]|[.,]\d|\s*(?:k\b|%|\$|dollars?\b|bucks?\b|usd\b|[ap]\.?m\b|days?\b|weeks?\b|wks?\b"
                 r"|months?\b|mos?\b|hours?\b|hrs?\b|mins?\b|minutes?\b|years?\b|yrs?\b|times\b|x\b|payments?\b"
                 r"|pmts?\b|people\b|ppl\b|kids\b|(?:a|per|each|every|/)\s*(?:week|wk|month|mo)))")

_MOD_BEFORE = re.compile(rf"\b(?P<mod>{_MOD})\s+$", re.I)  # "next fryday": the modifier of a weekday typo

_EN_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    ("mdy", re.compile(r"(?<![\d/.$£¥€,#-])(?P<m>3[01]|[12]\d|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])"
                       r"(?:/(?P<y>\d{4}|\d{2}))?(?![\d/]|\.\d)")),
    # US month-day with a dash (``12-20``, ``12-18-26``) or a dot (``12.15``): see _MD_PREP
    ("mdy_dash", re.compile(r"(?<![\d/.$£¥€,#-])(?P<m>1[0-2]|0?[1-9])(?P<sep>[-.])(?P<d>3[01]|[12]\d|0?[1-9])"
                            r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?" + _MD_NOT_AFTER, re.I)),
    # ``mid december``, ``early jan``, ``end of december``, ``late dec`` (a range: no date)
    ("month_part", re.compile(rf"\b(?P<pos>mid|middle\s+of|early|beginning\s+of|begining\s+of|start\s+of"
                              rf"|(?:the\s+)?end\s+of|late)[\s-]*(?:the\s+month\s+of\s+)?(?P<mon>{_MONTH_ALT})\b"
                              r"(?!\s*\d)", re.I)),
    ("month_day", re.compile(rf"\b(?P<mon>{_MONTH_ALT})\.?\s+(?:the\s+)?(?P<d>3[01]|[12]\d|0?[1-9]){_ORD}?\b"
                             rf"(?:,?\s+(?P<y>\d{{4}}))?", re.I)),
    ("day_month", re.compile(rf"\b(?:the\s+)?(?P<d>3[01]|[12]\d|0?[1-9]){_ORD}?\s+(?:of\s+)?(?P<mon>{_MONTH_ALT})\b"
                             rf"(?:,?\s+(?P<y>\d{{4}}))?", re.I)),
    ("eom", re.compile(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<next>next\s+)?(?:month|mo|mth)\b"
                       r"|eom\b|month[\s-]end\b)", re.I)),
    ("bom", re.compile(r"\b(?:the\s+)?(?:first|1st|beginning|start|begining)\s+of\s+(?:the\s+|next\s+)?(?:month|mo)\b"
                       r"|\bearly\s+next\s+month\b", re.I)),
    ("mid_month", re.compile(r"\b(?:mid[\s-]?month|middle\s+of\s+(?:the\s+)?month)\b", re.I)),
    # "the 30th of next month", "next month on the 3rd", "the 5th this month": that month's day
    ("dom_month", re.compile(rf"\b(?:(?:the\s+)?(?P<d>3[01]|[12]\d|0?[1-9]){_ORD}\s+(?:of\s+)?(?P<which>next|nxt|this)\s+(?:month|mo|mth)\b"
                             rf"|(?P<which2>next|nxt|this)\s+(?:month|mo|mth),?\s+(?:on\s+)?the\s+(?P<d2>3[01]|[12]\d|0?[1-9]){_ORD}?\b)", re.I)),
    ("dom", re.compile(rf"(?:\bthe\s+)?(?<![\d/$])\b(?P<d>3[01]|[12]\d|0?[1-9])\s?{_ORD}\b{_NOT_ORD_NOUN}", re.I)),
    ("dom_word", re.compile(r"(?:(?<=\bon )|(?<=\bby )|(?<=\btil )|(?<=\btill )|(?<=\buntil )|(?<=\bbefore )"
                            r"|(?<=\bafter )|^\s*)the\s+(?P<w>" + _ORD_WORD_ALT + r")\b" + _NOT_ORD_NOUN
                            + r"(?!\s+(?:thing|step|of\s+(?:the\s+)?(?:month|mo)))", re.I)),
    ("dom_bare", re.compile(r"(?:(?<=\bon )|(?<=\bby )|(?<=\btil )|(?<=\btill )|(?<=\buntil )|(?<=\bbefore )|(?<=\bafter ))"
                           r"the\s+(?P<d>3[01]|[12]\d|0?[1-9])\b(?![/:.]\d)", re.I)),
    ("rel_ago", re.compile(r"\b(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?couple(?:\s+of)?|few)\s+"
                           r"(?P<u>days?|weeks?|wks?|months?|mos?)\s+ago\b", re.I)),
    ("rel_in", re.compile(r"\b(?:in|within|another|give\s+me|gimme|need|wait)\s+(?:(?:like|about|around|maybe|another)\s+)?"
                          r"(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few)\s+"
                          r"(?P<u>days?|weeks?|wks?|months?|mos?)\b"
                          r"|\b(?P<n2>\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|couple(?:\s+of)?)\s+"
                          r"(?P<u2>days?|weeks?|wks?|months?|mos?)\s+from\s+(?:now|today)\b", re.I)),
    # single spaces only: "$40 a week" reaches the rules as "    a week" (amount blanked), a period
    ("rel_bare", re.compile(r"^(?:(?:maybe|like|about|around|prob|probably|ok|okay|k|another|um+|uh+),? )*"
                            r"(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a )?couple(?: (?:of|more))?"
                            r"|(?:a )?few) (?:more )?(?P<u>days?|weeks?|wks?|months?|mos?)\b"
                            r"(?=\s*(?:or\s+(?:so|two|less|more)\s*)?(?:tops\s*|max\s*)?[.?!]*\s*$)", re.I)),
    ("fortnight", re.compile(r"\b(?:in\s+)?a\s+fortnight\b", re.I)),
    ("week_from", re.compile(rf"\b(?:(?:a|one|1)\s+(?:week|wk)|(?P<n>\d{{1,2}}|two|three|four|five|six|couple(?:\s+of)?|a\s+couple(?:\s+of)?)"
                             rf"\s+(?P<u>days?|weeks?|wks?))\s+from\s+(?:(?P<wd>{_WD_ALT}|mon|wed|sat|sun)|(?P<tm>tomorrow|tmrw?))\b", re.I)),
    ("eoy", re.compile(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year|eoy|year[\s-]end)\b", re.I)),
    # "first of the year", "the beginning of next year": 1 January (next one)
    ("boy", re.compile(r"\b(?:the\s+)?(?:first|1st|beginning|begining|start)\s+of\s+(?:the\s+|next\s+)?(?:new\s+)?year\b", re.I)),
    # "the day after christmas" 12-26, "the day before thanksgiving": the holiday ± 1 day
    ("holiday", re.compile(r"\b(?:(?:the\s+)?day\s+(?P<hdir>after|before|b4)\s+)?(?:(?:christmas|xmas|x-mas)(?:\s+(?P<xeve>eve)\b|\s+day\b)?"
                           r"|new\s+year'?s?\s+(?P<nye>eve)\b|(?P<nye2>nye)\b|new\s+year'?s(?:\s+day)?|new\s+year\s+day"
                           r"|thanksgiving(?:\s+day)?|(?P<bf>black\s+friday)|independence\s+day|halloween"
                           r"|valentine'?s?(?:\s+day)?|memorial\s+day|labor\s+day)\b", re.I)),
    ("asap", re.compile(r"\b(?:asap|as\s+soon\s+as\s+(?:possible|i\s+can)|soon|in\s+a\s+few\s+days|a\s+few\s+days)\b", re.I)),
    ("day_after_tomorrow", re.compile(r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw?|2moro\w*)\b", re.I)),
    ("weekday", re.compile(
        rf"(?<!['’])\b(?:(?P<mod>{_MOD})\s+)?(?P<wd>{_WD_ALT})s?\b(?P<after>\s+after\s+next)?"
        rf"|\b(?P<mod2>{_MOD})\s+(?P<wd2>{_WD_AMBIG})\b(?P<after2>\s+after\s+next)?"
        rf"|(?<!['’])\b(?P<wd3>mon|wed)\b(?=\s*[.?!]*\s*$|\s+(?:morning|morn|afternoon|evening|night|nite)\b|\s*(?:or|and|/|,)\s*(?:{_WD_ALT}|mon|wed|sat|sun)\b)"
        , re.I)),
    # "sat", "sun" only as the whole reply, after a paying word or an amount, or before "or <weekday>"; read as "weekday"
    ("weekday_sat_sun", re.compile(
        # ... or after a blanked amount ("ill send 40 sat": the amount is spaces here)
        rf"(?:^\s*|(?<=\bmaybe )|(?<=\bpay )|(?<=\bpaying )|(?<=\bsend )|(?<=\bok )|(?<=\bdo )|(?<=\bor )|(?<=   ))"
        rf"(?P<wd5>sat|sun)\b(?=\s*[.?!]*\s*$|\s+(?:morning|morn|afternoon|evening|night|nite|am|pm)\b|\s*(?:or|and|/|,)\s*(?:{_WD_ALT}|mon|wed|sat|sun)\b)", re.I)),
    # "wensday", "thrusday", "fryday" (see _weekday_typo); read as "weekday"
    ("weekday_typo", re.compile(rf"(?<!['’])\b(?P<wdt>{_WD_TYPO})\b", re.I)),
    ("tomorrow", re.compile(r"\b(?:tomorrow|tmrw?|tmrow|tomoro\w*|tomm?or+ow|2mor+o\w*|2mrw|tmw)\b", re.I)),
    ("yesterday", re.compile(r"\b(?:yesterday|yday|yest|ystrdy)\b", re.I)),
    ("today", re.compile(r"\b(?:today|2day|tday|tonight|tonite|rn|right\s+now|now|this\s+(?:morning|afternoon|evening|am|pm)"
                         r"|earlier\s+today|later\s+today|end\s+of\s+(?:the\s+)?day|eod)\b", re.I)),
    ("weekend", re.compile(r"\b(?:(?P<mod>this|next|nxt|last|the|on\s+the|over\s+the|by\s+the)\s+)?week[\s-]?end\b", re.I)),
    ("eow", re.compile(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<next>next\s+)?(?:week|wk)|eow)\b", re.I)),
    ("week_vague", re.compile(r"\b(?:the\s+)?(?:week|wk)\s+after\s+(?:next|this\s+one)\b"  # a range: no day
                              r"|\b(?P<mod>next|nxt|this|last|the\s+following)\s+(?:week|wk)s?\b", re.I)),
    ("month_vague", re.compile(r"\b(?P<mod>next|nxt|this|last|the\s+following)\s+(?:month|mo|mth)\b", re.I)),
    ("holidays", re.compile(r"\b(?:after|over|during|before|past|by|til|till|until|around)\s+the\s+holidays?\b", re.I)),
    ("payday", re.compile(r"\b(?:(?:next\s+)?pay\s?day|pay\s?check|next\s+check|(?:get|gets|getting)\s+paid)\b", re.I)),
    ("past_vague", re.compile(r"\b(?:the\s+other\s+day|earlier|a\s+while\s+(?:ago|back))\b", re.I)),
    ("month_only", re.compile(r"\b(?:in|by|until|til|till|before|after)\s+(?P<mon>january|february|march|april|june|july"
                              r"|august|september|october|november|december|jan|feb|apr|aug|sept?|oct|nov|dec)\b", re.I)),
]

_FRACTIONS = {(1, 2), (1, 3), (1, 4), (2, 3), (3, 4)}
_FRACTION_BEFORE = re.compile(r"\b(?:pay|do|send|about|only|like|least|half|give|take|put)\s*$", re.I)
_FRACTION_AFTER = re.compile(r"^\s*(?:now|of|the|today|up|down|payment|pmt|balance|amount|owed|then|first|and)\b", re.I)


def _looks_like_fraction(text: str, m: re.Match[str]) -> bool:
    """``pay 1/2 now``, ``1/2 of the balance``: a fraction, not January 2nd."""
    return bool(_FRACTION_BEFORE.search(text, 0, m.start()) or _FRACTION_AFTER.match(text[m.end():]))


#: Non-ASCII letters ``re.I`` matches to ASCII ones (İ ı → i, K → k, ſ → s), folded in the
#: text the gates read (``f``) so a literal gate never skips a case-insensitive match.
_IGNORECASE_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"})
#: Literals one of which every "clock" match holds besides a ":" (am/pm or a preposition).
_CLOCK_CUES = ("am", "pm", "a.m", "p.m", "at", "after", "before", "around", "b4", "bfr", "by")

#: Per rule: could it match? ``w`` the text's lower-case word set, ``d`` has a digit, ``f``
#: the folded lower-case text (literal checks: every match of the rule contains one of them).
_EN_GATES = {
    "iso": lambda w, d, f: d and "-" in f,
    "mdy": lambda w, d, f: d and "/" in f,
    "mdy_dash": lambda w, d, f: d and ("-" in f or "." in f) and _MD_QUICK.search(f) is not None,
    "month_part": lambda w, d, f: not _MONTH_WORDS.isdisjoint(w),
    "dom_word": lambda w, d, f: "the" in w and not _ORD_PARTS.isdisjoint(w),
    "rel_bare": lambda w, d, f: len(w) <= 8 and not _UNIT_WORDS.isdisjoint(w),
    "month_day": lambda w, d, f: d and not _MONTH_WORDS.isdisjoint(w),
    "day_month": lambda w, d, f: d and not _MONTH_WORDS.isdisjoint(w),
    "eom": lambda w, d, f: "eom" in w or "month" in w or "mo" in w or "mth" in w,
    "bom": lambda w, d, f: "month" in w or "mo" in w,
    "mid_month": lambda w, d, f: "month" in w or any(x.startswith("mid") for x in w),
    "dom_month": lambda w, d, f: d and ("month" in w or "mo" in w or "mth" in w),
    "dom": lambda w, d, f: d and ("st" in f or "nd" in f or "rd" in f or "th" in f),
    "dom_bare": lambda w, d, f: d and "the" in f,
    "rel_ago": lambda w, d, f: "ago" in w,
    "rel_in": lambda w, d, f: not _UNIT_WORDS.isdisjoint(w),
    "fortnight": lambda w, d, f: "fortnight" in w,
    "week_from": lambda w, d, f: "from" in w and not _UNIT_WORDS.isdisjoint(w),
    "eoy": lambda w, d, f: "year" in w or "eoy" in w,
    "boy": lambda w, d, f: "year" in w and "of" in w,
    "holiday": lambda w, d, f: not _HOLIDAY_WORDS.isdisjoint(w),
    "asap": lambda w, d, f: "asap" in w or "soon" in w or "few" in w,
    "day_after_tomorrow": lambda w, d, f: "day" in w,
    "weekday": lambda w, d, f: not _WEEKDAY_WORDS.isdisjoint(w),
    "weekday_sat_sun": lambda w, d, f: "sat" in w or "sun" in w,
    "weekday_typo": lambda w, d, f: _has_weekday_typo(f),
    "tomorrow": lambda w, d, f: _has_tomorrow(w),
    "yesterday": lambda w, d, f: not _YESTERDAY_WORDS.isdisjoint(w),
    "today": lambda w, d, f: not _TODAY_WORDS.isdisjoint(w) or "day" in w or _this_part_of_day(w),
    "weekend": lambda w, d, f: any(x.startswith("weekend") for x in w) or "week" in w,
    "eow": lambda w, d, f: "eow" in w or "week" in w or "wk" in w,
    "week_vague": lambda w, d, f: not _UNIT_WORDS.isdisjoint(w),
    "month_vague": lambda w, d, f: not _UNIT_WORDS.isdisjoint(w),
    "holidays": lambda w, d, f: "holidays" in w or "holiday" in w,
    "payday": lambda w, d, f: not _PAY_WORDS.isdisjoint(w),
    "past_vague": lambda w, d, f: "day" in w or "earlier" in w or "while" in w,
    "month_only": lambda w, d, f: not _MONTH_WORDS.isdisjoint(w),
    "noon": lambda w, d, f: "noon" in w or "midday" in w or "lunch" in w or "lunchtime" in w,
    "clock": lambda w, d, f: d and (":" in f or any(c in f for c in _CLOCK_CUES)),
}

_EN_TIME_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("noon", re.compile(r"\b(?:(?P<prep>at|by|after|before|around|til|till|until|b4)\s+)?(?:noon|midday|lunch\s?time)\b", re.I)),
    ("clock", re.compile(
        r"\b(?:(?P<prep>at|by|after|before|around|til|till|until|b4|bfr)\s+)?(?P<h>[01]?\d|2[0-3])(?::(?P<mi>[0-5]\d))\s*(?P<ap>[ap]\.?m\.?)?(?![\d:])"
        r"|\b(?:(?P<prep2>at|by|after|before|around|til|till|until|b4|bfr)\s+)?(?P<h2>1[0-2]|0?[1-9])\s*(?P<ap2>[ap]\.?m\b\.?)"
        r"|\b(?P<prep3>at|after|before|around|b4|bfr|by)\s+(?P<h3>1[0-2]|0?[1-9])\b(?![/:.,\d]|\s*(?:st|nd|rd|th|days?|weeks?|wks?|months?"
        r"|mos?|yrs?|years?|payments?|pmts?|dollars?|bucks?)\b|\s*[$%]|k\b)",
        re.I)),
]

# --- Chinese rules --------------------------------------------------------------------------

_ZN = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
_ZH_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("zh_ymd", re.compile(rf"(?:(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年)?"
                          rf"(?:(?P<mpre>下下个?月|下个?月|这个?月|本月|上个?月)的?|(?P<m>{_ZN})月份?的?)?"
                          rf"(?P<d>{_ZN})(?:号|號|日)(?!元)")),
    ("zh_month_pos", re.compile(rf"(?:(?P<pre>下下个?|下个?|这个?|本|上个?)|(?P<m>{_ZN}))?月(?P<pos>底|末|初|中|尾|头)")),
    ("zh_year_end", re.compile(r"(?P<pre>明|今)?年(?:底|末)")),
    ("zh_weekend", re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)?(?:周末|週末|礼拜六日)")),
    ("zh_weekday", re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上上个?|上个?)?(?:周|週|星期|礼拜|禮拜)(?P<d>[一二三四五六日天七1-7])")),
    ("zh_rel", re.compile(rf"(?:过|再过)?(?P<n>{_ZN}|半)\s*(?P<u>天|日|周|週|个星期|個星期|星期|个礼拜|礼拜|个月|個月)"
                          r"(?P<dir>后|後|以后|之后|以後|之後|内|以内|前|以前|之前)?")),
    # Cantonese (traditional folded first): 聽日/聽朝/聽晚 tomorrow, 後日 the day after, 琴日/尋日/噚日
    # yesterday, 今朝 this morning, 前日 the day before yesterday
    ("zh_day", re.compile(r"大后天|大前天|今天|今日|今儿|今晚|今早|今夜|今朝|明天|明日|明儿|明早|明晚|后天|後天|昨天|昨日|昨晚|昨儿|前天"
                          r"|听日(?!本|语|文|记)|听朝|听晚|大后日|(?<![以之然最往随落背午今])后日(?!子|常)|琴日|琴晚|寻日|尋日|噚日|(?<![之以月号日])前日(?!子)")),
    ("zh_now", re.compile(r"现在|現在|马上|馬上|立刻|立即|立马|这就|当天|下班|晚上|今天内")),
    ("zh_soon", re.compile(r"尽快|儘快|过几天|過幾天|这几天|这两天|近期|过段时间|过一阵|晚些时候|改天")),
    ("zh_week_vague", re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)(?:周|週|星期|礼拜|禮拜)")),
    ("zh_month_vague", re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)月")),
    ("zh_payday", re.compile(r"发工资|發工資|发薪|發薪|工资到|工资下来|开工资|开支|发钱|出粮|领工资")),
    # holidays: fixed ones the next occurrence, lunar ones from _LUNAR; "after the holiday"
    # (春节后, 过完年, 年后) is a range: has_date_words only
    ("zh_holiday", re.compile(r"(?P<h>元旦|圣诞节?|聖誕節?|平安夜|春节|春節|过年|過年|大年初一|除夕|大年三十|年三十|元宵节?|元宵節|中秋节?|中秋節|"
                              r"国庆节?|國慶節?|十一(?:假期|长假|黄金周)|(?<![一二三四五六七八九十百千万0-9周期拜])五一(?![一二三四五六七八九十百千万0-9点号日个块元定起])|劳动节|勞動節|端午节?|端午節|情人节|情人節|双十一|双十二|雙十一|雙十二)"
                              r"(?P<after>后|後|以后|之后|过后|假期后|节后)?")),
    ("zh_after_holiday", re.compile(r"过完年|過完年|年后|年後|节后|節後")),
    # 等我三天, 再等我两周, 给我三天时间: a wait of n days from today
    ("zh_wait", re.compile(rf"(?:再)?(?:等我|等等我|再等|等|给我|宽限我?)(?:再)?(?P<n>{_ZN})\s*(?P<u>天|日|周|週|个星期|個星期|星期|个礼拜|礼拜|个月|個月)")),
]
_ZH_TIME = re.compile(
    rf"(?P<ap>上午|早上|早晨|中午|下午|傍晚|晚上|凌晨)?(?P<h>{_ZN})(?:点|點|时|時|:|：)"
    r"(?P<mi>半|一刻|三刻|[0-5]?\d分?|[一二三四五][十]?[一二三四五六七八九]?分?)?(?P<pre>前|之前|以前|后|之后|以后)?"
)

# The am/pm word may already be taken by a date rule (今晚8点, 明天下午3点): look in the raw text.
_ZH_AP_BEFORE = re.compile(r"(上午|早上|早晨|中午|下午|傍晚|晚上|凌晨|今晚|明晚|今早|明早|早|晚)\s*$")

_ZH_GATES = {
    "zh_ymd": "号號日",
    "zh_month_pos": "月",
    "zh_year_end": "年",
    "zh_weekend": "末日",
    "zh_soon": "尽儘几幾两近段阵些改",
    "zh_weekday": "周週期拜",
    "zh_rel": "天日周週期拜月",
    "zh_day": "天日晚早夜儿朝",
    "zh_now": "现現马馬立这当班晚",
    "zh_week_vague": "周週期拜",
    "zh_month_vague": "月",
    "zh_payday": "工薪支钱粮",
    "zh_holiday": "旦诞誕夜节節年夕宵秋庆慶一午双雙",
    "zh_after_holiday": "年节節",
    "zh_wait": "等给宽",
}

#: Lunar-calendar holidays (Gregorian date by year): 春节 (正月初一), 端午 (五月初五),
#: 中秋 (八月十五). Outside these years a lunar holiday is a vague date (no day).
_LUNAR = {
    "春节": {2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3),
             2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8)},
    "端午": {2025: (5, 31), 2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16), 2030: (6, 5),
             2031: (6, 24), 2032: (6, 12), 2033: (6, 1), 2034: (6, 20), 2035: (6, 10)},
    "中秋": {2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12),
             2031: (10, 1), 2032: (9, 19), 2033: (9, 8), 2034: (9, 27), 2035: (9, 16)},
}
#: Holiday word → (month, day) fixed, or (lunar key, day offset).
_ZH_HOLIDAYS = {
    "元旦": (1, 1), "圣诞": (12, 25), "聖誕": (12, 25), "平安夜": (12, 24), "国庆": (10, 1), "國慶": (10, 1),
    "十一": (10, 1), "五一": (5, 1), "劳动节": (5, 1), "勞動節": (5, 1), "情人节": (2, 14), "情人節": (2, 14),
    "双十一": (11, 11), "雙十一": (11, 11), "双十二": (12, 12), "雙十二": (12, 12),
    "春节": ("春节", 0), "春節": ("春节", 0), "过年": ("春节", 0), "過年": ("春节", 0), "大年初一": ("春节", 0),
    "除夕": ("春节", -1), "大年三十": ("春节", -1), "年三十": ("春节", -1), "元宵": ("春节", 14),
    "中秋": ("中秋", 0), "端午": ("端午", 0),
}


def _zh_holiday(word: str, today: dt.date, past: bool) -> dt.date | None:
    """A Chinese holiday's next occurrence on/after today (last on/before when past)."""
    key = next((k for k in _ZH_HOLIDAYS if word.startswith(k)), None)
    if key is None:
        return None
    a, b = _ZH_HOLIDAYS[key]
    if isinstance(a, int):
        return _month_day(today, a, b, None, past)
    years = range(today.year, today.year - 2, -1) if past else range(today.year - 1, today.year + 2)
    for y in years:
        md = _LUNAR[a].get(y)
        if md is None:
            continue
        d = dt.date(y, *md) + dt.timedelta(days=b)
        if (d <= today) if past else (d >= today):
            return d
    return None

_ZH_GATE_SETS = {kind: frozenset(chars) for kind, chars in _ZH_GATES.items()}

_ZH_PREFIX_WEEKS = {"下下": 2, "下": 1, "这": 0, "本": 0, "上上": -2, "上": -1}


def _prefix_n(pre: str | None) -> int | None:
    """``下下个`` → 2, ``下个`` → 1, ``这个``/``本`` → 0, ``上个`` → -1, None → None."""
    if not pre:
        return None
    pre = pre.rstrip("个個月")
    return _ZH_PREFIX_WEEKS.get(pre)


def _en_count(word: str | None) -> int | None:
    if word is None:
        return None
    word = re.sub(r"\s+", " ", word.lower().strip())
    if word.isdigit():
        return int(word)
    if "few" in word:
        return None
    return _NUM_WORDS.get(word, 2 if "couple" in word else None)


def _unit_days(unit: str) -> tuple[int, int]:
    """English/Chinese unit → (days, months) per 1."""
    u = unit.lower()
    if u.startswith(("day",)) or u in ("天", "日"):
        return 1, 0
    if u.startswith(("week", "wk")) or u in ("周", "週", "个星期", "個星期", "星期", "个礼拜", "礼拜"):
        return 7, 0
    return 0, 1


#: Where a clause ends: a sentence stop before a space, a newline, a comma before a space, " but".
_CLAUSE_END = re.compile(r"[.?!;]+(?=\s|$)|\n|,(?=\s)|\s(?=but\s)", re.I)


def _clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses of ``text`` (only those holding a word character)."""
    spans, a = [], 0
    for m in _CLAUSE_END.finditer(text):
        spans.append((a, m.end()))
        a = m.end()
    spans.append((a, len(text)))
    return [(a, b) for a, b in spans if any(c.isalnum() for c in text[a:b])]


def find_dates(text: str, *, today: dt.date, now_time: dt.time, lang: str = "en") -> list[DateHit]:
    """Every date/time expression in ``text`` resolved against the customer's ``today``.

    text: the SMS body with amount spans already blanked out (same length, so spans
        stay valid in the original); raw or normalised.
    today: the customer's local date; now_time: the customer's local time of day
        (used only to decide whether a bare time means today or tomorrow).
    lang: ``"en"`` or ``"zh"`` (both scripts are searched whatever it says).
    Returns hits sorted by start, non-overlapping (earlier rules win overlaps).
    """
    low, words, digit, zh_chars = _features(text)
    if not (digit or zh_chars or not _EN_DATE_WORDS.isdisjoint(words) or _has_tomorrow(words)
            or _this_part_of_day(words) or _has_weekday_typo(low)):
        return []
    hits: list[DateHit] = []
    masked = text
    has_cjk = zh_chars and any("\u4e00" <= c <= "\u9fff" for c in text)
    en_past = not _EN_PAST_CUE.isdisjoint(words) and _EN_FUTURE_CUE.isdisjoint(words)
    if not en_past and not has_cjk and not _EN_PAST_CUE.isdisjoint(words):
        # past and future cues in one reply ("I already paid this on the 20th…, why am I still
        # getting these?"): each clause is read in its own tense
        clauses = _clauses(text)
        if len(clauses) > 1:
            out: list[DateHit] = []
            for a, b in clauses:
                out.extend(DateHit(h.start + a, h.end + a, h.date, h.time, h.past, h.kind)
                           for h in find_dates(text[a:b], today=today, now_time=now_time, lang=lang))
            return out
    zh_past = has_cjk and bool(_ZH_PAST_CUE.search(text)) and not _ZH_FUTURE_CUE.search(text)
    past_ctx = en_past or zh_past

    def take(m: re.Match[str], date: dt.date | None, time: dt.time | None = None,
             past: bool = False, kind: str = "", span: tuple[int, int] | None = None) -> None:
        nonlocal masked
        a, b = span or m.span()
        if date is not None and date < today:
            past = True
        hits.append(DateHit(a, b, date, time, past, kind))
        masked = masked[:a] + " " * (b - a) + masked[b:]

    if has_cjk:
        masked = masked.translate(_ZH_TRAD)  # 下個禮拜三, 聽日, 後日: 1:1, spans unchanged
        _zh_rules(masked, today, now_time, past_ctx, take, lambda: masked)
    if digit or words:
        fold = low if text.isascii() else text.translate(_IGNORECASE_FOLD).lower()
        _en_rules(words, digit, fold, today, now_time, past_ctx, take, lambda: masked)
    hits.sort(key=lambda h: h.start)
    if len(hits) > 1:
        hits = _merge_weekday(text, hits)
    return hits


def _nth_weekday(year: int, month: int, wd: int, n: int) -> dt.date:
    """The ``n``-th weekday ``wd`` (0=Monday) of a month; ``n=-1`` the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return last - dt.timedelta(days=(last.weekday() - wd) % 7)


def _holiday(w: str, g: dict, today: dt.date) -> dt.date | None:
    """A US holiday's next occurrence on or after today (today counts). The eves are the
    day before (``christmas eve`` 12-24, ``new year's eve`` 12-31); ``black friday`` the day
    after Thanksgiving (fourth Thursday of November); ``thanksgiving`` said after it is
    next year's; ``new year's`` is 1 January (so said in December, next year's)."""
    def nxt(fn) -> dt.date:
        d = fn(today.year)
        return d if d >= today else fn(today.year + 1)

    if g.get("xeve"):
        return _month_day(today, 12, 24, None, False)
    if g.get("nye") or g.get("nye2"):
        return _month_day(today, 12, 31, None, False)
    if g.get("bf"):
        return nxt(lambda y: _nth_weekday(y, 11, 3, 4) + dt.timedelta(days=1))
    if "thanksgiving" in w:
        return nxt(lambda y: _nth_weekday(y, 11, 3, 4))
    if "memorial" in w:
        return nxt(lambda y: _nth_weekday(y, 5, 0, -1))
    if "labor" in w:
        return nxt(lambda y: _nth_weekday(y, 9, 0, 1))
    if "independence" in w:
        return _month_day(today, 7, 4, None, False)
    if "halloween" in w:
        return _month_day(today, 10, 31, None, False)
    if "valentine" in w:
        return _month_day(today, 2, 14, None, False)
    if "mas" in w:
        return _month_day(today, 12, 25, None, False)
    return _month_day(today, 1, 1, None, False)


#: Explicit dates a weekday right before them only restates (``friday the 11th``,
#: ``Friday Dec 11``, ``fri 12/11``): the explicit date wins, see :func:`_merge_weekday`.
_EXPLICIT_KINDS = frozenset({"iso", "mdy", "mdy_dash", "month_day", "day_month", "dom", "dom_bare", "dom_word", "dom_month"})
_WEEKDAY_JOIN = re.compile(r"[\s,(]*(?:the\s+)?", re.I)


def _merge_weekday(text: str, hits: list[DateHit]) -> list[DateHit]:
    """``tuesday the 8th``: a weekday followed by an explicit date is one expression; the
    explicit day (and month) wins, even when the two disagree (``friday the 10th`` when
    the 10th is a Thursday → the 10th: a customer who names the day of month has looked
    at a calendar; the dialog echoes the date back for confirmation). ``hits`` sorted."""
    out: list[DateHit] = []
    i = 0
    while i < len(hits):
        h = hits[i]
        if (h.kind == "weekday" and i + 1 < len(hits) and hits[i + 1].kind in _EXPLICIT_KINDS
                and _WEEKDAY_JOIN.fullmatch(text, h.end, hits[i + 1].start)):
            nx = hits[i + 1]
            out.append(DateHit(h.start, nx.end, nx.date, nx.time, nx.past, nx.kind))
            i += 2
            continue
        out.append(h)
        i += 1
    return out


def _en_rules(words, digit, fold, today, now_time, past_ctx, take, current) -> None:  # noqa: C901 - one rule per branch
    for kind, rx in _EN_RULES:
        if not _EN_GATES[kind](words, digit, fold):
            continue
        for m in list(rx.finditer(current())):
            if current()[m.start():m.end()].strip() != m.group(0).strip():
                continue  # overlaps something an earlier rule took
            g = m.groupdict()
            if kind == "iso":
                try:
                    d = dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
                except ValueError:
                    continue
                take(m, d, kind=kind)
            elif kind == "mdy":
                y = int(g["y"]) if g["y"] else None
                mo, dd = int(g["m"]), int(g["d"])
                if mo > 12:  # 31/12: only readable as day/month
                    if m.group(0) == "24/7":
                        continue
                    mo, dd = dd, mo
                if y is None and (mo, dd) in _FRACTIONS and _looks_like_fraction(current(), m):
                    continue
                d = _month_day(today, mo, dd, y, past_ctx)
                if d is not None:
                    take(m, d, past=past_ctx and y is None, kind=kind)
            elif kind == "mdy_dash":
                y = int(g["y"]) if g["y"] else None
                before = current()[:m.start()]
                d = _month_day(today, int(g["m"]), int(g["d"]), y, past_ctx)
                if d is None:
                    continue
                if not (y is not None or (g["sep"] == "-" and _MD_PREP.search(before))
                        or (g["sep"] == "." and _MD_PREP.search(before) and (before.strip() or len(g["d"]) == 2))
                        or (g["sep"] == "-" and _MD_PAY.search(before) and abs((d - today).days) <= 92)):
                    continue  # "I work 9-5", "pay 12.15" ($12.15), "pay 5-10" (May is far off)
                take(m, d, past=past_ctx and y is None, kind=kind)
            elif kind == "month_part":
                mon = _MONTHS[g["mon"][:3].lower()]
                pos = g["pos"].lower()
                if pos == "late":
                    take(m, None, past=past_ctx, kind=kind)  # the last third of a month: no one day
                    continue
                year = today.year
                if pos.startswith("mid"):
                    day = 15
                elif "end" in pos:
                    day = calendar.monthrange(year, mon)[1]
                else:
                    day = 1
                d = dt.date(year, mon, day)
                if past_ctx and d > today:
                    d = d.replace(year=year - 1)
                elif not past_ctx and d < today:
                    y2 = year + 1
                    d = dt.date(y2, mon, calendar.monthrange(y2, mon)[1] if "end" in pos else day)
                take(m, d, past=past_ctx, kind=kind)
            elif kind == "dom_word":
                d = _next_dom(today, _ORD_WORDS[re.sub(r"\s+", " ", g["w"].lower())], past_ctx)
                if d is not None:
                    take(m, d, past=past_ctx, kind=kind)
            elif kind in ("month_day", "day_month"):
                mon = _MONTHS[g["mon"][:3].lower()]
                y = int(g["y"]) if g["y"] else None
                d = _month_day(today, mon, int(g["d"]), y, past_ctx)
                if d is not None:
                    take(m, d, past=past_ctx and y is None, kind=kind)
            elif kind == "eom":
                base = _add_months(today, 1, 1) if g["next"] else today
                take(m, _end_of_month(base), kind=kind)
            elif kind == "bom":
                take(m, _add_months(today, 1, 1) if today.day != 1 or "next" in m.group(0).lower() else today, kind=kind)
            elif kind == "mid_month":
                take(m, _next_dom(today, 15, False), kind=kind)
            elif kind == "dom_month":
                n = 0 if (g["which"] or g["which2"]).lower() == "this" else 1
                day = int(g["d"] or g["d2"])
                base = _add_months(today, n, 1)
                if day > calendar.monthrange(base.year, base.month)[1]:
                    continue
                take(m, base.replace(day=day), kind=kind)
            elif kind in ("dom", "dom_bare"):
                d = _next_dom(today, int(g["d"]), past_ctx)
                if d is not None:
                    take(m, d, past=past_ctx, kind=kind)
            elif kind == "rel_ago":
                n = _en_count(g["n"])
                days, months = _unit_days(g["u"])
                d = None if n is None else (_add_months(today, -n * months) if months else today - dt.timedelta(days=n * days))
                take(m, d, past=True, kind=kind)
            elif kind in ("rel_in", "rel_bare"):
                n = _en_count(g["n"] or g.get("n2"))
                days, months = _unit_days(g["u"] or g.get("u2"))
                d = None if n is None else (_add_months(today, n * months) if months else today + dt.timedelta(days=n * days))
                take(m, d, kind=kind)
            elif kind == "fortnight":
                take(m, today + dt.timedelta(days=14), kind=kind)
            elif kind == "week_from":
                base = _weekday_next(today, _WEEKDAYS_EN[g["wd"].lower()]) if g["wd"] else today + dt.timedelta(days=1)
                if g["n"]:  # "2 weeks from tomorrow", "3 days from friday"
                    n = _en_count(g["n"])
                    days, _ = _unit_days(g["u"])
                    take(m, base + dt.timedelta(days=n * days), kind=kind)
                else:
                    take(m, base + dt.timedelta(days=7), kind=kind)
            elif kind == "eoy":
                take(m, dt.date(today.year, 12, 31), kind=kind)
            elif kind == "boy":
                take(m, dt.date(today.year + 1, 1, 1) if today != dt.date(today.year, 1, 1) or "next" in m.group(0).lower()
                     else today, kind=kind)
            elif kind == "holiday":
                w = m.group(0).lower()
                d = _holiday(w, g, today)
                if d is not None and g.get("hdir"):
                    d += dt.timedelta(days=1 if g["hdir"].lower() == "after" else -1)
                take(m, d, kind=kind)
            elif kind == "asap":
                take(m, None, kind=kind)
            elif kind == "day_after_tomorrow":
                take(m, today + dt.timedelta(days=2), kind=kind)
            elif kind in ("weekday", "weekday_typo", "weekday_sat_sun"):
                kind = "weekday"
                wd_word = (g.get("wd") or g.get("wd2") or g.get("wd3") or g.get("wd5") or g.get("wdt")).lower()
                wd = _WEEKDAYS_EN.get(wd_word)
                if wd is None:
                    wd = _weekday_typo(wd_word)  # "wensday", "thrusday", "fryday"
                    if wd is None:
                        continue  # "today", "payday", "someday": other rules' words
                span = None
                if g.get("wdt"):
                    before = _MOD_BEFORE.search(current()[max(0, m.start() - 20):m.start()])
                    if before:
                        g["mod4"] = before.group("mod")
                        span = (m.start() - len(before.group(0)), m.end())
                mod = (g.get("mod") or g.get("mod2") or g.get("mod4") or "").lower()
                mod = re.sub(r"\s+", " ", mod)
                after = g.get("after") or g.get("after2")
                if mod == "last":
                    take(m, _weekday_prev(today, wd), past=True, kind=kind, span=span)
                elif after:
                    take(m, _weekday_next(today, wd) + dt.timedelta(days=7), kind=kind, span=span)
                elif mod in ("next", "nxt"):
                    take(m, _week_start(today, 1) + dt.timedelta(days=wd), kind=kind, span=span)
                elif mod == "this":
                    d = _week_start(today) + dt.timedelta(days=wd)
                    if d < today and not past_ctx:
                        d = _weekday_next(today, wd)
                    take(m, d, kind=kind, span=span)
                elif past_ctx:
                    take(m, _weekday_prev(today, wd), past=True, kind=kind, span=span)
                else:
                    take(m, _weekday_next(today, wd), kind=kind, span=span)
            elif kind == "tomorrow":
                take(m, today + dt.timedelta(days=1), kind=kind)
            elif kind == "yesterday":
                take(m, today - dt.timedelta(days=1), past=True, kind=kind)
            elif kind == "today":
                take(m, today, past=past_ctx, kind=kind)
            elif kind == "weekend":
                mod = (g["mod"] or "").strip().lower()
                sat = _week_start(today) + dt.timedelta(days=5)
                if mod in ("next", "nxt"):
                    sat += dt.timedelta(days=7)
                elif mod == "last":
                    take(m, sat - dt.timedelta(days=7), past=True, kind=kind)
                    continue
                take(m, max(sat, today) if today.weekday() == 6 and mod not in ("next", "nxt") else sat, kind=kind)
            elif kind == "eow":
                fri = _week_start(today, 1 if g["next"] else 0) + dt.timedelta(days=4)
                take(m, fri if fri >= today else _week_start(today) + dt.timedelta(days=6), kind=kind)
            elif kind in ("week_vague", "month_vague"):
                take(m, None, past=(g.get("mod") or "").lower() == "last", kind=kind)
            elif kind in ("payday", "holidays"):
                take(m, None, kind=kind)
            elif kind == "past_vague":
                take(m, None, past=True, kind=kind)
            elif kind == "month_only":
                take(m, None, past=past_ctx, kind=kind)
    for kind, rx in _EN_TIME_RULES:
        if not _EN_GATES[kind](words, digit, fold):
            continue
        for m in list(rx.finditer(current())):
            if current()[m.start():m.end()].strip() != m.group(0).strip():
                continue
            g = m.groupdict()
            if kind == "noon":
                t = dt.time(12, 0)
            else:
                h = int(g["h"] or g["h2"] or g["h3"])
                mi = int(g["mi"]) if g.get("mi") else 0
                ap = g["ap"] or g["ap2"]
                if g["h"] and not ap and h >= 13:
                    hh = h
                else:
                    hh = _hour_24(h, ap)
                if hh is None or hh > 23:
                    continue
                t = dt.time(hh, mi)
            take(m, None, t, past=past_ctx, kind="time")


def _zh_rules(text, today, now_time, past_ctx, take, current) -> None:  # noqa: C901
    for kind, rx in _ZH_RULES:
        if _ZH_GATE_SETS[kind].isdisjoint(text):
            continue
        for m in list(rx.finditer(current())):
            if current()[m.start():m.end()] != m.group(0):
                continue
            g = m.groupdict()
            if kind == "zh_ymd":
                day = chinese_to_int(g["d"])
                if day is None or not 1 <= day <= 31:
                    continue
                year = None
                if g["y"]:
                    year = chinese_to_int(g["y"])
                if g["mpre"]:
                    n = _prefix_n(g["mpre"])
                    base = _add_months(today, n or 0, 1)
                    try:
                        d = base.replace(day=day)
                    except ValueError:
                        continue
                    take(m, d, past=d < today, kind=kind)
                elif g["m"]:
                    month = chinese_to_int(g["m"])
                    if month is None:
                        continue
                    d = _month_day(today, month, day, year, past_ctx)
                    if d is not None:
                        take(m, d, past=past_ctx and year is None, kind=kind)
                else:
                    d = _next_dom(today, day, past_ctx)
                    if d is not None:
                        take(m, d, past=past_ctx, kind=kind)
            elif kind == "zh_month_pos":
                n = _prefix_n(g["pre"])
                pos = {"尾": "底", "头": "初"}.get(g["pos"], g["pos"])  # Cantonese 月尾 / 月頭
                if g["m"]:  # 12月底, 1月初: that month, next occurrence
                    month = chinese_to_int(g["m"])
                    if month is None or not 1 <= month <= 12:
                        continue
                    day = {"初": 1, "中": 15}.get(pos, 31)
                    first = _month_day(today, month, 1, None, False)
                    if first is None:
                        continue
                    if pos in ("底", "末") and first.month == today.month and first.year > today.year:
                        first = today.replace(day=1)  # 11月底 on Nov 30 is today, not next year
                    elif first > today and first.month != today.month and _end_of_month(
                            first.replace(year=first.year - 1)) >= today:
                        first = first.replace(year=first.year - 1)
                    d = _end_of_month(first) if day == 31 else first.replace(day=day)
                    take(m, d, kind=kind)
                elif pos in ("底", "末"):
                    take(m, _end_of_month(_add_months(today, n or 0, 1)), kind=kind)
                elif pos == "初":
                    if n is None:
                        d = today if today.day == 1 else _add_months(today, 1, 1)
                    else:
                        d = _add_months(today, n, 1)
                    take(m, d, kind=kind)
                else:  # 中
                    d = _add_months(today, n, 15) if n is not None else _next_dom(today, 15, False)
                    take(m, d, kind=kind)
            elif kind == "zh_weekday":
                wd = _WEEKDAYS_ZH[g["d"]]
                pre = g["pre"]
                n = _prefix_n(pre)
                if n is None:
                    d = _week_start(today) + dt.timedelta(days=wd)
                    if d < today:
                        d = _weekday_prev(today, wd) if past_ctx else d + dt.timedelta(days=7)
                else:
                    d = _week_start(today, n) + dt.timedelta(days=wd)
                take(m, d, kind=kind)
            elif kind == "zh_rel":
                nraw = g["n"]
                unit = g["u"]
                direction = g["dir"]
                if not direction and not m.group(0).startswith("过") and not m.group(0).startswith("再过"):
                    continue  # "3天" alone is a count, not a date
                if nraw == "半":
                    days, months = (15, 0) if "月" in unit else (0, 0)
                    if not days:
                        continue
                    n = 1
                else:
                    n = chinese_to_int(nraw)
                    if n is None:
                        continue
                    days, months = _unit_days(unit)
                sign = -1 if direction in ("前", "以前") else 1
                if direction in ("内", "以内"):
                    sign = 1
                d = _add_months(today, sign * n * months) if months else today + dt.timedelta(days=sign * n * days)
                take(m, d, past=sign < 0, kind=kind)
            elif kind == "zh_day":
                w = m.group(0)
                off = {"大后天": 3, "大前天": -3, "后天": 2, "後天": 2, "前天": -2, "大后日": 3, "后日": 2, "前日": -2}.get(w)
                if off is None:
                    off = 1 if w[0] in "明听" else -1 if w[0] in "昨琴寻尋噚" else 0
                if w == "前天" and m.start() > 0 and current()[m.start() - 1] in "之以月号":
                    continue
                take(m, today + dt.timedelta(days=off), past=off < 0 or (off == 0 and past_ctx), kind=kind)
            elif kind == "zh_now":
                take(m, today, past=past_ctx, kind=kind)
            elif kind == "zh_soon":
                take(m, None, kind=kind)
            elif kind == "zh_year_end":
                year = today.year + (1 if g["pre"] == "明" else 0)
                take(m, dt.date(year, 12, 31), kind=kind)
            elif kind == "zh_weekend":
                n = _prefix_n(g["pre"]) or 0
                sat = _week_start(today, n) + dt.timedelta(days=5)
                take(m, today if n == 0 and today.weekday() == 6 else sat, kind=kind)
            elif kind in ("zh_week_vague", "zh_month_vague"):
                n = _prefix_n(g["pre"])
                take(m, None, past=(n or 0) < 0, kind=kind)
            elif kind == "zh_payday":
                take(m, None, kind=kind)
            elif kind == "zh_holiday":
                if g["after"]:  # 春节后, 国庆以后: after the holiday, no single day
                    take(m, None, kind=kind)
                else:
                    take(m, _zh_holiday(g["h"], today, past_ctx), past=past_ctx, kind=kind)
            elif kind == "zh_after_holiday":
                take(m, None, kind=kind)
            elif kind == "zh_wait":
                n = chinese_to_int(g["n"])
                if n is None:
                    continue
                days, months = _unit_days(g["u"])
                d = _add_months(today, n * months) if months else today + dt.timedelta(days=n * days)
                take(m, d, kind=kind)
    for m in list(_ZH_TIME.finditer(current()) if any(c in text for c in "点點时時:：") else ()):
        if current()[m.start():m.end()] != m.group(0):
            continue
        g = dict(m.groupdict())
        if not g["ap"]:
            ap = _ZH_AP_BEFORE.search(text, 0, m.start())
            g["ap"] = ap.group(1) if ap else None
        h = chinese_to_int(g["h"])
        if h is None or h > 24:
            continue
        if h == 1 and not g["ap"] and not g["mi"] and not g["pre"]:
            continue  # "一点" is usually "a little"
        mi_raw = g["mi"] or ""
        if mi_raw == "半":
            mi = 30
        elif mi_raw == "一刻":
            mi = 15
        elif mi_raw == "三刻":
            mi = 45
        elif mi_raw:
            mi = chinese_to_int(mi_raw.rstrip("分")) or 0
        else:
            mi = 0
        if mi > 59:
            continue
        hh = h if h >= 13 else _hour_24(h, g["ap"])
        if hh is None or hh > 23:
            if h == 24:
                hh = 0
            else:
                continue
        take(m, None, dt.time(hh, mi), past=past_ctx, kind="zh_time")


# --- dateparser fallback -----------------------------------------------------------------------

_FALLBACK_TOKEN = re.compile(rf"\b(?:{_MONTH_ALT})\b", re.I)


def resolve_fallback(text: str, *, now_local: dt.datetime, tz: str, lang: str) -> tuple[int, int, dt.date] | None:
    """dateparser over ``text`` (amounts and rule hits blanked) when it still holds a
    month name and a digit (forms the rules missed, e.g. odd orderings); returns
    (start, end, local date) or None. Never reached for a text without both.

    Always called with ``languages``, ``TIMEZONE=tz``, ``RETURN_AS_TIMEZONE_AWARE`` and
    ``PREFER_DATES_FROM='future'``, and ``RELATIVE_BASE`` = ``now_local`` (naive local
    wall time) so the answer does not depend on the real clock; the local ``.date()``
    is taken. Imported lazily.
    """
    if not _DIGIT.search(text):  # the usual case: no digit, so no word split either
        return None
    low, words, digit, _ = _features(text)
    if not digit or _MONTH_WORDS.isdisjoint(words) or not _FALLBACK_TOKEN.search(text):
        return None
    from zoneinfo import ZoneInfo

    from dateparser.search import search_dates  # lazy: ~0.1–0.4 s first import

    languages = ["zh", "en"] if lang == "zh" else ["en"]
    settings = {"TIMEZONE": tz, "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": now_local.replace(tzinfo=None)}
    try:
        found = search_dates(text, languages=languages, settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    for frag, when in found or ():
        if not _FALLBACK_TOKEN.search(frag):
            continue  # a bare number read as a date: not trusted
        start = text.find(frag)
        local = when.astimezone(ZoneInfo(tz)).date()
        return start, start + len(frag), local
    return None
