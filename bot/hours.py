"""Allowed hours in the customer's local time (pure, DST-correct).

Rules: US-01 (12 CFR 1006.6(b)(1)(i): not before 08:00 or after 21:00 at the consumer's
location; the time that counts is when the message is *sent*), US-02 (location unknown or
conflicting: only times convenient in *every* candidate zone), US-03 / UK-05 (a time the
customer said suits them narrows the window, never widens it), CN-01 (no collection
22:00–08:00 Beijing time; the product default, config.toml ``[profiles.cn]``, is
08:00–21:00, and ``[bounds]`` keeps 22:00 as the widest an admin may set).

Shapes and units
----------------
* A **window** is a tuple of ``(start_minute, end_minute)`` pairs, minutes after local
  midnight, each half-open ``[start, end)`` with ``0 <= start < end <= 1440``. The
  profile default ``[08:00, 21:00)`` is ``((480, 1260),)``; 21:00:00 itself is blocked.
* **zones** are IANA names (``"America/New_York"``); an instant is allowed only when its
  local wall time is inside the window in *every* zone.
* Instants are aware datetimes (any zone; results are UTC). Naive datetimes raise
  ``ValueError``.

How it is exact across DST: the allowed set in UTC is a union of half-open intervals whose
ends are instants whose local time is a window boundary, or UTC-offset transitions (local
time jumps over or back across a boundary, e.g. a window starting at 02:30 on a
spring-forward day opens at 03:00). Between two consecutive such instants nothing
changes, so testing each candidate instant in order finds the exact answer.

This module does no I/O and reads no clock.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

__all__ = ["Window", "parse_hhmm", "window_from_hours", "narrow", "customer_window",
           "allowed_at", "next_allowed", "seconds_left", "allowed_window", "DEFAULT_WINDOW"]

UTC = dt.timezone.utc

#: A window: ``(start_minute, end_minute)`` pairs, local time, ``[start, end)``.
Window = tuple[tuple[int, int], ...]

#: The product default, [08:00, 21:00) (US-01, UK-05).
DEFAULT_WINDOW: Window = ((480, 1260),)

#: How far ahead :func:`next_allowed` looks before giving up (days).
HORIZON_DAYS = 8


def parse_hhmm(text: str) -> int:
    """``"08:00"`` → 480 (minutes after midnight); ``"24:00"`` → 1440.

    Raises ``ValueError`` for anything else."""
    try:
        hh, mm = str(text).strip().split(":")
        h, m = int(hh), int(mm)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not a HH:MM time: {text!r}") from exc
    if not (0 <= m < 60 and 0 <= h <= 24) or (h == 24 and m != 0):
        raise ValueError(f"not a HH:MM time: {text!r}")
    return h * 60 + m


def window_from_hours(hours: Sequence[str] | None) -> Window:
    """A profile's ``allowed_hours = ["08:00", "21:00"]`` as a :data:`Window`.

    ``start > end`` wraps midnight (``["22:00", "06:00"]``). ``None`` → the default.
    Raises ``ValueError`` on malformed values or an empty window (start == end)."""
    if hours is None:
        return DEFAULT_WINDOW
    if len(hours) != 2:
        raise ValueError(f"allowed_hours needs [start, end], got {hours!r}")
    start, end = parse_hhmm(hours[0]), parse_hhmm(hours[1])
    return _pair(start, end)


def _pair(start: int, end: int) -> Window:
    start, end = start % 1441, end % 1441
    if start == end:
        raise ValueError("empty window (start == end)")
    if start < end:
        return ((start, end),)
    parts = []
    if start < 1440:
        parts.append((start, 1440))
    if end > 0:
        parts.append((0, end))
    return tuple(sorted(parts))


def customer_window(start_minute: int, end_minute: int) -> Window:
    """A ContactWindow row (minutes, ``[start, end)``; ``start > end`` wraps midnight) as
    a :data:`Window`. Raises ``ValueError`` for ``start == end``."""
    return _pair(int(start_minute), int(end_minute))


def narrow(window: Window, other: Window | None) -> Window:
    """The intersection of two windows (US-03/UK-05: a customer's window narrows the
    profile's, never widens it). ``other=None`` → ``window``. May return ``()``
    (never allowed)."""
    if other is None:
        return window
    out = []
    for a, b in window:
        for c, d in other:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return tuple(sorted(out))


def _check_aware(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware UTC instant")
    return t.astimezone(UTC)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _in_window(local: dt.datetime, window: Window) -> bool:
    sec = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(a * 60 <= sec < b * 60 for a, b in window)


def allowed_at(t: dt.datetime, zones: Iterable[str], window: Window) -> bool:
    """True when ``t`` is inside ``window`` in every zone of ``zones``.

    An empty ``zones`` is never allowed (US-02: an unknown location must not be
    guessed; the caller supplies fallback zones)."""
    t = _check_aware(t)
    names = tuple(zones)
    if not names or not window:
        return False
    return all(_in_window(t.astimezone(_zone(z)), window) for z in names)


@lru_cache(maxsize=8192)
def _transitions_on(zone: str, day: dt.date) -> tuple[dt.datetime, ...]:
    """UTC-offset changes of ``zone`` during the UTC day ``day`` (first instant with the
    new offset, to the second). Assumes at most one change per 3 hours."""
    z = _zone(zone)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
    points = [start + dt.timedelta(hours=3 * i) for i in range(9)]
    offs = [p.astimezone(z).utcoffset() for p in points]
    found = []
    for i in range(8):
        if offs[i] != offs[i + 1]:
            lo, hi = points[i], points[i + 1]  # offset(lo) != offset(hi)
            while (hi - lo) > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    mid = lo + dt.timedelta(seconds=1)
                if mid.astimezone(z).utcoffset() == offs[i]:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
    return tuple(found)


@lru_cache(maxsize=65536)
def _boundaries_on(zone: str, day: dt.date, window: Window) -> tuple[dt.datetime, ...]:
    """UTC instants whose local time in ``zone`` on local date ``day`` is a window
    boundary (both folds; non-existent local times included as candidates)."""
    z = _zone(zone)
    out = set()
    for a, b in window:
        for minute in (a, b):
            d = day + dt.timedelta(days=minute // 1440)
            m = minute % 1440
            naive = dt.datetime(d.year, d.month, d.day, m // 60, m % 60)
            for fold in (0, 1):
                out.add(naive.replace(tzinfo=z, fold=fold).astimezone(UTC))
    return tuple(sorted(out))


def _candidates(t: dt.datetime, zones: tuple[str, ...], window: Window,
                first_day: int, last_day: int) -> list[dt.datetime]:
    """Boundary and transition instants for local days ``first_day..last_day`` around
    ``t`` (offsets in days), sorted."""
    cands: set[dt.datetime] = set()
    for zname in zones:
        local_day = t.astimezone(_zone(zname)).date()
        for k in range(first_day, last_day + 1):
            cands.update(_boundaries_on(zname, local_day + dt.timedelta(days=k), window))
        utc_day = t.date()
        for k in range(first_day - 1, last_day + 2):
            cands.update(_transitions_on(zname, utc_day + dt.timedelta(days=k)))
    return sorted(cands)


def next_allowed(now: dt.datetime, zones: Iterable[str], window: Window,
                 horizon_days: int = HORIZON_DAYS) -> dt.datetime | None:
    """The earliest instant ``>= now`` (aware UTC) allowed in every zone (US-01, US-02).

    Returns ``now`` itself (as UTC) when it is allowed; ``None`` when no instant within
    ``horizon_days`` is allowed in all zones at once (zones 12+ hours apart, an empty
    window, or no zones) — the gate then refuses (US-02) instead of guessing."""
    now = _check_aware(now)
    names = tuple(dict.fromkeys(zones))
    if not names or not window:
        return None
    if allowed_at(now, names, window):
        return now
    # Search day by day so the usual case (later today / tomorrow) stays cheap.
    lo = -1
    for hi in (1, horizon_days):
        for c in _candidates(now, names, window, lo, hi):
            if c >= now and c <= now + dt.timedelta(days=horizon_days) and allowed_at(c, names, window):
                return c
        lo = hi
    return None


def seconds_left(now: dt.datetime, zones: Iterable[str], window: Window) -> int:
    """Whole seconds from ``now`` until the window closes in some zone (0 when ``now`` is
    not allowed). Used as Twilio's ``ValidityPeriod`` so a message cleared at 20:59 never
    lands at 23:00. Capped at 2 days (a window that never closes, e.g. 00:00–24:00)."""
    now = _check_aware(now)
    names = tuple(dict.fromkeys(zones))
    if not allowed_at(now, names, window):
        return 0
    for c in _candidates(now, names, window, -1, 2):
        if c > now and not allowed_at(c, names, window):
            return int((c - now).total_seconds())
    return 2 * 86400


def allowed_window(now: dt.datetime, zones: Iterable[str], window: Window,
                   horizon_days: int = HORIZON_DAYS) -> tuple[dt.datetime, dt.datetime] | None:
    """The next allowed stretch ``[start, end)`` in UTC at or after ``now``: ``start`` from
    :func:`next_allowed`, ``end`` when it closes in some zone. ``None`` when never."""
    start = next_allowed(now, zones, window, horizon_days)
    if start is None:
        return None
    return start, start + dt.timedelta(seconds=seconds_left(start, zones, window))
