"""POST /api/accounts and the holds API through uvicorn, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Account, Consent, Decision, Event, Hold, Phone
from tests.live import API_TOKEN, Duly

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        yield d


def _good(ref="A-1", phone="(555) 555-0101", **kw):
    row = {"account_ref": ref, "name": "Dana Whitfield", "phone": phone, "balance": "1250.00",
           "days_past_due": 12, "past_due": "312.50", "currency": "USD",
           "timezone": "America/New_York", "consent_source": "application form",
           "consent_at": "2026-01-02T03:04:05Z"}
    row.update(kw)
    return row


def test_api_accounts_requires_the_bearer_token(duly):
    r = duly.http.post("/api/accounts", json=[_good()])
    assert r.status_code == 401
    r = duly.http.post("/api/accounts", json=[_good()], headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    for path in ("/api/payments", "/api/payments/reverse", "/api/holds", "/api/holds/clear"):
        assert duly.http.post(path, json={}).status_code == 401
    assert duly.http.get("/api/events").status_code == 401


def test_api_accounts_malformed_json_is_400(duly):
    r = duly.http.post("/api/accounts", content=b"[{", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and "malformed" in r.json()["error"]
    r = duly.http.post("/api/accounts", content=b'[{"balance": NaN}]', headers=AUTH)
    assert r.status_code == 400
    r = duly.http.post("/api/accounts", json={"not": "a list"}, headers=AUTH)
    assert r.status_code == 400


def test_api_accounts_upsert_and_counts(duly):
    r = duly.http.post("/api/accounts", json=[_good(), _good("A-2", "555-555-0102", balance=80, past_due="80")],
                       headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0, "errors": []}
    r = duly.http.post("/api/accounts", json={"accounts": [_good(balance="1000.00")]}, headers=AUTH)
    assert r.status_code == 200 and r.json()["updated"] == 1
    with duly.services.sessions() as s:
        a1 = s.scalar(select(Account).where(Account.account_ref == "A-1"))
        a2 = s.scalar(select(Account).where(Account.account_ref == "A-2"))
        assert a1.balance_minor == 100000 and a1.past_due_minor == 31250
        assert a2.balance_minor == 8000  # a JSON integer is major units, exact


def test_api_accounts_bad_rows_named_good_rows_kept(duly):
    rows = [
        _good("OK-1"),
        _good("BAD-FLOAT", balance=12.345),          # float with more decimals than USD allows
        _good("BAD-PHONE", phone="12345"),
        {"account_ref": "BAD-MISSING", "name": "x"},
        "not an object",
        _good("BAD-TYPE", balance=[1, 2]),
        _good("OK-2", "555-555-0109", balance=99.5, past_due="99.50"),  # an exact float is accepted
    ]
    r = duly.http.post("/api/accounts", json=rows, headers=AUTH)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["created"] == 2
    errors = {e["index"]: e for e in body["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5]
    assert errors[1]["account_ref"] == "BAD-FLOAT" and "decimals" in errors[1]["reason"]
    assert "phone" in errors[2]["reason"]
    assert "missing" in errors[3]["reason"]
    assert "object" in errors[4]["reason"]
    assert "balance" in errors[5]["reason"]
    with duly.services.sessions() as s:
        refs = set(s.scalars(select(Account.account_ref)))
        assert refs == {"OK-1", "OK-2"}
        assert s.scalar(select(Account.balance_minor).where(Account.account_ref == "OK-2")) == 9950


def test_US_10_consent_record_per_number_idempotent(duly):
    row = _good(phone="555-555-0101;555-555-0103")
    for _ in range(3):
        assert duly.http.post("/api/accounts", json=[row], headers=AUTH).status_code == 200
    with duly.services.sessions() as s:
        consents = s.scalars(select(Consent).order_by(Consent.phone)).all()
        assert [c.phone for c in consents] == ["+15555550101", "+15555550103"]
        assert all(c.source == "application form" and c.channel == "sms" for c in consents)
        assert consents[0].consented_at.isoformat() == "2026-01-02T03:04:05+00:00"
    # a new consent (another source) is added, the history kept
    duly.http.post("/api/accounts", json=[_good(consent_source="web", consent_at="2026-02-01")],
                   headers=AUTH)
    # no consent_source → no consent record (the gate blocks with NO_CONSENT)
    duly.http.post("/api/accounts", json=[_good("NC-1", "555-555-0104", consent_source=None,
                                                consent_at=None)], headers=AUTH)
    with duly.services.sessions() as s:
        assert s.scalar(select(Consent.id).where(Consent.phone == "+15555550104")) is None
        assert len(s.scalars(select(Consent).where(Consent.phone == "+15555550101")).all()) == 2


def test_api_holds_set_and_clear(duly):
    duly.http.post("/api/accounts", json=[_good()], headers=AUTH)
    r = duly.http.post("/api/holds", json={"account_ref": "A-1", "kind": "bankruptcy",
                                           "note": "Chapter 7 notice by post"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["created"] is True
    again = duly.http.post("/api/holds", json={"account_ref": "A-1", "kind": "bankruptcy"}, headers=AUTH)
    assert again.json() == {**r.json(), "created": False}
    assert duly.http.post("/api/holds", json={"account_ref": "A-1", "kind": "holiday"},
                          headers=AUTH).status_code == 422
    assert duly.http.post("/api/holds", json={"account_ref": "NOPE", "kind": "cease"},
                          headers=AUTH).status_code == 404
    r = duly.http.post("/api/holds", json={"account_ref": "A-1", "kind": "cease"}, headers=AUTH)
    assert r.json()["rule"] == "US-17"
    with duly.services.sessions() as s:
        holds = s.scalars(select(Hold).order_by(Hold.id)).all()
        assert [(h.kind, h.source, h.cleared_at) for h in holds] == [("bankruptcy", "api", None),
                                                                    ("cease", "api", None)]
        assert holds[0].note == "Chapter 7 notice by post"
        assert s.scalar(select(Decision.id).where(Decision.rule == "US-17", Decision.actor == "api"))
    r = duly.http.post("/api/holds/clear", json={"account_ref": "A-1", "kind": "bankruptcy"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["cleared"] == 1
    r = duly.http.post("/api/holds/clear", json={"account_ref": "A-1", "kind": "bankruptcy"}, headers=AUTH)
    assert r.json()["cleared"] == 0
    with duly.services.sessions() as s:
        kinds = [k for k in s.scalars(select(Event.kind).order_by(Event.id))]
        assert kinds == ["hold.set", "hold.set", "hold.cleared"]
        active = s.scalars(select(Hold.kind).where(Hold.cleared_at.is_(None))).all()
        assert active == ["cease"]


def test_api_accounts_repeated_ref_in_one_request_is_refused_by_index(duly):
    """Two objects with one account_ref in a request are two customers on one account
    unless refused: the later one is named (by its index) and skipped, the rest land."""
    r = duly.http.post("/api/accounts", json=[_good("T-1"), _good("T-2", "555-555-0102"),
                                               _good("T-1", "555-555-0120", name="Dup Ref")], headers=AUTH)
    assert r.status_code == 422, r.text
    assert r.json() == {"created": 2, "updated": 0,   # "warnings" only when there are some
                        "errors": [{"index": 2, "account_ref": "T-1",
                                    "reason": "account_ref T-1 repeats index 0; skipped"}]}
    r = duly.http.post("/api/accounts", json=[_good("T-2", "555-555-0102", name="Other Person")], headers=AUTH)
    assert r.status_code == 200
    assert r.json()["warnings"] == [{"index": 0, "account_ref": "T-2", "reason": (
        "account_ref T-2: name changed from 'Dana Whitfield' to 'Other Person' (updated; check it is the same customer)")}]
    with duly.services.sessions() as s:
        t1 = s.scalar(select(Account).where(Account.account_ref == "T-1"))
        assert t1.name == "Dana Whitfield" and [p.e164 for p in t1.phones] == ["+15555550101"]
