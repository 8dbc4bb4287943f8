"""rev3: bad input to the collection-cycle API must never be a 5xx (issue 3, step 4)."""

from __future__ import annotations

import pytest

from tests.live import API_TOKEN, Duly

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
GOOD = {"account_ref": "G1", "name": "Good One", "phone": "+12125550150", "balance": "10.00",
        "days_past_due": 3, "consent_source": "app"}


def test_huge_balance_is_a_422_naming_the_row_and_good_rows_are_kept(db_url):
    bad = dict(GOOD, account_ref="HUGE", phone="+12125550154", balance="99999999999999999999999.00")
    with Duly(db_url) as d:
        r = d.http.post("/api/accounts", json=[GOOD, bad], headers=AUTH)
        assert r.status_code == 422, r.text
        assert [e["index"] for e in r.json()["errors"]] == [1]
        assert r.json()["created"] == 1


def test_huge_payment_amount_is_a_422(db_url):
    with Duly(db_url) as d:
        assert d.http.post("/api/accounts", json=[GOOD], headers=AUTH).status_code == 200
        r = d.http.post("/api/payments", json={"account_ref": "G1", "payment_ref": "P1",
                                               "amount": "99999999999999999999999"}, headers=AUTH)
        assert r.status_code == 422, r.text


@pytest.mark.parametrize("kind", [["dispute"], {"a": 1}])
def test_hold_kind_of_the_wrong_type_is_a_422(db_url, kind):
    with Duly(db_url) as d:
        assert d.http.post("/api/accounts", json=[GOOD], headers=AUTH).status_code == 200
        for path in ("/api/holds", "/api/holds/clear"):
            r = d.http.post(path, json={"account_ref": "G1", "kind": kind}, headers=AUTH)
            assert r.status_code == 422, (path, r.status_code, r.text)


def test_events_after_a_huge_id_is_not_a_5xx(db_url):
    with Duly(db_url) as d:
        r = d.http.get("/api/events", params={"after": "9" * 30}, headers=AUTH)
        assert r.status_code < 500, r.text


def test_past_due_larger_than_the_balance_is_refused(db_url):
    """G-02 / US-21: a row with past_due 500.00 on a 100.00 balance (and minimum_due 900.00)
    is accepted, and the cadence would state "$500.00 is still past due"."""
    row = dict(GOOD, account_ref="B8", balance="100.00", past_due="500.00", minimum_due="900.00")
    with Duly(db_url) as d:
        r = d.http.post("/api/accounts", json=[row], headers=AUTH)
        assert r.status_code == 422, r.text
