"""Cadence planning: queue the step due for every eligible account, once.

``plan(sessions, settings, now)`` is what ``duly campaign run [--dry-run] [--now ISO]``
(and the worker, on its schedule) calls. Steps come from ``config.toml [cadence]``: per
profile, a list of ``{dpd, template, name?}``. As of ``now`` an account's **due step** is
the step with the highest ``dpd`` threshold ``<=`` its days past due; it is queued once per
delinquency episode — ``cadence_sends`` has the unique key ``(account_id, step,
delinquent_since)``, so a re-run queues nothing new and a new episode (a new
``delinquent_since``) starts the cadence again. Earlier steps an account skipped (an account
imported at 30 DPD) are never sent in a burst.

How it runs (set-based; no query per account)
---------------------------------------------
Accounts are walked in id-range batches of ``[cadence] batch_size`` (memory stays flat:
one batch's rows at a time; one transaction per batch):

1. **Plan** (one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per batch, every profile at
   once): every account in the id range with ``balance_minor > 0``, ``delinquent_since``
   set and a due step not yet in ``cadence_sends`` for this episode gets a row:
   ``status = "planned"`` when it is eligible, else ``status = "held"`` with the rule that
   holds it, decided in the same statement. The batch's active account holds and its
   phones' best state are aggregated once (grouped derived tables over the id range,
   LEFT JOINed); an account's phones are ranked usable < held number < opted out <
   undeliverable < quarantined and the best one decides (first match wins):

   ==================================  ==========================================
   active hold on the account          the hold's ``rule``, else by kind (``dispute`` →
                                       US-16, ``cease`` → US-17, ``attorney`` → US-18,
                                       ``vulnerability`` → UK-07, ...), else ``hold:<kind>``
   a person has the customer: a        ``G-01`` (the gate refuses initiated texts then
   conversation with a number of the   too; the step is recorded held, so the cadence
   account in agent mode or with an    goes on at its next step after the hand-back)
   open hand-off (claimed or not)
   a promise to pay pending, or a      ``arrangement`` (G-02; the gate refuses dunning
   repayment plan active               while a promise is in force, date + grace)
   no phone                            ``no_phone``
   every phone quarantined             ``US-12`` (wrong number)
   every other phone undeliverable     ``undeliverable`` (provider 21211/30003/...)
   every other phone opted out of SMS  ``US-05`` (opt-out registry)
   a hold on every other number        that hold's rule
   ==================================  ==========================================

   PostgreSQL: the batch transaction sets ``jit = off`` (the CASE-heavy statement's cost
   estimate triggers JIT compilation that costs more than the statement).

2. **Materialise** (a few queries per batch): the batch's ``planned`` rows are read with
   the account facts and the first usable phone (lowest ``phones.id``); the customer's
   conversation with our number is fetched or created in bulk (``INSERT … ON CONFLICT DO
   NOTHING``, then one ``SELECT … IN``); payment links are made in bulk for templates that
   use ``{{ pay_link }}``; each text is rendered in the sandbox (``bot.templates.render``)
   and goes through :func:`runner.outbound.submit` — the one send path — as kind
   ``notice``, sender ``system``: the gate writes its decision row. A gate ``refuse`` makes
   the cadence row ``held`` with the gate's rule (the refused message is kept, as the gate
   keeps everything); ``send``/``defer`` make it ``queued``. The text is rendered here, at
   queue time, and stored; ``{{ dpd }}`` is the account's days past due as of ``now`` in
   its zone. When the gate refuses it at dispatch because that figure is no longer true
   (US-21: queued at 21:30, sent at 08:00 the next day), ``runner.outbound.redecide``
   sets the cadence row back to ``planned`` and the next run renders it again. Cadence rows are updated in one
   bulk statement per batch. A crash between 1 and 2 leaves ``planned`` rows that the next
   run materialises.

DPD and zones
-------------
DPD is counted in the account's zone (``accounts.timezone``): the local date of ``now``
differs from its UTC date by -1, 0 or +1 day, so the distinct zones of delinquent accounts
are read once (``SELECT DISTINCT``) and each is put in its offset class in Python. SQL then
needs no date arithmetic: ``dpd >= N`` ⟺ ``delinquent_since <= local_today - N``, a
comparison with a date computed in Python per (offset class, threshold) — exact per zone,
no approximation. An unknown zone name counts as UTC.

Templates and rules
-------------------
Only the **published** revision of the configured script is used, and only when it is
approved (``approved_at`` set); the shipped default is seeded approved. Before anything is
planned, every step template of every profile is checked (:func:`check_cadence`):

* it exists in the script with a text per script language (en, zh);
* US-04: it is a ``collection = true`` template (so it validated with the opt-out clause);
* US-14 (profile ``regime = "third_party"``): every language carries the debt-collector
  disclosure ("This is a communication from a debt collector…"); the shipped
  ``cadence_*_third_party`` templates carry the full initial disclosure on every step,
  because the first text an account gets may be any step;
* UK-06 (profile ``identity_check = true``): no debt placeholder (name, amounts, deadline,
  pay link) — the text asks the customer to reply; the balance follows the identity check;
* CN-05 (``jurisdiction = "CN"``): the zh text carries name, amount, deadline and contact.

A problem raises :class:`CadenceConfigError` (the CLI prints each and exits 2).

Not here: allowed hours, caps (US-20, ST-01) and consent are the gate's (``bot/gate.py``,
decided in ``submit`` now and again at dispatch by the worker).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select, text, union, update
from sqlalchemy.orm import Session, sessionmaker

from bot import dialogs
from duly.config import creditor_contact
from bot import templates as tpl
from bot.dialogs.engine import format_date
from bot.types import HOLD_RULES
from bot.dialogs.script import DEBT_PARAMS
from bot.money import format_money
from runner import outbound
from storage import scripts as storage_scripts
from storage.models import (Account, CadenceSend, Conversation, Handoff, Hold, OptOut, PaymentLink, Plan, Promise,
                            ScriptRevision, Phone)

log = logging.getLogger("duly.campaign")

__all__ = ["Step", "ProfileCadence", "PlanItem", "PlanReport", "CadenceConfigError",
           "cadence_config", "check_cadence", "plan", "HOLD_KIND_RULES"]

#: Rule of an active hold whose ``rule`` column is empty, by kind: the one table,
#: :data:`bot.types.HOLD_RULES` (the engine, the gate and the console name them so too).
HOLD_KIND_RULES: dict[str, str] = HOLD_RULES

_DISCLOSURE = {"en": re.compile(r"communication from a debt collector", re.I),
               "zh": re.compile(r"催收机构")}
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)")


class CadenceConfigError(ValueError):
    """The cadence cannot run: bad ``[cadence]`` config, no approved script, or step
    templates that break a rule. ``problems`` lists each (with the rule ID)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Step:
    """One cadence step: ``name`` (the ``cadence_sends.step`` key), ``dpd`` threshold in
    days (>= 1), ``template`` key of the dialog script."""

    name: str
    dpd: int
    template: str


