"""What agents do to a conversation, for the console (and ``duly agent``).

Every action takes the conversation's lock and goes through the runner's one step
(:meth:`runner.inbound.Runner.agent_action`) or the one send path
(:func:`runner.outbound.submit`), and leaves an :class:`storage.models.AuditEntry`
naming who and when. Nothing here decides compliance: the gate does, for agents' texts
exactly as for the bot's (opt-out, holds, quiet hours, caps, content lint).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import gate, segments
from runner import outbound
from runner.outbound import mask_phone
from storage import db as storage_db
from storage.models import AuditEntry, Conversation, FormNonce, Handoff, Message, Note

log = logging.getLogger("duly.agents")

#: Longest reply an agent may send (characters); 10 segments of UCS-2.
MAX_REPLY_CHARS = 670
#: Longest private note (characters).
MAX_NOTE_CHARS = 4000
#: ``[agent] reply_window_minutes`` when the config does not say: an agent's first text
#: within this many minutes of the customer's message answers it (a reply, exempt from
#: quiet hours and caps: 12 CFR 1006.6(b)(1) comment 6(b)(1)-2, "at that time").
REPLY_WINDOW_MINUTES = 20


class AgentError(Exception):
    """The action cannot be done: ``code`` is one of ``not_found``, ``not_owner``,
    ``empty``, ``too_long``, ``refused`` (the gate's verdict is in ``verdict``),
    ``invalid``, ``duplicate``, ``forbidden`` (the role may not). ``str()`` is a
    sentence for the agent."""

    def __init__(self, code: str, message: str, verdict: gate.Verdict | None = None):
        super().__init__(message)
        self.code = code
        self.verdict = verdict


@dataclass(frozen=True)
class Check:
    """The gate's verdict on a draft reply, before it is sent.

    action: ``send``, ``defer`` or ``refuse``; rule: the rule that decided;
    reason: a sentence; until: aware UTC for a deferral; local_time: the customer's
    local time now (ISO 8601); in_reply: the text counts as a reply to the customer's
    last message; segments/encoding/units: SMS segments (``GSM-7``/``UCS-2``)."""

    action: str
    rule: str
    reason: str
    until: dt.datetime | None
    local_time: str
    in_reply: bool
    segments: int
    encoding: str
    units: int


def audit(s: Session, actor: str, action: str, conversation_id: int | None, now: dt.datetime,
          **detail: Any) -> None:
    """Append one audit entry (the caller commits)."""
    s.add(AuditEntry(actor=actor, action=action, conversation_id=conversation_id,
                     created_at=now, detail=detail))


def _hold_note(note: str | None) -> str:
    """A hold's required note, cleaned (:func:`bot.holds.clean_note`). Raises
    :class:`AgentError` ``invalid`` for a missing or unusable note."""
    from bot.holds import clean_note

    try:
        return clean_note(note, required=True)
    except ValueError as exc:
        raise AgentError("invalid", str(exc)) from exc


class AgentDesk:
    """Agents' actions. ``runner``: the :class:`runner.inbound.Runner` (sessions, clock,
    locks, settings, bus)."""

    def __init__(self, runner: Any):
        self.runner = runner

    # --- helpers -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, conv_id: int) -> Iterator[tuple[Session, Conversation]]:
        """The conversation under the process's per-conversation lock and its row lock,
        in one transaction committed on a clean exit: yields ``(session, conversation)``.
        Raises :class:`AgentError` ``not_found`` when there is no such conversation."""
        r = self.runner
        with r.locks.get(conv_id):
            with r.sessions() as s, s.begin():
                conv = storage_db.lock_conversation(s, conv_id)
                if conv is None:
                    raise AgentError("not_found", f"no conversation {conv_id}")
                yield s, conv

    def _reply_target(self, s: Session, conv: Conversation, now: dt.datetime) -> Message | None:
        """The customer's last message, if an agent's text now answers it: it came within
        ``[agent] reply_window_minutes`` (default :data:`REPLY_WINDOW_MINUTES`) and no
        agent has answered it yet. A collector may answer a consumer-initiated
        communication once, at that time, whatever the hour (12 CFR 1006.6(b)(1) comment
        6(b)(1)-2; COMPLIANCE's ruling on replies): so only the first agent text (not
        refused) within the window is that answer. Otherwise — later, or a second text —
        the text is one Duly starts, and quiet hours (US-01: deferred, not dropped),
        caps (US-20), consent and the opt-out notice apply (47 USC 227)."""
        window = int((self.runner.settings.behaviour.get("agent") or {}).get(
            "reply_window_minutes", REPLY_WINDOW_MINUTES))
        last_in = s.scalar(select(Message).where(Message.conversation_id == conv.id,
                                                 Message.direction == "inbound")
                           .order_by(Message.id.desc()).limit(1))
        if last_in is None or now - last_in.created_at > dt.timedelta(minutes=window):
            return None
        answered = s.scalar(select(Message.id).where(
            Message.in_reply_to_id == last_in.id, Message.direction == "outbound",
            Message.sender.like("agent:%"), Message.status != "refused").limit(1))
        if answered is not None:
            return None
        return last_in

    @staticmethod
    def _owner_check(conv: Conversation, agent: str, role: str) -> None:
        if conv.mode != "agent":
            raise AgentError("not_owner", "take the conversation over before replying")
        if conv.assigned_agent != agent and role != "admin":
            raise AgentError("not_owner", f"{conv.assigned_agent} owns this conversation" if conv.assigned_agent
                             else "take the conversation over before replying")

    # --- read-only check -------------------------------------------------------------------

    def check(self, conv_id: int, agent: str, body: str) -> Check:
        """The gate's verdict on ``body`` if ``agent`` sent it now, with its segment
        count. Stores nothing. Raises :class:`AgentError` (``not_found``)."""
        self.runner.refresh_settings()
        now = self.runner.clock()
        with self.runner.sessions() as s:
            conv = s.get(Conversation, conv_id)
            if conv is None:
                raise AgentError("not_found", f"no conversation {conv_id}")
            target = self._reply_target(s, conv, now)
            verdict, local = outbound.preview(s, conv, body or " ", sender=f"agent:{agent}", now=now,
                                              in_reply=target is not None,
                                              behaviour=self.runner.settings.behaviour)
            s.rollback()
        info = segments.count(body or "")
        return Check(verdict.action, verdict.rule, verdict.reason, verdict.until, local,
                     target is not None, info.segments, info.encoding, info.units)

    # --- writes ------------------------------------------------------------------------------

    def reply(self, conv_id: int, agent: str, body: str, role: str = "agent",
              nonce: str | None = None) -> outbound.Outbound:
        """Send ``body`` to the customer as ``agent`` through the gate (the one send
        path). Only the agent who owns the conversation (or an admin) may. A text the
        gate refuses is not stored as sent: :class:`AgentError` ``refused`` carries the
        verdict (the refusal itself is kept in the decision log). A deferral is stored
        and goes when allowed. ``nonce``: the form's one-time token; a second submit of
        the same form raises :class:`AgentError` ``duplicate`` and sends nothing.
        Raises :class:`AgentError`."""
        self.runner.refresh_settings()
        body = (body or "").strip()
        if not body:
            raise AgentError("empty", "the reply is empty")
        if len(body) > MAX_REPLY_CHARS:
            raise AgentError("too_long", f"the reply is longer than {MAX_REPLY_CHARS} characters")
        r = self.runner
        with self._locked(conv_id) as (s, conv):
            self._owner_check(conv, agent, role)
            now = r.clock()
            if nonce:
                if s.get(FormNonce, nonce[:64]) is not None:
                    raise AgentError("duplicate", "already sent (the form was submitted twice)")
                s.add(FormNonce(nonce=nonce[:64], created_at=now))
                try:
                    s.flush()
                except IntegrityError as exc:
                    raise AgentError("duplicate", "already sent (the form was submitted twice)") from exc
            target = self._reply_target(s, conv, now)
            out = outbound.submit(s, conv, body, kind="agent", sender=f"agent:{agent}", now=now,
                                  transport=r._transport_name(), in_reply_to=target,
                                  behaviour=r.settings.behaviour, rides_twiml=False)
            audit(s, agent, "reply", conv.id, now, message_id=out.message_id, verdict=out.verdict.action,
                  rule=out.verdict.rule, in_reply=target is not None)
        log.info("agent reply to %s: %s (%s)", mask_phone(conv.customer_phone), out.verdict.action,
                 out.verdict.rule)
        r.notify("conversation", conv_id)
        if out.verdict.action == "refuse":
            raise AgentError("refused", f"not sent: {out.verdict.reason} ({out.verdict.rule})", out.verdict)
        r.dispatch(conv_id)
        if out.verdict.action == "send" and r._transport_name() != "console":
            # the worker sends it: wake it now rather than at its next poll (never raises)
            from runner.jobs import kick_outbox

            kick_outbox(r.settings)
        return out

    def note(self, conv_id: int, agent: str, body: str) -> int:
        """Add a private note (never sent). Returns its id. Raises :class:`AgentError`."""
        body = (body or "").strip()
        if not body:
            raise AgentError("empty", "the note is empty")
        if len(body) > MAX_NOTE_CHARS:
            raise AgentError("too_long", f"the note is longer than {MAX_NOTE_CHARS} characters")
        r = self.runner
        with r.sessions() as s, s.begin():
            if s.get(Conversation, conv_id) is None:
                raise AgentError("not_found", f"no conversation {conv_id}")
            now = r.clock()
            n = Note(conversation_id=conv_id, author=agent, body=body, created_at=now)
            s.add(n)
            s.flush()
            audit(s, agent, "note", conv_id, now, note_id=n.id)
            nid = n.id
        r.notify("conversation", conv_id)
        return nid

    @staticmethod
    def _may_act(conv: Conversation, agent: str, role: str) -> None:
        """Only the agent who owns a conversation (or an admin) acts on it; an unowned
        one is anyone's. Raises :class:`AgentError` ``not_owner``."""
        owner = conv.assigned_agent if conv.mode == "agent" else None
        if role != "admin" and owner not in (None, agent):
            raise AgentError("not_owner", f"{owner} owns this conversation; they or an admin can assign it to you")

    def claim(self, conv_id: int, agent: str, assignee: str | None = None, role: str = "agent") -> None:
        """Assign the conversation's open handoff (and the conversation) to ``assignee``
        (default: ``agent`` themself). A handoff someone else holds is theirs: only they
        or an admin reassign it. Raises :class:`AgentError` ``not_found``/``not_owner``."""
        r = self.runner
        who = assignee or agent
        with self._locked(conv_id) as (s, conv):
            self._may_act(conv, agent, role)
            holder = s.scalar(select(Handoff.assigned_to).where(
                Handoff.conversation_id == conv_id, Handoff.resolved_at.is_(None)).limit(1))
            if role != "admin" and holder not in (None, agent):
                raise AgentError("not_owner", f"{holder} holds this handoff; they or an admin can assign it")
            now = r.clock()
            s.execute(update(Handoff).where(Handoff.conversation_id == conv_id,
                                            Handoff.resolved_at.is_(None)).values(assigned_to=who))
            if conv.mode == "agent":
                conv.assigned_agent = who
            audit(s, agent, "assign" if assignee and assignee != agent else "claim", conv_id, now,
                  assignee=who)
        r.notify("handoff", conv_id)

    def _action(self, conv_id: int, agent: str, kind: str, data: dict[str, Any], role: str = "agent") -> str:
        try:
            mode = self.runner.agent_action(conv_id, kind, agent, data,
                                            check=lambda conv: self._may_act(conv, agent, role))
        except LookupError as exc:
            raise AgentError("not_found", str(exc)) from exc
        with self.runner.sessions() as s, s.begin():
            audit(s, agent, kind, conv_id, self.runner.clock(), **data)
        return mode

    def take_over(self, conv_id: int, agent: str, role: str = "agent") -> str:
        """The agent owns the conversation; the bot goes silent (G-01). Returns the mode.
        Another agent's conversation is not taken from them: an admin may, or the owner
        (or an admin) assigns it. Raises :class:`AgentError` ``not_owner``/``not_found``."""
        mode = self._action(conv_id, agent, "take_over", {}, role)
        self.claim(conv_id, agent, role=role)
        return mode

    def hand_back(self, conv_id: int, agent: str, state: str | None = None, role: str = "agent") -> str:
        """The bot resumes, in ``state`` (a state of the conversation's script; default
        its menu). Open handoffs are resolved. Returns the mode. Raises
        :class:`AgentError` (``not_owner`` for another agent's conversation)."""
        return self._action(conv_id, agent, "hand_back", {"state": state} if state else {}, role)

    def close(self, conv_id: int, agent: str, role: str = "agent") -> str:
        """Close: handoffs resolved, the bot back at the script's start."""
        return self._action(conv_id, agent, "close", {}, role)

    def _hold_target(self, s: Session, conv: Conversation, target: str) -> tuple[Any, str | None]:
        """``(account, phone)`` of a hold form's target: ``phone`` (the conversation's
        number alone) or the ``account_ref`` of one of the number's accounts. Raises
        :class:`AgentError` ``invalid`` for anything else."""
        from storage.models import Account, Phone

        target = (target or "").strip()
        if target == "phone":
            return None, conv.customer_phone
        acct = s.scalar(select(Account).join(Phone, Phone.account_id == Account.id)
                        .where(Phone.e164 == conv.customer_phone, Account.account_ref == target).limit(1))
        if acct is None:
            raise AgentError("invalid", "choose one of this number's accounts, or the number itself")
        return acct, None

    def place_hold(self, conv_id: int, agent: str, kind: str, target: str, note: str,
                   role: str = "agent") -> Any:
        """Place a hold of ``kind`` (one of :data:`bot.holds.AGENT_HOLD_KINDS`: US-16
        dispute, US-17 cease, US-18 attorney, bankruptcy, UK-07 vulnerability and
        deceased) on ``target`` — an ``account_ref`` of one of the conversation's
        number's accounts, or ``"phone"`` for the number alone — with a required
        ``note``, through :func:`runner.holds.place_hold` (the API's path: hold, decision,
        audit entry ``hold_placed``, event ``hold.set``, waiting texts refused). Any
        signed-in role may: a hold only ever stops collection. Under the conversation's
        lock. Returns :class:`runner.holds.Placed`. Raises :class:`AgentError`
        ``not_found``/``invalid``."""
        from bot.holds import AGENT_HOLD_KINDS
        from runner import holds

        if kind not in AGENT_HOLD_KINDS:
            raise AgentError("invalid", "choose a kind of hold: " + ", ".join(AGENT_HOLD_KINDS))
        text = _hold_note(note)
        r = self.runner
        with self._locked(conv_id) as (s, conv):
            acct, phone = self._hold_target(s, conv, target)
            placed = holds.place_hold(s, kind=kind, actor=agent, source=f"agent:{agent}", now=r.clock(),
                                      account=acct, phone=phone, note=text, conversation_id=conv.id)
        log.info("agent placed a %s hold (%s) for %s; %d waiting text(s) refused", kind, placed.rule,
                 mask_phone(conv.customer_phone), len(placed.refused))
        r.notify("conversation", conv_id)
        return placed

    def clear_hold(self, conv_id: int, agent: str, kind: str, target: str, note: str,
                   role: str = "agent") -> list[int]:
        """Clear every active hold of ``kind`` on ``target`` (an ``account_ref`` of the
        number's accounts, or ``"phone"``), with a required ``note`` saying why, through
        :func:`runner.holds.clear_holds` (the API's path: decision, audit entry
        ``hold_cleared``, event ``hold.cleared``). A silencing hold (US-17 cease, US-18
        attorney, bankruptcy, deceased, recalled) only an admin may clear
        (:func:`bot.holds.may_clear`); an agent's attempt changes nothing and is audited
        as ``hold_clear_refused``. Returns the cleared holds' ids. Raises
        :class:`AgentError` ``not_found``/``invalid``/``forbidden``."""
        from bot.holds import may_clear
        from runner import holds

        kind = (kind or "").strip()
        if not kind or len(kind) > 32:
            raise AgentError("invalid", "choose a hold to clear")
        text = _hold_note(note)
        r = self.runner
        with self._locked(conv_id) as (s, conv):
            acct, phone = self._hold_target(s, conv, target)
            now = r.clock()
            if not may_clear(kind, role):
                audit(s, agent, "hold_clear_refused", conv.id, now, kind=kind, role=role,
                      **({"account_ref": acct.account_ref} if acct is not None else {"phone": phone}))
                refused = True
            else:
                refused = False
                ids = holds.clear_holds(s, kind=kind, actor=agent, source=f"agent:{agent}", now=now,
                                        account=acct, phone=phone, note=text, conversation_id=conv.id)
        r.notify("conversation", conv_id)
        if refused:
            raise AgentError("forbidden", f"only an admin may clear a {kind} hold: it would let texts reach a "
                             "customer who is protected from them")
        if not ids:
            raise AgentError("invalid", f"no active {kind} hold there to clear")
        log.info("agent cleared %d %s hold(s) for %s", len(ids), kind, mask_phone(conv.customer_phone))
        return ids

    def record_promise(self, conv_id: int, agent: str, account_ref: str, amount_minor: int,
                       due_date: dt.date, role: str = "agent") -> int:
        """Record a promise-to-pay the customer made to the agent, through the bot's own
        step (``AgentAction("record_promise")``) and apply code. Returns the new
        promise's id; it replaces the account's pending promise (that one becomes
        ``superseded``). Raises :class:`AgentError` ``invalid`` when the step refused it
        (unknown account, non-positive amount, past date, an active plan on the account;
        UK-06: an account whose profile asks for right-party confirmation this
        conversation never got)."""
        return self._record(conv_id, agent, "record_promise", {
            "account_ref": account_ref, "amount_minor": int(amount_minor), "due_date": due_date.isoformat()}, role)

    def record_plan(self, conv_id: int, agent: str, account_ref: str, option: int, role: str = "agent") -> int:
        """Record plan ``option`` (1-based) of the policy's offers for the account.
        Returns the plan's id; it replaces the account's pending promise and active plan
        (both become ``superseded``). Raises :class:`AgentError` ``invalid``."""
        return self._record(conv_id, agent, "record_plan", {"account_ref": account_ref, "option": int(option)},
                            role)

    def _record(self, conv_id: int, agent: str, kind: str, data: dict[str, Any], role: str = "agent") -> int:
        """The step decides first; only a promise or plan it records is applied and
        audited as ``kind``. A refused one changes nothing on the conversation (mode,
        owner, state) and is audited as ``<kind>_refused`` with the reason."""
        from runner.inbound import AgentActionRefused
        from storage.models import Plan, Promise

        model = Promise if kind == "record_promise" else Plan
        with self.runner.sessions() as s:
            before = s.scalar(select(model.id).order_by(model.id.desc()).limit(1)) or 0
        try:
            self._action(conv_id, agent, kind, data, role)
        except AgentActionRefused as exc:
            with self.runner.sessions() as s, s.begin():
                audit(s, agent, f"{kind}_refused", conv_id, self.runner.clock(), **data,
                      problem=exc.detail.get("problem") or exc.detail.get("agent_error"))
            self.runner.notify("conversation", conv_id)
            raise AgentError("invalid", "not recorded: " + _refusal(kind, data, exc.detail)) from exc
        with self.runner.sessions() as s:
            new = s.scalar(select(model.id).where(model.id > before, model.conversation_id == conv_id,
                                                  model.source == f"agent:{agent}")
                           .order_by(model.id.desc()).limit(1))
        if new is None:
            raise AgentError("invalid", "not recorded: check the account, the amount and the date"
                             if kind == "record_promise" else "not recorded: that plan is not on offer")
        return int(new)


