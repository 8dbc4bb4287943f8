"""Shared builders for the dialog tests (pure core, no I/O besides reading config)."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.actions import Reply
from bot.dialogs import default_script_text, load_script, step
from bot.templates import render
from bot.types import (AccountFacts, ConversationState, Entities, Facts, InboundText,
                       Intent)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
POLICY = {k: CONFIG[k] for k in ("intents", "dialog", "plans", "promises", "profiles", "payments")}
SCRIPT = load_script(default_script_text())
NY = ZoneInfo("America/New_York")
# Monday 2026-11-30 10:00 in New York (the corpus's reference time)
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=NY).astimezone(dt.timezone.utc)


def account(**kw) -> AccountFacts:
    base = dict(account_ref="ACC-100-4521", name="Ana Diaz", currency="USD",
                balance_minor=120000, past_due_minor=30000, minimum_due_minor=5000, dpd=35,
                due_date=dt.date(2026, 10, 26), timezone="America/New_York", language="en",
                creditor="Acme Card", creditor_contact="1-800-555-0100")
    base.update(kw)
    return AccountFacts(**base)


def cn_account(**kw) -> AccountFacts:
    base = dict(account_ref="CN-200-8876", name="王芳", currency="CNY", balance_minor=900000,
                past_due_minor=260000, minimum_due_minor=50000, dpd=40, due_date=dt.date(2026, 10, 20),
                timezone="Asia/Shanghai", language="zh", creditor="华信银行",
                creditor_contact="400-800-1234", profile="cn")
    base.update(kw)
    return AccountFacts(**base)


def uk_account(**kw) -> AccountFacts:
    base = dict(account_ref="UK-300-7788", name="Sam Jones", currency="GBP", balance_minor=120000,
                past_due_minor=30000, minimum_due_minor=2000, dpd=40, due_date=dt.date(2026, 10, 20),
                timezone="Europe/London", language="en", creditor="Albion Loans",
                creditor_contact="0800 000 0000", profile="uk", identity_required=True)
    base.update(kw)
    return AccountFacts(**base)


def facts(*accounts, **kw) -> Facts:
    if not accounts and "accounts" not in kw:
        accounts = (account(),)
    kw.setdefault("policy", POLICY)
    kw.setdefault("keyword_replies", "app")
    return Facts(accounts=tuple(accounts) if accounts else kw.pop("accounts"), **kw)


def said(text: str, intent: str, conf: float = 0.95, lang: str | None = None, rule: str = "",
         **ent) -> InboundText:
    if "amount" in ent and ent["amount"] is not None:
        ent["amount"] = Decimal(str(ent["amount"]))
    return InboundText(text, Intent(intent, conf, Entities(**ent), lang=lang, rule=rule))


def replies(actions) -> list[Reply]:
    return [a for a in actions if isinstance(a, Reply)]


def texts(actions, params_extra=None) -> list[str]:
    out = []
    for r in replies(actions):
        p = dict(r.params)
        p.setdefault("pay_link", "https://pay.example.com/p/TOKEN")
        out.append(render(SCRIPT, r.template, r.lang, p))
    return out


def of(actions, cls) -> list:
    return [a for a in actions if isinstance(a, cls)]


def run(state: ConversationState, f: Facts, *events, now=NOW):
    """Feed several events; returns the final state and the actions of each step."""
    all_actions = []
    for ev in events:
        state, acts = step(state, ev, SCRIPT, f, now)
        all_actions.append(acts)
    return state, all_actions
