"""Domain types shared by the pure core (intents, dialogs, gate).

Everything here is immutable data: no I/O, no clock reads. Money is either
``Decimal`` in major units (what a customer typed, e.g. ``Decimal("50")``) or an
``int`` in minor units (what an account holds, e.g. ``5000`` for 50.00 USD);
field names ending in ``_minor`` are minor units. Datetimes are timezone-aware;
storage keeps them in UTC and the core converts to the customer's zone only to
decide and to display.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

# --- intents -----------------------------------------------------------------

#: Every intent name ``bot.intents.interpret`` may return (the corpus's labels).
INTENTS: tuple[str, ...] = (
    "pay", "plan", "promise", "stop", "start", "help", "agent", "dispute",
    "paid_already", "wrong_number", "hardship", "attorney", "bankruptcy",
    "balance", "identity_check_answer", "who_is_this", "abuse", "auto_reply",
    "affirm", "deny", "choice", "contact_time", "unknown",
)

#: What the bot last asked; decides how a bare ``1`` or ``yes`` is read.
CONTEXTS: tuple[str, ...] = ("notice", "confirm", "plan_offer", "ask_date",
                             "ask_amount", "verify", "opted_out")

#: Intents the compliance layer owns: no script can remove or override them.
COMPLIANCE_INTENTS: frozenset[str] = frozenset(
    {"stop", "start", "help", "attorney", "bankruptcy", "dispute", "wrong_number"})


@dataclass(frozen=True)
class Entities:
    """What a reply carries besides its intent.

    amount: major units as typed (``Decimal("1250.00")``), currency-less.
    amount_max: upper end when the customer gave a range (两三百 → 200..300).
    date: the calendar date in the customer's zone (future-preferring).
    time: a local time of day when one was given (两点半 → 14:30).
    option: a plan number chosen from an offer (1-based).
    channel: for ``stop``: ``sms``, ``voice``, ``email``, ``all`` or a ``+``-joined
        combination such as ``sms+voice``.
    window: a standing time the customer said suits them (US-03, 12 CFR 1006.6(b)(1);
        UK-05, CONC 7.9.4R) as they said it: ``(start_minute, end_minute)``, minutes after
        local midnight, ``[start, end)``, ``start > end`` wraps midnight ("after 6pm" →
        ``(1080, 1440)``, "not before noon" → ``(720, 1440)``). Not yet narrowed to the
        profile's allowed hours (the dialog engine does that).
    """

    amount: Decimal | None = None
    amount_max: Decimal | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    option: int | None = None
    channel: str | None = None
    window: tuple[int, int] | None = None

    def as_json(self) -> dict[str, Any]:
        """Entities as the contract's JSON: amounts as 2-decimal strings, ISO dates;
        absent entities are left out."""
        out: dict[str, Any] = {}
        if self.amount is not None:
            out["amount"] = f"{self.amount:.2f}"
        if self.amount_max is not None:
            out["amount_max"] = f"{self.amount_max:.2f}"
        if self.date is not None:
            out["date"] = self.date.isoformat()
        if self.time is not None:
            out["time"] = self.time.strftime("%H:%M")
        if self.option is not None:
            out["option"] = self.option
        if self.channel is not None:
            out["channel"] = self.channel
        if self.window is not None:
            out["window"] = "%02d:%02d-%02d:%02d" % (*divmod(self.window[0], 60), *divmod(self.window[1], 60))
        return out


@dataclass(frozen=True)
class Intent:
    """The reading of one customer message.

    name: one of :data:`INTENTS`.
    confidence: 0.0..1.0; compliance rules use a threshold from config.
    entities: see :class:`Entities`.
    lang: ``"en"`` or ``"zh"`` when the text clearly is one, else ``None``.
    rule: short id of the rule that decided (for the decision trace).
    """

    name: str
    confidence: float
    entities: Entities = field(default_factory=Entities)
    lang: str | None = None
    rule: str = ""


#: :attr:`Intent.rule` of a report, by someone else, that the account holder died ("he
#: passed away last month", "the account holder died, I'm his daughter", 我爸走了，这是他的
#: 手机): intent ``unknown`` (a person must read it), and the dialog engine places a
#: ``deceased`` hold and hands off (UK-07; 12 CFR 1006.6(a)(4)).
DECEASED_REPORT_RULE = "unknown.deceased"

#: :attr:`Intent.rule` of a hardship reply with self-harm words ("honestly I want to kill
#: myself over this debt", "I want to end it all", 我不想活了; the words: ``bot.self_harm``):
#: intent ``hardship`` still, and the dialog engine answers with the crisis-support text
#: (``self_harm_support``: no payment talk, no amounts), places a vulnerability hold and
#: hands off at priority 1 with reason ``self_harm`` (UK-07 "self-harm terms → immediate
#: escalation", G-01) — even while a hand-off is open or a dispute is pending.
SELF_HARM_RULE = "hardship.self_harm"

#: The one table of hold kinds and the COMPLIANCE.md rule each enforces — the engine's
#: holds from a customer's text, the console's and the API's, the gate's refusals and the
#: cadence's held rows all name a hold's rule from here: dispute US-16, cease US-17,
#: attorney US-18, vulnerability and deceased UK-07 (bereavement), wrong number US-12,
#: opt-out review US-06; bankruptcy and "already paid" go to a person (G-01).
HOLD_RULES: dict[str, str] = {
    "dispute": "US-16", "cease": "US-17", "attorney": "US-18", "bankruptcy": "G-01",
    "paid_already": "G-01", "optout_review": "US-06", "vulnerability": "UK-07",
    "wrong_number": "US-12", "deceased": "UK-07",
}


def hold_rule(kind: str) -> str:
    """The rule a hold of ``kind`` enforces (:data:`HOLD_RULES`), ``hold:<kind>`` for a
    kind the table does not name (``recalled``: the lender took the debt back)."""
    return HOLD_RULES.get(kind) or f"hold:{kind}"


# --- account facts -------------------------------------------------------------

@dataclass(frozen=True)
class PromiseFacts:
    """The account's pending promise-to-pay (``promises.status = 'pending'``): ``amount_minor``
    (minor units of the account's currency) on ``due_date`` (the customer's zone); ``id`` is
    the ``promises`` row. At most one per account once the dialog replaces rather than adds
    (the newest pending one if older data holds several)."""

    id: int
    amount_minor: int
    due_date: dt.date


@dataclass(frozen=True)
class PlanFacts:
    """The account's active repayment plan (``plans.status = 'active'``) and what is owed on it
    next: the earliest unpaid instalment (``pending`` or ``missed``), ``next_amount_minor``
    (minor units) due ``next_due`` (the customer's zone); ``next_missed`` when that one's
    date has passed unpaid (the sweep marked it ``missed``). ``kind``: ``instalments``,
    ``deferral`` or ``interest_free``; ``id`` the ``plans`` row. ``next_due``/
    ``next_amount_minor`` are ``None`` only for a plan with nothing left unpaid (it is about
    to be marked ``completed``)."""

    id: int
    kind: str
    next_amount_minor: int | None = None
    next_due: dt.date | None = None
    next_missed: bool = False


@dataclass(frozen=True)
class AccountFacts:
    """One account as the dialog sees it (read-only snapshot).

    Money in minor units of ``currency`` (ISO 4217). ``dpd`` is days past due as
    of the step's ``now``. ``timezone`` is an IANA name. ``identity_required``
    says the profile wants right-party confirmation before any debt detail;
    ``identity_confirmed`` whether this conversation has it.

    The debt's current arrangement (the dialog keeps one per account: a plan replaces a
    pending promise, a new promise replaces the pending one, G-02): ``promise`` the pending
    promise-to-pay, ``plan`` the active repayment plan; ``None`` when there is none.
    """

    account_ref: str
    name: str
    currency: str
    balance_minor: int
    past_due_minor: int
    minimum_due_minor: int
    dpd: int
    due_date: dt.date | None
    timezone: str
    language: str = "en"
    creditor: str = ""
    creditor_contact: str = ""
    profile: str = "us_first_party"
    identity_required: bool = False
    identity_confirmed: bool = False
    holds: tuple[str, ...] = ()
    promise: PromiseFacts | None = None
    plan: PlanFacts | None = None


@dataclass(frozen=True)
class Facts:
    """Everything outside the conversation a step may read.

    accounts: the accounts on this phone (0 for an unknown sender, several when the
        phone serves more than one account).
    opted_out: channels this phone has opted out of (``{"sms"}``).
    policy: plan/promise policy and limits from config (plain mapping).
    keyword_replies: ``"app"`` (Duly answers STOP/START/HELP) or ``"provider"``
        (Twilio does, Duly stays quiet on those exact keywords).
    """

    accounts: tuple[AccountFacts, ...] = ()
    opted_out: frozenset[str] = frozenset()
    policy: Mapping[str, Any] = field(default_factory=dict)
    keyword_replies: str = "app"
    replies_last_hour: int = 0


# --- conversation state ------------------------------------------------------------

@dataclass(frozen=True)
class ConversationState:
    """A conversation's position in its script.

    state: a state name of the pinned script revision.
    slots: JSON-able working memory (pending promise, offered plans, misses, the
        chosen account_ref, language, ...).
    mode: ``"bot"`` or ``"agent"`` (an agent owns it; the bot stays silent except
        for opt-out and help).
    """

    state: str = "start"
    slots: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "bot"


# --- events ------------------------------------------------------------------------

@dataclass(frozen=True)
class InboundText:
    """A customer message, already interpreted. ``text`` is the body as received."""

    text: str
    intent: Intent


@dataclass(frozen=True)
class TimerFired:
    """A scheduled timer came due (``name`` as given to ``Schedule``)."""

    name: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentAction:
    """An agent acted on the conversation: ``kind`` is ``take_over``, ``hand_back``
    (``data["state"]`` names the state to resume in) or ``close``."""

    kind: str
    agent: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentPosted:
    """A payment reached the account: minor units, ``paid_at`` aware UTC."""

    account_ref: str
    amount_minor: int
    paid_at: dt.datetime


Event = InboundText | TimerFired | AgentAction | PaymentPosted


# --- transport-level messages ------------------------------------------------------

@dataclass(frozen=True)
class InboundMessage:
    """One inbound SMS/MMS as the webhook received it, after signature validation.

    provider_sid: Twilio's MessageSid. from_number / to_number: as sent (E.164).
    body: exactly as received, except NUL made safe (U+FFFD) for PostgreSQL.
    media: ``(url, content_type)`` pairs, ``num_media`` as Twilio counted them.
    params: every form field as received (first value of each), for the audit.
    """

    provider_sid: str
    from_number: str
    to_number: str
    body: str
    num_segments: int = 1
    num_media: int = 0
    media: tuple[tuple[str, str], ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)
