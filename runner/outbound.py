"""The one send path: every outbound message, whoever wrote it, passes here.

``submit()`` stores the message and asks the outbound gate (``bot.gate.decide``) in the
same transaction, writing the verdict and every rule evaluated to the decision log
(G-03). A refused message is kept with its reason (status ``refused``), a deferred one
waits with ``not_before`` (status ``deferred``); nothing is silently dropped. Sending
happens only after commit: replies to an inbound message ride back in that webhook's
TwiML answer (transport ``twiml``); everything else goes through a transport
(``runner/transports.py``) from ``dispatch()``.

Nothing else in Duly creates outbound message rows (``tests/test_gate_single_path.py``
checks the source).

The gate runs twice for anything that does not go at once: at ``submit()`` (scheduling)
and again at dispatch with :func:`redecide` — US-01 counts the time the message is
*sent*, and an opt-out, hold or cap may have arrived in between.

Configuration read here (``config.toml``; ``behaviour`` argument, else the file):
``reply_via`` (``twiml`` | ``api``), ``default_profile``, ``[profiles.*]``
(``allowed_hours``, ``replies_follow_hours``, ``caps``, ``on_cap``, ``states``,
``area_codes``, ``fallback_zones``, ``min_validity_seconds``, ``hours_rule``),
``[caps]`` (``default``, ``on_cap``) and ``[outbound] reply_stale_minutes`` (30: a reply
still waiting this long after it was written is refused as stale, ``gate:stale_reply``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from bot import gate, hours, lint, segments
from bot.phones import region_of, timezone_candidates
from storage import db as storage_db
from storage.models import (Account, CadenceSend, Consent, ContactWindow, Conversation, Decision, Handoff, Hold,
                            Instalment, Message, OptOut, Phone, Plan, Promise, SenderPause)

log = logging.getLogger("duly.outbound")

#: Delivery statuses in the order they can happen; a status callback never moves a
#: message to a lower rank (callbacks arrive out of order and carry no event time).
STATUS_RANK: dict[str, int] = {
    "pending": 0, "deferred": 0, "refused": 0,
    "accepted": 1, "scheduled": 1, "queued": 1,
    "sending": 2, "unknown": 2,
    "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4,
    "read": 5,
}


def mask_phone(e164: str) -> str:
    """A phone number fit for logs: ``+1555***0101``."""
    if len(e164) <= 6:
        return "***"
    return e164[:4] + "***" + e164[-4:]


@dataclass(frozen=True)
class Outbound:
    """What ``submit()`` stored: the row id, its status and the gate's verdict."""

    message_id: int
    status: str
    verdict: gate.Verdict


def _sender_kind(sender: str | None) -> str:
    sender = sender or "bot"
    return "agent" if sender.startswith("agent") else ("system" if sender == "system" else "bot")


#: Message kinds that never count towards a frequency cap (compliance answers).
UNCAPPED_KINDS: tuple[str, ...] = ("optout_confirmation", "optin_confirmation", "help", "handoff_notice")

#: The product cap when neither the profile nor ``[caps] default`` names one (US-20:
#: ≤1 proactive collection text per day and ≤3 per 7 days per debt).
PRODUCT_CAPS: tuple[gate.Cap, ...] = (gate.Cap("US-20", 1, 1), gate.Cap("US-20", 3, 7))

#: ``Session.info`` key :func:`submit` sets when it stored a message the worker sends now
#: (``pending`` outside a TwiML answer): after commit, ``runner.jobs.kick_outbox``.
#: ``session.info`` key: the session's transaction will be rolled back (``duly campaign
#: run --dry-run``): :func:`submit` decides as usual but counts no metric and logs no
#: refusal at INFO.
DRY_RUN = "duly.dry_run"
OUTBOX_QUEUED = "duly.outbox_queued"

#: ``Session.info`` key: the rows :func:`submit` stored in this session that wait for a
#: TwiML answer (``pending``, transport ``twiml``), so the webhook that claims them in the
#: same transaction need not select them again (``runner.inbound.Runner._claim_rows``).
TWIML_PENDING = "duly.twiml_pending"

#: ``[outbound] reply_stale_minutes`` when the config does not say: a reply to the
#: customer's message still waiting this long after it was written is no answer "at that
#: time" (12 CFR 1006.6(b)(1) comment 6(b)(1)-2) and is refused (``gate:stale_reply``).
REPLY_STALE_MINUTES = 30


def reply_stale_seconds(behaviour: Mapping[str, Any]) -> float | None:
    """``[outbound] reply_stale_minutes`` in seconds (default :data:`REPLY_STALE_MINUTES`;
    0 or less: no limit, ``None``)."""
    minutes = float((behaviour.get("outbound") or {}).get("reply_stale_minutes", REPLY_STALE_MINUTES))
    return minutes * 60 if minutes > 0 else None


#: Hours rule per jurisdiction (profile ``hours_rule`` overrides).
HOURS_RULES: dict[str, str] = {"US": "US-01", "CN": "CN-01", "UK": "UK-05", "GB": "UK-05"}


_FILE_CACHE: dict[tuple[str, str], Mapping[str, Any]] = {}


