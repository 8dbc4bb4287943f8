"""A/B template variants: parsing into ``Script.variants``, ``render(..., variant=)`` and
the weighted, caller-seeded ``choose_variant``."""

from __future__ import annotations

import pytest

from bot.dialogs import default_script_text
from bot.dialogs.script import REQUIRED_TEMPLATES, Variant, load_script, template_report
from bot.templates import TemplateError, choose_variant, render

HEAD = '[script]\ninitial = "start"\nmenu = "start"\nverify = "start"\nchoose_account = "start"\n'
BODY = ('[states.start]\ncontext = "notice"\n[states.start.on]\n'
        'hardship = { do = "hardship", say = "handoff_notice", kind = "handoff_notice" }\n'
        + "".join(f'[templates.{k}]\n' + ("collection = true\n" if k == "notice" else "")
                  + f'en = "Message {k}. Reply STOP to opt out."\nzh = "您好。回复“退订”停止接收短信。"\n'
                  for k in REQUIRED_TEMPLATES if k != "notice"))

NOTICE = '''
[templates.notice]
collection = true
weight = 1
en = "A {{ name }}: Reply PAY, PLAN, or STOP to opt out."
zh = "甲{{ name }}：回复“退订”停止接收短信。"

[templates.notice.variants.B]
weight = 3
en = "B {{ name }}: Reply PAY, PLAN, or STOP to opt out."
zh = "乙{{ name }}：回复“退订”停止接收短信。"

[templates.notice.variants.C]
weight = 0
en = "C {{ name }}: Reply STOP to opt out."
zh = "丙{{ name }}：回复“退订”停止接收短信。"
'''

SCRIPT = load_script(HEAD + BODY + NOTICE)


def test_parsing():
    assert SCRIPT.templates["notice"] == {"en": "A {{ name }}: Reply PAY, PLAN, or STOP to opt out.",
                                          "zh": "甲{{ name }}：回复“退订”停止接收短信。"}
    assert "notice" in SCRIPT.collection
    [a, b, c] = SCRIPT.variants["notice"]
    assert a == Variant("A", 1, SCRIPT.templates["notice"])
    assert (b.name, b.weight, b.texts["en"]) == ("B", 3, "B {{ name }}: Reply PAY, PLAN, or STOP to opt out.")
    assert (c.name, c.weight) == ("C", 0)
    assert set(SCRIPT.variants) == {"notice"}          # only templates that declare variants


def test_weights_default_to_one():
    text = HEAD + BODY + NOTICE.replace("weight = 1\n", "").replace("weight = 3\n", "")
    [a, b, _] = load_script(text).variants["notice"]
    assert (a.weight, b.weight) == (1, 1)


def test_inline_variant_tables():
    text = HEAD + BODY + ('[templates.notice]\ncollection = true\nen = "A. Reply STOP to opt out."\n'
                          'zh = "甲。回复“退订”。"\n'
                          'variants.B = { weight = 2, en = "B. Reply STOP to opt out.", zh = "乙。回复“退订”。" }\n')
    [a, b] = load_script(text).variants["notice"]
    assert (b.name, b.weight, b.texts["zh"]) == ("B", 2, "乙。回复“退订”。")


def test_the_default_script_has_no_variants():
    script = load_script(default_script_text())
    assert script.variants == {}
    assert choose_variant(script, "notice", 0.5) == "A"


def test_render_with_a_variant():
    p = {"name": "Ann"}
    assert render(SCRIPT, "notice", "en", p).startswith("A Ann:")
    assert render(SCRIPT, "notice", "en", p, variant=None).startswith("A Ann:")
    assert render(SCRIPT, "notice", "en", p, variant="A").startswith("A Ann:")
    assert render(SCRIPT, "notice", "en", p, variant="B").startswith("B Ann:")
    assert render(SCRIPT, "notice", "zh", p, variant="B").startswith("乙Ann")
    assert render(SCRIPT, "notice", "fr", p, variant="C").startswith("C Ann:")   # falls back to en
    # the compiled cache keeps base and variant apart
    assert render(SCRIPT, "notice", "en", p).startswith("A Ann:")


def test_render_errors():
    with pytest.raises(TemplateError, match="no variant 'Z'"):
        render(SCRIPT, "notice", "en", {"name": "Ann"}, variant="Z")
    with pytest.raises(TemplateError, match="no variant 'B'"):
        render(SCRIPT, "help", "en", {}, variant="B")
    with pytest.raises(TemplateError, match="unknown template"):
        render(SCRIPT, "nope", "en", {}, variant="B")
    with pytest.raises(TemplateError, match="unknown placeholder"):
        render(SCRIPT, "notice", "en", {}, variant="B")


@pytest.mark.parametrize("rnd,expected", [
    (0.0, "A"), (0.2499999, "A"),        # A: weight 1 of 4 → [0, 0.25)
    (0.25, "B"), (0.5, "B"), (0.9999999999999999, "B"),   # B: weight 3 → [0.25, 1); C: weight 0, never
])
def test_choose_variant_boundaries(rnd, expected):
    assert choose_variant(SCRIPT, "notice", rnd) == expected


def test_choose_variant_distribution():
    n = 10_000
    picks = [choose_variant(SCRIPT, "notice", i / n) for i in range(n)]
    assert picks.count("A") == 2500 and picks.count("B") == 7500 and "C" not in picks


def test_choose_variant_with_a_zero_base_weight():
    text = HEAD + BODY + NOTICE.replace("weight = 1\n", "weight = 0\n", 1)
    script = load_script(text)
    assert {choose_variant(script, "notice", r) for r in (0.0, 0.3, 0.999)} == {"B"}


def test_choose_variant_without_variants_and_bad_input():
    assert choose_variant(SCRIPT, "help", 0.7) == "A"
    assert choose_variant(SCRIPT, "no_such_template", 0.7) == "A"
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError):
            choose_variant(SCRIPT, "notice", bad)


def test_template_report_lists_variants():
    report = [i for i in template_report(SCRIPT) if i.key == "notice"]
    assert [(i.variant, i.lang) for i in report] == [(None, "en"), (None, "zh"), ("B", "en"), ("B", "zh"),
                                                     ("C", "en"), ("C", "zh")]
    text = SCRIPT.text
    b_en = next(i for i in report if (i.variant, i.lang) == ("B", "en"))
    assert b_en.line == text[:text.index('en = "B {{ name }}')].count("\n") + 1
    assert (b_en.segments, b_en.encoding) == (1, "GSM-7")
