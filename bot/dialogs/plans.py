"""Repayment plan maths (pure).

Offers come from the ``[plans]`` policy in config.toml (``facts.policy["plans"]``):

* one ``instalments`` offer per N in ``instalment_months``: N monthly instalments;
* one ``deferral`` offer: the whole total ``deferral_days`` after today;
* one ``interest_free`` offer of ``interest_free_months`` instalments (interest frozen;
  omitted when 0). A plain ``instalments`` offer with the same number of instalments
  is dropped: it would read exactly like the interest-free one, only worse, and two
  offers a customer cannot tell apart are not a choice.

Amounts are integer minor units. ``split`` puts the remainder (the minor units that
do not divide) on the FIRST instalment, so the instalments add up exactly to the
total. An instalment offer whose smallest instalment would fall below
``min_instalment`` is dropped. The first instalment falls due ``first_due_days``
(default 7) after today, later ones on the same day of each following month
(clamped to the month's last day).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from bot.money import to_minor

KINDS = ("instalments", "deferral", "interest_free")


@dataclass(frozen=True)
class PlanOffer:
    """One numbered offer. ``instalments``: ``(due_date, amount_minor)`` pairs."""

    option: int
    kind: str
    total_minor: int
    instalments: tuple[tuple[dt.date, int], ...]

    @property
    def count(self) -> int:
        return len(self.instalments)

    def as_json(self) -> dict[str, Any]:
        return {
            "option": self.option,
            "kind": self.kind,
            "total_minor": self.total_minor,
            "instalments": [[d.isoformat(), a] for d, a in self.instalments],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "PlanOffer":
        return cls(
            option=int(data["option"]),
            kind=str(data["kind"]),
            total_minor=int(data["total_minor"]),
            instalments=tuple((dt.date.fromisoformat(d), int(a)) for d, a in data["instalments"]),
        )


def split(total_minor: int, n: int) -> list[int]:
    """``total_minor`` in ``n`` instalments; the remainder goes on the first."""
    if n < 1:
        raise ValueError("n must be >= 1")
    if total_minor < 0:
        raise ValueError("total must be >= 0")
    base, rest = divmod(total_minor, n)
    return [base + rest] + [base] * (n - 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the end of a shorter month."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(total_minor: int, n: int, first_due: dt.date) -> tuple[tuple[dt.date, int], ...]:
    return tuple((add_months(first_due, i), amt) for i, amt in enumerate(split(total_minor, n)))


def offers(total_minor: int, currency: str, policy: Mapping[str, Any], today: dt.date) -> list[PlanOffer]:
    """The numbered offers for ``total_minor`` (options numbered from 1, in the order
    instalments (by N), deferral, interest-free)."""
    if total_minor <= 0:
        return []
    min_minor = to_minor(Decimal(str(policy.get("min_instalment", "0"))), currency)
    first_due = today + dt.timedelta(days=int(policy.get("first_due_days", 7)))
    free = int(policy.get("interest_free_months", 0) or 0)
    free_offered = free >= 1 and total_minor // free >= min_minor
    out: list[tuple[str, tuple[tuple[dt.date, int], ...]]] = []
    for n in sorted({int(x) for x in policy.get("instalment_months", ())}):
        if n < 1 or total_minor // n < min_minor:
            continue
        if free_offered and n == free:
            continue   # the interest-free offer has the same schedule: offer that one only
        out.append(("instalments", schedule(total_minor, n, first_due)))
    deferral_days = int(policy.get("deferral_days", 0) or 0)
    if deferral_days > 0:
        out.append(("deferral", ((today + dt.timedelta(days=deferral_days), total_minor),)))
    if free_offered:
        out.append(("interest_free", schedule(total_minor, free, first_due)))
    return [PlanOffer(i + 1, kind, total_minor, inst) for i, (kind, inst) in enumerate(out)]
