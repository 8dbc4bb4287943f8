"""interpret(): unit tests at the core (each runs in microseconds)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret
from bot.intents.fuzzy import correct_word
from bot.types import INTENTS

NY = "America/New_York"
SH = "Asia/Shanghai"
NOW_NY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(NY))
NOW_SH = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(SH))


def run(text, context="notice", **kw):
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    return interpret(text, context=context, now=NOW_SH if cjk else NOW_NY, tz=SH if cjk else NY, **kw)


# --- fuzzy: a real word is never a typo ------------------------------------------------

@pytest.mark.parametrize("token, expected", [
    ("stpo", "stop"), ("plna", "plan"), ("pyament", "payment"), ("lawer", "lawyer"),
    ("plant", "plant"), ("play", "play"), ("shop", "shop"), ("step", "step"), ("top", "top"),
    ("nope", "nope"), ("stoop", "stoop"), ("plans", "plans"), ("pat", "pat"),
])
def test_correct_word(token, expected):
    assert correct_word(token) == expected


# --- compliance first (US-06, US-18) ----------------------------------------------------

@pytest.mark.parametrize("text, channel", [
    ("STOP", "sms"), ("stop please", "sms"), ("STOP 4417", "sms"), ("stop texting me", "sms"),
    ("stop calling me", "voice"), ("stop emailing me, text is fine", "email"),
    ("do not contact me anymore", "all"), ("only contact me by mail", "sms+voice"),
    ("退订", "sms"), ("TD", "sms"), ("0000", "sms"),
])
def test_certain_opt_outs(text, channel):
    it = run(text)
    assert it.name == "stop"
    assert it.confidence >= 0.9
    assert it.entities.channel == channel


@pytest.mark.parametrize("text", ["leave me alone", "goodbye", "lose my number", "I'm blocking this number"])
def test_possible_opt_outs_are_stop_below_threshold(text):
    it = run(text)
    assert it.name == "stop"
    assert it.confidence < 0.75


def test_threshold_is_configurable():
    assert run("leave me alone", optout_threshold=0.5).confidence < 0.5


def test_gateway_letter_in_confirm_context_is_unsure_stop():
    it = run("N", "confirm")
    assert it.name == "stop" and it.confidence < 0.75


@pytest.mark.parametrize("text, intent", [
    ("Stop by the branch?", "unknown"),
    ("I stopped by the branch and paid yesterday", "paid_already"),
    ("can you stop charging me late fees", "dispute"),
    ("please don't stop my autopay", "unknown"),
    ("if you STOP adding fees I can pay 100", "plan"),
    ("cancel my payment for friday", "unknown"),
    ("end of the month", "promise"),
    ('Liked "Your payment of $75 is due 6/1. Reply STOP to opt out."', "unknown"),
    ("I'll play it by ear", "unknown"),
    ("we're planting the garden on the 15th", "unknown"),
])
def test_not_stop_traps(text, intent):
    it = run(text)
    assert it.name == intent


@pytest.mark.parametrize("text, intent", [
    ("stop texting me, talk to my lawyer", "attorney"),
    ("STOP. I already paid this", "stop"),
    ("STOP I filed bankruptcy", "bankruptcy"),
    ("my name is not Jose! stop texting", "wrong_number"),
])
def test_compliance_priority(text, intent):
    assert run(text).name == intent


# --- contexts ---------------------------------------------------------------------

@pytest.mark.parametrize("text, context, intent", [
    ("yes", "confirm", "affirm"), ("👍", "confirm", "affirm"), ("k", "confirm", "affirm"),
    ("是的", "confirm", "affirm"), ("nope", "confirm", "deny"), ("不行", "confirm", "deny"),
    ("not me", "verify", "wrong_number"), ("不是", "verify", "wrong_number"), ("不是", "confirm", "deny"),
    ("zip is 60614", "verify", "identity_check_answer"), ("yes this is Dana", "verify", "affirm"),
    ("START", "opted_out", "start"), ("恢复短信提醒", "opted_out", "start"),
    ("tmrw", "ask_date", "promise"), ("12点之前", "ask_date", "promise"),
])
def test_contexts(text, context, intent):
    assert run(text, context).name == intent


def test_choice_respects_plan_options():
    it = run("2", "plan_offer", plan_options=3)
    assert (it.name, it.entities.option) == ("choice", 2)
    assert run("4", "plan_offer", plan_options=3).name != "choice"
    assert run("7", "plan_offer").entities.option == 7       # 0 offers → 1..9 accepted
    assert run("2", "notice").name != "choice"


def test_identity_answer_carries_no_entities():
    it = run("03/14/1985", "verify")
    assert it.name == "identity_check_answer"
    assert it.entities.as_json() == {}


# --- entities and metadata ----------------------------------------------------------

def test_promise_has_amount_and_date():
    it = run("$50 on fri")
    assert it.name == "promise"
    assert it.entities.amount == Decimal("50")
    assert it.entities.date == dt.date(2026, 12, 4)


def test_chinese_promise_date():
    it = run("下周五还")
    assert (it.name, it.lang, it.entities.date) == ("promise", "zh", dt.date(2026, 12, 11))


def test_tapback_and_auto_reply_have_no_entities():
    assert run('Laughed at "Your balance is $412.19"').entities.as_json() == {}
    it = run("Out of office until 6/3. For urgent matters call 555-0199")
    assert it.name == "auto_reply" and it.entities.as_json() == {}


def test_lang_and_rule():
    it = run("STOP")
    # a bare keyword every notice asks for says nothing about the customer's language
    assert it.lang is None and it.rule.startswith("stop.")
    assert run("stop texting me").lang == "en"
    assert run("0000").lang is None
    assert run("ok 下周五 pay").lang == "zh"


def test_every_name_is_a_known_intent():
    for text in ["", "?", "lol", "[Web발신]", "Sent from my iPhone", "hmm", "12345678901234"]:
        it = run(text)
        assert it.name in INTENTS
        assert 0.0 <= it.confidence <= 1.0


def test_unknown_context_reads_as_notice():
    assert run("pay", "bogus").name == "pay"


# --- the regex pre-check never changes a result ----------------------------------------

def test_prefilter_is_exact_on_corpus_texts():
    import csv
    from pathlib import Path

    from bot.intents import classify as C
    from bot.intents import normalise
    from bot.intents.prefilter import Rule, word_starts

    texts = []
    for name in ("replies.tsv", "replies_extra.tsv"):
        with open(Path(__file__).parent / "data" / name, encoding="utf-8", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
    texts += ["i dont know him", "f*** off", "smith law 555-0100", "a b c", "ok 下周五 pay", "x"]
    rules = [v for v in vars(C).values() if isinstance(v, Rule)]
    assert len(rules) > 30
    for raw in texts:
        t = normalise(raw).replace("'", "")
        st, chars = word_starts(t), frozenset(t)
        for rule in rules:
            assert bool(rule.search(t, st, chars)) == bool(rule.regex.search(t)), (raw, rule.regex.pattern[:60])


def test_prefilter_prefixes():
    from bot.intents.prefilter import firsts_of, starts_of
    assert starts_of(r"\b(?:i )?(?:dont|do not) know") == {"i d", "don", "do "}
    assert starts_of(r"\bf+u+c+k\b") == {"fuc", "fuu", "ffu", "fff"}
    assert starts_of(r"\bok\b") == {"ok"}
    assert starts_of(r"退订") is None            # not anchored at a word start
    assert firsts_of(r"退订|拒收") == {"退", "拒"}
    assert starts_of(r"\b\d+ payments") is None  # a digit class is not a literal


def test_jieba_only_for_ambiguous_chinese():
    """Lexicon-decided Chinese never loads jieba; 还有/还是 ambiguity is settled by it."""
    import subprocess
    import sys
    code = (
        "import datetime as dt, sys\n"
        "from zoneinfo import ZoneInfo\n"
        "from bot.intents import interpret\n"
        "now = dt.datetime(2026, 11, 30, 10, tzinfo=ZoneInfo('Asia/Shanghai'))\n"
        "for t in ['请帮我退订', '下周五还', '我要还款', '不是本人', '分期']:\n"
        "    interpret(t, now=now, tz='Asia/Shanghai')\n"
        "print('jieba' in sys.modules)\n"
        "print(interpret('明天还有事', now=now, tz='Asia/Shanghai').name)\n"
        "print('jieba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1])).stdout.split()
    assert out == ["False", "unknown", "True"]


def test_quoted_footer_is_not_an_opt_out():
    it = run('"Your payment of $75 is due. Reply STOP to opt out."')
    assert (it.name, it.entities.as_json()) == ("unknown", {})
    assert run('STOP "Reply STOP to opt out"').name == "stop"
