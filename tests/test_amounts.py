"""Money amounts (bot.intents.amounts and extract_entities' amount fields)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents.amounts import chinese_to_int, find_amount, find_amounts
from bot.intents.entities import extract_entities

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def amount(text: str) -> Decimal | None:
    r = extract_entities(text.casefold(), now=NOW, tz="America/New_York", lang="en")
    return r.amount


@pytest.mark.parametrize("text, expected", [
    ("$50", "50"),
    ("50$", "50"),
    ("50 bucks", "50"),
    ("50 bucks tmrw and the rest on the 15th", "50"),
    ("$1,250.00", "1250.00"),
    ("I'll send $1,250.00 by 6/30", "1250.00"),
    ("$ 250", "250"),
    ("2 payments of $ 250", "250"),
    ("1.2k", "1200"),
    ("ill pay 1.2k next payday", "1200"),
    ("£20", "20"),
    ("¥500", "500"),
    ("500元", "500"),
    ("50 dollars", "50"),
    ("ok ill pay the full $312.50 today", "312.50"),
    ("why is it $89 more than last month", "89"),
    ("acct ending 4417 pay 50$", "50"),
    ("if you STOP adding fees I can pay 100", "100"),
    ("I can pay 100 on 10/3", "100"),
    ("$50 a month?", "50"),
    ("50 a month", "50"),
    ("would u take 200 to close it out", "200"),
    ("I can do 25 every 2 wks", "25"),
    ("50 on fri", "50"),
    ("$50 on the 15th", "50"),
    ("I can pay $50 on", "50"),
    ("USD 75", "75"),
    ("pay 3k", "3000"),
])
def test_english_amounts(text, expected):
    got = amount(text)
    assert got == Decimal(expected), text
    assert str(got) == expected  # exact as typed, not just equal


@pytest.mark.parametrize("text, expected", [
    ("还两千", "2000"),
    ("两点半前还两千", "2000"),
    ("下个月初还两千六", "2600"),
    ("先还三万五", "35000"),
    ("一千五先还上", "1500"),
    ("先还五百行不行", "500"),
    ("两千块", "2000"),
    ("五百元", "500"),
    ("我想先还1万", "10000"),
    ("先还3千5", "3500"),
    ("还2000", "2000"),
    ("ok 先还 500", "500"),
])
def test_chinese_amounts(text, expected):
    assert amount(text) == Decimal(expected), text


def test_chinese_range():
    r = extract_entities("还两三百可以吗", now=NOW, tz="Asia/Shanghai", lang="zh")
    assert (r.amount, r.amount_max) == (Decimal(200), Decimal(300))
    m = find_amount("三四千")
    assert (m.value, m.value_max) == (Decimal(3000), Decimal(4000))


def test_english_range():
    m = find_amount("$50-100")
    assert (m.value, m.value_max) == (Decimal(50), Decimal(100))


@pytest.mark.parametrize("text", [
    # dates
    "10/3", "6/30", "sent it thru zelle on 5/2", "12/18", "the 15th", "15号", "1988年3月4号",
    "生日1988年3月4号", "03/14/1985", "on the 2nd", "paying 2moro",
    # times
    "call me after 5", "两点半", "12点之前", "at 3pm",
    # account numbers, ids, phones, zips
    "STOP 4417", "acct ending 4417", "last 4 1234", "zip is 60614", "身份证后四位1234",
    "payment went thru this am conf #88317", "filed ch 7 last month case # 24-10xxx",
    "I have an attorney, contact Smith Law 555-0100",
    "Out of office until 6/3. For urgent matters call 555-0199",
    # counts and periods
    "every 2 wks", "in 2 weeks", "in 2 wks", "I'm in chapter 13", "I've had this number for 6 yrs, new phone who dis",
    "可以分3期吗", "只够还一部分", "三天后", "0000", "pay in 2 weeks", "2 payments", "pay 2 times",
    "我要还款", "都已经还完了怎么还让我还",
])
def test_not_amounts(text):
    assert amount(text) is None, text


def test_amount_spans_cover_the_currency():
    text = "acct ending 4417 pay 50$"
    (m,) = find_amounts(text)
    assert text[m.start:m.end] == "50$"


def test_chinese_to_int():
    assert [chinese_to_int(s) for s in ("五", "十", "十五", "二十一", "三十", "15", "二〇二六")] == [
        5, 10, 15, 21, 30, 15, 2026]
    assert chinese_to_int("百") is None


@pytest.mark.parametrize("text, expected", [
    ("i can pay two hundred on friday", "200"),
    ("fifty bucks tmrw", "50"),
    ("a grand by the 15th", "1000"),
    ("two hundred fifty dollars", "250"),
    ("twenty-five dollars", "25"),
    ("I can pay a hundred", "100"),
])
def test_english_number_words(text, expected):
    assert amount(text) == Decimal(expected), text


@pytest.mark.parametrize("text", ["hundreds of times", "one more thing", "a couple of days"])
def test_number_words_without_money(text):
    assert amount(text) is None


@pytest.mark.parametrize("text, expected", [
    ("pay 50 towards it", "50"), ("pay 50 pls", "50"), ("i can send 100 thanks", "100"),
    ("i can do 60 tops", "60"), ("i can pay 50 this friday", "50"), ("I paid 200 last week", "200"),
    ("$50 - 12/15", "50"), ("$50 to $75", "50"), ("还5w", "50000"), ("20号还1000", "1000"),
    ("可以先还200吗", "200"), ("pay at 5k", "5000"),
])
def test_more_amounts(text, expected):
    assert amount(text) == Decimal(expected), text


@pytest.mark.parametrize("text", ["I do 2 jobs", "sent 3 emails", "sent 2 checks", "I can make 2 more payments",
                                  "can i do 3 installments", "pay 1 more time", "pay in 2w", "打3次电话"])
def test_counts_are_not_amounts(text):
    assert amount(text) is None, text


def test_range_upper_end_is_not_a_date():
    r = extract_entities("$50 - 12/15", now=NOW, tz="America/New_York", lang="en")
    assert r.amount_max is None and r.date is not None
