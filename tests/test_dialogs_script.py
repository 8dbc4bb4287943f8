"""Script validation: schema, targets, reachability, dead ends, templates in en and zh
with known placeholders, compliance intents not overridable, opt-out in every
collection notice (US-04) — each problem with its TOML line number."""

from __future__ import annotations

import pytest

from bot.dialogs import Problem, ScriptError, default_script_text, load_script, validate

DEFAULT = default_script_text()
TEMPLATES = DEFAULT[DEFAULT.index("# ---------------------------------------------------------------- templates"):]


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def one(text: str, fragment: str) -> Problem:
    probs = validate(text)
    hits = [p for p in probs if fragment in p.message]
    assert hits, probs
    return hits[0]


def test_default_script_is_valid():
    assert validate(DEFAULT) == []
    script = load_script(DEFAULT)
    assert script.initial == "start" and "menu" in script.states
    for key, texts in script.templates.items():
        assert set(texts) >= {"en", "zh"}, key


@pytest.mark.parametrize("intent", ["stop", "start", "help", "attorney", "bankruptcy", "dispute",
                                    "wrong_number", "agent"])
def test_compliance_intents_cannot_be_mapped(intent):
    text = DEFAULT.replace("[states.plan_offer.on]\n",
                           f"[states.plan_offer.on]\n{intent} = {{ do = \"ignore\" }}\n")
    p = one(text, "compliance intent")
    assert p.line == line_of(text, f"{intent} = {{ do = \"ignore\" }}")
    with pytest.raises(ScriptError) as exc:
        load_script(text)
    assert exc.value.problems


def test_goto_to_a_missing_state():
    text = DEFAULT.replace('pay = { do = "pay", say = "pay_link", goto = "menu" }',
                           'pay = { do = "pay", say = "pay_link", goto = "nowhere" }')
    p = one(text, "'nowhere' does not exist")
    assert p.line == line_of(text, 'goto = "nowhere"')


def test_unreachable_state():
    text = DEFAULT.replace("[states.verify]", '[states.orphan]\ncontext = "notice"\n\n[states.verify]')
    p = one(text, "unreachable")
    assert p.line == line_of(text, "[states.orphan]")


def test_dead_end_state():
    text = ('[script]\ninitial = "start"\nmenu = "start"\nverify = "start"\nchoose_account = "start"\n\n'
            '[states.start]\ncontext = "notice"\n[states.start.on]\npay = { do = "pay", say = "pay_link", goto = "stuck" }\n\n'
            '[states.stuck]\ncontext = "confirm"\n\n' + TEMPLATES)
    p = one(text, "dead end")
    assert p.line == line_of(text, "[states.stuck]")
    ok = text.replace('[states.stuck]\ncontext = "confirm"', '[states.stuck]\ncontext = "confirm"\nterminal = true')
    assert validate(ok) == []


def test_template_missing_a_language():
    text = DEFAULT.replace('zh = "感谢您的回复。我们的工作人员将与您联系，商定适合您的还款安排。"\n', "")
    p = one(text, "templates.plan_none has no 'zh'")
    assert p.line == line_of(text, "[templates.plan_none]")


def test_unknown_placeholder():
    text = DEFAULT.replace("en = \"Thanks. A member of our team will get back to you soon.\"",
                           "en = \"Thanks {{ nickname }}. A member of our team will get back to you soon.\"")
    p = one(text, "nickname")
    assert p.line == line_of(text, "{{ nickname }}")


def test_template_syntax_error():
    text = DEFAULT.replace("en = \"Thanks. A member of our team will get back to you soon.\"",
                           "en = \"Thanks {{ oops \"")
    p = one(text, "syntax")
    assert p.line == line_of(text, "{{ oops")


def test_collection_notice_needs_the_opt_out():   # US-04
    en = ('en = "Hi {{ name }}, this is {{ creditor }}. Your account is past due: {{ past_due }} is due by '
          '{{ deadline }}. Reply PAY, PLAN, or STOP to opt out."')
    assert en in DEFAULT
    text = DEFAULT.replace(en, en.replace(", or STOP to opt out", ""))
    p = one(text, "US-04")
    assert p.line == line_of(text, "Reply PAY, PLAN.")
    text2 = DEFAULT.replace("[templates.notice]\ncollection = true\n", "[templates.notice]\n")
    assert one(text2, "must be marked collection").line == line_of(text2, "[templates.notice]")


def test_debt_detail_in_a_template_for_unconfirmed_people():   # US-12, UK-06
    text = DEFAULT.replace('en = "Sorry for the trouble. We\'ll remove this number and not text it again."',
                           'en = "Sorry {{ name }}, you owe {{ past_due }}."')
    p = one(text, "no debt detail")
    assert p.line == line_of(text, "Sorry {{ name }}")


