"""Settings admins may change without code, stored as versioned rows (``settings_revisions``).

What an admin may set (:data:`EDITABLE`): plan policy, promise limits, frequency caps,
quiet hours per profile and agent hours. A revision's ``body`` is the COMPLETE overlay in
force (nested like ``config.toml``, e.g. ``{"promises": {"max_days_ahead": 40}}``), not a
delta over the previous revision: the highest ``version`` is in force on every host, and a
key left out of it falls back to ``config.toml``.

Bounds (``[bounds]`` in ``config.toml``; a save past one is refused, :func:`check`):

* numbers: ``[bounds] <section>.<key>_max`` / ``_min`` (``promises.max_days_ahead_max``,
  ``promises.min_fraction_of_past_due_min``...); a bound missing from the file means
  ``config.toml``'s own value is the widest;
* caps (``caps.default``, ``profiles.<name>.caps``): only STRICTER than the configured
  caps — every configured cap must still hold (at most ``count`` per ``days``);
* quiet hours (``profiles.<name>.allowed_hours``): only NARROWER than the profile's own
  ``allowed_hours`` (a later start, an earlier end), or, when ``[bounds]
  profiles.<name>.allowed_hours_max`` gives the legal window (CN-01: default 08:00–21:00,
  legal stop 22:00), than that window;
* agent hours (``agent.hours.*``): any valid window (HH:MM, start before end, an IANA
  zone, weekday names, ISO dates).

:func:`save` flushes, never commits: the caller owns the transaction. :class:`SettingsStore`
is the runtime side: the merged behaviour of the newest version, re-read at most once per
``ttl_seconds`` (a cheap ``SELECT max(version)``, the body only when it changed).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot import hours as hours_math

from .models import AuditEntry, SettingsRevision

__all__ = ["EDITABLE", "Editable", "SettingsError", "SettingsStore", "check", "save", "merge", "history",
           "latest", "flatten", "nest", "keys", "lookup", "bound_text", "changed_keys", "effective_overlay",
           "DAYS"]

log = logging.getLogger("duly.settings")

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^\d{2}:\d{2}$")


@dataclass(frozen=True)
class Editable:
    """One settable key. ``kind``: ``int`` | ``decimal`` (a string such as ``"25.00"``) |
    ``months`` (list of ints) | ``caps`` (list of ``{rule, count, days}``) | ``hours``
    (``[start, end]``, HH:MM) | ``hhmm`` | ``zone`` (IANA) | ``days`` (``mon``..``sun``) |
    ``dates`` (ISO dates). ``bound``: its ``[bounds]`` key, if a number bounds it."""

    kind: str
    label: str
    bound: str = ""


#: The keys admins may set ("*" = any profile named in config.toml), in display order.
EDITABLE: dict[str, Editable] = {
    "plans.instalment_months": Editable("months", "Plan lengths offered (monthly instalments)",
                                        "plans.instalment_months_max"),
    "plans.min_instalment": Editable("decimal", "Smallest instalment (major units)", "plans.min_instalment_min"),
    "plans.deferral_days": Editable("int", "Deferral offer: pay in full after N days (0 = no offer)",
                                    "plans.deferral_days_max"),
    "plans.interest_free_months": Editable("int", "Interest-free plan: N instalments (0 = no offer)",
                                           "plans.interest_free_months_max"),
    "promises.max_days_ahead": Editable("int", "Latest promise date the bot accepts (days ahead)",
                                        "promises.max_days_ahead_max"),
    "promises.agent_max_days_ahead": Editable("int", "Latest promise date an agent may agree (days ahead)",
                                              "promises.agent_max_days_ahead_max"),
    "promises.min_fraction_of_past_due": Editable("decimal", "Smallest promise the bot accepts (fraction of past due)",
                                                  "promises.min_fraction_of_past_due_min"),
    "caps.default": Editable("caps", "Frequency caps per debt (profiles without their own)"),
    "profiles.*.caps": Editable("caps", "Frequency caps per debt"),
    "profiles.*.allowed_hours": Editable("hours", "Quiet hours: messages Duly starts only between"),
    "agent.hours.zone": Editable("zone", "Agent hours: zone"),
    "agent.hours.days": Editable("days", "Agent hours: working days"),
    "agent.hours.start": Editable("hhmm", "Agent hours: start (local, inclusive)"),
    "agent.hours.end": Editable("hhmm", "Agent hours: end (local, exclusive)"),
    "agent.hours.holidays": Editable("dates", "Agent hours: holidays (nobody on shift)"),
}

#: Sanity limits whatever the bounds say (an absurd value is a typo, not a policy).
_SANE: dict[str, tuple[Any, Any]] = {
    "plans.instalment_months": (1, 120),
    "plans.min_instalment": (Decimal("0"), Decimal("1000000")),
    "plans.deferral_days": (0, 3650),
    "plans.interest_free_months": (0, 120),
    "promises.max_days_ahead": (1, 3650),
    "promises.agent_max_days_ahead": (1, 3650),
    "promises.min_fraction_of_past_due": (Decimal("0"), Decimal("1")),
}


class SettingsError(ValueError):
    """A save was refused; ``problems`` says why (one line each)."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# --- keys and overlays -------------------------------------------------------------------------

