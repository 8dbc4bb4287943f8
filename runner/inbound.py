"""The unit of work for inbound messages.

``Runner.receive(msg)`` is what the SMS webhook calls (in a worker thread):

1. **persist first** — the message row is committed before anything acts on it; the
   same MessageSid twice is stored once (the unique constraint is the final word);
2. **drain** the conversation: lock it (in-process lock to order arrivals, then the
   database row lock inside the transaction — ``BEGIN IMMEDIATE`` on SQLite, ``SELECT
   … FOR UPDATE`` on PostgreSQL — the guard that holds across processes) and act on
   every unprocessed inbound message of the conversation, oldest first, one
   transaction each: interpret → step → apply actions → mark processed;
3. **answer** — claim the replies to this message that the gate allowed and return
   them for the TwiML answer; each reply is claimed once, so a duplicate delivery
   answers ``<Response/>``.

A crash between steps leaves unprocessed rows that the next message (or the repair
sweep, :meth:`Runner.repair`) processes; nothing a customer sent is lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot import actions as A
from bot.dialogs.engine import vulnerable_words
from bot.dialogs.script import DEBT_FREE_TEMPLATES, DEBT_PARAMS, is_collection
from bot import agent_hours
from bot import handoffs as handoff_rules
from bot import dialogs, disclosures, gate, identity, templates
from bot.phones import timezone_candidates
from bot.types import (AccountFacts, AgentAction, ConversationState, Facts, InboundMessage,
                       InboundText, PlanFacts, PromiseFacts, TimerFired)
from duly.config import Settings, creditor_contact
from runner import outbound
from runner.outbound import STATUS_RANK, _valid_zone, mask_phone
from runner.events import record_event
from bot.money import from_minor
from storage import db as storage_db
from storage.accounts import check_identity
from storage.types import on_business_clock
from storage import scripts as storage_scripts
from storage.models import (Account, AuditEntry, ContactWindow, Conversation, Decision, Flag, Handoff, Hold, Instalment,
                            Message, OptOut, PaymentLink, Phone, Plan, Promise, ScriptRevision, Timer)

log = logging.getLogger("duly.runner")


def _interpret(text: str, **kw: Any) -> Any:
    """:func:`bot.intents.interpret`, imported on first use: the reader's ~1,800 compiled
    patterns take 2–3 s to build, which commands that read no customer text (``duly
    campaign run``, ``duly worker --once``, ``duly accounts import``) need not pay;
    ``duly serve`` and ``duly worker`` build them in the warm-up (:func:`duly.app.warm_up`)."""
    from bot.intents import interpret

    return interpret(text, **kw)

Clock = Callable[[], dt.datetime]

#: Twilio waits 15 s for a webhook's answer; a reply still unclaimed after this many
#: seconds is sent through the outbox instead.
REPLY_TWIML_TIMEOUT_S = 30

#: ``Session.info`` keys: a reply was decided at the gate in this transaction, and
#: something the gate reads (opt-outs, holds, quarantine, the mode) was written after it
_REPLIED = "duly.replied"
_GATE_INPUTS_CHANGED = "duly.gate_inputs_changed"
#: actions that write what the gate reads
_GATE_INPUT_ACTS = (A.OptOut, A.OptIn, A.SetHold, A.Quarantine, A.Handoff, A.SetContactWindow)


def utcnow() -> dt.datetime:
    """The wall clock, aware UTC (the default clock)."""
    return dt.datetime.now(dt.timezone.utc)


class KeyedLocks:
    """In-process locks per conversation, to order arrivals in front of the database
    row lock (which stays the real guard across processes). Bounded: idle locks are
    forgotten once more than ``size`` exist."""

    def __init__(self, size: int = 10_000):
        self._locks: OrderedDict[Any, threading.Lock] = OrderedDict()
        self._guard = threading.Lock()
        self._size = size

    def get(self, key: Any) -> threading.Lock:
        """The lock for ``key`` (created on first use)."""
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
                while len(self._locks) > self._size:
                    old_key, old = next(iter(self._locks.items()))
                    if old.locked():
                        break
                    del self._locks[old_key]
            else:
                self._locks.move_to_end(key)
            return lock


def settings_in_force(store: Any, base: Any, current: Any) -> Any:
    """``base`` settings with the newest admin settings revision over it, read from
    ``store`` (:class:`storage.settings_store.SettingsStore`; ``None`` → ``current``).
    An unreadable store keeps ``current`` (logged). Call it outside any transaction."""
    if store is None:
        return current
    try:
        return store.apply(base)
    except Exception:
        log.exception("settings store unreadable; keeping the settings in force")
        return current


# --- the step's read statements, built once (bind parameters) -----------------------------

_Q_FACT_HOLDS = select(Hold.account_id, Hold.kind, Hold.phone).where(
    Hold.cleared_at.is_(None),
    (Hold.phone == bindparam("phone"))
    | Hold.account_id.in_(select(Phone.account_id).where(Phone.e164 == bindparam("phone"))))


def _pending_promise(col: Any) -> Any:
    """``col`` of the account's newest pending promise (a scalar subquery correlated to
    ``Account``)."""
    return (select(col).where(Promise.account_id == Account.id, Promise.status == "pending")
            .order_by(Promise.created_at.desc(), Promise.id.desc()).limit(1)
            .correlate(Account).scalar_subquery())


def _active_plan(col: Any) -> Any:
    """``col`` of the account's newest active plan."""
    return (select(col).where(Plan.account_id == Account.id, Plan.status == "active")
            .order_by(Plan.id.desc()).limit(1).correlate(Account).scalar_subquery())


def _next_instalment(col: Any) -> Any:
    """``col`` of the earliest unpaid (pending or missed) instalment of the account's newest
    active plan."""
    return (select(col).join(Plan, Plan.id == Instalment.plan_id)
            .where(Plan.account_id == Account.id, Plan.status == "active",
                   Instalment.status.in_(("pending", "missed")))
            .order_by(Plan.id.desc(), Instalment.due_date, Instalment.seq).limit(1)
            .correlate(Account).scalar_subquery())


#: the phone's accounts and, in the same statement (scalar subqueries, no extra round
#: trip), each one's current arrangement: the pending promise (id, amount, date) and the
#: active plan (id, kind) with its next unpaid instalment (amount, date, status); and the
#: link's undeliverable mark (cleared when the number texts us: G-02, no statement more)
_Q_FACT_ACCOUNTS = (select(Account,
                           _pending_promise(Promise.id), _pending_promise(Promise.amount_minor),
                           _pending_promise(Promise.due_date),
                           _active_plan(Plan.id), _active_plan(Plan.kind),
                           _next_instalment(Instalment.amount_minor), _next_instalment(Instalment.due_date),
                           _next_instalment(Instalment.status),
                           Phone.undeliverable_at, Phone.undeliverable_code)
                    .join(Phone, Phone.account_id == Account.id)
                    .where(Phone.e164 == bindparam("phone"), Phone.quarantined_at.is_(None))
                    .order_by(Account.id))
_Q_FACT_OPTED = select(OptOut.channel).where(OptOut.phone == bindparam("phone"), OptOut.revoked_at.is_(None))


def _q_replies(m: Any) -> Any:
    """The bot's replies in conversation ``conv_id`` since ``since``, counted over ``m``
    (``Message``, or an alias of it inside a SELECT from ``messages``)."""
    return select(func.count(m.id)).where(
        m.conversation_id == bindparam("conv_id"), m.direction == "outbound",
        m.sender == "bot", m.status != "refused", m.created_at >= bindparam("since"))


_Q_FACT_REPLIES = _q_replies(Message)
_Q_TWIML_REPLIES = (select(Message).where(
    Message.in_reply_to_id == bindparam("inbound_id"), Message.direction == "outbound",
    Message.status == "pending", Message.transport == "twiml").order_by(Message.id))
_Q_BY_SID = select(Message.id, Message.conversation_id).where(Message.provider_sid == bindparam("sid"))
_Q_CONVERSATION = select(Conversation).where(Conversation.customer_phone == bindparam("customer"),
                                             Conversation.our_number == bindparam("ours"))
_Q_PUBLISHED = (select(ScriptRevision.id).where(ScriptRevision.name == bindparam("script_name"),
                                                 ScriptRevision.status == "published")
                .order_by(ScriptRevision.revision.desc()).limit(1))

#: the drain's first read under the row lock, in one statement: the conversation's next
#: unprocessed messages (two: whether another waits behind this one), and what the step
#: reads before it writes anything — the published script revision (:meth:`Runner.script_for`),
#: whether an agent owns this customer on another of our numbers, and the bot's replies in
#: the last hour (:meth:`Runner.facts_for`). The same statements as before, as scalar
#: subqueries of one SELECT: one round trip instead of four.
_Q_DRAIN = select(
    Message,
    _Q_PUBLISHED.scalar_subquery(),
    outbound.AGENT_ELSEWHERE.scalar_subquery(),
    # over an alias: it counts its own rows, never the outer row
    _q_replies(aliased(Message, name="replied")).correlate(None).scalar_subquery(),
).where(Message.conversation_id == bindparam("conv_id"), Message.direction == "inbound",
        Message.processed_at.is_(None)).order_by(Message.id).limit(2)


