"""Attacks on the webhook hot path of 2e51ea1 (runner/inbound.py): the insert-first
MessageSid store, the drain's one-statement prelude (_Q_DRAIN), the fast-path claim from
``session.info[TWIML_PENDING]``, with real HTTP through uvicorn, on SQLite and PostgreSQL,
with and without Redis."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.gate import OPTED_OUT_ALLOWED
from storage.models import Message, OptOut
from tests.conftest import need_redis, redis_url_for_tests
from tests.live import Duly, replies_in
from tests.regressions.support import ACCOUNTS

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+15555550101"


def _burst(d: Duly, items: list[tuple[str, str | None]]) -> list[object]:
    """Send ``(body, sid)`` webhooks at once (a barrier), return the responses in order."""
    barrier = threading.Barrier(len(items))
    out: list[object] = [None] * len(items)

    def one(i: int, body: str, sid: str | None) -> None:
        barrier.wait(10)
        try:
            out[i] = d.sms(body, sid=sid)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertions
            out[i] = exc

    threads = [threading.Thread(target=one, args=(i, b, s)) for i, (b, s) in enumerate(items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _rows(d: Duly) -> list[Message]:
    with d.services.sessions() as s:
        return list(s.scalars(select(Message).order_by(Message.id)))


@pytest.mark.parametrize("redis", ["none", "redis"])
def test_one_message_sid_delivered_four_times_at_once_is_stored_acted_on_and_answered_once(db_url, redis):
    """README: acts on each MessageSid once (also when delivered twice at the same moment);
    each reply is claimed once. The insert-first store (the sid looked up only after the
    unique constraint refuses it) must still make three of four deliveries duplicates."""
    env = {}
    if redis == "redis":   # a new sid each round: the dedupe has seen it for 3 of the 4 at most
        need_redis()
        env["REDIS_URL"] = redis_url_for_tests()
    with Duly(db_url, **env) as d:
        d.import_accounts(ACCOUNTS)
        assert d.sms("hi").status_code == 200
        kv = d.services.runner.kv
        for round_ in range(3):
            sid = "SM" + uuid.uuid4().hex
            text = ("balance", "menu", "balance")[round_]
            rs = _burst(d, [(text, sid)] * 4)
            assert all(getattr(r, "status_code", None) == 200 for r in rs), rs
            answers = [replies_in(r.text) for r in rs]
            assert sum(1 for a in answers if a) == 1, answers
            rows = [m for m in _rows(d) if m.provider_sid == sid]
            assert len(rows) == 1 and rows[0].processed_at is not None and rows[0].intent
            replies = [m for m in _rows(d) if m.in_reply_to_id == rows[0].id]
            claimed = [m for m in replies if m.status in ("sent", "queued")]
            assert len(claimed) == len(sum(answers, [])) >= 1
            assert not [m for m in replies if m.status == "pending"]
        assert kv is None or redis == "redis"


def test_a_burst_in_one_conversation_each_message_acted_on_once_in_order(db_url):
    """Five different messages of one customer at once: each processed exactly once, in
    arrival (id) order, and every reply either rides in exactly one answer or went
    through the outbox — none twice, none left pending for TwiML."""
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        first = d.sms("hi")
        rs = _burst(d, [(t, None) for t in ("balance", "menu", "help", "who is this", "balance")])
        assert all(getattr(r, "status_code", None) == 200 for r in rs), rs
        answered = sum((replies_in(r.text) for r in [first, *rs]), [])
        rows = _rows(d)
        inbound = [m for m in rows if m.direction == "inbound"]
        assert all(m.processed_at is not None and m.intent and m.intent != "error" for m in inbound)
        order = [m.processed_at for m in inbound]
        assert order == sorted(order)
        claimed = [m for m in rows if m.direction == "outbound" and m.status in ("sent", "queued")
                   and m.transport == "twiml"]
        assert sorted(m.body for m in claimed) == sorted(answered)
        assert not [m for m in rows if m.direction == "outbound" and m.status == "pending"
                    and m.transport == "twiml"]


def test_US_05_stop_in_a_burst_nothing_but_the_confirmation_after_it(db_url):
    """US-05/US-08: a STOP arriving at the same moment as other messages. Whatever the
    interleaving, no text but the one confirmation goes to the customer for anything
    that arrived after the STOP, and a reply to an earlier message is answered only if
    it was claimed before the STOP was acted on (the row lock orders them)."""
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        rs = _burst(d, [("balance", None), ("STOP", None), ("pay", None), ("help", None)])
        rows = _rows(d)
        trace = [(m.id, m.direction, m.kind, m.status, m.transport, m.in_reply_to_id, (m.body or "")[:40])
                 for m in rows]
        assert all(getattr(r, "status_code", None) == 200 for r in rs), (
            [(getattr(r, "status_code", r), getattr(r, "text", "")[:200]) for r in rs], trace)
        with d.services.sessions() as s:
            assert s.scalar(select(OptOut.id).where(OptOut.phone == PHONE, OptOut.revoked_at.is_(None)))
        stop = next(m for m in rows if m.direction == "inbound" and m.body == "STOP")
        went = [m for m in rows if m.direction == "outbound" and m.status in ("sent", "queued", "pending")]
        # (the gate answers HELP while opted out, by design: bot.gate.OPTED_OUT_ALLOWED)
        after = [m for m in went if m.kind not in OPTED_OUT_ALLOWED and (m.in_reply_to_id or 0) > stop.id]
        assert after == [], trace
        assert len([m for m in went if m.kind == "optout_confirmation"]) <= 1, trace
        # every answer: a reply to a message before STOP, or the confirmation
        texts = sum((replies_in(r.text) for r in rs), [])
        ok = {m.body for m in went if m.kind in OPTED_OUT_ALLOWED or (m.in_reply_to_id or 0) < stop.id}
        assert set(texts) <= ok, (texts, trace)


def test_reply_cap_counts_replies_of_messages_drained_in_the_same_loop(db_url, tmp_path, monkeypatch):
    """US-20 spirit (loop guard, ``max_auto_replies_per_hour``): the drain's prelude counts
    the last hour's replies once per transaction; with messages queued behind each other
    and drained in one loop, each step still sees the replies the previous one made."""
    cfg = (ROOT / "config.toml").read_text("utf-8")
    assert "max_auto_replies_per_hour = 20" in cfg
    path = tmp_path / "config.toml"
    path.write_text(cfg.replace("max_auto_replies_per_hour = 20", "max_auto_replies_per_hour = 3", 1), "utf-8")
    monkeypatch.setenv("DULY_CONFIG", str(path))
    with Duly(db_url) as d:
        assert d.services.runner.settings.policy()["dialog"]["max_auto_replies_per_hour"] == 3
        d.import_accounts(ACCOUNTS)
        runner = d.services.runner
        real_store = runner.store_inbound
        gate_open = threading.Event()

        def store(msg, **kw):   # every webhook waits after storing: the last drains them all
            out = real_store(msg, **kw)
            if msg.body != "menu":
                gate_open.wait(10)
            return out

        runner.store_inbound = store
        held: list[object] = []
        threads = [threading.Thread(target=lambda b=b: held.append(d.sms(b)))
                   for b in ("hi", "balance", "help", "who is this", "balance")]
        for t in threads:
            t.start()
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with d.services.sessions() as s:
                if len(s.scalars(select(Message.id).where(Message.direction == "inbound")).all()) == 5:
                    break
            time.sleep(0.02)
        last = d.sms("menu")
        gate_open.set()
        for t in threads:
            t.join(30)
        assert last.status_code == 200
        with d.services.sessions() as s:
            bot = s.scalars(select(Message).where(Message.direction == "outbound", Message.sender == "bot",
                                                  Message.status != "refused")).all()
            inbound = s.scalars(select(Message).where(Message.direction == "inbound")).all()
        assert all(m.processed_at is not None for m in inbound)
        capped = [m for m in bot if m.kind not in ("optout_confirmation", "handoff_notice")]
        assert len(capped) <= 3, [m.body[:30] for m in capped]


def test_G_01_agent_takes_over_on_another_number_while_a_reply_waits_for_its_claim(db_url):
    """BUG (G-01: once a person owns the customer the bot sends nothing; README: the gate
    enforces agent ownership and re-decides a reply claimed after anything changed).
    "balance" is stored; its webhook thread is slow, so the customer's next message
    drains both — the balance reply is made, waiting for its own webhook to claim it.
    Meanwhile an agent takes the customer over on our other number. The slow webhook
    then claims the reply through claim_replies(), which re-runs the gate
    (runner.outbound.redecide) — but the gate's context only knows *this*
    conversation's mode (resolve: ``mode=conv.mode``), so the debt text goes out under
    the agent's ownership. The step itself checks an agent on another number
    (_Q_DRAIN's prelude / outbound.AGENT_ELSEWHERE); the gate at claim and dispatch does not.
    Fix: runner/outbound.py resolve() should read agent ownership across the phone's
    conversations (as outbound.AGENT_ELSEWHERE does) into GateContext.mode."""
    other = "+15555550177"
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi")
        d.sms("hi", to=other)
        with d.services.sessions() as s:
            conv_b = s.scalar(select(Message.conversation_id).where(Message.to_number == other))
        runner = d.services.runner
        real_store = runner.store_inbound
        stored, go = threading.Event(), threading.Event()

        def store(msg, **kw):
            out = real_store(msg, **kw)
            if msg.body == "balance":
                stored.set()
                go.wait(10)      # this webhook thread is preempted between storing and draining
            return out

        runner.store_inbound = store
        res = {}
        t = threading.Thread(target=lambda: res.setdefault("r", d.sms("balance")))
        t.start()
        assert stored.wait(10)
        runner.store_inbound = real_store
        assert d.sms("menu").status_code == 200          # drains "balance" and "menu"
        with d.services.sessions() as s:
            waiting = s.scalars(select(Message.body).where(Message.direction == "outbound",
                                                           Message.status == "pending",
                                                           Message.transport == "twiml")).all()
        assert any("balance" in b.lower() for b in waiting), waiting
        assert runner.agent_action(conv_b, "take_over", "agent@example.test") == "agent"
        go.set()
        t.join(20)
        assert res["r"].status_code == 200
        assert replies_in(res["r"].text) == [], "the bot answered after an agent owned the customer"
