"""The outbound gate's rules, as pure functions.

Every outbound message — a bot reply, a campaign step, a reminder, an agent's text —
is decided here before it can reach a customer (``runner/outbound.py`` is the one
caller). The gate answers *send now*, *defer until* or *refuse*, and names every rule
it evaluated so the decision log can show why (G-03, 12 CFR 1006.100).

This module does no I/O and reads no clock: the runner passes in a
:class:`GateContext` built from the database and ``now``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Message kinds that Duly starts itself (not answers to the customer's own message).
INITIATED_KINDS: frozenset[str] = frozenset({"notice", "reminder", "followup", "campaign"})

#: Kinds allowed to an opted-out number: the one opt-out confirmation (US-08), an
#: answer to HELP (CTIA handbook) and the confirmation of START.
OPTED_OUT_ALLOWED: frozenset[str] = frozenset({"optout_confirmation", "help", "optin_confirmation"})

#: Holds that stop *all* communication but the compliance answers (US-17 cease,
#: US-18 represented by an attorney, bankruptcy stay).
SILENCING_HOLDS: frozenset[str] = frozenset({"cease", "attorney", "bankruptcy"})

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
        ``handoff_notice``, ``notice``, ``reminder``, ``followup``, ``agent``.
    sender: ``bot``, ``agent`` or ``system``.
    in_reply_to_inbound: ``True`` when it answers a message the customer just sent
        (a consumer-initiated communication, 12 CFR 1006.6(b)(1) comment 6(b)(1)-2).
    """

    kind: str
    sender: str = "bot"
    in_reply_to_inbound: bool = True


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
    """

    opted_out_sms: bool = False
    optout_confirmations_since_optout: int = 0
    holds: tuple[str, ...] = ()
    mode: str = "bot"
    quarantined: bool = False
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Verdict:
    """The gate's answer.

    action: ``send``, ``defer`` or ``refuse``.
    until: for ``defer``, the aware UTC time it may go.
    rule: the rule that decided (a COMPLIANCE.md ID or ``gate:...``).
    checks: every rule evaluated, in order, as ``(rule, outcome)`` pairs.
    reason: a short human sentence (shown to agents).
    """

    action: str
    rule: str
    reason: str
    until: dt.datetime | None = None
    checks: tuple[tuple[str, str], ...] = field(default=())


def decide(candidate: Candidate, ctx: GateContext) -> Verdict:
    """Decide whether ``candidate`` may go now.

    Order matters: the opt-out registry first (US-05, 12 CFR 1006.14(h)(1); one
    confirmation, US-08, 47 CFR 64.1200(a)(12)), then holds (US-16 dispute, US-17
    cease, US-18 attorney), then the wrong-number quarantine (US-12), then agent
    ownership (G-01: the bot goes silent once a handoff starts). Returns a
    :class:`Verdict`; never raises for a well-formed candidate.
    """
    checks: list[tuple[str, str]] = []

    # US-05 / US-08: opt-out registry.
    if ctx.opted_out_sms:
        if candidate.kind == "optout_confirmation" and candidate.in_reply_to_inbound:
            if ctx.optout_confirmations_since_optout >= 1:
                checks.append(("US-08", "refuse"))
                return Verdict("refuse", "US-08", "opt-out already confirmed once", checks=tuple(checks))
            checks.append(("US-08", "pass"))
        elif candidate.kind in OPTED_OUT_ALLOWED and candidate.in_reply_to_inbound:
            checks.append(("US-05", "pass"))
        else:
            checks.append(("US-05", "refuse"))
            return Verdict("refuse", "US-05", "opted out of texts", checks=tuple(checks))
    else:
        checks.append(("US-05", "pass"))

    # Holds.
    silencing = [h for h in ctx.holds if h in SILENCING_HOLDS]
    if silencing and candidate.kind not in SILENCED_ALLOWED:
        rule = {"cease": "US-17", "attorney": "US-18", "bankruptcy": "hold:bankruptcy"}[silencing[0]]
        checks.append((rule, "refuse"))
        return Verdict("refuse", rule, f"{silencing[0]} hold", checks=tuple(checks))
    if ctx.holds and candidate.kind in INITIATED_KINDS:
        rule = "US-16" if "dispute" in ctx.holds else f"hold:{ctx.holds[0]}"
        checks.append((rule, "refuse"))
        return Verdict("refuse", rule, f"{ctx.holds[0]} hold pauses automated collection",
                       checks=tuple(checks))
    checks.append(("holds", "pass"))

    # US-12: a wrong number never gets collection content again.
    if ctx.quarantined and (candidate.kind in INITIATED_KINDS or candidate.sender == "agent"):
        checks.append(("US-12", "refuse"))
        return Verdict("refuse", "US-12", "number reported as a wrong number", checks=tuple(checks))
    checks.append(("US-12", "pass"))

    # G-01: an agent owns the conversation; the bot stays silent.
    if ctx.mode == "agent" and candidate.sender == "bot" and candidate.kind not in AGENT_MODE_BOT_ALLOWED:
        checks.append(("G-01", "refuse"))
        return Verdict("refuse", "G-01", "an agent owns this conversation", checks=tuple(checks))
    checks.append(("G-01", "pass"))

    return Verdict("send", "gate:pass", "allowed", checks=tuple(checks))
