"""G-02: a provider's "undeliverable" mark (30003 …) is lifted when the number texts us
(tests/regressions/test_attack_1207e.py, finding 9) or when a message sent after the mark
is delivered — never by a late "delivered" for a text sent before it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Conversation, Decision, Message, Phone
from tests.live import Duly
from tests.test_console_http import ACCOUNTS

UTC = dt.timezone.utc


def _outbound(s, conv_id: int, to: str, sent_at: dt.datetime, sid: str) -> int:
    m = Message(conversation_id=conv_id, direction="outbound", from_number="+15550000000", to_number=to,
                body="x", status="sent", provider_sid=sid, sent_at=sent_at, created_at=sent_at,
                updated_at=sent_at)
    s.add(m)
    s.flush()
    return m.id


def test_G_02_delivered_after_the_mark_lifts_it_an_older_one_does_not(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        d.sms("hi")
        now = d.clock()
        with d.services.sessions() as s, s.begin():
            phone = s.scalar(select(Phone).where(Phone.undeliverable_at.is_(None)).order_by(Phone.id))
            to = phone.e164
            conv = s.scalar(select(Conversation.id).where(Conversation.customer_phone == to))
            s.query(Phone).filter(Phone.e164 == to).update({"undeliverable_at": now, "undeliverable_code": "30003"})
            old = _outbound(s, conv, to, now - dt.timedelta(hours=1), "SM" + "1" * 32)
            new = _outbound(s, conv, to, now + dt.timedelta(minutes=5), "SM" + "2" * 32)
        d.services.runner.status_callback("SM" + "1" * 32, "delivered", None, to, message_id=old)
        with d.services.sessions() as s:
            assert s.scalar(select(Phone.undeliverable_at).where(Phone.e164 == to)) is not None
        d.services.runner.status_callback("SM" + "2" * 32, "delivered", None, to, message_id=new)
        with d.services.sessions() as s:
            assert s.scalars(select(Phone.undeliverable_at).where(Phone.e164 == to)).all() == [None]
            d_ = s.scalars(select(Decision).where(Decision.rule == "provider:undeliverable")).all()
            assert [x.detail.get("cleared") for x in d_] == [True]
            assert d_[0].message_id == new
