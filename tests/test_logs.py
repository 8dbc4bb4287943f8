"""Structured logs: JSON lines with a request id; phone numbers masked; no bodies at INFO."""

from __future__ import annotations

import io
import json
import logging

from duly import logs
from tests.live import Duly


def _capture(fmt: str):
    logs.configure(fmt)
    for name in ("duly", "duly.test"):       # other tests may have raised these loggers' levels
        logging.getLogger(name).setLevel(logging.NOTSET)
    buf = io.StringIO()
    handler = logging.getLogger().handlers[0]
    handler.stream = buf
    return buf


def test_json_lines_mask_phones_and_carry_the_request_id(db_url):
    buf = _capture("json")
    try:
        with Duly(db_url) as duly:
            r = duly.http.get("/healthz", headers={"X-Request-ID": "req-123"})
            assert r.headers["x-request-id"] == "req-123"
            assert len(duly.http.get("/healthz").headers["x-request-id"]) == 16     # made one
            logging.getLogger("duly.test").info("texted +15555550101 about %s", "nothing")
            token = logs.REQUEST_ID.set("abc")
            logging.getLogger("duly.test").warning("in a request")
            logs.REQUEST_ID.reset(token)
            duly.sms("my secret reply body", frm="+15555550101")
    finally:
        logs.configure("text")
    lines = [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
    mine = [x for x in lines if x["logger"] == "duly.test"]
    assert mine[0]["message"] == "texted +155***0101 about nothing" and mine[0]["level"] == "INFO"
    assert mine[1]["request_id"] == "abc"
    text = buf.getvalue()
    assert "+15555550101" not in text and "my secret reply body" not in text


def test_a_bad_request_id_is_replaced(db_url):
    with Duly(db_url) as duly:
        rid = duly.http.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 100}).headers["x-request-id"]
        assert rid.isalnum() and len(rid) == 16
