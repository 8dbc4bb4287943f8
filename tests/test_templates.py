"""Template rendering (sandboxed, strict) and money formatting."""

from decimal import Decimal

import pytest

from bot.dialogs import default_script_text, load_script
from bot.money import format_money, to_minor
from bot.templates import TemplateError, render

SCRIPT = load_script(default_script_text())


def test_render_en_and_zh():
    p = {"amount": "$50.00", "date": "Fri Dec 4"}
    assert render(SCRIPT, "promise_recorded", "en", p).startswith("Confirmed: $50.00 on Fri Dec 4")
    assert "已确认" in render(SCRIPT, "promise_recorded", "zh", {"amount": "¥50.00", "date": "12月4日（周五）"})


def test_unknown_template_or_placeholder_raises():
    with pytest.raises(TemplateError):
        render(SCRIPT, "no_such_template", "en", {})
    with pytest.raises(TemplateError):
        render(SCRIPT, "promise_recorded", "en", {"amount": "$1"})   # date missing


def test_sandbox_blocks_attribute_escape():
    from bot.templates import render_source
    with pytest.raises(Exception):
        render_source("{{ x.__class__.__mro__[1].__subclasses__() }}", {"x": ""})


def test_unknown_language_falls_back_to_english():
    assert render(SCRIPT, "wrong_number", "fr", {}).startswith("Sorry")


@pytest.mark.parametrize("minor,cur,text", [
    (5000, "USD", "$50.00"), (260000, "CNY", "¥2,600.00"), (2000, "GBP", "£20.00"),
    (1000, "JPY", "¥1,000"), (123456, "CHF", "1,234.56 CHF"), (-5, "USD", "-$0.05"),
    (1234, "KWD", "1.234 KWD"),
])
def test_format_money(minor, cur, text):
    assert format_money(minor, cur, "en") == text


def test_to_minor():
    assert to_minor(Decimal("50"), "USD") == 5000
    assert to_minor(Decimal("1250.005"), "USD") == 125001
    assert to_minor(Decimal("1000"), "JPY") == 1000
    assert to_minor(Decimal("2600"), "CNY") == 260000
