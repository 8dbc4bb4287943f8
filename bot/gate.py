"""The outbound gate's rules, as pure functions.

Every outbound message — a bot reply, a campaign step, a reminder, an agent's text —
is decided here before it can reach a customer (``runner/outbound.py`` is the one
caller). The gate answers *send now*, *defer until* or *refuse*, and names every rule
it evaluated so the decision log can show why (G-03, 12 CFR 1006.100).

This module does no I/O and reads no clock: the runner passes in a
:class:`GateContext` built from the database and ``now``.

Order of the rules (every one evaluated is listed in ``Verdict.checks``, G-03):

1. refusals — opt-out registry (US-05, US-08), holds (US-16/17/18), wrong-number
   quarantine (US-12), agent ownership and hand-offs (G-01), a reply that did not leave
   in time (``gate:stale_reply``), a promise to pay in force (G-02), a debt no longer past due or a days-past-due figure the account does not have
   (US-21), undeliverable number (``gate:undeliverable``), consent (US-10), content
   (approved template or the linter's first failing rule: US-04, US-14, UK-06, US-21,
   UK-02, CN-04, ...);
2. deferrals — allowed hours in every candidate zone (US-01/CN-01/UK-05, US-02, the
   customer's own window US-03), a paused sender (``gate:sender_paused``, Twilio 30034),
   frequency caps per debt (US-20 product cap, ST-01 Massachusetts, CN-03). Deferrals
   combine: ``until`` is the earliest instant at which *all* of them pass at once.

"Initiated" means Duly starts it (``Candidate.in_reply_to_inbound`` is False): cadence
notices, reminders, follow-ups, campaigns, an agent's unprompted message. A reply to
the customer's own message is exempt from hours (unless the profile sets
``replies_follow_hours``; 12 CFR 1006.6(b)(1) comment 6(b)(1)-2), consent, caps
(US-20: replies do not count) and the content rule (bot replies come from the published,
approved script; agents' replies are still linted).

The exemption covers answering the customer's message "once, at that time" (comment
6(b)(1)-2; COMPLIANCE's ruling on replies). A reply that could not leave then — held
by a sender pause (Twilio 30034), a worker outage — and is still waiting more than
``[outbound] reply_stale_minutes`` after it was written is refused as stale
(``gate:stale_reply``): sent later it would be a text Duly starts, at an hour and with
content (a balance, a confirmation) the customer did not ask for then. (A profile with
``replies_follow_hours`` makes replies wait for the window by design: there they go
when the hours allow.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from bot import hours

#: Message kinds that Duly starts itself (not answers to the customer's own message).
INITIATED_KINDS: frozenset[str] = frozenset({"notice", "reminder", "followup", "campaign"})

#: Kinds allowed to an opted-out number: the one opt-out confirmation (US-08), an
#: answer to HELP (CTIA handbook) and the confirmation of START.
OPTED_OUT_ALLOWED: frozenset[str] = frozenset({"optout_confirmation", "help", "optin_confirmation"})

#: Holds that stop *all* communication but the compliance answers (US-17 cease,
#: US-18 represented by an attorney, bankruptcy stay).
SILENCING_HOLDS: frozenset[str] = frozenset({"cease", "attorney", "bankruptcy", "deceased", "recalled"})

def silencing_rule(kind: str) -> str:
    """The rule a silencing hold of ``kind`` enforces (:func:`bot.types.hold_rule`):
    ``US-17`` (cease), ``US-18`` (attorney), ``G-01`` (bankruptcy), ``UK-07`` (deceased),
    ``hold:recalled``."""
    from bot.types import hold_rule

    return hold_rule(kind)


def silencing_holds(accounts: Iterable[Any]) -> tuple[str, ...]:
    """Kinds of :data:`SILENCING_HOLDS` on any of ``accounts`` (objects with ``holds``,
    e.g. :class:`bot.types.AccountFacts`), sorted; ``()`` when none. Any account of the
    phone counts, as the gate's context reads holds phone-wide."""
    return tuple(sorted({h for a in accounts for h in a.holds if h in SILENCING_HOLDS}))


