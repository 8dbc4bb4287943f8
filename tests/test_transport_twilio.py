"""The real twilio library sends through an injected HTTP client that answers the way
Twilio's Messages API documents (201 with the message resource; 400 with an error)."""

from __future__ import annotations

import json
import logging

from twilio.http import HttpClient
from twilio.http.response import Response

from runner.transports import TwilioTransport

SID = "AC" + "a1" * 16


class FakeTwilioHTTP(HttpClient):
    """Records requests; answers like api.twilio.com."""

    def __init__(self, answer_status: int = 201, error_code: int | None = None):
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.requests: list[dict] = []
        self.answer_status = answer_status
        self.error_code = error_code

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.requests.append({"method": method, "url": url, "data": dict(data or {}), "auth": auth})
        if self.answer_status >= 400:
            body = {"code": self.error_code, "message": "The message From/To pair violates a blacklist rule.",
                    "more_info": f"https://www.twilio.com/docs/errors/{self.error_code}", "status": self.answer_status}
            return Response(self.answer_status, json.dumps(body))
        body = {"sid": "SM" + "c" * 32, "account_sid": SID, "status": "queued", "to": data.get("To"),
                "from": data.get("From"), "body": data.get("Body"), "num_segments": "1", "direction": "outbound-api",
                "api_version": "2010-04-01", "error_code": None, "error_message": None,
                "uri": f"/2010-04-01/Accounts/{SID}/Messages/SM{'c' * 32}.json"}
        return Response(201, json.dumps(body))


def test_send_posts_the_documented_form_and_reads_the_sid():
    http = FakeTwilioHTTP()
    t = TwilioTransport(SID, "token", from_="+15555550100", http_client=http)
    res = t.send(to="+15555550101", body="Hi", status_callback="https://x.test/webhooks/twilio/status?mid=7",
                 validity_period=3600)
    assert (res.status, res.sid) == ("queued", "SM" + "c" * 32)
    req = http.requests[0]
    assert req["method"] == "POST"
    assert req["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    assert req["data"]["To"] == "+15555550101" and req["data"]["From"] == "+15555550100"
    assert req["data"]["Body"] == "Hi"
    assert req["data"]["StatusCallback"].endswith("mid=7")
    assert req["data"]["ValidityPeriod"] == 3600
    assert req["auth"] == (SID, "token")


def test_21610_is_a_permanent_failure_with_its_code():
    t = TwilioTransport(SID, "token", from_="+15555550100", http_client=FakeTwilioHTTP(400, 21610))
    res = t.send(to="+15555550101", body="Hi")
    assert (res.status, res.error_code) == ("failed", "21610")


def test_5xx_is_unknown_never_retried_blindly():
    t = TwilioTransport(SID, "token", messaging_service_sid="MG" + "b2" * 16, http_client=FakeTwilioHTTP(503, 20500))
    res = t.send(to="+15555550101", body="Hi")
    assert res.status == "unknown"
