"""The webhook's common case in one transaction: a message that is the conversation's only
unprocessed one has its replies claimed in the transaction that made them (issue 6, the
webhook fast path), with the gate's decision at that moment standing — unless the same
transaction wrote something the gate reads after the reply was decided (US-05/US-07/G-01),
then the gate runs again before the reply may ride in the TwiML answer.

Also a guard on the statement count of one webhook (a count, not a time)."""

from __future__ import annotations

from sqlalchemy import event, select

from bot import actions as A
from runner import inbound as inbound_mod
from storage.models import Decision, Message
from tests.live import Duly, replies_in
from tests.regressions.support import ACCOUNTS


def _decisions(d: Duly, message_id: int) -> list[tuple[str, str]]:
    with d.services.sessions() as s:
        rows = s.execute(select(Decision.verdict, Decision.detail).where(
            Decision.message_id == message_id, Decision.actor == "gate").order_by(Decision.id)).all()
    return [(v, (detail or {}).get("stage")) for v, detail in rows]


def _outbound(d: Duly) -> list[Message]:
    with d.services.sessions() as s:
        return list(s.scalars(select(Message).where(Message.direction == "outbound").order_by(Message.id)))


def test_reply_is_claimed_in_the_step_transaction(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        assert d.sms("hi").status_code == 200
        r = d.sms("balance")
        assert r.status_code == 200
        texts = replies_in(r.text)
        assert len(texts) == 1 and "$500.00" in texts[0]
        reply = _outbound(d)[-1]
        assert reply.body == texts[0]
        # Console transport in tests: claimed = sent; one gate decision, at submit, no re-run
        assert reply.status == "sent"
        assert _decisions(d, reply.id) == [("send", "submit")]


def test_duplicate_delivery_still_answers_nothing_new(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        first = d.sms("balance", sid="SM" + "1" * 32)
        again = d.sms("balance", sid="SM" + "1" * 32)
        assert len(replies_in(first.text)) == 1
        assert replies_in(again.text) == []
        assert sum(1 for m in _outbound(d) if "$500.00" in (m.body or "")) == 1


def balance_replies_then(extra: object):
    """A stand-in for ``dialogs.step`` that, for the text "balance", keeps the real step's
    replies and appends ``extra`` to its actions (other texts: the real step)."""
    real_step = inbound_mod.dialogs.step

    def step(state, event_, script, facts, now):
        new_state, acts = real_step(state, event_, script, facts, now)
        if getattr(event_, "text", "") == "balance":
            acts = [a for a in acts if isinstance(a, A.Reply)] + [extra]
        return new_state, acts

    return step


def test_optout_written_after_a_reply_in_the_same_step_reruns_the_gate(db_url, monkeypatch):
    """A step whose actions are [Reply, OptOut] (no script does this today; a script
    edit could): the reply was allowed when it was decided, but the opt-out written after
    it in the same transaction must stop it (US-05)."""
    step = balance_replies_then(A.OptOut(frozenset({"sms"}), "all"))

    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        monkeypatch.setattr(inbound_mod.dialogs, "step", step)
        r = d.sms("balance")
        assert r.status_code == 200
        assert replies_in(r.text) == []
        reply = _outbound(d)[-1]
        assert "$500.00" in reply.body and reply.status == "refused"
        assert _decisions(d, reply.id) == [("send", "submit"), ("refuse", "dispatch")]
        assert d.conversation()["opted_out"] is True


def test_statements_per_webhook(db_url):
    """One reply-making webhook on a known customer: a bounded number of SQL statements
    (55 before the fast path; the gate context is built once, with its per-phone probes in
    one statement). Counted on the engine, so it includes BEGIN/COMMIT/SAVEPOINT."""
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        d.sms("balance")
        seen: list[str] = []

        def count(conn, cursor, statement, params, context, executemany):
            seen.append(statement)

        event.listen(d.services.engine, "before_cursor_execute", count)
        try:
            r = d.sms("menu")
        finally:
            event.remove(d.services.engine, "before_cursor_execute", count)
        assert len(replies_in(r.text)) == 1
        assert len(seen) <= 32, "\n".join(s.split("\n")[0][:100] for s in seen)


def test_a_reply_queued_for_the_worker_wakes_it_after_commit(db_url, monkeypatch):
    """``reply_via = "api"`` under Twilio with Redis: the reply goes through the outbox, so
    the webhook wakes a worker (runner.jobs.kick_outbox) once, after its commit; a reply
    that rides in the TwiML answer wakes nobody."""
    import dataclasses

    import runner.jobs as jobs

    kicks: list[bool] = []

    def kick(settings, **kw):
        from storage.models import Message as M

        with d.services.sessions() as s:   # called after the commit: the row is visible
            kicks.append(s.scalar(select(M.id).where(M.direction == "outbound", M.transport == "rest",
                                                     M.status == "pending")) is not None)
        return True

    monkeypatch.setattr(jobs, "kick_outbox", kick)
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        runner = d.services.runner
        runner.settings_store = None          # the settings below are the ones in force
        base = runner._settings
        runner._settings = dataclasses.replace(base, transport="twilio", redis_url="redis://127.0.0.1:1/0",
                                               behaviour={**base.behaviour, "reply_via": "api"})
        runner._applied = None
        r = d.sms("balance")
        assert r.status_code == 200 and replies_in(r.text) == []
        assert kicks == [True]
        runner._settings = dataclasses.replace(runner._settings, behaviour=dict(base.behaviour))
        runner._applied = None
        r = d.sms("menu")
        assert len(replies_in(r.text)) == 1
        assert kicks == [True]