def _file_behaviour() -> Mapping[str, Any]:
    """The config file's behaviour (``$DULY_CONFIG``, else ./config.toml, else the
    repository's), cached per (``DULY_CONFIG``, working directory). Callers that hold
    :class:`duly.config.Settings` should pass ``behaviour=settings.behaviour`` instead."""
    import os

    from duly.config import load_behaviour

    key = (os.environ.get("DULY_CONFIG", ""), os.getcwd())
    found = _FILE_CACHE.get(key)
    if found is None:
        found = _FILE_CACHE[key] = load_behaviour()[0]
    return found


def _behaviour(behaviour: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return _file_behaviour() if behaviour is None else behaviour


def _caps_of(conf: Mapping[str, Any], behaviour: Mapping[str, Any]) -> tuple[gate.Cap, ...]:
    raw = conf.get("caps")
    if raw is None:
        raw = (behaviour.get("caps") or {}).get("default")
    if raw is None:
        return PRODUCT_CAPS
    return tuple(gate.Cap(str(c.get("rule", "US-20")), int(c["count"]), float(c["days"])) for c in raw)


def _nanp_area(e164: str) -> str | None:
    return e164[2:5] if e164.startswith("+1") and len(e164) == 12 else None


@dataclass(frozen=True)
class Recipient:
    """What :func:`gate_context` resolved besides the gate's view: the account the
    message is about, the profile (name and mapping), the primary zone (for the local
    time in the decision log) and the account's right-party status."""

    account_id: int | None
    profile_name: str
    profile: Mapping[str, Any]
    primary_zone: str
    identity_confirmed: bool
    initial: bool
    #: ``(message id, UTC time)`` of the initiated messages counted against the caps
    counted: tuple[tuple[int, dt.datetime], ...] = ()


# --- the gate context's statements, built once (bind parameters; SQLAlchemy's compiled
# cache then serves them without rebuilding the expression tree per message) -----------

_NONE_ID = -1  #: ``excl`` when no message is left out (ids are positive)
_ACCOUNT_COLS = (Account.id, Account.account_ref, Account.profile, Account.timezone, Account.state,
                 Account.country, Account.balance_minor, Account.past_due_minor, Account.delinquent_since)
_Q_ACCOUNTS = (select(*_ACCOUNT_COLS).join(Phone, Phone.account_id == Account.id)
               .where(Phone.e164 == bindparam("phone")).order_by(Account.id))
_Q_ACCOUNT = select(*_ACCOUNT_COLS).where(Account.id == bindparam("acct_id"))
_Q_ACCOUNT_IDS_ON_PHONE = select(Phone.account_id).where(Phone.e164 == bindparam("phone"))
_WINDOW = (select(ContactWindow.start_minute, ContactWindow.end_minute)
           .where(ContactWindow.phone == bindparam("phone"), ContactWindow.revoked_at.is_(None))
           .order_by(ContactWindow.created_at.desc(), ContactWindow.id.desc()).limit(1))


def contact_window(session: Any, phone: str) -> dict[str, Any] | None:
    """The phone's active window (US-03, 12 CFR 1006.6(b)(1); UK-05, CONC 7.9.4R) as the
    gate reads it: ``{"start": "18:00", "end": "21:00", "since": ISO UTC}`` (local time of
    the customer), ``None`` when the customer never said."""
    row = session.execute(select(ContactWindow.start_minute, ContactWindow.end_minute, ContactWindow.created_at)
                          .where(ContactWindow.phone == phone, ContactWindow.revoked_at.is_(None))
                          .order_by(ContactWindow.created_at.desc(), ContactWindow.id.desc()).limit(1)).first()
    if row is None:
        return None
    start, end, since = row
    return {"start": "%02d:%02d" % divmod(start, 60), "end": "%02d:%02d" % divmod(end, 60),
            "since": since.isoformat() if since else None}


#: G-01: an agent owns customer ``phone`` on another of our numbers than conversation
#: ``conv_id`` (the bot stays silent there too; also read by ``runner.inbound``'s drain)
AGENT_ELSEWHERE = select(Conversation.id).where(
    Conversation.customer_phone == bindparam("phone"), Conversation.id != bindparam("conv_id"),
    Conversation.mode == "agent").limit(1)
#: the debts a message is about (as :func:`resolve` picks them): account ``acct``, or with
#: ``all_on_phone`` every account on the number
_ALL_ON_PHONE = bindparam("all_on_phone", type_=Boolean)


def _of_debts(col: Any) -> Any:
    return or_(col == bindparam("acct"), and_(_ALL_ON_PHONE, col.in_(
        select(Phone.account_id).where(Phone.e164 == bindparam("phone")))))


#: the customer's conversations: this number's, and those of another number of the debts
_PERSON_CONVS = or_(Conversation.customer_phone == bindparam("phone"),
                    Conversation.customer_phone.in_(select(Phone.e164).where(_of_debts(Phone.account_id))))

#: every per-phone probe in one statement (scalar subqueries; PostgreSQL and SQLite); the
#: last six are G-01/G-02 for an initiated message: the customer's conversations in agent
#: mode or with an open hand-off (claimed or not), when the latest hand-off on them
#: started, the latest date of a pending promise to pay on the debts, when the latest
#: promise on them was made, the last pending instalment date of an active plan on them,
#: when the latest plan on them was agreed
_Q_PROBE = select(
    select(func.max(OptOut.created_at)).where(
        OptOut.phone == bindparam("phone"), OptOut.channel == "sms", OptOut.revoked_at.is_(None))
    .scalar_subquery(),
    select(func.count(Phone.id)).where(Phone.e164 == bindparam("phone"), Phone.quarantined_at.is_not(None))
    .scalar_subquery(),
    select(func.count(Phone.id)).where(Phone.e164 == bindparam("phone"), Phone.undeliverable_at.is_not(None))
    .scalar_subquery(),
    select(func.count(Consent.id)).where(
        Consent.phone == bindparam("phone"), Consent.channel == "sms", Consent.revoked_at.is_(None),
        Consent.consented_at <= bindparam("now")).scalar_subquery(),
    _WINDOW.with_only_columns(ContactWindow.start_minute).scalar_subquery(),
    _WINDOW.with_only_columns(ContactWindow.end_minute).scalar_subquery(),
    select(func.max(SenderPause.paused_until)).where(
        SenderPause.sender == bindparam("sender"), SenderPause.paused_until > bindparam("now"))
    .scalar_subquery(),
    select(Message.id).where(
        Message.direction == "outbound", Message.to_number == bindparam("phone"),
        Message.status.not_in(("refused", "deferred")), Message.id != bindparam("excl")).limit(1)
    .scalar_subquery(),
    AGENT_ELSEWHERE.scalar_subquery(),
    select(func.count(Conversation.id)).where(_PERSON_CONVS, or_(
        Conversation.mode == "agent",
        select(Handoff.id).where(Handoff.conversation_id == Conversation.id, Handoff.resolved_at.is_(None))
        .exists())).scalar_subquery(),
    select(func.max(Handoff.created_at)).join(Conversation, Conversation.id == Handoff.conversation_id)
    .where(_PERSON_CONVS).scalar_subquery(),
    select(func.max(Promise.due_date)).where(_of_debts(Promise.account_id), Promise.status == "pending")
    .scalar_subquery(),
    select(func.max(Promise.created_at)).where(_of_debts(Promise.account_id)).scalar_subquery(),
    # G-02: an active plan protects the debts as a promise does, until its last pending
    # instalment's date (a missed one breaks the plan in the sweep), and one agreed after
    # a text was queued makes that text stale
    select(func.max(Instalment.due_date)).join(Plan, Plan.id == Instalment.plan_id).where(
        _of_debts(Plan.account_id), Plan.status == "active", Instalment.status == "pending").scalar_subquery(),
    select(func.max(Plan.created_at)).where(_of_debts(Plan.account_id)).scalar_subquery(),
)
_Q_CONFIRMATIONS = select(func.count(Message.id)).where(
    Message.to_number == bindparam("phone"), Message.direction == "outbound",
    Message.kind == "optout_confirmation", Message.status != "refused",
    Message.created_at >= bindparam("since"), Message.id != bindparam("excl"))
_Q_HOLDS = select(Hold.kind).where(
    Hold.cleared_at.is_(None),
    or_(Hold.phone == bindparam("phone"),
        Hold.account_id.in_(select(Phone.account_id).where(Phone.e164 == bindparam("phone"))))
).order_by(Hold.id)
_WHEN = func.coalesce(Message.sent_at, Message.updated_at)
#: initiated messages counted against the caps: statuses other than refused/deferred,
#: not replies, not the uncapped kinds, newer than ``since``, the message itself left out
_COUNTED = (Message.direction == "outbound", Message.status.not_in(("refused", "deferred")),
            Message.in_reply_to_id.is_(None),
            or_(Message.kind.is_(None), Message.kind.not_in(UNCAPPED_KINDS)),
            Message.id != bindparam("excl"), _WHEN > bindparam("since"))
#: … for these debts, and messages with no account to this number or to any number of
#: these debts (an account-less message counts for every debt on its number: resolve())
_Q_RECENT_DEBTS = select(Message.id, _WHEN).where(*_COUNTED, or_(
    Message.account_id.in_(bindparam("debt_ids", expanding=True)),
    and_(Message.account_id.is_(None), or_(
        Message.to_number == bindparam("phone"),
        Message.to_number.in_(select(Phone.e164).where(
            Phone.account_id.in_(bindparam("debt_ids", expanding=True))))))))
#: … to the number, when no debt is known
_Q_RECENT_PHONE = select(Message.id, _WHEN).where(*_COUNTED, Message.to_number == bindparam("phone"))


def resolve(session: Session, conv: Conversation, now: dt.datetime, *,
            account_id: int | None = None, behaviour: Mapping[str, Any] | None = None,
            exclude_message_id: int | None = None,
            initiated: bool = True) -> tuple[gate.GateContext, Recipient]:
    """Build the gate's full view of ``conv``'s customer with set-based queries (a fixed
    number of statements whatever the number of accounts on the phone).

    account_id: the debt the message is about (else the conversation's chosen account,
    else every account on the phone counts — the conservative reading). Caps count
    initiated messages per debt (``Message.account_id``; messages with no account to the
    same number, or to another number of the debt, count too), statuses other than
    refused/deferred, timed by ``coalesce(sent_at, updated_at)``; ``exclude_message_id``
    leaves the message being re-decided out of its own count. The context's ``mode`` is
    ``agent`` when an agent owns this customer on any of our numbers (G-01). For an
    initiated message it also carries ``handoff_open``/``handoff_at`` (G-01: hand-offs
    on the customer's conversations, this number's and the debts' other numbers'),
    ``promise_until``/``promise_at`` (G-02: promises to pay on the debts; in force until
    the date plus ``[reminders] grace_days`` in the account's zone) — read in the same
    per-phone statement — and, for one debt, ``dpd`` (US-21). Candidate zones (US-02,
    US-01): the number's, and the stored zone and mailing address
    (:func:`storage.accounts.address_zones`: a US state, or a country abroad) of every
    account on the phone, whichever debt the message is about — read by the accounts
    query already made, no statement more.
    ``initiated=False``: the context is for a reply to the customer's message, which caps
    do not apply to (:func:`bot.gate.decide` reads ``recent_initiated`` only for initiated
    messages), so the counted messages are not read (``recent_initiated`` and
    ``Recipient.counted`` stay empty). Raises nothing for missing data: unknown zones fall
    back to the profile's ``fallback_zones``, else the phone region's default zone.
    """
    b = _behaviour(behaviour)
    profiles: Mapping[str, Any] = b.get("profiles", {}) or {}
    phone = conv.customer_phone
    acct_id = account_id if account_id is not None else conv.account_id

    # Accounts on the phone (one query), the chosen one first.
    accts = session.execute(_Q_ACCOUNTS, {"phone": phone}).all()
    # US-12: the message's account no longer lists this number (an import detached it)
    detached = acct_id is not None and not any(a.id == acct_id for a in accts)
    if detached:
        accts = list(session.execute(_Q_ACCOUNT, {"acct_id": acct_id}).all()) + list(accts)
    relevant = [a for a in accts if a.id == acct_id] if acct_id is not None else list(accts)
    default_profile = str(b.get("default_profile", "us_first_party"))
    profile_name = relevant[0].profile if relevant else default_profile
    if profile_name not in profiles:
        profile_name = default_profile
    conf: Mapping[str, Any] = profiles.get(profile_name, {}) or {}
    jurisdiction = str(conf.get("jurisdiction", "US")).upper()

    # Candidate zones (US-02): the number's, and the zone and address of every account on
    # the phone (not only the message's: the customer's newer address may be on her other
    # account) — a US state's zone, or every zone of a country abroad (address_zones).
    from storage.accounts import REGION_DEFAULT_ZONES, address_zones

    zones: list[str] = list(timezone_candidates(phone))
    for a in accts:
        if a.timezone:
            zones.append(a.timezone)
        zones.extend(address_zones(phone, a.state, a.country))
    if not zones:
        zones.extend(conf.get("fallback_zones", []) or [])
    if not zones:
        dz = REGION_DEFAULT_ZONES.get(region_of(phone) or "")
        if dz:
            zones.append(dz)
    zones = list(dict.fromkeys(z for z in zones if _valid_zone(z)))
    primary = relevant[0].timezone if relevant and relevant[0].timezone else (zones[0] if zones else "UTC")

    # Caps: the profile's, plus overlays of state profiles (ST-01: MA address or area code).
    caps = list(_caps_of(conf, b))
    area = _nanp_area(phone)
    for name, other in profiles.items():
        if name == profile_name or not other:
            continue
        states = {str(x).upper() for x in other.get("states", []) or []}
        codes = {str(x) for x in other.get("area_codes", []) or []}
        if any((a.state or "").upper() in states for a in relevant) or (area and area in codes):
            caps.extend(_caps_of(other, b))
    caps = list(dict.fromkeys(caps))
    span = dt.timedelta(days=max([c.days for c in caps] or [0]))

    excl = exclude_message_id if exclude_message_id is not None else _NONE_ID
    (latest_optout, quarantined, undeliverable, consent, cw_start, cw_end, paused, prior_id,
     agent_elsewhere, person_n, handoff_at, promise_due, promise_at, plan_due, plan_at) = session.execute(_Q_PROBE, {
         "phone": phone, "now": now, "sender": conv.our_number, "excl": excl, "conv_id": conv.id,
         "acct": acct_id if acct_id is not None else _NONE_ID, "all_on_phone": acct_id is None}).one()
    # an active plan counts as a promise (G-02): in force to its last pending instalment
    promise_due = max((d for d in (promise_due, plan_due) if d is not None), default=None)
    promise_at = max((t for t in (promise_at, plan_at) if t is not None), default=None)
    confirmations = 0
    if latest_optout is not None:
        confirmations = session.scalar(_Q_CONFIRMATIONS, {"phone": phone, "since": latest_optout,
                                                          "excl": excl}) or 0
    holds = session.scalars(_Q_HOLDS, {"phone": phone}).all()
    customer_window = None
    if cw_start is not None and cw_end is not None and cw_start != cw_end:
        customer_window = hours.customer_window(cw_start, cw_end)

    # Initiated messages counted for this debt (one statement).
    debt_ids = [a.id for a in relevant]
    counted_rows: list[Any] = []
    if caps and initiated:
        since = now - span
        if debt_ids:
            counted_rows = session.execute(_Q_RECENT_DEBTS, {"debt_ids": debt_ids, "phone": phone,
                                                             "excl": excl, "since": since}).all()
        else:
            counted_rows = session.execute(_Q_RECENT_PHONE, {"phone": phone, "excl": excl,
                                                             "since": since}).all()
    recent = tuple(r[1] for r in counted_rows)
    prior = 0 if prior_id is None else 1

    # G-01 hand-offs and G-02 promises (initiated messages only: a reply is not dunning).
    handoff_open, promise_until = False, None
    if not initiated:
        handoff_at = promise_at = None
    else:
        handoff_open = (person_n or 0) > 0
        grace = int((b.get("reminders") or {}).get("grace_days", 0) or 0)
        # the earliest local date among the debts' zones: in force until it is past them all
        today = min((_local_date(now, a.timezone) for a in relevant), default=_local_date(now, primary))
        promise_until = gate.promise_in_force(promise_due, grace, today)
    # US-21: the debt's days past due now, in its zone (one debt known; else not compared)
    dpd = None
    if len(relevant) == 1 and relevant[0].delinquent_since is not None:
        dpd = (_local_date(now, relevant[0].timezone) - relevant[0].delinquent_since).days

    confirmed = set((conv.slots or {}).get("identity_confirmed", []) or [])
    identity_ok = bool(relevant) and all(a.account_ref in confirmed for a in relevant)

    allowed = conf.get("allowed_hours")
    ctx = gate.GateContext(
        opted_out_sms=latest_optout is not None,
        optout_confirmations_since_optout=confirmations,
        holds=tuple(dict.fromkeys(holds)),
        # G-01: the bot is silent while an agent owns the customer, on any of our numbers
        mode="agent" if agent_elsewhere is not None else conv.mode,
        quarantined=(quarantined or 0) > 0,
        now=now,
        profile=profile_name,
        zones=tuple(zones),
        window=hours.window_from_hours(allowed) if allowed is not None else hours.DEFAULT_WINDOW,
        hours_rule=str(conf.get("hours_rule") or HOURS_RULES.get(jurisdiction.split("-")[0], "US-01")),
        customer_window=customer_window,
        replies_follow_hours=bool(conf.get("replies_follow_hours", False)),
        consent=(consent or 0) > 0,
        undeliverable=(undeliverable or 0) > 0,
        debt_cleared=bool(relevant) and all(
            a.past_due_minor <= 0 or a.balance_minor <= 0 or a.delinquent_since is None for a in relevant),
        sender_paused_until=paused,
        recent_initiated=recent,
        caps=tuple(caps),
        on_cap=str(conf.get("on_cap") or (b.get("caps") or {}).get("on_cap") or "defer"),
        min_validity_seconds=int(conf.get("min_validity_seconds", 60)),
        handoff_open=handoff_open,
        handoff_at=handoff_at,
        promise_until=promise_until,
        promise_at=promise_at,
        dpd=dpd,
        reply_stale_seconds=reply_stale_seconds(b),
        detached=detached,
    )
    rec = Recipient(account_id=acct_id, profile_name=profile_name, profile=conf, primary_zone=primary,
                    identity_confirmed=identity_ok, initial=prior == 0,
                    counted=tuple((r[0], r[1]) for r in counted_rows))
    return ctx, rec


def _local_date(now: dt.datetime, zone: str | None) -> dt.date:
    """``now``'s date in ``zone`` (UTC for an unknown zone)."""
    try:
        return now.astimezone(ZoneInfo(zone or "UTC")).date()
    except (KeyError, ValueError, OSError):
        return now.astimezone(dt.timezone.utc).date()


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (KeyError, ValueError, OSError):
        return False


def gate_context(session: Session, conv: Conversation, now: dt.datetime, *,
                 account_id: int | None = None, behaviour: Mapping[str, Any] | None = None,
                 exclude_message_id: int | None = None) -> gate.GateContext:
    """Build the gate's view of ``conv``'s customer from the database: opt-outs,
    confirmations since the latest opt-out, holds on every account of the phone and on
    the phone itself, quarantine, mode, consent (US-10), candidate zones and allowed
    hours (US-01/02), the customer's window (US-03), sender pauses, undeliverable
    number, and the initiated messages counted against the caps (US-20, ST-01).
    See :func:`resolve` for the arguments."""
    return resolve(session, conv, now, account_id=account_id, behaviour=behaviour,
                   exclude_message_id=exclude_message_id)[0]


def _local_time(now: dt.datetime, zone: str) -> str:
    try:
        return now.astimezone(ZoneInfo(zone)).isoformat()
    except (KeyError, ValueError, OSError):
        return now.isoformat()


def _candidate(body: str, *, kind: str, sender: str, in_reply: bool, approved: bool,
               rec: Recipient, queued_at: dt.datetime | None = None,
               collection: bool = False) -> gate.Candidate:
    sender_kind = _sender_kind(sender)
    problems: tuple[tuple[str, str], ...] = ()
    if not approved and (not in_reply or sender_kind == "agent"):
        found = lint.lint(body, profile=rec.profile, initial=rec.initial,
                          identity_confirmed=rec.identity_confirmed, known_params=set(),
                          reply=in_reply)
        problems = tuple((p.rule, p.message) for p in found)
    elif approved:
        # an approved template still never sends a threat, a disguised or sensitive text,
        # nor an amount to a party who never confirmed their identity (UK-06)
        problems = tuple((p.rule, p.message) for p in lint.hard_rules(
            body, profile=rec.profile, identity_confirmed=rec.identity_confirmed))
    return gate.Candidate(kind=kind, sender=sender_kind, in_reply_to_inbound=in_reply,
                          approved=approved, lint_problems=problems, queued_at=queued_at,
                          stated_dpd=lint.stated_days_past_due(body) if not in_reply else (),
                          collection=collection)


def _detail(verdict: gate.Verdict, rec: Recipient, ctx: gate.GateContext, now: dt.datetime, *,
            kind: str, sender: str, stage: str, template: str | None,
            approved: bool, collection: bool = False) -> dict[str, Any]:
    return {"kind": kind, "sender": sender, "reason": verdict.reason,
            "checks": [list(c) for c in verdict.checks], "profile": rec.profile_name,
            "local_time": _local_time(now, rec.primary_zone), "zones": list(ctx.zones),
            "until": verdict.until.isoformat() if verdict.until else None,
            "validity_seconds": verdict.validity_seconds, "stage": stage,
            "template": template, "approved": approved, "collection": collection}


def assign_variant(conv: Conversation, script: Any, key: str, rnd: Callable[[], float]) -> str:
    """The A/B variant of template ``key`` this conversation sees: drawn by weight
    (:func:`bot.templates.choose_variant`, ``rnd()`` in [0, 1)) on first use, then kept in
    ``conv.slots["variants"]`` (the caller commits). ``"A"`` (the base text) when the
    template has no variants. Bot replies and cadence steps both use this."""
    if not (getattr(script, "variants", None) or {}).get(key):
        return "A"
    chosen = dict((conv.slots or {}).get("variants") or {})
    if key not in chosen:
        from bot.templates import choose_variant

        chosen[key] = choose_variant(script, key, rnd())
        conv.slots = {**dict(conv.slots or {}), "variants": chosen}
    return str(chosen[key])


def _count(verdict: gate.Verdict, stage: str, status: str | None) -> None:
    """Metrics (``/metrics``): the gate's decision and, at creation, the message."""
    from duly.metrics import count_decision, count_message

    count_decision(verdict.rule, verdict.action, stage)
    if status is not None:
        count_message("outbound", status)


def submit(session: Session, conv: Conversation, body: str, *, kind: str, sender: str,
           now: dt.datetime, transport: str, in_reply_to: Message | None = None,
           account_id: int | None = None, template: str | None = None,
           approved: bool | None = None, behaviour: Mapping[str, Any] | None = None,
           rides_twiml: bool = True, meta: Mapping[str, Any] | None = None,
           collection: bool = False) -> Outbound:
    """Store an outbound message for ``conv``'s customer and decide it at the gate.

    kind: see :class:`bot.gate.Candidate`. sender: ``bot``, ``system`` or
    ``agent:<email>``. transport: ``console`` or ``rest`` (used when the message does
    not ride back in a TwiML answer). ``in_reply_to``: the inbound message this
    answers — such a reply, once allowed, waits (status ``pending``, transport
    ``twiml``) for the webhook's answer to carry it; with ``reply_via = "api"`` it
    goes through ``transport`` instead. An agent's answer to the customer's message
    should pass ``in_reply_to`` too; without it, it is initiated.

    account_id: the debt the message is about (caps per debt; default the
    conversation's account). template: the template key (logged). approved: the text
    is an approved template version; ``None`` → ``True`` for the bot's own script
    texts (the script revision was approved before publishing), else ``False`` and
    the text is linted (:func:`bot.lint.lint`). behaviour: the parsed config (default:
    the config file). rides_twiml: ``False`` for a reply written after the webhook was
    answered (an agent's): it counts as a reply at the gate but goes through
    ``transport``. meta: what the text was made from, kept on the row as
    ``Message.params`` for the results page: ``template`` (defaults to ``template``),
    ``variant`` (A/B), ``revision`` (the script revision number). collection: the text is
    collection content (:func:`bot.dialogs.script.is_collection`): refused under a pausing
    hold even as a reply (US-16, UK-07); kept in the decision so dispatch decides the same.

    Returns :class:`Outbound`. The caller commits; nothing is sent here. A ``defer``
    stores status ``deferred`` with ``not_before``; ``refuse`` stores ``refused``.
    """
    b = _behaviour(behaviour)
    ctx, rec = resolve(session, conv, now, account_id=account_id, behaviour=b,
                       initiated=in_reply_to is None)
    if approved is None:
        approved = _sender_kind(sender) == "bot"
    cand = _candidate(body, kind=kind, sender=sender, in_reply=in_reply_to is not None,
                      approved=approved, rec=rec, collection=collection)
    verdict = gate.decide(cand, ctx)
    info = segments.count(body)
    reply_via = str(b.get("reply_via", "twiml"))
    if verdict.action == "send":
        status = "pending"
        via = "twiml" if (in_reply_to is not None and reply_via != "api" and rides_twiml) else transport
    elif verdict.action == "defer":
        status, via = "deferred", transport
    else:
        status, via = "refused", None
    msg = Message(
        conversation_id=conv.id, direction="outbound", from_number=conv.our_number,
        to_number=conv.customer_phone, body=body, status=status, kind=kind, sender=sender,
        in_reply_to_id=in_reply_to.id if in_reply_to is not None else None,
        num_segments=info.segments, encoding=info.encoding, transport=via,
        not_before=verdict.until, media=[], num_media=0, created_at=now, updated_at=now,
        account_id=rec.account_id,
        params=({"template": template, **dict(meta or {})} if (template or meta) else None),
    )
    session.add(msg)
    session.flush()
    if status == "pending" and via not in (None, "twiml"):
        session.info[OUTBOX_QUEUED] = True   # the caller wakes a worker after commit
    if status == "pending" and via == "twiml":
        session.info.setdefault(TWIML_PENDING, []).append(msg)
    session.add(Decision(
        conversation_id=conv.id, message_id=msg.id, account_id=rec.account_id,
        rule=verdict.rule, verdict=verdict.action, actor="gate", created_at=now,
        detail=_detail(verdict, rec, ctx, now, kind=kind, sender=sender, stage="submit",
                       template=template, approved=approved, collection=collection)))
    if session.info.get(DRY_RUN):
        # a dry run's transaction is rolled back: nothing was decided, so no metric and
        # no INFO line claiming a refusal (the run's own report lists it)
        log.debug("dry run: outbound %s (%s)", verdict.action, verdict.rule)
    else:
        _count(verdict, "submit", status)
    if verdict.action != "send" and not session.info.get(DRY_RUN):
        log.info("outbound %s to %s: %s (%s)", verdict.action, mask_phone(conv.customer_phone),
                 verdict.rule, verdict.reason)
    return Outbound(msg.id, status, verdict)


def preview(session: Session, conv: Conversation, body: str, *, sender: str, now: dt.datetime,
            in_reply: bool, account_id: int | None = None,
            behaviour: Mapping[str, Any] | None = None) -> tuple[gate.Verdict, str]:
    """What the gate would say if ``body`` were submitted now by ``sender`` (the
    console's check before an agent sends): ``(verdict, local_time)`` where
    ``local_time`` is the customer's local time now (ISO 8601). Stores nothing and
    uses the same :func:`resolve`, lint and :func:`bot.gate.decide` as :func:`submit`."""
    b = _behaviour(behaviour)
    ctx, rec = resolve(session, conv, now, account_id=account_id, behaviour=b)
    cand = _candidate(body, kind="agent" if _sender_kind(sender) == "agent" else "reply", sender=sender,
                      in_reply=in_reply, approved=False, rec=rec)
    return gate.decide(cand, ctx), _local_time(now, rec.primary_zone)


def _reserve(ledger: Any, verdict: gate.Verdict, cand: gate.Candidate, ctx: gate.GateContext,
             rec: Recipient, message: Message, conv: Conversation,
             now: dt.datetime) -> tuple[gate.Verdict, gate.GateContext]:
    """Reserve ``message`` in its debt's cap ledger (see :func:`redecide`). Returns the
    verdict that stands and the context it was decided on."""
    import dataclasses

    from runner.caps import ledger_key
    from storage.kv import KVUnavailable

    try:
        res = ledger.reserve(ledger_key(rec.account_id, conv.customer_phone), str(message.id), now.timestamp(),
                             [(str(mid), t.timestamp()) for mid, t in rec.counted],
                             [(c.count, c.span.total_seconds()) for c in ctx.caps])
    except KVUnavailable:
        log.warning("cap ledger unavailable: message %d relies on the database count alone", message.id)
        return verdict, ctx
    if res.ok:
        return verdict, ctx
    # Another worker's message for this debt took the room: decide again with the
    # ledger's view, which finds when the window frees.
    seen = set(ctx.recent_initiated)
    seen.update(dt.datetime.fromtimestamp(x, dt.timezone.utc) for x in res.times)
    ctx = dataclasses.replace(ctx, recent_initiated=tuple(sorted(seen)))
    again = gate.decide(cand, ctx)
    if again.action == "send":  # never send past a full ledger, whatever the rounding
        rule = ctx.caps[0].rule
        again = gate.Verdict("defer", rule, f"frequency cap reached ({rule})",
                             until=now + dt.timedelta(minutes=1), checks=again.checks)
    return again, ctx


class DebtBusy(RuntimeError):
    """Another transaction is deciding an initiated message for the same debt right now
    (:func:`lock_debt`): try this message again later (nothing was changed)."""


def lock_debt(session: Session, message: Message) -> None:
    """PostgreSQL: take transaction-scoped advisory locks on ``message``'s debt — its
    recipient number and its account (the conversation's when the message has none; every
    account on the number when neither has one, as :func:`resolve` then counts them all) —
    so that two workers cannot count the same debt's initiated messages at once, each
    missing the other's uncommitted one (US-20, ST-01, CN-03: the count at dispatch is
    exact whatever Redis does). Try-locks in a fixed order, never waiting (no deadlock
    between batches): raises :class:`DebtBusy` when one is held. SQLite needs none (one
    writer at a time). Locks go with the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = [f"duly:cap:phone:{message.to_number}"]
    account_id = message.account_id if message.account_id is not None else message.conversation.account_id
    if account_id is not None:
        keys.append(f"duly:cap:acct:{account_id}")
    else:  # resolve() then counts every account on the number: each is this message's debt
        keys += [f"duly:cap:acct:{aid}" for (aid,) in
                 session.execute(_Q_ACCOUNT_IDS_ON_PHONE, {"phone": message.conversation.customer_phone})]
    for key in sorted(keys):
        if not storage_db.advisory_xact_lock(session, key, wait=False):
            raise DebtBusy(key)


def redecide(session: Session, message: Message, now: dt.datetime, *,
             behaviour: Mapping[str, Any] | None = None, ledger: Any = None,
             debt_lock: bool = False) -> gate.Verdict:
    """Run the gate again at DISPATCH for a stored outbound ``message`` (status
    ``pending`` or ``deferred``): US-01 counts the time it is sent, not scheduled, and
    opt-outs, holds, caps or pauses may have arrived since. Writes a decision row
    (``detail.stage = "dispatch"``) and sets the status: ``pending`` (send; the
    verdict's ``validity_seconds`` is the ValidityPeriod to use), ``deferred`` with
    ``not_before = until``, or ``refused``. The message itself is left out of its own
    cap count. Whether it was approved is read from its first gate decision.

    ``ledger``: a :class:`runner.caps.CapLedger` (the worker's). An initiated message the
    gate lets go is then also reserved in its debt's ledger, atomically across workers;
    a full ledger makes it a deferral to when the window frees (US-20, ST-01, CN-03).
    An unreachable ledger is logged and the database count alone decides.
    ``debt_lock``: for an initiated message, first :func:`lock_debt` (the worker's
    claim; raises :class:`DebtBusy`).

    Raises ``ValueError`` for an inbound message or another status. The caller commits.
    """
    if message.direction != "outbound" or message.status not in ("pending", "deferred"):
        raise ValueError(f"message {message.id} is {message.direction}/{message.status}, "
                         "not a pending or deferred outbound message")
    b = _behaviour(behaviour)
    if debt_lock and message.in_reply_to_id is None and (message.kind or "reply") not in UNCAPPED_KINDS:
        lock_debt(session, message)
    conv = message.conversation
    ctx, rec = resolve(session, conv, now, account_id=message.account_id, behaviour=b,
                       exclude_message_id=message.id, initiated=message.in_reply_to_id is None)
    first = session.scalar(select(Decision.detail).where(
        Decision.message_id == message.id, Decision.actor == "gate").order_by(Decision.id).limit(1))
    first = first or {}
    approved = bool(first.get("approved", _sender_kind(message.sender) == "bot"))
    template = first.get("template")
    collection = bool(first.get("collection", False))
    kind = message.kind or "reply"
    cand = _candidate(message.body or "", kind=kind, sender=message.sender or "bot",
                      in_reply=message.in_reply_to_id is not None, approved=approved, rec=rec,
                      queued_at=message.created_at, collection=collection)
    verdict = gate.decide(cand, ctx)
    if (verdict.action == "refuse" and verdict.rule == "US-21" and cand.stated_dpd
            and not ctx.debt_cleared):
        # the text states a days-past-due figure that was true when it was rendered, not
        # now (queued at 21:30, cleared at 08:00): a cadence step is rendered again with
        # the day's figure by the next planning run (runner/campaign.py)
        session.execute(update(CadenceSend).where(CadenceSend.message_id == message.id,
                                                  CadenceSend.status == "queued")
                        .values(status="planned", rule=None))
    if (verdict.action == "send" and ledger is not None and cand.initiated and ctx.caps
            and kind not in UNCAPPED_KINDS):
        verdict, ctx = _reserve(ledger, verdict, cand, ctx, rec, message, conv, now)
    if verdict.action == "send":
        message.status, message.not_before = "pending", None
    elif verdict.action == "defer":
        message.status, message.not_before = "deferred", verdict.until
    else:
        message.status = "refused"
    message.updated_at = now
    session.add(Decision(
        conversation_id=conv.id, message_id=message.id, account_id=rec.account_id,
        rule=verdict.rule, verdict=verdict.action, actor="gate", created_at=now,
        detail=_detail(verdict, rec, ctx, now, kind=kind, sender=message.sender or "bot",
                       stage="dispatch", template=template, approved=approved,
                       collection=collection)))
    _count(verdict, "dispatch", None)
    session.flush()
    if verdict.action != "send":
        log.info("dispatch %s to %s: %s (%s)", verdict.action, mask_phone(conv.customer_phone),
                 verdict.rule, verdict.reason)
    return verdict
