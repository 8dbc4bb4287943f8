"""UK-07: the engine's Chinese vulnerability and self-harm words (bot.dialogs.engine
_VULNERABLE / _SELF_HARM), which hold automation and hand off whatever the intent
(self-harm at priority 1)."""

import pytest

from bot.dialogs.engine import _SELF_HARM, _VULNERABLE, vulnerable_words


@pytest.mark.parametrize("text", [
    "还不上我就从楼上跳下去", "活着真没意思，欠一屁股债", "我真想一了百了", "实在不行我就去死好了",
    "别再逼我了，再逼我就去死", "活着太累了", "想不开了", "活着有什么意思",
])
def test_uk07_zh_self_harm(text):
    assert _SELF_HARM.search(text)
    assert vulnerable_words(text)


@pytest.mark.parametrize("text", [
    # ICU right after a CJK character (\b never matches there)
    "我老公出车祸了，在ICU", "我妈在icu", "我确诊了白血病", "我爸查出肿瘤", "我老婆中风了", "撑不下去了", "我快崩溃了",
])
def test_uk07_zh_vulnerability(text):
    assert vulnerable_words(text)


@pytest.mark.parametrize("text", ["你去死吧", "系统崩溃了，等会还", "我的picu账号", "ok明天还"])
def test_uk07_zh_no_false_alarm(text):
    assert not _SELF_HARM.search(text)
    assert not _VULNERABLE.search(text)
