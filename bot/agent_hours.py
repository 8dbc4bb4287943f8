"""When people are at work to answer handoffs (pure; the clock is passed in).

Config (``[agent.hours]`` in config.toml)::

    zone = "America/New_York"      # the team's zone
    days = ["mon", "tue", "wed", "thu", "fri"]
    start = "08:00"                # local, inclusive
    end = "20:00"                  # local, exclusive
    holidays = ["2026-12-25"]      # local dates with nobody on shift

No ``[agent.hours]`` means agents are always on shift. A handoff outside these hours tells
the customer, once and through the outbound gate, when to expect a person (G-01: a handoff
is never a silent drop).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hm(value: Any, default: str) -> dt.time:
    hh, mm = (int(x) for x in str(value or default).split(":"))
    return dt.time(hh % 24, mm)


def next_open(now: dt.datetime, conf: Mapping[str, Any] | None) -> dt.datetime | None:
    """``None`` when agents are on shift at ``now`` (aware UTC) or no hours are set;
    otherwise the aware UTC instant the next shift starts (searched up to 14 days ahead;
    ``None`` if the config names no working day at all).

    Raises ``ValueError`` for a malformed time or ``KeyError`` for an unknown zone."""
    if not conf:
        return None
    zone = ZoneInfo(str(conf.get("zone", "UTC")))
    days = {str(d).lower()[:3] for d in conf.get("days", DAYS[:5])}
    start, end = _hm(conf.get("start"), "08:00"), _hm(conf.get("end"), "20:00")
    holidays = {str(h) for h in conf.get("holidays", ())}
    local = now.astimezone(zone)

    def working(day: dt.date) -> bool:
        return DAYS[day.weekday()] in days and day.isoformat() not in holidays

    if working(local.date()) and start <= local.time() < end:
        return None
    for i in range(0, 15):
        day = local.date() + dt.timedelta(days=i)
        if not working(day):
            continue
        opening = dt.datetime.combine(day, start, tzinfo=zone)
        if opening > local:
            return opening.astimezone(dt.timezone.utc)
    return None


def sla_minutes(conf: Mapping[str, Any] | None, reason: str) -> int:
    """Minutes an agent has to pick up a handoff for ``reason`` (``[agent.sla_minutes]``,
    falling back to its ``default`` key, then 60). UK-07: a ``self_harm`` hand-off a table
    does not name (settings saved before the reason existed) gets the shortest SLA the
    table has, at most :data:`SELF_HARM_SLA_MINUTES` — never the default's hour."""
    table = dict((conf or {}).get("sla_minutes") or {})
    if reason == "self_harm" and reason not in table:
        named = [int(v) for v in table.values() if isinstance(v, (int, float, str)) and str(v).strip().isdigit()]
        return min([SELF_HARM_SLA_MINUTES, *named])
    value = table.get(reason, table.get("default", 60))
    return int(value)


#: UK-07 "immediate escalation": the longest a ``self_harm`` hand-off waits for a person when
#: the settings name no SLA for it (config.toml ``[agent] sla_minutes.self_harm``).
SELF_HARM_SLA_MINUTES = 5
