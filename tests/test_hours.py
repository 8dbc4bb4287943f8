"""Allowed hours in local time (bot/hours.py): US-01, US-02, US-03, CN-01, UK-05; DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import hours
from bot.hours import DEFAULT_WINDOW, allowed_at, next_allowed, seconds_left, window_from_hours

UTC = dt.timezone.utc
LA, NY, LON, SH = "America/Los_Angeles", "America/New_York", "Europe/London", "Asia/Shanghai"


def local(zone: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


def at(zone: str, t: dt.datetime) -> dt.datetime:
    return t.astimezone(ZoneInfo(zone))


# --- US-01 -------------------------------------------------------------------------------

def test_US_01_la_0759_deferred_to_0800():
    t = next_allowed(local(LA, 2026, 11, 30, 7, 59), [LA], DEFAULT_WINDOW)
    assert at(LA, t).replace(tzinfo=None) == dt.datetime(2026, 11, 30, 8, 0)


def test_US_01_la_2059_sent():
    now = local(LA, 2026, 11, 30, 20, 59)
    assert allowed_at(now, [LA], DEFAULT_WINDOW)
    assert next_allowed(now, [LA], DEFAULT_WINDOW) == now
    assert seconds_left(now, [LA], DEFAULT_WINDOW) == 60


def test_US_01_2100_itself_blocked_next_day_0800():
    now = local(LA, 2026, 11, 30, 21, 0)
    assert not allowed_at(now, [LA], DEFAULT_WINDOW)
    assert allowed_at(now - dt.timedelta(microseconds=1), [LA], DEFAULT_WINDOW)
    t = next_allowed(now, [LA], DEFAULT_WINDOW)
    assert at(LA, t).replace(tzinfo=None) == dt.datetime(2026, 12, 1, 8, 0)
    assert seconds_left(now, [LA], DEFAULT_WINDOW) == 0


# --- US-02 -------------------------------------------------------------------------------

def test_US_02_212_area_code_and_ca_address_only_1100_to_2100_eastern():
    zones = [NY, LA]
    t = next_allowed(local(NY, 2026, 11, 30, 10, 30), zones, DEFAULT_WINDOW)
    assert at(NY, t).replace(tzinfo=None) == dt.datetime(2026, 11, 30, 11, 0)
    assert at(LA, t).hour == 8
    assert allowed_at(local(NY, 2026, 11, 30, 20, 59), zones, DEFAULT_WINDOW)
    assert not allowed_at(local(NY, 2026, 11, 30, 21, 0), zones, DEFAULT_WINDOW)
    # window closes at 21:00 ET (18:00 PT)
    assert seconds_left(local(NY, 2026, 11, 30, 20, 0), zones, DEFAULT_WINDOW) == 3600


def test_US_02_zones_without_common_hours_give_none():
    # New York, London and Shanghai: 13:00–02:00, 08:00–21:00 and 00:00–13:00 UTC share no instant.
    assert next_allowed(local(SH, 2026, 11, 30, 9, 0), [NY, LON, SH], DEFAULT_WINDOW) is None
    # two zones 13 hours apart with a customer's narrow morning window
    morning = hours.narrow(DEFAULT_WINDOW, hours.customer_window(8 * 60, 12 * 60))
    assert next_allowed(local(SH, 2026, 11, 30, 9, 0), [NY, SH], morning) is None


def test_US_02_no_zone_is_never_allowed():
    assert next_allowed(local(NY, 2026, 11, 30, 12, 0), [], DEFAULT_WINDOW) is None
    assert not allowed_at(local(NY, 2026, 11, 30, 12, 0), [], DEFAULT_WINDOW)


# --- US-03 / UK-05 customer windows ---------------------------------------------------------

def test_US_03_customer_window_narrows_never_widens():
    own = hours.customer_window(12 * 60, 23 * 60)  # "after noon" (and "till 11pm")
    w = hours.narrow(DEFAULT_WINDOW, own)
    assert w == ((720, 1260),)
    t = next_allowed(local(NY, 2026, 11, 30, 9, 0), [NY], w)
    assert at(NY, t).hour == 12
    assert not allowed_at(local(NY, 2026, 11, 30, 22, 0), [NY], w)


def test_UK_05_wrapping_customer_window_is_intersected():
    own = hours.customer_window(22 * 60, 9 * 60)  # nights: 22:00–09:00
    assert hours.narrow(DEFAULT_WINDOW, own) == ((480, 540),)
    assert hours.narrow(DEFAULT_WINDOW, hours.customer_window(21 * 60 + 30, 7 * 60)) == ()


# --- CN-01 -------------------------------------------------------------------------------

def test_CN_01_2200_deferred_to_next_0800():
    """CN-01: the product default is 08:00–21:00 (COMPLIANCE's test row: "Dispatch at 21:30
    → deferred (product default)"); 22:00 is the hard legal stop, the widest an admin may
    set ([bounds] profiles.cn.allowed_hours_max)."""
    import tomllib
    from pathlib import Path

    conf = tomllib.loads((Path(__file__).resolve().parents[1] / "config.toml").read_text(encoding="utf-8"))
    assert conf["profiles"]["cn"]["allowed_hours"] == ["08:00", "21:00"]
    assert conf["bounds"]["profiles"]["cn"]["allowed_hours_max"] == ["08:00", "22:00"]
    w = window_from_hours(conf["profiles"]["cn"]["allowed_hours"])
    assert allowed_at(local(SH, 2026, 11, 30, 20, 59), [SH], w)
    assert not allowed_at(local(SH, 2026, 11, 30, 21, 30), [SH], w)
    t = next_allowed(local(SH, 2026, 11, 30, 21, 30), [SH], w)
    assert at(SH, t).replace(tzinfo=None) == dt.datetime(2026, 12, 1, 8, 0)
    legal = window_from_hours(conf["bounds"]["profiles"]["cn"]["allowed_hours_max"])
    t = next_allowed(local(SH, 2026, 11, 30, 22, 0), [SH], legal)
    assert at(SH, t).replace(tzinfo=None) == dt.datetime(2026, 12, 1, 8, 0)


# --- DST change days ---------------------------------------------------------------------

@pytest.mark.parametrize("zone,day", [(NY, (2026, 3, 8)), (NY, (2026, 11, 1)),
                                      (LON, (2026, 3, 29)), (LON, (2026, 10, 25))])
def test_US_01_UK_05_dst_change_days_open_at_local_0800_and_close_at_2100(zone, day):
    z = ZoneInfo(zone)
    before = dt.datetime(*day, 7, 59, tzinfo=z)
    t = next_allowed(before, [zone], DEFAULT_WINDOW)
    assert t.astimezone(z).replace(tzinfo=None) == dt.datetime(*day, 8, 0)
    left = seconds_left(t, [zone], DEFAULT_WINDOW)
    # 13 hours of wall time; the clock change happened at 01:00/02:00, before 08:00.
    assert left == 13 * 3600
    after = dt.datetime(*day, 21, 0, tzinfo=z)
    nxt = next_allowed(after, [zone], DEFAULT_WINDOW)
    assert nxt.astimezone(z).replace(tzinfo=None) == dt.datetime(*day, 8, 0) + dt.timedelta(days=1)


def test_US_01_window_starting_inside_the_spring_forward_gap_opens_at_the_jump():
    w = window_from_hours(["02:30", "21:00"])
    t = next_allowed(local(NY, 2026, 3, 8, 1, 0), [NY], w)
    assert t == dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, the first instant >= 02:30
    assert at(NY, t).hour == 3


def test_US_01_fall_back_repeated_hour_is_judged_by_wall_time():
    w = window_from_hours(["01:30", "21:00"])
    # 01:15 EDT (first pass) → 01:30 EDT; 01:10 EST (second pass) is blocked again.
    first = dt.datetime(2026, 11, 1, 5, 15, tzinfo=UTC)
    assert next_allowed(first, [NY], w) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    second = dt.datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST
    assert not allowed_at(second, [NY], w)
    assert next_allowed(second, [NY], w) == dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    # and the EDT stretch closes when the clock falls back to 01:00
    assert seconds_left(dt.datetime(2026, 11, 1, 5, 45, tzinfo=UTC), [NY], w) == 15 * 60


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        next_allowed(dt.datetime(2026, 11, 30, 12), [NY], DEFAULT_WINDOW)


def test_window_parsing():
    assert window_from_hours(["08:00", "21:00"]) == ((480, 1260),)
    assert window_from_hours(["22:00", "06:00"]) == ((0, 360), (1320, 1440))
    for bad in (["8", "21:00"], ["08:00"], ["25:00", "21:00"], ["08:00", "08:00"]):
        with pytest.raises(ValueError):
            window_from_hours(bad)


# --- properties --------------------------------------------------------------------------

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
#: Instants around DST change days in the zones most customers live in, and anywhere.
DST_DAYS = [dt.datetime(2026, 3, 8, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC),
            dt.datetime(2026, 3, 29, tzinfo=UTC), dt.datetime(2026, 10, 25, tzinfo=UTC),
            dt.datetime(2026, 4, 5, tzinfo=UTC), dt.datetime(2026, 9, 6, tzinfo=UTC)]

instants = st.one_of(
    st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31),
                 timezones=st.just(UTC)),
    st.builds(lambda d, s: d + dt.timedelta(seconds=s), st.sampled_from(DST_DAYS),
              st.integers(-86400, 2 * 86400)),
)
zone_sets = st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True)
windows = st.builds(lambda a, n: ((a, min(1440, a + n)),), st.integers(0, 1380), st.integers(30, 1440))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=instants, zones=zone_sets, window=windows)
def test_US_02_next_allowed_is_allowed_in_every_zone_and_nothing_earlier_is(now, zones, window):
    t = next_allowed(now, zones, window)
    if t is None:
        # spot-check: no sampled instant in the horizon is allowed everywhere
        for k in range(0, 8 * 24 * 4):
            assert not allowed_at(now + dt.timedelta(minutes=15 * k), zones, window)
        return
    assert t >= now
    assert allowed_at(t, zones, window)
    # nothing allowed strictly between now and t (sampled every minute near t, every 10 min before)
    span = (t - now).total_seconds()
    step = 60 if span < 6 * 3600 else 600
    k = 0
    while now + dt.timedelta(seconds=k * step) < t:
        assert not allowed_at(now + dt.timedelta(seconds=k * step), zones, window)
        k += 1
    if t > now:
        assert not allowed_at(t - dt.timedelta(seconds=1), zones, window)


@settings(max_examples=300, deadline=None)
@given(now=instants, zones=zone_sets, window=windows)
def test_US_01_seconds_left_stays_inside_the_window(now, zones, window):
    now = now.replace(microsecond=0)
    left = seconds_left(now, zones, window)
    if not allowed_at(now, zones, window):
        assert left == 0
        return
    assert left >= 1
    if left < 2 * 86400:
        assert allowed_at(now + dt.timedelta(seconds=left - 1), zones, window)
        assert not allowed_at(now + dt.timedelta(seconds=left), zones, window)
