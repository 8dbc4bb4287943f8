"""The script validator, one small broken script per rule (`duly scripts validate FILE`
and the console editor): schema, target states, reachability, dead ends, every template
in every language with known placeholders, segments and encoding, compliance intents
not overridable, the opt-out in collection texts (US-04), the content linter per profile
(US-21, UK-02, UK-06, CN-04, lint:disguised, lint:sensitive) and A/B variants — each
problem with its exact TOML line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.dialogs import default_script_text
from bot.dialogs.script import (MAX_SEGMENTS, REQUIRED_TEMPLATES, Problem, ScriptError, TemplateInfo,
                                lint_profiles, load_script, template_report, validate)
from duly.config import load_behaviour

ROOT = Path(__file__).resolve().parent.parent
PROFILES = load_behaviour(ROOT / "config.toml")[0]["profiles"]
US = {"us_first_party": PROFILES["us_first_party"]}
CN = {"cn": PROFILES["cn"]}
UK = {"uk": PROFILES["uk"]}

# A minimal valid script: the snippet under test always starts on line 7.
HEAD = ('[script]\ninitial = "start"\nmenu = "start"\nverify = "start"\nchoose_account = "start"\n'
        '# ---- snippet\n')
BODY = ('\n[states.start]\ncontext = "notice"\n[states.start.on]\n'
        'hardship = { do = "hardship", say = "handoff_notice", kind = "handoff_notice" }\n\n'
        + "".join(f'[templates.{k}]\n'
                  + ("collection = true\n" if k == "notice" else "")
                  + f'en = "Message {k}. Reply STOP to opt out."\n'
                  + 'zh = "您好。回复“退订”停止接收短信。"\n'
                  for k in REQUIRED_TEMPLATES))


def mini(snippet: str = "") -> str:
    return HEAD + snippet + BODY


def only(text: str, fragment: str, profiles=None) -> Problem:
    """The one problem whose message contains ``fragment``."""
    probs = validate(text, profiles)
    hits = [p for p in probs if fragment in p.message]
    assert len(hits) == 1, probs
    return hits[0]


def test_the_minimal_script_and_the_shipped_default_are_clean():
    assert validate(mini()) == []
    assert validate(mini(), PROFILES) == []
    # the shipped default, linted under the real config profiles
    assert validate(default_script_text(), PROFILES) == []
    load_script(default_script_text(), PROFILES)


# --- schema --------------------------------------------------------------------------

def test_schema_errors():
    text = mini('[states.side]\ncontext = "lobby"\ncolour = "blue"\nterminal = true\n'
                '[global.on]\nabuse = { do = "handoff", say = "handoff_notice", handoff = "abuse", '
                'goto = "side", speed = 3 }\n')
    assert only(text, "states.side.context must be one of").line == 8
    assert only(text, "unknown key 'colour'").line == 9
    assert only(text, "unknown key 'speed'").line == 12
    with pytest.raises(ScriptError) as exc:
        load_script(text)
    assert [p.line for p in exc.value.problems] == [8, 9, 12]


def test_toml_syntax_error():
    [p] = validate(mini("[templates.x\n"))
    assert p.line == 7 and p.message.startswith("TOML syntax")


# --- states ---------------------------------------------------------------------------

def test_missing_target_state():
    p = only(mini('[global.on]\npay = { do = "pay", say = "notice", goto = "nowhere" }\n'), "does not exist")
    assert p.line == 8
    assert p.message == "global.on.pay.goto: state 'nowhere' does not exist"


def test_missing_template_named_by_a_handler():
    p = only(mini('[global.on]\npay = { do = "pay", say = "pay_now" }\n'), "does not exist")
    assert (p.line, p.message) == (8, "global.on.pay.say: template 'pay_now' does not exist")


def test_unreachable_state():
    p = only(mini('[states.orphan]\ncontext = "notice"\nterminal = true\n'), "unreachable")
    assert (p.line, p.message) == (7, "states.orphan is unreachable from 'start'")


def test_dead_end():
    text = mini('[global.on]\npay = { do = "pay", say = "notice", goto = "stuck" }\n'
                '[states.stuck]\ncontext = "confirm"\n')
    p = only(text, "dead end")
    assert p.line == 9 and p.message.startswith("states.stuck is a dead end")
    # a hand-off out of it, or marking it terminal, fixes it
    assert validate(text.replace('context = "confirm"\n', 'context = "confirm"\nterminal = true\n')) == []
    assert validate(text.replace('context = "confirm"\n', 'context = "confirm"\n[states.stuck.on]\n'
                                 'abuse = { do = "handoff", handoff = "abuse", say = "handoff_notice" }\n')) == []


@pytest.mark.parametrize("intent", ["stop", "start", "help", "attorney", "bankruptcy", "dispute",
                                    "wrong_number"])
def test_compliance_intents_cannot_be_mapped(intent):
    p = only(mini(f'[global.on]\n{intent} = {{ do = "ignore" }}\n'), "compliance intent")
    assert p.line == 8 and p.message.startswith(f"global.on.{intent}: '{intent}' is a compliance intent")
    p = only(mini(f'[states.side]\ncontext = "notice"\nterminal = true\n[states.side.on.{intent}]\n'
                  'do = "say"\nsay = "help"\n'), "compliance intent")
    assert p.line == 10 and p.message.startswith(f"states.side.on.{intent}:")


# --- templates --------------------------------------------------------------------------

def test_template_missing_a_language():
    p = only(mini('[templates.extra]\nen = "Hello. Reply STOP to opt out."\n'), "has no")
    assert (p.line, p.message) == (7, "templates.extra has no 'zh' text (every template in every language)")


def test_unknown_placeholder():
    p = only(mini('[templates.extra]\nen = "Hi {{ nickname }}."\nzh = "您好。"\n'), "unknown placeholder")
    assert p.line == 8 and "nickname" in p.message and p.message.startswith("templates.extra.en:")


def test_unknown_placeholder_in_a_branch_the_sample_does_not_take():
    text = mini('[templates.extra]\nen = "Hi{% if name %} {{ name }}{% else %} {{ nickname }}{% endif %}."\n'
                'zh = "您好。"\n')
    p = only(text, "unknown placeholder")
    assert (p.line, p.message) == (8, "templates.extra.en: unknown placeholder: nickname")


def test_template_over_ten_segments():
    long_zh = "您好" * 340                      # 680 UTF-16 units: 11 UCS-2 segments of 67
    p = only(mini(f'[templates.extra]\nen = "Hello."\nzh = "{long_zh}"\n'), "SMS segments")
    assert p.line == 9
    assert p.message == (f"templates.extra.zh: 11 SMS segments (UCS-2, 680 units) with sample values; "
                         f"at most {MAX_SEGMENTS}")
    ten = "您好" * 335                           # 670 units: exactly 10 segments, allowed
    assert validate(mini(f'[templates.extra]\nen = "Hello."\nzh = "{ten}"\n')) == []


def test_segments_count_the_rendered_placeholders():
    # 1500 GSM-7 characters fit in 10 segments; the 12-line sample schedule does not
    en = "x" * 1400 + " {{ schedule }}"
    p = only(mini(f'[templates.extra]\nen = "{en}"\nzh = "您好。"\n'), "SMS segments")
    assert p.line == 8 and "GSM-7" in p.message


def test_ucs2_detection_is_reported():
    text = mini('[templates.extra]\nen = "We\u2019ll text you soon. Reply STOP to opt out."\n'
                'zh = "您好。回复“退订”停止接收短信。"\n')
    assert validate(text, PROFILES) == []        # a cost, not an error
    infos = {(i.key, i.lang): i for i in template_report(load_script(text))}
    en = infos[("extra", "en")]
    units = len("We\u2019ll text you soon. Reply STOP to opt out.")
    assert en == TemplateInfo("extra", "en", None, 1, "UCS-2", units, 8, ("\u2019",))
    assert infos[("notice", "en")].encoding == "GSM-7"
    from duly.scripts_cli import format_report
    row = next(r for r in format_report(template_report(load_script(text))).splitlines()
               if r.startswith("extra "))
    assert "1 UCS-2 ('\u2019')" in row


def test_template_report_of_the_default_script():
    script = load_script(default_script_text())
    report = template_report(script)
    keys = {(i.key, i.lang) for i in report}
    assert keys == {(k, lang) for k in script.templates for lang in ("en", "zh")}
    notice_en = next(i for i in report if (i.key, i.lang) == ("notice", "en"))
    text = default_script_text()
    assert notice_en.line == text[:text.index('en = "Hi {{ name }}, this is {{ creditor }}. Your account')].count("\n") + 1
    assert notice_en.encoding == "GSM-7" and notice_en.segments == 1 and notice_en.variant is None
    assert all(i.encoding == "UCS-2" for i in report if i.lang == "zh")
    assert all(i.encoding == "GSM-7" for i in report if i.lang == "en")
    assert max(i.segments for i in report) <= MAX_SEGMENTS


def test_collection_template_without_the_opt_out():   # US-04
    text = mini('[templates.extra]\ncollection = true\nen = "Please pay your balance."\n'
                'zh = "请还款。回复“退订”停止接收短信。"\n')
    p = only(text, "US-04")
    assert p.line == 9 and p.message.startswith("templates.extra.en is a collection notice")
    # with profiles: STOP present but not as an instruction is the linter's US-04
    text = mini('[templates.extra]\ncollection = true\nen = "Do not STOP paying."\n'
                'zh = "请还款。回复“退订”停止接收短信。"\n')
    assert validate(text) == []
    p = only(text, "US-04", US)
    assert (p.line, p.message) == (9, 'templates.extra.en: US-04 no opt-out instruction (e.g. "Reply STOP to stop texts")')
    # not a collection text: no opt-out required, even under the third-party regime
    plain = mini('[templates.extra]\nen = "Thanks."\nzh = "谢谢。"\n')
    assert validate(plain, PROFILES) == []


def test_collection_must_be_a_boolean():
    p = only(mini('[templates.extra]\ncollection = "yes"\nen = "Hi."\nzh = "您好。"\n'), "collection")
    assert (p.line, p.message) == (8, "templates.extra.collection must be true or false")


# --- the content linter per profile ---------------------------------------------------------

def test_us21_threat_in_an_english_template_under_a_us_profile():
    text = mini('[templates.extra]\nen = "Pay today or we call the police."\nzh = "请还款。"\n')
    assert validate(text) == []                                   # no profiles: not linted
    p = only(text, "US-21", PROFILES)
    assert (p.line, p.message) == (8, "templates.extra.en: US-21 threat or false implication: 'police'")
    assert not [q for q in validate(text, CN) if "US-21" in q.message]   # en is not linted under CN


def test_us21_legal_action_wording():
    p = only(mini('[templates.extra]\nen = "We may file a lawsuit."\nzh = "请还款。"\n'), "US-21", US)
    assert (p.line, p.message) == (8, "templates.extra.en: US-21 legal-action wording without approval: 'lawsuit'")


def test_cn04_term_in_a_chinese_template_under_the_cn_profile():
    text = mini('[templates.extra]\nen = "Please pay."\nzh = "请尽快还款，否则我们将上门催收。"\n')
    p = only(text, "CN-04", PROFILES)
    assert (p.line, p.message) == (9, "templates.extra.zh: CN-04 banned collection wording: '上门'")
    assert validate(text, US) == []                                # zh is linted under CN only


def test_uk02_pressure_under_the_uk_profile():
    text = mini('[templates.extra]\nen = "Last chance to settle."\nzh = "请还款。"\n')
    p = only(text, "UK-02", PROFILES)
    assert (p.line, p.message) == (8, "templates.extra.en: UK-02 pressure wording: 'Last chance'")
    assert validate(text, US) == []


def test_uk06_only_for_templates_that_reach_unconfirmed_people():
    # `help` may reach anyone: no amount under a profile with identity_check
    text = mini("").replace('en = "Message help. Reply STOP to opt out."',
                            'en = "Minimum payment is $25.00. Reply STOP to opt out."')
    p = only(text, "UK-06", UK)
    assert p.line == mini().splitlines().index('en = "Message help. Reply STOP to opt out."') + 1
    assert p.message == "templates.help.en: UK-06 amount shown before identity is confirmed"
    assert validate(text, US) == []
    # other templates go after the identity check: amounts are fine
    assert validate(mini('[templates.extra]\nen = "You owe {{ past_due }}."\nzh = "请还款{{ past_due }}。"\n'),
                    UK) == []


def test_disguised_and_sensitive_text():
    text = mini('[templates.extra]\nen = "Call the p\u043elice."\nzh = "请还款。"\n')   # Cyrillic о
    p = only(text, "lint:disguised", US)
    assert p.line == 8 and p.message.startswith("templates.extra.en: lint:disguised a word mixes Latin")
    text = mini('[templates.extra]\nen = "Your SSN 123-45-6789 is on file."\nzh = "请还款。"\n')
    p = only(text, "lint:sensitive", US)
    assert (p.line, p.message) == (8, "templates.extra.en: lint:sensitive a Social Security number")


def test_banned_phrase_in_a_branch_the_sample_does_not_print():
    text = mini('[templates.extra]\nen = "{% if name %}Hi.{% else %}Or jail.{% endif %}"\nzh = "您好。"\n')
    p = only(text, "US-21", US)
    assert (p.line, p.message) == (8, "templates.extra.en: US-21 threat or false implication: 'jail'")


def test_one_problem_per_finding_across_profiles():
    text = mini('[templates.extra]\nen = "Or jail."\nzh = "您好。"\n')
    hits = [p for p in validate(text, PROFILES) if "US-21" in p.message]
    assert len(hits) == 1     # us_first_party, us_third_party and us_ma agree


def test_jurisdiction_templates_are_linted_under_their_jurisdiction():
    templates = {"hardship": {}, "hardship_uk": {}, "notice": {}}
    assert lint_profiles("hardship_uk", "en", PROFILES, templates) == ["uk"]
    assert lint_profiles("hardship", "en", PROFILES, templates) == ["us_first_party", "us_third_party", "us_ma"]
    assert lint_profiles("notice", "en", PROFILES, templates) == ["us_first_party", "us_third_party", "us_ma", "uk"]
    assert lint_profiles("notice", "zh", PROFILES, templates) == ["cn"]
    # "today only" is UK-02 pressure, but a US-only text may say it... and a _uk text may not
    text = mini('[templates.offer]\nen = "Reply PLAN today only."\nzh = "您好。"\n'
                '[templates.offer_uk]\nen = "Reply PLAN today only."\nzh = "您好。"\n')
    p = only(text, "UK-02", PROFILES)
    assert (p.line, p.message) == (11, "templates.offer_uk.en: UK-02 pressure wording: 'today only'")


def test_us14_disclosure_is_not_required_of_script_templates():
    assert validate(mini('[templates.extra]\ncollection = true\nen = "Pay now. Reply STOP to opt out."\n'
                         'zh = "请还款。回复“退订”停止接收短信。"\n'), {"t": PROFILES["us_third_party"]}) == []


# --- A/B variants ------------------------------------------------------------------------------

VARIANTS = ('[templates.offer]\ncollection = true\nweight = 3\nen = "A: Reply PLAN, or STOP to opt out."\n'
            'zh = "甲：回复“分期”，回复“退订”停止接收短信。"\n'
            '[templates.offer.variants.B]\nweight = 1\nen = "B: Reply PLAN, or STOP to opt out."\n'
            'zh = "乙：回复“分期”，回复“退订”停止接收短信。"\n')


def test_variants_validate_clean():
    assert validate(mini(VARIANTS), PROFILES) == []


def test_variant_missing_a_language():
    text = mini(VARIANTS.replace('zh = "乙：回复“分期”，回复“退订”停止接收短信。"\n', ""))
    p = only(text, "has no")
    assert (p.line, p.message) == (12, "templates.offer.variants.B has no 'zh' text (every template in every language)")


@pytest.mark.parametrize("weight", ["-1", "1.5", "true", '"2"'])
def test_bad_weight(weight):
    p = only(mini(VARIANTS.replace("weight = 1\n", f"weight = {weight}\n")), "weight")
    assert (p.line, p.message) == (13, f"templates.offer.variants.B.weight must be a whole number >= 0, not {weight.replace('true', 'True').replace(chr(34), chr(39))}")
    p = only(mini(VARIANTS.replace("weight = 3\n", f"weight = {weight}\n")), "weight")
    assert p.line == 9 and p.message.startswith("templates.offer.weight must be a whole number >= 0")


def test_all_weights_zero():
    text = mini(VARIANTS.replace("weight = 3\n", "weight = 0\n").replace("weight = 1\n", "weight = 0\n"))
    p = only(text, "positive weight")
    assert (p.line, p.message) == (7, "templates.offer: every variant has weight 0: at least one must have a positive weight")
    assert validate(mini(VARIANTS.replace("weight = 3\n", "weight = 0\n"))) == []   # B alone is fine
    p = only(mini('[templates.extra]\nweight = 0\nen = "Hi."\nzh = "您好。"\n'), "positive weight")
    assert p.line == 8


def test_variant_names_and_keys():
    p = only(mini(VARIANTS.replace("variants.B]", "variants.A]")), "variant name")
    assert p.line == 12 and p.message.startswith("templates.offer.variants.A: a variant name")
    p = only(mini(VARIANTS.replace("[templates.offer.variants.B]\n", "[templates.offer.variants.B]\ncollection = false\n")),
             "not allowed in a variant")
    assert (p.line, p.message) == (13, "templates.offer.variants.B.collection: not allowed in a variant (set it on templates.offer)")
    p = only(mini('[templates.extra]\nen = "Hi."\nzh = "您好。"\nvariants = 3\n'), "variants must be a table")
    assert p.line == 10


def test_variants_are_checked_like_templates():
    # collection opt-out (US-04), placeholders, segments and the linter, each on the variant's line
    text = mini(VARIANTS.replace('en = "B: Reply PLAN, or STOP to opt out."', 'en = "B: Reply PLAN."'))
    p = only(text, "US-04")
    assert (p.line, p.message[:45]) == (14, "templates.offer.variants.B.en is a collection")
    text = mini(VARIANTS.replace('en = "B: Reply PLAN, or STOP to opt out."',
                                 'en = "B: {{ nick }} Reply PLAN, or STOP to opt out."'))
    assert only(text, "unknown placeholder").line == 14
    text = mini(VARIANTS.replace('en = "B: Reply PLAN, or STOP to opt out."',
                                 'en = "B: or the sheriff comes. Reply PLAN, or STOP to opt out."'))
    p = only(text, "US-21", US)
    assert (p.line, p.message) == (14, "templates.offer.variants.B.en: US-21 threat or false implication: 'sheriff'")
    long_zh = "您好" * 340
    text = mini(VARIANTS.replace('zh = "乙：回复“分期”，回复“退订”停止接收短信。"', f'zh = "{long_zh}回复“退订”"'))
    p = only(text, "SMS segments")
    assert p.line == 15 and p.message.startswith("templates.offer.variants.B.zh: 11 SMS segments")


def test_debt_free_templates_keep_no_debt_detail_in_variants():
    text = mini('[templates.help.variants.B]\nen = "Hi {{ name }}. Reply STOP to opt out."\n'
                'zh = "您好。回复“退订”停止接收短信。"\n')
    p = only(text, "no debt detail")
    assert p.line == 8 and p.message.startswith("templates.help.variants.B.en may reach an unconfirmed person")


# --- duly scripts validate FILE -------------------------------------------------------------

def _settings():
    return SimpleNamespace(behaviour={"profiles": PROFILES}, database_url="sqlite://")


def test_cli_validate_prints_file_line_message(tmp_path, capsys):
    from duly import scripts_cli
    bad = tmp_path / "bad.toml"
    bad.write_text(mini('[templates.extra]\nen = "Or jail."\nzh = "您好。"\n'), "utf-8")
    assert scripts_cli.main("validate", str(bad), _settings()) == 1
    out = capsys.readouterr().out
    assert out == f"{bad}:8: templates.extra.en: US-21 threat or false implication: 'jail'\n"


def test_cli_validate_prints_the_template_table(tmp_path, capsys):
    from duly import scripts_cli
    good = tmp_path / "good.toml"
    good.write_text(mini(VARIANTS), "utf-8")
    assert scripts_cli.main("validate", str(good), _settings()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["template", "variant", "en", "zh"]
    rows = {tuple(r.split()[:2]): r.split()[2:] for r in lines[1:-1]}
    assert rows[("offer", "A")] == ["1", "GSM-7", "1", "UCS-2"]
    assert rows[("offer", "B")] == ["1", "GSM-7", "1", "UCS-2"]
    assert rows[("notice", "-")] == ["1", "GSM-7", "1", "UCS-2"]
    assert lines[-1].startswith(f"{good}: ok")


def test_cli_validate_the_shipped_default(tmp_path, capsys):
    from duly import scripts_cli
    good = tmp_path / "default.toml"
    good.write_text(default_script_text(), "utf-8")
    assert scripts_cli.main("validate", str(good), _settings()) == 0
    out = capsys.readouterr().out
    assert "notice " in out and out.rstrip().endswith(f"ok (linted under profiles: {', '.join(PROFILES)})")