def _parts(pattern: str) -> list[str]:
    return pattern.split(".")


def _match(path: list[str], pattern: list[str], prefix: bool = False) -> bool:
    if (len(path) >= len(pattern)) if prefix else (len(path) != len(pattern)):
        return False
    return all(p == "*" or p == s for s, p in zip(path, pattern))


def _pattern_of(key: str) -> str | None:
    path = key.split(".")
    return next((pat for pat in EDITABLE if _match(path, _parts(pat))), None)


def _profiles(base: Mapping[str, Any]) -> list[str]:
    return [str(name) for name in (base.get("profiles") or {})]


def keys(base: Mapping[str, Any]) -> list[str]:
    """Every settable key, ``*`` expanded over the profiles of ``base`` (config order)."""
    out: list[str] = []
    for pat in EDITABLE:
        if "*" in pat:
            out.extend(pat.replace("*", name) for name in _profiles(base))
        else:
            out.append(pat)
    return out


def _walk(node: Mapping[str, Any], path: list[str], leaves: dict[str, Any], problems: list[str]) -> None:
    for k, v in node.items():
        if not isinstance(k, str) or not k or "." in k:
            problems.append(f"{'.'.join(path + [str(k)])} is not a setting admins may change")
            continue
        p = path + [k]
        if any(_match(p, _parts(pat)) for pat in EDITABLE):
            leaves[".".join(p)] = v
        elif isinstance(v, Mapping) and any(_match(p, _parts(pat), prefix=True) for pat in EDITABLE):
            _walk(v, p, leaves, problems)
        else:
            problems.append(f"{'.'.join(p)} is not a setting admins may change")


