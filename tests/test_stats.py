"""bot.stats against published values.

* Wilson score interval: Newcombe RG, "Two-sided confidence intervals for the single
  proportion: comparison of seven methods", Stat Med 1998;17:857-872, Table I, method 3.
* Hybrid score interval for a difference: Newcombe RG, "Interval estimation for the
  difference between independent proportions: comparison of eleven methods", Stat Med
  1998;17:873-890, Table II, method 10. Examples (a), (b) and (d) are also reproduced in
  the test suites of the R packages ``propint`` and ``ratesci``.

Note: example (a) is 56/70 - 48/80 = 0.8 - 0.6 = 0.2000 with 95% CI (0.0524, 0.3339);
an estimate of 0.1667 with (0.0262, 0.3129) does not belong to these counts.
"""

from __future__ import annotations

import math

import pytest

from bot.stats import Interval, newcombe_diff, wilson, z_value


def r4(iv: Interval) -> tuple[float, float, float]:
    return round(iv.estimate, 4), round(iv.lower, 4), round(iv.upper, 4)


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    assert z_value(0.99) == pytest.approx(2.575829, abs=1e-6)


@pytest.mark.parametrize("x,n,lo,hi", [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_newcombe_1998a_table_i(x, n, lo, hi):
    est, lower, upper = r4(wilson(x, n))
    assert est == round(x / n, 4)
    assert (lower, upper) == (lo, hi)


def test_wilson_edges():
    assert wilson(0, 10).lower == 0.0
    assert wilson(10, 10).upper == 1.0
    lo, hi = wilson(5, 10)[1:]
    assert lo == pytest.approx(1 - hi)           # symmetric around 1/2
    # wider at higher confidence
    assert wilson(30, 100, 0.99).lower < wilson(30, 100, 0.95).lower


@pytest.mark.parametrize("x1,n1,x2,n2,est,lo,hi", [
    (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),     # (a)
    (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),       # (b)
    (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),      # (d)
])
def test_newcombe_method_10_cross_checked(x1, n1, x2, n2, est, lo, hi):
    assert r4(newcombe_diff(x1, n1, x2, n2)) == (est, lo, hi)


@pytest.mark.parametrize("x1,n1,x2,n2,est,lo,hi", [
    (6, 7, 2, 7, 0.5714, 0.0582, 0.8062),         # (c)
    (0, 10, 0, 20, 0.0, -0.1611, 0.2775),         # (e)
    (0, 10, 0, 10, 0.0, -0.2775, 0.2775),         # (f)
    (10, 10, 0, 20, 1.0, 0.6791, 1.0),            # (g)
    (10, 10, 0, 10, 1.0, 0.6075, 1.0),            # (h)
])
def test_newcombe_method_10_table_ii(x1, n1, x2, n2, est, lo, hi):
    assert r4(newcombe_diff(x1, n1, x2, n2)) == (est, lo, hi)


def test_newcombe_antisymmetric_and_zero():
    a = newcombe_diff(56, 70, 48, 80)
    b = newcombe_diff(48, 80, 56, 70)
    assert b.estimate == pytest.approx(-a.estimate)
    assert b.lower == pytest.approx(-a.upper) and b.upper == pytest.approx(-a.lower)
    assert a.excludes_zero and b.excludes_zero
    same = newcombe_diff(10, 50, 10, 50)
    assert same.estimate == 0 and same.lower < 0 < same.upper and not same.excludes_zero
    for iv in (a, b, same, newcombe_diff(0, 1, 1, 1), newcombe_diff(1, 1, 0, 1)):
        assert -1.0 <= iv.lower <= iv.estimate <= iv.upper <= 1.0
        assert all(math.isfinite(v) for v in iv)


@pytest.mark.parametrize("args", [(1, 0), (-1, 5), (6, 5), (1.0, 5), (True, 5)])
def test_bad_counts(args):
    with pytest.raises(ValueError):
        wilson(*args)
    with pytest.raises(ValueError):
        newcombe_diff(*args, 1, 2)
    with pytest.raises(ValueError):
        newcombe_diff(1, 2, *args)


@pytest.mark.parametrize("conf", [0, 1, -0.5, 1.5])
def test_bad_confidence(conf):
    with pytest.raises(ValueError):
        wilson(1, 2, conf)
