"""The outbox worker: durable rows in, messages and timer events out.

Everything future-dated lives in the database (messages with ``not_before``, timers);
the worker is how it happens. One pass (:meth:`Worker.run_once`):

1. **hooks** other modules own (cadence planning, the promise/plan sweep) queue rows;
2. **stale sends**: a row left ``sending`` longer than ``sending_timeout_seconds`` (its
   worker died mid-request) becomes ``unknown`` — never resent; the status callback
   settles it (Twilio's Messages API has no idempotency key). So does a reply handed to
   Twilio in a TwiML answer that no ``action`` callback confirmed within
   ``twiml_confirm_seconds`` (the answer may never have reached Twilio);
3. **timers** due (``fired_at IS NULL AND due_at <= now``) go through
   :meth:`runner.inbound.Runner.fire_timer`, which marks the row fired in the step's own
   transaction, so each fires exactly once;
4. **outbox**: due rows — ``pending`` with transport ``rest``/``console`` (never
   ``twiml``: those ride in a webhook's answer), or ``deferred`` with ``not_before <=
   now`` — are claimed in small batches, re-decided at the gate at dispatch
   (``runner.outbound.redecide``, US-01/US-05/US-07: the rules that count are the ones at
   send time), marked ``sending`` in the claiming transaction, paced per sender, sent
   with ``ValidityPeriod`` = the seconds left in the allowed window *at the moment of
   the send*, and their result recorded after; provider errors are applied through
   :func:`apply_provider_error` (one table: :data:`runner.transports.ERROR_TABLE`);

   A paced pass can take minutes, so no claim or send reuses the pass's start: every
   claim asks the gate at the clock's time of that claim, and right before the
   transport the last look re-decides at the send moment a message whose allowed
   window may have closed since its claim (12 CFR 1006.6(b)(1)(i), US-01: the time
   that counts is when the message is *sent*) — deferred to the next window, never
   dropped; ``sent_at`` is the moment it was handed to the transport;
5. **hooks** that deliver (events to the lender).

Claiming: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` so several workers share
the rows without double sends. On SQLite ``SKIP LOCKED`` does not exist (SQLAlchemy
silently drops it): the whole pass runs under the ``outbox`` :class:`WorkerLease`
— one worker works, a second sees the lease and skips; a lease whose holder died
expires after ``lease_seconds`` (wall clock).

Pacing: sends of a sender are booked on a fixed grid of slots (:mod:`runner.pacing`;
a late send's time is made up by the next ones within ``pacing_tolerance_seconds``).
The next batch is claimed on a helper thread while the current one's last rows are
paced out, so the gate's work at claim time overlaps waits instead of leaving the
sender idle; paced batches are about half a second of sends, so several workers finish
together. On SQLite (one writer at a time) the helper claims two rows per transaction
and gives way to the sending thread's transactions. Rows a claim marked ``sending``
are always sent (or put back as due) before the pass returns.

Wake-ups: the rows are the truth and no job carries one. :mod:`runner.jobs` (taskiq)
only wakes :meth:`Worker.run_forever` early (:meth:`Worker.wake`) or hands it one-off
work (:meth:`Worker.call_soon`); a lost job costs at most ``poll_seconds``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import importlib
import inspect
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from runner import outbound
from runner.outbound import STATUS_RANK, mask_phone
from runner.pacing import Pacer
from runner.transports import ErrorClass, SendResult, classify, cn_profiles, outbound_config
from storage.types import on_business_clock
from storage.models import (Account, Conversation, Decision, Flag, Handoff, Hold, Message, OptOut, Phone,
                            Plan, Promise, SenderPause, Timer, WorkerLease)

log = logging.getLogger("duly.worker")


#: Seconds before a claim that a change still counts as "since the claim" (clocks of
#: different hosts disagree a little).
LAST_LOOK_MARGIN_S = 5.0

_LL_CONV = select(Message.conversation_id).where(Message.id == bindparam("mid")).scalar_subquery()
_LL_ACCT = select(Message.account_id).where(Message.id == bindparam("mid")).scalar_subquery()
#: Anything the gate reads that may have changed since a claim: an opt-out, a hold on the
#: number or the message's account, a quarantine, an agent owning the conversation, a
#: hand-off to a person on a conversation with the number (G-01), a promise to pay or a
#: plan on the message's account (G-02).
_Q_LAST_LOOK = select(or_(
    exists().where(OptOut.phone == bindparam("to"), OptOut.revoked_at.is_(None),
                   OptOut.created_at >= bindparam("since")),
    exists().where(Hold.cleared_at.is_(None), Hold.created_at >= bindparam("since"),
                   or_(Hold.phone == bindparam("to"), Hold.account_id == _LL_ACCT)),
    exists().where(Phone.e164 == bindparam("to"), Phone.quarantined_at >= bindparam("since")),
    exists().where(Conversation.id == _LL_CONV, Conversation.mode == "agent",
                   Conversation.updated_at >= bindparam("since")),
    exists().where(Handoff.created_at >= bindparam("since"), Handoff.conversation_id.in_(
        select(Conversation.id).where(Conversation.customer_phone == bindparam("to")))),
    exists().where(Promise.account_id == _LL_ACCT, Promise.created_at >= bindparam("since")),
    exists().where(Plan.account_id == _LL_ACCT, Plan.created_at >= bindparam("since")),
))

Clock = Callable[[], dt.datetime]

LEASE_NAME = "outbox"

#: SQLite: rows per claiming transaction (the gate runs inside it, holding the write lock)
SQLITE_CLAIM_CHUNK = 2


#: Statuses a provider error leaves alone when it arrives by status callback (the
#: callback already set a final failure status).
_FINAL_FAILURES = ("failed", "undelivered", "canceled")

#: The hooks other modules own, in the order a pass calls them: (phase, module,
#: function). Imported lazily; a missing module or function is skipped. Arguments are
#: passed by name from: sessions, session_factory, settings, now, dry_run (False),
#: runner, clock, transport.
HOOKS: tuple[tuple[str, str, str], ...] = (
    ("before", "runner.campaign", "plan"),          # cadence steps due → outbound rows
    ("before", "runner.arrangements", "sweep"),     # promise/plan reminders, kept/broken
    ("after", "runner.agents", "sla_sweep"),        # handoffs past their SLA → alert (G-01)
    ("after", "runner.events", "deliver_due"),      # signed webhooks to the lender
)


def utcnow() -> dt.datetime:
    """The wall clock, aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


