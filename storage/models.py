"""Duly's tables as SQLAlchemy 2 typed models.

Conventions
-----------
* Money: ``BigInteger`` minor units in columns named ``*_minor`` (``5000`` is
  50.00 USD) next to an ISO 4217 ``currency``. Never ``Numeric``/``Float``.
* Times: :class:`storage.types.UTCDateTime` (aware UTC in and out; naive refused).
  Calendar dates in the customer's zone (due dates, promise dates) are ``Date``.
* Enumerated values are plain strings (documented per column) so adding a value
  needs no migration; the code validates them.
* JSON columns (:data:`storage.types.JSONType`) are not mutation-tracked: assign
  a new value to change them.
* Every change to this file needs a new Alembic revision in
  ``storage/migrations/versions``; ``tests/test_storage_migrations.py`` compares
  the migrated schema with this metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .types import JSONType, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is what migrations must produce."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def _updated() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


# --- accounts and phones -------------------------------------------------------------

class Account(Base):
    """A customer's overdue credit-card or loan account (from the loan system).

    ``delinquent_since`` is the date the account became past due; DPD is derived
    (:meth:`dpd`), never stored. ``identity_hash`` is the hashed right-party
    check value (``storage.accounts.hash_identity``), never the clear value.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_ref: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    balance_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    past_due_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    minimum_due_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    delinquent_since: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="en")
    creditor: Mapped[str | None] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(64), nullable=False)
    identity_hash: Mapped[str | None] = mapped_column(String(255))
    consent_source: Mapped[str | None] = mapped_column(String(200))
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    phones: Mapped[list[Phone]] = relationship(back_populates="account",
                                               cascade="all, delete-orphan")

    def dpd(self, today: dt.date) -> int:
        """Days past due on ``today`` (a date in the customer's zone); 0 when current."""
        if self.delinquent_since is None:
            return 0
        return max(0, (today - self.delinquent_since).days)


class Phone(Base):
    """A phone number (E.164) linked to an account. One number may serve several
    accounts and one account may have several numbers. ``quarantined_at`` is set
    when the holder said "wrong number": no debt detail goes to it for that
    account again (US-12)."""

    __tablename__ = "phones"
    __table_args__ = (UniqueConstraint("e164", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), index=True, nullable=False)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True, nullable=False)
    quarantined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: set when the provider says the number cannot get texts (21211, 21614, 30003,
    #: 30005, 30006): cadence stops and the account is flagged for tracing.
    undeliverable_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    undeliverable_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = _created()

    account: Mapped[Account] = relationship(back_populates="phones")


# --- conversations and messages ----------------------------------------------------

class Conversation(Base):
    """One thread between a customer phone and one of our numbers.

    state/slots/mode mirror :class:`bot.types.ConversationState`; ``mode`` is
    ``"bot"`` or ``"agent"``. ``script_revision_id`` pins the script revision
    the conversation runs on. ``account_id`` is the chosen account (``None`` while
    unknown or while the phone has several and none is chosen). ``version`` is
    an optimistic-concurrency counter maintained by the ORM (``version_id_col``):
    a stale flush raises ``StaleDataError``; the row lock
    (:func:`storage.db.lock_conversation`) is the real guard.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("customer_phone", "our_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_phone: Mapped[str] = mapped_column(String(20), index=True, nullable=False)
    our_number: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(64), nullable=False, default="start")
    slots: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    mode: Mapped[str] = mapped_column(String(8), nullable=False, default="bot")
    script_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("script_revisions.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    assigned_agent: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    account: Mapped[Account | None] = relationship()
    script_revision: Mapped[ScriptRevision | None] = relationship()


class Message(Base):
    """An SMS/MMS in either direction.

    direction: ``"inbound"`` | ``"outbound"``.
    provider_sid: Twilio's MessageSid (unique; ``None`` until an outbound row is sent).
    body: exactly as received/sent (the webhook replaces NUL after validation).
    status: inbound ``received``; outbound ``pending``, ``queued``, ``sending``,
        ``sent``, ``delivered``, ``undelivered``, ``failed``, ``refused`` (the gate
        said no; reason in the decision log), ``deferred``, ``unknown``, ``read``.
    kind: ``reply``, ``optout_confirmation``, ``help``, ``handoff_notice``,
        ``agent``, ``notice``, ... (the gate decides by kind).
    media: list of ``{"url", "content_type"}``; params: the webhook form as received.
    processed_at: inbound only — when the runner acted on it; ``NULL`` = not yet
        (the repair sweep finds these via the ``(direction, processed_at)`` index).
    not_before: earliest send time of a deferred outbound message.
    transport: ``twiml``, ``rest``, ``console``; sender: ``bot``,
        ``agent:<email>``, ``system``.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_direction_processed_at", "direction", "processed_at"),
        Index("ix_messages_direction_status_not_before", "direction", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id"), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(64), nullable=False)
    to_number: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(16))
    num_segments: Mapped[int | None] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[str | None] = mapped_column(String(32))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False,
                                                        default=list)
    num_media: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    transport: Mapped[str | None] = mapped_column(String(16))
    sender: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: the account a collection message is about (caps are per debt, ST-01/US-20).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: send attempts by the worker (retries only before the request left, or on 429).
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    conversation: Mapped[Conversation] = relationship()


