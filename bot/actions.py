"""Actions a dialog step returns; the runner applies them in one transaction.

A step never performs I/O: it says what should happen, in order. The runner
(``runner/inbound.py``) turns each action into rows (messages, promises, plans,
opt-outs, holds, flags, timers, audit) and, after commit, hands outbound messages
to the outbound gate. Money is integer minor units of the account's currency;
dates are calendar dates in the customer's zone; datetimes are aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Reply:
    """Send a message rendered from the script's ``template`` in ``lang``.

    params: placeholder values (already formatted strings). The runner adds
        ``pay_link`` after an :class:`IssuePayLink` in the same step.
    kind: ``reply`` (answer to the customer's message), ``optout_confirmation``
        (the one confirmation allowed after an opt-out, US-08),
        ``optin_confirmation`` (the answer to START/UNSTOP, US-27), ``help``,
        ``handoff_notice``, ``notice`` (a collection notice Duly starts itself, e.g.
        ``bot.dialogs.opening``: waits for the allowed hours) or ``system``. The
        outbound gate decides by kind.
    """

    template: str
    lang: str
    params: Mapping[str, str] = field(default_factory=dict)
    kind: str = "reply"


@dataclass(frozen=True)
class IssuePayLink:
    """Create an opaque, expiring payment token for ``account_ref`` and expose
    its URL to later replies of this step as ``pay_link``."""

    account_ref: str


@dataclass(frozen=True)
class OfferPlans:
    """Record which repayment plans were offered (for the audit and results)."""

    account_ref: str
    plans: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class RecordPromise:
    """A promise-to-pay (PTP): ``amount_minor`` on ``due_date`` (customer's zone).

    It becomes the account's one promise: the runner marks every other ``pending``
    promise of the account ``superseded`` (never broken, no reminder; event
    ``promise.superseded``). The step never records one while a plan is active."""

    account_ref: str
    amount_minor: int
    due_date: dt.date
    source: str = "bot"


@dataclass(frozen=True)
class RecordPlan:
    """A repayment plan: ``kind`` is ``instalments``, ``deferral`` or
    ``interest_free``; ``instalments`` are ``(due_date, amount_minor)`` pairs
    whose amounts add up exactly to the plan's total.

    It becomes the account's one arrangement: the runner marks every ``pending``
    promise and every other ``active`` plan of the account ``superseded`` (never
    broken or missed, no reminder; events ``promise.superseded``/``plan.superseded``)."""

    account_ref: str
    kind: str
    instalments: tuple[tuple[dt.date, int], ...]
    source: str = "bot"


@dataclass(frozen=True)
class OptOut:
    """Record an opt-out for this phone. ``channels``: subset of
    ``{"sms", "voice", "email"}``; ``scope`` ``all`` (every creditor) or
    ``creditor``. Only ``sms`` suppresses texts (12 CFR 1006.14(h), US-05)."""

    channels: frozenset[str]
    scope: str = "all"


@dataclass(frozen=True)
class OptIn:
    """The customer texted START/UNSTOP: lift the SMS opt-out."""


@dataclass(frozen=True)
class SetHold:
    """Pause automated collection for ``account_ref`` (or every account on the
    phone when ``None``): ``kind`` is ``dispute``, ``cease``, ``attorney``,
    ``bankruptcy``, ``paid_already``, ``optout_review``, ``vulnerability``,
    ``wrong_number``."""

    kind: str
    account_ref: str | None = None
    rule: str = ""


@dataclass(frozen=True)
class Handoff:
    """Hand the conversation to a human agent; the bot goes silent.

    reason: ``agent_request``, ``dispute``, ``attorney``, ``bankruptcy``,
        ``paid_already``, ``hardship``, ``abuse``, ``low_confidence``,
        ``optout_review``, ``counter_offer``, ``misunderstood``, ``wrong_number``,
        ``identity_failed`` (right-party check failed too often, UK-06),
        ``hold_review`` (a message or a START while a cease, attorney, bankruptcy,
        deceased or recalled hold stands: the bot may not answer, a person decides),
        ``contact_time`` (a time restriction the window cannot hold, or one leaving no
        allowed time: US-03/UK-05).
    priority: 1 (highest) .. 5.
    """

    reason: str
    priority: int = 3


@dataclass(frozen=True)
class Flag:
    """Add a flag string to the conversation (e.g. ``dispute``, ``wrong_number``)."""

    name: str


@dataclass(frozen=True)
class Quarantine:
    """This phone is not the customer's (wrong number): never send debt detail to
    it again and stop automated sends (US-12)."""


@dataclass(frozen=True)
class Schedule:
    """Fire a :class:`bot.types.TimerFired` named ``name`` at ``at`` (aware UTC)."""

    name: str
    at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetContactWindow:
    """The customer said when texts suit them (US-03, 12 CFR 1006.6(b)(1); UK-05, CONC
    7.9.4R): this phone's window becomes ``[start_minute, end_minute)``, minutes after
    local midnight in the customer's zone (``start > end`` wraps midnight), already
    narrowed to the profile's allowed hours (never wider). The runner revokes the phone's
    previous window and writes a ``contact_windows`` row; the outbound gate defers
    initiated texts outside it. ``said``: the window as the customer said it; ``rule``:
    ``US-03`` or ``UK-05``. A window that leaves no allowed time is written as said (the
    gate then refuses initiated texts, US-03) and the step hands off to a person."""

    start_minute: int
    end_minute: int
    rule: str = "US-03"
    said: tuple[int, int] | None = None


@dataclass(frozen=True)
class Audit:
    """Write a decision-log row: ``rule`` (a COMPLIANCE.md ID or a script rule)
    and ``detail``."""

    rule: str
    detail: Mapping[str, Any] = field(default_factory=dict)


Action = (Reply | IssuePayLink | OfferPlans | RecordPromise | RecordPlan | OptOut
          | OptIn | SetHold | Handoff | Flag | Quarantine | Schedule | SetContactWindow | Audit)