#: "not read yet" (``None`` is a value read: no published revision)
_UNREAD: Any = object()


class _Prelude(NamedTuple):
    """What :data:`_Q_DRAIN` read for the step besides the messages."""

    published: int | None
    agent_elsewhere: int | None
    replies: int | None


class ConversationBusy(RuntimeError):
    """Another process has held this conversation for longer than the wait; the inbound
    message is stored and will be acted on (the webhook answers 503, Twilio retries)."""


class AgentActionRefused(ValueError):
    """The dialog step refused an agent's ``record_promise``/``record_plan`` (an amount
    above the balance, a past date, a plan not on offer...). ``detail``: the step's G-02
    audit detail (``agent_error``, ``problem``, the limits)."""

    def __init__(self, kind: str, detail: dict[str, Any]):
        super().__init__(f"{kind} refused: {detail.get('problem') or detail.get('agent_error')}")
        self.kind = kind
        self.detail = detail


#: agent actions that must produce this action, or change nothing
_RECORDS = {"record_promise": A.RecordPromise, "record_plan": A.RecordPlan}


class Runner:
    """Moves conversations: inbound messages, timers, status callbacks.

    settings: :class:`duly.config.Settings`. session_factory: SQLAlchemy sessionmaker.
    clock: returns aware UTC ``now`` (injected in tests). transport: the object that
    sends non-TwiML outbound messages (``runner.transports``).
    """

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session],
                 clock: Clock = utcnow, transport: Any = None):
        self._settings = settings
        #: admins' versioned settings (:class:`storage.settings_store.SettingsStore`); ``None``
        #: → ``config.toml`` alone
        self.settings_store: Any = None
        self._applied: Settings | None = None
        self.sessions = session_factory
        self.clock = clock
        self.transport = transport
        self.locks = KeyedLocks()
        self._scripts: dict[int, Any] = {}
        self._revision_numbers: dict[int, int] = {}
        self._script_guard = threading.Lock()
        #: the worker turns this off: it sends through its own paced, classified path
        self.dispatch_enabled = True
        self.script_name = str(settings.behaviour.get("script", "default"))
        #: live-update bus (:mod:`storage.bus`); ``None`` → nobody listens
        self.bus: Any = None
        #: Redis-backed lock, dedupe and counters (:func:`storage.kv.make_kv`) when
        #: ``REDIS_URL`` is set; ``None`` → in-process locks only
        self.kv: Any = None
        self._kv_down_until = 0.0
        #: uniform [0, 1) for A/B variant assignment (tests inject a fixed sequence)
        self.random: Callable[[], float] = random.random

    @property
    def settings(self) -> Settings:
        """The settings in force: ``config.toml`` with the newest admin settings revision
        over it, as of the last :meth:`refresh_settings` (each unit of work starts with
        one, outside any transaction: reading the store inside a transaction would take
        a second connection while holding the first, which on SQLite's single writer can
        starve the pool)."""
        return self._applied if self._applied is not None else self._settings

    def refresh_settings(self) -> None:
        """Re-read the admins' settings (at most every few seconds; cheap otherwise)."""
        self._applied = settings_in_force(self.settings_store, self._settings, self._applied)

    # --- 1. persist ------------------------------------------------------------------

    def store_inbound(self, msg: InboundMessage, seen: bool = False) -> tuple[int, int, bool]:
        """Store ``msg`` (and its conversation) in one committed transaction.

        Returns ``(message_id, conversation_id, created)``; ``created`` is False when
        this MessageSid was already stored (a duplicate delivery). The row is inserted
        straight away and the MessageSid looked up only when the unique constraint
        refuses it (the common case costs one statement less; a duplicate is still
        answered as one); ``seen=True`` (the MessageSid dedupe saw it before) looks it
        up first."""
        look = seen
        for attempt in range(5):
            now = self.clock()
            try:
                with self.sessions() as s, s.begin():
                    if look:
                        existing = s.execute(_Q_BY_SID, {"sid": msg.provider_sid}).first()
                        if existing is not None:
                            return existing[0], existing[1], False
                    # id order = commit order for this customer's texts (the drain acts by id)
                    storage_db.order_arrivals(s, msg.from_number, msg.to_number)
                    conv = self._conversation(s, msg.from_number, msg.to_number, now)
                    row = Message(
                        conversation_id=conv.id, direction="inbound", provider_sid=msg.provider_sid,
                        from_number=msg.from_number, to_number=msg.to_number, body=msg.body,
                        status="received", num_segments=msg.num_segments, num_media=msg.num_media,
                        media=[{"url": u, "content_type": c} for u, c in msg.media],
                        params=dict(msg.params), kind="inbound", sender="customer",
                        created_at=now, updated_at=now)
                    s.add(row)
                    s.flush()
                    return row.id, conv.id, True
            except IntegrityError:
                # A concurrent delivery stored the same MessageSid (or created the same
                # conversation) first; look again.
                look = True
                continue
            except OperationalError:
                if attempt == 4:
                    raise
                continue
        raise RuntimeError("could not store inbound message")

    def _conversation(self, s: Session, customer: str, ours: str, now: dt.datetime) -> Conversation:
        conv = s.scalar(_Q_CONVERSATION, {"customer": customer, "ours": ours})
        if conv is None:
            conv = Conversation(customer_phone=customer, our_number=ours, state="start", slots={},
                                mode="bot", version=0, created_at=now, updated_at=now)
            s.add(conv)
            s.flush()
        return conv

    # --- the webhook's entry point ----------------------------------------------------------

    @on_business_clock
    def receive(self, msg: InboundMessage) -> list[tuple[int, str]]:
        """Store, act on and answer one inbound message.

        Returns the replies to put in the TwiML answer as ``(message_id, body)``
        pairs (empty for a duplicate, or when the bot stays silent). Raises
        :class:`ConversationBusy` when another process holds the conversation longer
        than the wait (the message is stored: the webhook answers 503 and Twilio's retry
        finds it)."""
        self.refresh_settings()
        seen = self._seen_fast(msg.provider_sid)
        mid, conv_id, created = self.store_inbound(msg, seen=seen)
        if created:
            from duly.metrics import count_message

            count_message("inbound", "received")
            self.notify("message", conv_id)
        log.info("inbound %s from %s stored as %d%s", msg.provider_sid[:6] + "…",
                 mask_phone(msg.from_number), mid, "" if created else " (duplicate)")
        with self._ordering(conv_id):
            # The common case in one transaction: this message is the conversation's
            # only unprocessed one, so its replies are claimed right where the step made
            # them (the gate decided them under the same row lock, at the same moment).
            with self.locks.get(conv_id):
                done, answered, queued = self._drain_locked(conv_id, answer_for=mid if created else None)
            if done:
                self.notify("conversation", conv_id)
            if queued:
                self._kick()
            self.dispatch(conv_id)
            if answered is None:
                # Claiming is atomic, so a duplicate delivery answers only replies nobody
                # answered yet: after a crash the retry carries them, otherwise <Response/>.
                return self.claim_replies(mid)
            self._print_claimed(answered)
            return [(m, body) for m, body, _ in answered]

    def _seen_fast(self, sid: str) -> bool:
        """MessageSid dedupe fast path (Redis ``SET NX``): ``True`` when this sid was
        seen before. Only a hint, for the log and metrics: the database's unique
        constraint decides (a crash between the two must not turn Twilio's retry into a
        drop)."""
        if self.kv is None or self._kv_resting():
            return False
        from storage.kv import KVUnavailable

        try:
            seen = not self.kv.dedupe.first(f"sid:{sid}", 86400)
        except KVUnavailable:
            self._kv_failed()
            return False
        if seen:
            log.info("inbound %s seen before (fast path); the database decides", sid[:6] + "…")
        return seen

    def _kv_resting(self) -> bool:
        """Redis failed recently: leave it alone for a few seconds instead of paying its
        timeout on every request (the database guards meanwhile)."""
        return time.monotonic() < self._kv_down_until

    def _kv_failed(self) -> None:
        self._kv_down_until = time.monotonic() + 10.0

    @contextlib.contextmanager
    def _ordering(self, conv_id: int) -> Iterator[None]:
        """Across processes, one request per conversation at a time, in arrival order
        (Redis lock with owner token and expiry) in front of the database row lock, which
        stays the real guard. Busy longer than ``[redis] lock_wait_seconds`` →
        :class:`ConversationBusy`. Redis down → the row lock alone (logged)."""
        if self.kv is None or self.kv.backend != "redis" or self._kv_resting():
            yield
            return
        from storage.kv import KVUnavailable

        conf = self.settings.behaviour.get("redis") or {}
        try:
            handle = self.kv.locks.acquire(f"conv:{conv_id}", ttl_seconds=float(conf.get("lock_ttl_seconds", 30)),
                                           wait_seconds=float(conf.get("lock_wait_seconds", 10)))
        except KVUnavailable:
            log.warning("redis unavailable: conversation %d relies on the database row lock alone", conv_id)
            self._kv_failed()
            yield
            return
        if handle is None:
            raise ConversationBusy(conv_id)
        try:
            yield
        finally:
            try:
                handle.release()
            except KVUnavailable:
                pass

    # --- 2. drain --------------------------------------------------------------------------

    @on_business_clock
    def drain(self, conv_id: int) -> int:
        """Act on every unprocessed inbound message of the conversation, oldest first,
        one transaction each. Returns how many were processed."""
        with self.locks.get(conv_id):
            done, _, queued = self._drain_locked(conv_id)
        if done:
            self.notify("conversation", conv_id)
        if queued:
            self._kick()
        self.dispatch(conv_id)
        return done

    def _kick(self) -> None:
        """Wake a worker (``runner.jobs.kick_outbox``) after a commit that stored a
        message for it to send now, instead of leaving it to the worker's poll. Not under
        the console transport (:meth:`dispatch` prints those itself). Never raises."""
        if self.settings.transport == "console" or not self.settings.redis_url:
            return
        try:
            from runner.jobs import kick_outbox

            kick_outbox(self.settings)
        except Exception:  # the poll sends it anyway
            log.warning("could not wake a worker; its poll will send the message", exc_info=True)

    def notify(self, kind: str, conv_id: int | None) -> None:
        """Wake the console's live views after a commit (``self.bus``, if any): ``kind``
        is ``message``, ``conversation`` or ``handoff``. Never raises."""
        bus = self.bus
        if bus is None:
            return
        try:
            bus.publish(kind, conv_id)
        except Exception:
            log.exception("bus publish failed")

    def _drain_locked(self, conv_id: int, answer_for: int | None = None
                      ) -> tuple[int, list[tuple[int, str, str]] | None, bool]:
        """:meth:`drain` for a caller that holds the in-process lock already: one
        transaction per unprocessed inbound message, oldest first.

        ``answer_for``: the inbound message id whose webhook is waiting. When that
        message is the last one left to process, its TwiML replies are claimed in the
        same transaction (see :meth:`_claim_rows`). Returns ``(processed, claimed,
        queued)``: ``claimed`` is ``None`` when nothing was claimed here (the caller then
        uses :meth:`claim_replies`), else ``(message_id, body, to)`` triples; ``queued``
        is True when a step stored a message for the worker to send now (the caller wakes
        it after commit: :meth:`_kick`)."""
        done, queued = 0, False
        while True:
            with self.sessions() as s, s.begin():
                conv = storage_db.lock_conversation(s, conv_id)
                if conv is None:
                    return done, None, queued
                now = self.clock()
                # two rows: whether another message waits behind this one is known
                # without another transaction; with them, the step's first reads (_Q_DRAIN)
                rows = s.execute(_Q_DRAIN, {"conv_id": conv_id, "script_name": self.script_name,
                                            "phone": conv.customer_phone,
                                            "since": now - dt.timedelta(hours=1)}).all()
                if not rows:
                    return done, None, queued
                waiting = [r[0] for r in rows]
                m = waiting[0]
                pre = _Prelude(*rows[0][1:])
                mid_now = m.id
                try:
                    with s.begin_nested():
                        m.processed_at = now
                        self._act(s, conv, m, now, pre)
                        s.flush()  # any database error surfaces inside the savepoint
                except Exception as exc:  # one bad message never blocks the next (STOP!)
                    s.info.pop(outbound.TWIML_PENDING, None)   # rolled back with the savepoint
                    log.exception("acting on inbound message %d failed; handing off", mid_now)
                    self._fail_safe(s, conv, m, now, exc)
                    m.processed_at = now
                done += 1
                queued = queued or bool(s.info.get(outbound.OUTBOX_QUEUED))
                if len(waiting) == 1:
                    claimed = None
                    if answer_for is not None and mid_now == answer_for:
                        # Re-run the gate only if this transaction wrote something it
                        # reads after a reply was decided (an opt-out, a hold, a mode change).
                        claimed = self._claim_rows(s, mid_now, now,
                                                   recheck=bool(s.info.get(_GATE_INPUTS_CHANGED)),
                                                   rows=_made_here(s, mid_now))
                    return done, claimed, queued

    def _sla_due(self, reason: str, now: dt.datetime) -> dt.datetime:
        """When a hand-off for ``reason`` is due (aware UTC): ``[agent] sla_minutes`` for
        the reason, counted from ``now`` or, outside agent hours, from when they open."""
        agent_conf = self.settings.behaviour.get("agent") or {}
        starts = self._agents_open_at(now) or now   # the SLA clock starts when agents are on shift
        return starts + dt.timedelta(minutes=agent_hours.sla_minutes(agent_conf, reason))

    def _fail_safe(self, s: Session, conv: Conversation, m: Message, now: dt.datetime,
                   exc: Exception) -> None:
        """A message the step could not act on: never lost, never blocking. An opt-out in
        it is still honoured (US-05/US-07), automation pauses and a person takes over
        (G-01); the decision log records the failure class (not the body)."""
        s.expire(conv)
        conv = storage_db.lock_conversation(s, conv.id)
        try:
            reading = _interpret(m.body or "", now=now)
        except Exception:
            reading = None
        if reading is not None and reading.name == "stop":
            active = s.scalar(select(OptOut.id).where(OptOut.phone == conv.customer_phone,
                                                      OptOut.channel == "sms", OptOut.revoked_at.is_(None)))
            if active is None:
                s.add(OptOut(phone=conv.customer_phone, channel="sms", scope="all", source="inbound",
                             source_message_id=m.id, created_at=now))
        m.intent = "error"
        conv.mode = "agent"
        if s.scalar(select(Handoff.id).where(Handoff.conversation_id == conv.id,
                                             Handoff.resolved_at.is_(None))) is None:
            s.add(Handoff(conversation_id=conv.id, reason="error", priority=1, created_at=now,
                          sla_due_at=self._sla_due("error", now)))
        self._flag(s, conv, "handoff:error", now)
        if vulnerable_words(m.body or ""):
            # UK-07: the words hold automation even when the step could not run
            _add_holds(s, "vulnerability", "UK-07", conv.customer_phone, [conv.account_id], m.id, now)
            self._flag(s, conv, "vulnerability", now)
        s.add(Decision(conversation_id=conv.id, message_id=m.id, rule="G-01", verdict="record",
                       actor="system", created_at=now,
                       detail={"error": type(exc).__name__, "opt_out": bool(reading and reading.name == "stop")}))

    @on_business_clock
    def repair(self) -> int:
        """Repair what a crash left (the worker calls this each pass): inbound messages
        stored more than :data:`REPLY_TWIML_TIMEOUT_S` ago and never acted on are acted on
        now, and replies no webhook can carry any more (Twilio stops waiting after 15 s)
        go through the outbox — and the gate — instead. Returns how many conversations
        were drained."""
        stale = self.clock() - dt.timedelta(seconds=REPLY_TWIML_TIMEOUT_S)
        with self.sessions() as s:
            conv_ids = s.scalars(select(Message.conversation_id).where(
                Message.direction == "inbound", Message.processed_at.is_(None),
                Message.created_at < stale).distinct()).all()
        for cid in conv_ids:
            self.drain(cid)
        with self.sessions() as s, s.begin():
            orphaned_inbound = select(Message.id).where(Message.direction == "inbound",
                                                        Message.created_at < stale)
            s.execute(update(Message).where(
                Message.direction == "outbound", Message.status == "pending",
                Message.transport == "twiml",
                (Message.created_at < stale) | Message.in_reply_to_id.in_(orphaned_inbound))
                .values(transport=self._transport_name(), updated_at=self.clock()))
        self.dispatch()
        return len(conv_ids)

    # --- the step ----------------------------------------------------------------------------

    def script_for(self, s: Session, conv: Conversation, published: Any = _UNREAD) -> Any:
        """The conversation's pinned script. A new conversation pins the published
        revision; one pinned to an older revision moves to the published one only when
        it is at rest (:func:`storage.scripts.at_rest`: the bot has it, at the start or
        the menu, nothing pending), so a conversation under way finishes on the revision
        it started on and never lands in a state the new revision lacks."""
        if published is _UNREAD:
            # (the drain passes the published revision's id, read under this transaction's
            # row lock with its first statement: :data:`_Q_DRAIN`)
            published = s.scalar(_Q_PUBLISHED, {"script_name": self.script_name})
        if conv.script_revision_id is None:
            if published is None:
                published = storage_scripts.ensure_default_revision(s, self.script_name,
                                                                    dialogs.default_script_text()).id
            conv.script_revision_id = published
        elif published is not None and conv.script_revision_id != published:
            current = self._load_script(s, conv.script_revision_id)
            if storage_scripts.at_rest(conv.state, conv.mode, dict(conv.slots or {}), current):
                newer = self._load_script(s, published)
                conv.script_revision_id = published
                if conv.state not in newer.states:
                    conv.state = newer.menu if conv.state == current.menu else newer.initial
                s.add(Decision(conversation_id=conv.id, rule="script", verdict="record", actor="system",
                               created_at=self.clock(), detail={"moved_to_revision_id": published}))
        return self._load_script(s, conv.script_revision_id)

    def warm_up_script(self) -> int | None:
        """Load and compile the published script revision now (start-up), so the first
        webhook does not wait for it. Returns the revision row's id, or ``None`` when none
        is published yet. Raises what the database raises (the caller logs it)."""
        with self.sessions() as s:
            rid = s.scalar(_Q_PUBLISHED, {"script_name": self.script_name})
            if rid is not None:
                self._load_script(s, rid)
            return rid

    def _load_script(self, s: Session, rid: int) -> Any:
        with self._script_guard:
            script = self._scripts.get(rid)
        if script is None:
            from storage.models import ScriptRevision
            body = s.scalar(select(ScriptRevision.body).where(ScriptRevision.id == rid))
            script = dialogs.load_script(body)
            with self._script_guard:
                self._scripts[rid] = script
        return script

    def revision_number(self, s: Session, rid: int | None) -> int | None:
        """The revision number of script revision row ``rid`` (for message metadata)."""
        if rid is None:
            return None
        # a revision row's number never changes: read once per process
        with self._script_guard:
            number = self._revision_numbers.get(rid)
        if number is None:
            from storage.models import ScriptRevision
            number = s.scalar(select(ScriptRevision.revision).where(ScriptRevision.id == rid))
            if number is not None:
                with self._script_guard:
                    self._revision_numbers[rid] = number
        return number

    def facts_for(self, s: Session, conv: Conversation, now: dt.datetime,
                  replies: int | None = None,
                  marks: list[tuple[dt.datetime, str | None]] | None = None) -> tuple[Facts, list[Account]]:
        """Read-only facts for the step: accounts on the phone (not quarantined) with each
        one's current arrangement (pending promise, active plan and its next instalment:
        read in the accounts' own statement), opt-outs, holds, policy, replies in the last
        hour (``replies``: already counted by the caller in this transaction, before the
        step wrote anything). ``marks``, when given, receives the phone links'
        undeliverable marks ``(at, code)`` read by the same statement."""
        phone = conv.customer_phone
        # holds on the phone and on every account linked to it, in one statement
        held = s.execute(_Q_FACT_HOLDS, {"phone": phone}).all()
        arrangements: dict[int, tuple[PromiseFacts | None, PlanFacts | None]] = {}
        if any(h.phone == phone and h.kind == "wrong_number" for h in held):
            # US-12: whoever holds this number said it is not the customer's; accounts
            # linked later (a new import) do not reopen it.
            accounts = []
        else:
            rows = s.execute(_Q_FACT_ACCOUNTS, {"phone": phone}).unique().all()
            accounts = [r[0] for r in rows]
            arrangements = {r[0].id: _arrangement(*r[1:9]) for r in rows}
            if marks is not None:
                marks.extend((r[9], r[10]) for r in rows if r[9] is not None)
        opted = s.scalars(_Q_FACT_OPTED, {"phone": phone}).all()
        ids = {a.id for a in accounts}
        holds_rows = [(h.account_id, h.kind) for h in held if h.phone == phone or h.account_id in ids]
        confirmed = set((conv.slots or {}).get("identity_confirmed", []))
        facts_accounts = []
        for a in accounts:
            tz = a.timezone or "America/New_York"
            today = now.astimezone(ZoneInfo(tz)).date()
            dpd = max(0, (today - a.delinquent_since).days) if a.delinquent_since else 0
            profile = self.settings.behaviour.get("profiles", {}).get(a.profile, {})
            facts_accounts.append(AccountFacts(
                account_ref=a.account_ref, name=a.name, currency=a.currency,
                balance_minor=a.balance_minor, past_due_minor=a.past_due_minor,
                minimum_due_minor=a.minimum_due_minor or 0, dpd=dpd, due_date=a.due_date,
                timezone=tz, language=a.language or "en",
                creditor=a.creditor or str(self.settings.behaviour.get("creditor_name", "")),
                creditor_contact=creditor_contact(self.settings.behaviour, a.profile),
                profile=a.profile, identity_required=bool(profile.get("identity_check", False)),
                identity_confirmed=a.account_ref in confirmed,
                holds=tuple(k for aid, k in holds_rows if aid == a.id or aid is None),
                promise=arrangements.get(a.id, (None, None))[0], plan=arrangements.get(a.id, (None, None))[1]))
        if replies is None:
            replies = s.scalar(_Q_FACT_REPLIES, {"conv_id": conv.id, "since": now - dt.timedelta(hours=1)})
        replies = replies or 0
        facts = Facts(accounts=tuple(facts_accounts), opted_out=frozenset(opted),
                      policy=self.settings.policy(), keyword_replies=self.settings.keyword_replies,
                      replies_last_hour=replies)
        return facts, list(accounts)

    def _zone(self, conv: Conversation, facts: Facts) -> str:
        ref = (conv.slots or {}).get("account_ref")
        for a in facts.accounts:
            if a.account_ref == ref:
                return a.timezone
        if facts.accounts:
            return facts.accounts[0].timezone
        cands = timezone_candidates(conv.customer_phone)
        return cands[0] if cands else "America/New_York"

    def _act(self, s: Session, conv: Conversation, m: Message, now: dt.datetime, pre: _Prelude) -> None:
        # The reads before the step write nothing the step's own pending changes (this
        # message's processed_at, a new conversation's script revision) could alter: no
        # autoflush here, so those changes reach the database in one flush with the
        # step's (one UPDATE per row instead of two).
        marks: list[tuple[dt.datetime, str | None]] = []
        with s.no_autoflush:
            script = self.script_for(s, conv, published=pre.published)
            facts, accounts = self.facts_for(s, conv, now, replies=pre.replies, marks=marks)
            if marks:
                # G-02: the number plainly sends and receives — an earlier "undeliverable"
                # (30003: often a phone switched off) no longer silences it
                clear_undeliverable(s, conv.customer_phone, now, reason="the number texted us",
                                    conversation_id=conv.id, message_id=m.id, marks=marks)
        if conv.mode == "bot" and pre.agent_elsewhere is not None:
            # an agent owns this customer on another of our numbers: the bot stays quiet here too
            conv.mode = "agent"
            self._flag(s, conv, "handoff:other_number", now)
        state = ConversationState(state=conv.state, slots=dict(conv.slots or {}), mode=conv.mode)
        lang_hint = (conv.slots or {}).get("lang") or (facts.accounts[0].language if facts.accounts else None)
        intent = _interpret(
            m.body or "", context=dialogs.context_of(state, script), now=now,
            tz=self._zone(conv, facts), plan_options=dialogs.plan_options(state), lang_hint=lang_hint,
            optout_threshold=float(facts.policy.get("intents", {}).get("optout_threshold", 0.75)))
        m.intent, m.confidence, m.entities = intent.name, float(intent.confidence), intent.entities.as_json()
        conv.last_inbound_at = m.created_at
        new_state, acts = dialogs.step(state, InboundText(m.body or "", intent), script, facts, now)
        self.apply(s, conv, new_state, acts, script, facts, accounts, now, in_reply_to=m)
        answer = _identity_answer(acts)
        if answer is not None:
            # UK-06: the step asked for the answer to be checked against the stored hash;
            # the result goes back in as an event, in the same transaction.
            # A reply listing several answers of the asked shape yields no candidate: one
            # failed try, not a guess per fragment (bot.identity).
            acct = next((a for a in accounts if a.account_ref == answer), None)
            question = None
            if acct is not None:
                conf = (self.settings.behaviour.get("profiles") or {}).get(acct.profile) or {}
                question = str(conf.get("identity_question", "postal_code"))
            ok = acct is not None and any(check_identity(c, acct.identity_hash)
                                          for c in identity.candidates(m.body or "", question=question))
            facts, accounts = self.facts_for(s, conv, now)
            state = ConversationState(state=conv.state, slots=dict(conv.slots or {}), mode=conv.mode)
            new_state, acts = dialogs.step(state, TimerFired("identity_checked", {"ok": ok}), script, facts, now)
            self.apply(s, conv, new_state, acts, script, facts, accounts, now, in_reply_to=m)

    @on_business_clock
    def agent_action(self, conv_id: int, kind: str, agent: str, data: dict[str, Any] | None = None,
                     check: Callable[[Conversation], None] | None = None) -> str:
        """An agent takes over (``take_over``), hands back (``hand_back``, ``data["state"]``
        names the state to resume in), closes (``close``) or records a promise or plan
        (``record_promise``/``record_plan``) through the same step as everything else.
        Open handoffs are resolved on hand-back and close. ``check(conv)`` runs under the
        conversation's row lock before anything changes; whatever it raises aborts the
        action (who may act is decided there, race-free). Returns the conversation's
        mode afterwards. Raises ``LookupError`` for an unknown conversation, and
        :class:`AgentActionRefused` when the step refuses a promise or plan (then nothing
        is written: the conversation stays exactly as it was)."""
        self.refresh_settings()
        with self.locks.get(conv_id):
            with self.sessions() as s, s.begin():
                conv = storage_db.lock_conversation(s, conv_id)
                if conv is None:
                    raise LookupError(f"no conversation {conv_id}")
                if check is not None:
                    check(conv)
                now = self.clock()
                script = self.script_for(s, conv)
                facts, accounts = self.facts_for(s, conv, now)
                state = ConversationState(state=conv.state, slots=dict(conv.slots or {}), mode=conv.mode)
                new_state, acts = dialogs.step(state, AgentAction(kind, agent, data or {}), script, facts, now)
                if kind in _RECORDS and not any(isinstance(a, _RECORDS[kind]) for a in acts):
                    # the step refused it: nothing of it is applied (no state, no decision),
                    # and the caller is told why (the step's detail: G-02 limits, UK-06
                    # identity not confirmed)
                    why = next((dict(a.detail) for a in acts if isinstance(a, A.Audit)
                                and a.rule in ("G-02", "UK-06") and "agent_error" in a.detail),
                               {"agent_error": "refused"})
                    raise AgentActionRefused(kind, why)
                self.apply(s, conv, new_state, acts, script, facts, accounts, now, in_reply_to=None)
                if kind == "take_over":
                    conv.assigned_agent = agent
                    self._cancel_waiting(s, conv, now, rule="G-01",
                                         reason="an agent took the conversation over while it waited")
                if kind in ("hand_back", "close"):
                    s.execute(update(Handoff).where(Handoff.conversation_id == conv.id,
                                                    Handoff.resolved_at.is_(None)).values(resolved_at=now))
                    conv.assigned_agent = None
                s.add(Decision(conversation_id=conv.id, rule="G-01", verdict="record", actor=f"agent:{agent}",
                               created_at=now, detail={"agent_action": kind, **_jsonable(dict(data or {}))}))
                mode = conv.mode
        self.notify("conversation", conv_id)
        self.dispatch(conv_id)
        return mode

    @on_business_clock
    def fire_timer(self, conv_id: int, name: str, data: dict[str, Any] | None = None,
                   timer_id: int | None = None) -> bool:
        """Feed a :class:`bot.types.TimerFired` event to the conversation (worker, tests).
        With ``timer_id`` the Timer row is marked fired in the step's own transaction,
        only if it was not yet (exactly once across workers); returns False when it was."""
        self.refresh_settings()
        with self.locks.get(conv_id):
            with self.sessions() as s, s.begin():
                conv = storage_db.lock_conversation(s, conv_id)
                now = self.clock()
                if timer_id is not None and s.execute(
                        update(Timer).where(Timer.id == timer_id, Timer.fired_at.is_(None))
                        .values(fired_at=now)).rowcount != 1:
                    return False
                script = self.script_for(s, conv)
                facts, accounts = self.facts_for(s, conv, now)
                state = ConversationState(state=conv.state, slots=dict(conv.slots or {}), mode=conv.mode)
                new_state, acts = dialogs.step(state, TimerFired(name, data or {}), script, facts, now)
                self.apply(s, conv, new_state, acts, script, facts, accounts, now, in_reply_to=None)
        self.notify("conversation", conv_id)
        self.dispatch(conv_id)
        return True

    # --- apply actions ------------------------------------------------------------------------

    def apply(self, s: Session, conv: Conversation, new_state: ConversationState,
              acts: Iterable[Any], script: Any, facts: Facts, accounts: list[Account],
              now: dt.datetime, in_reply_to: Message | None) -> None:
        """Apply a step's actions, in order, inside the caller's transaction. The new
        state (and mode) is written first so the gate sees, e.g., an agent's ownership
        that this very step started."""
        if s.info.get(_REPLIED) and new_state.mode != conv.mode:
            s.info[_GATE_INPUTS_CHANGED] = True
        conv.state, conv.slots, conv.mode = new_state.state, dict(new_state.slots), new_state.mode
        conv.language = new_state.slots.get("lang", conv.language)
        by_ref = {a.account_ref: a for a in accounts}
        chosen = by_ref.get(new_state.slots.get("account_ref")) if new_state.slots else None
        if chosen is not None:
            conv.account_id = chosen.id
        source_id = in_reply_to.id if in_reply_to is not None else None
        extra_params: dict[str, str] = {}
        acts = list(acts)
        # G-01: a new handoff outside agent hours says when a person will answer; that
        # message replaces the generic "we'll get back to you soon", which would contradict it.
        after_hours = (any(isinstance(a, A.Handoff) for a in acts) and "agent_after_hours" in script.templates
                       and self._agents_open_at(now) is not None
                       and s.scalar(select(Handoff.id).where(Handoff.conversation_id == conv.id,
                                                             Handoff.resolved_at.is_(None))) is None)
        # ... and goes after the step's own answer (the sympathy text before "our team is away")
        after_hours_for: Handoff | None = None
        for act in acts:
            if isinstance(act, _GATE_INPUT_ACTS) and s.info.get(_REPLIED):
                s.info[_GATE_INPUTS_CHANGED] = True
            if isinstance(act, A.Reply) and after_hours and act.template == "handoff_notice":
                continue
            if isinstance(act, A.Reply):
                params = {**act.params, **extra_params}
                if act.template in DEBT_FREE_TEMPLATES:
                    # US-12/UK-06: these may reach someone not confirmed: no debt detail,
                    # whatever the script's text asks for
                    params = {k: ("" if k in DEBT_PARAMS else v) for k, v in params.items()}
                variant = outbound.assign_variant(conv, script, act.template, self.random)
                if variant == "A":
                    body = templates.render(script, act.template, act.lang, params)
                else:
                    body = templates.render(script, act.template, act.lang, params, variant=variant)
                body = disclosures.with_disclosure(body, self._profile_of(conv, accounts, chosen), act.lang,
                                                   act.kind)  # US-14
                outbound.submit(s, conv, body, kind=act.kind, sender="bot", now=now,
                                transport=self._transport_name(), in_reply_to=in_reply_to,
                                behaviour=self.settings.behaviour, template=act.template,
                                meta={"variant": variant,
                                      "revision": self.revision_number(s, conv.script_revision_id)},
                                collection=is_collection(script, act.template))
                s.info[_REPLIED] = True
            elif isinstance(act, A.IssuePayLink):
                acct = by_ref.get(act.account_ref)
                if acct is None:
                    continue
                token = secrets.token_urlsafe(24)
                ttl = int(self.settings.behaviour.get("payments", {}).get("link_ttl_hours", 72))
                s.add(PaymentLink(token=token, account_id=acct.id, created_at=now,
                                  expires_at=now + dt.timedelta(hours=ttl)))
                base = str(self.settings.behaviour.get("payments", {}).get("link_base", ""))
                extra_params["pay_link"] = base + token
            elif isinstance(act, A.OptOut):
                for channel in sorted(act.channels):
                    active = s.scalar(select(OptOut.id).where(
                        OptOut.phone == conv.customer_phone, OptOut.channel == channel,
                        OptOut.revoked_at.is_(None)))
                    if active is None:
                        s.add(OptOut(phone=conv.customer_phone, channel=channel, scope=act.scope,
                                     source="inbound", source_message_id=source_id, created_at=now))
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule="US-05",
                               verdict="record", actor="bot", created_at=now,
                               detail={"opt_out": sorted(act.channels), "scope": act.scope}))
                if "sms" in act.channels:
                    self._cancel_waiting(s, conv, now)
                record_event(s, "opt_out", account_id=conv.account_id, conversation_id=conv.id, now=now,
                             payload={"phone": conv.customer_phone, "channels": sorted(act.channels),
                                      "scope": act.scope})
                s.flush()
            elif isinstance(act, A.OptIn):
                s.execute(update(OptOut).where(OptOut.phone == conv.customer_phone,
                                               OptOut.channel == "sms", OptOut.revoked_at.is_(None))
                          .values(revoked_at=now))
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule="opt-in",
                               verdict="record", actor="bot", created_at=now, detail={}))
                s.flush()
            elif isinstance(act, A.SetHold):
                targets = [by_ref[act.account_ref]] if act.account_ref in by_ref else accounts
                # the decision and the events below still record each message
                _add_holds(s, act.kind, act.rule or None, conv.customer_phone,
                           [a.id for a in targets] or [None], source_id, now)
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule=act.rule or f"hold:{act.kind}",
                               verdict="record", actor="bot", created_at=now, detail={"hold": act.kind}))
                if act.kind in ("dispute", "cease"):  # US-16 / US-17 (cease: "stop all contact")
                    for acct in targets or [None]:
                        record_event(s, act.kind, account_id=acct.id if acct else None,
                                     conversation_id=conv.id, now=now,
                                     payload={"phone": conv.customer_phone, "rule": act.rule or None})
                s.flush()
            elif isinstance(act, A.Handoff):
                open_ = s.scalar(select(Handoff).where(Handoff.conversation_id == conv.id,
                                                       Handoff.resolved_at.is_(None))
                                 .order_by(Handoff.id).limit(1))
                due = self._sla_due(act.reason, now)
                if open_ is None:
                    ho = Handoff(conversation_id=conv.id, reason=act.reason, priority=act.priority,
                                 created_at=now, sla_due_at=due)
                    s.add(ho)
                    s.flush()
                    after_hours_for = ho
                    escalated = None
                else:
                    # UK-07 "immediate escalation", G-01: a more urgent request (self-harm
                    # words while a dispute waits; a cease while a counter-offer waits)
                    # gives the open hand-off its reason and priority, and a shorter SLA
                    # (bereavement: 30 min while a dispute's 60 run) brings it forward —
                    # one open hand-off per conversation, never left at the slower one;
                    # the earlier reason stays in the audit trail and the flags
                    raised = handoff_rules.raise_open(open_.reason, open_.priority, open_.sla_due_at,
                                                      act.reason, act.priority, due)
                    escalated = raised.earlier
                    if escalated is not None:
                        s.add(AuditEntry(actor="system", action="handoff_escalated", conversation_id=conv.id,
                                         created_at=now, detail={
                                             "handoff_id": open_.id,
                                             "from": {"reason": escalated[0], "priority": escalated[1]},
                                             "to": {"reason": raised.reason, "priority": raised.priority}}))
                    open_.reason, open_.priority, open_.sla_due_at = raised.reason, raised.priority, raised.sla_due_at
                    s.flush()
                self._flag(s, conv, f"handoff:{act.reason}", now)
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule="G-01",
                               verdict="record", actor="bot", created_at=now,
                               detail={"handoff": act.reason, "priority": act.priority,
                                       **({"escalated_from": {"reason": escalated[0], "priority": escalated[1]}}
                                          if escalated else {})}))
                record_event(s, "handoff", account_id=conv.account_id, conversation_id=conv.id, now=now,
                             payload={"reason": act.reason, "priority": act.priority,
                                      **({"escalated_from": escalated[0]} if escalated else {})})
                s.flush()
            elif isinstance(act, A.Flag):
                self._flag(s, conv, act.name, now)
            elif isinstance(act, A.Quarantine):
                s.execute(update(Phone).where(Phone.e164 == conv.customer_phone,
                                              Phone.quarantined_at.is_(None)).values(quarantined_at=now))
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule="US-12",
                               verdict="record", actor="bot", created_at=now, detail={"quarantine": True}))
                record_event(s, "wrong_number", account_id=conv.account_id, conversation_id=conv.id, now=now,
                             payload={"phone": conv.customer_phone})
                s.flush()
            elif isinstance(act, A.RecordPromise):
                acct = by_ref.get(act.account_ref)
                if acct is None:
                    continue
                promise = Promise(account_id=acct.id, conversation_id=conv.id, amount_minor=act.amount_minor,
                                  currency=acct.currency, due_date=act.due_date, status="pending",
                                  source=act.source, created_at=now, updated_at=now)
                s.add(promise)
                s.flush()
                _supersede(s, acct, conv.id, source_id, now, by={"by_promise_id": promise.id},
                           promises_except=promise.id)
                record_event(s, "promise.made", account_id=acct.id, conversation_id=conv.id, now=now,
                             payload={"promise_id": promise.id, "currency": acct.currency,
                                      "amount": str(from_minor(act.amount_minor, acct.currency)),
                                      "due_date": act.due_date.isoformat(), "source": act.source})
                s.add(Decision(conversation_id=conv.id, message_id=source_id, account_id=acct.id,
                               rule="G-02", verdict="record", actor=act.source, created_at=now,
                               detail={"promise": {"amount_minor": act.amount_minor,
                                                   "due_date": act.due_date.isoformat()}}))
            elif isinstance(act, A.RecordPlan):
                acct = by_ref.get(act.account_ref)
                if acct is None:
                    continue
                plan = Plan(account_id=acct.id, conversation_id=conv.id, kind=act.kind,
                            total_minor=sum(a for _, a in act.instalments), currency=acct.currency,
                            status="active", source=act.source, created_at=now, updated_at=now)
                s.add(plan)
                s.flush()
                for i, (due, amount) in enumerate(act.instalments, start=1):
                    s.add(Instalment(plan_id=plan.id, seq=i, due_date=due, amount_minor=amount,
                                     status="pending"))
                _supersede(s, acct, conv.id, source_id, now, by={"by_plan_id": plan.id}, plans_except=plan.id)
                s.add(Decision(conversation_id=conv.id, message_id=source_id, account_id=acct.id,
                               rule="G-02", verdict="record", actor=act.source, created_at=now,
                               detail={"plan": act.kind, "instalments": len(act.instalments)}))
                record_event(s, "plan.agreed", account_id=acct.id, conversation_id=conv.id, now=now,
                             payload={"plan_id": plan.id, "kind": act.kind, "currency": acct.currency,
                                      "total": str(from_minor(plan.total_minor, acct.currency)),
                                      "instalments": [{"due_date": d.isoformat(),
                                                       "amount": str(from_minor(a, acct.currency))}
                                                      for d, a in act.instalments]})
            elif isinstance(act, A.OfferPlans):
                acct = by_ref.get(act.account_ref)
                uk = acct is not None and str((self.settings.behaviour.get("profiles", {}).get(acct.profile) or {})
                                              .get("jurisdiction", "")).upper() in ("UK", "GB")
                s.add(Decision(conversation_id=conv.id, message_id=source_id,
                               account_id=acct.id if acct else None, rule="UK-01" if uk else "plan:offer",
                               verdict="record",
                               actor="bot", created_at=now,
                               detail={"offered": [dict(p) for p in _jsonable(act.plans)]}))
            elif isinstance(act, A.Schedule):
                s.add(Timer(conversation_id=conv.id, name=act.name, due_at=act.at,
                            data=_jsonable(dict(act.data)), created_at=now))
            elif isinstance(act, A.SetContactWindow):
                # US-03 (12 CFR 1006.6(b)(1)) / UK-05 (CONC 7.9.4R): the phone's one active
                # window; the previous one is revoked, the outbound gate reads the newest
                s.execute(update(ContactWindow).where(ContactWindow.phone == conv.customer_phone,
                                                      ContactWindow.revoked_at.is_(None))
                          .values(revoked_at=now))
                s.add(ContactWindow(phone=conv.customer_phone, start_minute=act.start_minute,
                                    end_minute=act.end_minute, source_message_id=source_id, created_at=now))
                window = f"{act.start_minute // 60:02d}:{act.start_minute % 60:02d}–" \
                         f"{act.end_minute // 60:02d}:{act.end_minute % 60:02d}"
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule=act.rule,
                               verdict="record", actor="bot", created_at=now,
                               detail={"contact_window": window,
                                       "start_minute": act.start_minute, "end_minute": act.end_minute,
                                       **({"said": list(act.said)} if act.said else {})}))
                s.flush()
            elif isinstance(act, A.Audit):
                s.add(Decision(conversation_id=conv.id, message_id=source_id, rule=act.rule,
                               verdict="record", actor="bot", created_at=now,
                               detail=_jsonable(dict(act.detail))))
            else:  # an action this runner does not know is a bug, never a silent drop
                raise TypeError(f"unknown action {act!r}")
        # ... but not under a hold that silences the phone (US-17 cease, US-18 attorney,
        # deceased, ...): a person may not text back then, so "a person will reply" is false
        silenced = (bool(gate.silencing_holds(facts.accounts))
                    or any(isinstance(a, A.SetHold) and a.kind in gate.SILENCING_HOLDS for a in acts))
        if after_hours_for is not None and not silenced:
            self._after_hours_notice(s, conv, after_hours_for, script, facts, now, in_reply_to)

    def _agents_open_at(self, now: dt.datetime) -> dt.datetime | None:
        """When agents are next on shift (``[agent.hours]``), or ``None`` if they are now
        (or the hours are malformed: then they are treated as on shift, with a warning)."""
        conf = (self.settings.behaviour.get("agent") or {}).get("hours")
        try:
            return agent_hours.next_open(now, conf)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("[agent.hours] is malformed (%s); treating agents as on shift", exc)
            return None

    def _after_hours_notice(self, s: Session, conv: Conversation, ho: Handoff, script: Any,
                            facts: Facts, now: dt.datetime, in_reply_to: Message | None) -> None:
        """G-01: a handoff made while no agent is on shift (``[agent.hours]``) tells the
        customer once, through the gate, when a person will answer. The time is shown
        in the customer's zone, with the zone's abbreviation."""
        opens = self._agents_open_at(now)
        if opens is None or "agent_after_hours" not in script.templates:
            return
        lang = str(conv.slots.get("lang") or conv.language or "en")
        zone = self._zone(conv, facts)
        local = opens.astimezone(ZoneInfo(zone)) if _valid_zone(zone) else opens
        when = (f"{dialogs.format_date(local.date(), lang)} {local:%H:%M} {local:%Z}".rstrip() if lang != "zh"
                else f"{dialogs.format_date(local.date(), lang)}{local:%H:%M}")
        try:
            body = templates.render(script, "agent_after_hours", lang, {"when": when})
        except Exception:
            log.exception("agent_after_hours did not render")
            return
        outbound.submit(s, conv, body, kind="handoff_notice", sender="system", now=now,
                        transport=self._transport_name(), in_reply_to=in_reply_to,
                        template="agent_after_hours", approved=True, behaviour=self.settings.behaviour)
        ho.expectation_sent_at = now

    def _cancel_waiting(self, s: Session, conv: Conversation, now: dt.datetime, rule: str = "US-05",
                        reason: str = "the customer opted out while it waited") -> None:
        """US-05/US-07 (12 CFR 1006.14(h)(1)): texts Duly started that still wait
        (deferred by the hours, a cap, a pause) are refused at the opt-out, not merely
        held: a later START does not release dunning queued before the customer said
        stop. That covers an agent's own text that answers nothing (kind ``agent``, no
        ``in_reply_to``; :func:`bot.gate.started_text`) as well as the cadence's. G-01:
        the same at an agent's take-over (``rule="G-01"``), so a hand-back does not
        release a text written before a person spoke to the customer."""
        waiting = s.execute(select(Message.id, Message.conversation_id, Message.account_id).where(
            Message.direction == "outbound", Message.to_number == conv.customer_phone,
            Message.status.in_(("deferred", "pending")), Message.in_reply_to_id.is_(None),
            Message.kind.in_(tuple(gate.INITIATED_KINDS) + (gate.AGENT_KIND,)))).all()
        if waiting:   # one UPDATE for them all, one decision each
            s.execute(update(Message).where(Message.id.in_([w.id for w in waiting]))
                      .values(status="refused", updated_at=now))
        for w in waiting:
            s.add(Decision(conversation_id=w.conversation_id, message_id=w.id, account_id=w.account_id,
                           rule=rule, verdict="refuse", actor="gate", created_at=now,
                           detail={"reason": reason}))

    def _profile_of(self, conv: Conversation, accounts: list[Account], chosen: Account | None) -> Mapping[str, Any]:
        """The jurisdiction profile a reply speaks under: the chosen account's, else the
        phone's single account's, else the configured default."""
        acct = chosen or (accounts[0] if len(accounts) == 1 else None)
        profiles = self.settings.behaviour.get("profiles", {}) or {}
        name = acct.profile if acct is not None else str(self.settings.behaviour.get("default_profile", ""))
        return profiles.get(name, {}) or {}

    def _flag(self, s: Session, conv: Conversation, name: str, now: dt.datetime) -> None:
        exists = s.scalar(select(Flag.id).where(Flag.conversation_id == conv.id, Flag.name == name))
        if exists is None:
            s.add(Flag(conversation_id=conv.id, name=name, created_at=now))
            s.flush()

    def _transport_name(self) -> str:
        return "console" if self.settings.transport == "console" else "rest"

    # --- 3. answer ----------------------------------------------------------------------------

    @on_business_clock
    def claim_replies(self, inbound_id: int) -> list[tuple[int, str]]:
        """Claim the allowed replies to ``inbound_id`` for the TwiML answer, exactly once.

        Before claiming, messages of the conversation stored meanwhile (a STOP sent right
        after) are acted on, and each reply passes the gate again at this moment: a reply
        made before an opt-out or a handoff was processed is refused, not sent (US-05,
        US-07, G-01). Returns ``(message_id, body)`` pairs in order. Under the console
        transport the claimed replies are also printed and marked ``sent``; under Twilio
        they become ``queued`` and their status callbacks (the ``action`` URL) settle them."""
        with self.sessions() as s:
            conv_id = s.scalar(select(Message.conversation_id).where(Message.id == inbound_id))
        if conv_id is None:
            return []
        claimed: list[tuple[int, str, str]] = []
        with self.locks.get(conv_id):
            for _ in range(3):
                with self.sessions() as s:
                    waiting = s.scalar(select(Message.id).where(
                        Message.conversation_id == conv_id, Message.direction == "inbound",
                        Message.processed_at.is_(None)).limit(1))
                if waiting is not None:
                    self._drain_locked(conv_id)
                    continue
                with self.sessions() as s, s.begin():
                    storage_db.lock_conversation(s, conv_id)  # serialise with the conversation's step
                    claimed = self._claim_rows(s, inbound_id, self.clock(), recheck=True)
                break
        self._print_claimed(claimed)
        return [(mid, body) for mid, body, _ in claimed]

    def _claim_rows(self, s: Session, inbound_id: int, now: dt.datetime, *,
                    recheck: bool, rows: list[Message] | None = None) -> list[tuple[int, str, str]]:
        """Claim the pending TwiML replies to ``inbound_id`` in ``s``'s transaction (the
        caller holds the conversation's row lock): each becomes ``queued`` (``sent``
        under the console transport). ``recheck``: run the gate again first
        (:func:`runner.outbound.redecide`, US-01/US-05/US-07/G-01) — needed whenever
        anything was processed or written after the reply was decided; a reply claimed
        in the very transaction that decided it, with nothing the gate reads written
        since, keeps that decision. A reply that may not go now moves to the outbox
        (deferred) or is refused. ``rows``: the pending TwiML replies to ``inbound_id``,
        when the caller knows them all (it made them in this transaction:
        :func:`_made_here`); else they are selected. Returns ``(message_id, body, to)``
        triples in order."""
        console = self.settings.transport == "console"
        if rows is None:
            rows = s.scalars(_Q_TWIML_REPLIES, {"inbound_id": inbound_id}).all()
        claimed: list[tuple[int, str, str]] = []
        for row in rows:
            if recheck:
                verdict = outbound.redecide(s, row, now, behaviour=self.settings.behaviour)
                if verdict.action == "defer":
                    # it may not go now (a paused sender, a profile whose replies
                    # follow the hours): the outbox sends it when it may
                    row.transport = self._transport_name()
                if verdict.action != "send":
                    continue
            row.status = "sent" if console else "queued"
            row.updated_at = now
            row.sent_at = now if console else None
            claimed.append((row.id, row.body, row.to_number))
        return claimed

    def _print_claimed(self, claimed: list[tuple[int, str, str]]) -> None:
        """Under the console transport, print claimed replies (after their commit)."""
        if self.settings.transport == "console" and self.transport is not None:
            for _, body, to in claimed:
                self.transport.send(to=to, from_="", body=body)

    @on_business_clock
    def dispatch(self, conv_id: int | None = None) -> int:
        """Under the console transport (dev, demo, tests), print allowed messages that do
        not ride in a TwiML answer, right after commit, each re-decided at the gate first
        (US-01: the check is at dispatch). Under Twilio the worker (``duly worker``) sends
        them, with pacing, ValidityPeriod and error classes. Returns how many went."""
        if self.transport is None or self.settings.transport != "console" or not self.dispatch_enabled:
            return 0
        sent = 0
        with self.sessions() as s:
            q = select(Message.id).where(Message.direction == "outbound", Message.status == "pending",
                                         Message.transport.in_(("console", "rest")))
            if conv_id is not None:
                q = q.where(Message.conversation_id == conv_id)
            ids = s.scalars(q.order_by(Message.id)).all()
        for mid in ids:
            with self.sessions() as s, s.begin():
                row = s.scalar(select(Message).where(Message.id == mid, Message.status == "pending")
                               .with_for_update())
                if row is None:
                    continue
                now = self.clock()
                if outbound.redecide(s, row, now, behaviour=self.settings.behaviour).action != "send":
                    continue
                row.status, row.sent_at, row.updated_at = "sent", now, now
                to, body = row.to_number, row.body
            self.transport.send(to=to, from_="", body=body)
            sent += 1
        return sent

    # --- status callbacks -------------------------------------------------------------------

    @on_business_clock
    def status_callback(self, sid: str, status: str, error_code: str | None, to: str,
                        message_id: int | None = None) -> None:
        """Apply a Twilio status callback: statuses never move backwards (callbacks
        arrive out of order), an error code is never overwritten by an empty one, and
        an error code is applied by ``runner.worker.apply_provider_error`` (21610 marks
        the recipient opted out, US-05; 30003 marks the number undeliverable; ...)."""
        now = self.clock()
        with self.sessions() as s, s.begin():
            row = None
            if message_id is not None:
                row = s.scalar(select(Message).where(Message.id == message_id,
                                                     Message.direction == "outbound").with_for_update())
            if row is None:
                row = s.scalar(select(Message).where(Message.provider_sid == sid,
                                                     Message.direction == "outbound").with_for_update())
            if row is not None:
                if row.provider_sid is None:
                    taken = s.scalar(select(Message.id).where(Message.provider_sid == sid))
                    if taken is None:
                        row.provider_sid = sid
                moved = STATUS_RANK.get(status, -1) > STATUS_RANK.get(row.status, 0)
                if moved:
                    row.status = status
                    row.updated_at = now
                # an error code is never overwritten by an empty one, nor pinned on a
                # message whose status the callback could not move
                if error_code and (moved or row.error_code is None and status in ("failed", "undelivered")):
                    row.error_code = error_code
                if status in ("delivered", "read") and not error_code:
                    # G-02: a text reached the number after it was marked undeliverable
                    left = row.sent_at or row.created_at
                    clear_undeliverable(s, row.to_number, now, reason=f"a later message was {status}",
                                        conversation_id=row.conversation_id, message_id=row.id,
                                        sent_after=left)
            # the recipient is the stored message's, never a form field that disagrees
            recipient = row.to_number if row is not None else to
            if error_code:  # one table for what each provider error means (runner/transports.py)
                from runner.worker import apply_provider_error
                apply_provider_error(s, error_code, message=row, recipient=recipient, now=now,
                                     settings=self.settings, sid=sid)
            if row is None:
                log.info("status %s for unknown message %s…", status, sid[:6])


