"""Confidence intervals for proportions (pure; standard library only).

* :func:`wilson` — the Wilson score interval for one proportion ``x/n`` (Wilson 1927;
  method 3 in Newcombe, "Two-sided confidence intervals for the single proportion",
  Stat Med 1998;17:857-872). No continuity correction.
* :func:`newcombe_diff` — Newcombe's hybrid score interval for the difference of two
  independent proportions ``x1/n1 - x2/n2`` (method 10 in Newcombe, "Interval estimation
  for the difference between independent proportions: comparison of eleven methods",
  Stat Med 1998;17:873-890). With ``(l1, u1)`` and ``(l2, u2)`` the Wilson intervals of
  ``p1`` and ``p2``::

      lower = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
      upper = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)

  It behaves at 0 and n (no zero-width or out-of-range intervals), unlike the Wald
  interval.

``z`` comes from :class:`statistics.NormalDist` (two-sided: ``1 - (1 - confidence)/2``).
"""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist
from typing import NamedTuple

__all__ = ["Interval", "z_value", "wilson", "newcombe_diff"]


class Interval(NamedTuple):
    """A point estimate and its confidence interval ``[lower, upper]``."""

    estimate: float
    lower: float
    upper: float

    @property
    def excludes_zero(self) -> bool:
        """The interval lies wholly above or wholly below 0 (for a difference: the two
        proportions differ at this confidence level)."""
        return self.lower > 0.0 or self.upper < 0.0


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile for ``confidence`` (1.959964 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def _check(x: int, n: int) -> None:
    if isinstance(x, bool) or isinstance(n, bool) or not isinstance(x, int) or not isinstance(n, int):
        raise ValueError(f"counts must be integers, got {x!r}/{n!r}")
    if n <= 0:
        raise ValueError(f"the number of trials must be positive, got {n}")
    if not 0 <= x <= n:
        raise ValueError(f"successes must be between 0 and {n}, got {x}")


def _clamp(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


def wilson(x: int, n: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval for ``x`` successes in ``n`` trials.

    Raises ``ValueError`` unless ``0 <= x <= n`` and ``n > 0``."""
    _check(x, n)
    z = z_value(confidence)
    p = x / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denom = 1 + z2 / n
    lower = 0.0 if x == 0 else _clamp((centre - half) / denom, 0.0, 1.0)
    upper = 1.0 if x == n else _clamp((centre + half) / denom, 0.0, 1.0)
    return Interval(p, lower, upper)


def newcombe_diff(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval (method 10) for ``x1/n1 - x2/n2``.

    Raises ``ValueError`` unless ``0 <= x <= n`` and ``n > 0`` for both."""
    _check(x1, n1)
    _check(x2, n2)
    p1, l1, u1 = wilson(x1, n1, confidence)
    p2, l2, u2 = wilson(x2, n2, confidence)
    d = p1 - p2
    lower = d - sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Interval(d, _clamp(lower, -1.0, 1.0), _clamp(upper, -1.0, 1.0))
