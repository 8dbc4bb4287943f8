"""Status callback edge cases (all low severity: they need a signed request).

1. ``?mid=`` with more digits than the id column holds → 503 (``mid_raw.isdigit()`` then
   an out-of-range integer reaches the database).
2. A callback whose MessageSid is an *inbound* message's SID: the lookup by SID has no
   direction filter, so the inbound row is marked failed/21610 and — with no ``To`` —
   the opt-out is recorded for the inbound row's ``to_number``, i.e. Duly's own number.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Message, OptOut
from tests.regressions.support import ACCOUNTS
from tests.live import OUR_NUMBER, Duly


def test_mid_out_of_range_is_not_5xx(db_url):
    with Duly(db_url) as d:
        r = d.post_signed("/webhooks/twilio/status?mid=99999999999999999999999",
                          [("MessageSid", "SMx"), ("MessageStatus", "delivered")])
        assert r.status_code < 500, r.text


def test_status_for_inbound_sid_does_not_touch_inbound_or_opt_out_our_number(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi", sid="SMinbound0001")
        r = d.post_signed("/webhooks/twilio/status", [("MessageSid", "SMinbound0001"),
                                                       ("MessageStatus", "failed"),
                                                       ("ErrorCode", "21610")])
        assert r.status_code == 204
        with d.services.sessions() as s:
            inbound = s.execute(select(Message.status, Message.error_code)
                                .where(Message.provider_sid == "SMinbound0001")).one()
            ours = s.scalars(select(OptOut.id).where(OptOut.phone == OUR_NUMBER)).all()
        assert inbound == ("received", None) and not ours, (inbound, ours)