@dataclass(frozen=True)
class ProfileCadence:
    """A profile's steps (ascending ``dpd``) and the profile facts the rules need."""

    profile: str
    steps: tuple[Step, ...]
    regime: str = "first_party"
    jurisdiction: str = "US"
    identity_check: bool = False


@dataclass(frozen=True)
class PlanItem:
    """One account's due step as planned. status: ``queued`` (message row made; the gate
    said send or defer), ``held`` (``rule`` says why; by eligibility or by the gate),
    ``would_queue`` (dry run). ``local_time``: ``now`` in the account's zone, ISO."""

    account_ref: str
    step: str
    template: str
    status: str
    rule: str | None
    local_time: str
    message_id: int | None = None


@dataclass
class PlanReport:
    """What a run did (or, with ``dry_run``, would do).

    due: accounts whose due step was not yet recorded for this episode.
    queued: message rows made (gate send or defer); deferred: of those, deferred.
    held: cadence rows held, counted by rule (eligibility rules and gate refusals).
    items: the first ``sample_limit`` :class:`PlanItem` (all of them go to ``on_item``).
    batches: id-range batches walked.
    """

    now: dt.datetime
    dry_run: bool = False
    due: int = 0
    queued: int = 0
    deferred: int = 0
    held: Counter = field(default_factory=Counter)
    items: list[PlanItem] = field(default_factory=list)
    batches: int = 0

    @property
    def held_total(self) -> int:
        return sum(self.held.values())


# --- configuration ------------------------------------------------------------------------

def cadence_config(behaviour: Mapping[str, Any]) -> dict[str, ProfileCadence]:
    """Parse ``[cadence.profiles.*]`` (and the profiles' regime, jurisdiction and
    identity_check from ``[profiles.*]``). Raises :class:`CadenceConfigError`."""
    problems: list[str] = []
    cad = behaviour.get("cadence") or {}
    profiles = behaviour.get("profiles") or {}
    out: dict[str, ProfileCadence] = {}
    for pname, pc in (cad.get("profiles") or {}).items():
        if pname not in profiles:
            problems.append(f"cadence.profiles.{pname}: no such profile in [profiles]")
            continue
        steps: list[Step] = []
        for i, raw in enumerate(pc.get("steps") or []):
            where = f"cadence.profiles.{pname}.steps[{i}]"
            d = raw.get("dpd") if isinstance(raw, Mapping) else None
            t = raw.get("template") if isinstance(raw, Mapping) else None
            if not isinstance(d, int) or isinstance(d, bool) or d < 1:
                problems.append(f"{where}.dpd must be a whole number of days >= 1")
                continue
            if not isinstance(t, str) or not t:
                problems.append(f"{where}.template must name a script template")
                continue
            steps.append(Step(str(raw.get("name") or f"dpd{d}"), d, t))
        steps.sort(key=lambda s: s.dpd)
        if len({s.dpd for s in steps}) != len(steps) or len({s.name for s in steps}) != len(steps):
            problems.append(f"cadence.profiles.{pname}: two steps share a dpd or a name")
        prof = profiles[pname]
        out[pname] = ProfileCadence(
            pname, tuple(steps), regime=str(prof.get("regime", "first_party")),
            jurisdiction=str(prof.get("jurisdiction", "US")).upper(),
            identity_check=bool(prof.get("identity_check", False)))
    if problems:
        raise CadenceConfigError(problems)
    return out