def test_unknown_operation_and_missing_outcome():
    text = DEFAULT.replace('balance = { do = "balance", say = "balance" }', 'balance = { do = "dance", say = "balance" }')
    assert one(text, "unknown operation").line == line_of(text, 'do = "dance"')
    text2 = DEFAULT.replace('when.none = { say = "plan_none", kind = "handoff_notice", handoff = "counter_offer" }\n', "")
    assert one(text2, "needs when.none").line == line_of(text2, "[global.on.plan]")


def test_unknown_intent_context_and_key():
    text = DEFAULT.replace('[states.menu]             # the collection notice / menu was the last thing asked\ncontext = "notice"',
                           '[states.menu]\ncontext = "lobby"\ncolour = "blue"\n[states.menu.on]\ndance = { do = "say", say = "balance" }')
    msgs = [p.message for p in validate(text)]
    assert any("context must be one of" in m for m in msgs)
    assert any("unknown key 'colour'" in m for m in msgs)
    assert any("unknown intent 'dance'" in m for m in msgs)
    assert one(text, "unknown key 'colour'").line == line_of(text, 'colour = "blue"')


def test_toml_syntax_error_has_a_line():
    text = DEFAULT.replace('[states.verify]', '[states.verify\n', 1)
    [p] = validate(text)
    assert p.line == line_of(text, "[states.verify\n") and "TOML" in p.message


def test_missing_required_template():
    start = DEFAULT.index("[templates.schedule_line]")
    end = DEFAULT.index("[templates.plan_confirm]")
    text = DEFAULT[:start] + DEFAULT[end:]
    assert one(text, "templates.schedule_line is required")


def test_problems_are_sorted_by_line():
    text = DEFAULT.replace('goto = "menu" }', 'goto = "nope" }')
    lines = [p.line for p in validate(text)]
    assert lines == sorted(lines) and len(lines) > 1


@pytest.mark.parametrize("snippet", [
    "", "x = 1", "[script]\ninitial = 5\nmenu = []\n", "script = 3\nstates = 4\ntemplates = 5\nglobal = 6\n",
    '[script]\nlanguages = "en"\n[states.a]\ncontext = "notice"\non = 3\n',
    '[states.a]\ncontext = "notice"\n[states.a.on.pay]\ndo = "pay"\nwhen = 3\nsay = 7\n',
    '[states.a]\ncontext = "notice"\n[states.a.on.promise]\ndo = "promise"\nwhen.bad_date = 3\n',
    '[templates.x]\nen = 5\nzh = "{{ name"\n', '[templates]\nx = "y"\n', "[[states]]\nname = 1\n",
])
def test_broken_scripts_report_problems_without_raising(snippet):
    probs = validate(snippet)
    assert probs and all(isinstance(p, Problem) and p.line >= 1 for p in probs)


@pytest.mark.parametrize("fixed, figure", [
    ("Your account is 30 days past due", 30),
    ("Your account is past due for 45 days", 45),
    ("您的账户已逾期30天", 30),
])
def test_US_21_a_fixed_days_past_due_figure_is_refused_at_publish(fixed, figure):
    """A script writing "30 days past due" into a text sent it to accounts 35 or 90 days
    late; the figure must come from ``{{ dpd }}``."""
    src = ("Your account is {{ dpd }} days past due" if "{{ dpd }} days" in DEFAULT
           else None)
    assert src and src in DEFAULT
    text = DEFAULT.replace(src, fixed, 1) if fixed.isascii() else DEFAULT.replace("您的账户已逾期{{ dpd }}天", fixed, 1)
    p = one(text, "fixed days-past-due figure")
    assert f"({figure})" in p.message and "US-21" in p.message
    assert p.line == line_of(text, fixed)
    assert not [q for q in validate(DEFAULT) if "days-past-due" in q.message]


def test_a_stored_revision_with_a_fixed_figure_still_loads():
    """Revisions published before ``{{ dpd }}`` existed said "30 days past due"; the new
    publish rule must not stop them loading in a running deployment (every webhook would
    fail). The gate refuses a stale figure at send time (tests/test_cadence_dpd.py)."""
    text = DEFAULT.replace("Your account is {{ dpd }} days past due", "Your account is 30 days past due", 1)
    assert [p for p in validate(text) if "fixed days-past-due" in p.message]
    script = load_script(text)
    assert any("30 days past due" in t.get("en", "") for t in script.templates.values())


def test_a_stored_revision_with_another_placeholder_in_the_opt_out_confirmation_still_loads():
    """A revision published before the engine filled only creditor/contact in its own
    compliance answers still loads (the placeholder renders empty); a new one is refused."""
    start = DEFAULT.index("[templates.optout_confirmation]")
    en = DEFAULT.index('en = "', start)
    text = DEFAULT[:en] + 'en = "{{ when }}: ' + DEFAULT[en + len('en = "'):]
    assert [p for p in validate(text) if "the engine fills only" in p.message]
    assert "{{ when }}" in load_script(text).templates["optout_confirmation"]["en"]
