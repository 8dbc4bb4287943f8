"""The customer's own window end to end (US-03, 12 CFR 1006.6(b)(1); UK-05): over real HTTP
the customer texts "only text me after 6pm please" → Duly confirms 18:00–21:00, the number's
window is stored and shown by ``GET /api/conversations`` and the console → next morning the
cadence text planned for 09:30 New York waits (rule US-03) and goes at 18:00."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from storage.models import ContactWindow, Decision, Message
from tests.live import Duly, add_user, console_login, replies_in
from tests.test_cycle_e2e import duly_cli

DANA = "+15555550101"
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source,consent_at
WIN-1,Dana Whitfield,(555) 555-0101,100.00,1,100.00,USD,America/New_York,Northwind Card,card application,2024-01-01T00:00:00Z
"""


def test_next_cadence_text_waits_for_the_customers_window(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        # Monday 10:00 New York (the harness clock): the customer writes first.
        confirm = replies_in(d.sms("only text me after 6pm please").text)
        assert confirm == ["OK, we'll only text you between 18:00 and 21:00 your time."], confirm
        conv = d.conversation(DANA)
        assert conv["contact_window"]["start"] == "18:00" and conv["contact_window"]["end"] == "21:00"

        # A later, narrower statement replaces it (one active row per phone).
        again = replies_in(d.sms("actually dont text me before 7pm").text)
        assert again == ["OK, we'll only text you between 19:00 and 21:00 your time."], again
        assert d.conversation(DANA)["contact_window"]["start"] == "19:00"
        # "busy" changes nothing
        d.sms("busy")
        assert d.conversation(DANA)["contact_window"]["start"] == "19:00"

        engine = create_engine(db_url)
        with Session(engine) as s:
            rows = s.scalars(select(ContactWindow).where(ContactWindow.phone == DANA).order_by(ContactWindow.id)).all()
            assert [(r.start_minute, r.end_minute, r.revoked_at is None) for r in rows] == [
                (1080, 1260, False), (1140, 1260, True)]
            assert rows[1].source_message_id is not None
            recorded = [x.detail for x in s.scalars(select(Decision).where(Decision.rule == "US-03",
                                                                            Decision.actor == "bot"))
                        if x.detail.get("contact_window") and "start_minute" in x.detail]
            assert [x["contact_window"] for x in recorded] == ["18:00–21:00", "19:00–21:00"]

        # The console's conversation page shows it.
        add_user(d, "agent@x.test", "agent")
        client, _ = console_login(d, "agent@x.test")
        page = client.get(f"/console/c/{conv_id_of(engine)}")
        client.close()
        assert page.status_code == 200 and "Customer's window: <strong>19:00–21:00</strong>" in page.text

        # Tuesday 09:30 New York: the cadence plans its text; the worker defers it to 19:00.
        r = duly_cli(db_url, "campaign", "run", "--now", "2026-12-01T14:30:00Z")
        assert r.returncode == 0, r.stderr
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T14:30:00Z")
        assert w.returncode == 0, w.stderr
        assert "[console sms → +15555550101]" not in w.stdout, w.stdout
        with Session(engine) as s:
            queued = s.scalars(select(Message).where(Message.direction == "outbound",
                                                     Message.kind != "reply",
                                                     Message.created_at >= dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
                               ).all()
            assert queued, "the cadence planned nothing"
            defer = s.scalars(select(Decision).where(Decision.message_id == queued[-1].id,
                                                     Decision.verdict == "defer")).all()
            assert defer and defer[-1].rule == "US-03", [(x.rule, x.verdict, x.detail) for x in defer]

        # 18:30 New York: still before the customer's 19:00.
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T23:30:00Z")
        assert "[console sms → +15555550101]" not in w.stdout, w.stdout
        # 19:00 New York: it goes.
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-02T00:00:00Z")
        assert w.returncode == 0, w.stderr
        assert w.stdout.count("[console sms → +15555550101]") == 1, w.stdout
        engine.dispose()


def conv_id_of(engine) -> int:
    from storage.models import Conversation
    with Session(engine) as s:
        return s.scalar(select(Conversation.id).where(Conversation.customer_phone == DANA))