# --- provider errors: one function, one table -----------------------------------------------

def _flag(s: Session, conversation_id: int | None, name: str, now: dt.datetime) -> None:
    if conversation_id is None:
        return
    exists = s.scalar(select(Flag.id).where(Flag.conversation_id == conversation_id, Flag.name == name))
    if exists is None:
        s.add(Flag(conversation_id=conversation_id, name=name, created_at=now))
        s.flush()


def apply_provider_error(s: Session, code: str | int | None, *, message: Message | None,
                         recipient: str | None, now: dt.datetime, settings: Any = None,
                         sid: str | None = None) -> ErrorClass | None:
    """Apply what Twilio error ``code`` means (:func:`runner.transports.classify`),
    inside the caller's transaction. Used by the worker (an error in the create
    answer) and by the status callback (an error reported later).

    message: the outbound row (``None`` when a callback's sid matches nothing).
    recipient: E.164 of the customer (default ``message.to_number``). sid: the
    callback's MessageSid (a re-queue happens only for the message's current
    attempt). Config ``[outbound]``: ``requeue_delay_seconds`` (60),
    ``sender_pause_hours`` (24), ``max_attempts`` (5).

    Effects by kind — ``opt_out`` (21610): an active SMS OptOut (source
    ``provider_21610``) and a US-05 decision; ``undeliverable`` (21211, 21614, 30003,
    30005, 30006): ``Phone.undeliverable_at/_code`` on every account of the number
    (lifted when the number texts us or a later message to it is delivered:
    :func:`runner.inbound.clear_undeliverable`, G-02), queued messages to it refused
    (cadence stops), flag ``undeliverable`` and a decision for tracing; ``filtered`` (30007): status ``failed``, flag ``filtered``;
    ``requeue`` (30036): status ``deferred`` a little later (the gate re-checks the
    window at dispatch); ``sender_paused`` (30034): a SenderPause for the sender and
    the message deferred until it ends. Returns the class (``None`` for no code).
    Idempotent for duplicate callbacks (flags, phones, opt-outs, pauses are written
    once; decisions are appended).
    """
    cls = classify(code)
    if cls is None:
        return None
    code = str(code)
    cfg = outbound_config(settings) if settings is not None else {}
    to = recipient or (message.to_number if message is not None else "")
    conv_id = message.conversation_id if message is not None else None
    if conv_id is None and to:
        conv_id = s.scalar(select(Conversation.id).where(Conversation.customer_phone == to)
                           .order_by(Conversation.id).limit(1))
    mid = message.id if message is not None else None
    account_id = message.account_id if message is not None else None
    detail: dict[str, Any] = {"provider_error": code, "class": cls.kind, "note": cls.note}

    def fail(status: str = "failed", force: bool = False) -> None:
        if message is None or message.status in ("delivered", "read"):
            return  # a success the provider reported stands; the code is not pinned on it
        if force or message.status not in _FINAL_FAILURES:
            message.status = status
            message.updated_at = now
        if message.error_code is None:
            message.error_code = code

    def requeue(until: dt.datetime) -> bool:
        """Defer the message to ``until`` if this error is about its current attempt."""
        if message is None:
            return False
        current = sid is None or message.provider_sid in (None, sid)
        if not current or message.attempts >= int(cfg.get("max_attempts", 5)):
            return False
        message.status, message.not_before, message.updated_at = "deferred", until, now
        message.error_code = code
        return True

    if cls.kind == "opt_out":
        fail()
        if to:
            active = s.scalar(select(OptOut.id).where(OptOut.phone == to, OptOut.channel == "sms",
                                                      OptOut.revoked_at.is_(None)))
            if active is None:
                s.add(OptOut(phone=to, channel="sms", scope="all", source="provider_21610",
                             source_message_id=mid, created_at=now))
        s.add(Decision(conversation_id=conv_id, message_id=mid, account_id=account_id, rule="US-05",
                       verdict="record", actor="system", created_at=now, detail={"provider_error": code}))
    elif cls.kind == "undeliverable":
        fail()
        if to:
            s.execute(update(Phone).where(Phone.e164 == to, Phone.undeliverable_at.is_(None))
                      .values(undeliverable_at=now, undeliverable_code=code))
            # Cadence stops for the number: what is queued to it will not go.
            queued = s.scalars(select(Message).where(
                Message.direction == "outbound", Message.to_number == to,
                Message.status.in_(("pending", "deferred")),
                or_(Message.transport.is_(None), Message.transport != "twiml"),
                Message.id != (mid or -1))).all()
            for q in queued:
                q.status, q.updated_at = "refused", now
                s.add(Decision(conversation_id=q.conversation_id, message_id=q.id, account_id=q.account_id,
                               rule=cls.rule, verdict="refuse", actor="system", created_at=now,
                               detail={**detail, "reason": "number undeliverable"}))
        _flag(s, conv_id, "undeliverable", now)
        s.add(Decision(conversation_id=conv_id, message_id=mid, account_id=account_id, rule=cls.rule,
                       verdict="record", actor="system", created_at=now,
                       detail={**detail, "trace": True, "phone": mask_phone(to) if to else None}))
    elif cls.kind == "filtered":
        fail("failed", force=True)
        _flag(s, conv_id, "filtered", now)
        s.add(Decision(conversation_id=conv_id, message_id=mid, account_id=account_id, rule=cls.rule,
                       verdict="record", actor="system", created_at=now, detail=detail))
    elif cls.kind == "requeue":
        until = now + dt.timedelta(seconds=float(cfg.get("requeue_delay_seconds", 60)))
        if not requeue(until):
            fail()
        s.add(Decision(conversation_id=conv_id, message_id=mid, account_id=account_id, rule=cls.rule,
                       verdict="defer" if message is not None and message.status == "deferred" else "record",
                       actor="system", created_at=now, detail=detail))
    elif cls.kind == "sender_paused":
        sender = ((getattr(settings, "messaging_service_sid", None) if settings is not None else None)
                  or (message.from_number if message is not None else ""))
        hours = float(cfg.get("sender_pause_hours", 24))
        pause = s.scalar(select(SenderPause).where(SenderPause.sender == sender,
                                                   SenderPause.paused_until > now)
                         .order_by(SenderPause.paused_until.desc()).limit(1))
        if pause is None:
            pause = SenderPause(sender=sender, reason=code, paused_until=now + dt.timedelta(hours=hours),
                                created_at=now)
            s.add(pause)
            s.flush()
            log.warning("sender %s paused until %s (provider error %s)", sender, pause.paused_until, code)
        if not requeue(pause.paused_until):
            fail()
        s.add(Decision(conversation_id=conv_id, message_id=mid, account_id=account_id, rule=cls.rule,
                       verdict="record", actor="system", created_at=now,
                       detail={**detail, "sender": sender, "paused_until": pause.paused_until.isoformat()}))
    else:
        fail()
    return cls