#: Initiated kinds that talk about the debt being past due (US-21: never once it is not).
DEBT_KINDS: frozenset[str] = frozenset({"notice", "campaign", "followup"})

#: Initiated kinds that dun for the debt (cadence steps): silent while a promise to pay is
#: in force (G-02). Reminders (``reminder``: the promise's own, before its date) and
#: follow-ups (``followup``: a broken promise or a missed instalment) are not dunning.
DUNNING_KINDS: frozenset[str] = frozenset({"notice", "campaign"})

#: The kind of an agent's own text (``runner.agents``). Without ``in_reply_to`` it is a
#: text Duly starts: a hand-off or a promise made after it was queued makes it stale as
#: it does the cadence's (G-01, G-02), and an opt-out refuses it while it waits (US-05).
AGENT_KIND = "agent"


def started_text(kind: str, initiated: bool) -> bool:
    """A queued text Duly started itself that a later hand-off, promise or opt-out makes
    stale: the cadence's, reminders, follow-ups (:data:`INITIATED_KINDS`) and an agent's
    own text that answers nothing (:data:`AGENT_KIND`, ``initiated``)."""
    return kind in INITIATED_KINDS or (kind == AGENT_KIND and initiated)


#: Kinds a silencing hold still lets through.
SILENCED_ALLOWED: frozenset[str] = frozenset({"optout_confirmation", "help", "optin_confirmation",
                                              "handoff_notice"})

#: Kinds the bot may still send while an agent owns the conversation.
AGENT_MODE_BOT_ALLOWED: frozenset[str] = frozenset({"optout_confirmation", "help", "optin_confirmation",
                                                    "handoff_notice"})


@dataclass(frozen=True)
class Candidate:
    """One outbound message asking to go.

    kind: ``reply``, ``optout_confirmation``, ``optin_confirmation``, ``help``,
        ``handoff_notice``, ``notice``, ``reminder``, ``followup``, ``campaign``, ``agent``.
    sender: ``bot``, ``agent`` or ``system``.
    in_reply_to_inbound: ``True`` when it answers a message the customer just sent
        (a consumer-initiated communication, 12 CFR 1006.6(b)(1) comment 6(b)(1)-2);
        ``False`` → initiated by Duly.
    approved: the text comes from an approved template version (or the published,
        approved script).
    lint_problems: ``(rule, message)`` pairs from :func:`bot.lint.lint` for text that is
        not from an approved template, or from :func:`bot.lint.hard_rules` for the rendered
        text of one (empty: it passed or was not linted). Either way a problem refuses.
    """

    kind: str
    sender: str = "bot"
    in_reply_to_inbound: bool = True
    approved: bool = False
    lint_problems: tuple[tuple[str, str], ...] = ()
    #: when the text was written (``Message.created_at``; ``None`` at creation): a hand-off
    #: or a promise after it makes it stale (G-01, G-02)
    queued_at: dt.datetime | None = None
    #: the days-past-due figures the text states (:func:`bot.lint.stated_days_past_due`)
    stated_dpd: tuple[int, ...] = ()

    @property
    def initiated(self) -> bool:
        """Duly starts this message (not an answer to the customer's own message)."""
        return not self.in_reply_to_inbound


@dataclass(frozen=True)
class Cap:
    """A frequency cap per debt: at most ``count`` initiated messages in any rolling
    ``days`` days (24-hour units, UTC instants). ``rule``: ``US-20`` (product cap),
    ``ST-01`` (Massachusetts, 940 CMR 7.04(1)(f)), ``CN-03``, ..."""

    rule: str
    count: int
    days: float

    @property
    def span(self) -> dt.timedelta:
        return dt.timedelta(days=self.days)


