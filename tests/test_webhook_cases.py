"""Every case in tests/data/twilio_webhooks.json through the real HTTP path (uvicorn),
on SQLite and PostgreSQL, each chain of cases on a fresh store."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.models import Conversation, Message, OptOut
from tests.live import Duly

DATA = json.loads((Path(__file__).parent / "data" / "twilio_webhooks.json").read_text("utf-8"))


def _chains() -> list[list[dict]]:
    chains: list[list[dict]] = []
    for case in DATA["cases"]:
        if case.get("sequel") and chains:
            chains[-1].append(case)
        else:
            chains.append([case])
    return chains


CHAINS = _chains()


def _encode(case: dict) -> bytes:
    ctype = case["headers"].get("Content-Type", "application/x-www-form-urlencoded")
    if ctype.startswith("multipart/form-data"):
        boundary = ctype.split("boundary=", 1)[1]
        parts = []
        for k, v in case["form"]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n')
        parts.append(f"--{boundary}--\r\n")
        return "".join(parts).encode()
    return urlencode([tuple(p) for p in case["form"]]).encode()


def _sid(case: dict) -> str | None:
    for k, v in case["form"]:
        if k == "MessageSid":
            return v
    return None


def _create_outbound(duly: Duly, sid: str, to: str) -> None:
    """Test setup: an outbound message Twilio will report on (as if sent earlier)."""
    now = duly.clock()
    with duly.services.sessions() as s, s.begin():
        conv = s.scalar(select(Conversation).where(Conversation.customer_phone == to))
        if conv is None:
            conv = Conversation(customer_phone=to, our_number=DATA["our_number"], state="start", slots={},
                                mode="bot", version=0, created_at=now, updated_at=now)
            s.add(conv)
            s.flush()
        if s.scalar(select(Message.id).where(Message.provider_sid == sid)) is None:
            s.add(Message(conversation_id=conv.id, direction="outbound", provider_sid=sid,
                          from_number=DATA["our_number"], to_number=to, body="Your payment is due.",
                          status="queued", kind="notice", sender="system", transport="rest", media=[],
                          num_media=0, created_at=now, updated_at=now))


@pytest.mark.parametrize("chain", CHAINS, ids=["+".join(c["id"] for c in ch) for ch in CHAINS])
def test_webhook_case(chain: list[dict], db_url: str) -> None:
    with Duly(db_url, TWILIO_AUTH_TOKEN=DATA["auth_token"], PUBLIC_BASE_URL=DATA["public_base_url"]) as duly:
        for case in chain:
            exp = case["expect"]
            sid = _sid(case)
            if case["path"].startswith("/webhooks/twilio/status") and sid and (
                    "final_status" in exp or "error_code" in exp or "recipient_opted_out" in exp):
                to = dict(case["form"]).get("To", DATA["customer"])
                _create_outbound(duly, sid, to)
            for _ in range(case.get("repeat", 1)):
                r = duly.http.request(case["method"], case["path"], content=_encode(case),
                                      headers=case["headers"])
            assert r.status_code < 500, (case["id"], r.status_code, r.text)
            if "status" in exp:
                assert r.status_code == exp["status"], (case["id"], r.status_code, r.text)
            if "status_in" in exp:
                assert r.status_code in exp["status_in"], (case["id"], r.status_code, r.text)
            if "status_not" in exp:
                assert r.status_code not in exp["status_not"], (case["id"], r.status_code)
            if "content_type" in exp:
                assert r.headers["content-type"].split(";")[0] == exp["content_type"], case["id"]
            if r.status_code == 200 and case["path"].startswith("/webhooks/twilio/sms"):
                ET.fromstring(r.text)  # always well-formed TwiML
                assert r.headers["content-type"].startswith("text/xml")
            if exp.get("twiml_wellformed"):
                ET.fromstring(r.text)
            with duly.services.sessions() as s:
                if "stored_inbound" in exp:
                    n = s.scalar(select(func.count(Message.id)).where(
                        Message.provider_sid == sid, Message.direction == "inbound")) if sid else \
                        s.scalar(select(func.count(Message.id)).where(Message.direction == "inbound"))
                    assert n == exp["stored_inbound"], case["id"]
                if "stored_body" in exp:
                    body = s.scalar(select(Message.body).where(Message.provider_sid == sid))
                    assert body == exp["stored_body"], case["id"]
                if "stored_media" in exp:
                    media = s.scalar(select(Message.media).where(Message.provider_sid == sid))
                    assert len(media) == exp["stored_media"], case["id"]
                    assert all(m["url"].startswith("https://") for m in media)
                if "opted_out" in exp:
                    active = s.scalar(select(func.count(OptOut.id)).where(
                        OptOut.phone == DATA["customer"], OptOut.channel == "sms",
                        OptOut.revoked_at.is_(None)))
                    assert bool(active) == exp["opted_out"], case["id"]
                if "final_status" in exp:
                    st = s.scalar(select(Message.status).where(Message.provider_sid == sid))
                    assert st == exp["final_status"], case["id"]
                if "error_code" in exp:
                    code = s.scalar(select(Message.error_code).where(Message.provider_sid == sid))
                    assert code == exp["error_code"], case["id"]
                if "recipient_opted_out" in exp:
                    to = dict(case["form"]).get("To")
                    active = s.scalar(select(func.count(OptOut.id)).where(
                        OptOut.phone == to, OptOut.channel == "sms", OptOut.revoked_at.is_(None)))
                    assert bool(active) == exp["recipient_opted_out"], case["id"]
