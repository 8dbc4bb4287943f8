"""CPU per webhook: the statements one webhook costs, and the shortcuts behind the count
kept exact.

* the drain's first read under the row lock carries the step's first reads (published
  script revision, an agent elsewhere, replies in the last hour): one statement;
* the inbound row's ``processed_at`` and its reading (intent, entities) are one UPDATE;
* a reply made and claimed in one transaction is not selected again — but a reply made
  in a step that failed (its savepoint rolled back) is never answered;
* a MessageSid the dedupe has not seen is inserted without looking it up first; a
  duplicate is still answered as one.
"""

from __future__ import annotations

from sqlalchemy import event, select

from runner import inbound as inbound_mod
from runner import outbound
from storage.models import Decision, Message
from tests.live import Duly, replies_in
from tests.test_webhook_fast_path import balance_replies_then
from tests.regressions.support import ACCOUNTS


def _statements(d: Duly, text: str, sid: str | None = None) -> tuple[list[str], object]:
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(d.services.engine, "before_cursor_execute", count)
    try:
        r = d.sms(text, sid=sid)
    finally:
        event.remove(d.services.engine, "before_cursor_execute", count)
    return seen, r


def test_a_reply_webhook_costs_at_most_22_statements(db_url):
    """29 before (2026-12-06): the lookup by MessageSid, the published revision, the agent
    elsewhere and the replies count, a second UPDATE of the inbound row, the reply's
    re-select and, for a reply, the cap count (caps never apply to replies) are gone."""
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        d.sms("balance")
        seen, r = _statements(d, "menu")
        assert len(replies_in(r.text)) == 1
        assert len(seen) <= 22, "\n".join(s.split("\n")[0][:100] for s in seen)
        updates = [s for s in seen if s.lstrip().upper().startswith("UPDATE MESSAGES")]
        # one for the inbound row (processed + its reading), one for the claimed reply
        assert len(updates) == 2, updates


def test_processed_at_and_the_reading_land_together(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        d.sms("balance")
        with d.services.sessions() as s:
            rows = list(s.scalars(select(Message).where(Message.direction == "inbound").order_by(Message.id)))
        assert [m.processed_at is not None for m in rows] == [True, True]
        assert all(m.intent for m in rows)


def test_a_reply_from_a_failed_step_is_never_answered(db_url, monkeypatch):
    """The step stores a reply, then fails: the savepoint takes the reply back, the
    fail-safe hands off, and the answer carries nothing (the reply the session had seen
    made is not claimed)."""
    step = balance_replies_then(object())   # an unknown action: the step raises

    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        monkeypatch.setattr(inbound_mod.dialogs, "step", step)
        r = d.sms("balance")
        assert r.status_code == 200
        assert replies_in(r.text) == []
        with d.services.sessions() as s:
            bodies = [b for b in s.scalars(select(Message.body).where(Message.direction == "outbound"))]
            failed = s.scalar(select(Message).where(Message.direction == "inbound").order_by(Message.id.desc()))
            g01 = s.scalars(select(Decision.rule).where(Decision.message_id == failed.id)).all()
        assert not any("$500.00" in (b or "") for b in bodies)
        assert failed.processed_at is not None and failed.intent == "error"
        assert "G-01" in g01
        assert d.conversation()["mode"] == "agent"


def test_duplicate_is_found_after_the_unique_constraint_refuses_it(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        sid = "SM" + "2" * 32
        first = d.sms("balance", sid=sid)
        seen, again = _statements(d, "balance", sid=sid)
        assert len(replies_in(first.text)) == 1
        assert again.status_code == 200 and replies_in(again.text) == []
        with d.services.sessions() as s:
            assert len(s.scalars(select(Message.id).where(Message.provider_sid == sid)).all()) == 1


def test_the_drains_first_read_counts_what_the_separate_statements_count(db_url):
    """_Q_DRAIN's scalar subqueries give what _Q_PUBLISHED, outbound.AGENT_ELSEWHERE and
    _Q_FACT_REPLIES give on their own (the reply count over its own rows, never the
    outer message row)."""
    import datetime as dt

    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        for text in ("hi", "balance", "menu"):
            d.sms(text)
        runner = d.services.runner
        with d.services.sessions() as s, s.begin():
            conv_id, phone = s.execute(select(Message.conversation_id, Message.from_number)
                                       .where(Message.direction == "inbound")).first()
            now = runner.clock()
            s.add(Message(conversation_id=conv_id, direction="inbound", provider_sid="SM" + "3" * 32,
                          from_number=phone, to_number="+15555550100", body="x", status="received",
                          num_segments=1, num_media=0, media=[], kind="inbound", sender="customer",
                          created_at=now, updated_at=now))
            s.flush()
            params = {"conv_id": conv_id, "script_name": runner.script_name, "phone": phone,
                      "since": now - dt.timedelta(hours=1)}
            rows = s.execute(inbound_mod._Q_DRAIN, params).all()
            assert len(rows) == 1 and rows[0][0].body == "x"
            replies = s.scalar(inbound_mod._Q_FACT_REPLIES, {"conv_id": conv_id, "since": params["since"]})
            assert replies >= 3
            assert rows[0][1:] == (s.scalar(inbound_mod._Q_PUBLISHED, {"script_name": runner.script_name}),
                                   s.scalar(outbound.AGENT_ELSEWHERE, {"phone": phone, "conv_id": conv_id}),
                                   replies)
            s.rollback()