def check_cadence(cadences: Mapping[str, ProfileCadence], script: Any,
                  profiles: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Problems with the step templates of ``cadences`` in ``script`` (a loaded
    :class:`bot.dialogs.Script`): existence, languages, US-04, US-14, UK-06, CN-05, and
    whatever the content linter (``bot.lint``) finds with the profile mapping from
    ``profiles`` (config ``[profiles]``). ``[]`` when every step may go."""
    problems: list[str] = []
    profiles = profiles or {}
    for pc in cadences.values():
        for st in pc.steps:
            where = f"cadence {pc.profile}/{st.name}: template {st.template!r}"
            texts = script.templates.get(st.template)
            if texts is None:
                problems.append(f"{where} is not in the published script")
                continue
            for lang in script.languages:
                if lang not in texts:
                    problems.append(f"{where} has no {lang!r} text")
            if st.template not in script.collection:
                problems.append(f"{where} must be a collection template (collection = true) "
                                "carrying the opt-out instruction (US-04)")
            for lang, src in texts.items():
                used = set(_PLACEHOLDER.findall(src))
                if pc.regime == "third_party":
                    rx = _DISCLOSURE.get(lang, _DISCLOSURE["en"])
                    if not rx.search(src):
                        problems.append(f"{where} ({lang}) lacks the debt-collector disclosure "
                                        "required under the third-party regime (US-14)")
                if pc.identity_check and used & DEBT_PARAMS:
                    problems.append(f"{where} ({lang}) discloses {sorted(used & DEBT_PARAMS)} before "
                                    "right-party confirmation (UK-06)")
                if pc.jurisdiction == "CN" and lang == "zh":
                    missing = {"name", "deadline", "contact"} - used
                    if not used & {"past_due", "balance"}:
                        missing.add("past_due")
                    if missing:
                        problems.append(f"{where} (zh) must carry name, amount, deadline and contact "
                                        f"(CN-05); missing {sorted(missing)}")
                for rule, message in _lint(src, profiles.get(pc.profile, {}), used):
                    problems.append(f"{where} ({lang}): {message} ({rule})")
    return problems


def _lint(src: str, profile: Mapping[str, Any], used: set[str]) -> list[tuple[str, str]]:
    """The content linter (``bot.lint``) on a step template, as an initial text to an
    unconfirmed person. CN-05 counts ``{{ contact }}`` (the script's name for the
    creditor's contact) as the contact."""
    try:
        from bot import lint as linter
        from bot.dialogs.script import KNOWN_PARAMS
    except ImportError:  # linter not present in this build
        return []
    found = linter.lint(src, profile=profile, initial=True, identity_confirmed=False,
                        known_params=KNOWN_PARAMS)
    return [(p.rule, p.message) for p in found if not (p.rule == "CN-05" and "contact" in used)]


def _approved_script(s: Session, settings: Any, dry_run: bool) -> Any:
    name = str(settings.behaviour.get("script", "default"))
    try:
        rev = storage_scripts.published_revision(s, name)
    except storage_scripts.NoPublishedScript:
        if dry_run:  # the shipped default is what would be seeded, approved
            return dialogs.load_script(dialogs.default_script_text())
        rev = storage_scripts.ensure_default_revision(s, name, dialogs.default_script_text())
    if rev.status != "published" or rev.approved_at is None:
        raise CadenceConfigError([f"script {name!r} revision {rev.revision} is not approved; "
                                  "only approved revisions send"])
    return dialogs.load_script(rev.body)


def _from_number(settings: Any) -> str:
    """Our number for cadence conversations: ``[cadence] from_number``, else
    ``TWILIO_FROM``, else ``[demo] our_number``. (With a Messaging Service, set
    ``from_number`` to the number customers see, so their replies land in the same
    conversation.)"""
    b = settings.behaviour
    ours = str((b.get("cadence") or {}).get("from_number") or "")
    return (ours or getattr(settings, "twilio_from", None)
            or str((b.get("demo") or {}).get("our_number") or "+15555550100"))


# --- SQL pieces ---------------------------------------------------------------------------

def _zone_offsets(s: Session, now: dt.datetime) -> tuple[list[str], list[str]]:
    """Zones (of delinquent accounts) whose local date of ``now`` is the UTC date minus
    one / plus one (one ``SELECT DISTINCT``; an unknown zone name counts as UTC)."""
    utc_day = now.astimezone(dt.timezone.utc).date()
    minus, plus = [], []
    zones = s.scalars(select(Account.timezone).where(Account.delinquent_since.is_not(None))
                      .distinct()).all()
    for z in zones:
        try:
            local = now.astimezone(ZoneInfo(z)).date()
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            continue
        if local < utc_day:
            minus.append(z)
        elif local > utc_day:
            plus.append(z)
    return minus, plus


@dataclass(frozen=True)
class _Clock:
    """``now`` as planning needs it: the UTC date and the zones whose local date is one
    day before (``minus``) or after (``plus``) it."""

    utc_day: dt.date
    minus: tuple[str, ...]
    plus: tuple[str, ...]

    def offset_expr(self) -> Any:
        whens = []
        if self.plus:
            whens.append((Account.timezone.in_(self.plus), 1))
        if self.minus:
            whens.append((Account.timezone.in_(self.minus), -1))
        return case(*whens, else_=0) if whens else literal(0)

    def cutoff(self, offset: int, days: int) -> Any:
        """``dpd >= days`` ⟺ ``delinquent_since <= local_today - days`` (local_today =
        utc_day + offset): a date comparison, no date arithmetic in SQL."""
        return literal(self.utc_day + dt.timedelta(days=offset - days), Date)


def _step_expr(cadences: Mapping[str, ProfileCadence], clock: _Clock) -> Any:
    """The due step's name per account as a CASE (``NULL`` when no step is due): by the
    account's zone offset class, then by profile, the highest threshold first."""
    def by_profile(offset: int) -> Any:
        return case({pc.profile: case(*[(Account.delinquent_since <= clock.cutoff(offset, st.dpd), literal(st.name))
                                        for st in sorted(pc.steps, key=lambda x: -x.dpd)], else_=None)
                     for pc in cadences.values()}, value=Account.profile, else_=None)
    offsets = [0] + ([1] if clock.plus else []) + ([-1] if clock.minus else [])
    if len(offsets) == 1:
        return by_profile(0)
    return case({o: by_profile(o) for o in offsets}, value=clock.offset_expr(), else_=None)


def _hold_rule(h: Any) -> Any:
    return func.coalesce(h.rule, case(*[(h.kind == k, literal(v)) for k, v in HOLD_KIND_RULES.items()],
                                      else_=literal("hold:") + h.kind))


def _usable_phone_conditions(p: Any) -> list[Any]:
    """A phone row ``p`` that may get a cadence text: not quarantined (US-12), not
    undeliverable, no active SMS opt-out (US-05), no active hold on the number."""
    return [
        p.quarantined_at.is_(None), p.undeliverable_at.is_(None),
        ~exists().where(OptOut.phone == p.e164, OptOut.channel == "sms", OptOut.revoked_at.is_(None)),
        # NOT IN an uncorrelated set (computed once), not a probe per phone: with statistics
        # saying holds.phone is mostly one value SQLite would scan holds for every phone
        p.e164.not_in(select(Hold.phone).where(Hold.cleared_at.is_(None), Hold.phone.is_not(None))),
    ]


#: Phone states, best first: an account's phones are ranked and the best one decides
#: (``MIN``): a usable phone makes the account eligible; else the rule of its best phone.
_PHONE_USABLE, _PHONE_HELD, _PHONE_OPTED_OUT, _PHONE_UNDELIVERABLE, _PHONE_QUARANTINED = 0, 1, 2, 3, 4


def _due_select(cadences: Mapping[str, ProfileCadence], clock: _Clock, lo: int, hi: int, *,
                skip_recorded: bool = True) -> Any:
    """One SELECT of ``account_id, step, delinquent_since, profile, status, rule`` for every
    account in ``[lo, hi]`` of a profile with a cadence whose due step is set.

    Set-based per batch: the batch's active account holds and its phones' best state are
    aggregated once (two grouped derived tables over the id range, index range scans) and
    LEFT JOINed; a hold's rule is looked up only for the (few) held rows.
    ``skip_recorded``: leave out steps already in ``cadence_sends`` for the episode (the dry
    run needs it; the real run relies on ``ON CONFLICT DO NOTHING`` of the unique key).
    """
    step = _step_expr(cadences, clock)
    min_dpd = min(st.dpd for pc in cadences.values() for st in pc.steps)

    held_acct = (select(Hold.account_id.label("aid"), func.min(Hold.id).label("hid"))
                 .where(Hold.account_id.between(lo, hi), Hold.cleared_at.is_(None))
                 .group_by(Hold.account_id).subquery("ah"))
    # numbers with an active hold: a small set, joined (not probed per phone: with
    # statistics saying holds.phone is mostly one value, SQLite would scan holds per phone)
    held_phones = (select(Hold.phone.label("phone")).where(Hold.cleared_at.is_(None), Hold.phone.is_not(None))
                   .group_by(Hold.phone).subquery("hph"))
    phone_state = case(
        (Phone.quarantined_at.is_not(None), _PHONE_QUARANTINED),
        (Phone.undeliverable_at.is_not(None), _PHONE_UNDELIVERABLE),
        (exists().where(OptOut.phone == Phone.e164, OptOut.channel == "sms", OptOut.revoked_at.is_(None)),
         _PHONE_OPTED_OUT),
        (held_phones.c.phone.is_not(None), _PHONE_HELD),
        else_=_PHONE_USABLE)
    phones = (select(Phone.account_id.label("aid"), func.min(phone_state).label("best"))
              .select_from(Phone).outerjoin(held_phones, held_phones.c.phone == Phone.e164)
              .where(Phone.account_id.between(lo, hi)).group_by(Phone.account_id).subquery("pb"))

    # a promise-to-pay or a plan in force: reminders and follow-ups carry the account,
    # not the dunning cadence (the cadence resumes at its next step if it breaks)
    arranged = union(
        select(Promise.account_id.label("aid")).where(Promise.account_id.between(lo, hi),
                                                      Promise.status == "pending"),
        select(Plan.account_id.label("aid")).where(Plan.account_id.between(lo, hi), Plan.status == "active"),
    ).subquery("arr")

    # G-01: a person has the customer — a conversation with a number of the account is in
    # agent mode or has an open hand-off (claimed or not); as runner.outbound.resolve reads it
    with_person = (select(Phone.account_id.label("aid"))
                   .join(Conversation, Conversation.customer_phone == Phone.e164)
                   .where(Phone.account_id.between(lo, hi), or_(
                       Conversation.mode == "agent",
                       exists().where(Handoff.conversation_id == Conversation.id, Handoff.resolved_at.is_(None))))
                   .group_by(Phone.account_id).subquery("ho"))

    h = Hold.__table__.alias("h")
    acct_hold_rule = select(_hold_rule(h.c)).where(h.c.id == held_acct.c.hid).scalar_subquery()
    hp = Hold.__table__.alias("hp")
    p = Phone.__table__.alias("p")
    phone_hold_rule = (select(_hold_rule(hp.c))
                       .join(p, and_(p.c.e164 == hp.c.phone, p.c.account_id == Account.id))
                       .where(hp.c.cleared_at.is_(None)).order_by(hp.c.id).limit(1).scalar_subquery())
    rule = case(
        (held_acct.c.hid.is_not(None), acct_hold_rule),
        (with_person.c.aid.is_not(None), literal("G-01")),
        (arranged.c.aid.is_not(None), literal("arrangement")),
        (phones.c.best.is_(None), literal("no_phone")),
        (phones.c.best == _PHONE_QUARANTINED, literal("US-12")),
        (phones.c.best == _PHONE_UNDELIVERABLE, literal("undeliverable")),
        (phones.c.best == _PHONE_OPTED_OUT, literal("US-05")),
        (phones.c.best == _PHONE_HELD, phone_hold_rule),
        else_=None)
    status = case((and_(held_acct.c.hid.is_(None), with_person.c.aid.is_(None), arranged.c.aid.is_(None),
                        phones.c.best == _PHONE_USABLE), literal("planned")),
                  else_=literal("held"))
    sel = (select(Account.id.label("account_id"), step.label("step"),
                  Account.delinquent_since.label("delinquent_since"), Account.profile.label("profile"),
                  status.label("status"), rule.label("rule"))
           .select_from(Account)
           .outerjoin(held_acct, held_acct.c.aid == Account.id)
           .outerjoin(with_person, with_person.c.aid == Account.id)
           .outerjoin(arranged, arranged.c.aid == Account.id)
           .outerjoin(phones, phones.c.aid == Account.id)
           .where(Account.id.between(lo, hi), Account.profile.in_(list(cadences)),
                  Account.balance_minor > 0, Account.delinquent_since <= clock.cutoff(1, min_dpd),
                  step.is_not(None)))
    if skip_recorded:
        cs = CadenceSend.__table__.alias("cs")
        sel = sel.where(~exists().where(cs.c.account_id == Account.id, cs.c.step == step,
                                        cs.c.delinquent_since == Account.delinquent_since))
    return sel


def _dialect_insert(s: Session) -> Any:
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _insert_planned(s: Session, sel: Any, now: dt.datetime, lo: int, hi: int) -> tuple[int, list[tuple[int, str, str]]]:
    """Run the plan's ``INSERT … SELECT … ON CONFLICT DO NOTHING`` for accounts in
    ``[lo, hi]``; returns how many rows it inserted as ``planned`` and the ``(account_id,
    step, rule)`` of those it inserted as ``held`` (read back by id: rows above the
    table's highest id before the insert — no RETURNING of every row)."""
    cols = ["account_id", "step", "delinquent_since", "profile", "status", "rule"]
    sel = sel.add_columns(literal(now, CadenceSend.__table__.c.created_at.type).label("created_at"))
    table = CadenceSend.__table__
    before = s.scalar(select(func.max(table.c.id))) or 0
    stmt = _dialect_insert(s)(table).from_select(cols + ["created_at"], sel).on_conflict_do_nothing()
    inserted = max(0, s.connection().execution_options(preserve_rowcount=True).execute(stmt).rowcount or 0)
    if not inserted:
        return 0, []
    held = [tuple(r) for r in s.execute(
        select(table.c.account_id, table.c.step, table.c.rule)
        .where(table.c.id > before, table.c.account_id.between(lo, hi), table.c.status == "held"))]
    return inserted - len(held), held


# --- materialise -------------------------------------------------------------------------

def _submit(s: Session, conv: Conversation, body: str, *, account_id: int, template: str,
            now: dt.datetime, transport: str, behaviour: Mapping[str, Any],
            meta: Mapping[str, Any] | None = None) -> Any:
    """``runner.outbound.submit`` for a cadence text (kind ``notice``, sender ``system``;
    ``approved``: a template of the published, approved script revision)."""
    return outbound.submit(s, conv, body, kind="notice", sender="system", now=now, transport=transport,
                           account_id=account_id, template=template, approved=True,
                           behaviour=behaviour, meta=meta)


def _conversations(s: Session, phones: Iterable[str], ours: str, now: dt.datetime) -> dict[str, Conversation]:
    phones = sorted(set(phones))
    if not phones:
        return {}
    table = Conversation.__table__
    dialect_insert = _dialect_insert(s)
    existing = set(s.scalars(select(Conversation.customer_phone).where(
        Conversation.our_number == ours, Conversation.customer_phone.in_(phones))))
    new = [{"customer_phone": p, "our_number": ours, "state": "start", "slots": {}, "mode": "bot",
            "version": 1, "created_at": now, "updated_at": now} for p in phones if p not in existing]
    if new:
        s.execute(dialect_insert(table).on_conflict_do_nothing(), new)
    convs = s.scalars(select(Conversation).where(Conversation.our_number == ours,
                                                 Conversation.customer_phone.in_(phones))).all()
    return {c.customer_phone: c for c in convs}


def _local(now: dt.datetime, zone: str) -> dt.datetime:
    try:
        return now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return now.astimezone(dt.timezone.utc)


def _params(a: Any, lang: str, now: dt.datetime, behaviour: Mapping[str, Any]) -> dict[str, str]:
    today = _local(now, a.timezone).date()
    days = int((behaviour.get("dialog") or {}).get("notice_deadline_days", 7))
    deadline = a.due_date if a.due_date is not None and a.due_date > today else today + dt.timedelta(days=days)
    return {
        "name": a.name, "creditor": a.creditor or str(behaviour.get("creditor_name", "")),
        "contact": creditor_contact(behaviour, a.profile),
        "past_due": format_money(a.past_due_minor, a.currency, lang),
        # G-02: no minimum due is stated that the ledger never gave
        "minimum_due": format_money(a.minimum_due_minor, a.currency, lang) if a.minimum_due_minor else "",
        "balance": format_money(a.balance_minor, a.currency, lang),
        "deadline": format_date(deadline, lang),
        # US-21: the account's own days past due today in its zone, never the step's threshold
        "dpd": str((today - a.delinquent_since).days) if a.delinquent_since is not None else "",
    }


def _planned_rows(s: Session, lo: int, hi: int) -> list[Any]:
    usable = (select(func.min(Phone.id)).where(Phone.account_id == Account.id, *_usable_phone_conditions(Phone))
              .scalar_subquery())
    ph = Phone.__table__.alias("ph")
    return s.execute(
        select(CadenceSend.id.label("cs_id"), CadenceSend.step, CadenceSend.profile, Account.id,
               Account.account_ref, Account.name, Account.currency, Account.balance_minor,
               Account.past_due_minor, Account.minimum_due_minor, Account.due_date, Account.timezone,
               Account.language, Account.creditor, Account.delinquent_since, ph.c.e164)
        .join(Account, Account.id == CadenceSend.account_id)
        .outerjoin(ph, ph.c.id == usable)
        .where(CadenceSend.status == "planned", CadenceSend.account_id.between(lo, hi))
        .order_by(CadenceSend.id)).all()


def _supersede(s: Session, account_ids: list[int], now: dt.datetime) -> None:
    """An earlier cadence text still waiting (deferred by the hours or a cap) is refused
    when the next step is queued for the same account: its amounts and deadline are stale,
    and two dunning texts must not go out in a burst (US-20). Logged per message (G-03)."""
    if not account_ids:
        return
    from storage.models import Decision, Message

    earlier_steps = select(CadenceSend.message_id).where(CadenceSend.account_id.in_(account_ids),
                                                         CadenceSend.message_id.is_not(None))
    waiting = s.execute(select(Message.id, Message.conversation_id, Message.account_id).where(
        Message.id.in_(earlier_steps), Message.direction == "outbound",
        Message.status.in_(("deferred", "pending")))).all()
    if not waiting:
        return
    s.execute(update(Message).where(Message.id.in_([w.id for w in waiting]))
              .values(status="refused", updated_at=now))
    s.execute(Decision.__table__.insert(), [
        {"conversation_id": w.conversation_id, "message_id": w.id, "account_id": w.account_id,
         "rule": "cadence:superseded", "verdict": "refuse", "actor": "gate", "created_at": now,
         "detail": {"reason": "the next cadence step replaces it"}} for w in waiting])


def _materialise(s: Session, rows: list[Any], script: Any, cadences: Mapping[str, ProfileCadence],
                 settings: Any, now: dt.datetime, report: PlanReport,
                 emit: Callable[[PlanItem], None]) -> None:
    b = settings.behaviour
    ours = _from_number(settings)
    transport = "console" if getattr(settings, "transport", "console") == "console" else "rest"
    convs = _conversations(s, [r.e164 for r in rows if r.e164], ours, now)
    pay = b.get("payments") or {}
    link_base, ttl = str(pay.get("link_base", "")), int(pay.get("link_ttl_hours", 72))
    updates: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    _supersede(s, [r.id for r in rows], now)
    rev_no = s.scalar(select(ScriptRevision.revision).where(
        ScriptRevision.name == str(b.get("script", "default")), ScriptRevision.status == "published")
        .order_by(ScriptRevision.revision.desc()).limit(1))
    for r in rows:
        st = next((x for x in cadences[r.profile].steps if x.name == r.step), None) \
            if r.profile in cadences else None
        local = _local(now, r.timezone).isoformat(timespec="minutes")
        if st is None or r.e164 is None:
            rule = "cadence:step_removed" if st is None else "no_phone"
            updates.append({"id": r.cs_id, "status": "held", "rule": rule})
            report.held[rule] += 1
            emit(PlanItem(r.account_ref, r.step, st.template if st else "", "held", rule, local))
            continue
        lang = r.language if r.language in script.languages else "en"
        params = _params(r, lang, now, b)
        if "pay_link" in set(_PLACEHOLDER.findall(script.templates[st.template].get(lang, ""))):
            token = secrets.token_urlsafe(24)
            links.append({"token": token, "account_id": r.id, "created_at": now,
                          "expires_at": now + dt.timedelta(hours=ttl)})
            params["pay_link"] = link_base + token
        variant = outbound.assign_variant(convs[r.e164], script, st.template, random.random)
        body = (tpl.render(script, st.template, lang, params) if variant == "A"
                else tpl.render(script, st.template, lang, params, variant=variant))
        out = _submit(s, convs[r.e164], body, account_id=r.id, template=st.template,
                      now=now, transport=transport, behaviour=b,
                      meta={"variant": variant, "revision": rev_no, "step": r.step})
        if out.verdict.action == "refuse":
            updates.append({"id": r.cs_id, "status": "held", "rule": out.verdict.rule,
                            "message_id": out.message_id})
            report.held[out.verdict.rule] += 1
            emit(PlanItem(r.account_ref, r.step, st.template, "held", out.verdict.rule, local, out.message_id))
        else:
            updates.append({"id": r.cs_id, "status": "queued", "rule": None, "message_id": out.message_id})
            report.queued += 1
            report.deferred += out.verdict.action == "defer"
            emit(PlanItem(r.account_ref, r.step, st.template, "queued", None, local, out.message_id))
    if links:
        s.execute(PaymentLink.__table__.insert(), links)
    for key in ({"id", "status", "rule"}, {"id", "status", "rule", "message_id"}):
        group = [u for u in updates if set(u) == key]
        if group:
            s.execute(update(CadenceSend), group)
    s.flush()


# --- the entry point ---------------------------------------------------------------------

def plan(sessions: sessionmaker[Session], settings: Any, now: dt.datetime, *, dry_run: bool = False,
         progress: Callable[[int, int], None] | None = None,
         on_item: Callable[[PlanItem], None] | None = None, sample_limit: int = 1000,
         batch_size: int | None = None, materialise: bool = True) -> PlanReport:
    """Queue the cadence step due as of ``now`` for every eligible account, once.

    sessions: a sessionmaker (one transaction per batch is opened from it).
    settings: :class:`duly.config.Settings` (``behaviour`` holds ``[cadence]``,
        ``[profiles]``, ``script``, ``creditor_contact``, ``[payments]``, ``[demo]``).
    now: aware datetime (raises ``ValueError`` when naive); DPD is counted in each
        account's zone as of ``now``.
    dry_run: the real run in a transaction that is rolled back, so the gate answers as it
        would (consent, hours, caps, content) and nothing is written; items come out with
        status ``would_queue`` or ``held`` (with the rule that held them).
    progress: called after each batch with ``(ids_done, ids_total)`` — the share of the
        accounts' id span walked so far.
    on_item: called with every :class:`PlanItem` (the CLI prints them); the report keeps
        only the first ``sample_limit``.
    batch_size: accounts per id-range batch (default ``[cadence] batch_size``; 5000 when unset).
    materialise: ``False`` stops after step 1: the cadence rows stay ``planned`` (no
        message yet; ``due`` counts them, ``queued`` stays 0) and the next run with
        ``materialise=True`` makes their messages — used by ``bench/bench_planning.py``
        to time the set-based planning alone.

    Returns a :class:`PlanReport`. Raises :class:`CadenceConfigError` before writing
    anything when the config or the step templates break a rule (module docstring).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cadences = {k: v for k, v in cadence_config(settings.behaviour).items() if v.steps}
    report = PlanReport(now=now, dry_run=dry_run)
    size = int(batch_size or (settings.behaviour.get("cadence") or {}).get("batch_size", 5000))

    def emit(item: PlanItem) -> None:
        if len(report.items) < sample_limit:
            report.items.append(item)
        if on_item is not None:
            on_item(item)

    with sessions() as s:
        with s.begin():
            script = _approved_script(s, settings, dry_run)
            problems = check_cadence(cadences, script, settings.behaviour.get("profiles") or {})
            if problems:
                raise CadenceConfigError(problems)
            lo_id, hi_id = s.execute(select(func.min(Account.id), func.max(Account.id))).one()
            minus, plus = _zone_offsets(s, now)
        if lo_id is None or not cadences:
            return report
        clock = _Clock(now.astimezone(dt.timezone.utc).date(), tuple(minus), tuple(plus))
        pg = s.get_bind().dialect.name == "postgresql"
        total = hi_id - lo_id + 1
        for lo in range(lo_id, hi_id + 1, size):
            hi = min(lo + size - 1, hi_id)
            s.begin()
            try:
                if pg:
                    # The CASE-heavy statement's cost estimate crosses jit_above_cost; JIT
                    # compiling it costs ~1.7 s per batch and saves nothing at this size.
                    s.execute(text("SET LOCAL jit = off"))
                if dry_run:
                    # The dry run is the real run, rolled back: the gate (consent, hours,
                    # caps, content) answers exactly as it would, and nothing is written.
                    s.info[outbound.DRY_RUN] = True

                    def dry_emit(item: PlanItem) -> None:
                        emit(dataclasses.replace(item, status="would_queue", message_id=None)
                             if item.status == "queued" else dataclasses.replace(item, message_id=None))

                    _planned, held = _insert_planned(
                        s, _due_select(cadences, clock, lo, hi, skip_recorded=False), now, lo, hi)
                    _report_held(s, held, now, report, dry_emit)
                    rows = _planned_rows(s, lo, hi)
                    report.due += len(rows)
                    _materialise(s, rows, script, cadences, settings, now, report, dry_emit)
                    s.rollback()
                else:
                    planned, held = _insert_planned(
                        s, _due_select(cadences, clock, lo, hi, skip_recorded=False), now, lo, hi)
                    _report_held(s, held, now, report, emit)
                    if materialise:
                        rows = _planned_rows(s, lo, hi)   # this run's and any left by a crash
                        report.due += len(rows)
                        _materialise(s, rows, script, cadences, settings, now, report, emit)
                    else:
                        report.due += planned
                    s.commit()
            except BaseException:
                s.rollback()
                raise
            report.batches += 1
            if progress is not None:
                progress(hi - lo_id + 1, total)
    say = log.info if report.due or report.held_total else log.debug  # quiet when idle
    say("campaign %s: %d due, %d queued (%d deferred), %d held %s", "dry run" if dry_run else "run",
        report.due, report.queued, report.deferred, report.held_total, dict(report.held))
    return report


def _report_held(s: Session, held: list[tuple[int, str, str]], now: dt.datetime, report: PlanReport,
                 emit: Callable[[PlanItem], None]) -> None:
    """Report the rows a batch just inserted as ``held`` (eligibility rules)."""
    if not held:
        return
    accts = {r.id: r for r in s.execute(select(Account.id, Account.account_ref, Account.timezone)
                                        .where(Account.id.in_({a for a, _, _ in held})))}
    for account_id, step, rule in sorted(held):
        a = accts[account_id]
        report.due += 1
        report.held[rule] += 1
        emit(PlanItem(a.account_ref, step, "", "held", rule, _local(now, a.timezone).isoformat(timespec="minutes")))


