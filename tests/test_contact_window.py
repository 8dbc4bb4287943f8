"""The customer's own window (US-03, 12 CFR 1006.6(b)(1), comment 6(b)(1)-1; UK-05, CONC
7.9.4R) at the pure core: the intent reads a standing time restriction into
``entities.window``; the dialog engine narrows it to the profile's allowed hours, records it
(:class:`bot.actions.SetContactWindow`), confirms it once and leaves the conversation where it
was. "busy", "can't talk now" and a call-back carry no window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import hours
from bot.actions import Handoff, OptOut, RecordPromise, SetContactWindow
from bot.dialogs import context_of, step
from bot.gate import Candidate, GateContext, decide
from bot.intents import interpret
from bot.intents.normalise import has_cjk
from bot.types import ConversationState, InboundText
from tests.test_dialogs_support import SCRIPT, cn_account, facts, of, replies, texts, uk_account

NY = ZoneInfo("America/New_York")


def read(text: str, context: str = "notice"):
    tz = "Asia/Shanghai" if has_cjk(text) else "America/New_York"
    return interpret(text, context=context, now=dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(tz)), tz=tz)


def hm(w):
    return None if w is None else ("%02d:%02d" % divmod(w[0], 60), "%02d:%02d" % divmod(w[1], 60))


# --- intents ----------------------------------------------------------------------------------

WINDOWS = [
    ("only text me after 6pm please", ("18:00", "00:00")),
    ("don't text before noon", ("12:00", "00:00")),
    ("Don't text me before 12, I work nights", ("12:00", "00:00")),    # COMPLIANCE US-03's test
    ("not before 12, I work nights", ("12:00", "00:00")),
    ("text me between 5 and 8pm", ("17:00", "20:00")),
    ("I work nights, text after 2pm", ("14:00", "00:00")),            # COMPLIANCE UK-05's test
    ("only message me from 9 to 5", ("09:00", "17:00")),
    ("no texts before 10am", ("10:00", "00:00")),
    ("please don't text me after 8pm", ("00:00", "20:00")),
    ("Only text after 18:30", ("18:30", "00:00")),
    ("晚上六点以后再发", ("18:00", "00:00")),
    ("中午12点前别发短信", ("12:00", "00:00")),
    ("上班时间别发", ("18:00", "00:00")),
    ("下午两点以后再联系我", ("14:00", "00:00")),
]


@pytest.mark.parametrize("text, want", WINDOWS)
def test_US_03_standing_restrictions_are_read_as_a_window(text, want):
    it = read(text)
    assert it.name == "contact_time", (text, it)
    start, end = it.entities.window
    assert ("%02d:%02d" % divmod(start, 60), "%02d:%02d" % divmod(end % 1440, 60)) == want


@pytest.mark.parametrize("text", ["weekends only", "I work nights", "only on weekends pls"])
def test_restrictions_the_window_cannot_hold_are_found_without_one(text):
    it = read(text)
    assert (it.name, it.entities.window) == ("contact_time", None)


@pytest.mark.parametrize("text, intent", [
    ("busy", "unknown"), ("can't talk now", "auto_reply"),     # not a standing designation
    ("call me after 5", "agent"), ("call me after 6pm", "agent"),   # a one-off call-back
    ("don't text me", "stop"), ("stop texting me before 9am", "stop"),   # an opt-out stays one (US-06)
    ("12点之前", "promise"), ("下午3点以后还", "promise"),          # a time to pay, not to text
])
def test_no_window_where_none_was_designated(text, intent):
    it = read(text, "ask_date" if text == "12点之前" else "notice")
    assert it.name == intent and it.entities.window is None, (text, it)


def test_both_apply_a_promise_carries_the_window():
    it = read("I'll pay Friday, only text after 6")
    assert it.name == "promise" and it.entities.date == dt.date(2026, 12, 4)
    assert hm(it.entities.window) == ("18:00", "24:00")


def test_window_in_the_contract_json():
    assert read("only text me after 6pm").entities.as_json() == {"window": "18:00-24:00"}


# --- engine -----------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)


def run(text, f=None, state=None):
    it = read(text)
    st = state or ConversationState("menu", {"account_ref": "ACC-100-4521", "lang": "en"})
    return step(st, InboundText(text, it), SCRIPT, f or facts(), NOW)


def test_US_03_window_is_narrowed_recorded_confirmed_and_the_conversation_stays():
    st = ConversationState("menu", {"account_ref": "ACC-100-4521", "lang": "en"})
    new, acts = run("only text me after 6pm please", state=st)
    assert of(acts, SetContactWindow) == [SetContactWindow(1080, 1260, "US-03", said=(1080, 1440))]
    assert texts(acts) == ["OK, we'll only text you between 18:00 and 21:00 your time."]
    assert [r.kind for r in replies(acts)] == ["reply"]
    assert new.state == "menu" and new.mode == "bot" and context_of(new, SCRIPT) == "notice"
    assert not of(acts, Handoff)


def test_compliance_example_noon_to_nine():
    _, acts = run("Don't text me before 12, I work nights")
    assert [(w.start_minute, w.end_minute) for w in of(acts, SetContactWindow)] == [(720, 1260)]


def test_UK_05_shift_worker_under_a_uk_profile():
    f = facts(uk_account(identity_required=False))
    st = ConversationState("menu", {"account_ref": "UK-300-7788", "lang": "en"})
    _, acts = step(st, InboundText("x", read("I work nights, text after 2pm")), SCRIPT, f, NOW)
    assert of(acts, SetContactWindow) == [SetContactWindow(840, 1260, "UK-05", said=(840, 1440))]
    assert "14:00 and 21:00" in texts(acts)[0]


def test_chinese_confirmation_under_the_cn_profile_hours():
    f = facts(cn_account())
    st = ConversationState("menu", {"account_ref": "CN-200-8876", "lang": "zh"})
    _, acts = step(st, InboundText("x", read("晚上六点以后再发")), SCRIPT, f, NOW)
    assert [(w.start_minute, w.end_minute) for w in of(acts, SetContactWindow)] == [(1080, 1260)]  # CN 08–21 (CN-01 product default)
    assert texts(acts) == ["好的，我们只会在您当地时间18:00至21:00之间给您发短信。"]


def test_a_window_leaving_no_allowed_time_goes_to_a_person():
    _, acts = run("only text me after 10pm")
    assert of(acts, SetContactWindow) == [SetContactWindow(1320, 1440, "US-03", said=(1320, 1440))]
    assert of(acts, Handoff)[0].reason == "contact_time"
    assert [r.template for r in replies(acts)] == ["handoff_notice"]


def test_days_are_left_alone_and_go_to_a_person():
    new, acts = run("weekends only")
    assert not of(acts, SetContactWindow)
    assert of(acts, Handoff)[0].reason == "contact_time" and new.mode == "agent"


@pytest.mark.parametrize("text", ["busy", "can't talk now", "call me after 5"])
def test_busy_and_call_backs_change_no_window(text):
    _, acts = run(text)
    assert not of(acts, SetContactWindow)


def test_stop_wins_over_a_window():
    it = read("only text me after 6pm")
    stop = InboundText("STOP", type(it)("stop", 0.95, type(it.entities)(channel="sms", window=(1080, 1440))))
    st = ConversationState("menu", {"account_ref": "ACC-100-4521", "lang": "en"})
    _, acts = step(st, stop, SCRIPT, facts(), NOW)
    assert of(acts, OptOut) and not of(acts, SetContactWindow)
    assert [r.kind for r in replies(acts)] == ["optout_confirmation"]


def test_a_promise_and_a_window_both_apply():
    _, acts = run("I'll pay 100 on Friday, only text after 6")
    assert len(of(acts, RecordPromise)) <= 1      # the promise is read as always (confirm first)
    assert [(w.start_minute, w.end_minute) for w in of(acts, SetContactWindow)] == [(1080, 1260)]
    assert "contact_window_set" not in [r.template for r in replies(acts)]   # one answer: the promise's


def test_recorded_while_an_agent_owns_the_conversation_without_a_reply():
    st = ConversationState("menu", {"account_ref": "ACC-100-4521", "lang": "en"}, mode="agent")
    _, acts = run("only text me after 6pm", state=st)
    assert of(acts, SetContactWindow) and replies(acts) == []


def test_the_gate_defers_a_0930_text_to_the_window():
    """Verified with the gate as built: 09:30 New York → 18:00 New York, rule US-03."""
    cw = hours.customer_window(1080, 1260)
    ctx = GateContext(now=dt.datetime(2026, 12, 1, 9, 30, tzinfo=NY).astimezone(dt.timezone.utc),
                      zones=("America/New_York",), window=hours.DEFAULT_WINDOW, customer_window=cw, consent=True)
    v = decide(Candidate("notice", sender="system", in_reply_to_inbound=False, approved=True), ctx)
    assert (v.action, v.rule) == ("defer", "US-03")
    assert v.until == dt.datetime(2026, 12, 1, 18, 0, tzinfo=NY).astimezone(dt.timezone.utc)


@pytest.mark.parametrize("text, context, intent", [
    ("between 5 and 10", "ask_amount", "promise"),     # an amount range, not 17:00–22:00
    ("not before 15", "ask_date", "unknown"),          # a day, perhaps: not a window
    ("三点以后再说", "notice", None),                    # "later": no texting word, no window
])
def test_loose_times_are_no_window_where_a_day_or_amount_was_asked(text, context, intent):
    it = read(text, context)
    assert it.name != "contact_time" and it.entities.window is None, it
    assert intent is None or it.name == intent


def test_a_yes_to_a_question_stays_a_yes_and_carries_the_window():
    it = read("yes, and only text after 6pm", "confirm")
    assert it.name == "affirm" and hm(it.entities.window) == ("18:00", "24:00")
    assert read("ok, only text after 6pm", "notice").name == "contact_time"
