"""The SMS webhook's HTTP edge through uvicorn: bad input gets a clear answer, never a 5xx."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.live import AUTH_TOKEN, PUBLIC_BASE, Duly, replies_in


@pytest.fixture
def duly(tmp_path):
    with Duly(f"sqlite:///{tmp_path / 'd.db'}") as d:
        yield d


def _form(body="hi", sid="SM" + "1" * 32):
    return [("MessageSid", sid), ("From", "+15555550101"), ("To", "+15555550100"), ("Body", body)]


def test_signature_checked_over_raw_query_and_base_url(duly):
    path = "/webhooks/twilio/sms?a=1&b=two%20words"
    form = _form()
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + path, dict(form))
    r = duly.http.post(path, content=urlencode(form).encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
    assert r.status_code == 200


def test_signature_with_wrong_token_is_403(duly):
    r = duly.post_signed("/webhooks/twilio/sms", _form(), token="f" * 32)
    assert r.status_code == 403


def test_repeated_fields_are_signed_and_accepted(duly):
    form = _form() + [("Extra", "a"), ("Extra", "b")]
    assert duly.post_signed("/webhooks/twilio/sms", form).status_code == 200


def test_invalid_utf8_body_is_400(duly):
    r = duly.http.post("/webhooks/twilio/sms", content=b"Body=%FF%FE&MessageSid=SMx",
                       headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})
    assert r.status_code in (400, 403)


def test_huge_body_is_413(duly):
    r = duly.http.post("/webhooks/twilio/sms", content=b"Body=" + b"a" * 400_000,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})
    assert r.status_code == 413


def test_json_body_is_415(duly):
    r = duly.http.post("/webhooks/twilio/sms", json={"Body": "hi"}, headers={"X-Twilio-Signature": "x"})
    assert r.status_code == 415


def test_missing_to_is_400_after_signature(duly):
    r = duly.post_signed("/webhooks/twilio/sms", [("MessageSid", "SM" + "2" * 32), ("From", "+15555550101")])
    assert r.status_code == 400


@pytest.mark.parametrize("body", ['<img src=x onerror=alert(1)>', "]]><x/>", "\x01\x02 control", "&amp; & <"])
def test_answer_is_wellformed_twiml_whatever_the_customer_wrote(duly, body):
    r = duly.post_signed("/webhooks/twilio/sms", _form(body=body, sid="SM" + str(abs(hash(body)))[:20]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    replies_in(r.text)


def test_duplicate_sid_second_answer_is_empty_response(duly):
    first = duly.post_signed("/webhooks/twilio/sms", _form(body="pay", sid="SM" + "9" * 32))
    second = duly.post_signed("/webhooks/twilio/sms", _form(body="pay", sid="SM" + "9" * 32))
    assert first.status_code == second.status_code == 200
    assert replies_in(second.text) == []
    assert "<Response/>" in second.text or "<Response />" in second.text


def test_status_callback_unknown_message_is_204(duly):
    r = duly.post_signed("/webhooks/twilio/status", [("MessageSid", "SM" + "5" * 32), ("MessageStatus", "sent")])
    assert r.status_code == 204


def test_healthz(duly):
    r = duly.http.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] == "ok"


def test_api_requires_bearer_token(duly):
    assert duly.http.get("/api/conversations", params={"phone": "+15555550101"}).status_code == 401
    r = duly.http.get("/api/conversations", params={"phone": "+15555550101"},
                      headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_api_404_for_a_number_never_seen_and_plus_as_space(duly):
    h = {"Authorization": "Bearer test-api-token"}
    assert duly.http.get("/api/conversations?phone=+15555550177", headers=h).status_code == 404
    duly.sms("hello")
    r = duly.http.get("/api/conversations?phone=+15555550101", headers=h)  # '+' arrives as a space
    assert r.status_code == 200 and r.json()["messages"][0]["body"] == "hello"
