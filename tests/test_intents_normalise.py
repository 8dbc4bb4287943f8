"""normalise(): the canonical text every intent rule reads."""

import pytest

from bot.intents import normalise
from bot.intents.normalise import detect_lang, has_cjk


@pytest.mark.parametrize("raw, expected", [
    ("ＳＴＯＰ", "stop"),                       # full-width letters (NFKC) + casefold
    ("ＴＤ", "td"),
    ("STOP!!!", "stop!!!"),
    ("don’t text me", "don't text me"),          # curly apostrophe
    ("“quoted”", '"quoted"'),
    ("我要还款。。。", "我要还款..."),              # CJK full stop
    ("哪个银行的？", "哪个银行的?"),               # full-width question mark
    ("还款😊", "还款"),                           # emoji dropped
    ("👍", "ok"),                                # thumbs-up mapped
    ("👎", "no"),
    ("  stop \t\n please  ", "stop please"),      # whitespace collapsed
    ("[Web발신] 还款", "还款"),                    # carrier tag removed
    ("[Web발신]", ""),
    ("", ""),
    ("Ⅻ", "xii"),
])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", ["ＳＴＯＰ please 👍", "don’t  text", "[Web발신]退订", "Liked “x”"])
def test_normalise_is_idempotent(raw):
    once = normalise(raw)
    assert normalise(once) == once


@pytest.mark.parametrize("text, lang", [
    ("stop", None), ("STOP please", "en"), ("START", None), ("help", None), ("hello", "en"), ("下周五还", "zh"), ("ok 下周五 pay", "zh"), ("0000", None), ("k", None), ("", None),
])
def test_detect_lang(text, lang):
    assert detect_lang(normalise(text)) == lang


def test_has_cjk():
    assert has_cjk("我 lost job 了")
    assert not has_cjk("[web발신]")  # Hangul is not a CJK ideograph