# --- arrangements ------------------------------------------------------------------

class Promise(Base):
    """A promise-to-pay: ``amount_minor`` by ``due_date`` (customer's zone).
    status: ``pending``, ``kept``, ``broken``, ``cancelled``, ``superseded`` (a newer promise
    or a plan on the same account replaced it before its date: no reminder, never broken;
    a plain string, no migration). source: ``bot``, ``agent:<email>``, ``api``."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True,
                                            nullable=False)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"),
                                                        index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    source: Mapped[str] = mapped_column(String(255), nullable=False, default="bot")
    #: the payment that kept it (a reversed payment reopens the promise).
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class Plan(Base):
    """A repayment plan. kind: ``instalments``, ``deferral``, ``interest_free``;
    status: ``active``, ``completed``, ``broken``, ``cancelled``, ``superseded`` (a newer plan
    on the same account replaced it; its unpaid instalments are left as they were and no
    longer reminded or missed). The instalments'
    ``amount_minor`` add up exactly to ``total_minor``."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True,
                                            nullable=False)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"),
                                                        index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    total_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    source: Mapped[str] = mapped_column(String(255), nullable=False, default="bot")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Instalment.seq")


class Instalment(Base):
    """One instalment of a plan (``seq`` from 1). status: ``pending``, ``paid``,
    ``missed``."""

    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    #: the payment that paid it (a reversed payment reopens the instalment).
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    plan: Mapped[Plan] = relationship(back_populates="instalments")


class Payment(Base):
    """A payment posted by the loan system (``POST /api/payments``), recorded once
    per ``payment_ref``."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_ref: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True,
                                            nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    #: a returned payment: the balance goes back up and what it settled reopens.
    reversed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# --- compliance ----------------------------------------------------------------------

class OptOut(Base):
    """An opt-out of ``phone`` (E.164) from ``channel`` (``sms``, ``voice``,
    ``email``); scope ``all`` or ``creditor`` (then ``creditor`` is set). source:
    ``inbound``, ``provider_21610``, ``agent``, ``api``. Active while
    ``revoked_at IS NULL`` (START sets it)."""

    __tablename__ = "opt_outs"
    __table_args__ = (Index("ix_opt_outs_phone_revoked_at", "phone", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default="sms")
    scope: Mapped[str] = mapped_column(String(16), nullable=False, default="all")
    creditor: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = _created()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Hold(Base):
    """A pause on automated collection for an account and/or a phone. kind:
    ``dispute``, ``cease``, ``attorney``, ``bankruptcy``, ``paid_already``,
    ``optout_review``, ``vulnerability``, ``wrong_number``, ...; rule: the
    COMPLIANCE.md ID. Active while ``cleared_at IS NULL``."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    rule: Mapped[str | None] = mapped_column(String(32))
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = _created()
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cleared_by: Mapped[str | None] = mapped_column(String(255))
    #: ``sms`` (from a customer's text), ``api`` (the loan system: post, court,
    #: recall), ``agent:<email>``; note: free text from whoever set it.
    source: Mapped[str] = mapped_column(String(64), nullable=False, default="sms",
                                        server_default="sms")
    note: Mapped[str | None] = mapped_column(Text)


class Flag(Base):
    """A flag string on a conversation (``dispute``, ``handoff:agent_request``, ...)."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("conversation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"),
                                                 nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = _created()


class Handoff(Base):
    """A request for a human agent. priority 1 (highest) .. 5; open while
    ``resolved_at IS NULL``; ``assigned_to`` is the agent's email once claimed."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"),
                                                 index=True, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    created_at: Mapped[dt.datetime] = _created()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    #: when the SLA for this reason runs out (``[console.sla_minutes]``), UTC
    sla_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: when the past-SLA alert was raised (once)
    alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: the customer was told when to expect a person (outside agent hours; once)
    expectation_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Decision(Base):
    """Append-only decision/audit log. rule: a COMPLIANCE.md ID (``US-05``) or an
    internal rule (``gate:agent_owned``); verdict: ``send``, ``defer``,
    ``refuse``, ``record``, ...; actor: ``bot``, ``gate``, ``agent:<email>``,
    ``system``. The ORM refuses updates and deletes (:class:`AppendOnlyError`)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = _created()
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"),
                                                        index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to update or delete an append-only row."""


@event.listens_for(Decision, "before_update")
@event.listens_for(Decision, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: Decision) -> None:
    raise AppendOnlyError(f"decisions are append-only (id={target.id})")


# --- scripts, links, timers ------------------------------------------------------------

