"""extract_entities over the labelled corpus (tests/data/replies.tsv) + API contract."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.intents.entities import ExtractResult, extract_entities

CORPUS = Path(__file__).parent / "data" / "replies.tsv"
D = dt.date


def _rows():
    with CORPUS.open(encoding="utf-8", newline="") as f:
        return [(r["text"], json.loads(r["entities"]))
                for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


ROWS = _rows()


def _is_zh(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def run(text: str) -> ExtractResult:
    """As the corpus README says: Monday 2026-11-30 10:00 in the customer's zone."""
    zh = _is_zh(text)
    tz = "Asia/Shanghai" if zh else "America/New_York"
    now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(tz))
    return extract_entities(text.casefold(), now=now, tz=tz, lang="zh" if zh else "en")


# Rows without an `amount` label whose text nevertheless holds money; the
# extractor reports it and the classifier decides what to do with it.
MONEY_WITHOUT_LABEL = {
    'Liked "Your payment of $75 is due 6/1. Reply STOP to opt out."':
        (Decimal("75"), "tapback quoting our own message; the classifier drops its entities"),
    'Laughed at "Your balance is $412.19"':
        (Decimal("412.19"), "tapback quoting our own message; the classifier drops its entities"),
    "还两三百可以吗":
        (Decimal("200"), "a 200–300 range: amount 200, amount_max 300 (the label only notes it in `trap`)"),
}


@pytest.mark.parametrize("text, ents", ROWS, ids=[t[:40] for t, _ in ROWS])
def test_corpus_amounts(text, ents):
    r = run(text)
    if "amount" in ents:
        assert r.amount == Decimal(ents["amount"]), text
    elif text in MONEY_WITHOUT_LABEL:
        assert r.amount == MONEY_WITHOUT_LABEL[text][0], text
    else:
        assert r.amount is None, (text, r.amount)


def test_corpus_range_row():
    r = run("还两三百可以吗")
    assert (r.amount, r.amount_max) == (Decimal(200), Decimal(300))


# Every corpus row with a date_note: the date we give (None = vague, has_date_words
# only) and whether it is past. Keyed by text so a new labelled row fails loudly here.
DATE_NOTES = {
    "I stopped by the branch and paid yesterday": (D(2026, 11, 29), True),
    "cancel my payment for friday": (D(2026, 12, 4), False),
    "k paying it rn": (D(2026, 11, 30), False),
    "ok ill pay the full $312.50 today": (D(2026, 11, 30), False),
    "can i pay half now and half next month": (D(2026, 11, 30), False),   # first expression: now
    "I'll pay on the 15th": (D(2026, 12, 15), False),
    "$50 on fri": (D(2026, 12, 4), False),
    "will pay nxt wk": (None, False),
    "paying 2moro": (D(2026, 12, 1), False),
    "tmrw": (D(2026, 12, 1), False),
    "i get paid friday, ill pay then": (D(2026, 12, 4), False),
    "friday after next": (D(2026, 12, 11), False),
    "I can pay 100 on 10/3": (D(2027, 10, 3), False),
    "give me til monday": (D(2026, 12, 7), False),
    "can i do the 20th instead of friday": (D(2026, 12, 20), False),
    "I'll send $1,250.00 by 6/30": (D(2027, 6, 30), False),
    "ill pay 1.2k next payday": (None, False),
    "end of the month": (D(2026, 11, 30), False),
    "in 2 wks": (D(2026, 12, 14), False),
    "paid it yesterday": (D(2026, 11, 29), True),
    "I paid this last week, check your records": (None, True),
    "sent it thru zelle on 5/2": (D(2026, 5, 2), True),
    "mailed a check monday": (D(2026, 11, 23), True),
    "money is tight til next month": (None, False),
    "I can’t pay till the 1st": (D(2026, 12, 1), False),
    "friday if that works": (D(2026, 12, 4), False),
    "现在就还": (D(2026, 11, 30), False),
    "今晚还": (D(2026, 11, 30), False),
    "下班还": (D(2026, 11, 30), False),
    "12点之前": (D(2026, 11, 30), False),
    "下周五还": (D(2026, 12, 11), False),
    "15号还": (D(2026, 12, 15), False),
    "发工资就还": (None, False),
    "月底前还清": (D(2026, 11, 30), False),
    "下礼拜一还": (D(2026, 12, 7), False),
    "这周三还": (D(2026, 12, 2), False),
    "下个月5号还": (D(2026, 12, 5), False),
    "下下个月五号": (D(2027, 1, 5), False),
    "下个月初还两千六": (D(2026, 12, 1), False),
    "昨天已经转账了": (D(2026, 11, 29), True),
    "ok 下周五 pay": (D(2026, 12, 11), False),
}

# Labelled dates in `trap`/other rows that have no date_note but do carry a date.
OTHER_DATES = {
    "next friday": D(2026, 12, 11),
    "on the 2nd": D(2026, 12, 2),
    "the 21st": D(2026, 12, 21),
    "两点半前还两千": D(2026, 11, 30),
    "50 bucks tmrw and the rest on the 15th": D(2026, 12, 1),
}


def test_every_date_note_row_is_listed():
    noted = {t for t, e in ROWS if "date_note" in e or "date" in e}
    assert noted == set(DATE_NOTES), sorted(noted ^ set(DATE_NOTES))


@pytest.mark.parametrize("text", sorted(DATE_NOTES))
def test_corpus_dates(text):
    r = run(text)
    date, past = DATE_NOTES[text]
    assert r.has_date_words, text
    assert r.date == date, text
    assert r.date_is_past == past, text
    ents = dict(ROWS)[text]
    if "date" in ents:  # an exact ISO label wins over our table
        assert r.date == D.fromisoformat(ents["date"])


