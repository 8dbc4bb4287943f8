"""The outbox worker on SQLite and PostgreSQL: claiming, the gate at dispatch, the SQLite
lease, stale sends, timers, pacing and the ``duly worker`` command.

``runner.outbound.redecide`` (the gate at dispatch) belongs to the gate's module; these
tests replace it with a stand-in (:func:`gate`) so they prove the worker's side alone:
it asks the gate for every row, sends only on ``send`` and passes ``validity_seconds``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from runner import outbound
from runner.inbound import Runner
from runner.pacing import Pacer
from runner.transports import SendResult
from runner.worker import Worker
from storage import db as storage_db
from storage.models import (Account, Conversation, Decision, Message, Phone, Timer,
                            WorkerLease)
from tests.live import OUR_NUMBER, Clock, settings_for

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)   # Monday 10:00 in New York
CUSTOMER = "+15555550101"
REPO = Path(__file__).resolve().parent.parent


# --- fixtures and helpers ---------------------------------------------------------------

class GateStandIn:
    """Replaces ``runner.outbound.redecide``: answers ``action`` for every row, records
    which rows were asked about, and sets the row's status as the real one does."""

    def __init__(self) -> None:
        self.action = "send"
        self.validity: int | None = 3600
        self.until: dt.datetime | None = None
        self.asked: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, session: Any, message: Message, now: dt.datetime, **kw: Any) -> Any:
        with self.lock:
            self.asked.append(message.id)
        if self.action == "send":
            message.status = "pending"
        elif self.action == "defer":
            message.status, message.not_before = "deferred", self.until
        else:
            message.status = "refused"
        return SimpleNamespace(action=self.action, rule="stand-in", reason="test stand-in",
                               until=self.until, checks=(),
                               validity_seconds=self.validity if self.action == "send" else None)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> GateStandIn:
    """The stand-in for the gate at dispatch (only inside tests)."""
    stand_in = GateStandIn()
    monkeypatch.setattr(outbound, "redecide", stand_in, raising=False)
    return stand_in


class Env(SimpleNamespace):
    engine: Any
    sessions: Any
    settings: Any
    backend: str


@pytest.fixture
def env(db_url: str):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    sessions = storage_db.make_sessionmaker(engine)
    try:
        yield Env(engine=engine, sessions=sessions, settings=settings_for(db_url),
                  backend=engine.dialect.name, db_url=db_url)
    finally:
        engine.dispose()


class Recorder:
    """A transport that records sends (thread-safe), optionally slowly."""

    name = "console"

    def __init__(self, delay: float = 0.0, result: SendResult | None = None):
        self.sent: list[dict[str, Any]] = []
        self.delay = delay
        self.result = result or SendResult("sent")
        self.lock = threading.Lock()

    def sender(self, from_: str | None = None) -> str:
        return from_ or ""

    def send(self, **kw: Any) -> SendResult:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.sent.append(kw)
        return self.result


def add_conversation(sessions: Any, phone: str = CUSTOMER, ours: str = OUR_NUMBER,
                     account_id: int | None = None) -> int:
    with sessions() as s, s.begin():
        conv = Conversation(customer_phone=phone, our_number=ours, state="start", slots={}, mode="bot",
                            account_id=account_id, created_at=NOW, updated_at=NOW)
        s.add(conv)
        s.flush()
        return conv.id


def add_account(sessions: Any, ref: str = "A-1", phone: str = CUSTOMER, profile: str = "us_first_party") -> int:
    with sessions() as s, s.begin():
        acct = Account(account_ref=ref, name="Pat Doe", currency="USD", balance_minor=50000,
                       past_due_minor=10000, minimum_due_minor=2500,
                       delinquent_since=dt.date(2026, 11, 1), timezone="America/New_York",
                       profile=profile, language="en", created_at=NOW, updated_at=NOW)
        s.add(acct)
        s.flush()
        s.add(Phone(e164=phone, account_id=acct.id, created_at=NOW))
        return acct.id


def add_message(sessions: Any, conv_id: int, *, status: str = "deferred",
                not_before: dt.datetime | None = None, transport: str | None = "console",
                body: str = "Your payment is overdue. Reply STOP to opt out.", to: str = CUSTOMER,
                frm: str = OUR_NUMBER, kind: str = "notice", account_id: int | None = None,
                updated_at: dt.datetime = NOW, attempts: int = 0,
                in_reply_to_id: int | None = None, sender: str = "system",
                created_at: dt.datetime | None = None) -> int:
    """An outbound message row; ``created_at`` defaults to an hour before NOW (a reply
    that old is stale at the gate: ``gate:stale_reply``)."""
    with sessions() as s, s.begin():
        m = Message(conversation_id=conv_id, direction="outbound", from_number=frm, to_number=to,
                    body=body, status=status, kind=kind, sender=sender, transport=transport,
                    not_before=not_before, media=[], num_media=0, account_id=account_id,
                    in_reply_to_id=in_reply_to_id, attempts=attempts,
                    created_at=created_at or NOW - dt.timedelta(hours=1), updated_at=updated_at)
        s.add(m)
        s.flush()
        return m.id


def message(sessions: Any, mid: int) -> Message:
    with sessions() as s:
        return s.get(Message, mid)