class ScriptRevision(Base):
    """A dialog script revision (TOML ``body``). status: ``draft``, ``submitted``,
    ``approved``, ``published``, ``retired``; at most one ``published`` per name
    (kept by :mod:`storage.scripts`)."""

    __tablename__ = "script_revisions"
    __table_args__ = (UniqueConstraint("name", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    created_by: Mapped[str] = mapped_column(String(255), nullable=False, default="system")
    approved_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = _created()
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: the revision number this one was edited from (stale-save check)
    based_on: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: why it was changed (shown to the approver)
    note: Mapped[str | None] = mapped_column(Text)


class SettingsRevision(Base):
    """A version of the settings admins may change without code (plan policy, promise
    limits, caps, quiet hours, agent hours): ``body`` is a JSON overlay on
    ``config.toml``'s behaviour, checked against its ``[bounds]``. The highest
    ``version`` is in force on every host. Append-only."""

    __tablename__ = "settings_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = _created()


class PaymentLink(Base):
    """An opaque, expiring payment token (``secrets.token_urlsafe(24)``, made by
    the caller) for one account; never the account number."""

    __tablename__ = "payment_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True,
                                            nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Timer(Base):
    """A scheduled :class:`bot.types.TimerFired` for a conversation; due while
    ``fired_at IS NULL and due_at <= now`` (index ``(fired_at, due_at)``)."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_fired_at_due_at", "fired_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"),
                                                 index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    fired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = _created()


# --- the collection cycle (cadence, consent, windows, events, workers) ------------------

class Consent(Base):
    """Consent to texts for ``phone`` (US-10): how (``source``) and when the
    customer agreed; ``revoked_at`` set by an opt-out of texts."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True, nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default="sms")
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    consented_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = _created()


class ContactWindow(Base):
    """A time the customer said suits them (US-03, UK-05): minutes after local
    midnight, ``[start_minute, end_minute)``, in the customer's zone. The latest
    active window per phone narrows the profile's allowed hours, never widens them."""

    __tablename__ = "contact_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True, nullable=False)
    start_minute: Mapped[int] = mapped_column(Integer, nullable=False)
    end_minute: Mapped[int] = mapped_column(Integer, nullable=False)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = _created()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CadenceSend(Base):
    """One cadence step queued for one account in one delinquency episode
    (``delinquent_since``): the unique key makes each step go once. status:
    ``queued`` (message row made), ``held`` (a rule held it: ``rule``),
    ``skipped``."""

    __tablename__ = "cadence_sends"
    __table_args__ = (UniqueConstraint("account_id", "step", "delinquent_since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True, nullable=False)
    step: Mapped[str] = mapped_column(String(64), nullable=False)
    delinquent_since: Mapped[dt.date] = mapped_column(Date, nullable=False)
    profile: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    rule: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = _created()


class Event(Base):
    """An outcome the lender's systems hear about (``GET /api/events?after=ID`` and
    HMAC-signed webhooks). kind: ``promise.made``, ``promise.kept``,
    ``promise.broken``, ``plan.agreed``, ``dispute``, ``opt_out``, ``wrong_number``,
    ``handoff``, ``cease``, ``payment.applied``, ``payment.reversed``, ...
    Delivery bookkeeping: ``attempts``, ``next_attempt_at``, ``delivered_at``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_delivered_at_next_attempt_at", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = _created()
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(255))


class WorkerLease(Base):
    """A named lease (``outbox`` on SQLite, where ``SKIP LOCKED`` does not exist):
    only its ``holder`` works until ``expires_at``."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)


class SenderPause(Base):
    """A sender (our number or messaging service) paused by the provider (30034):
    nothing goes from it until ``paused_until``."""

    __tablename__ = "sender_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False)
    paused_until: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[dt.datetime] = _created()


__all__ = [
    "Base", "NAMING_CONVENTION", "Account", "Phone", "Conversation", "Message",
    "Promise", "Plan", "Instalment", "Payment", "OptOut", "Hold", "Flag", "Handoff",
    "Decision", "AppendOnlyError", "ScriptRevision", "PaymentLink", "Timer",
    "Consent", "ContactWindow", "CadenceSend", "Event", "WorkerLease", "SenderPause",
]


# --- console: users, sessions, audit, notes -----------------------------------------------

class User(Base):
    """A console user. role: ``agent`` or ``admin``. ``password_hash`` is an argon2id
    PHC string (:mod:`console.auth`). ``session_version`` is bumped by a password change
    or a forced sign-out: every session made under an older version is refused."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    active: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = _created()


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256
    (``token_hash``, hex) is stored. ``csrf_token`` is the synchronizer token for this
    session. Valid while not revoked, not expired, and ``user_version`` equals the
    user's ``session_version``."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    user_version: Mapped[int] = mapped_column(Integer, nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class AuditEntry(Base):
    """Append-only audit log of people's actions (console sign-in, take over, reply,
    note, promise recorded, hand back, assign...). actor: the user's email (or
    ``system``); action: a short verb such as ``take_over``; detail: JSON."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = _created()
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AppendOnlyError(f"the audit log is append-only (id={target.id})")


class Note(Base):
    """A private note an agent wrote on a conversation; never sent to the customer."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True,
                                                 nullable=False)
    author: Mapped[str] = mapped_column(String(255), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _created()


class FormNonce(Base):
    """A one-time token of a console form that sends something (an agent's reply):
    the same form submitted twice sends once. Rows older than a day may be purged."""

    __tablename__ = "form_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = _created()