@dataclass(frozen=True)
class GateContext:
    """What the gate knows about the recipient when it decides.

    opted_out_sms: the phone has an active SMS opt-out.
    optout_confirmations_since_optout: confirmations already sent after the
        latest opt-out (US-08 allows one).
    holds: kinds of active holds on the accounts of this conversation.
    mode: the conversation's mode, ``bot`` or ``agent``.
    quarantined: the phone was reported as a wrong number (US-12).
    now: aware UTC datetime of the decision (dispatch time, US-01).
    profile: the jurisdiction profile's name (cited in the decision log).
    zones: candidate IANA zones (phone number, account, address; US-02). Empty with a
        ``window`` set → initiated messages are refused (location unknown).
    window: the profile's allowed hours (:data:`bot.hours.Window`, minutes, local);
        ``None`` → no hours rule configured (pure tests).
    hours_rule: the rule the window implements (``US-01``, ``CN-01``, ``UK-05``).
    customer_window: the customer's own window (US-03/UK-05), narrows ``window``.
    replies_follow_hours: replies to the customer's message wait for the window too.
    consent: an active consent record exists for the number (US-10).
    undeliverable: the provider said the number cannot get texts.
    sender_paused_until: our sender is paused (30034) until this UTC instant.
    recent_initiated: UTC send times of initiated messages already counted for this
        debt (any order; only those inside a cap's span count).
    caps: the caps that apply (profile caps plus state overlays such as ST-01).
    on_cap: ``defer`` (wait until the oldest counted message leaves the span) or
        ``refuse``.
    min_validity_seconds: an initiated message cleared with less than this left in
        the window is deferred to the next window instead (Twilio ValidityPeriod).
    handoff_open: a hand-off to a person is open (claimed or not) on a conversation
        with this customer's number or another number of the debt (G-01).
    handoff_at: when the latest hand-off on those conversations started (open or
        resolved; G-01: a text queued before it never goes).
    promise_until: the last day a pending promise to pay on the debt protects (its date
        plus ``[reminders] grace_days``, :func:`promise_in_force`); ``None``: none in force
        (G-02).
    promise_at: when the latest promise to pay on the debt was made (any status; G-02:
        dunning queued before it never goes).
    dpd: the debt's days past due now, in the account's zone (``None``: unknown or
        several debts); a text stating another figure is refused (US-21).
    reply_stale_seconds: a reply still waiting this long after it was written
        (``Candidate.queued_at``) is no answer "at that time" and is refused
        (``gate:stale_reply``; ``[outbound] reply_stale_minutes``); ``None``: no limit.
        Not applied when ``replies_follow_hours`` (replies then wait for the window).

    The G-01/G-02 fields are read for initiated messages only
    (:func:`runner.outbound.resolve`); a reply leaves them empty.
    """

    opted_out_sms: bool = False
    optout_confirmations_since_optout: int = 0
    holds: tuple[str, ...] = ()
    mode: str = "bot"
    quarantined: bool = False
    now: dt.datetime | None = None
    profile: str = ""
    zones: tuple[str, ...] = ()
    window: hours.Window | None = None
    hours_rule: str = "US-01"
    customer_window: hours.Window | None = None
    replies_follow_hours: bool = False
    consent: bool = False
    undeliverable: bool = False
    #: every account the message is about has no past-due amount left (paid or cured)
    debt_cleared: bool = False
    sender_paused_until: dt.datetime | None = None
    recent_initiated: tuple[dt.datetime, ...] = ()
    caps: tuple[Cap, ...] = ()
    on_cap: str = "defer"
    min_validity_seconds: int = 0
    handoff_open: bool = False
    handoff_at: dt.datetime | None = None
    promise_until: dt.date | None = None
    promise_at: dt.datetime | None = None
    dpd: int | None = None
    reply_stale_seconds: float | None = None


@dataclass(frozen=True)
class Verdict:
    """The gate's answer.

    action: ``send``, ``defer`` or ``refuse``.
    until: for ``defer``, the aware UTC time it may go.
    rule: the rule that decided (a COMPLIANCE.md ID or ``gate:...``).
    checks: every rule evaluated, in order, as ``(rule, outcome)`` pairs; outcome is
        ``pass``, ``refuse``, ``defer``, ``exempt`` (does not apply to this message)
        or ``n/a`` (not configured), optionally with ``": detail"``.
    reason: a short human sentence (shown to agents).
    validity_seconds: for ``send`` under the hours rule, seconds left in the allowed
        window (Twilio ``ValidityPeriod``, capped at 36000); ``None`` otherwise.
    """

    action: str
    rule: str
    reason: str
    until: dt.datetime | None = None
    checks: tuple[tuple[str, str], ...] = field(default=())
    validity_seconds: int | None = None


