"""API: text a database cannot store (NUL, unpaired surrogates) and out-of-range dates are
a 4xx naming the field, never a 500 a loan system retries for ever (attack 1207e,
finding 12; ``duly/api.py``)."""

from __future__ import annotations

import json

import pytest

from duly.api import bad_text_fields, text_problem
from tests.live import API_TOKEN, Duly
from tests.test_console_http import ACCOUNTS

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def test_text_problem_and_bad_text_fields_are_pure():
    assert text_problem("ok") is None
    assert "NUL" in text_problem("a\x00b")
    assert "surrogate" in text_problem("a\ud800")
    assert bad_text_fields({"a": "x", "b": ["y", {"c": "z\x00"}], "d\x00": 1}) == {
        "b[1].c": "contains a NUL character", "d\x00": "field name contains a NUL character"}
    assert bad_text_fields({"a": 1, "b": None}) == {}


@pytest.mark.parametrize("path,body,field", [
    ("/api/payments", {"account_ref": "ACME-4417", "amount": "10.00", "payment_ref": "P-1",
                       "currency": "US\x00D"}, "currency"),
    ("/api/payments", {"account_ref": "ACME-4417", "amount": "10.00", "payment_ref": "P-2",
                       "paid_at": "0001-01-01T00:00:00Z"}, "paid_at"),
    ("/api/payments", {"account_ref": "ACME-4417", "amount": "10.00", "payment_ref": "P-3",
                       "paid_at": "0001-01-01"}, "paid_at"),
    ("/api/payments", {"account_ref": "ACME-4417", "amount": "10.00", "payment_ref": "P-4",
                       "paid_at": "9999-12-31T23:59:59-14:00"}, "paid_at"),
    ("/api/payments/reverse", {"payment_ref": "P-5", "reason": "NSF\ud800"}, "reason"),
    ("/api/holds", {"account_ref": "ACME-4417", "kind": "dis\x00pute"}, "kind"),
], ids=["currency_nul", "paid_at_year_1_utc", "paid_at_date_year_1", "paid_at_year_9999", "reason_surrogate",
        "kind_nul"])
def test_api_bad_text_and_dates_are_422_naming_the_field(db_url, path, body, field):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        r = d.http.post(path, content=json.dumps(body),   # \ud800 escaped, as a loan system may send
                        headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 422, (r.status_code, r.text)
        assert field in r.json()["fields"], r.json()


def test_api_nul_in_phone_query_and_account_rows(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        r = d.http.get("/api/conversations", params={"phone": "+1555\x005550101"}, headers=AUTH)
        assert r.status_code == 400 and "phone" in r.json()["error"], r.text
        r = d.http.post("/api/accounts", json=[{"account_ref": "N-1", "name": "Ann\x00 Lee",
                                                "phone": "+15555550177", "balance": "10.00",
                                                "days_past_due": "3"}], headers=AUTH)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["index"] == 0 and "name" in r.json()["errors"][0]["reason"]