def clear_undeliverable(s: Session, phone: str, now: dt.datetime, *, reason: str,
                        conversation_id: int | None = None, message_id: int | None = None,
                        marks: Iterable[tuple[dt.datetime, str | None]] = (),
                        sent_after: dt.datetime | None = None) -> int:
    """Lift the provider's undeliverable mark (``Phone.undeliverable_at``/``_code``, set by
    a 21211/21614/30003/30005/30006 status: :func:`runner.worker.apply_provider_error`)
    from every link of ``phone``: the number texted us, or a later message to it was
    delivered (``sent_after``: only marks set at or before that message left, so a late
    "delivered" for an older text does not lift a newer mark). G-02: a mark never
    silences a working number for good (the reminders of her promise go). Writes a
    decision (rule ``provider:undeliverable``, verdict ``record``, ``cleared``) when a
    mark was lifted; no flush of the session's other changes. Returns the links cleared."""
    from sqlalchemy import update

    cond = [Phone.e164 == phone, Phone.undeliverable_at.is_not(None)]
    if sent_after is not None:
        cond.append(Phone.undeliverable_at <= sent_after)
    n = s.execute(update(Phone).where(*cond).values(undeliverable_at=None, undeliverable_code=None)
                  .execution_options(synchronize_session=False)).rowcount or 0
    if n:
        seen = sorted(marks, key=lambda x: x[0])
        s.add(Decision(conversation_id=conversation_id, message_id=message_id, rule="provider:undeliverable",
                       verdict="record", actor="system", created_at=now,
                       detail={"cleared": True, "reason": reason, "phones": n,
                               "since": seen[0][0].isoformat() if seen else None,
                               "provider_error": seen[0][1] if seen else None}))
    return n