#: Twilio's maximum ValidityPeriod (seconds).
MAX_VALIDITY = 36000


def count_in_span(times: tuple[dt.datetime, ...], now: dt.datetime, span: dt.timedelta) -> int:
    """How many of ``times`` fall in the rolling span ``(now - span, now]``."""
    return sum(1 for t in times if now - span < t <= now)


def promise_in_force(due: dt.date | None, grace_days: int, local_today: dt.date) -> dt.date | None:
    """G-02: the last day a pending promise due ``due`` protects the account from dunning
    — ``due + grace_days`` (``[reminders] grace_days``; the sweep marks it broken the day
    after) — or ``None`` once ``local_today`` (the account's zone) is past it."""
    if due is None:
        return None
    until = due + dt.timedelta(days=max(0, int(grace_days)))
    return until if local_today <= until else None


def cap_free_at(cap: Cap, times: tuple[dt.datetime, ...], t: dt.datetime) -> dt.datetime:
    """The earliest instant ``>= t`` at which fewer than ``cap.count`` of ``times`` lie in
    the cap's span: ``t`` itself, or when the ``count``-th most recent leaves the span."""
    inside = sorted((x for x in times if t - cap.span < x <= t), reverse=True)
    if len(inside) < cap.count:
        return t
    return inside[cap.count - 1] + cap.span


