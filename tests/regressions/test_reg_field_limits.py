"""Signed webhook fields that the store cannot hold turn into 503 (with a traceback in the
log) instead of a 200/400; Twilio then retries the same failing delivery. Most are
PostgreSQL-only (VARCHAR lengths, NUL bytes, INTEGER range), so the two backends behave
differently. The realistic one: a channel address as From (``whatsapp:+15555550101``,
21 chars) does not fit conversations.customer_phone VARCHAR(20).

Expected: never a 5xx for any signed form (store, truncate/normalise or answer 400).
"""
from __future__ import annotations

import uuid

import pytest

from tests.live import Duly


def _form(**over):
    sid = "SM" + uuid.uuid4().hex
    f = {"MessageSid": sid, "From": "+15555550101", "To": "+15555550100", "Body": "hi",
         "NumMedia": "0"}
    f.update(over)
    return list(f.items())


CASES = {
    "from_whatsapp_21_chars": _form(From="whatsapp:+15555550101"),
    "from_long": _form(From="+1" + "5" * 60),
    "to_long": _form(To="+1" + "5" * 80),
    "sid_over_64": _form(MessageSid="SM" + "a" * 100),
    "sid_with_nul": _form(MessageSid="SM\x00" + uuid.uuid4().hex),
    "num_segments_huge": _form(NumSegments="99999999999999999999"),
    "num_media_huge": _form(NumMedia="99999999999999999999"),
    "param_name_with_nul": _form(**{"Foo\x00": "bar"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_signed_sms_never_5xx(db_url, case):
    with Duly(db_url) as d:
        r = d.post_signed("/webhooks/twilio/sms", CASES[case])
        assert r.status_code < 500, (case, r.status_code, r.text)


STATUS = {
    "21610_long_to": [("MessageSid", "SMx1"), ("MessageStatus", "failed"), ("ErrorCode", "21610"),
                      ("To", "+1" + "5" * 40)],
    "sid_with_nul": [("MessageSid", "SM\x00"), ("MessageStatus", "failed")],
}


@pytest.mark.parametrize("case", sorted(STATUS))
def test_signed_status_never_5xx(db_url, case):
    with Duly(db_url) as d:
        r = d.post_signed("/webhooks/twilio/status", STATUS[case])
        assert r.status_code < 500, (case, r.status_code, r.text)