def _add_holds(s: Session, kind: str, rule: str | None, phone: str, account_ids: list[int | None],
               source_id: int | None, now: dt.datetime) -> None:
    """Hold ``kind`` on each of ``account_ids`` (``None``: on ``phone`` alone, no account),
    one active hold of a kind per account or per phone: a second vulnerable text keeps the
    first hold. One SELECT for all of them."""
    ids = [a for a in account_ids if a is not None]
    held = set(s.execute(select(Hold.account_id).where(
        Hold.kind == kind, Hold.cleared_at.is_(None),
        or_(Hold.account_id.in_(ids), and_(Hold.account_id.is_(None), Hold.phone == phone)))).scalars())
    for acct_id in account_ids:
        if acct_id not in held:
            s.add(Hold(account_id=acct_id, phone=phone, kind=kind, rule=rule,
                       source_message_id=source_id, created_at=now))


def _made_here(s: Session, inbound_id: int) -> list[Message]:
    """The replies to ``inbound_id`` that :func:`runner.outbound.submit` stored in ``s``'s
    transaction and that still wait for the TwiML answer — what :data:`_Q_TWIML_REPLIES`
    selects when, as in the drain's fast path, the message was unprocessed until this
    transaction (so every reply to it was made here, under the conversation's row lock)."""
    from sqlalchemy import inspect as sa_inspect

    rows = [r for r in s.info.get(outbound.TWIML_PENDING, ())
            if r.in_reply_to_id == inbound_id and r.status == "pending" and r.transport == "twiml"
            and sa_inspect(r).persistent]
    return sorted(rows, key=lambda r: r.id)