def make_worker(env: Env, transport: Any, clock: Any = None, **kw: Any) -> Worker:
    clock = clock or Clock(NOW)
    runner = Runner(env.settings, env.sessions, clock=clock, transport=None)
    return Worker(env.settings, env.sessions, transport, clock, runner, **kw)


# --- claiming --------------------------------------------------------------------------

def test_due_deferred_row_is_sent_once_by_two_concurrent_workers(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="deferred", not_before=NOW - dt.timedelta(minutes=1))
    transport = Recorder(delay=0.3)
    workers = [make_worker(env, transport, holder=f"w{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run(w: Worker) -> None:
        try:
            barrier.wait()
            results.append(w.run_once(NOW))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(transport.sent) == 1
    assert transport.sent[0]["to"] == CUSTOMER
    assert sum(r["sent"] for r in results) == 1
    row = message(env.sessions, mid)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at is not None


def test_a_row_not_yet_due_is_not_sent(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="deferred", not_before=NOW + dt.timedelta(hours=1))
    transport = Recorder()
    counts = make_worker(env, transport).run_once(NOW)
    assert transport.sent == [] and counts["sent"] == 0
    assert gate.asked == []
    assert message(env.sessions, mid).status == "deferred"
    # ... and it goes once it is due.
    make_worker(env, transport).run_once(NOW + dt.timedelta(hours=1))
    assert len(transport.sent) == 1


def test_pending_rest_rows_go_twiml_rows_wait_for_their_answer(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    rest = add_message(env.sessions, conv, status="pending", transport="console")
    twiml = add_message(env.sessions, conv, status="pending", transport="twiml")
    transport = Recorder()
    make_worker(env, transport).run_once(NOW)
    assert len(transport.sent) == 1
    assert message(env.sessions, rest).status == "sent"
    assert message(env.sessions, twiml).status == "pending"


def test_reply_via_api_rows_are_sent_by_the_worker(env: Env, gate: GateStandIn):
    """``reply_via = "api"``: a reply to an inbound message is stored with a REST
    transport instead of riding in the TwiML answer; the worker sends it."""
    conv = add_conversation(env.sessions)
    with env.sessions() as s, s.begin():
        inbound = Message(conversation_id=conv, direction="inbound", provider_sid="SM" + "9" * 32,
                          from_number=CUSTOMER, to_number=OUR_NUMBER, body="pay", status="received",
                          kind="inbound", sender="customer", media=[], num_media=0,
                          created_at=NOW, updated_at=NOW, processed_at=NOW)
        s.add(inbound)
        s.flush()
        inbound_id = inbound.id
    reply = add_message(env.sessions, conv, status="pending", transport="rest", kind="reply",
                        sender="bot", in_reply_to_id=inbound_id)
    transport = Recorder()
    make_worker(env, transport).run_once(NOW)
    assert [m["body"] for m in transport.sent] == [message(env.sessions, reply).body]
    assert message(env.sessions, reply).status == "sent"


def test_US_01_the_gate_runs_at_dispatch_and_its_verdict_holds(env: Env, gate: GateStandIn):
    """US-01: the send gate runs at dispatch, not at scheduling — a row the gate now
    defers waits (with its new ``not_before``), a refused one is kept, unsent."""
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="deferred", not_before=NOW - dt.timedelta(minutes=5))
    gate.action, gate.until = "defer", NOW + dt.timedelta(hours=22)
    transport = Recorder()
    counts = make_worker(env, transport).run_once(NOW)
    assert transport.sent == [] and counts["deferred"] == 1
    assert gate.asked == [mid]
    row = message(env.sessions, mid)
    assert (row.status, row.not_before) == ("deferred", NOW + dt.timedelta(hours=22))
    gate.action = "refuse"
    counts = make_worker(env, transport).run_once(NOW + dt.timedelta(hours=22))
    assert transport.sent == [] and counts["refused"] == 1
    assert message(env.sessions, mid).status == "refused"


def test_US_05_US_07_a_row_queued_before_an_opt_out_is_checked_again_at_dispatch(env: Env, gate: GateStandIn):
    """US-05/US-07: a reminder queued yesterday meets today's opt-out at dispatch: the
    worker asks the gate again for that very row and sends nothing when it refuses."""
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="deferred", not_before=NOW - dt.timedelta(seconds=30))
    gate.action = "refuse"   # what the real gate answers once the opt-out is recorded
    transport = Recorder()
    make_worker(env, transport).run_once(NOW)
    assert gate.asked == [mid] and transport.sent == []


def test_validity_period_and_status_callback_come_from_the_dispatch_verdict(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending")
    gate.validity = 1740   # 29 minutes left in the allowed window
    transport = Recorder()
    make_worker(env, transport).run_once(NOW)
    sent = transport.sent[0]
    assert sent["validity_period"] == 1740
    assert sent["status_callback"] == f"https://sms.example.test/webhooks/twilio/status?mid={mid}"


def test_sqlite_lease_blocks_a_second_worker_until_it_expires(env: Env, gate: GateStandIn):
    if env.backend != "sqlite":
        pytest.skip("the lease is SQLite's (PostgreSQL uses SKIP LOCKED)")
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending")
    wall = Clock(NOW)
    with env.sessions() as s, s.begin():
        s.add(WorkerLease(name="outbox", holder="other-host:1", expires_at=NOW + dt.timedelta(seconds=60)))
    transport = Recorder()
    w = make_worker(env, transport, lease_clock=wall, holder="me")
    counts = w.run_once(NOW)
    assert counts["lease_busy"] == 1 and transport.sent == []
    assert message(env.sessions, mid).status == "pending"
    wall.advance(seconds=61)     # the holder died: its lease runs out
    counts = w.run_once(NOW)
    assert counts["sent"] == 1 and len(transport.sent) == 1
    with env.sessions() as s:   # released after a --once pass
        assert s.get(WorkerLease, "outbox") is None


def test_sqlite_lease_is_held_while_a_worker_works(env: Env, gate: GateStandIn):
    if env.backend != "sqlite":
        pytest.skip("the lease is SQLite's (PostgreSQL uses SKIP LOCKED)")
    conv = add_conversation(env.sessions)
    for _ in range(3):
        add_message(env.sessions, conv, status="pending")
    seen: list[str | None] = []
    sessions = env.sessions

    class Peeking(Recorder):
        def send(self, **kw: Any) -> SendResult:
            with sessions() as s:
                lease = s.get(WorkerLease, "outbox")
                seen.append(lease.holder if lease else None)
            other = make_worker(env, Recorder(), holder="second")
            assert other.run_once(NOW)["lease_busy"] == 1
            return super().send(**kw)

    make_worker(env, Peeking(), holder="first").run_once(NOW)
    assert seen == ["first"] * 3


def test_kill_simulation_a_row_left_sending_becomes_unknown_and_is_never_resent(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    # A worker marked it sending at 14:50 and died before recording the result.
    mid = add_message(env.sessions, conv, status="sending", attempts=1,
                      updated_at=NOW - dt.timedelta(minutes=10))
    fresh = add_message(env.sessions, conv, status="sending", attempts=1,
                        updated_at=NOW - dt.timedelta(seconds=30))   # still in flight elsewhere
    transport = Recorder()
    counts = make_worker(env, transport).run_once(NOW)
    assert counts["stale"] == 1 and transport.sent == []
    assert message(env.sessions, mid).status == "unknown"
    assert message(env.sessions, fresh).status == "sending"
    with env.sessions() as s:
        rules = s.scalars(select(Decision.rule).where(Decision.message_id == mid)).all()
    assert "worker:stale_sending" in rules
    counts = make_worker(env, transport).run_once(NOW + dt.timedelta(hours=1))
    assert transport.sent == [] and message(env.sessions, mid).status == "unknown"
    # The status callback settles it.
    runner = Runner(env.settings, env.sessions, clock=Clock(NOW), transport=None)
    runner.status_callback("SM" + "d" * 32, "delivered", None, CUSTOMER, mid)
    assert message(env.sessions, mid).status == "delivered"


def test_a_twiml_reply_no_callback_ever_confirmed_becomes_unknown_and_is_never_resent(env: Env, gate: GateStandIn):
    """A reply handed to Twilio in a TwiML answer is ``queued`` until its ``action``
    callback brings the provider sid. If Twilio never got the answer (the connection
    dropped; its retry of the MessageSid gets an empty Response), no callback comes: after
    ``twiml_confirm_seconds`` the reply is ``unknown`` — never resent, a late callback still
    settles it — instead of ``queued`` for ever."""
    conv = add_conversation(env.sessions)
    old = add_message(env.sessions, conv, status="queued", transport="twiml", kind="reply",
                      updated_at=NOW - dt.timedelta(minutes=16))
    young = add_message(env.sessions, conv, status="queued", transport="twiml", kind="reply",
                        updated_at=NOW - dt.timedelta(minutes=14))
    confirmed = add_message(env.sessions, conv, status="queued", transport="twiml", kind="reply",
                            updated_at=NOW - dt.timedelta(hours=2))
    rest = add_message(env.sessions, conv, status="queued", transport="rest",
                       updated_at=NOW - dt.timedelta(hours=2))
    with env.sessions() as s, s.begin():
        s.get(Message, confirmed).provider_sid = "SM" + "c" * 32
        s.get(Message, rest).provider_sid = "SM" + "f" * 32
    transport = Recorder()
    counts = make_worker(env, transport).run_once(NOW)
    assert counts["unconfirmed"] == 1 and transport.sent == []
    assert [message(env.sessions, m).status for m in (old, young, confirmed, rest)] == [
        "unknown", "queued", "queued", "queued"]
    with env.sessions() as s:
        rules = s.scalars(select(Decision.rule).where(Decision.message_id == old)).all()
    assert rules == ["worker:twiml_unconfirmed"]
    counts = make_worker(env, transport).run_once(NOW + dt.timedelta(hours=1))
    assert counts["unconfirmed"] == 1 and transport.sent == []   # the young one, later
    assert message(env.sessions, young).status == "unknown"
    # A late action callback still settles it, and records Twilio's sid.
    runner = Runner(env.settings, env.sessions, clock=Clock(NOW), transport=None)
    runner.status_callback("SM" + "9" * 32, "delivered", None, CUSTOMER, old)
    row = message(env.sessions, old)
    assert (row.status, row.provider_sid) == ("delivered", "SM" + "9" * 32)


def test_unconfirmed_twiml_replies_are_settled_in_batches(env: Env, gate: GateStandIn, monkeypatch):
    """The first pass after an upgrade may meet a backlog of old TwiML replies: each pass
    turns at most ``TWIML_SWEEP_BATCH`` of them ``unknown``, oldest first, the rest later."""
    monkeypatch.setattr(Worker, "TWIML_SWEEP_BATCH", 2)
    conv = add_conversation(env.sessions)
    mids = [add_message(env.sessions, conv, status="queued", transport="twiml", kind="reply",
                        updated_at=NOW - dt.timedelta(days=30)) for _ in range(3)]
    transport = Recorder()
    assert make_worker(env, transport).run_once(NOW)["unconfirmed"] == 2
    assert [message(env.sessions, m).status for m in mids] == ["unknown", "unknown", "queued"]
    assert make_worker(env, transport).run_once(NOW)["unconfirmed"] == 1
    assert [message(env.sessions, m).status for m in mids] == ["unknown"] * 3
    assert transport.sent == []


def test_a_status_callback_that_beats_the_create_answer_is_not_moved_back(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending")
    sessions = env.sessions
    settings = env.settings

    class Fast(Recorder):
        name = "rest"

        def send(self, **kw: Any) -> SendResult:
            Runner(settings, sessions, clock=Clock(NOW)).status_callback(
                "SM" + "e" * 32, "delivered", None, CUSTOMER, mid)
            return SendResult("queued", sid="SM" + "e" * 32)

    make_worker(env, Fast()).run_once(NOW)
    row = message(env.sessions, mid)
    assert (row.status, row.provider_sid) == ("delivered", "SM" + "e" * 32)


def test_a_transport_that_raises_leaves_the_row_unknown(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending")

    class Broken(Recorder):
        def send(self, **kw: Any) -> SendResult:
            raise RuntimeError("boom")

    counts = make_worker(env, Broken()).run_once(NOW)
    assert counts["unknown"] == 1 and message(env.sessions, mid).status == "unknown"


def test_not_sent_is_retried_later_and_gives_up_after_max_attempts(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    mid = add_message(env.sessions, conv, status="pending")
    transport = Recorder(result=SendResult("not_sent", attempts=4, detail="429"))
    counts = make_worker(env, transport).run_once(NOW)
    row = message(env.sessions, mid)
    assert counts["retry"] == 1
    assert (row.status, row.attempts) == ("deferred", 4)
    assert row.not_before == NOW + dt.timedelta(seconds=60)
    make_worker(env, transport).run_once(NOW + dt.timedelta(seconds=60))
    assert message(env.sessions, mid).status == "failed"


def test_a_row_the_gate_cannot_decide_does_not_block_the_others(env: Env, gate: GateStandIn, monkeypatch):
    conv = add_conversation(env.sessions)
    bad = add_message(env.sessions, conv, status="pending")
    good = add_message(env.sessions, conv, status="pending")

    def picky(session: Any, m: Message, now: dt.datetime, **kw: Any) -> Any:
        if m.id == bad:
            raise ValueError("cannot decide")
        return gate(session, m, now, **kw)

    monkeypatch.setattr(outbound, "redecide", picky)
    transport = Recorder()
    counts = make_worker(env, transport).run_once(NOW)
    assert counts["gate_errors"] == 1 and len(transport.sent) == 1
    assert message(env.sessions, bad).status == "pending"
    assert message(env.sessions, good).status == "sent"


# --- timers -------------------------------------------------------------------------------

class CountingRunner(Runner):
    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self.fired: list[int | None] = []
        self.guard = threading.Lock()

    def fire_timer(self, conv_id, name, data=None, timer_id=None):  # type: ignore[override]
        ok = super().fire_timer(conv_id, name, data, timer_id=timer_id)
        if ok:
            with self.guard:
                self.fired.append(timer_id)
        return ok


def test_due_timers_fire_exactly_once_across_concurrent_workers(env: Env, gate: GateStandIn):
    from duly.app import seed_script

    seed_script(env.sessions, env.settings)
    convs = [add_conversation(env.sessions, phone=f"+1555555{1000 + i}") for i in range(4)]
    with env.sessions() as s, s.begin():
        for c in convs:
            s.add(Timer(conversation_id=c, name="promise_check", due_at=NOW - dt.timedelta(minutes=1),
                        data={"promise_id": 1}, created_at=NOW))
        s.add(Timer(conversation_id=convs[0], name="later", due_at=NOW + dt.timedelta(days=1),
                    data={}, created_at=NOW))
    clock = Clock(NOW)
    runners = [CountingRunner(env.settings, env.sessions, clock=clock, transport=None) for _ in range(2)]
    workers = [Worker(env.settings, env.sessions, Recorder(), clock, r, holder=f"w{i}")
               for i, r in enumerate(runners)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(w: Worker) -> None:
        try:
            barrier.wait()
            w.run_once(NOW)
            w.run_once(NOW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    fired = runners[0].fired + runners[1].fired
    assert len(fired) == 4 and len(set(fired)) == 4
    with env.sessions() as s:
        assert s.scalar(select(func.count(Timer.id)).where(Timer.fired_at.is_not(None))) == 4
        assert s.scalar(select(func.count(Timer.id)).where(Timer.fired_at.is_(None))) == 1
        # each firing went through the dialog step once (the engine audits unknown timers)
        assert s.scalar(select(func.count(Decision.id)).where(Decision.rule == "G-03")) == 4


# --- pacing -------------------------------------------------------------------------------

class FakeTime:
    """A monotonic clock whose sleep advances it (no real sleeping)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.t += seconds


def test_pacer_achieves_the_configured_rate_per_sender():
    ft = FakeTime()
    pacer = Pacer(7.0, ft.monotonic, ft.sleep)
    stamps = {"A": [], "B": []}
    for i in range(1400):
        sender = "A" if i % 2 == 0 else "B"
        pacer.wait(sender)
        stamps[sender].append(ft.t)
        ft.t += 0.001  # the request itself takes a millisecond
    for sender, ts in stamps.items():
        achieved = (len(ts) - 1) / (ts[-1] - ts[0])
        assert abs(achieved - 7.0) / 7.0 < 0.01, (sender, achieved)


def test_worker_paces_sends_per_sender_at_the_configured_rate(env: Env, gate: GateStandIn):
    conv = add_conversation(env.sessions)
    for _ in range(40):
        add_message(env.sessions, conv, status="pending", transport="rest")
    ft = FakeTime()
    times: list[float] = []

    class Timed(Recorder):
        name = "rest"

        def send(self, **kw: Any) -> SendResult:
            times.append(ft.t)
            ft.t += 0.01
            return SendResult("queued")

    settings = settings_for(env.db_url)
    settings = dataclasses.replace(settings, behaviour={
        **settings.behaviour, "outbound": {**settings.behaviour.get("outbound", {}), "messages_per_second": 4}})
    runner = Runner(settings, env.sessions, clock=Clock(NOW), transport=None)
    w = Worker(settings, env.sessions, Timed(), Clock(NOW), runner, monotonic=ft.monotonic, sleep=ft.sleep)
    counts = w.run_once(NOW)
    assert counts["sent"] == 40
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert abs(achieved - 4.0) / 4.0 < 0.01, achieved


# --- hooks ----------------------------------------------------------------------------------

def test_hooks_are_called_by_name_and_a_missing_module_is_skipped(env: Env, gate: GateStandIn, monkeypatch):
    import types

    from runner import worker as worker_mod

    calls: list[tuple[str, Any]] = []
    fake = types.ModuleType("tests_fake_hook")

    def plan(sessions, settings, now, *, dry_run=False):
        calls.append(("plan", (now, dry_run)))
        return SimpleNamespace(queued=3)

    fake.plan = plan
    monkeypatch.setitem(sys.modules, "tests_fake_hook", fake)
    monkeypatch.setattr(worker_mod, "HOOKS", (("before", "tests_fake_hook", "plan"),
                                              ("after", "tests_no_such_module", "deliver_due")))
    counts = make_worker(env, Recorder()).run_once(NOW)
    assert calls == [("plan", (NOW, False))]
    assert counts["tests_fake_hook"] == 3 and counts["hook_errors"] == 0


# --- the command -----------------------------------------------------------------------------

def _run_duly(args: list[str], env: dict[str, str], stand_in: bool) -> subprocess.CompletedProcess:
    """``duly worker ...`` in a fresh process; ``stand_in`` installs the test stand-in for
    ``runner.outbound.redecide`` first (the real one belongs to the gate's module)."""
    code = ("import sys, types\n"
            "import runner.outbound as o\n"
            "def redecide(session, message, now, **kw):\n"
            "    message.status = 'pending'\n"
            "    return types.SimpleNamespace(action='send', validity_seconds=3600, until=None,\n"
            "                                 rule='stand-in', reason='', checks=())\n"
            + ("o.redecide = redecide\n" if stand_in else "")
            + "from duly.cli import main\n"
            "raise SystemExit(main(sys.argv[1:]))\n")
    full = {**os.environ, "DULY_CONFIG": str(REPO / "config.toml"), "LOG_LEVEL": "WARNING", **env}
    full.pop("DULY_DEV", None)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=full,
                          capture_output=True, text=True, timeout=120)


def test_duly_worker_once_now_sends_what_is_due_as_of_now_and_exits_0(env: Env):
    conv = add_conversation(env.sessions)
    due = add_message(env.sessions, conv, status="deferred",
                      not_before=dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC), body="due tomorrow 9:00")
    later = add_message(env.sessions, conv, status="deferred",
                        not_before=dt.datetime(2026, 12, 2, 14, 0, tzinfo=UTC), body="due the day after")
    with env.sessions() as s, s.begin():
        s.add(Timer(conversation_id=conv, name="promise_check", due_at=dt.datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
                    data={}, created_at=NOW))
    proc = _run_duly(["worker", "--once", "--now", "2026-12-01T10:00:00-05:00"],
                     {"DATABASE_URL": env.db_url, "SMS_TRANSPORT": "console"}, stand_in=True)
    assert proc.returncode == 0, proc.stderr
    assert "due tomorrow 9:00" in proc.stdout and "due the day after" not in proc.stdout
    assert '"sent": 1' in proc.stdout and '"timers": 1' in proc.stdout
    row = message(env.sessions, due)
    assert (row.status, row.sent_at) == ("sent", dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    assert message(env.sessions, later).status == "deferred"
    # naive --now means UTC; the same run again sends nothing more
    proc = _run_duly(["worker", "--once", "--now", "2026-12-01T15:00:00"],
                     {"DATABASE_URL": env.db_url, "SMS_TRANSPORT": "console"}, stand_in=True)
    assert proc.returncode == 0 and '"sent": 0' in proc.stdout, proc.stderr


def test_duly_worker_once_via_the_installed_command(tmp_path: Path):
    exe = Path(sys.executable).with_name("duly")
    if not exe.exists():
        pytest.skip("the duly console script is not installed")
    full = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "SMS_TRANSPORT": "console",
            "DULY_CONFIG": str(REPO / "config.toml"), "LOG_LEVEL": "WARNING"}
    proc = subprocess.run([str(exe), "worker", "--once", "--now", "2026-12-01T15:00"], cwd=tmp_path,
                          env=full, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("duly worker: {")
    bad = subprocess.run([str(exe), "worker", "--once", "--now", "tomorrow"], cwd=tmp_path, env=full,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--now" in bad.stderr


def test_parse_now():
    from duly.worker_cli import parse_now

    assert parse_now("2026-12-01T10:00:00") == dt.datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert parse_now("2026-12-01T10:00:00-05:00") == dt.datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert parse_now("2026-12-01T10:00:00Z") == dt.datetime(2026, 12, 1, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_now("friday")


# --- CN-09 -------------------------------------------------------------------------------

TWILIO_ENV = {"SMS_TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "a1" * 16,
              "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef", "TWILIO_FROM": "+15555550100"}


def test_CN_09_twilio_is_refused_at_start_when_accounts_are_under_a_cn_profile(env: Env):
    from runner.transports import cn09_problem

    ok = settings_for(env.db_url, **TWILIO_ENV)
    assert cn09_problem(ok, env.sessions) is None
    add_account(env.sessions, ref="CN-1", phone="+8613800138000", profile="cn")
    problem = cn09_problem(ok, env.sessions)
    assert problem and problem.startswith("CN-09")
    # the console transport is not refused
    assert cn09_problem(settings_for(env.db_url), env.sessions) is None
    for cmd in (["worker", "--once"], ["serve", "--port", "1"]):
        proc = _run_duly(cmd, {"DATABASE_URL": env.db_url, **TWILIO_ENV}, stand_in=False)
        assert proc.returncode == 2, (cmd, proc.stdout, proc.stderr)
        assert "CN-09" in proc.stderr and "licensed" in proc.stderr


def test_CN_09_a_cn_default_profile_refuses_twilio_without_any_account(tmp_path: Path):
    from runner.transports import check_transport_allowed, TransportRefused

    settings = settings_for(f"sqlite:///{tmp_path / 'x.db'}", **TWILIO_ENV)
    settings = dataclasses.replace(settings, behaviour={**settings.behaviour, "default_profile": "cn"})
    with pytest.raises(TransportRefused, match="CN-09"):
        check_transport_allowed(settings)


def test_CN_09_the_worker_refuses_a_cn_account_message_on_twilio_at_dispatch(env: Env, gate: GateStandIn):
    """Defence in depth: an account imported under a CN profile after start-up is
    never sent through the general-purpose twilio transport."""
    acct = add_account(env.sessions, ref="CN-2", phone="+8613800138001", profile="cn")
    conv = add_conversation(env.sessions, phone="+8613800138001", account_id=acct)
    mid = add_message(env.sessions, conv, status="pending", to="+8613800138001", transport="rest")
    transport = Recorder()
    transport.name = "rest"
    settings = settings_for(env.db_url, **TWILIO_ENV)
    runner = Runner(settings, env.sessions, clock=Clock(NOW), transport=None)
    counts = Worker(settings, env.sessions, transport, Clock(NOW), runner).run_once(NOW)
    assert transport.sent == [] and counts["refused"] == 1
    assert message(env.sessions, mid).status == "refused"
    with env.sessions() as s:
        assert s.scalar(select(Decision.rule).where(Decision.message_id == mid)) == "CN-09"


# --- with the real gate at dispatch ---------------------------------------------------------

def _real_gate_setup(env: Env, at: dt.datetime) -> tuple[int, int]:
    from storage.models import Consent

    acct = add_account(env.sessions)
    conv = add_conversation(env.sessions, account_id=acct)
    with env.sessions() as s, s.begin():
        s.add(Consent(phone=CUSTOMER, account_id=acct, channel="sms", source="application form",
                      consented_at=NOW - dt.timedelta(days=90), created_at=NOW))
    with env.sessions() as s, s.begin():
        c = s.get(Conversation, conv)
        out = outbound.submit(s, c, "Hi Pat, your payment of $100.00 is past due. Call 800-555-0199. "
                                    "Reply STOP to opt out.", kind="notice", sender="bot", now=at,
                              transport="console", account_id=acct, approved=True)
    return conv, out.message_id


@pytest.mark.skipif(not hasattr(outbound, "redecide"), reason="runner.outbound.redecide not there yet")
def test_US_01_real_gate_defers_before_0800_and_sends_at_0800_with_the_window_left(env: Env):
    ny_0600 = dt.datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    conv, mid = _real_gate_setup(env, ny_0600)
    row = message(env.sessions, mid)
    assert row.status == "deferred", row.status
    transport = Recorder()
    make_worker(env, transport).run_once(ny_0600 + dt.timedelta(hours=1, minutes=59))   # 07:59
    assert transport.sent == []
    ny_0800 = ny_0600 + dt.timedelta(hours=2)
    make_worker(env, transport, clock=Clock(ny_0800)).run_once(ny_0800)
    assert len(transport.sent) == 1
    # 13 hours left in [08:00, 21:00), capped at Twilio's 10-hour maximum
    assert transport.sent[0]["validity_period"] == min(13 * 3600, 36000)
    with env.sessions() as s:
        stages = [d.get("stage") for d in s.scalars(select(Decision.detail).where(
            Decision.message_id == mid, Decision.actor == "gate").order_by(Decision.id))]
    assert "dispatch" in stages


@pytest.mark.skipif(not hasattr(outbound, "redecide"), reason="runner.outbound.redecide not there yet")
def test_US_05_real_gate_an_opt_out_after_queueing_stops_the_send_at_dispatch(env: Env):
    from storage.models import OptOut

    ny_0600 = dt.datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    conv, mid = _real_gate_setup(env, ny_0600)
    with env.sessions() as s, s.begin():
        s.add(OptOut(phone=CUSTOMER, channel="sms", scope="all", source="inbound",
                     created_at=ny_0600 + dt.timedelta(hours=1)))
    transport = Recorder()
    ny_0800 = ny_0600 + dt.timedelta(hours=2)
    make_worker(env, transport, clock=Clock(ny_0800)).run_once(ny_0800)
    assert transport.sent == []
    assert message(env.sessions, mid).status == "refused"


@pytest.mark.skipif(not hasattr(outbound, "redecide"), reason="runner.outbound.redecide not there yet")
def test_US_01_validity_period_is_the_time_left_in_the_window_at_dispatch(env: Env):
    ny_2030 = dt.datetime(2026, 12, 1, 1, 30, tzinfo=UTC)   # 20:30 in New York
    conv, mid = _real_gate_setup(env, ny_2030)
    assert message(env.sessions, mid).status == "pending"
    transport = Recorder()
    make_worker(env, transport, clock=Clock(ny_2030)).run_once(ny_2030)
    assert transport.sent[0]["validity_period"] == 30 * 60


def test_a_claimed_row_is_stamped_with_the_business_clock_not_the_wall_clock(env: Env):
    """Regression (found when the wall clock passed the tests' business clock): the gate at
    dispatch sets ``updated_at = now``, the claim set it to the same value — no change to
    the ORM, so the column's ``onupdate`` stamped the *wall* clock on the ``sending`` row,
    and the stale-``sending`` sweep (business time) never settled a killed worker's send."""
    acct = add_account(env.sessions)
    conv = add_conversation(env.sessions, account_id=acct)
    with env.sessions() as s, s.begin():
        asked = Message(conversation_id=conv, direction="inbound", from_number=CUSTOMER, to_number=OUR_NUMBER,
                        body="hi", status="received", media=[], num_media=0, created_at=NOW, updated_at=NOW)
        s.add(asked)
        s.flush()
        asked_id = asked.id
    mid = add_message(env.sessions, conv, status="pending", transport="rest", kind="reply", sender="bot",
                      in_reply_to_id=asked_id, account_id=acct, body="Thanks, we got your message.")
    seen: list[Any] = []

    class Peek(Recorder):
        def send(self, **kw: Any) -> SendResult:
            row = message(env.sessions, mid)
            seen.append((row.status, row.updated_at))
            return super().send(**kw)

    long_ago = NOW - dt.timedelta(days=400)          # far from the wall clock either way
    worker = make_worker(env, Peek(), clock=Clock(long_ago))
    worker.run_once(long_ago)
    assert seen == [("sending", long_ago)]


def _one_debt_two_phones_two_notices(env: Env) -> tuple[int, list[int]]:
    """An account with two consenting phones and a due notice to each (approved template
    at submit). Returns the account id and the two message ids."""
    from storage.models import Consent

    acct = add_account(env.sessions)
    second_phone = "+12125550199"
    with env.sessions() as s, s.begin():
        s.add(Phone(e164=second_phone, account_id=acct, created_at=NOW))
        for p in (CUSTOMER, second_phone):
            s.add(Consent(phone=p, account_id=acct, source="application form",
                          consented_at=NOW - dt.timedelta(days=300)))
    mids = []
    for phone in (CUSTOMER, second_phone):
        conv = add_conversation(env.sessions, phone=phone, account_id=acct)
        mids.append(add_message(env.sessions, conv, status="deferred", not_before=NOW - dt.timedelta(minutes=1),
                                transport="rest", to=phone, account_id=acct, kind="notice"))
    with env.sessions() as s, s.begin():
        for mid in mids:   # their first gate decision: an approved template
            s.add(Decision(message_id=mid, rule="gate:pass", verdict="defer", actor="gate", created_at=NOW,
                           detail={"approved": True, "stage": "submit"}))
    return acct, mids


def test_US_20_two_workers_two_phones_one_debt_one_notice_a_day(env: Env):
    """Two notices about one debt, to its two phones (two conversations, two row locks),
    claimed by two workers at once: each database count misses the other's uncommitted
    row; the shared cap ledger (runner/caps.py) lets exactly one go (US-20: ≤ 1 a day)."""
    from runner.caps import MemoryCapLedger

    acct, mids = _one_debt_two_phones_two_notices(env)
    ledger = MemoryCapLedger()
    transport = Recorder(delay=0.2)
    workers = [make_worker(env, transport, holder=f"w{i}", ledger=ledger) for i in range(2)]
    for w in workers:
        w.batch_size = 1                      # one row each: both claim at once
    barrier = threading.Barrier(2)

    def run(w: Worker) -> None:
        barrier.wait()
        w.run_once(NOW)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for w in workers:                         # whatever is left (SQLite: the lease let one pass)
        w.run_once(NOW)
    # (the worker's cadence hook may plan this debt's own notice too: it counts the same)
    with env.sessions() as s:
        rows = s.scalars(select(Message).where(Message.account_id == acct,
                                               Message.direction == "outbound")).all()
    sent = [r for r in rows if r.status == "sent"]
    assert len(sent) == 1 and len(transport.sent) == 1
    assert len(rows) >= 3
    for r in rows:
        if r.status != "sent":
            assert r.status == "deferred" and r.not_before >= NOW + dt.timedelta(hours=23), \
                _decisions_of(env, [r.id])


def _decisions_of(env: Env, mids: list[int]) -> list[Decision]:
    with env.sessions() as s:
        return list(s.scalars(select(Decision).where(Decision.message_id.in_(mids)).order_by(Decision.id)))


def test_US_20_the_database_alone_serialises_two_claims_for_one_debt(env: Env):
    """Without Redis (or with Redis restarted empty mid-claim) the database is the guard:
    a claim holds its debt's advisory locks (PostgreSQL) until it commits, so a second
    claim for the same debt — another phone of the account — does not count past the
    first's uncommitted message; it leaves the row for the next pass (DebtBusy), which
    then counts the first. SQLite lets one writer in at a time, so it needs no lock.
    Found by attacking the cap ledger with Redis down."""
    if env.backend != "postgresql":
        pytest.skip("PostgreSQL's advisory locks; SQLite serialises writers")
    acct, mids = _one_debt_two_phones_two_notices(env)
    behaviour = env.settings.behaviour
    first = env.sessions()
    first.begin()
    try:
        m1 = first.get(Message, mids[0])
        assert outbound.redecide(first, m1, NOW, behaviour=behaviour, debt_lock=True).action == "send"
        m1.status, m1.sent_at = "sending", NOW
        first.flush()
        with env.sessions() as s, s.begin():
            with pytest.raises(outbound.DebtBusy):
                outbound.redecide(s, s.get(Message, mids[1]), NOW, behaviour=behaviour, debt_lock=True)
        first.commit()
    finally:
        first.close()
    with env.sessions() as s, s.begin():
        verdict = outbound.redecide(s, s.get(Message, mids[1]), NOW, behaviour=behaviour, debt_lock=True)
        assert (verdict.action, verdict.rule) == ("defer", "US-20")


def test_US_20_an_account_less_notice_waits_for_a_claim_on_its_phones_debt(env: Env):
    """An initiated message with no account of its own, on a conversation with none,
    counts every account on its phone (the conservative reading, runner.outbound.resolve).
    While another worker's claim for one of those debts — a notice to the account's other
    phone — is uncommitted, the account-less one's count would miss it: its claim must
    find the debt busy, not count past it (US-20; found reviewing the cap race notes).
    Then, committed, the first notice is counted and the second waits a day."""
    if env.backend != "postgresql":
        pytest.skip("PostgreSQL's advisory locks; SQLite serialises writers")
    acct, mids = _one_debt_two_phones_two_notices(env)
    other_number = "+15555550177"                                     # another of our numbers
    conv = add_conversation(env.sessions, phone=CUSTOMER, ours=other_number)   # no account chosen
    loose = add_message(env.sessions, conv, status="deferred", not_before=NOW - dt.timedelta(minutes=1),
                        transport="rest", to=CUSTOMER, frm=other_number, account_id=None, kind="notice")
    with env.sessions() as s, s.begin():
        s.add(Decision(message_id=loose, rule="gate:pass", verdict="defer", actor="gate", created_at=NOW,
                       detail={"approved": True, "stage": "submit"}))
    behaviour = env.settings.behaviour
    first = env.sessions()
    first.begin()
    try:
        m2 = first.get(Message, mids[1])            # the account's other phone
        assert outbound.redecide(first, m2, NOW, behaviour=behaviour, debt_lock=True).action == "send"
        m2.status, m2.sent_at = "sending", NOW
        first.flush()
        with env.sessions() as s, s.begin():
            with pytest.raises(outbound.DebtBusy):
                outbound.redecide(s, s.get(Message, loose), NOW, behaviour=behaviour, debt_lock=True)
        first.commit()
    finally:
        first.close()
    with env.sessions() as s, s.begin():
        verdict = outbound.redecide(s, s.get(Message, loose), NOW, behaviour=behaviour, debt_lock=True)
        assert (verdict.action, verdict.rule) == ("defer", "US-20")