def _refusal(kind: str, data: dict[str, Any], why: dict[str, Any]) -> str:
    """A sentence for the agent: which limit a refused promise or plan broke."""
    from bot.money import format_money

    if why.get("agent_error") == "unknown_account":
        return "that account is not on this conversation"
    if why.get("agent_error") == "identity_unconfirmed":
        # UK-06: its reminders would disclose the debt to whoever holds the phone
        return ("the customer has not confirmed their identity on this conversation (UK-06): its "
                "reminders would disclose the debt to whoever holds this phone. Hand the "
                "conversation back so the customer can answer the identity question first")
    if kind == "record_plan":
        return "that plan is not on offer"
    problem, cur = why.get("problem"), str(why.get("currency") or "USD")
    if problem == "amount_not_positive":
        return "the amount must be above zero"
    if problem == "amount_above_balance":
        return (f"{format_money(int(why['amount_minor']), cur, 'en')} is more than the balance of "
                f"{format_money(int(why['limit_minor']), cur, 'en')}")
    if problem == "date_past":
        return f"{why['due_date']} is before the customer's today ({why['today']})"
    if problem == "plan_active":
        nxt = (f" (next payment {format_money(int(why['next_amount_minor']), cur, 'en')} due {why['next_due']})"
               if why.get("next_amount_minor") is not None and why.get("next_due") else "")
        return (f"the account has an active payment plan{nxt}: a payment toward it needs no promise; "
                "to change the arrangement, record a new plan (it replaces the current one)")
    if problem == "date_too_far":
        return f"{why['due_date']} is later than the furthest date an agent may agree ({why['max_date']})"
    return "check the account, the amount and the date"


