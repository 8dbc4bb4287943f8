"""The full outbound gate at the pure core (bot/gate.py): hours, consent, content, pauses,
caps — unit tests per rule ID and hypothesis properties over zones, times and histories."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import hours
from bot.gate import Cap, Candidate, GateContext, cap_free_at, count_in_span, decide

UTC = dt.timezone.utc
NY, LA, SH, LON = "America/New_York", "America/Los_Angeles", "Asia/Shanghai", "Europe/London"
W = hours.DEFAULT_WINDOW
US20 = (Cap("US-20", 1, 1), Cap("US-20", 3, 7))
ST01 = (Cap("US-20", 1, 1), Cap("ST-01", 2, 7))


def local(zone, *a):
    return dt.datetime(*a, tzinfo=ZoneInfo(zone)).astimezone(UTC)


NOTICE = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=True)
REPLY = Candidate("reply")


def ctx(now, **kw):
    base = dict(now=now, zones=(NY,), window=W, consent=True, caps=US20, profile="us_first_party")
    base.update(kw)
    return GateContext(**base)


# --- US-01 / US-02 / CN-01 / US-03 ----------------------------------------------------------

def test_US_01_initiated_message_before_0800_deferred_to_0800():
    v = decide(NOTICE, ctx(local(LA, 2026, 11, 30, 7, 59), zones=(LA,)))
    assert (v.action, v.rule) == ("defer", "US-01")
    assert v.until == local(LA, 2026, 11, 30, 8, 0)
    assert ("US-01", "defer") in v.checks


def test_US_01_2059_sent_with_validity_of_the_seconds_left():
    v = decide(NOTICE, ctx(local(LA, 2026, 11, 30, 20, 58), zones=(LA,)))
    assert v.action == "send" and v.validity_seconds == 120


def test_US_01_too_little_left_in_the_window_waits_for_the_next_one():
    v = decide(NOTICE, ctx(local(LA, 2026, 11, 30, 20, 59, 30), zones=(LA,), min_validity_seconds=60))
    assert v.action == "defer" and v.until == local(LA, 2026, 12, 1, 8, 0)


def test_US_01_2100_deferred_to_next_day():
    v = decide(NOTICE, ctx(local(LA, 2026, 11, 30, 21, 0), zones=(LA,)))
    assert v.action == "defer" and v.until == local(LA, 2026, 12, 1, 8, 0)


def test_US_01_reply_to_the_customer_goes_at_once_by_default():
    c = ctx(local(NY, 2026, 11, 30, 23, 30))
    v = decide(REPLY, c)
    assert v.action == "send" and v.validity_seconds is None
    assert ("US-01", "exempt: reply to the customer's message") in v.checks


def test_US_01_replies_follow_hours_when_the_profile_says_so():
    v = decide(REPLY, ctx(local(NY, 2026, 11, 30, 23, 30), replies_follow_hours=True))
    assert v.action == "defer" and v.until == local(NY, 2026, 12, 1, 8, 0)


def test_US_01_agents_unprompted_message_waits_for_the_window():
    agent = Candidate("agent", sender="agent", in_reply_to_inbound=False, approved=True)
    v = decide(agent, ctx(local(NY, 2026, 11, 30, 22, 0)))
    assert v.action == "defer" and v.rule == "US-01"


def test_US_02_212_and_ca_address_deferred_to_1100_eastern():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 10, 30), zones=(NY, LA)))
    assert (v.action, v.rule) == ("defer", "US-02")
    assert v.until == local(NY, 2026, 11, 30, 11, 0)


def test_US_02_unknown_zone_refuses_initiated_messages():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 12, 0), zones=()))
    assert (v.action, v.rule) == ("refuse", "US-02")


def test_US_02_no_common_hours_refuses_with_the_rule():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 12, 0), zones=(NY, LON, SH)))
    assert (v.action, v.rule) == ("refuse", "US-02")
    assert "zone" in v.reason


def test_US_03_customer_window_defers_with_its_own_rule():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 10, 0), customer_window=hours.customer_window(720, 1260)))
    assert (v.action, v.rule) == ("defer", "US-03")
    assert v.until == local(NY, 2026, 11, 30, 12, 0)


def test_US_03_customer_window_never_widens():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 22, 30), customer_window=hours.customer_window(1320, 1380)))
    assert (v.action, v.rule) == ("refuse", "US-03")


def test_CN_01_2200_deferred_to_next_0800():
    c = ctx(local(SH, 2026, 11, 30, 22, 0), zones=(SH,), window=hours.window_from_hours(["08:00", "22:00"]),
            hours_rule="CN-01", caps=(Cap("CN-03", 2, 1),))
    v = decide(NOTICE, c)
    assert (v.action, v.rule) == ("defer", "CN-01") and v.until == local(SH, 2026, 12, 1, 8, 0)


# --- US-10, content, undeliverable, sender pause --------------------------------------------

def test_US_10_initiated_message_without_consent_refused():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 12, 0), consent=False))
    assert (v.action, v.rule) == ("refuse", "US-10")


def test_US_10_reply_needs_no_consent_record():
    assert decide(REPLY, ctx(local(NY, 2026, 11, 30, 12, 0), consent=False)).action == "send"


def test_US_04_unapproved_text_with_lint_problems_refused_with_the_failing_rule():
    c = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=False,
                  lint_problems=(("US-04", "no opt-out instruction"), ("lint:placeholder", "x")))
    v = decide(c, ctx(local(NY, 2026, 11, 30, 12, 0)))
    assert (v.action, v.rule) == ("refuse", "US-04")
    assert [r for r, _ in v.checks][-3:] == ["content", "US-04", "lint:placeholder"]


def test_US_21_agent_free_text_failing_the_linter_refused_even_as_a_reply():
    c = Candidate("agent", sender="agent", in_reply_to_inbound=True,
                  lint_problems=(("US-21", "threat: 'arrest'"),))
    assert decide(c, ctx(local(NY, 2026, 11, 30, 12, 0))).rule == "US-21"


def test_unapproved_text_that_passes_the_linter_may_go():
    c = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=False)
    v = decide(c, ctx(local(NY, 2026, 11, 30, 12, 0)))
    assert v.action == "send" and ("content", "pass: linted") in v.checks


def test_undeliverable_number_refuses_initiated_messages():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 12, 0), undeliverable=True))
    assert (v.action, v.rule) == ("refuse", "gate:undeliverable")


def test_sender_paused_30034_defers_until_paused_until():
    now = local(NY, 2026, 11, 30, 12, 0)
    v = decide(REPLY, ctx(now, sender_paused_until=now + dt.timedelta(hours=2)))
    assert (v.action, v.rule, v.until) == ("defer", "gate:sender_paused", now + dt.timedelta(hours=2))
    # a pause ending after 21:00 pushes an initiated message to the next morning
    v = decide(NOTICE, ctx(now, sender_paused_until=local(NY, 2026, 11, 30, 21, 30)))
    assert v.until == local(NY, 2026, 12, 1, 8, 0)


# --- caps: US-20, ST-01 ---------------------------------------------------------------------

def test_US_20_second_proactive_text_the_same_day_deferred():
    now = local(NY, 2026, 11, 30, 14, 0)
    sent = (local(NY, 2026, 11, 30, 9, 0),)
    v = decide(NOTICE, ctx(now, recent_initiated=sent))
    assert (v.action, v.rule) == ("defer", "US-20")
    assert v.until == sent[0] + dt.timedelta(days=1)


def test_US_20_reply_allowed_and_caps_exempt():
    now = local(NY, 2026, 11, 30, 14, 1)
    v = decide(REPLY, ctx(now, recent_initiated=(local(NY, 2026, 11, 30, 9, 0),)))
    assert v.action == "send" and ("caps", "exempt: replies do not count") in v.checks


def test_US_20_cap_can_refuse_when_the_profile_says_so():
    now = local(NY, 2026, 11, 30, 14, 0)
    v = decide(NOTICE, ctx(now, recent_initiated=(local(NY, 2026, 11, 30, 9, 0),), on_cap="refuse"))
    assert (v.action, v.rule) == ("refuse", "US-20")


def test_ST_01_massachusetts_texts_mon_and_wed_block_friday_until_next_monday():
    mon, wed, fri = (local(NY, 2026, 11, 30, 10, 0), local(NY, 2026, 12, 2, 10, 0),
                     local(NY, 2026, 12, 4, 10, 0))
    v = decide(NOTICE, ctx(fri, caps=ST01, recent_initiated=(mon, wed)))
    assert (v.action, v.rule) == ("defer", "ST-01")
    assert v.until == mon + dt.timedelta(days=7)  # next Monday 10:00
    assert ("ST-01", "defer: 2/2 in 7d") in v.checks


def test_cap_helpers():
    now = local(NY, 2026, 11, 30, 12, 0)
    times = (now - dt.timedelta(days=6), now - dt.timedelta(days=2), now - dt.timedelta(hours=1))
    assert count_in_span(times, now, dt.timedelta(days=7)) == 3
    assert cap_free_at(Cap("US-20", 3, 7), times, now) == times[0] + dt.timedelta(days=7)
    assert cap_free_at(Cap("ST-01", 2, 7), times, now) == times[1] + dt.timedelta(days=7)


def test_G_03_full_verdict_lists_every_rule_evaluated():
    v = decide(NOTICE, ctx(local(NY, 2026, 11, 30, 12, 0), zones=(NY, LA)))
    assert v.action == "send"
    assert [r for r, _ in v.checks] == ["US-05", "holds", "US-12", "G-01", "G-02", "US-21", "gate:undeliverable",
                                        "US-10", "content", "US-02", "US-01", "US-20", "US-20"]


# --- properties -------------------------------------------------------------------------------

ZONES = [NY, LA, "America/Chicago", "America/Denver", "America/Phoenix", "Pacific/Honolulu", LON, SH,
         "Europe/Berlin", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata", "America/St_Johns"]
DST_DAYS = [dt.datetime(2026, 3, 8, 7, tzinfo=UTC), dt.datetime(2026, 11, 1, 6, tzinfo=UTC),
            dt.datetime(2026, 3, 29, 1, tzinfo=UTC), dt.datetime(2026, 10, 25, 1, tzinfo=UTC),
            dt.datetime(2026, 4, 5, 16, tzinfo=UTC)]
instants = st.one_of(
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(lambda d, s: d + dt.timedelta(seconds=s), st.sampled_from(DST_DAYS), st.integers(-43200, 43200)),
)
KINDS = ["reply", "notice", "reminder", "followup", "campaign", "agent", "optout_confirmation", "help",
         "optin_confirmation", "handoff_notice"]


#: Blockers drawn rarely, so initiated messages often reach the hours and caps rules.
rare = st.sampled_from([False, False, False, False, False, True])


@st.composite
def situations(draw):
    now = draw(instants)
    kind = draw(st.sampled_from(KINDS))
    in_reply = draw(st.booleans())
    cand = Candidate(kind, sender=draw(st.sampled_from(["bot", "system", "agent"])), in_reply_to_inbound=in_reply,
                     approved=not draw(rare),
                     lint_problems=draw(st.sampled_from([(), (("US-04", "no stop"),)])))
    history = tuple(now - dt.timedelta(minutes=m) for m in draw(st.lists(st.integers(1, 60 * 24 * 8), max_size=5)))
    c = GateContext(
        opted_out_sms=draw(rare), optout_confirmations_since_optout=draw(st.integers(0, 2)),
        holds=tuple(draw(st.lists(st.sampled_from(["dispute", "cease", "attorney", "bankruptcy", "paid_already"]),
                                  max_size=2, unique=True))) if draw(rare) else (),
        mode=draw(st.sampled_from(["bot", "bot", "bot", "agent"])), quarantined=draw(rare), now=now,
        zones=tuple(draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))),
        window=draw(st.sampled_from([W, hours.window_from_hours(["08:00", "22:00"])])),
        customer_window=draw(st.sampled_from([None, hours.customer_window(720, 1260),
                                              hours.customer_window(1200, 540)])),
        replies_follow_hours=draw(st.booleans()), consent=not draw(rare),
        undeliverable=draw(rare),
        sender_paused_until=draw(st.sampled_from([None, now + dt.timedelta(hours=3), now - dt.timedelta(hours=1)])),
        recent_initiated=history, caps=draw(st.sampled_from([US20, ST01])),
        on_cap=draw(st.sampled_from(["defer", "refuse"])))
    return cand, c


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_G_03_properties_opt_out_hours_caps_approval(s):
    cand, c = s
    v = decide(cand, c)
    assert v.action in ("send", "defer", "refuse")
    assert v.checks and v.checks[-1][0] is not None
    if v.action == "refuse":
        assert v.until is None
    # US-05/US-08: nothing after an opt-out but the compliance answers to the customer's own message,
    # and one confirmation at most.
    if c.opted_out_sms and v.action != "refuse":
        assert cand.in_reply_to_inbound and cand.kind in ("optout_confirmation", "help", "optin_confirmation")
        if cand.kind == "optout_confirmation":
            assert c.optout_confirmations_since_optout == 0
    initiated = not cand.in_reply_to_inbound
    window = hours.narrow(c.window, c.customer_window)
    if v.action in ("send", "defer"):
        t = c.now if v.action == "send" else v.until
        assert t is not None and t >= c.now
        if initiated:
            # US-01/US-02/US-03: never outside the window in any candidate zone
            assert hours.allowed_at(t, c.zones, window)
            # US-20/ST-01: never over a cap at the moment it goes
            for cap in c.caps:
                assert count_in_span(c.recent_initiated, t, cap.span) < cap.count
            # US-10 and content
            assert c.consent and not c.undeliverable
            assert cand.approved or not cand.lint_problems
        if c.sender_paused_until is not None:
            assert t >= c.sender_paused_until
        if v.action == "send" and initiated:
            assert v.validity_seconds is not None and v.validity_seconds >= 1
            assert hours.allowed_at(t + dt.timedelta(seconds=v.validity_seconds - 1), c.zones, window)
    if cand.sender == "agent" and not cand.approved and cand.lint_problems:
        assert v.action == "refuse"