def _leaves(overlay: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    leaves: dict[str, Any] = {}
    problems: list[str] = []
    if not isinstance(overlay, Mapping):
        return leaves, ["the settings must be a table of keys"]
    _walk(overlay, [], leaves, problems)
    return leaves, problems


def flatten(overlay: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay as ``{dotted key: value}`` (settable keys only; others are dropped)."""
    return _leaves(overlay)[0]


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{dotted key: value}`` as a nested overlay (values deep-copied)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *head, last = key.split(".")
        for part in head:
            node = node.setdefault(part, {})
        node[last] = copy.deepcopy(value)
    return out


def lookup(behaviour: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """The value at dotted ``key`` in ``behaviour`` (``default`` when absent)."""
    node: Any = behaviour
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def merge(base_behaviour: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``base_behaviour`` with ``overlay`` deep-merged over it: tables merge key by key,
    anything else (numbers, strings, lists) is replaced. A new dict; neither argument is
    changed, and the result shares no mutable part with them."""
    out = copy.deepcopy(dict(base_behaviour))
    _merge_into(out, overlay)
    return out


def _merge_into(target: dict[str, Any], overlay: Mapping[str, Any]) -> None:
    for k, v in overlay.items():
        if isinstance(v, Mapping) and isinstance(target.get(k), Mapping):
            target[k] = dict(target[k])
            _merge_into(target[k], v)
        elif isinstance(v, Mapping):
            target[k] = {}
            _merge_into(target[k], v)
        else:
            target[k] = copy.deepcopy(v)


def changed_keys(old_overlay: Mapping[str, Any], new_overlay: Mapping[str, Any]) -> list[str]:
    """The dotted keys whose value differs between two overlays (set, changed or removed)."""
    a, b = flatten(old_overlay or {}), flatten(new_overlay or {})
    return sorted(k for k in set(a) | set(b) if a.get(k, _MISSING) != b.get(k, _MISSING))


_MISSING = object()


# --- bounds ----------------------------------------------------------------------------------

def _bound(base: Mapping[str, Any], key: str) -> Any:
    """The ``[bounds]`` value for ``key`` (an ``Editable.bound``), else ``None``."""
    return lookup(base.get("bounds") or {}, key)


def _number_bound(base: Mapping[str, Any], key: str, problems: list[str]) -> tuple[str, Decimal | None, str]:
    """(direction "max"/"min"/"", the bound, where it comes from) for numeric ``key``.
    A bound missing from ``[bounds]`` → ``config.toml``'s own value is the widest."""
    ed = EDITABLE[key]
    if not ed.bound:
        return "", None, ""
    direction = "max" if ed.bound.endswith("_max") else "min"
    raw = _bound(base, ed.bound)
    source = f"[bounds] {ed.bound}"
    if raw is None:
        raw = lookup(base, key)
        source = "config.toml"
        if isinstance(raw, list):
            raw = max((x for x in raw if isinstance(x, int)), default=None)
        if raw is None:
            return direction, None, ""
    try:
        value = Decimal(str(raw))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.append(f"config.toml {source}: {raw!r} is not a number")
        return direction, None, ""
    return direction, value, source


def _rule_of_hours(profile: Mapping[str, Any]) -> str:
    if profile.get("hours_rule"):
        return str(profile["hours_rule"])
    try:
        from runner.outbound import HOURS_RULES
    except Exception:  # noqa: BLE001 - a label only
        HOURS_RULES = {"US": "US-01", "CN": "CN-01", "UK": "UK-05", "GB": "UK-05"}
    return HOURS_RULES.get(str(profile.get("jurisdiction", "US")).split("-")[0], "US-01")


def _base_caps(base: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The configured caps an override of ``key`` may only tighten."""
    raw = None
    if key.startswith("profiles."):
        raw = lookup(base, key)
    if raw is None:
        raw = lookup(base, "caps.default")
    if raw is None:
        try:
            from runner.outbound import PRODUCT_CAPS

            return [{"rule": c.rule, "count": c.count, "days": c.days} for c in PRODUCT_CAPS]
        except Exception:  # noqa: BLE001
            return [{"rule": "US-20", "count": 1, "days": 1}, {"rule": "US-20", "count": 3, "days": 7}]
    return [dict(c) for c in raw]


def _hours_of(value: Any) -> str:
    return "–".join(str(x) for x in value) if isinstance(value, (list, tuple)) else str(value)


def _caps_text(caps: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"{c.get('rule')} {c.get('count')} per {_span(c.get('days'))}" for c in caps) or "none"


def _span(days: Any) -> str:
    n = _days(days)
    return f"{n} day" if n == "1" else f"{n} days"


def _days(value: Any) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(f)) if f.is_integer() else str(f)


def bound_text(key: str, base_behaviour: Mapping[str, Any]) -> str:
    """How far an admin may take ``key``, in words (the console shows it beside the field)."""
    pat = _pattern_of(key)
    if pat is None:
        return ""
    ed = EDITABLE[pat]
    if ed.kind in ("int", "decimal", "months"):
        direction, value, source = _number_bound(base_behaviour, pat, [])
        if value is None:
            return ""
        word = "at most" if direction == "max" else "at least"
        return f"{word} {value} ({source})"
    if ed.kind == "caps":
        return f"no looser than {_caps_text(_base_caps(base_behaviour, key))}"
    if ed.kind == "hours":
        prof = lookup(base_behaviour, key.rsplit(".", 1)[0]) or {}
        allowed, source = _widest_hours(base_behaviour, key)
        return f"within {_hours_of(allowed)} ({_rule_of_hours(prof)}{', ' + source if source else ''})"
    return {"zone": "an IANA zone, e.g. America/New_York", "days": "mon … sun",
            "hhmm": "HH:MM, start before end", "dates": "YYYY-MM-DD"}.get(ed.kind, "")


# --- check ------------------------------------------------------------------------------------

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _decimal(v: Any) -> Decimal | None:
    if isinstance(v, str) and not re.fullmatch(r"[0-9]+(\.[0-9]+)?", v):
        return None                   # ASCII digits only, no exponent, nothing around them
    if _is_int(v) or isinstance(v, str):
        try:
            d = Decimal(str(v).strip())
        except (InvalidOperation, ValueError):
            return None
        return d if d.is_finite() else None
    return None


def _minutes(v: Any) -> int | None:
    if not isinstance(v, str) or not re.fullmatch(r"[0-9]{2}:[0-9]{2}", v):
        return None
    try:
        return hours_math.parse_hhmm(v.strip())
    except ValueError:
        return None


def _fmt_min(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _check_number(key: str, value: Any, base: Mapping[str, Any], out: list[str]) -> None:
    ed = EDITABLE[key]
    if ed.kind == "int":
        if not _is_int(value):
            out.append(f"{key} {value!r} is not a whole number")
            return
        numbers = [Decimal(value)]
    elif ed.kind == "decimal":
        d = _decimal(value)
        if d is None or not isinstance(value, str):
            out.append(f"{key} {value!r} is not a decimal written as text, e.g. \"0.10\"")
            return
        numbers = [d]
    else:  # months
        if not isinstance(value, list) or not all(_is_int(x) for x in value):
            out.append(f"{key} {value!r} is not a list of whole numbers of months")
            return
        if len(set(value)) != len(value):
            out.append(f"{key} {_list(value)} names a plan length twice")
            return
        numbers = [Decimal(x) for x in value]
    lo, hi = _SANE[key]
    for n in numbers:
        if not Decimal(lo) <= n <= Decimal(hi):
            out.append(f"{key} {_plain(n)} is outside {lo}..{hi}")
            return
    direction, bound, source = _number_bound(base, key, out)
    if bound is None:
        return
    for n in numbers:
        if direction == "max" and n > bound:
            out.append(f"{key} {_plain(n)} is above the bound {bound} ({source})")
            return
        if direction == "min" and n < bound:
            out.append(f"{key} {_plain(n)} is below the bound {bound} ({source})")
            return


def _plain(n: Decimal) -> str:
    return str(n)


def _list(v: Iterable[Any]) -> str:
    return ", ".join(str(x) for x in v)


def _check_caps(key: str, value: Any, base: Mapping[str, Any], out: list[str]) -> None:
    if not isinstance(value, list):
        out.append(f"{key} {value!r} is not a list of caps")
        return
    for c in value:
        if not isinstance(c, Mapping) or set(c) - {"rule", "count", "days"} or not {"rule", "count", "days"} <= set(c):
            out.append(f"{key} {c!r}: each cap is {{rule, count, days}}")
            return
        if not isinstance(c["rule"], str) or not c["rule"].strip() or len(c["rule"]) > 32:
            out.append(f"{key} {c!r}: rule must be a short name such as \"US-20\"")
            return
        if not _is_int(c["count"]) or c["count"] < 1:
            out.append(f"{key} {c!r}: count must be a whole number of at least 1")
            return
        days = c["days"]
        if isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 < float(days) <= 366 \
                or math.isnan(float(days)):
            out.append(f"{key} {c!r}: days must be a number of days above 0 (at most 366)")
            return
    for b in _base_caps(base, key):
        count, span = int(b["count"]), float(b["days"])
        # in any `span` days an override cap (n per d days) lets through at most ceil(span/d) * n
        most = min((math.ceil(span / float(c["days"]) - 1e-9) * int(c["count"]) for c in value), default=None)
        if most is None or most > count:
            lets = "any number" if most is None else str(most)
            out.append(f"{key} {_caps_text(value)} lets {lets} through in {_span(span)}, more than "
                       f"the configured {b.get('rule')} cap of {count} per {_span(span)} "
                       f"(an override may only be stricter)")


def _widest_hours(base: Mapping[str, Any], key: str) -> tuple[list[Any], str]:
    """The widest quiet hours an admin may set for ``profiles.<name>.allowed_hours``, and
    where that comes from: ``[bounds] profiles.<name>.allowed_hours_max`` (the legal
    window, when the product default is narrower: CN-01's default 08:00–21:00 inside the
    22:00 legal stop), else the profile's own ``allowed_hours`` (the default is itself the
    widest), else 08:00–21:00."""
    bound = _bound(base, key + "_max")
    if isinstance(bound, (list, tuple)) and len(bound) == 2 and all(isinstance(x, str) for x in bound):
        return list(bound), f"[bounds] {key}_max"
    prof = lookup(base, key.rsplit(".", 1)[0]) or {}
    return list(prof.get("allowed_hours") or ["08:00", "21:00"]), ""


def _check_hours(key: str, value: Any, base: Mapping[str, Any], out: list[str]) -> None:
    if not isinstance(value, list) or len(value) != 2:
        out.append(f"{key} {value!r} is not [start, end]")
        return
    start, end = _minutes(value[0]), _minutes(value[1])
    if start is None or end is None:
        out.append(f"{key} {_hours_of(value)} is not two HH:MM times")
        return
    try:
        window = hours_math.window_from_hours([value[0], value[1]])
    except ValueError as exc:
        out.append(f"{key} {_hours_of(value)}: {exc}")
        return
    prof = lookup(base, key.rsplit(".", 1)[0]) or {}
    allowed, source = _widest_hours(base, key)
    rule = _rule_of_hours(prof)
    if source:
        rule = f"{rule}) — the legal bound ({source}"
    try:
        base_window = hours_math.window_from_hours(list(allowed))
        b_start, b_end = hours_math.parse_hhmm(allowed[0]), hours_math.parse_hhmm(allowed[1])
    except (ValueError, TypeError):
        out.append(f"config.toml {key} {allowed!r} is not a valid window")
        return
    if hours_math.narrow(base_window, window) == window:
        return
    shown = _hours_of(value)
    if start < end and b_start < b_end:
        if start < b_start:
            out.append(f"{key} {shown} starts before the profile's {_fmt_min(b_start)} ({rule})")
        if end > b_end:
            out.append(f"{key} {shown} ends after the profile's {_fmt_min(b_end)} ({rule})")
        return
    out.append(f"{key} {shown} is not inside the profile's {_hours_of(allowed)} ({rule}): "
               f"quiet hours may only be narrowed")


def _check_agent(key: str, value: Any, out: list[str]) -> None:
    kind = EDITABLE[key].kind
    if kind == "zone":
        ok = isinstance(value, str) and bool(value.strip()) and ".." not in value
        if ok:
            try:
                ZoneInfo(value)
            except Exception:  # noqa: BLE001 - any failure: not a zone
                ok = False
        if not ok:
            out.append(f"{key} {value!r} is not a time zone (IANA name, e.g. America/New_York)")
    elif kind == "hhmm":
        if _minutes(value) is None or _minutes(value) >= 1440:
            out.append(f"{key} {value!r} is not an HH:MM time")
    elif kind == "days":
        if not isinstance(value, list) or not value or not all(isinstance(d, str) and d in DAYS for d in value) \
                or len(set(value)) != len(value):
            out.append(f"{key} {value!r} is not a list of distinct days among {', '.join(DAYS)} (at least one)")
    elif kind == "dates":
        ok = isinstance(value, list) and all(isinstance(d, str) for d in value)
        if ok:
            try:
                for d in value:
                    if dt.date.fromisoformat(d).isoformat() != d:
                        raise ValueError(d)
            except ValueError:
                ok = False
        if not ok:
            out.append(f"{key} {value!r} is not a list of dates (YYYY-MM-DD)")


def _problems(overlay: Mapping[str, Any], base: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """``(key, message)`` for each problem (key ``None``: not tied to a settable key)."""
    leaves, unknown = _leaves(overlay)
    found: list[tuple[str | None, str]] = [(None, m) for m in unknown]
    profiles = set(_profiles(base))
    for key, value in leaves.items():
        pat = _pattern_of(key) or ""
        msgs: list[str] = []
        if pat.startswith("profiles.*") and key.split(".")[1] not in profiles:
            msgs.append(f"{key}: config.toml has no profile {key.split('.')[1]!r}")
        else:
            kind = EDITABLE[pat].kind
            if kind in ("int", "decimal", "months"):
                _check_number(pat, value, base, msgs)
            elif kind == "caps":
                _check_caps(key, value, base, msgs)
            elif kind == "hours":
                _check_hours(key, value, base, msgs)
            else:
                _check_agent(key, value, msgs)
        found.extend((key, m) for m in msgs)
    bad = {k for k, _ in found}
    merged_ok = {k: v for k, v in leaves.items() if k not in bad}
    found.extend(_cross(merged_ok, base))
    return found


def _cross(leaves: Mapping[str, Any], base: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """Checks between keys, on the merged values (only keys that passed alone)."""
    out: list[tuple[str | None, str]] = []

    def val(key: str, default: Any) -> Any:
        return leaves[key] if key in leaves else lookup(base, key, default)

    bot_max, agent_max = val("promises.max_days_ahead", 30), val("promises.agent_max_days_ahead", 365)
    if ("promises.max_days_ahead" in leaves or "promises.agent_max_days_ahead" in leaves) \
            and _is_int(bot_max) and _is_int(agent_max) and agent_max < bot_max:
        key = ("promises.agent_max_days_ahead" if "promises.agent_max_days_ahead" in leaves
               else "promises.max_days_ahead")
        out.append((key, f"{key}: agents may agree no later date ({agent_max} days) than the bot "
                         f"({bot_max} days); promises.agent_max_days_ahead must be at least promises.max_days_ahead"))
    agent_keys = [k for k in leaves if k.startswith("agent.hours.")]
    if agent_keys and not val("agent.hours.zone", None):
        out.append(("agent.hours.zone", "agent.hours.zone: config.toml has no [agent.hours] zone; "
                                        "set the zone with the other agent hours"))
    if "agent.hours.start" in leaves or "agent.hours.end" in leaves:
        start, end = _minutes(val("agent.hours.start", "08:00")), _minutes(val("agent.hours.end", "20:00"))
        if start is not None and end is not None and start >= end:
            key = "agent.hours.start" if "agent.hours.start" in leaves else "agent.hours.end"
            out.append((key, f"agent.hours {_fmt_min(start)}–{_fmt_min(end)}: the start must be before the end"))
    return out


def check(overlay: Mapping[str, Any], base_behaviour: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``overlay`` over ``base_behaviour`` (config.toml, with its
    ``[bounds]``): unknown keys, wrong types, values wider than the bounds. Empty = fine.
    Each message names the key, the value and the bound."""
    return [m for _, m in _problems(overlay, base_behaviour)]


def effective_overlay(overlay: Mapping[str, Any],
                      base_behaviour: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``overlay`` without the keys that do not pass :func:`check` against ``base_behaviour``
    (e.g. config.toml narrowed a bound after the save), and the problems that dropped them.
    What the runtime applies: a stored setting never widens today's bounds."""
    flat, unknown = _leaves(overlay)
    dropped: list[str] = list(unknown)
    for _ in range(len(flat) + 1):
        found = _problems(nest(flat), base_behaviour)
        if not found:
            break
        bad = {k for k, _ in found if k is not None}
        dropped.extend(m for _, m in found)
        if not bad:
            break
        flat = {k: v for k, v in flat.items() if k not in bad}
    return nest(flat), dropped


# --- storage ----------------------------------------------------------------------------------

def latest(session: Session) -> SettingsRevision | None:
    """The revision in force (highest version), or ``None``."""
    return session.scalar(select(SettingsRevision).order_by(SettingsRevision.version.desc()).limit(1))


def _current_version(session: Session) -> int:
    return int(session.scalar(select(func.max(SettingsRevision.version))) or 0)


def history(session: Session) -> list[SettingsRevision]:
    """Every revision, newest first."""
    return list(session.scalars(select(SettingsRevision).order_by(SettingsRevision.version.desc())).all())


def save(session: Session, overlay: Mapping[str, Any], by: str, reason: str, now: dt.datetime,
         base_behaviour: Mapping[str, Any], *, expected_version: int | None = None) -> SettingsRevision:
    """Store ``overlay`` (the complete set of overrides) as the next version, by ``by``
    for ``reason``, and append an ``AuditEntry`` (``settings_saved``). Flushes, does not
    commit.

    Raises :class:`SettingsError` when :func:`check` finds problems, the reason is empty,
    or someone else saved first: a newer version than ``expected_version`` exists, or a
    concurrent save took the same version number (the unique ``version``)."""
    problems = check(overlay, base_behaviour)
    reason = (reason or "").strip()
    by = (by or "").strip()
    if not reason:
        problems.append("say why: a reason is required")
    if not by:
        problems.append("who saves it is required")
    if problems:
        raise SettingsError(problems)
    current = latest(session)
    cur_v = current.version if current is not None else 0
    if expected_version is not None and cur_v != expected_version:
        who = f" ({current.created_by}, {current.created_at:%Y-%m-%d %H:%M} UTC)" if current is not None else ""
        raise SettingsError([f"someone saved version {cur_v} first{who}; reload and make your change there"])
    body = nest(flatten(overlay))
    rev = SettingsRevision(version=cur_v + 1, body=body, created_by=by[:255], reason=reason, created_at=now)
    try:
        with session.begin_nested():
            session.add(rev)
            session.flush()
    except IntegrityError:
        newest = _current_version(session) or cur_v + 1
        raise SettingsError([f"someone saved version {newest} first; reload and make your change there"]) from None
    session.add(AuditEntry(actor=by[:255], action="settings_saved", created_at=now,
                           detail={"version": rev.version, "reason": reason,
                                   "changed": changed_keys(current.body if current is not None else {}, body)}))
    session.flush()
    return rev


# --- runtime ----------------------------------------------------------------------------------

class SettingsStore:
    """The behaviour in force: ``base_behaviour`` (config.toml) with the newest revision
    merged over it. Re-reads the database at most once per ``ttl_seconds`` (``clock`` is
    monotonic seconds): ``SELECT max(version)``, and the body only when the version
    changed — so every host converges within ``ttl_seconds`` of a save. Keys that no
    longer pass :func:`check` (config.toml tightened) are left out, with a warning. A
    database error keeps the last good behaviour. Thread-safe.

    The mappings returned are shared: read them, never change them."""

    def __init__(self, sessions: Callable[[], Session], base_behaviour: Mapping[str, Any],
                 ttl_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._sessions = sessions
        self._base = copy.deepcopy(dict(base_behaviour))
        self._ttl = float(ttl_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._version = 0
        self._overlay: dict[str, Any] = {}
        self._behaviour: dict[str, Any] = merge(self._base, {})
        self._settings_cache: tuple[int, int, Any] | None = None

    @property
    def base(self) -> Mapping[str, Any]:
        return self._base

    def behaviour(self) -> Mapping[str, Any]:
        """The merged behaviour of the newest version (config.toml alone when none)."""
        self._refresh()
        return self._behaviour

    def version(self) -> int:
        """The version in force (0: none saved)."""
        self._refresh()
        return self._version

    def overlay(self) -> Mapping[str, Any]:
        """The overrides in force (what was saved, less any key no longer within bounds)."""
        self._refresh()
        return self._overlay

    def apply(self, settings: Any) -> Any:
        """``settings`` (a :class:`duly.config.Settings`) with ``behaviour`` replaced by the
        behaviour in force; one copy per version."""
        b = self.behaviour()
        with self._lock:
            cached = self._settings_cache
            if cached is not None and cached[0] == id(settings) and cached[1] == self._version \
                    and cached[2].behaviour is b:
                return cached[2]
            made = dataclasses.replace(settings, behaviour=b)
            self._settings_cache = (id(settings), self._version, made)
            return made

    def invalidate(self) -> None:
        """Re-read on the next call (this host just saved)."""
        with self._lock:
            self._checked_at = None

    def _refresh(self) -> None:
        with self._lock:
            now = self._clock()
            if self._checked_at is not None and now - self._checked_at < self._ttl:
                return
            self._checked_at = now
            try:
                with self._sessions() as s:
                    s.connection(execution_options={"sqlite_begin": "DEFERRED"})
                    newest = _current_version(s)
                    if newest == self._version:
                        return
                    body = {}
                    if newest:
                        found = s.scalar(select(SettingsRevision.body).where(SettingsRevision.version == newest))
                        body = dict(found or {})
            except SQLAlchemyError as exc:
                log.warning("settings: cannot read settings_revisions (%s); keeping version %d",
                            exc.__class__.__name__, self._version)
                return
            overlay, dropped = effective_overlay(body, self._base)
            for problem in dropped:
                log.warning("settings version %d: ignored, outside config.toml's bounds: %s", newest, problem)
            self._overlay = overlay
            self._behaviour = merge(self._base, overlay)
            self._version = newest
            log.info("settings: version %d in force", newest)