# --- the worker -----------------------------------------------------------------------------

class _SenderFirst:
    """Orders one worker's SQLite transactions between its sending thread and its
    claiming helper (SQLite has one writer, and its busy handler sleeps in steps of up
    to 100 ms, unfairly): one at a time, and the sender, whose sends are paced, goes
    before a waiting claim."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._senders_waiting = 0

    @contextmanager
    def sender(self) -> Iterator[None]:
        """Hold the turn for a transaction of the sending thread."""
        with self._cond:
            self._senders_waiting += 1
            while self._busy:
                self._cond.wait()
            self._senders_waiting -= 1
            self._busy = True
        yield from self._held()

    @contextmanager
    def claimer(self) -> Iterator[None]:
        """Hold the turn for a claiming transaction (after any waiting sender)."""
        with self._cond:
            while self._busy or self._senders_waiting:
                self._cond.wait()
            self._busy = True
        yield from self._held()

    def _held(self) -> Iterator[None]:
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class _NotSent(Exception):
    """A claimed row failed before it reached the transport (it never left)."""


@dataclass(frozen=True)
class _Claimed:
    id: int
    to: str
    from_: str
    body: str
    sender: str
    validity: int | None   #: seconds left in the allowed window at ``claimed_at`` (None: no hours rule)
    claimed_at: dt.datetime | None = None   #: the claim's ``now`` (the gate's verdict)


class Worker:
    """Drains the outbox and the timers (see the module docstring).

    settings: :class:`duly.config.Settings`. sessions: a sessionmaker. transport: an
    object with ``send(*, to, from_, body, status_callback, validity_period) ->
    SendResult`` (``runner.transports``) and optionally ``sender(from_) -> str`` (the
    pacing/pause key). clock: aware UTC ``now`` (business time: what is due).
    runner: a :class:`runner.inbound.Runner` (fires timers; give it ``transport=None``
    so the worker, not ``Runner.dispatch``, sends what the timers queue).

    Keyword-only: pacer (default ``Pacer([outbound] messages_per_second)``),
    monotonic/sleep for the default pacer, lease_clock (wall clock for the SQLite
    lease; default the real clock), holder (this worker's lease name), ledger (a
    :class:`runner.caps.CapLedger` shared by every worker — ``duly worker`` passes the
    Redis one with ``REDIS_URL`` — so two workers sending about one debt at once cannot
    both pass a frequency cap; ``None``: the database count alone, enough for one worker).

    Config ``[outbound]``: ``messages_per_second`` (1.0, per sender), ``batch_size``
    (20 rows per claim), ``sending_timeout_seconds`` (300: then ``sending`` →
    ``unknown``), ``twiml_confirm_seconds`` (900: then a TwiML reply no callback
    confirmed → ``unknown``), ``max_attempts`` (5), ``retry_delay_seconds`` (60: after a 429 or a
    connection error that never reached the provider), ``lease_seconds`` (60),
    ``poll_seconds`` (5, :meth:`run_forever`), ``pacing_tolerance_seconds`` (how late a
    send may be and still take its slot, so the lost time is made up: default one
    interval; 0 = strict spacing; :mod:`runner.pacing`).
    """

    #: unconfirmed TwiML replies turned ``unknown`` per pass, at most (the rest next pass)
    TWIML_SWEEP_BATCH = 500

    def __init__(self, settings: Any, sessions: sessionmaker[Session], transport: Any,
                 clock: Clock = utcnow, runner: Any = None, *, pacer: Pacer | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 lease_clock: Clock = utcnow, holder: str | None = None, ledger: Any = None):
        self._settings = settings
        #: admins' versioned settings; ``None`` → take the runner's, else ``config.toml``
        self.settings_store: Any = getattr(runner, "settings_store", None)
        self._applied: Any = None
        self.sessions = sessions
        self.transport = transport
        self.clock = clock
        self.runner = runner
        cfg = outbound_config(settings)
        self.rate = float(cfg.get("messages_per_second", 1.0))
        # The console transport has no carrier to protect: it is not paced.
        paced = getattr(transport, "name", "") != "console"
        tolerance = cfg.get("pacing_tolerance_seconds")
        self.pacer = pacer or Pacer(self.rate if paced else 0, monotonic, sleep,
                                    tolerance=None if tolerance is None else float(tolerance))
        self._paced = paced and self.rate > 0
        self.batch_size = max(1, int(cfg.get("batch_size", 20)))
        self.sending_timeout = float(cfg.get("sending_timeout_seconds", 300))
        self.twiml_confirm = float(cfg.get("twiml_confirm_seconds", 900))
        self.max_attempts = int(cfg.get("max_attempts", 5))
        self.retry_delay = float(cfg.get("retry_delay_seconds", 60))
        self.lease_seconds = float(cfg.get("lease_seconds", 60))
        self.poll_seconds = float(cfg.get("poll_seconds", 5))
        self.lease_clock = lease_clock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ledger = ledger
        self._cn = cn_profiles(settings) if getattr(transport, "name", "") == "rest" else set()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._calls: deque[tuple[Callable[["Worker"], Any], Future[Any]]] = deque()
        self._calls_lock = threading.Lock()
        self._claim_seconds = 0.25   # running estimate of one claim's duration (the prefetch lead)
        self._claimed_since_lease = 0
        self._looked = 0
        self._turn = _SenderFirst()
        self._keep_lease = False
        #: ``run_once(now)`` minus the clock at the pass's start: a pass run "as of" another
        #: time (``duly worker --now``, tests) moves on with the clock from there
        self._skew = dt.timedelta(0)
        with sessions() as s:
            self.backend = s.get_bind().dialect.name
        if self.rate > 0:
            # A claimed batch must be sent well within the stale-sending timeout.
            self.batch_size = max(1, min(self.batch_size, int(self.rate * self.sending_timeout / 4) or 1))

    # --- the pass ----------------------------------------------------------------------

    @property
    def settings(self) -> Any:
        """``config.toml`` with the newest admin settings revision over it, as of the
        start of the current pass (read outside any transaction)."""
        return self._applied if self._applied is not None else self._settings

    def refresh_settings(self) -> None:
        """Re-read the admins' settings (each pass starts with this)."""
        from runner.inbound import settings_in_force

        self._applied = settings_in_force(self.settings_store, self._settings, self._applied)
        if self.runner is not None and hasattr(self.runner, "refresh_settings"):
            self.runner.refresh_settings()

    def _now(self) -> dt.datetime:
        """The business time now, in this pass: the clock, shifted as ``run_once(now)``
        asked. Every claim and every send reads it afresh (12 CFR 1006.6(b)(1)(i), US-01:
        the time that counts is when the message is sent, not when the pass began)."""
        return self.clock() + self._skew

    @on_business_clock
    def run_once(self, now: dt.datetime | None = None) -> dict[str, int]:
        """One pass over everything due as of ``now`` (default ``clock()``; aware).

        Returns counts: ``sent`` (the provider took it), ``unknown``, ``failed``,
        ``deferred``, ``refused``, ``retry`` (not reached the provider; deferred),
        ``timers``, ``stale`` (``sending`` → ``unknown``), ``unconfirmed`` (a TwiML reply no
        callback confirmed → ``unknown``), ``lease_busy`` (1 when another
        worker holds the SQLite lease and this pass did nothing), one count per hook
        that ran, ``hook_errors``. Raises ``RuntimeError`` when
        ``runner.outbound.redecide`` is missing (never sends without the gate).

        ``now`` is the pass's start: the hooks, the stale sweep and the timers use it; each
        claim and each send reads the clock again (:meth:`_now`, US-01)."""
        started = self.clock()
        now = now or started
        self._skew = now - started
        self.refresh_settings()
        counts: dict[str, int] = {k: 0 for k in ("sent", "unknown", "failed", "deferred", "refused",
                                                 "retry", "timers", "stale", "unconfirmed", "lease_busy",
                                                 "hook_errors")}
        if self.backend == "sqlite" and not self._acquire_lease():
            counts["lease_busy"] = 1
            log.info("outbox lease held by another worker; skipping this pass")
            return counts
        try:
            self._run_hooks("before", now, counts)
            self._settle_stale(now, counts)
            self._fire_timers(now, counts)
            self._send_due(counts)
            self._run_hooks("after", self._now(), counts)
        finally:
            if self.backend == "sqlite" and not self._keep_lease:
                self._release_lease()
        return counts

    def run_forever(self, poll_seconds: float | None = None) -> None:
        """Pass after pass until :meth:`stop`; after a pass that found nothing to do it
        waits ``poll_seconds`` (default ``[outbound] poll_seconds``) or until
        :meth:`wake` / :meth:`call_soon`, whichever comes first. Runs the calls handed to
        :meth:`call_soon` before each pass. Keeps the SQLite lease between passes and
        releases it on the way out."""
        poll = self.poll_seconds if poll_seconds is None else float(poll_seconds)
        self._keep_lease = True
        try:
            while not self._stop.is_set():
                self._wake.clear()   # a wake-up from now on starts another pass at once
                ran = self._run_calls()
                try:
                    counts = self.run_once()
                except Exception:  # a bad pass must not kill the worker; the rows stay
                    log.exception("worker pass failed")
                    counts = {}
                busy = ran or any(v for k, v in counts.items() if k not in ("lease_busy", "hook_errors"))
                if not busy:
                    self._wake.wait(poll)
        finally:
            self._keep_lease = False
            self._fail_calls()
            if self.backend == "sqlite":
                self._release_lease()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current pass."""
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Start the next pass now instead of after ``poll_seconds`` (thread-safe; e.g.
        from a ``drain_outbox`` job, :mod:`runner.jobs`). A wake-up during a pass starts
        another pass right after it."""
        self._wake.set()

    def call_soon(self, fn: Callable[["Worker"], Any]) -> "Future[Any]":
        """Run ``fn(worker)`` in :meth:`run_forever`'s thread before its next pass (and
        wake it). Thread-safe. Returns a :class:`concurrent.futures.Future` with
        ``fn``'s result or exception; it fails with ``RuntimeError`` when the worker
        stops first."""
        fut: Future[Any] = Future()
        with self._calls_lock:
            if self._stop.is_set():
                fut.set_exception(RuntimeError("the worker is stopping"))
                return fut
            self._calls.append((fn, fut))
        self._wake.set()
        return fut

    def _run_calls(self) -> bool:
        """Run the queued :meth:`call_soon` calls. Returns True when any ran."""
        ran = False
        while True:
            with self._calls_lock:
                if not self._calls:
                    return ran
                fn, fut = self._calls.popleft()
            ran = True
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(self))
            except Exception as exc:  # the caller (a job) reports it
                log.exception("one-off call %r failed", fn)
                fut.set_exception(exc)

    def _fail_calls(self) -> None:
        with self._calls_lock:
            left, self._calls = list(self._calls), deque()
        for _, fut in left:
            if fut.set_running_or_notify_cancel():
                fut.set_exception(RuntimeError("the worker stopped before running the call"))

    # --- hooks other engineers own: the one place they are called -----------------------

    def _run_hooks(self, phase: str, now: dt.datetime, counts: dict[str, int]) -> None:
        available = {"sessions": self.sessions, "session_factory": self.sessions,
                     "settings": self.settings, "now": now, "dry_run": False,
                     "runner": self.runner, "clock": self.clock, "transport": self.transport}
        for hook_phase, module, fn in HOOKS:
            if hook_phase != phase:
                continue
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name == module:
                    continue
                raise
            func = getattr(mod, fn, None)
            if func is None:
                continue
            kwargs: dict[str, Any] = {}
            missing = []
            for name, p in inspect.signature(func).parameters.items():
                if name in available:
                    kwargs[name] = available[name]
                elif p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    missing.append(name)
            key = module.rsplit(".", 1)[-1]
            if missing:
                log.error("hook %s.%s needs %s, which the worker does not have; skipped",
                          module, fn, ", ".join(missing))
                counts["hook_errors"] += 1
                continue
            try:
                result = func(**kwargs)
            except Exception:
                log.exception("hook %s.%s failed", module, fn)
                counts["hook_errors"] += 1
                continue
            if isinstance(result, bool) or result is None:
                counts[key] = counts.get(key, 0) + 1
            elif isinstance(result, int):
                counts[key] = counts.get(key, 0) + result
            elif hasattr(result, "queued"):  # campaign.plan's PlanReport
                counts[key] = counts.get(key, 0) + int(result.queued)
            elif isinstance(result, dict):
                counts[key] = counts.get(key, 0) + sum(v for v in result.values() if isinstance(v, int))
            else:
                counts[key] = counts.get(key, 0) + 1

    # --- SQLite lease ---------------------------------------------------------------------

    def _acquire_lease(self) -> bool:
        """Take or renew the ``outbox`` lease; False when another live holder has it."""
        wall = self.lease_clock()
        until = wall + dt.timedelta(seconds=self.lease_seconds)
        try:
            with self.sessions() as s, s.begin():
                lease = s.get(WorkerLease, LEASE_NAME, populate_existing=True)
                if lease is None:
                    s.add(WorkerLease(name=LEASE_NAME, holder=self.holder, expires_at=until))
                    return True
                if lease.holder == self.holder or lease.expires_at <= wall:
                    if lease.holder != self.holder:
                        log.warning("taking over the outbox lease from %s (expired %s)",
                                    lease.holder, lease.expires_at.isoformat())
                    lease.holder, lease.expires_at = self.holder, until
                    return True
                return False
        except IntegrityError:
            return False

    def _release_lease(self) -> None:
        from sqlalchemy import delete

        with self.sessions() as s, s.begin():
            s.execute(delete(WorkerLease).where(WorkerLease.name == LEASE_NAME,
                                                WorkerLease.holder == self.holder))

    def _still_leased(self) -> bool:
        return self.backend != "sqlite" or self._acquire_lease()

    # --- stale `sending` rows ---------------------------------------------------------------

    def _settle_stale(self, now: dt.datetime, counts: dict[str, int]) -> None:
        """``sending`` for longer than ``sending_timeout_seconds``, and a TwiML reply no
        ``action`` callback confirmed within ``twiml_confirm_seconds`` → ``unknown``."""
        cutoff = now - dt.timedelta(seconds=self.sending_timeout)
        with self.sessions() as s, s.begin():
            q = select(Message).where(Message.direction == "outbound", Message.status == "sending",
                                      Message.updated_at < cutoff).order_by(Message.id)
            if self.backend == "postgresql":
                q = q.with_for_update(skip_locked=True)
            for m in s.scalars(q).all():
                m.status, m.updated_at = "unknown", now
                s.add(Decision(conversation_id=m.conversation_id, message_id=m.id, account_id=m.account_id,
                               rule="worker:stale_sending", verdict="record", actor="system", created_at=now,
                               detail={"reason": "left sending by a worker that stopped; not resent — "
                                                 "the status callback settles it",
                                       "timeout_seconds": self.sending_timeout}))
                counts["stale"] += 1
            # A TwiML reply is ``queued`` once a webhook's answer carried it; its ``action``
            # callback (webhooks/twilio.py) brings Twilio's sid. None within the window:
            # the answer may never have reached Twilio (a retry of the MessageSid gets an
            # empty Response, so it is not resent either) — say so instead of ``queued``.
            cutoff = now - dt.timedelta(seconds=self.twiml_confirm)
            q = select(Message).where(Message.direction == "outbound", Message.status == "queued",
                                      Message.transport == "twiml", Message.provider_sid.is_(None),
                                      Message.updated_at < cutoff).order_by(Message.id)
            q = q.limit(self.TWIML_SWEEP_BATCH)   # the first pass after an upgrade meets the backlog
            if self.backend == "postgresql":
                q = q.with_for_update(skip_locked=True)
            for m in s.scalars(q).all():
                m.status, m.updated_at = "unknown", now
                s.add(Decision(conversation_id=m.conversation_id, message_id=m.id, account_id=m.account_id,
                               rule="worker:twiml_unconfirmed", verdict="record", actor="system",
                               created_at=now,
                               detail={"reason": "handed to Twilio in a TwiML answer that no status "
                                                 "callback confirmed; not resent — a late callback "
                                                 "settles it",
                                       "timeout_seconds": self.twiml_confirm}))
                counts["unconfirmed"] += 1

    # --- timers -----------------------------------------------------------------------------

    def _fire_timers(self, now: dt.datetime, counts: dict[str, int]) -> None:
        if self.runner is None:
            return
        after = 0
        while not self._stop.is_set():
            with self.sessions() as s, s.begin():
                q = (select(Timer.id, Timer.conversation_id, Timer.name, Timer.data)
                     .where(Timer.fired_at.is_(None), Timer.due_at <= now, Timer.id > after)
                     .order_by(Timer.id).limit(self.batch_size))
                if self.backend == "postgresql":
                    # skips timers another worker is firing right now (its step holds the row)
                    q = q.with_for_update(skip_locked=True, of=Timer)
                rows = s.execute(q).all()
            if not rows:
                return
            for tid, conv_id, name, data in rows:
                after = tid
                try:
                    if self.runner.fire_timer(conv_id, name, dict(data or {}), timer_id=tid):
                        counts["timers"] += 1
                except Exception:  # one bad timer must not block the others; it stays due
                    log.exception("timer %d (%s) failed; it stays due", tid, name)
                    counts["timer_errors"] = counts.get("timer_errors", 0) + 1
            if not self._still_leased():
                return

    # --- the outbox -------------------------------------------------------------------------

    def _due(self, now: dt.datetime) -> Any:
        return and_(
            Message.direction == "outbound",
            or_(and_(Message.status == "pending", Message.transport.in_(("rest", "console"))),
                and_(Message.status == "deferred",
                     or_(Message.not_before.is_(None), Message.not_before <= now))))

    def _sender_key(self, from_: str) -> str:
        fn = getattr(self.transport, "sender", None)
        return fn(from_) if fn is not None else from_

    def _send_due(self, counts: dict[str, int]) -> None:
        """Claim and send batch after batch. Paced, the next batch is claimed on a
        helper thread while the current one's last rows are paced out (:meth:`_lead`),
        so the gate's work at claim time overlaps waits the pacer spends anyway instead
        of leaving the sender idle; batches are about half a second of sends
        (:meth:`_batch`), so several workers finish together. Every row a claim marked
        ``sending`` is sent, or put back as due if an error stops the pass
        (:meth:`_put_back`). Each claim decides at its own moment (:meth:`_now`), never
        at the pass's start (US-01)."""
        self._claimed_since_lease = 0
        if not self._may_claim():
            return
        batch, after = self._timed_claim(0, counts)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="duly-claim") as pool:
            while after:
                nxt: Future[tuple[list[_Claimed], int, dict[str, int]]] | None = None
                no_more = False
                lead = self._lead(len(batch))
                started = 0
                try:
                    for i, c in enumerate(batch):
                        if self._paced and nxt is None and not no_more and len(batch) - i <= lead:
                            if self._may_claim():
                                # in this pass's context: the business clock goes along
                                nxt = pool.submit(contextvars.copy_context().run, self._prefetch, after)
                            else:
                                no_more = True
                        started = i + 1
                        self._send_one(c, counts)
                except BaseException as exc:
                    # the row being sent stays `sending` (it may have left: never resent)
                    # unless it provably never reached the transport; the ones after it,
                    # and a prefetched batch, go back to due
                    unsent = batch[started - 1:] if isinstance(exc, _NotSent) else batch[started:]
                    if nxt is not None:
                        try:
                            unsent += nxt.result()[0]
                        except Exception:  # that claim rolled back: it holds nothing
                            pass
                    self._put_back(unsent)
                    raise
                if nxt is not None:
                    batch, after, part = nxt.result()
                    for k, v in part.items():
                        counts[k] = counts.get(k, 0) + v
                elif no_more or not self._may_claim():
                    return
                else:
                    batch, after = self._timed_claim(after, counts)

    def _batch(self) -> int:
        """Rows per claim: ``batch_size``, and when paced at most about half a second
        of sends (at least 2), so no worker holds much more than the others."""
        if not self._paced:
            return self.batch_size
        return max(2, min(self.batch_size, int(self.rate * 0.5 + 0.999)))

    def _lead(self, size: int) -> int:
        """How many rows before the end of a batch the next claim starts: the rows
        paced out in about twice the recent claim time, plus one."""
        return min(size, max(1, int(self.rate * self._claim_seconds * 2) + 1))

    def _sender_turn(self) -> Any:
        return self._turn.sender() if self.backend == "sqlite" else nullcontext()

    def _may_claim(self) -> bool:
        """False when the worker is stopping or (SQLite) lost the outbox lease; the lease
        is renewed once per ``batch_size`` rows claimed."""
        if self._stop.is_set():
            return False
        if self.backend != "sqlite" or self._claimed_since_lease < self.batch_size:
            return True
        self._claimed_since_lease = 0
        return self._still_leased()

    def _timed_claim(self, after: int, counts: dict[str, int]) -> tuple[list[_Claimed], int]:
        t0 = time.perf_counter()
        claimed, last, looked = self._claim_batch(after, counts)
        self._claimed_since_lease += looked
        self._claim_seconds = 0.7 * self._claim_seconds + 0.3 * (time.perf_counter() - t0)
        return claimed, last

    def _prefetch(self, after: int) -> tuple[list[_Claimed], int, dict[str, int]]:
        part: dict[str, int] = {k: 0 for k in ("deferred", "refused")}
        claimed, last = self._timed_claim(after, part)
        return claimed, last, part

    def _claim_batch(self, after: int, counts: dict[str, int]) -> tuple[list[_Claimed], int, int]:
        """Claim up to :meth:`_batch` due rows with ids above ``after``: one transaction
        on PostgreSQL (row locks hold no one up); on SQLite transactions of
        :data:`SQLITE_CLAIM_CHUNK` rows, each taken when the sending thread does not
        want the database (:class:`_SenderFirst`), so a send's bookkeeping never waits
        behind the gate for long. Returns the rows to send, the highest id looked at
        (0 when nothing was due) and how many rows were looked at."""
        size = self._batch()
        if self.backend != "sqlite":
            claimed, last = self._claim(after, counts, limit=size)
            return claimed, last, self._looked
        out: list[_Claimed] = []
        last = looked = 0
        while looked < size:
            with self._turn.claimer():
                got, seen = self._claim(after, counts, limit=min(SQLITE_CLAIM_CHUNK, size - looked))
            if not seen:
                break
            out += got
            looked += self._looked
            last = after = seen
        return out, last, looked

    def _put_back(self, rows: list[_Claimed]) -> None:
        """Claimed rows that will not be sent in this pass (an error stopped it) go back
        to due (``deferred``, ``not_before`` now) with the attempt undone; the gate
        decides again when they are next claimed."""
        if not rows:
            return
        now = self._now()
        # The database may be the reason the pass stopped (a restart): keep trying for
        # half the sending timeout before leaving them to turn `unknown` (never resent).
        deadline = time.monotonic() + self.sending_timeout / 2
        delay = 0.25
        while True:
            try:
                with self.sessions() as s, s.begin():
                    s.execute(update(Message).where(Message.id.in_([c.id for c in rows]),
                                                    Message.status == "sending")
                              .values(status="deferred", not_before=now, updated_at=now,
                                      attempts=Message.attempts - 1))
                return
            except Exception as exc:
                if time.monotonic() + delay > deadline or self._stop.is_set():
                    log.exception("could not put %d claimed messages back; they will turn unknown",
                                  len(rows))
                    return
                log.warning("could not put %d claimed messages back yet (%s); retrying in %.2g s",
                            len(rows), type(exc).__name__, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _claim(self, after: int, counts: dict[str, int],
               limit: int | None = None) -> tuple[list[_Claimed], int]:
        """Claim one transaction's worth (``limit``, default ``batch_size``) of due rows
        with ids above ``after``, decided at the gate as of this claim (:meth:`_now`, not
        the pass's start: US-01). Returns the rows to send and the highest id looked at
        (0 when nothing was due)."""
        claimed: list[_Claimed] = []
        last = 0
        now = self._now()
        with self.sessions() as s, s.begin():
            q = (select(Message).where(self._due(now), Message.id > after)
                 .order_by(Message.id).limit(limit or self.batch_size))
            if self.backend == "postgresql":
                q = q.with_for_update(skip_locked=True, of=Message)
            rows = s.scalars(q.execution_options(populate_existing=True)).all()
            self._looked = len(rows)
            redecide = getattr(outbound, "redecide", None)
            if rows and redecide is None:
                raise RuntimeError("runner.outbound.redecide is missing: the worker never sends "
                                   "without re-running the gate at dispatch (US-01)")
            for m in rows:
                last = m.id
                sender = self._sender_key(m.from_number)
                pause = s.scalar(select(SenderPause.paused_until).where(
                    SenderPause.sender == sender, SenderPause.paused_until > now)
                    .order_by(SenderPause.paused_until.desc()).limit(1))
                if pause is not None:
                    m.status, m.not_before, m.updated_at = "deferred", pause, now
                    counts["deferred"] += 1
                    continue
                if self._cn and self._cn_account(s, m):
                    m.status, m.updated_at = "refused", now
                    s.add(Decision(conversation_id=m.conversation_id, message_id=m.id,
                                   account_id=m.account_id, rule="CN-09", verdict="refuse",
                                   actor="worker", created_at=now,
                                   detail={"reason": "CN profile: a general cloud SMS channel may not "
                                                     "carry collection notices"}))
                    counts["refused"] += 1
                    continue
                try:
                    with s.begin_nested():
                        verdict = self._redecide(redecide, s, m, now)
                except outbound.DebtBusy:
                    # another worker is deciding a message for the same debt: next pass
                    counts["debt_busy"] = counts.get("debt_busy", 0) + 1
                    continue
                except Exception:  # one bad row must not block the others; it stays as it was
                    log.exception("gate at dispatch failed for message %d; left as it was", m.id)
                    counts["gate_errors"] = counts.get("gate_errors", 0) + 1
                    continue
                if getattr(verdict, "action", None) != "send" or m.status != "pending":
                    key = m.status if m.status in ("deferred", "refused") else "deferred"
                    counts[key] += 1
                    continue
                validity = getattr(verdict, "validity_seconds", None)
                m.status, m.updated_at = "sending", now
                # redecide already set updated_at to this same ``now``: an equal value is no
                # change to the ORM, which would then stamp the column's onupdate (the wall
                # clock) instead — and the stale-``sending`` sweep compares it with ``now``
                flag_modified(m, "updated_at")
                m.sent_at = now  # about to leave: the caps of the next rows count it (_record stamps the send)
                m.attempts = (m.attempts or 0) + 1
                if m.transport in (None, "twiml"):
                    m.transport = getattr(self.transport, "name", None) or "rest"
                claimed.append(_Claimed(m.id, m.to_number, m.from_number, m.body, sender,
                                        int(validity) if validity is not None else None, now))
                s.flush()
        return claimed, last

    def _redecide(self, redecide: Callable[..., Any], s: Session, m: Message, now: dt.datetime) -> Any:
        """The gate at dispatch (``runner.outbound.redecide``) as this worker runs it: on
        PostgreSQL under the debt's advisory locks (``debt_lock``; raises
        :class:`runner.outbound.DebtBusy`), with the shared cap ledger when there is one."""
        extra: dict[str, Any] = {"debt_lock": True} if self.backend == "postgresql" else {}
        if self.ledger is not None:
            extra["ledger"] = self.ledger
        return redecide(s, m, now, behaviour=getattr(self.settings, "behaviour", None), **extra)

    def _cn_account(self, s: Session, m: Message) -> bool:
        account_id = m.account_id
        if account_id is None:
            account_id = s.scalar(select(Conversation.account_id).where(Conversation.id == m.conversation_id))
        if account_id is None:
            return False
        return s.scalar(select(Account.profile).where(Account.id == account_id)) in self._cn

    def _send_one(self, c: _Claimed, counts: dict[str, int]) -> None:
        self.pacer.wait(c.sender)
        try:
            if self._hold_if_paused(c, counts):
                return
            go, validity = self._last_look(c, counts)
            if not go:
                return
        except Exception as exc:  # before the transport: this row never left
            raise _NotSent(c.id) from exc
        base = getattr(self.settings, "public_base_url", None) or ""
        cb = f"{base}/webhooks/twilio/status?mid={c.id}" if base else None
        sent_at = self._now()   # the moment it is handed over: US-01 counts this one
        try:
            result = self.transport.send(to=c.to, from_=c.from_, body=c.body, status_callback=cb,
                                         validity_period=validity)
        except Exception as exc:  # the request may have left: never resend blindly
            log.exception("transport raised for message %d; status unknown", c.id)
            result = SendResult("unknown", detail=type(exc).__name__)
        self._record(c, result, counts, sent_at)

    def _hold_if_paused(self, c: _Claimed, counts: dict[str, int]) -> bool:
        """A claimed row whose sender was paused (30034) since the claim goes back to
        ``deferred`` until the pause ends, unsent. Returns True when it was held."""
        now = self._now()
        with self._sender_turn(), self.sessions() as s, s.begin():
            until = s.scalar(select(SenderPause.paused_until).where(
                SenderPause.sender == c.sender, SenderPause.paused_until > now)
                .order_by(SenderPause.paused_until.desc()).limit(1))
            if until is None:
                return False
            s.execute(update(Message).where(Message.id == c.id, Message.status == "sending")
                      .values(status="deferred", not_before=until, updated_at=now,
                              attempts=Message.attempts - 1))
        counts["deferred"] += 1
        return True

    def _last_look(self, c: _Claimed, counts: dict[str, int]) -> tuple[bool, int | None]:
        """Right before the transport (after the pacing wait, which may be seconds, and
        behind the rows paced before it, which may be minutes): did an opt-out, a hold,
        a wrong-number quarantine or a hand-off to an agent arrive for this message since
        it was claimed, or may its allowed window have closed since (US-01, 12 CFR
        1006.6(b)(1)(i): the time that counts is when it is *sent*; the claim's verdict
        left ``c.validity`` seconds, and fewer than the smallest acceptable ValidityPeriod
        are left now)? Then the gate decides again at this moment
        (``runner.outbound.redecide``, US-01/US-05/US-07/US-16/US-17/US-12/G-01): a
        message it no longer lets go is refused or deferred (the hours defer it to the
        next window; never dropped), unsent, with the attempt undone. One statement when
        nothing changed.

        Returns ``(go, validity)``: ``go`` False when the message was stopped;
        ``validity`` the ValidityPeriod to send with, counted from now (the seconds the
        claim's verdict left, less the time since the claim), ``None`` when no hours
        rule applies to the message."""
        now = self._now()
        validity = c.validity
        window_closing = False
        if c.validity is not None:
            left = c.validity - max(0.0, (now - (c.claimed_at or now)).total_seconds())
            window_closing = left < self._min_validity()
            validity = max(1, int(left))
        since = (c.claimed_at or now) - dt.timedelta(seconds=LAST_LOOK_MARGIN_S)
        with self._sender_turn(), self.sessions() as s, s.begin():
            changed = window_closing or s.scalar(_Q_LAST_LOOK, {"to": c.to, "since": since, "mid": c.id})
            if not changed:
                return True, validity
            m = s.scalar(select(Message).where(Message.id == c.id, Message.status == "sending")
                         .with_for_update().execution_options(populate_existing=True))
            if m is None:
                return False, None
            m.status = "pending"
            try:
                verdict = self._redecide(outbound.redecide, s, m, now)
            except outbound.DebtBusy:   # decided elsewhere right now: back to due, unsent
                from bot.gate import Verdict

                verdict = Verdict("defer", "gate:debt_busy", "another worker was deciding this debt", until=now)
                m.status, m.not_before = "deferred", now
            if verdict.action == "send":
                m.status, m.updated_at = "sending", now   # the business clock stamps it too
                return True, verdict.validity_seconds
            m.attempts = max(0, (m.attempts or 1) - 1)
            m.sent_at = None
        counts["refused" if verdict.action == "refuse" else "deferred"] += 1
        log.info("message %d stopped before sending: %s (%s)", c.id, verdict.rule, verdict.reason)
        return False, None

    def _min_validity(self) -> int:
        """The fewest seconds left in an allowed window with which any profile still lets
        an initiated message go (``[profiles.*] min_validity_seconds``, default 60; at
        least 1): below it the last look asks the gate again (it may defer)."""
        profiles = (getattr(self.settings, "behaviour", None) or {}).get("profiles", {}) or {}
        values = [int((p or {}).get("min_validity_seconds", 60)) for p in profiles.values()] or [60]
        return max(1, *values)

    def _record(self, c: _Claimed, result: SendResult, counts: dict[str, int],
                sent_at: dt.datetime | None = None) -> None:
        """Store a send's result. A status callback may have arrived first: a status
        never moves backwards, except from our own ``sending``. ``sent_at``: when it was
        handed to the transport (default now) — the ``sent_at`` of a message that left."""
        now = self._now()
        with self._sender_turn(), self.sessions() as s, s.begin():
            m = s.scalar(select(Message).where(Message.id == c.id).with_for_update()
                         .execution_options(populate_existing=True))
            if m is None:
                return
            m.attempts = (m.attempts or 0) + max(0, result.attempts - 1)
            if result.sid and m.provider_sid is None:
                taken = s.scalar(select(Message.id).where(Message.provider_sid == result.sid))
                if taken is None:
                    m.provider_sid = result.sid
            status = result.status
            if status == "not_sent":
                if m.attempts >= self.max_attempts:
                    m.status = "failed"
                    counts["failed"] += 1
                else:
                    m.status = "deferred"
                    m.not_before = now + dt.timedelta(seconds=self.retry_delay)
                    counts["retry"] += 1
                s.add(Decision(conversation_id=m.conversation_id, message_id=m.id, account_id=m.account_id,
                               rule="worker:not_sent", verdict="record", actor="worker", created_at=now,
                               detail={"detail": result.detail, "attempts": m.attempts, "status": m.status}))
            elif status == "failed":
                apply_provider_error(s, result.error_code, message=m, recipient=m.to_number, now=now,
                                     settings=self.settings)
                if m.status == "sending":
                    m.status = "failed"
                if result.error_code is None:
                    m.error_code = None
                counts["deferred" if m.status == "deferred" else "failed"] += 1
            else:
                if m.status == "sending" or STATUS_RANK.get(status, -1) > STATUS_RANK.get(m.status, 0):
                    m.status = status
                if result.error_code:
                    m.error_code = result.error_code
                if status in ("sent", "queued", "accepted", "sending"):
                    m.sent_at = sent_at or now
                    counts["sent"] += 1
                else:
                    counts["unknown"] += 1
            m.updated_at = now
        log.info("outbound %d to %s: %s%s", c.id, mask_phone(c.to), result.status,
                 f" ({result.error_code})" if result.error_code else "")