def decide(candidate: Candidate, ctx: GateContext) -> Verdict:
    """Decide whether ``candidate`` may go now (``ctx.now``, dispatch time).

    Order matters: the opt-out registry first (US-05, 12 CFR 1006.14(h)(1); one
    confirmation, US-08, 47 CFR 64.1200(a)(12)), then holds (US-16 dispute, US-17
    cease, US-18 attorney), then the wrong-number quarantine (US-12), then agent
    ownership (G-01: the bot goes silent once a handoff starts), then the remaining
    refusals and the deferrals described in the module docstring. Returns a
    :class:`Verdict`; never raises for a well-formed candidate. ``ctx.now`` must be set
    when a window, caps or a sender pause are configured (``ValueError`` otherwise).
    """
    checks: list[tuple[str, str]] = []

    def refuse(rule: str, reason: str) -> Verdict:
        checks.append((rule, "refuse"))
        return Verdict("refuse", rule, reason, checks=tuple(checks))

    # US-05 / US-08: opt-out registry.
    if ctx.opted_out_sms:
        if candidate.kind == "optout_confirmation" and candidate.in_reply_to_inbound:
            if ctx.optout_confirmations_since_optout >= 1:
                return refuse("US-08", "opt-out already confirmed once")
            checks.append(("US-08", "pass"))
        elif candidate.kind in OPTED_OUT_ALLOWED and candidate.in_reply_to_inbound:
            checks.append(("US-05", "pass"))
        else:
            return refuse("US-05", "opted out of texts")
    else:
        checks.append(("US-05", "pass"))

    # Holds.
    silencing = [h for h in ctx.holds if h in SILENCING_HOLDS]
    if silencing and candidate.kind not in SILENCED_ALLOWED:
        rule = silencing_rule(silencing[0])
        return refuse(rule, f"{silencing[0]} hold")
    if ctx.holds and (candidate.kind in INITIATED_KINDS or
                      (candidate.initiated and candidate.sender != "agent"
                       and candidate.kind not in SILENCED_ALLOWED)):
        rule = "US-16" if "dispute" in ctx.holds else f"hold:{ctx.holds[0]}"
        return refuse(rule, f"{ctx.holds[0]} hold pauses automated collection")
    checks.append(("holds", "pass"))

    # US-12: a wrong number never gets collection content again.
    if ctx.quarantined and (candidate.kind in INITIATED_KINDS or candidate.sender == "agent"
                            or candidate.initiated):
        return refuse("US-12", "number reported as a wrong number")
    checks.append(("US-12", "pass"))

    # G-01: an agent owns the conversation; the bot stays silent.
    if ctx.mode == "agent" and candidate.sender == "bot" and candidate.kind not in AGENT_MODE_BOT_ALLOWED:
        return refuse("G-01", "an agent owns this conversation")
    # G-01: while a person has the customer (a hand-off open, claimed or not, or an agent
    # owns the conversation) no collection text Duly starts goes, whoever queued it
    # (cadence steps and reminders are sender "system"). Refused, not deferred: a text
    # written before a person took the conversation up is stale once they have spoken
    # (they may have agreed something else); the cadence goes on at its next step.
    if candidate.kind in INITIATED_KINDS:
        if ctx.mode == "agent" or ctx.handoff_open:
            return refuse("G-01", "a hand-off to a person is open")
        if (ctx.handoff_at is not None and candidate.queued_at is not None
                and ctx.handoff_at >= candidate.queued_at):
            return refuse("G-01", "a hand-off to a person started after this text was queued")
    elif started_text(candidate.kind, candidate.initiated):
        # an agent's own text goes while she has the customer, but one written before a
        # later hand-off is as stale as the cadence's (strictly later: her own take-over
        # at the same instant is not "after")
        if (ctx.handoff_at is not None and candidate.queued_at is not None
                and ctx.handoff_at > candidate.queued_at):
            return refuse("G-01", "a hand-off to a person started after this text was queued")
    checks.append(("G-01", "pass"))

    # The replies ruling (12 CFR 1006.6(b)(1) comment 6(b)(1)-2): a reply answers the
    # customer's message "once, at that time". One still waiting long after it was
    # written (a sender pause, an outage) is no such answer: refused as stale, never sent
    # as if it were one, whatever the hour (US-01) — the customer can ask again. Under a
    # profile whose replies wait for the window anyway (``replies_follow_hours``) a late
    # reply claims no exemption: it goes when the hours allow, as that profile says.
    if (candidate.in_reply_to_inbound and ctx.reply_stale_seconds is not None
            and not ctx.replies_follow_hours
            and candidate.queued_at is not None and ctx.now is not None):
        waited = (ctx.now - candidate.queued_at).total_seconds()
        if waited > ctx.reply_stale_seconds:
            return refuse("gate:stale_reply",
                          f"a reply that waited {int(waited // 60)} min is no longer an answer "
                          "to the customer's message at that time (12 CFR 1006.6(b)(1))")
        checks.append(("gate:stale_reply", "pass"))

    initiated = candidate.initiated

    # G-02: while a promise to pay is in force (pending, its date + grace not passed)
    # cadence dunning for the debt stays silent; a dunning text queued before a promise
    # was made never goes (the promise's own reminder does).
    if initiated and candidate.kind in DUNNING_KINDS:
        if ctx.promise_until is not None:
            return refuse("G-02", f"a promise to pay is in force until {ctx.promise_until.isoformat()}")
        if (ctx.promise_at is not None and candidate.queued_at is not None
                and ctx.promise_at >= candidate.queued_at):
            return refuse("G-02", "a promise to pay was made after this text was queued")
        checks.append(("G-02", "pass"))
    elif initiated and candidate.kind == AGENT_KIND:
        # an agent may write while a promise is in force (she agreed it), but her text
        # queued before the customer promised (a demand deferred to 08:00) would
        # contradict the agreement (G-02; 12 CFR 1006.18): stale, never sent
        if (ctx.promise_at is not None and candidate.queued_at is not None
                and ctx.promise_at > candidate.queued_at):
            return refuse("G-02", "a promise to pay was made after this text was queued")
        checks.append(("G-02", "pass"))

    # US-21 (12 CFR 1006.18(b)(2)(i)): a collection text Duly starts about a debt that is
    # no longer past due (paid, cured) would misstate its status: it never goes; nor one
    # that states a days-past-due figure the debt does not have at this moment (a text
    # rendered on day 35 and cleared on day 36).
    if initiated and candidate.kind in DEBT_KINDS:
        if ctx.debt_cleared:
            return refuse("US-21", "the account is no longer past due")
        # only the cadence's dunning texts state the account's own figure ({{ dpd }}); a
        # follow-up's "your payment due Dec 4 is 3 days late" is about an instalment
        wrong = [n for n in candidate.stated_dpd
                 if ctx.dpd is not None and n != ctx.dpd and candidate.kind in DUNNING_KINDS]
        if wrong:
            return refuse("US-21", f"the text says {wrong[0]} days past due; the account is "
                                   f"{ctx.dpd} days past due")
        checks.append(("US-21", "pass"))

    # The provider said the number cannot get texts (21211, 21614, 30003, 30005, 30006).
    if initiated:
        if ctx.undeliverable:
            return refuse("gate:undeliverable", "the number cannot receive texts")
        checks.append(("gate:undeliverable", "pass"))
    else:
        checks.append(("gate:undeliverable", "exempt"))

    # US-10: automated texts need prior express consent (TCPA 47 USC 227(b)).
    if initiated:
        if not ctx.consent:
            return refuse("US-10", "no consent record for this number")
        checks.append(("US-10", "pass"))
    else:
        checks.append(("US-10", "exempt"))

    # Content: an approved template, or text that passes the linter.
    if candidate.approved and candidate.lint_problems:
        # an approved template whose RENDERED text breaks a hard rule (bot.lint.hard_rules)
        for r, m in candidate.lint_problems:
            checks.append((r, f"refuse: {m}"))
        rule, message = candidate.lint_problems[0]
        return Verdict("refuse", rule, f"content: {message}", checks=tuple(checks))
    if initiated or candidate.sender == "agent":
        if candidate.approved:
            checks.append(("content", "pass: approved"))
        elif candidate.lint_problems:
            checks.append(("content", "refuse: not approved and the linter found problems"))
            for r, m in candidate.lint_problems:
                checks.append((r, f"refuse: {m}"))
            rule, message = candidate.lint_problems[0]
            return Verdict("refuse", rule, f"content: {message}", checks=tuple(checks))
        else:
            checks.append(("content", "pass: linted"))
    else:
        checks.append(("content", "exempt"))

    # --- deferrals ---------------------------------------------------------------------
    now = ctx.now
    hours_apply = ctx.window is not None and (initiated or ctx.replies_follow_hours)
    caps_apply = initiated and bool(ctx.caps)
    pause_applies = ctx.sender_paused_until is not None
    if (hours_apply or caps_apply or pause_applies) and now is None:
        raise ValueError("GateContext.now is required for hours, caps and sender pauses")

    window: hours.Window = ()
    if hours_apply:
        assert ctx.window is not None
        window = hours.narrow(ctx.window, ctx.customer_window)
        if not ctx.zones:
            checks.append(("US-02", "refuse"))
            return Verdict("refuse", "US-02", "the customer's time zone is unknown",
                           checks=tuple(checks))
        if not window:
            return refuse("US-03", "the customer's window and the allowed hours do not overlap")

    def earliest_from(t: dt.datetime) -> tuple[dt.datetime | None, str | None]:
        """Earliest instant >= t passing hours, pause and caps together; the rule that
        first pushed it (None when t itself passes)."""
        first_rule: str | None = None
        for _ in range(64):
            moved = False
            if hours_apply:
                nt = hours.next_allowed(t, ctx.zones, window)
                if nt is None:
                    return None, first_rule or ctx.hours_rule
                if nt > t:
                    first_rule = first_rule or _hours_rule(ctx, t)
                    t, moved = nt, True
                left = hours.seconds_left(t, ctx.zones, window)
                if initiated and left < ctx.min_validity_seconds:
                    first_rule = first_rule or ctx.hours_rule
                    t, moved = t + dt.timedelta(seconds=max(left, 1)), True
                    continue
            if pause_applies and ctx.sender_paused_until is not None and t < ctx.sender_paused_until:
                first_rule = first_rule or "gate:sender_paused"
                t, moved = ctx.sender_paused_until, True
            if caps_apply:
                for cap in ctx.caps:
                    free = cap_free_at(cap, ctx.recent_initiated, t)
                    if free > t:
                        first_rule = first_rule or cap.rule
                        t, moved = free, True
            if not moved:
                return t, first_rule
        return None, first_rule

    # Record each deferring rule's own outcome at ``now`` (G-03).
    if hours_apply:
        assert now is not None
        ok = hours.allowed_at(now, ctx.zones, window)
        if len(ctx.zones) > 1:
            checks.append(("US-02", f"{'pass' if ok else 'defer'}: zones {','.join(ctx.zones)}"))
        if ctx.customer_window is not None:
            own = hours.allowed_at(now, ctx.zones, ctx.window)  # type: ignore[arg-type]
            checks.append(("US-03", "pass" if ok or not own else "defer"))
        checks.append((ctx.hours_rule, "pass" if ok else "defer"))
    elif ctx.window is None:
        checks.append((ctx.hours_rule, "n/a"))
    else:
        checks.append((ctx.hours_rule, "exempt: reply to the customer's message"))
    if pause_applies:
        assert now is not None and ctx.sender_paused_until is not None
        checks.append(("gate:sender_paused", "pass" if now >= ctx.sender_paused_until else "defer"))
    if caps_apply:
        assert now is not None
        for cap in ctx.caps:
            n = count_in_span(ctx.recent_initiated, now, cap.span)
            outcome = "pass" if n < cap.count else ("refuse" if ctx.on_cap == "refuse" else "defer")
            checks.append((cap.rule, f"{outcome}: {n}/{cap.count} in {cap.days:g}d"))
    elif ctx.caps:
        checks.append(("caps", "exempt: replies do not count"))
    else:
        checks.append(("caps", "n/a"))

    if caps_apply and ctx.on_cap == "refuse":
        assert now is not None
        for cap in ctx.caps:
            if count_in_span(ctx.recent_initiated, now, cap.span) >= cap.count:
                return Verdict("refuse", cap.rule, f"frequency cap {cap.count} per {cap.days:g} days reached",
                               checks=tuple(checks))

    if not (hours_apply or caps_apply or pause_applies):
        return Verdict("send", "gate:pass", "allowed", checks=tuple(checks))
    assert now is not None
    until, rule = earliest_from(now)
    if until is None:
        rule = "US-02" if len(ctx.zones) > 1 else (rule or ctx.hours_rule)
        return Verdict("refuse", rule, "no time is allowed in every candidate zone within a week",
                       checks=tuple(checks))
    if until > now:
        return Verdict("defer", rule or "gate:defer", _defer_reason(rule), until=until,
                       checks=tuple(checks))
    validity = None
    if hours_apply:
        validity = min(MAX_VALIDITY, hours.seconds_left(now, ctx.zones, window))
    return Verdict("send", "gate:pass", "allowed", checks=tuple(checks), validity_seconds=validity)


def _hours_rule(ctx: GateContext, t: dt.datetime) -> str:
    """The rule that blocks ``t``: the customer's own window (US-03) when the profile's
    hours alone would allow it, US-02 when only some zones block, else the profile's."""
    assert ctx.window is not None
    if ctx.customer_window is not None and hours.allowed_at(t, ctx.zones, ctx.window):
        return "US-03"
    if len(ctx.zones) > 1 and any(hours.allowed_at(t, (z,), ctx.window) for z in ctx.zones):
        return "US-02"
    return ctx.hours_rule


def _defer_reason(rule: str | None) -> str:
    return {
        "US-01": "outside the allowed hours in the customer's local time",
        "CN-01": "outside the allowed hours (Beijing time)",
        "UK-05": "outside the allowed hours in the customer's local time",
        "US-02": "outside the hours allowed in every zone the customer may be in",
        "US-03": "outside the times the customer said suit them",
        "gate:sender_paused": "our sender is paused by the provider",
    }.get(rule or "", f"frequency cap reached ({rule})")