@pytest.mark.parametrize("text", sorted(OTHER_DATES))
def test_corpus_other_dates(text):
    assert run(text).date == OTHER_DATES[text]


def test_rows_with_neither_mostly_empty():
    """Rows without amount/date labels should mostly yield nothing (a sanity check
    on false positives; the few that carry a real date word are listed)."""
    expected_dates = {
        "call me after 5", "I want to pay now", "Out of office until 6/3. For urgent matters call 555-0199",
        "03/14/1985", "生日1988年3月4号", "nah not today", "im in the hospital rn",
        "we're planting the garden on the 15th", "payment went thru this am conf #88317",
        'Liked "Your payment of $75 is due 6/1. Reply STOP to opt out."', "filed ch 7 last month case # 24-10xxx",
        "why is it $89 more than last month", "he passed away in march", "没发工资",
        "【自动回复】您好，我现在有事不在，一会儿再联系您。", "next friday", "on the 2nd", "the 21st",
        "两点半前还两千", "50 bucks tmrw and the rest on the 15th",
    }
    unexpected = [t for t, e in ROWS
                  if "date_note" not in e and t not in expected_dates and run(t).has_date_words]
    assert unexpected == []


def test_spans_point_into_the_text():
    text = "i can pay $50 on the 15th"
    r = extract_entities(text, now=dt.datetime(2026, 11, 30, 15, tzinfo=dt.timezone.utc),
                         tz="America/New_York", lang="en")
    assert [text[a:b] for a, b in r.spans] == ["$50", "the 15th"]


def test_nothing_found_is_the_empty_result():
    r = extract_entities("stop texting me", now=dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc),
                         tz="America/New_York", lang="en")
    assert r == ExtractResult()


def test_raw_text_works_too():
    r = extract_entities("I'll send $1,250.00 by 6/30", now=dt.datetime(2026, 11, 30, 15, tzinfo=dt.timezone.utc),
                         tz="America/New_York", lang="en")
    assert (r.amount, r.date) == (Decimal("1250.00"), D(2027, 6, 30))
    r = extract_entities("Friday", now=dt.datetime(2026, 11, 30, 15, tzinfo=dt.timezone.utc),
                         tz="America/New_York", lang="en")
    assert r.date == D(2026, 12, 4)


def test_dateparser_fallback_is_not_needed_by_the_corpus_and_imports_stay_lazy():
    code = (
        "import sys, datetime as dt\n"
        "from zoneinfo import ZoneInfo\n"
        "import bot.intents.entities as e\n"
        "assert not {'dateparser', 'cn2an', 'jieba'} & set(sys.modules), 'heavy import at startup'\n"
        "import csv\n"
        f"rows = list(csv.DictReader(open({str(CORPUS)!r}, encoding='utf-8'), delimiter='\\t', quoting=csv.QUOTE_NONE))\n"
        "now = dt.datetime(2026, 11, 30, 15, tzinfo=dt.timezone.utc)\n"
        "for r in rows:\n"
        "    e.extract_entities(r['text'].casefold(), now=now, tz='America/New_York', lang='en')\n"
        "assert 'dateparser' not in sys.modules, 'dateparser was called for a corpus row'\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_speed_report(capsys):
    """Not a timed assertion: prints the extraction rate."""
    texts = [t.casefold() for t, _ in ROWS]
    plain = [t for t in texts if run(t) == ExtractResult()]
    now = dt.datetime(2026, 11, 30, 15, tzinfo=dt.timezone.utc)
    for t in texts:  # warm up lazy imports
        extract_entities(t, now=now, tz="America/New_York", lang="en")

    def rate(batch, rounds):
        start = time.perf_counter()
        for _ in range(rounds):
            for t in batch:
                extract_entities(t, now=now, tz="America/New_York", lang="en")
        return rounds * len(batch) / (time.perf_counter() - start)

    with capsys.disabled():
        print(f"\nextract_entities: all rows {rate(texts, 20):,.0f}/s; "
              f"rows with no entities ({len(plain)}) {rate(plain, 50):,.0f}/s")


ODD_INPUTS = ["", " ", "$", "¥", "号", "月底月底月底", "$$$$", "1/1/1", "99/99", "0/0", "the 0th", "32号",
              "13月40号", "2月30号", "feb 30", "二〇二六年二月三十号", "$1,2,3", "1.2.3k", "．", "\x00",
              "9" * 500, "pay " + "9" * 50, "还" + "九" * 40, "下" * 30 + "个月5号", "tmrw " * 200,
              "😀😀", "ＳＴＯＰ １５号", "周" * 100]


@pytest.mark.parametrize("text", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_odd_input_never_raises(text, lang):
    r = extract_entities(text, now=dt.datetime(2026, 11, 30, 15, tzinfo=dt.timezone.utc), tz="Asia/Shanghai",
                         lang=lang)
    assert isinstance(r, ExtractResult)
    for a, b in r.spans:
        assert 0 <= a < b <= len(text)


def test_same_result_raw_casefolded_and_either_lang():
    for text, _ in ROWS:
        zh = _is_zh(text)
        tz = "Asia/Shanghai" if zh else "America/New_York"
        now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(tz))
        a = extract_entities(text, now=now, tz=tz, lang="en")
        b = extract_entities(text.casefold(), now=now, tz=tz, lang="zh")
        assert (a.amount, a.amount_max, a.date, a.time, a.has_date_words, a.date_is_past) == \
               (b.amount, b.amount_max, b.date, b.time, b.has_date_words, b.date_is_past), text


def test_corpus_spans_are_trimmed_and_in_bounds():
    for text, _ in ROWS:
        t = text.casefold()
        r = run(text)
        for a, b in r.spans:
            assert 0 <= a < b <= len(t), text
            assert t[a:b] == t[a:b].strip(), (text, t[a:b])