def _supersede(s: Session, acct: Account, conv_id: int, source_id: int | None, now: dt.datetime, *,
               by: dict[str, int], promises_except: int | None = None,
               plans_except: int | None = None) -> None:
    """One arrangement per account (G-02): the arrangement just recorded (``by``:
    ``{"by_promise_id": id}`` or ``{"by_plan_id": id}``) replaces the account's other pending promises and — for
    a plan (``plans_except`` set) — its other active plans. They become ``superseded``:
    not pending/active any more, so no reminder, never broken or missed, no hold on the
    cadence; a payment never keeps them. Each gets a G-02 decision and an event
    (``promise.superseded``/``plan.superseded``, payload ``by``)."""
    q = select(Promise).where(Promise.account_id == acct.id, Promise.status == "pending")
    if promises_except is not None:
        q = q.where(Promise.id != promises_except)
    old_promises = s.scalars(q.order_by(Promise.id)).all()
    old_plans = s.scalars(select(Plan).where(Plan.account_id == acct.id, Plan.status == "active",
                                            Plan.id != plans_except).order_by(Plan.id)).all() \
        if plans_except is not None else []
    for p in old_promises:
        p.status, p.updated_at = "superseded", now
        s.add(Decision(conversation_id=conv_id, message_id=source_id, account_id=acct.id, rule="G-02",
                       verdict="record", actor="system", created_at=now,
                       detail={"promise_id": p.id, "superseded": True, **by}))
        record_event(s, "promise.superseded", account_id=acct.id, conversation_id=conv_id, now=now,
                     payload={"promise_id": p.id, "currency": p.currency,
                              "amount": str(from_minor(p.amount_minor, p.currency)),
                              "due_date": p.due_date.isoformat(), **by})
    for plan in old_plans:
        plan.status, plan.updated_at = "superseded", now
        s.add(Decision(conversation_id=conv_id, message_id=source_id, account_id=acct.id, rule="G-02",
                       verdict="record", actor="system", created_at=now,
                       detail={"plan_id": plan.id, "superseded": True, **by}))
        record_event(s, "plan.superseded", account_id=acct.id, conversation_id=conv_id, now=now,
                     payload={"plan_id": plan.id, "kind": plan.kind, **by})


def _arrangement(promise_id: int | None, promise_amount: int | None, promise_due: dt.date | None,
                 plan_id: int | None, plan_kind: str | None, next_amount: int | None,
                 next_due: dt.date | None, next_status: str | None
                 ) -> tuple[PromiseFacts | None, PlanFacts | None]:
    """The arrangement columns of one :data:`_Q_FACT_ACCOUNTS` row as facts."""
    promise = (PromiseFacts(int(promise_id), int(promise_amount), promise_due)
               if promise_id is not None and promise_amount is not None and promise_due is not None else None)
    plan = (PlanFacts(int(plan_id), str(plan_kind or ""),
                      int(next_amount) if next_amount is not None else None, next_due,
                      next_status == "missed")
            if plan_id is not None else None)
    return promise, plan


def _identity_answer(acts: Iterable[Any]) -> str | None:
    """The account_ref whose identity answer the step wants checked, if any."""
    for act in acts:
        if isinstance(act, A.Audit) and act.rule == "UK-06" and act.detail.get("identity_answer"):
            return str(act.detail.get("account_ref") or "")
    return None


def _jsonable(value: Any) -> Any:
    """Plain JSON values: dates as ISO strings, Decimals as strings, tuples as lists."""
    import decimal

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "items"):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