def sla_sweep(sessions: Any, now: dt.datetime, runner: Any = None) -> int:
    """Worker hook: raise the alert for every open handoff past its SLA, exactly once
    (G-01: a handoff is never a silent drop). The alert is a WARNING log line (no phone
    number, no name), an audit entry (actor ``system``, action ``sla_breach``), an event
    ``handoff.overdue`` for the lender, and a wake-up for the console, whose inbox badge
    counts overdue handoffs; ``/metrics`` exposes ``duly_handoffs_past_sla``. Returns how
    many alerts were raised."""
    from runner.events import record_event

    raised: list[int] = []
    with sessions() as s, s.begin():
        due = s.scalars(select(Handoff).where(Handoff.resolved_at.is_(None), Handoff.alerted_at.is_(None),
                                              Handoff.sla_due_at.is_not(None), Handoff.sla_due_at <= now)
                        .order_by(Handoff.id).limit(500)).all()
        for ho in due:
            won = s.execute(update(Handoff).where(Handoff.id == ho.id, Handoff.alerted_at.is_(None))
                            .values(alerted_at=now)).rowcount == 1
            if not won:
                continue
            late = now - ho.sla_due_at
            log.warning("handoff %d (%s, P%d) on conversation %d is past its SLA by %d min; assignee %s",
                        ho.id, ho.reason, ho.priority, ho.conversation_id, int(late.total_seconds() // 60),
                        "none" if not ho.assigned_to else "set")
            audit(s, "system", "sla_breach", ho.conversation_id, now, handoff_id=ho.id, reason=ho.reason,
                  minutes_late=int(late.total_seconds() // 60))
            record_event(s, "handoff.overdue", account_id=None, conversation_id=ho.conversation_id, now=now,
                         payload={"handoff_id": ho.id, "reason": ho.reason, "priority": ho.priority})
            raised.append(ho.conversation_id)
    if runner is not None:
        for cid in raised:
            runner.notify("handoff", cid)
    return len(raised)
