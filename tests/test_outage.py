"""A database that goes away: requests fail clearly (503 with Retry-After), never hang,
never a traceback; when it is back, everything works without a manual step."""

from __future__ import annotations

import time

import httpx2 as httpx
from sqlalchemy import event

from tests.live import Duly
from tests.test_console_http import ACCOUNTS


def test_database_down_is_503_then_recovers(db_url):
    with Duly(db_url) as duly:
        duly.import_accounts(ACCOUNTS)
        assert "<Message" in duly.sms("help").text
        broken = {"on": True}

        def refuse(*_a, **_k):
            if broken["on"]:
                raise ConnectionRefusedError("database is down (test)")

        # every new checkout fails while "down"; pooled connections are dropped first
        duly.services.engine.dispose()
        event.listen(duly.services.engine, "do_connect", refuse)
        try:
            start = time.monotonic()
            r = duly.sms("help")
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert "Traceback" not in r.text
            api = duly.http.get("/api/conversations", params={"phone": "+15555550101"},
                                headers={"Authorization": "Bearer test-api-token"})
            assert api.status_code == 503 and api.json() == {"error": "temporarily unavailable"}
            assert duly.http.get("/healthz").status_code == 503
            assert time.monotonic() - start < 20
        finally:
            broken["on"] = False
        assert duly.http.get("/healthz").status_code == 200
        assert "<Message" in duly.sms("help").text
