"""Plan maths: integer minor units, remainder on the first instalment, exact sums,
minimum instalment respected (bot/dialogs/plans.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dialogs.plans import PlanOffer, add_months, offers, split

POLICY = {"instalment_months": [3, 6], "min_instalment": "25.00", "deferral_days": 30,
          "interest_free_months": 3}
TODAY = dt.date(2026, 11, 30)


@given(total=st.integers(min_value=0, max_value=10**12), n=st.integers(min_value=1, max_value=120))
@settings(max_examples=500)
def test_split_adds_up_exactly_with_remainder_first(total, n):
    parts = split(total, n)
    assert len(parts) == n and sum(parts) == total
    assert all(p == parts[1] for p in parts[1:])
    assert 0 <= parts[0] - parts[-1] < n


@given(total=st.integers(min_value=1, max_value=10**10),
       months=st.lists(st.integers(min_value=1, max_value=60), min_size=0, max_size=4),
       min_inst=st.sampled_from(["0", "1.00", "25.00", "100"]),
       currency=st.sampled_from(["USD", "CNY", "GBP", "JPY"]))
@settings(max_examples=300)
def test_every_offer_adds_up_and_respects_minimum(total, months, min_inst, currency):
    policy = {**POLICY, "instalment_months": months, "min_instalment": min_inst}
    from decimal import Decimal
    from bot.money import to_minor
    min_minor = to_minor(Decimal(min_inst), currency)
    got = offers(total, currency, policy, TODAY)
    assert [o.option for o in got] == list(range(1, len(got) + 1))
    for o in got:
        assert sum(a for _, a in o.instalments) == total == o.total_minor
        if o.kind != "deferral":
            assert min(a for _, a in o.instalments) >= min_minor
        dates = [d for d, _ in o.instalments]
        assert dates == sorted(dates) and dates[0] > TODAY
        assert PlanOffer.from_json(o.as_json()) == o
    free = [o.count for o in got if o.kind == "interest_free"]
    assert not [o for o in got if o.kind == "instalments" and o.count in free]   # no look-alikes


def test_default_policy_offers():
    got = offers(30000, "USD", {**POLICY, "instalment_months": [6, 12]}, TODAY)
    assert [(o.kind, o.count) for o in got] == [("instalments", 6), ("instalments", 12),
                                                ("deferral", 1), ("interest_free", 3)]
    assert got[2].instalments == ((dt.date(2026, 12, 30), 30000),)
    assert got[0].instalments[0] == (dt.date(2026, 12, 7), 5000)
    assert [a for _, a in got[3].instalments] == [10000, 10000, 10000]


def test_no_plain_offer_duplicates_the_interest_free_one():
    # [3, 6] with 3 interest-free months: "3 monthly payments of $104.16" and "3 interest-free
    # monthly payments of $104.16" read the same; only the interest-free one is offered.
    got = offers(31250, "USD", POLICY, TODAY)
    assert [(o.kind, o.count) for o in got] == [("instalments", 6), ("deferral", 1), ("interest_free", 3)]
    assert [a for _, a in got[2].instalments] == [10418, 10416, 10416]
    assert [a for _, a in got[0].instalments] == [5210, 5208, 5208, 5208, 5208, 5208]
    for o in got:
        assert sum(a for _, a in o.instalments) == 31250
    # the plain offer stays when the interest-free one cannot be offered (below the minimum)
    small = offers(9000, "USD", {**POLICY, "interest_free_months": 6}, TODAY)
    assert [(o.kind, o.count) for o in small] == [("instalments", 3), ("deferral", 1)]


def test_the_shipped_policy_offers_distinct_schedules():
    import tomllib
    from pathlib import Path
    policy = tomllib.loads((Path(__file__).resolve().parents[1] / "config.toml").read_text("utf-8"))["plans"]
    for total in (6000, 10001, 30000, 31250, 260000):
        got = offers(total, "USD", policy, TODAY)
        shapes = [tuple(a for _, a in o.instalments) for o in got]
        assert len(shapes) == len(set(shapes)), (total, got)


def test_remainder_goes_on_the_first_instalment():
    assert split(10000, 3) == [3334, 3333, 3333]
    assert split(100, 6) == [20, 16, 16, 16, 16, 16]


def test_minimum_instalment_drops_small_offers():
    got = offers(6000, "USD", POLICY, TODAY)         # 3 x 20.00 and 6 x 10.00 < 25.00
    assert [o.kind for o in got] == ["deferral"]
    assert offers(0, "USD", POLICY, TODAY) == []


def test_interest_free_zero_is_omitted():
    got = offers(30000, "USD", {**POLICY, "interest_free_months": 0}, TODAY)
    assert "interest_free" not in [o.kind for o in got]


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 15), 2) == dt.date(2027, 2, 15)


def test_split_rejects_bad_input():
    with pytest.raises(ValueError):
        split(100, 0)
