"""Chat against a script revision without touching anything (pure; the clock is passed in).

The admin console's simulator replays a sample account's conversation through the same
``interpret()`` and ``step()`` the runner uses: the opening notice, then each text the admin
types. Nothing is stored or sent; identity answers are checked against the sample's known
answer, pay links are a placeholder URL. Every step reports the state, the intent with its
entities, and the actions with their texts rendered.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping

from bot import actions as A
from bot import identity, intents, templates
from bot.dialogs.engine import context_of, opening, plan_options, step
from bot.types import AccountFacts, ConversationState, Facts, InboundText, TimerFired

#: what a pay link looks like in the simulator
SAMPLE_PAY_LINK = "https://pay.example.com/p/SAMPLE"


@dataclass(frozen=True)
class SimStep:
    """One turn: ``text`` the customer typed (``None`` for the opening), ``intent`` and
    ``entities`` (JSON) as interpreted, ``state``/``mode`` after the step, ``replies``
    (rendered texts with their template key), and ``actions`` (one line each)."""

    text: str | None
    intent: str | None
    confidence: float | None
    entities: Mapping[str, Any]
    state: str
    mode: str
    replies: tuple[tuple[str, str], ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Sample:
    """A sample account for previews and the simulator. ``identity_answer``: what the
    identity question accepts (profiles with ``identity_check``)."""

    key: str
    label: str
    facts: AccountFacts
    identity_answer: str = ""


def _norm(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").casefold().split())


def _describe(act: Any) -> str:
    if isinstance(act, A.Reply):
        return f"Reply {act.template} ({act.kind})"
    if isinstance(act, A.RecordPromise):
        return f"RecordPromise {act.account_ref} {act.amount_minor} minor units on {act.due_date.isoformat()}"
    if isinstance(act, A.RecordPlan):
        return f"RecordPlan {act.account_ref} {act.kind} × {len(act.instalments)}"
    if isinstance(act, A.Handoff):
        return f"Handoff {act.reason} P{act.priority}"
    if isinstance(act, A.Audit):
        return f"Audit {act.rule} {dict(act.detail)}"
    return f"{type(act).__name__} " + " ".join(f"{k}={v}" for k, v in vars(act).items())


def _render(script: Any, acts: list[Any]) -> tuple[tuple[str, str], ...]:
    extra: dict[str, str] = {}
    out = []
    for act in acts:
        if isinstance(act, A.IssuePayLink):
            extra["pay_link"] = SAMPLE_PAY_LINK
        if isinstance(act, A.Reply):
            try:
                text = templates.render(script, act.template, act.lang, {**act.params, **extra})
            except templates.TemplateError as exc:
                text = f"[does not render: {exc}]"
            out.append((act.template, text))
    return tuple(out)


def simulate(script: Any, sample: Sample, texts: list[str], now: dt.datetime,
             policy: Mapping[str, Any]) -> list[SimStep]:
    """The opening plus one :class:`SimStep` per text in ``texts`` (oldest first).
    ``now``: aware UTC, the same for every turn. ``policy``: as for the runner's Facts."""
    def facts_for(st: ConversationState) -> Facts:
        confirmed = sample.facts.account_ref in set(st.slots.get("identity_confirmed") or [])
        acct = AccountFacts(**{**vars(sample.facts), "identity_confirmed": confirmed or sample.facts.identity_confirmed})
        return Facts(accounts=(acct,), policy=policy, keyword_replies="app")

    state = ConversationState(slots={"lang": sample.facts.language})
    state, acts = opening(state, script, facts_for(state), now)
    steps = [SimStep(None, None, None, {}, state.state, state.mode, _render(script, acts),
                     tuple(_describe(a) for a in acts))]
    for text in texts:
        facts = facts_for(state)
        intent = intents.interpret(text, context=context_of(state, script), now=now, tz=sample.facts.timezone,
                                   plan_options=plan_options(state), lang_hint=state.slots.get("lang"))
        state, acts = step(state, InboundText(text, intent), script, facts, now)
        acts = list(acts)
        if any(isinstance(a, A.Audit) and a.rule == "UK-06" and a.detail.get("identity_answer") for a in acts):
            ok = bool(sample.identity_answer) and any(_norm(c) == _norm(sample.identity_answer)
                                                     for c in identity.candidates(text))
            state, more = step(state, TimerFired("identity_checked", {"ok": ok}), script, facts_for(state), now)
            acts += list(more)
        steps.append(SimStep(text, intent.name, float(intent.confidence), intent.entities.as_json(), state.state,
                             state.mode, _render(script, acts), tuple(_describe(a) for a in acts)))
    return steps


def samples(now: dt.datetime) -> list[Sample]:
    """The sample accounts: US first party (English), China (Chinese), UK (identity
    check first; the answer is ``SW1A 1AA``)."""
    today = now.date()
    return [
        Sample("us", "Dana · US first party · English", AccountFacts(
            account_ref="SAMPLE-US", name="Dana Whitfield", currency="USD", balance_minor=125000,
            past_due_minor=31250, minimum_due_minor=7500, dpd=12, due_date=today + dt.timedelta(days=5),
            timezone="America/New_York", language="en", creditor="Northwind Card",
            creditor_contact="1-800-555-0100", profile="us_first_party")),
        Sample("cn", "王芳 · 中国 · 中文", AccountFacts(
            account_ref="SAMPLE-CN", name="王芳", currency="CNY", balance_minor=260000, past_due_minor=260000,
            minimum_due_minor=30000, dpd=15, due_date=today + dt.timedelta(days=5), timezone="Asia/Shanghai",
            language="zh", creditor="北风消费金融", creditor_contact="400-800-0100", profile="cn")),
        Sample("uk", "Olivia · UK · identity check", AccountFacts(
            account_ref="SAMPLE-UK", name="Olivia Hughes", currency="GBP", balance_minor=90000,
            past_due_minor=30000, minimum_due_minor=2500, dpd=20, due_date=today + dt.timedelta(days=5),
            timezone="Europe/London", language="en", creditor="Northwind UK", creditor_contact="0800 000 0100",
            profile="uk", identity_required=True), identity_answer="SW1A 1AA"),
    ]


__all__ = ["SimStep", "Sample", "simulate", "samples", "SAMPLE_PAY_LINK", "field"]
