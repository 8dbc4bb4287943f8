"""Date and time-of-day extraction (bot.intents.dates via extract_entities).

Reference moment: Monday 2026-11-30 10:00 in the customer's zone
(America/New_York for English, Asia/Shanghai for Chinese), as in the corpus.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.intents.entities import extract_entities

NY = "America/New_York"
SH = "Asia/Shanghai"
D = dt.date


def at(y, m, d, hh=10, mm=0, tz=NY):
    return dt.datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz))


MON_NY = at(2026, 11, 30)
MON_SH = at(2026, 11, 30, tz=SH)


def en(text, now=MON_NY, tz=NY):
    return extract_entities(text.casefold(), now=now, tz=tz, lang="en")


def zh(text, now=MON_SH, tz=SH):
    return extract_entities(text.casefold(), now=now, tz=tz, lang="zh")


# --- English, future-preferring ----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("friday", D(2026, 12, 4)),
    ("fri", D(2026, 12, 4)),
    ("$50 on fri", D(2026, 12, 4)),
    ("friday if that works", D(2026, 12, 4)),
    ("cancel my payment for friday", D(2026, 12, 4)),
    ("i get paid friday, ill pay then", D(2026, 12, 4)),
    ("the 2nd", D(2026, 12, 2)),
    ("on the 2nd", D(2026, 12, 2)),
    ("the 21st", D(2026, 12, 21)),
    ("the 15th", D(2026, 12, 15)),
    ("I'll pay on the 15th", D(2026, 12, 15)),
    ("can i do the 20th instead of friday", D(2026, 12, 20)),
    ("tmrw", D(2026, 12, 1)),
    ("paying 2moro", D(2026, 12, 1)),
    ("tomorrow", D(2026, 12, 1)),
    ("today", D(2026, 11, 30)),
    ("tonight", D(2026, 11, 30)),
    ("k paying it rn", D(2026, 11, 30)),
    ("I want to pay now", D(2026, 11, 30)),
    ("12/18", D(2026, 12, 18)),
    ("I can pay 100 on 10/3", D(2027, 10, 3)),   # documented: US m/d, next occurrence
    ("6/30", D(2027, 6, 30)),
    ("I'll send $1,250.00 by 6/30", D(2027, 6, 30)),
    ("in 2 weeks", D(2026, 12, 14)),
    ("in 2 wks", D(2026, 12, 14)),
    ("in a week", D(2026, 12, 7)),
    ("3 days from now", D(2026, 12, 3)),
    ("friday after next", D(2026, 12, 11)),
    ("next friday", D(2026, 12, 11)),            # documented: next calendar week's Friday
    ("this friday", D(2026, 12, 4)),
    ("give me til monday", D(2026, 12, 7)),
    ("end of the month", D(2026, 11, 30)),
    ("eom", D(2026, 11, 30)),
    ("end of next month", D(2026, 12, 31)),
    ("by 6/30", D(2027, 6, 30)),
    ("till the 1st", D(2026, 12, 1)),
    ("I can\u2019t pay till the 1st", D(2026, 12, 1)),
    ("day after tomorrow", D(2026, 12, 2)),
    ("dec 5th", D(2026, 12, 5)),
    ("december 5", D(2026, 12, 5)),
    ("the 5th of january", D(2027, 1, 5)),
    ("first of next month", D(2026, 12, 1)),
    ("2026-12-24", D(2026, 12, 24)),
])
def test_english_future_dates(text, expected):
    r = en(text)
    assert r.date == expected, text
    assert r.has_date_words
    assert not r.date_is_past


def test_50_on_the_15th_keeps_amount_and_date_apart():
    r = en("$50 on the 15th")
    assert r.date == D(2026, 12, 15)
    assert str(r.amount) == "50"


def test_the_31st_skips_short_months():
    assert en("the 31st").date == D(2026, 12, 31)
    assert en("the 31st", now=at(2026, 12, 31, 12)).date == D(2026, 12, 31)  # today counts
    assert en("the 30th", now=at(2027, 1, 31)).date == D(2027, 3, 30)     # no Feb 30th


@pytest.mark.parametrize("text", ["next week", "will pay nxt wk", "next month", "ill pay 1.2k next payday",
                                  "when i get paid", "money is tight til next month"])
def test_vague_dates_have_words_but_no_date(text):
    r = en(text)
    assert r.has_date_words
    assert r.date is None


# --- English, past ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("yesterday", D(2026, 11, 29)),
    ("paid it yesterday", D(2026, 11, 29)),
    ("I stopped by the branch and paid yesterday", D(2026, 11, 29)),
    ("mailed a check monday", D(2026, 11, 23)),
    ("sent it thru zelle on 5/2", D(2026, 5, 2)),
    ("paid on the 28th", D(2026, 11, 28)),
    ("sent it 3 days ago", D(2026, 11, 27)),
    ("paid last friday", D(2026, 11, 27)),
    ("03/14/1985", D(1985, 3, 14)),
])
def test_english_past_dates(text, expected):
    r = en(text)
    assert r.date == expected, text
    assert r.date_is_past


def test_last_week_is_past_without_a_day():
    r = en("I paid this last week, check your records")
    assert r.has_date_words and r.date_is_past and r.date is None


# --- English times ------------------------------------------------------------------------

@pytest.mark.parametrize("text, date, time", [
    ("call me after 5", D(2026, 11, 30), dt.time(17, 0)),
    ("tmrw at 3pm", D(2026, 12, 1), dt.time(15, 0)),
    ("by noon", D(2026, 11, 30), dt.time(12, 0)),
    ("friday 9:30am", D(2026, 12, 4), dt.time(9, 30)),
    ("at 8", D(2026, 12, 1), dt.time(8, 0)),   # 08:00 already passed at 10:00 → tomorrow
])
def test_english_times(text, date, time):
    r = en(text)
    assert (r.date, r.time) == (date, time), text


# --- Chinese --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("下周五还", D(2026, 12, 11)),
    ("ok 下周五 pay", D(2026, 12, 11)),
    ("这周三还", D(2026, 12, 2)),
    ("本周三", D(2026, 12, 2)),
    ("下礼拜一还", D(2026, 12, 7)),
    ("下星期一", D(2026, 12, 7)),
    ("周五", D(2026, 12, 4)),
    ("15号还", D(2026, 12, 15)),
    ("十五号", D(2026, 12, 15)),
    ("下个月5号还", D(2026, 12, 5)),
    ("下下个月五号", D(2027, 1, 5)),
    ("后天", D(2026, 12, 2)),
    ("大后天", D(2026, 12, 3)),
    ("明天", D(2026, 12, 1)),
    ("今天", D(2026, 11, 30)),
    ("今晚还", D(2026, 11, 30)),
    ("下班还", D(2026, 11, 30)),
    ("月底", D(2026, 11, 30)),
    ("月底前还清", D(2026, 11, 30)),
    ("下个月底", D(2026, 12, 31)),
    ("下个月初还两千六", D(2026, 12, 1)),       # documented: the 1st of next month
    ("三天后", D(2026, 12, 3)),
    ("3天后还", D(2026, 12, 3)),
    ("两周后", D(2026, 12, 14)),
    ("现在就还", D(2026, 11, 30)),
    ("12月18号", D(2026, 12, 18)),
    ("3月4号", D(2027, 3, 4)),
])
def test_chinese_future_dates(text, expected):
    r = zh(text)
    assert r.date == expected, text
    assert r.has_date_words
    assert not r.date_is_past


def test_chinese_next_month_rolls_over_the_year():
    now = at(2026, 12, 10, tz=SH)
    assert zh("下个月5号", now=now).date == D(2027, 1, 5)
    assert zh("下下个月五号", now=now).date == D(2027, 2, 5)
    assert zh("15号", now=now).date == D(2026, 12, 15)
    assert zh("5号", now=now).date == D(2027, 1, 5)
    assert zh("月底", now=now).date == D(2026, 12, 31)


@pytest.mark.parametrize("text, date, time", [
    ("两点半前还两千", D(2026, 11, 30), dt.time(14, 30)),
    ("12点之前", D(2026, 11, 30), dt.time(12, 0)),
    ("明天下午3点", D(2026, 12, 1), dt.time(15, 0)),
    ("明天上午10点", D(2026, 12, 1), dt.time(10, 0)),
    ("晚上8点", D(2026, 11, 30), dt.time(20, 0)),
    ("今晚8点还", D(2026, 11, 30), dt.time(20, 0)),
    ("明早9点", D(2026, 12, 1), dt.time(9, 0)),
])
def test_chinese_times(text, date, time):
    r = zh(text)
    assert (r.date, r.time) == (date, time), text


@pytest.mark.parametrize("text", ["发工资就还", "没发工资", "下周还", "下个月还"])
def test_chinese_vague(text):
    r = zh(text)
    assert r.has_date_words and r.date is None


@pytest.mark.parametrize("text, expected", [
    ("昨天已经转账了", D(2026, 11, 29)),
    ("前天还了", D(2026, 11, 28)),
    ("上周五已经还了", D(2026, 11, 27)),
    ("生日1988年3月4号", D(1988, 3, 4)),
])
def test_chinese_past(text, expected):
    r = zh(text)
    assert r.date == expected and r.date_is_past


def test_this_week_day_already_gone_is_reported_past():
    thursday = at(2026, 12, 3, tz=SH)
    r = zh("这周三", now=thursday)
    assert r.date == D(2026, 12, 2) and r.date_is_past
    assert zh("周三", now=thursday).date == D(2026, 12, 9)


def test_yi_dian_is_not_one_oclock():
    r = zh("少还一点")
    assert r.time is None


# --- month/year rollover, zones, DST -------------------------------------------------------------

def test_december_rollover_english():
    now = at(2026, 12, 20)
    assert en("the 2nd", now=now).date == D(2027, 1, 2)
    assert en("12/18", now=now).date == D(2027, 12, 18)
    assert en("1/5", now=now).date == D(2027, 1, 5)
    assert en("end of the month", now=now).date == D(2026, 12, 31)
    assert en("first of next month", now=now).date == D(2027, 1, 1)
    assert en("in 2 weeks", now=now).date == D(2027, 1, 3)
    # 2026-12-20 is a Sunday: next calendar week's Friday is also the coming one
    assert en("next friday", now=now).date == D(2026, 12, 25)
    assert en("next friday", now=at(2026, 12, 28)).date == D(2027, 1, 8)
    assert en("friday", now=now).date == D(2026, 12, 25)


def test_friday_asked_thursday_night_new_york_which_is_friday_utc():
    now_utc = dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.timezone.utc)  # Thu 2026-12-03 23:00 EST
    r = en("friday", now=now_utc)
    assert r.date == D(2026, 12, 4)
    assert en("tomorrow", now=now_utc).date == D(2026, 12, 4)
    assert en("today", now=now_utc).date == D(2026, 12, 3)


def test_tomorrow_before_dst_changes():
    # 2026-11-01 01:59 EDT → 01:00 EST; asked 23:30 local the evening before, given in UTC
    fall = dt.datetime(2026, 11, 1, 3, 30, tzinfo=dt.timezone.utc)  # Sat 2026-10-31 23:30 EDT
    assert en("tomorrow", now=fall).date == D(2026, 11, 1)
    assert en("tmrw", now=fall).date == D(2026, 11, 1)
    # 2027-03-14 02:00 EST → 03:00 EDT
    spring = dt.datetime(2027, 3, 14, 4, 30, tzinfo=dt.timezone.utc)  # Sat 2027-03-13 23:30 EST
    assert en("tomorrow", now=spring).date == D(2027, 3, 14)
    assert en("in 2 days", now=spring).date == D(2027, 3, 15)
    # the repeated hour itself (01:30 EST second pass)
    repeated = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.timezone.utc)
    assert en("today", now=repeated).date == D(2026, 11, 1)


def test_now_in_another_zone_is_converted():
    # 2026-11-30 02:00 Shanghai is still 2026-11-29 in New York
    now = dt.datetime(2026, 11, 30, 2, 0, tzinfo=ZoneInfo(SH))
    assert en("tomorrow", now=now).date == D(2026, 11, 30)
    assert zh("明天", now=now).date == D(2026, 12, 1)


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        extract_entities("tmrw", now=dt.datetime(2026, 11, 30, 10), tz=NY, lang="en")


# --- more forms and guards ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("give me 2 weeks", D(2026, 12, 14)),
    ("i'll pay 300 at the end of next week", D(2026, 12, 11)),
    ("end of the week", D(2026, 12, 4)),
    ("this weekend", D(2026, 12, 5)),
    ("next weekend", D(2026, 12, 12)),
    ("on sat", D(2026, 12, 5)),
    ("31/12/2026", D(2026, 12, 31)),            # only readable as day/month
    ("I'll pay on 12/1/26", D(2026, 12, 1)),
    ("we'll pay off in 6 months", D(2027, 5, 30)),
    ("in a couple weeks", D(2026, 12, 14)),
    ("mid month", D(2026, 12, 15)),
    ("pay on 12-dec-2026", D(2026, 12, 12)),     # dateparser fallback (month name + digit)
    ("5-jan", D(2027, 1, 5)),                    # dateparser fallback, future-preferring
])
def test_more_english_forms(text, expected):
    assert en(text).date == expected, text


@pytest.mark.parametrize("text", [
    "Can I pay 1/2 now", "24/7", "I sat there waiting", "I may pay later", "c'mon man", "the sun is out",
    "my payment is 2 days late", "2nd payment", "STOP 4417", "zip is 60614", "last 4 1234",
    "I have an attorney, contact Smith Law 555-0100", "stop texting me", "",
])
def test_not_dates(text):
    r = en(text)
    assert r.date is None or text == "Can I pay 1/2 now", text
    if text == "Can I pay 1/2 now":  # "now" is the date, 1/2 is a fraction, not Jan 2
        assert r.date == D(2026, 11, 30)


def test_time_with_vague_date_keeps_date_unknown():
    r = en("next week at 3pm")
    assert r.time == dt.time(15, 0) and r.date is None and r.has_date_words


def test_at_6_then_is_a_time():
    r = en("I get off work at 6 then I'll pay")
    assert r.time == dt.time(18, 0)


@pytest.mark.parametrize("text, expected", [
    ("一周内", D(2026, 12, 7)),
    ("两个月后", D(2027, 1, 30)),
    ("半个月后", D(2026, 12, 15)),
    ("月中还", D(2026, 12, 15)),
    ("星期天还", D(2026, 12, 6)),
    ("周日", D(2026, 12, 6)),
    ("我下周三发工资，发了就还三千", D(2026, 12, 9)),
    ("马上还", D(2026, 11, 30)),
])
def test_more_chinese_forms(text, expected):
    assert zh(text).date == expected, text


@pytest.mark.parametrize("text", ["周转不开", "一会儿还", "晚点还", "分12期", "还款日是几号", "先还一点"])
def test_not_chinese_dates(text):
    assert zh(text).date is None, text


@pytest.mark.parametrize("text, date, time", [
    ("paid at 9am", D(2026, 11, 30), dt.time(9, 0)),     # 09:00 already gone at 10:00 → today
    ("paid at 3pm", D(2026, 11, 29), dt.time(15, 0)),    # not yet 15:00 → yesterday
])
def test_past_tense_bare_time(text, date, time):
    r = en(text)
    assert (r.date, r.time, r.date_is_past) == (date, time, True)


def test_chinese_today_in_past_tense():
    r = zh("今天已经还了")
    assert r.date == D(2026, 11, 30) and r.date_is_past


@pytest.mark.parametrize("text, expected", [
    ("a week from friday", D(2026, 12, 11)),
    ("a week from tmrw", D(2026, 12, 8)),
    ("a week from now", D(2026, 12, 7)),
    ("by christmas", D(2026, 12, 25)),
    ("end of the year", D(2026, 12, 31)),
    ("by thanksgiving", D(2027, 11, 25)),        # 2026-11-26 is gone
    ("this coming friday", D(2026, 12, 4)),
    ("I'll pay Friday the 4th", D(2026, 12, 4)),
])
def test_english_extra_forms(text, expected):
    assert en(text).date == expected, text


@pytest.mark.parametrize("text", ["asap", "as soon as i can", "in a few days"])
def test_english_soon_is_vague(text):
    r = en(text)
    assert r.has_date_words and r.date is None


@pytest.mark.parametrize("text, expected", [
    ("下周末", D(2026, 12, 12)),
    ("周末还", D(2026, 12, 5)),
    ("12月底", D(2026, 12, 31)),
    ("11月底", D(2026, 11, 30)),
    ("1月初", D(2027, 1, 1)),
    ("年底", D(2026, 12, 31)),
    ("明年底", D(2027, 12, 31)),
    ("下个月的15号", D(2026, 12, 15)),
    ("过两天", D(2026, 12, 2)),
])
def test_chinese_extra_forms(text, expected):
    assert zh(text).date == expected, text


@pytest.mark.parametrize("text", ["尽快还", "过几天还", "近期还"])
def test_chinese_soon_is_vague(text):
    r = zh(text)
    assert r.has_date_words and r.date is None


@pytest.mark.parametrize("text, expected", [
    ("１２/１８", D(2026, 12, 18)),
    ("pay ５０ on ｆｒｉ", D(2026, 12, 4)),
    ("Friday", D(2026, 12, 4)),
    ("I can’t pay till the 1st", D(2026, 12, 1)),
])
def test_raw_unnormalised_text(text, expected):
    r = extract_entities(text, now=MON_NY, tz=NY, lang="en")
    assert r.date == expected
    for a, b in r.spans:
        assert text[a:b].strip()
