"""The dialog engine: ``step(state, event, script, facts, now) -> (state, actions)``.

Pure: no I/O, no clock reads (``now`` is given). Order of work for a customer message:

1. Language: the message's (``intent.lang``) when clear, else the conversation's, else
   the account's, else ``en``; kept in ``slots["lang"]``.
2. Built-in compliance layer, before any script handler and not removable by a script:
   ``stop`` (US-04/05/06/08, US-17), ``start`` (US-27: an opt-in and its one confirmation
   only for an opted-out number; otherwise answered like a greeting, with the menu),
   ``help`` (US-26), ``attorney`` (US-18), ``bankruptcy``, ``dispute`` (US-16),
   ``wrong_number`` (US-12, UK-06). Whatever the intent and path, self-harm words add a
   vulnerability hold, the crisis-support answer (``self_harm_support``: crisis lines by
   jurisdiction, no payment talk) and a ``self_harm`` hand-off at priority 1, vulnerability
   words the hold (UK-07, :func:`_vulnerability`), on top of what the intent's own path does;
   any other reading with self-harm words (hardship, a promise, abuse...) gets only that
   (:func:`_self_harm`), even while a hand-off is open or a dispute is pending.
3. Silence: opted out of SMS (US-05: only HELP and START are answered), an agent owns
   the conversation (G-01: only opt-out and help are answered), ``auto_reply`` (never
   answered, so two auto-responders cannot loop); ``agent`` always hands off (G-01).
4. Who is texting: no account → a generic reply naming no creditor or debt; several
   accounts → "which account?" (masked refs) before any debt detail — "who is this" is
   answered with the creditors' names only, anything else re-asks, at most
   ``dialog.misses_before_handoff`` times, then a person takes over; identity required
   and not confirmed → the profile's question (UK-06). A request made meanwhile (pay,
   plan, promise, balance, ...) is kept in ``slots["pending_request"]`` (intent name +
   entities) and answered once the account is chosen / the right party confirmed, never
   before. With several accounts, "other account" / "switch account" / "另一个账户" goes
   back to the account question and the last 4 digits of another account switch to it.
5. The script's handler for (state, intent) — an engine operation plus branches — after
   reading the reply against what is pending (:func:`_reread`): an amount or date while a
   promise waits changes the promise; a bare number while plans are on offer or one is
   chosen is a choice.
6. Reply cap (US-20): above ``dialog.max_auto_replies_per_hour`` the step sends no reply
   and makes no conversational move; protective actions still happen, with an Audit.

Identity confirmation (UK-06): in state ``verify`` an ``identity_check_answer`` yields
``Audit(rule="UK-06", detail={"identity_answer": True, "account_ref": ...})`` and no
reply. The runner compares the message body against the stored hash and feeds back
``TimerFired("identity_checked", {"ok": bool})``; ok → the account_ref joins the list
``slots["identity_confirmed"]`` and the menu is sent; a wrong answer is re-asked, and after
``dialog.identity_tries`` wrong answers the conversation is handed off
(``Handoff("identity_failed")``). ``AccountFacts.identity_confirmed`` counts too.

A promise without an amount asks for it (state ``ask_amount``): the past-due amount is
never assumed, so the confirmation repeats only what the customer said (G-02). A re-asked
confirmation shows what is pending (the promise, the chosen plan); a Reply whose required
placeholders would be empty is never emitted (:meth:`_Step.reply`: audited, handed off).

One arrangement per debt (G-02, UK-03), read from ``AccountFacts.promise`` (the pending
promise) and ``AccountFacts.plan`` (the active plan and its next unpaid instalment): plans
offered while a promise is pending come after ``plan_replaces_promise`` (choosing one
replaces the promise, NO keeps it; the runner marks a replaced promise ``superseded``); a
changed promise replaces the pending one and the same one again records nothing; while a
plan is active, "plan" gets ``plan_in_force`` and a ``plan_change`` hand-off, and a promise
counts toward the plan or goes to a person (:func:`_promise_under_plan`). These answers are
the engine's own (an operation sets ``_Step.done``; the handler's branch is skipped), with
built-in texts for scripts published before them.

The full balance (``<say>_full``) goes to the right party only (UK-06): the number on
file where the profile does not require identity confirmation, else after confirmation.
Until the creditor has been named (state ``start``, or an account just chosen) the first
reply about the debt opens with ``greeting`` ("Hi {name}, this is {creditor}.").
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from bot import hours as hours_math
from bot.actions import (Action, Audit, Flag, Handoff, IssuePayLink, OfferPlans, OptIn,
                         OptOut, Quarantine, RecordPlan, RecordPromise, Reply, SetContactWindow, SetHold)
from bot.dialogs import plans as plan_math
from bot.dialogs.script import DEBT_PARAMS, KNOWN_PARAMS, Branch, Handler, Script
from bot.gate import silencing_holds, silencing_rule
from bot.money import format_money, to_minor
from bot.self_harm import SELF_HARM, SELF_HARM_EN, SELF_HARM_ZH
from bot.types import (DECEASED_REPORT_RULE, HOLD_RULES, SELF_HARM_RULE, AccountFacts, AgentAction, ConversationState, Entities, Event, Facts,
                       InboundText, Intent, PaymentPosted, TimerFired)

# Exact single-word bodies the provider (Twilio long code, Advanced Opt-Out) answers
# itself; under keyword_replies = "provider" Duly records but does not answer them.
PROVIDER_KEYWORDS: dict[str, frozenset[str]] = {
    "stop": frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}),
    "start": frozenset({"START", "YES", "UNSTOP"}),
    "help": frozenset({"HELP", "INFO"}),
}

# UK-07: words that suggest vulnerability (bereavement, illness, mental health, carer);
# self-harm words live in bot/self_harm.py (the reader reads them too).
_SELF_HARM_EN, _SELF_HARM_ZH = SELF_HARM_EN, SELF_HARM_ZH
_VULNERABLE = re.compile(
    # "died" but not a phone/battery/car/laptop...; "death" but not "to death" (bored/harassed)
    r"(?<!phone )(?<!phone just )(?<!battery )(?<!battery just )(?<!car )(?<!laptop )(?<!computer )(?<!charger )(?<!engine )"
    r"(?<!cell )(?<!tv )(?<!wifi )(?<!internet )(?<!power )\bdied|passed away|(?<!to )\bdeath\b(?! by)|funeral|\bburied\b|\bburial\b|bereave|hospital|cancer|chemo|"
    # "sick"/"ill" the illness ("I'm sick", "she's ill"), not "sick of these texts" nor "ill" = I'll
    r"(?<!not )(?<!never )(?<!thats )(?<!that['’]s )(?<!so )\bsick\b(?! (?:of|and tired|with (?:this|these|you|your|ur)|to death|deal|offer|rate))|"
    r"\b(?:been|am|im|i['’]m|is|are|was|were|be|fell|falling|feel|feeling|felt|very|so|really|too|seriously|mentally|terminally|"
    r"chronically|critically|gravely|quite|pretty|got|getting|become|became|s|he|she|who) ill\b"
    r"(?! (?:pay|send|do|have|try|get|be|make|call|text|need|take|give|let|see|just|def|prob|still|put|check|talk|wait|"
    r"keep|figure|handle|settle|transfer|mail|drop|bring|come|set|cover|reach|start|stop|sue|go|email|reply|contact))|\bill[- ]health\b|illness|"
    r"depress|anxiety|mental health|suicid|kill myself|end my life|self[- ]harm|"
    # "disabled" the person, not the card/autopay/account
    r"(?<!card )(?<!card is )(?<!card was )(?<!card got )(?<!autopay )(?<!autopay is )(?<!autopay was )(?<!account )(?<!account is )"
    r"(?<!account was )(?<!link )(?<!link is )(?<!link was )(?<!app )(?<!been )(?<!has been )(?<!got )\bdisabled|disability|carer|"
    r"(?<=been )disabled(?= (?:for|since|after|from))|i['’]?ve been disabled|"
    # UK-07, English terms the classifier reads as hardship (bereavement, illness, care)
    r"\bpassed\b(?! (?:on|by|the|it|my|a|out|up|over|through|along|around|down|me|him|her|them|us|you|your|ur|his|this|that|these|those|all|an|with|\d)\b)|"
    # "my mom passed on last week": "passed on" the death, not "passed on the message"
    r"\bpassed on(?= (?:last|in|this|yesterday|recently|earlier|over)\b|\s*[.,!;]|\s*$)|\blost my (?:\w+ )?(?:husband|wife|mom|mother|mum|dad|father|son|daughter|partner|"
    r"child|kid|baby|brother|sister|grand\w+|fianc\w*|spouse|boyfriend|girlfriend|parents?)\b|grieving|grief|widow|mourning|"
    r"\bicu\b|intensive care|hospice|\bthe (?:er|e\.r\.)\b|emergency room|\bstroke\b(?! of)|heart attack|dialysis|tumou?r|diagnosed|"
    r"terminal(?:ly)? ill|terminal (?:cancer|illness|diagnosis|disease|condition)|nursing home|bed ?rest|bedridden|caregiver|\brehab\b|bipolar|ptsd|"
    r"(?:mental|nervous|emotional) breakdown|break(?:ing)? down (?:crying|in tears)|panic attack|"
    r"can['’]?t (?:go on|cope)|cannot (?:go on|cope)|see the point|end of my rope|wits['’]? end|"
    # UK-07: surgery and injury, serious illness, abuse, addiction, dementia
    r"surger(?:y|ies)|\bsurgical|\bpost[- ]?op\b|(?:had|having|need|needs|after|from) (?:an |my |a |major )?operation\b|"
    r"\binjur(?:y|ies|ed)\b|broke my (?:leg|arm|back|hip|neck|ankle|wrist|foot|pelvis|shoulder)|concussion|miscarriage|"
    r"dementia|alzheimer|parkinson|multiple sclerosis|epilep|\bcoma\b|"
    r"domestic (?:abuse|violence)|abusive (?:partner|husband|wife|relationship|ex)|homeless|"
    r"\baddict(?:ion|ed)\b|alcoholic|gambling (?:problem|addiction)|" + _SELF_HARM_EN + "|"
    # UK-07 possible ideation (a person reads it at priority 2): "I want to disappear", "I don't see a way out of this"
    r"\b(?:want to|wanna|wish i could|i could just|just want to|going to|gonna) (?:just )?disappear\b(?! (?:from|off|out of) )|"
    r"\b(?:don['’]?t|do not|can['’]?t|cannot|can not) see (?:a|any) way out\b|"
    r"\bno way out\b(?! of (?:this|the|my|these) (?:debt|loan|contract|plan|agreement|account)s?)|"
    r"去世|过世|离世|住院|生病|癌|抑郁|自杀|轻生|不想活|病了|重病|残疾|化疗|放疗|透析|瘫痪|怀孕|"
    r"活不下去|想死(?!你|您)|寻死|不如死|死了算了|一死了之|活着没意思|没法活|跳楼|结束生命|"
    # UK-07: hospital, surgery, intensive care, mental illness, funeral, self-harm
    r"医院|手术|开刀|重症监护|监护室|急诊|精神病|焦虑|葬礼|丧事|病危|绝症|割腕|自残|上吊|跳河|跳江|活够了|了结自己|安眠药|"
    r"過世|離世|憂鬱|抑鬱|自殺|輕生|殘疾|化療|醫院|手術|"
    # a relative who "left" (走了: died), "driving me to death" (逼死我); "I'll go and die"
    # but not the curse "你去死吧"
    r"(?:老公|丈夫|爱人|老婆|妻子|爸爸?|妈妈?|父亲|母亲|孩子|儿子|女儿|爷爷|奶奶|外公|外婆)(?:刚刚?|已经|上个?月|去年)?走了|"
    r"逼死我|我(?:就|要|想|会|只能)?去死|我死给你(?:们)?看|"
    # (third probe) ICU after a CJK character (\b never matches there: CJK are word characters),
    # serious illness and injury, despair; 活着真没意思, 一了百了, 从楼上跳下去 (self-harm, below)
    r"(?<![a-z])icu(?![a-z])|白血病|肿瘤|腫瘤|车祸|車禍|确诊|確診|中风|中風|脑梗|腦梗|心脏病|心臟病|尿毒症|植物人|重症|病重|"
    r"(?:我|心态|心態|精神|情绪|情緒|人)(?:快|要|都|真的)?(?:要)?(?:崩溃|崩潰)|撑不下去|撐不下去|" + _SELF_HARM_ZH, re.I)
_SELF_HARM = SELF_HARM  # bot/self_harm.py (shared with the reader)



def vulnerable_words(text: str) -> bool:
    """True when ``text`` has words that suggest vulnerability (UK-07, CONC 7.2.1R(2), FCA
    FG21/1: bereavement, illness, mental health, self-harm, abuse); the step holds
    automation and hands off on them whatever the intent. Pure; ``text`` as received."""
    return _VULNERABLE.search(text) is not None


_PENDING = ("promise", "plans", "plan_choice", "pending_request")
#: Requests worth answering once the account is chosen or the right party confirmed
#: (kept in ``slots["pending_request"]``); anything else gets the menu then.
_REMEMBER = frozenset({"pay", "plan", "promise", "balance", "hardship", "paid_already"})
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_CHANNEL_NAMES = {"en": {"voice": "phone calls", "email": "email", "sms": "text"},
                  "zh": {"voice": "电话", "email": "邮件", "sms": "短信"}}
_QUESTIONS = {"en": {"postal_code": "postcode", "birth_year": "year of birth"},
              "zh": {"postal_code": "邮政编码", "birth_year": "出生年份"}}


def default_script_text() -> str:
    """The shipped default script (TOML)."""
    return (Path(__file__).parent / "scripts" / "default.toml").read_text(encoding="utf-8")


def format_date(day: dt.date, lang: str) -> str:
    """en ``Fri Dec 4``; zh ``12月4日（周五）``."""
    if lang == "zh":
        return f"{day.month}月{day.day}日（{_WEEKDAYS_ZH[day.weekday()]}）"
    return f"{_WEEKDAYS_EN[day.weekday()]} {_MONTHS_EN[day.month - 1]} {day.day}"


def context_of(state: ConversationState, script: Script) -> str:
    """What the bot last asked (one of ``bot.types.CONTEXTS``)."""
    if state.slots.get("opted_out"):
        return "opted_out"
    sdef = script.states.get(state.state)
    return sdef.context if sdef else "notice"


def plan_options(state: ConversationState) -> int:
    """How many numbered options are on offer now: plans in ``plan_offer`` and while one
    is chosen (``plan_confirm``: a ``2`` re-chooses), accounts in ``choose_account`` (so
    a bare ``2`` is read as a choice); 0 otherwise."""
    return int(state.slots.get("on_offer", 0) or 0)


# --- the step -------------------------------------------------------------------------

class _Step:
    def __init__(self, state: ConversationState, script: Script, facts: Facts, now: dt.datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.orig = state
        self.script = script
        self.facts = facts
        self.now = now
        self.state_name = state.state if state.state in script.states else script.initial
        self.mode = state.mode
        self.slots: dict[str, Any] = copy.deepcopy(dict(state.slots))
        self.actions: list[Action] = []
        self.lang = self._default_lang()
        self.protective = False
        # an operation answered the message itself (the arrangement rules below): the
        # handler's branch (reply, state) is not applied
        self.done = False
        # The creditor has not been named yet in this conversation (state start) or for
        # the account chosen in this step: the first reply about the debt names it.
        self.greet = self.state_name == script.initial
        # the customer's window this step recorded (US-03/UK-05): (start, end) minutes,
        # () when it leaves no allowed time, None when none was recorded
        self.window_set: tuple[int, int] | tuple[()] | None = None

    # -- policy -----------------------------------------------------------------
    def pol(self, section: str, key: str, default: Any) -> Any:
        sec = self.facts.policy.get(section) or {}
        return sec.get(key, default) if isinstance(sec, Mapping) else default

    def profile(self, acct: AccountFacts | None) -> Mapping[str, Any]:
        if acct is None:
            return {}
        profiles = self.facts.policy.get("profiles") or {}
        return profiles.get(acct.profile, {}) if isinstance(profiles, Mapping) else {}

    def jurisdiction(self, acct: AccountFacts | None) -> str:
        if acct is None:
            return ""
        j = self.profile(acct).get("jurisdiction")
        if j:
            return str(j).upper()
        head = acct.profile.split("_")[0].upper()
        return head if head in ("US", "UK", "CN") else "US"

    # -- language, accounts -----------------------------------------------------
    def _default_lang(self) -> str:
        lang = self.slots.get("lang")
        if lang in self.script.languages:
            return lang
        acct = self.account()
        if acct is None and len(self.facts.accounts) >= 1:
            acct = self.facts.accounts[0]
        if acct is not None and acct.language in self.script.languages:
            return acct.language
        return "en"

    def account(self) -> AccountFacts | None:
        accts = self.facts.accounts
        ref = self.slots.get("account_ref")
        for a in accts:
            if a.account_ref == ref:
                return a
        if len(accts) == 1:
            return accts[0]
        return None

    def identity_ok(self, acct: AccountFacts) -> bool:
        return (not acct.identity_required) or acct.identity_confirmed \
            or acct.account_ref in (self.slots.get("identity_confirmed") or ())

    def local_today(self, acct: AccountFacts | None) -> dt.date:
        return self.local_now(acct).date()

    def local_now(self, acct: AccountFacts | None) -> dt.datetime:
        tz = "UTC"
        if acct is not None and acct.timezone:
            tz = acct.timezone
        try:
            return self.now.astimezone(ZoneInfo(tz))
        except Exception:  # unknown zone name: fall back to UTC
            return self.now.astimezone(dt.timezone.utc)

    # -- output -------------------------------------------------------------------
    def params(self, acct: AccountFacts | None, **extra: str) -> dict[str, str]:
        p = {k: "" for k in KNOWN_PARAMS if k != "pay_link"}
        if acct is not None:
            cur = acct.currency
            p.update(
                name=acct.name, creditor=acct.creditor, contact=acct.creditor_contact,
                past_due=format_money(acct.past_due_minor, cur, self.lang),
                # G-02: no minimum due is stated that the ledger never gave
                minimum_due=format_money(acct.minimum_due_minor, cur, self.lang) if acct.minimum_due_minor else "",
                balance=format_money(acct.balance_minor, cur, self.lang),
                deadline=format_date(self.deadline(acct), self.lang),
                # US-21: the account's own days past due as of this step ("" when not past due)
                dpd=str(acct.dpd) if acct.dpd > 0 else "",
            )
        else:
            p.update(contact=str(self.pol("dialog", "support_contact", "")))
        p.update({k: str(v) for k, v in extra.items()})
        return p

    def deadline(self, acct: AccountFacts) -> dt.date:
        today = self.local_today(acct)
        if acct.due_date is not None and acct.due_date > today:
            return acct.due_date
        return today + dt.timedelta(days=int(self.pol("dialog", "notice_deadline_days", 7)))

    def template(self, key: str, acct: AccountFacts | None) -> str:
        j = self.jurisdiction(acct).lower()
        if j and f"{key}_{j}" in self.script.templates:
            return f"{key}_{j}"
        return key

    def say(self, key: str, acct: AccountFacts | None, kind: str = "reply", **extra: str) -> None:
        self.reply(self.template(key, acct), self.params(acct, **extra), kind)

    def reply(self, key: str, params: Mapping[str, str], kind: str) -> None:
        """A Reply carrying only the placeholders its template uses.

        Guard (G-02): a Reply whose required placeholders (those printed outside any
        ``{% if %}``) would be empty is never emitted — no "You'll pay  on ." — the step
        audits the refusal and hands the conversation to a person instead. ``pay_link``
        counts as filled when this step issued a link (the runner fills it).

        The first reply about the debt in a conversation that has not named the
        creditor yet says who is writing: ``greeting`` ("Hi {name}, this is
        {creditor}.") fills the template's ``greeting`` placeholder, or goes as a short
        Reply of its own before a template without one."""
        used = _placeholders(self.script, key)
        p = {k: v for k, v in params.items() if k in used}
        if "greeting" in used:
            p["greeting"] = ""
        linked = any(isinstance(a, IssuePayLink) for a in self.actions)
        empty = sorted(k for k in _required(self.script, key, self.lang)
                       if k != "greeting" and not (k == "pay_link" and linked)
                       and not str(p.get(k, "")).strip())
        if empty:
            self.audit("G-02", refused_reply=key, empty=empty)
            if self.mode != "agent":
                self.handoff("misunderstood", 2)
                self.reply("handoff_notice", {}, "handoff_notice")
            return
        if self.greet and (used & DEBT_PARAMS):
            if "creditor" in _required(self.script, key, self.lang):
                self.greet = False      # the template names the creditor itself (the notice)
            elif params.get("name") and params.get("creditor") and "greeting" in self.script.templates:
                self.greet = False
                line = {"name": params["name"], "creditor": params["creditor"]}
                if "greeting" in _placeholders(self.script, key, self.lang):
                    p["greeting"] = _render_line(self, "greeting", **line)
                else:
                    self.actions.append(Reply("greeting", self.lang, line, kind))
        self.actions.append(Reply(key, self.lang, p, kind))

    def handoff(self, reason: str, priority: int = 3) -> None:
        self.actions.append(Handoff(reason, priority))
        self.slots.pop("pending_request", None)   # a person answers it now
        self.mode = "agent"
        self.protective = True

    def hold(self, kind: str, account_ref: str | None) -> None:
        self.actions.append(SetHold(kind, account_ref, rule=HOLD_RULES.get(kind, "G-01")))
        self.protective = True

    def audit(self, rule: str, **detail: Any) -> None:
        self.actions.append(Audit(rule, detail))

    def result(self) -> tuple[ConversationState, list[Action]]:
        sdef = self.script.states.get(self.state_name)
        if sdef is not None and self.state_name == self.script.choose_account:
            self.slots["on_offer"] = len(self.slots.get("account_choices", []))
        elif sdef is not None and self.slots.get("plans") and (
                sdef.context == "plan_offer" or self.slots.get("plan_choice")):
            self.slots["on_offer"] = len(self.slots["plans"])   # plan_confirm: "2" re-chooses
        else:
            self.slots.pop("on_offer", None)
        self.slots["lang"] = self.lang
        return ConversationState(self.state_name, self.slots, self.mode), self.actions


def _placeholders(script: Script, key: str, lang: str | None = None) -> frozenset[str]:
    """Placeholders template ``key`` uses in any language (or in ``lang`` only)."""
    cache_key = ("__vars__", key, lang)
    got = script.compiled.get(cache_key)
    if got is None:
        from jinja2 import meta
        from jinja2.sandbox import SandboxedEnvironment
        env = SandboxedEnvironment()
        names: set[str] = set()
        texts = script.templates.get(key, {})
        if lang is not None:
            texts = {lang: texts.get(lang) or texts.get("en") or ""}
        for src in texts.values():
            names |= meta.find_undeclared_variables(env.parse(src))
        got = script.compiled[cache_key] = frozenset(names)
    return got


def _required(script: Script, key: str, lang: str) -> frozenset[str]:
    """Placeholders template ``key`` prints unconditionally in ``lang`` (outside any
    ``{% if %}``/``{% for %}``): an empty value would leave a blank in the text."""
    cache_key = ("__required__", key, lang)
    got = script.compiled.get(cache_key)
    if got is None:
        from jinja2 import nodes
        from jinja2.sandbox import SandboxedEnvironment
        texts = script.templates.get(key, {})
        src = texts.get(lang) or texts.get("en") or ""
        names: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, (nodes.If, nodes.For, nodes.CondExpr)):
                return
            if isinstance(node, nodes.Name) and node.ctx == "load":
                names.add(node.name)
            for child in node.iter_child_nodes():
                walk(child)

        walk(SandboxedEnvironment().parse(src))
        got = script.compiled[cache_key] = frozenset(names)
    return got


def _exact_keyword(text: str, family: str) -> bool:
    return text.strip().upper() in PROVIDER_KEYWORDS[family]


def _channels(raw: str | None) -> frozenset[str]:
    parts = {p.strip().lower() for p in (raw or "sms").split("+")}
    if "all" in parts:
        return frozenset({"sms", "voice", "email"})
    out = frozenset(p for p in parts if p in ("sms", "voice", "email"))
    return out or frozenset({"sms"})


def step(state: ConversationState, event: Event, script: Script, facts: Facts,
         now: dt.datetime) -> tuple[ConversationState, list[Action]]:
    """Move the conversation by one event. Pure: returns the new state and the actions
    the runner applies in one transaction, in order."""
    s = _Step(state, script, facts, now)
    if isinstance(event, InboundText):
        _inbound(s, event)
    elif isinstance(event, TimerFired):
        _timer(s, event)
    elif isinstance(event, AgentAction):
        _agent_action(s, event)
        return s.result()
    elif isinstance(event, PaymentPosted):
        s.audit("G-03", event="payment_posted", account_ref=event.account_ref,
                amount_minor=event.amount_minor, paid_at=event.paid_at.isoformat())
        return s.result()
    else:  # pragma: no cover - typing guards this
        raise TypeError(f"unknown event {event!r}")
    return _cap(s)


def opening(state: ConversationState, script: Script, facts: Facts,
            now: dt.datetime) -> tuple[ConversationState, list[Action]]:
    """The first collection notice of a conversation (Reply kind ``notice``): the menu
    for a single, confirmed account; "which account?" for a phone with several; the
    identity question where the profile needs it (UK-06). Nothing for an opted-out
    number, an agent-owned conversation or an unknown phone."""
    s = _Step(state, script, facts, now)
    if ("sms" in facts.opted_out or s.slots.get("opted_out") or s.slots.get("quarantined")
            or s.mode == "agent" or not facts.accounts):
        return s.result()
    _present(s, kind="notice")
    return s.result()


def _present(s: _Step, kind: str) -> None:
    """Show the right first thing for whoever we are talking to: account choice,
    identity question, or the collection notice (menu)."""
    acct = s.account()
    if acct is None:
        _ask_account(s, kind)
        return
    s.slots["account_ref"] = acct.account_ref
    if acct.language in s.script.languages and "lang" not in s.slots:
        s.lang = acct.language
    if not s.identity_ok(acct):
        _ask_identity(s, acct, kind)
        return
    s.slots["misses"] = 0
    s.state_name = s.script.menu
    s.say("notice", acct, kind=kind)


def _ask_account(s: _Step, kind: str) -> None:
    lines = []
    refs = []
    for i, a in enumerate(s.facts.accounts, start=1):
        refs.append(a.account_ref)
        lines.append(_render_line(s, "account_line", option=i, creditor=a.creditor,
                                  last4=a.account_ref[-4:]))
    s.slots["account_choices"] = refs
    s.state_name = s.script.choose_account
    s.say("choose_account", None, kind=kind, accounts="\n".join(lines))


def _ask_identity(s: _Step, acct: AccountFacts, kind: str) -> None:
    q = str(s.profile(acct).get("identity_question", "postal_code"))
    label = _QUESTIONS.get(s.lang, _QUESTIONS["en"]).get(q, q.replace("_", " "))
    s.state_name = s.script.verify
    s.say("verify_question", None, kind=kind, creditor=acct.creditor, question=label)


def _render_line(s: _Step, key: str, **params: Any) -> str:
    from bot.templates import render
    p = {k: "" for k in KNOWN_PARAMS}
    p.update({k: str(v) for k, v in params.items()})
    return render(s.script, key, s.lang, p)


# --- inbound -------------------------------------------------------------------------

#: Intents with a built-in path of their own (US-06/US-08 opt-out, US-27, US-26, US-18,
#: bankruptcy, US-16, US-12): with self-harm words that path runs and :func:`_vulnerability`
#: adds the crisis-support answer, the hold and the ``self_harm`` hand-off on top of it.
_OWN_PATH = frozenset({"stop", "start", "help", "attorney", "bankruptcy", "dispute", "wrong_number"})
#: The crisis-support answer (UK-07): crisis lines by the account's jurisdiction
#: (``self_harm_support_uk``, ``self_harm_support_cn``; the base text is the US one).
SELF_HARM_TEMPLATE = "self_harm_support"


def _inbound(s: _Step, ev: InboundText) -> None:
    _contact_window(s, ev)
    if (_self_harm_text(ev) and ev.intent.name not in _OWN_PATH
            and ev.intent.rule != DECEASED_REPORT_RULE):
        _self_harm(s, ev)
        return
    _inbound_intent(s, ev)
    _vulnerability(s, ev)


def _self_harm_text(ev: InboundText) -> bool:
    """The reader's self-harm reading (:data:`bot.types.SELF_HARM_RULE`) or self-harm words in
    the text whatever the intent (UK-07; ``bot.self_harm``)."""
    return ev.intent.rule == SELF_HARM_RULE or _SELF_HARM.search(ev.text) is not None


def _self_harm(s: _Step, ev: InboundText) -> None:
    """UK-07 "self-harm terms → immediate escalation", for every reading without a built-in
    path of its own (hardship, a promise, abuse, unknown, ...): no script handler runs, so
    no payment talk, no plan, no amount and no promise is recorded. Instead: a vulnerability
    hold (the account in play, or every account of the phone before one is chosen or on a
    quarantined number), the ``vulnerability`` and ``self_harm`` flags, a ``self_harm``
    hand-off at priority 1 (``[agent] sla_minutes.self_harm``: the shortest SLA; the open
    hand-off is raised to it, bot/handoffs.py) and the crisis-support answer
    (:func:`_self_harm_reply`) — also while a hand-off is open or an agent owns the
    conversation, while a dispute is pending and under a silencing hold: the answer names
    crisis lines only, no debt (G-01's "the bot goes silent" yields to UK-07 here; the gate
    lets a ``handoff_notice`` reply through, bot/gate.py). Not to a number opted out of texts
    (US-05: the gate would refuse it): the hold and the hand-off only."""
    if ev.intent.lang in s.script.languages:
        s.lang = ev.intent.lang
    for k in _PENDING:
        s.slots.pop(k, None)
    acct = None if s.slots.get("quarantined") else s.account()
    s.hold("vulnerability", acct.account_ref if acct else None)
    s.actions.append(Flag("vulnerability"))
    s.actions.append(Flag("self_harm"))
    s.handoff("self_harm", 1)
    s.audit("UK-07", vulnerability=True, self_harm=True, intent=ev.intent.name, reading=ev.intent.rule)
    _self_harm_reply(s)


def _self_harm_reply(s: _Step) -> None:
    """The crisis-support answer (``self_harm_support``, kind ``handoff_notice``: past the
    reply cap, an open hand-off and a silencing hold; no debt detail, DEBT_FREE_TEMPLATES),
    in the jurisdiction's variant — the account in play, else the one jurisdiction of the
    phone's accounts, else the base text — unless the number is opted out of texts (US-05)."""
    if "sms" in s.facts.opted_out or s.slots.get("opted_out"):
        s.audit("US-05", silent="opted_out", self_harm=True)
        return
    acct = None if s.slots.get("quarantined") else s.account()
    if acct is None:
        jurs = {s.jurisdiction(a) for a in s.facts.accounts}
        acct = s.facts.accounts[0] if len(jurs) == 1 and not s.slots.get("quarantined") else None
    _compliance_reply(s, s.template(SELF_HARM_TEMPLATE, acct), "handoff_notice")


# --- the customer's own window (US-03, UK-05) ---------------------------------------------

#: Intents under which a stated window is not recorded: an opt-out wins (no texts at all,
#: one confirmation, US-05/US-08); a wrong number is not the customer (US-12); START is
#: read on its own.
_NO_WINDOW_UNDER = frozenset({"stop", "wrong_number"})


def _hhmm(minute: int) -> str:
    return "%02d:%02d" % divmod(minute, 60)


def _contact_window(s: _Step, ev: InboundText) -> None:
    """US-03 (12 CFR 1006.6(b)(1), comment 6(b)(1)-1) / UK-05 (CONC 7.9.4R): a time the
    customer said suits them ("only text me after 6pm", 晚上六点以后再发) becomes this
    phone's window, narrowed to the profile's allowed hours — never wider: "after 6pm"
    under [08:00, 21:00) is 18:00–21:00. Recorded whatever the conversation's mode (an
    agent owns it, the number opted out, a hold stands: the window still protects later
    texts), but not under an opt-out (it wins), a wrong number or a report of a death, nor
    for an unknown phone. A window of two parts (one wrapping midnight) keeps its longer
    part (one ``contact_windows`` row; narrower than asked is on the safe side). A window
    that leaves no allowed time is recorded as said (the gate refuses initiated texts,
    US-03) and goes to a person (hand-off ``contact_time``). The answer is given by the
    ``contact_time`` intent's own path (:func:`_contact_time`)."""
    said = ev.intent.entities.window
    s.window_set = None
    if (said is None or ev.intent.name in _NO_WINDOW_UNDER or ev.intent.rule == DECEASED_REPORT_RULE
            or s.slots.get("quarantined") or not s.facts.accounts):
        return
    acct = s.account() or s.facts.accounts[0]
    rule = "UK-05" if s.jurisdiction(acct) in ("UK", "GB") else "US-03"
    try:
        allowed = hours_math.window_from_hours(s.profile(acct).get("allowed_hours"))
        own = hours_math.customer_window(*said)
    except ValueError:
        s.audit(rule, contact_window="unreadable", said=list(said))
        return
    parts = hours_math.narrow(allowed, own)
    if not parts:
        s.actions.append(SetContactWindow(said[0], said[1], rule, said=tuple(said)))
        s.audit(rule, contact_window="no_allowed_time", said=[_hhmm(said[0]), _hhmm(said[1])])
        s.window_set = ()
        if s.mode != "agent" and ev.intent.name != "contact_time":   # contact_time: its own path says so
            s.handoff("contact_time", 3)
        return
    start, end = max(parts, key=lambda p: p[1] - p[0])
    s.actions.append(SetContactWindow(start, end, rule, said=tuple(said)))
    s.audit(rule, contact_window=[_hhmm(start), _hhmm(end)], said=[_hhmm(said[0]), _hhmm(said[1])],
            intent=ev.intent.name)
    s.window_set = (start, end)


def _contact_time(s: _Step, ev: InboundText) -> None:
    """The answer to a reply that only states a time restriction (US-03/UK-05): the short
    confirmation ``contact_window_set`` ("OK, we'll only text you between 18:00 and 21:00
    your time."), and the conversation stays where it was (the next reply is read in the
    same context). A restriction the window cannot hold (days: "weekends only"; "I work
    nights" with no time) or one that leaves no allowed time goes to a person."""
    win = s.window_set
    if win:
        params = {k: v for k, v in _brand(s).items()}
        params.update(window_start=_hhmm(win[0]), window_end=_hhmm(win[1]))
        used = _placeholders(s.script, "contact_window_set")
        s.actions.append(Reply("contact_window_set", s.lang, {k: params.get(k, "") for k in used}, kind="reply"))
        return
    if win is None:       # days or no time: nothing the window can hold
        acct = s.account() or (s.facts.accounts[0] if s.facts.accounts else None)
        rule = "UK-05" if s.jurisdiction(acct) in ("UK", "GB") else "US-03"
        s.audit(rule, contact_window="unheld", restriction=ev.intent.rule)
    s.handoff("contact_time", 3)
    s.say("handoff_notice", None, kind="handoff_notice")


def _vulnerability(s: _Step, ev: InboundText) -> None:
    """UK-07 whatever the intent (stop, attorney, bankruptcy, wrong number, dispute, a
    promise, an unknown phone, before identity is confirmed, while an agent owns the
    conversation...): self-harm words → vulnerability hold, the ``vulnerability`` and
    ``self_harm`` flags, the crisis-support answer (:func:`_self_harm_reply`, never to a
    number opted out of texts) and a ``self_harm`` hand-off at priority 1 ("immediate
    escalation"; readings without a path of their own go to :func:`_self_harm` instead);
    vulnerability words → the hold and flag, and a
    priority-2 hand-off when nothing else hands off. Added to what the intent's own path
    did, never instead of it: an opt-out stays recorded and confirmed once (US-06/US-08)
    and no automated text follows it (US-05); a person follows up through the agent
    path, which the outbound gate still governs. Paths that already placed the hold
    (hardship) are not doubled. The runner keeps a conversation's first open hand-off,
    so a priority-1 hand-off goes before any other of the step."""
    harm = _self_harm_text(ev)
    if not harm and _VULNERABLE.search(ev.text) is None:
        return
    if not any(isinstance(a, SetHold) and a.kind == "vulnerability" for a in s.actions):
        acct = None if s.slots.get("quarantined") else s.account()   # wrong number: the phone
        s.hold("vulnerability", acct.account_ref if acct else None)
    if Flag("vulnerability") not in s.actions:
        s.actions.append(Flag("vulnerability"))
    if harm:
        # UK-07: the crisis lines after the path's own answer (a dispute acknowledged, a
        # wrong number's apology; nothing after an opt-out, US-05), and the hand-off says
        # self-harm whatever else the step handed off for (an opt-out review, a dispute)
        if Flag("self_harm") not in s.actions:
            s.actions.append(Flag("self_harm"))
        _self_harm_reply(s)
    need = 1 if harm else 2
    handoffs = [i for i, a in enumerate(s.actions) if isinstance(a, Handoff)]
    if not harm and any(s.actions[i].priority <= need for i in handoffs):
        return
    if harm and any(s.actions[i].reason == "self_harm" for i in handoffs):
        return
    s.handoff("self_harm" if harm else "hardship", need)     # as the hardship path's own UK-07 hand-off
    if handoffs:
        s.actions.insert(handoffs[0], s.actions.pop())
    s.audit("UK-07", vulnerability=True, self_harm=harm, intent=ev.intent.name)


def _inbound_intent(s: _Step, ev: InboundText) -> None:
    intent = ev.intent
    if intent.lang in s.script.languages:
        s.lang = intent.lang
    name = intent.name
    if name == "stop":
        return _stop(s, ev)
    if name == "start":
        return _start(s, ev)
    if name == "help":
        return _help(s, ev)
    if intent.rule == DECEASED_REPORT_RULE:
        return _deceased_report(s, ev)
    if name in ("attorney", "bankruptcy", "dispute", "wrong_number"):
        return _protect(s, name)
    silent = "sms" in s.facts.opted_out or bool(s.slots.get("opted_out")) or s.mode == "agent"
    if silent and name == "hardship" and _VULNERABLE.search(ev.text):
        # UK-07 / G-01: vulnerability is recorded and escalated even when the bot is silent.
        acct = s.account()
        s.hold("vulnerability", acct.account_ref if acct else None)
        s.actions.append(Flag("vulnerability"))
        s.handoff("hardship", 1 if _SELF_HARM.search(ev.text) else 2)
    if "sms" in s.facts.opted_out or s.slots.get("opted_out"):
        held = _silencing_holds(s) if s.mode != "agent" and name != "auto_reply" else ()
        if held:   # a cease opts out of texts too: the customer still reaches a person
            _held_silent(s, held, name)
        s.audit("US-05", silent="opted_out", intent=name)
        return
    if s.mode == "agent":
        s.audit("G-01", silent="agent_owns_conversation", intent=name)
        return
    if name == "auto_reply":
        s.audit("US-20", ignored="auto_reply")
        return
    held = _silencing_holds(s)
    if held:
        _held_silent(s, held, name)
        return
    if name == "agent":     # G-01: a person whenever asked (also after a wrong number)
        s.handoff("agent_request", 2)
        s.say("handoff_notice", None, kind="handoff_notice")
        return
    if s.slots.get("quarantined"):
        s.audit("US-12", silent="quarantined", intent=name)
        return
    if not s.facts.accounts:
        s.say("unknown_sender", None)  # no creditor, no debt (US-12, UK-06)
        return
    if name == "contact_time":          # US-03 / UK-05: confirmed, the conversation stays put
        return _contact_time(s, ev)
    acct = s.account()
    if acct is None:
        acct = _pick_account(s, ev)
        if acct is None:
            _unchosen(s, ev, name)
            return
        _chosen(s, acct)
        return
    s.slots["account_ref"] = acct.account_ref
    if _switch(s, ev, acct):
        return
    if not s.identity_ok(acct):
        _verify(s, ev, acct)
        return
    if s.state_name == s.script.verify:  # confirmed meanwhile (e.g. by the facts)
        s.state_name = s.script.menu
    if intent.confidence < float(s.pol("intents", "min_confidence", 0.5)):
        name = "unknown"
    name, ev = _reread(s, name, ev)
    if _counter_offer(s, name, ev, acct):
        return
    handler = s.script.handler(s.state_name, name) or s.script.handler(s.state_name, "unknown")
    if handler is None:
        s.audit("G-03", no_handler=name, state=s.state_name)
        return
    _run(s, handler, ev, acct)


_ACCOUNT_DIGITS = re.compile(
    r"(?:ending(?:\s+in)?|acct\.?|account|a/c|card|loan|尾号|账号|卡号)\s*(?:no\.?|number|#)?\s*[:#]?\s*(\d{4,})",
    re.IGNORECASE)
_BARE_DIGITS = re.compile(r"\s*#?\s*(\d{4,})\s*[.!]?\s*")


def _pick_account(s: _Step, ev: InboundText) -> AccountFacts | None:
    accts = s.facts.accounts
    choices = s.slots.get("account_choices") or [a.account_ref for a in accts]
    by_ref = {a.account_ref: a for a in accts}
    asked = s.state_name == s.script.choose_account
    if asked:
        opt = ev.intent.entities.option
        if opt is None and ev.text.strip().isdigit() and len(ev.text.strip()) <= 2:
            opt = int(ev.text.strip())
        if opt is not None and 1 <= opt <= len(choices) and choices[opt - 1] in by_ref:
            acct = by_ref[choices[opt - 1]]
            s.slots["account_ref"] = acct.account_ref
            s.slots.pop("account_choices", None)
            return acct
    # Digits pick an account only when they are about an account: a bare number in
    # answer to "which account?", or "ending 4417" / "acct 4417" / "尾号4417" — never an
    # amount or a zip code inside a sentence ("I can pay 1250 friday").
    digits = _ACCOUNT_DIGITS.findall(ev.text)
    bare = _BARE_DIGITS.fullmatch(ev.text)
    if asked and bare:
        digits.append(bare.group(1))
    hits = [a for a in accts if any(d[-4:] == a.account_ref[-4:] for d in digits)]
    if len(hits) == 1:
        s.slots["account_ref"] = hits[0].account_ref
        s.slots.pop("account_choices", None)
        return hits[0]
    return None


#: A plan's length named in a reply ("the 12 month one", "6-month plan", "twelve months", 6个月的,
#: 分12期): the interpreter never reads it as a plan number; :func:`_reread` picks the offer.
_PLAN_MONTHS = re.compile(
    r"\b(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty[ -]?four"
    r"|thirty[ -]?six)[ -]?(?:months?|mos?|mths?)\b|(?<!第)(?P<z>\d{1,2}|[一二两三四五六七八九十]{1,3})\s?(?:个月|個月|期)",
    re.IGNORECASE)
_MONTH_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twentyfour": 24, "thirtysix": 36}
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _months_named(text: str) -> int | None:
    """The one plan length a reply names, in months (None for none, or for two different ones)."""
    found = set()
    for m in _PLAN_MONTHS.finditer(text):
        t = (m.group("n") or m.group("z")).lower().replace(" ", "").replace("-", "")
        if t.isdigit():
            found.add(int(t))
        elif t in _MONTH_WORDS:
            found.add(_MONTH_WORDS[t])
        else:  # 六, 十二, 二十四
            head, ten, tail = t.partition("十")
            if not ten:
                n = _ZH_DIGITS.get(t)
            else:
                n = (_ZH_DIGITS.get(head, 0) if head else 1) * 10 + (_ZH_DIGITS.get(tail, 0) if tail else 0)
            if n:
                found.add(n)
    return found.pop() if len(found) == 1 else None


def _restates_other(s: _Step, ent: Entities) -> bool:
    """A yes carrying a date or an amount ("yes that works, the 16th") while a promise waits for its
    YES: True when either is missing from or differs from what was read back (G-02)."""
    p = s.slots.get("promise") or {}
    if ent.date is not None and p.get("date") != ent.date.isoformat():
        return True
    if ent.amount is not None:
        acct = s.account()
        if acct is None or p.get("amount_minor") != to_minor(Decimal(ent.amount), acct.currency):
            return True
    return False


def _reread(s: _Step, name: str, ev: InboundText) -> tuple[str, InboundText]:
    """Read a reply in the light of what is pending (the interpreter sees only the
    context, not the slots):

    * a promise waiting for its amount, date or YES (``ask_amount``, ``ask_date``,
      ``promise_confirm``): a ``pay`` or ``unknown`` reply carrying an amount or a date
      ("make it 100", "actually make it 100") changes the pending promise — it is read
      as ``promise`` and confirmed back (G-02), never a pay link for the whole amount;
      so is a yes that restates another date or amount than the one read back ("yes
      that works, the 16th" for the 15th); a yes restating the same ones is a yes;
    * plans on offer or one chosen (``plan_offer``, ``plan_confirm``): a bare number is
      a (new) choice; a plan's length ("go with the 12 month plan", 6个月的) chooses the one
      offer with that many instalments; a number and a length that name different offers,
      or a length no offer has beside a number, choose nothing (the reply is unsure).
    """
    ctx = context_of(ConversationState(s.state_name, s.slots), s.script)
    ent = ev.intent.entities
    promise_pending = ctx in ("ask_amount", "ask_date") or (
        ctx == "confirm" and "promise" in s.slots and not s.slots.get("plan_choice"))
    if promise_pending and name in ("pay", "unknown") and (ent.amount is not None or ent.date is not None):
        s.audit("G-02", reread=name, as_intent="promise")
        return "promise", replace(ev, intent=replace(ev.intent, name="promise"))
    if (promise_pending and ctx == "confirm" and name == "affirm" and (ent.amount is not None or ent.date is not None)
            and _restates_other(s, ent)):
        s.audit("G-02", reread=name, as_intent="promise")
        return "promise", replace(ev, intent=replace(ev.intent, name="promise"))
    plans_pending = s.slots.get("plans") and (ctx == "plan_offer" or s.slots.get("plan_choice"))
    body = ev.text.strip()
    if plans_pending and name == "unknown" and body.isdigit() and len(body) <= 2:
        return "choice", replace(ev, intent=replace(ev.intent, name="choice",
                                                     entities=replace(ent, option=int(body))))
    if plans_pending and name in ("plan", "unknown", "choice", "promise") and ent.amount is None:
        months = _months_named(body)  # not with an amount: "$50 a month for 6 months" is a counter-offer
        if months:
            hits = [int(o["option"]) for o in s.slots["plans"]
                    if o.get("kind") != "deferral" and len(o.get("instalments") or ()) == months]
            named = ent.option if name == "choice" else None
            if len(hits) == 1 and named in (None, hits[0]):
                s.audit("G-03", reread=name, as_intent="choice", plan_months=months, option=hits[0])
                return "choice", replace(ev, intent=replace(ev.intent, name="choice",
                                                             entities=replace(ent, option=hits[0], date=None)))
            if named is not None:  # "the 6 month one, number 2" (plan 2 is 12 months): unsure
                s.audit("G-03", reread=name, as_intent="unknown", plan_months=months, option=named)
                return "unknown", replace(ev, intent=replace(ev.intent, name="unknown",
                                                              entities=replace(ent, option=None)))
    return name, ev


#: While plans are on offer: a reply that turns them all down or asks for less (UK-03).
_OFFER_REJECT = re.compile(
    r"afford|\btoo (?:much|high|expensive|big|steep|many)\b|\b(?:pay|paying|payments?) (?:less|lower|smaller)\b|"
    r"\blower\b|\bsmaller\b|\breduc|\bfreez|\binterest\b(?![- ]free)|\bnone of\b|\bneither\b|"
    r"\bcan'?t (?:do|manage|make|pay) (?:that|those|these|them|any|either)\b|"
    r"太多|太高|太贵|负担不起|负担不了|还不起|少一点|少点|少一些|降低|减少|冻结|利息|都不行|都不合适|都不可以",
    re.IGNORECASE)
#: An amount per month ("5 a month", "20 per month", "每月200").
_MONTHLY = re.compile(r"\b(?:a|per|each|every) ?(?:month|mo)\b|\bmonthly\b|/ ?(?:month|mo)\b|每月|每个月|一个月",
                      re.IGNORECASE)


def _counter_offer(s: _Step, name: str, ev: InboundText, acct: AccountFacts) -> bool:
    """UK-03 (a counter-offer is never flatly rejected) / UK-01: while plans are on offer
    or one is chosen, a reply that offers an amount instead of choosing ("I can pay 5 a
    month", "none of those work, I can do 10 a month") or turns the offers down ("none of
    these are affordable", "can you freeze the interest", 能不能少一点) goes to a person
    — a ``counter_offer`` hand-off (priority 3) and ``counter_offer_review`` naming the
    amount offered — instead of the same list again. A valid choice, a dated promise
    and hardship keep their own paths. True when it handled the reply."""
    plans = s.slots.get("plans")
    ctx = context_of(ConversationState(s.state_name, s.slots), s.script)
    if not plans or not (ctx == "plan_offer" or s.slots.get("plan_choice")) or s.mode == "agent":
        return False
    ent = ev.intent.entities
    chose = ent.option is not None and 1 <= ent.option <= len(plans) and (
        ent.amount is None or Decimal(ent.option) != ent.amount)
    if chose or name in ("hardship", "stop", "affirm") or ent.date is not None:
        return False
    offer = ent.amount is not None and ent.amount > 0 and (
        name in ("plan", "choice", "unknown", "deny") or _MONTHLY.search(ev.text) is not None)
    rejects = name in ("plan", "unknown", "deny", "choice") and _OFFER_REJECT.search(ev.text) is not None
    if not (offer or rejects):
        return False
    amount = format_money(to_minor(Decimal(ent.amount), acct.currency), acct.currency, s.lang) if offer else ""
    s.audit("UK-03", counter_offer=True, amount=str(ent.amount) if offer else None, intent=name)
    for k in ("plans", "plan_choice"):
        s.slots.pop(k, None)
    s.say("counter_offer_review", acct, kind="handoff_notice", amount=amount)
    s.handoff("counter_offer", 3)
    return True


def _remember(s: _Step, ev: InboundText, name: str) -> None:
    """Keep a request made before the account is chosen or the right party confirmed
    (intent name + entities), to answer it then — never before (UK-06, US-12)."""
    if name in _REMEMBER:
        s.slots["pending_request"] = {"intent": name, "entities": ev.intent.entities.as_json(),
                                      "text": ev.text}


def _entities_from_json(data: Mapping[str, Any]) -> Entities:
    return Entities(
        amount=Decimal(data["amount"]) if data.get("amount") is not None else None,
        amount_max=Decimal(data["amount_max"]) if data.get("amount_max") is not None else None,
        date=dt.date.fromisoformat(data["date"]) if data.get("date") else None,
        time=dt.time.fromisoformat(data["time"]) if data.get("time") else None,
        option=int(data["option"]) if data.get("option") is not None else None,
        channel=data.get("channel"))


def _answer_pending(s: _Step, acct: AccountFacts) -> bool:
    """Answer the remembered request (see :func:`_remember`) from the menu; False when
    there is none. The caller has checked the account and the right party."""
    req = s.slots.pop("pending_request", None)
    if not isinstance(req, Mapping) or req.get("intent") not in _REMEMBER:
        return False
    s.slots["misses"] = 0
    s.state_name = s.script.menu
    name = str(req["intent"])
    handler = s.script.handler(s.state_name, name)
    if handler is None:
        return False
    ev = InboundText(str(req.get("text", "")),
                     Intent(name, 1.0, _entities_from_json(req.get("entities") or {}), rule="pending_request"))
    s.audit("G-03", answered_pending=name, account_ref=acct.account_ref)
    _run(s, handler, ev, acct)
    return True


def _chosen(s: _Step, acct: AccountFacts) -> None:
    """The account was just chosen: the identity question where the profile needs it
    (UK-06), else the pending request, else the menu — naming the creditor first."""
    s.slots["account_ref"] = acct.account_ref
    s.greet = True
    if s.identity_ok(acct) and _answer_pending(s, acct):
        return
    _present(s, "reply")


def _unchosen(s: _Step, ev: InboundText, name: str) -> None:
    """Several accounts and none chosen yet: "who is this" is answered with the
    creditors' names only (no debt detail, US-12/UK-06); a request is remembered for
    later; the account question is asked, and re-asked at most
    ``dialog.misses_before_handoff`` times before a person takes over (G-01)."""
    if name == "who_is_this":
        creditors = list(dict.fromkeys(a.creditor for a in s.facts.accounts if a.creditor))
        contacts = list(dict.fromkeys(a.creditor_contact for a in s.facts.accounts if a.creditor_contact))
        joiner = "、" if s.lang == "zh" else " / "
        s.say("who_is_this", None, creditor=joiner.join(creditors),
              contact=joiner.join(contacts) or str(s.pol("dialog", "support_contact", "")))
        return
    if name == "hardship" and _VULNERABLE.search(ev.text):
        # UK-07: vulnerability does not wait for the account question (every account paused).
        s.hold("vulnerability", None)
        s.actions.append(Flag("vulnerability"))
        s.handoff("hardship", 1 if _SELF_HARM.search(ev.text) else 2)
        s.say("hardship", None, kind="handoff_notice")
        return
    _remember(s, ev, name)
    if s.state_name == s.script.choose_account and _count_miss(s):
        s.handoff("misunderstood")
        s.say("handoff_notice", None, kind="handoff_notice")
        return
    _ask_account(s, "reply")


_SWITCH = re.compile(
    r"\b(?:other|another|different|second|switch(?:ing)?|change)\s+(?:my\s+)?(?:account|acct|card|loan)s?\b|"
    r"\bswitch\s+accounts?\b|另一个账户|另一个账号|另外一个账户|其他账户|其它账户|其他账号|换(?:一个|个)?账户|"
    r"切换账户|换(?:一个|个)?账号", re.IGNORECASE)


def _switch(s: _Step, ev: InboundText, acct: AccountFacts) -> bool:
    """A phone with several accounts may change account at any time: "other account",
    "switch account", "另一个账户" go back to the account question; a message that is
    just the last 4 digits of another account on the phone (or "ending 1002") picks
    it — a bare number only outside an amount/date question, a pending promise and
    the identity question (it could be an amount or a birth year). Pending promises
    and plans belong to the old account and are dropped."""
    if len(s.facts.accounts) < 2:
        return False
    ctx = context_of(ConversationState(s.state_name, s.slots), s.script)
    digits = _ACCOUNT_DIGITS.findall(ev.text)
    bare = _BARE_DIGITS.fullmatch(ev.text)
    if bare and ctx not in ("ask_amount", "ask_date", "verify") and "promise" not in s.slots:
        digits.append(bare.group(1))
    others = [a for a in s.facts.accounts if a.account_ref != acct.account_ref
              and any(d[-4:] == a.account_ref[-4:] for d in digits)]
    if len(others) == 1:
        for k in _PENDING:
            s.slots.pop(k, None)
        s.audit("G-03", switch_account=others[0].account_ref)
        _chosen(s, others[0])
        return True
    if _SWITCH.search(ev.text):
        for k in _PENDING:
            s.slots.pop(k, None)
        s.slots.pop("account_ref", None)
        s.slots["misses"] = 0
        s.audit("G-03", switch_account=None)
        _ask_account(s, "reply")
        return True
    return False


def _verify(s: _Step, ev: InboundText, acct: AccountFacts) -> None:
    """UK-06: no debt detail before the right party is confirmed; a request made
    meanwhile is answered once the check passes."""
    name = ev.intent.name
    _remember(s, ev, name)
    if s.state_name != s.script.verify:
        _ask_identity(s, acct, "reply")
        return
    # Having just asked the question, an unclassified reply ("SW1A 1AA", "1987") is read
    # as the answer; the runner checks it against the stored hash.
    if name in ("identity_check_answer", "unknown", "choice"):
        s.slots["identity_pending"] = True
        s.audit("UK-06", identity_answer=True, account_ref=acct.account_ref)
        return
    if name == "who_is_this":
        s.say("who_is_this", acct)
        return
    if _count_miss(s):
        s.handoff("misunderstood")
        s.say("handoff_notice", acct, kind="handoff_notice")
        return
    _ask_identity(s, acct, "reply")


def _count_miss(s: _Step) -> bool:
    """Count a miss; True when the misses exceed dialog.misses_before_handoff."""
    misses = int(s.slots.get("misses", 0)) + 1
    limit = int(s.pol("dialog", "misses_before_handoff", 2))
    if misses > limit:
        s.slots["misses"] = 0
        return True
    s.slots["misses"] = misses
    return False


# --- compliance (built in) --------------------------------------------------------------

def _stop(s: _Step, ev: InboundText) -> None:
    intent = ev.intent
    threshold = float(s.pol("intents", "optout_threshold", 0.75))
    if intent.confidence < threshold:
        # US-06: unsure whether it is an opt-out: pause automated sends, hand off, say nothing.
        s.hold("optout_review", None)
        s.handoff("optout_review", 1)
        s.audit("US-06", optout_review=True, confidence=intent.confidence)
        return
    channels = _channels(intent.entities.channel)
    already = set(s.facts.opted_out)
    if s.slots.get("opted_out"):
        already.add("sms")
    new = channels - already
    if new:
        s.actions.append(OptOut(frozenset(new)))
        s.protective = True
    cease = channels == {"sms", "voice", "email"} and (intent.entities.channel or "").find("all") >= 0
    if cease:
        s.hold("cease", None)  # US-17: stop all contact
        if s.mode == "agent":
            # G-01 / US-17: a person has this conversation (a hand-off waits, or an agent
            # owns it): its hand-off becomes a hold review at priority 2, so whoever picks
            # it up sees the cease before answering an earlier request (a counter-offer)
            s.handoff("hold_review", 2)
    if "sms" in channels:
        for k in _PENDING:
            s.slots.pop(k, None)
        s.slots["opted_out"] = True
        if "sms" in already:
            s.audit("US-08", second_optout=True, reply=False)
            return
        if s.facts.keyword_replies == "app" or not _exact_keyword(ev.text, "stop"):
            # US-17: a cease is acknowledged without "Reply START" (the hold outlasts a START)
            template = "cease_acknowledgement" if cease else "optout_confirmation"
            _compliance_reply(s, template, "optout_confirmation")
            s.audit("US-08", confirmation=True, channels=sorted(channels))
        else:
            s.audit("US-08", confirmation="provider", channels=sorted(channels))
        return
    # voice/email only (US-05: the opt-out is per medium): record it, keep texting.
    s.audit("US-05", channels=sorted(channels), texts_continue=True)
    if s.mode == "agent" or "sms" in s.facts.opted_out:
        return
    names = _CHANNEL_NAMES.get(s.lang, _CHANNEL_NAMES["en"])
    joiner = "和" if s.lang == "zh" else " and "
    s.say("optout_channel_noted", None, channel=joiner.join(names[c] for c in sorted(channels)))


def _compliance_reply(s: _Step, template: str, kind: str) -> None:
    """Append the engine's own compliance answer ``template`` (the opt-out and opt-in
    confirmations, the cease acknowledgement, ...) as a Reply that always renders: the
    creditor and contact of the account in play (empty when none is chosen) and every
    other placeholder the script's text uses as ``""`` — a script's text can never make
    the step fail and lose the opt-out or hold it records (US-05, US-17). The script
    validator allows only ``creditor`` and ``contact`` here (:data:`ENGINE_TEMPLATE_PARAMS`)."""
    fill = _brand(s)
    params = {k: fill.get(k, "") for k in _placeholders(s.script, template)}
    s.actions.append(Reply(template, s.lang, params, kind=kind))


def _deceased_report(s: _Step, ev: InboundText) -> None:
    """Someone reports that the account holder died (:data:`bot.types.DECEASED_REPORT_RULE`):
    a ``deceased`` hold on the account in play (all of the phone's accounts before one is
    chosen) — a silencing hold, so nothing but the compliance answers goes out (UK-07
    bereavement; 12 CFR 1006.6(a)(4): the estate's executor is the consumer now, not
    whoever holds this phone) — and a ``deceased`` hand-off at priority 2. The bot answers
    once, with a condolence and no debt detail (``deceased_ack``, kind
    ``handoff_notice``), unless it stays quiet anyway (opted out US-05, a wrong number
    US-12, an agent owns the conversation G-01). A second report is recorded, not
    answered again."""
    acct = s.account()
    pool = (acct,) if acct is not None else s.facts.accounts
    quiet = ("sms" in s.facts.opted_out or bool(s.slots.get("opted_out")) or bool(s.slots.get("quarantined"))
             or s.mode == "agent")
    if any("deceased" in a.holds for a in pool):
        s.audit("UK-07", deceased_report=True, already_held=True)
        if s.mode != "agent":
            s.handoff("deceased", 2)
        return
    s.hold("deceased", acct.account_ref if acct is not None else None)
    s.audit("UK-07", deceased_report=True)
    s.handoff("deceased", 2)
    if not quiet:
        _compliance_reply(s, "deceased_ack", "handoff_notice")


def _silencing_holds(s: _Step) -> tuple[str, ...]:
    """Kinds of silencing holds (:data:`bot.gate.SILENCING_HOLDS`: cease US-17, attorney
    US-18, bankruptcy, deceased, recalled) on any account of this phone, sorted; ``()``
    when none. Any account, not only the one in play: the gate refuses the phone's
    answers while one of its accounts has such a hold, so the dialog must not promise
    them (a START answered "subscribed again") or leave a message with nobody."""
    return silencing_holds(s.facts.accounts)


def _held_silent(s: _Step, held: tuple[str, ...], intent: str) -> None:
    """A message while a silencing hold stands: the bot says nothing (the gate would
    refuse any answer: US-17 / US-18), but a person sees it — one ``hold_review``
    hand-off (priority 3), so a customer who writes "I want to pay" after a cease is
    not answered by nobody."""
    s.audit(silencing_rule(held[0]), silent="hold", holds=list(held), intent=intent)
    s.handoff("hold_review", 3)


def _start(s: _Step, ev: InboundText) -> None:
    """US-27: START/UNSTOP from an opted-out number lifts the opt-out, with one
    confirmation. From a number that is not opted out nothing changes, so nothing is
    confirmed (a "You're subscribed again" each time would be false): it is read like a
    greeting and answered with the menu (or "which account?" / the identity question),
    except where the bot stays quiet anyway — an agent owns the conversation (G-01),
    the number is quarantined (US-12), or the provider answers the exact keyword."""
    opted = "sms" in s.facts.opted_out or bool(s.slots.get("opted_out"))
    quiet = s.facts.keyword_replies == "provider" and _exact_keyword(ev.text, "start")
    held = _silencing_holds(s)
    if opted:
        s.actions.append(OptIn())
        s.slots["opted_out"] = False
        s.audit("US-27", optin=True, holds=list(held))
        if held:
            # the hold (US-17 cease, US-18 attorney, ...) outlasts the opt-in: saying
            # "you're subscribed again" would be false; a person reviews the hold. Sent
            # even where the provider answers START itself: its "re-subscribed" text
            # alone would leave the customer with the same false impression.
            _compliance_reply(s, "optin_held", "optin_confirmation")
            if s.mode != "agent":
                s.handoff("hold_review", 3)
            return
        if not quiet:
            _compliance_reply(s, "optin_confirmation", "optin_confirmation")
        return
    s.audit("US-27", optin=False, already_subscribed=True)
    if held and s.mode != "agent":
        _held_silent(s, held, "start")
        return
    if quiet or s.mode == "agent" or s.slots.get("quarantined") or not s.facts.accounts:
        return
    _present(s, "reply")


def _help(s: _Step, ev: InboundText) -> None:
    """US-26: brand, contact and opt-out instruction; never account detail."""
    if s.facts.keyword_replies == "provider" and _exact_keyword(ev.text, "help"):
        s.audit("US-26", help="provider")
        return
    s.say("help", None, kind="help", **_brand(s))


def _brand(s: _Step) -> dict[str, str]:
    """``creditor`` and ``contact`` of the account in play (no creditor and the support
    contact when none is chosen): the only details the compliance answers carry."""
    acct = s.account()
    return {"creditor": acct.creditor if acct else "",
            "contact": acct.creditor_contact if acct else str(s.pol("dialog", "support_contact", ""))}


def _protect(s: _Step, name: str) -> None:
    acct = s.account()
    ref = acct.account_ref if acct else None
    silent = "sms" in s.facts.opted_out or bool(s.slots.get("opted_out")) or s.mode == "agent"
    for k in _PENDING:
        s.slots.pop(k, None)
    if name == "wrong_number":
        # US-12 / UK-06: no debt detail, no name confirmation, number quarantined.
        s.actions.append(Quarantine())
        s.hold("wrong_number", None)
        s.actions.append(Flag("wrong_number"))
        s.slots.pop("account_ref", None)
        s.slots.pop("identity_confirmed", None)
        s.slots["quarantined"] = True
        if not silent:
            s.reply("wrong_number", s.params(None), "reply")
        return
    s.hold(name, ref)            # dispute US-16, attorney US-18, bankruptcy
    s.handoff(name, 2)           # G-01
    s.actions.append(Flag(name))
    if not silent:
        s.reply(f"{name}_ack", s.params(None), "handoff_notice")


# --- script operations ------------------------------------------------------------------

def _run(s: _Step, handler: Handler, ev: InboundText, acct: AccountFacts) -> None:
    extra: dict[str, str] = {}
    outcome = _OPS[handler.do](s, ev, acct, extra)
    branch = handler.branch(outcome)
    if handler.do == "ignore":
        return
    if s.done:          # the operation answered itself (one arrangement per debt)
        s.slots["misses"] = 0
        return
    if handler.do != "miss":
        if branch.miss:
            if _count_miss(s):
                branch = Branch(say="handoff_notice", handoff="misunderstood", kind="handoff_notice")
        else:
            s.slots["misses"] = 0
    if branch.hold:
        s.hold(branch.hold, acct.account_ref)
    if branch.handoff:
        s.handoff(branch.handoff, branch.priority)
    if branch.flag:
        s.actions.append(Flag(branch.flag))
    if branch.say:
        key = branch.say
        _pending_params(s, acct, extra)
        if handler.do == "balance" and s.identity_ok(acct) and f"{key}_full" in s.script.templates:
            # The full balance to the right party only (UK-06): a profile that does not
            # require confirmation treats the number on file as the right party.
            key = f"{key}_full"
        s.say(key, acct, kind=branch.kind, **extra)
    if branch.goto:
        s.state_name = branch.goto


def _pending_params(s: _Step, acct: AccountFacts, extra: dict[str, str]) -> None:
    """Fill what a re-ask shows from what is pending — the promise's amount and date,
    the plans on offer and the one chosen — so a re-asked confirmation repeats it
    (G-02) instead of blanks; values the operation set win."""
    p = s.slots.get("promise") or {}
    if "amount_minor" in p:
        extra.setdefault("amount", format_money(int(p["amount_minor"]), acct.currency, s.lang))
    if p.get("date"):
        extra.setdefault("date", format_date(dt.date.fromisoformat(p["date"]), s.lang))
    if p and acct.promise is not None and not _same_promise(acct, p):
        for k, v in _promise_params(s, acct).items():
            extra.setdefault(k, v)
    raw = s.slots.get("plans")
    if raw:
        offers = [plan_math.PlanOffer.from_json(o) for o in raw]
        extra.setdefault("options", _options_text(s, acct, offers))
        choice = s.slots.get("plan_choice")
        if choice and 1 <= int(choice) <= len(offers):
            extra.setdefault("plan", _plan_line(s, acct, offers[int(choice) - 1]))


def _op_say(s, ev, acct, extra) -> str:
    return "ok"


def _op_ignore(s, ev, acct, extra) -> str:
    return "ok"


def _op_pay(s, ev, acct, extra) -> str:
    # The runner turns this into an opaque, expiring token on the creditor's domain
    # and fills `pay_link` in the replies of this step; never the account number.
    s.actions.append(IssuePayLink(acct.account_ref))
    return "ok"


def _offers(s: _Step, acct: AccountFacts) -> list[plan_math.PlanOffer]:
    raw = s.slots.get("plans")
    if raw:
        return [plan_math.PlanOffer.from_json(o) for o in raw]
    policy = s.facts.policy.get("plans") or {}
    return plan_math.offers(acct.past_due_minor, acct.currency, policy, s.local_today(acct))


def _plan_line(s: _Step, acct: AccountFacts, o: plan_math.PlanOffer) -> str:
    cur = acct.currency
    amounts = [a for _, a in o.instalments]
    return _render_line(
        s, f"plan_line_{o.kind}", option=o.option, count=o.count,
        amount=format_money(amounts[-1], cur, s.lang), first_amount=format_money(amounts[0], cur, s.lang),
        total=format_money(o.total_minor, cur, s.lang), date=format_date(o.instalments[0][0], s.lang))


def _options_text(s: _Step, acct: AccountFacts, offers: list[plan_math.PlanOffer]) -> str:
    return "\n".join(_plan_line(s, acct, o) for o in offers)


def _op_offer_plans(s, ev, acct, extra) -> str:
    s.slots.pop("plans", None)
    s.slots.pop("plan_choice", None)
    s.slots.pop("promise", None)      # a plan replaces a promise still being agreed
    if acct.plan is not None:
        _plan_in_force(s, acct)
        return "ok"
    offers = _offers(s, acct)
    if not offers:
        s.audit("UK-03", plans="none_fit", past_due_minor=acct.past_due_minor)
        return "none"
    s.slots["plans"] = [o.as_json() for o in offers]
    s.actions.append(OfferPlans(acct.account_ref, tuple(o.as_json() for o in offers)))
    if acct.promise is not None:
        # G-02: say that a plan would replace the pending promise before listing the plans;
        # NO (plan_offer's deny) keeps the promise as it is
        s.audit("G-02", plan_would_replace_promise=acct.promise.id)
        s.say("plan_replaces_promise", acct, **_promise_params(s, acct))
    extra["options"] = _options_text(s, acct, offers)
    return "ok"


def _op_choose_plan(s, ev, acct, extra) -> str:
    offers = _offers(s, acct)
    if offers and not s.slots.get("plans"):
        s.slots["plans"] = [o.as_json() for o in offers]
    extra["options"] = _options_text(s, acct, offers)
    opt = ev.intent.entities.option
    if opt is None and ev.intent.name == "affirm" and len(offers) == 1:
        opt = 1
    if opt is None or not 1 <= opt <= len(offers):
        return "invalid"
    s.slots["plan_choice"] = opt
    extra["plan"] = _plan_line(s, acct, offers[opt - 1])
    return "ok"


def _op_record_plan(s, ev, acct, extra) -> str:
    choice = s.slots.get("plan_choice")
    raw = s.slots.get("plans") or []
    if not choice or not 1 <= int(choice) <= len(raw):
        return "missing"
    if acct.plan is not None:
        # a plan was agreed meanwhile (an agent): the bot does not replace a plan itself
        for k in ("plans", "plan_choice"):
            s.slots.pop(k, None)
        _plan_in_force(s, acct)
        return "ok"
    o = plan_math.PlanOffer.from_json(raw[int(choice) - 1])
    s.actions.append(RecordPlan(acct.account_ref, o.kind, o.instalments))
    if acct.promise is not None:
        # the runner marks the promise superseded (RecordPlan); the confirmation says so
        s.audit("G-02", plan_replaces_promise=acct.promise.id)
        extra.update(_promise_params(s, acct))
    # The confirmation lists the instalments from the same object that was recorded.
    extra["schedule"] = "\n".join(
        _render_line(s, "schedule_line", date=format_date(d, s.lang),
                     amount=format_money(a, acct.currency, s.lang)) for d, a in o.instalments)
    extra["total"] = format_money(o.total_minor, acct.currency, s.lang)
    extra["plan"] = _plan_line(s, acct, o)
    for k in ("plans", "plan_choice"):
        s.slots.pop(k, None)
    return "ok"


def _op_promise(s, ev, acct, extra) -> str:
    ent = ev.intent.entities
    p = dict(s.slots.get("promise") or {})
    s.slots.pop("plans", None)        # a promise replaces plans still being chosen
    s.slots.pop("plan_choice", None)
    if ent.amount is not None:
        amt = to_minor(Decimal(ent.amount), acct.currency)
        if amt > 0:
            p["amount_minor"] = amt
    if ent.date is not None:
        p["date"] = ent.date.isoformat()
    s.slots["promise"] = p
    today = s.local_today(acct)
    max_days = int(s.pol("promises", "max_days_ahead", 30))
    max_date = today + dt.timedelta(days=max_days)
    earliest = today if not _after_hours(s, acct) else today + dt.timedelta(days=1)
    extra.update(date=format_date(earliest, s.lang), max_date=format_date(max_date, s.lang))
    if "amount_minor" in p:
        extra["amount"] = format_money(p["amount_minor"], acct.currency, s.lang)
    if "amount_minor" not in p:
        return "missing_amount"
    if "date" not in p:
        return "missing_date"
    due = dt.date.fromisoformat(p["date"])
    if due < earliest:
        p.pop("date")
        return "bad_date"
    extra["date"] = format_date(due, s.lang)
    min_frac = Decimal(str(s.pol("promises", "min_fraction_of_past_due", "0")))
    too_small = Decimal(p["amount_minor"]) < min_frac * Decimal(acct.past_due_minor)
    too_large = int(p["amount_minor"]) > max(acct.balance_minor, acct.past_due_minor)
    if due > max_date or too_small or too_large:
        # UK-03: a counter-offer is never flatly rejected; a person reviews it.
        s.audit("UK-03", counter_offer=True, amount_minor=p["amount_minor"], date=p["date"],
                too_far=due > max_date, too_small=too_small, too_large=too_large)
        return "out_of_policy"
    if acct.plan is not None:
        _promise_under_plan(s, acct, int(p["amount_minor"]), due)
        return "ok"
    if acct.promise is not None and not _same_promise(acct, p):
        extra.update(_promise_params(s, acct))   # "This replaces your promise of ..."
    return "ok"


def _same_promise(acct: AccountFacts, p: Mapping[str, Any]) -> bool:
    """The promise being agreed (slots: ``amount_minor``, ``date``) is the account's pending
    one, unchanged."""
    pending = acct.promise
    return (pending is not None and p.get("amount_minor") == pending.amount_minor
            and p.get("date") == pending.due_date.isoformat())


def _promise_params(s: _Step, acct: AccountFacts) -> dict[str, str]:
    """``promise_amount``/``promise_date``: the account's pending promise, formatted (G-02:
    from the ledger's row, never from the customer's text); empty when there is none."""
    if acct.promise is None:
        return {}
    return {"promise_amount": format_money(acct.promise.amount_minor, acct.currency, s.lang),
            "promise_date": format_date(acct.promise.due_date, s.lang)}


def _plan_params(s: _Step, acct: AccountFacts) -> dict[str, str]:
    """``next_amount``/``next_date``: the active plan's next unpaid instalment, formatted."""
    plan = acct.plan
    if plan is None or plan.next_amount_minor is None or plan.next_due is None:
        return {}
    return {"next_amount": format_money(plan.next_amount_minor, acct.currency, s.lang),
            "next_date": format_date(plan.next_due, s.lang)}


def _plan_in_force(s: _Step, acct: AccountFacts) -> None:
    """The customer asks for a plan while one is active: the bot never agrees a second plan
    beside it (one arrangement per debt) nor replaces it by itself — it says what the plan
    asks next and a person talks about changing it (UK-03: a request to change a plan is
    considered, never refused): ``plan_in_force`` (kind ``handoff_notice``) and a
    ``plan_change`` hand-off, priority 3."""
    s.audit("G-02", plan_in_force=acct.plan.id if acct.plan else None)
    s.say("plan_in_force", acct, kind="handoff_notice", **_plan_params(s, acct))
    s.handoff("plan_change", 3)
    s.state_name = s.script.menu
    s.done = True


def _promise_under_plan(s: _Step, acct: AccountFacts, amount_minor: int, due: dt.date) -> None:
    """A promise-to-pay while a repayment plan is active: no second arrangement on the debt.

    Chosen behaviour (why): a customer on a plan who texts "I can pay 50 on friday" means a
    payment toward the plan — and the ledger already counts it so (``runner/payments.py``
    pays a plan's instalments, oldest first, from every payment dated on or after the plan
    was agreed). Recording a promise beside the plan is what double-tracked the same money
    (two reminders, a "broken" promise while the plan was being paid). So:

    * dated on or before the plan's next unpaid instalment's date — or any date when that
      instalment was already missed (a catch-up payment, as ``instalment_followup``
      invites) — it is acknowledged as a payment toward the plan: ``promise_toward_plan``
      (the amount and date as the customer gave them, the plan's next amount and date from
      the ledger, G-02), a G-02 audit ``toward_plan``, no promise recorded, no reminder
      beyond the instalment's own; the plan stays as agreed;
    * dated after it, it would move a plan payment: the bot changes no plan itself and
      refuses no proposal (UK-03) — ``promise_plan_review`` and a ``counter_offer``
      hand-off (priority 3), a UK-03 audit.
    """
    plan = acct.plan
    assert plan is not None
    s.slots.pop("promise", None)
    params = {"amount": format_money(amount_minor, acct.currency, s.lang),
              "date": format_date(due, s.lang), **_plan_params(s, acct)}
    s.state_name = s.script.menu
    s.done = True
    if plan.next_due is None or plan.next_missed or due <= plan.next_due:
        s.audit("G-02", toward_plan=plan.id, amount_minor=amount_minor, date=due.isoformat())
        s.say("promise_toward_plan", acct, **params)
        return
    s.audit("UK-03", counter_offer=True, plan_id=plan.id, amount_minor=amount_minor, date=due.isoformat(),
            after_next_instalment=True)
    s.say("promise_plan_review", acct, kind="handoff_notice", **params)
    s.handoff("counter_offer", 3)


def _after_hours(s: _Step, acct: AccountFacts) -> bool:
    hours = s.profile(acct).get("allowed_hours") or ["08:00", "21:00"]
    try:
        hh, mm = (int(x) for x in str(hours[1]).split(":"))
    except (ValueError, IndexError):
        return False
    return s.local_now(acct).time() >= dt.time(hh % 24, mm)


def _op_record_promise(s, ev, acct, extra) -> str:
    """Record the promise read back (G-02). One promise per debt: it replaces the pending
    one (the runner marks that ``superseded``; the confirmation names it), the same amount
    and date again records nothing new (the confirmation repeats it), and under an active
    plan it is handled by :func:`_promise_under_plan` (a plan agreed since the read-back)."""
    p = s.slots.get("promise") or {}
    if "amount_minor" not in p or "date" not in p:
        return "missing"
    rec = RecordPromise(acct.account_ref, int(p["amount_minor"]), dt.date.fromisoformat(p["date"]))
    if acct.plan is not None:
        _promise_under_plan(s, acct, rec.amount_minor, rec.due_date)
        return "ok"
    if _same_promise(acct, p):
        s.audit("G-02", promise_unchanged=acct.promise.id if acct.promise else None)
    else:
        if acct.promise is not None:
            s.audit("G-02", promise_replaces=acct.promise.id)
            extra.update(_promise_params(s, acct))
        s.actions.append(rec)
    # G-02: the confirmation is built from the recorded object, never from free text.
    extra["amount"] = format_money(rec.amount_minor, acct.currency, s.lang)
    extra["date"] = format_date(rec.due_date, s.lang)
    s.slots.pop("promise", None)
    return "ok"


def _op_cancel(s, ev, acct, extra) -> str:
    for k in _PENDING:
        s.slots.pop(k, None)
    return "ok"


def _op_hardship(s, ev, acct, extra) -> str:
    vulnerable = bool(_VULNERABLE.search(ev.text))
    if vulnerable:
        s.hold("vulnerability", acct.account_ref)   # UK-07: pause automation
        s.actions.append(Flag("vulnerability"))
    s.handoff("hardship", 1 if _SELF_HARM.search(ev.text) else 2)
    # the reply template gets the profile's variant (hardship_uk: forbearance options
    # and the free-advice signpost, UK-01/UK-04)
    return "ok"


def _op_handoff(s, ev, acct, extra) -> str:
    return "ok"


def _op_miss(s, ev, acct, extra) -> str:
    if _count_miss(s):
        return "exhausted"
    return "ok"


_OPS = {
    "say": _op_say, "balance": _op_say, "pay": _op_pay, "offer_plans": _op_offer_plans,
    "choose_plan": _op_choose_plan, "record_plan": _op_record_plan, "promise": _op_promise,
    "record_promise": _op_record_promise, "cancel": _op_cancel, "hardship": _op_hardship,
    "handoff": _op_handoff, "ignore": _op_ignore, "miss": _op_miss,
}


# --- other events ------------------------------------------------------------------------

def _timer(s: _Step, ev: TimerFired) -> None:
    if ev.name != "identity_checked":
        s.audit("G-03", timer=ev.name)
        return
    acct = s.account()
    s.slots.pop("identity_pending", None)
    if acct is None:
        return
    silent = "sms" in s.facts.opted_out or bool(s.slots.get("opted_out")) or s.mode == "agent"
    if ev.data.get("ok"):
        s.slots["identity_confirmed"] = sorted({*(s.slots.get("identity_confirmed") or ()), acct.account_ref})
        s.slots["identity_tries"] = 0
        s.audit("UK-06", identity_confirmed=True, account_ref=acct.account_ref)
        if silent:
            s.state_name = s.script.menu
            return
        if not _answer_pending(s, acct):   # the question asked before the check, else the menu
            _present(s, "reply")
        return
    tries = int(s.slots.get("identity_tries", 0)) + 1
    limit = int(s.pol("dialog", "identity_tries", 3))
    s.slots["identity_tries"] = tries
    s.audit("UK-06", identity_confirmed=False, tries=tries, account_ref=acct.account_ref)
    if tries >= limit:
        s.handoff("identity_failed", 2)
        s.actions.append(Flag("identity_failed"))
        if not silent:   # that it did not match, and who helps next (no debt detail: UK-06)
            s.say("identity_locked", None, kind="handoff_notice")
        return
    if not silent:
        s.say("identity_failed", None, tries_left=str(limit - tries))


def _agent_action(s: _Step, ev: AgentAction) -> None:
    s.audit("G-01", agent=ev.agent, agent_action=ev.kind)
    if ev.kind == "take_over":
        s.mode = "agent"
    elif ev.kind == "hand_back":
        s.mode = "bot"
        target = ev.data.get("state")
        s.state_name = target if target in s.script.states else s.script.menu
        s.slots["misses"] = 0
    elif ev.kind == "close":
        s.mode = "bot"
        keep = {k: s.slots[k] for k in ("lang", "account_ref", "identity_confirmed", "opted_out", "quarantined")
                if k in s.slots}
        s.slots = keep
        s.state_name = s.script.initial
    elif ev.kind == "record_promise":
        _agent_promise(s, ev)
    elif ev.kind == "record_plan":
        _agent_plan(s, ev)


def _agent_account(s: _Step, ev: AgentAction) -> AccountFacts | None:
    ref = ev.data.get("account_ref")
    for a in s.facts.accounts:
        if a.account_ref == ref:
            return a
    s.audit("G-02", agent_error="unknown_account", account_ref=str(ref))
    return None


def _agent_promise(s: _Step, ev: AgentAction) -> None:
    """An agent records a promise-to-pay the customer made to them (G-02: from the
    agent's structured entry, never from free text). A human may agree what the bot
    would send to review (UK-03), so policy limits are audited, not enforced; the amount
    must be positive and at most the balance, the date not in the customer's past and
    within ``[promises] agent_max_days_ahead`` (default 365). One arrangement per debt: it
    replaces a pending promise (the runner marks that ``superseded``), and is refused
    (``problem="plan_active"``) while a plan is active — a payment toward the plan needs no
    promise, and another arrangement is a new plan (:func:`_agent_plan`)."""
    acct = _agent_account(s, ev)
    if acct is None:
        return
    try:
        amount = int(ev.data["amount_minor"])
        due = dt.date.fromisoformat(str(ev.data["due_date"]))
    except (KeyError, TypeError, ValueError):
        s.audit("G-02", agent_error="bad_promise", problem="unreadable")
        return
    today = s.local_today(acct)
    hard_max = today + dt.timedelta(days=int(s.pol("promises", "agent_max_days_ahead", 365)))
    limit = max(acct.balance_minor, acct.past_due_minor)
    problem = ("amount_not_positive" if amount <= 0 else "amount_above_balance" if amount > limit
               else "date_past" if due < today else "date_too_far" if due > hard_max else None)
    if problem is not None:
        s.audit("G-02", agent_error="bad_promise", problem=problem, amount_minor=amount, due_date=due.isoformat(),
                limit_minor=limit, currency=acct.currency, today=today.isoformat(), max_date=hard_max.isoformat())
        return
    if acct.plan is not None:
        # one arrangement per debt: a payment toward the plan needs no promise (the ledger
        # counts it toward the instalments); a different arrangement is a new plan
        s.audit("G-02", agent_error="bad_promise", problem="plan_active", plan_id=acct.plan.id,
                amount_minor=amount, due_date=due.isoformat(), currency=acct.currency,
                next_amount_minor=acct.plan.next_amount_minor,
                next_due=acct.plan.next_due.isoformat() if acct.plan.next_due else None)
        return
    max_date = today + dt.timedelta(days=int(s.pol("promises", "max_days_ahead", 30)))
    min_frac = Decimal(str(s.pol("promises", "min_fraction_of_past_due", "0")))
    if due > max_date or Decimal(amount) < min_frac * Decimal(acct.past_due_minor):
        s.audit("UK-03", agent_agreed_out_of_policy=True, amount_minor=amount, due_date=due.isoformat())
    if acct.promise is not None:
        s.audit("G-02", promise_replaces=acct.promise.id)
    s.actions.append(RecordPromise(acct.account_ref, amount, due, source=f"agent:{ev.agent}"))
    for k in _PENDING:
        s.slots.pop(k, None)


def _agent_plan(s: _Step, ev: AgentAction) -> None:
    """An agent records one of the plans the policy offers for the account (the same
    offers, from :func:`bot.dialogs.plans.offers`, that the bot would make);
    ``data["option"]`` is its 1-based number. It replaces the account's pending promise
    and active plan (the runner marks them ``superseded``): an agent may restructure a plan,
    the bot never does (:func:`_plan_in_force`)."""
    acct = _agent_account(s, ev)
    if acct is None:
        return
    policy = s.facts.policy.get("plans") or {}
    offers = plan_math.offers(acct.past_due_minor, acct.currency, policy, s.local_today(acct))
    try:
        option = int(ev.data["option"])
    except (KeyError, TypeError, ValueError):
        option = 0
    if not 1 <= option <= len(offers):
        s.audit("G-02", agent_error="bad_plan_option", option=str(ev.data.get("option")))
        return
    o = offers[option - 1]
    if acct.promise is not None or acct.plan is not None:
        s.audit("G-02", plan_replaces_promise=acct.promise.id if acct.promise else None,
                plan_replaces_plan=acct.plan.id if acct.plan else None)
    s.actions.append(RecordPlan(acct.account_ref, o.kind, o.instalments, source=f"agent:{ev.agent}"))
    for k in _PENDING:
        s.slots.pop(k, None)


# --- reply cap -----------------------------------------------------------------------------

_PROTECTIVE = (OptOut, OptIn, SetHold, Handoff, Flag, Quarantine, SetContactWindow, Audit)
#: Replies the loop guard never holds back: the one opt-out confirmation (US-08) and the
#: notice that a person will answer (G-01) — a handoff is never silent.
_CAP_EXEMPT = frozenset({"optout_confirmation", "handoff_notice"})


def _cap(s: _Step) -> tuple[ConversationState, list[Action]]:
    """US-20 / loop guard: above the hourly cap no automated reply goes and the
    conversation does not move; protective actions and opt-out confirmation stay."""
    new_state, actions = s.result()
    limit = int(s.pol("dialog", "max_auto_replies_per_hour", 8))
    replies = [a for a in actions if isinstance(a, Reply) and a.kind not in _CAP_EXEMPT]
    if not replies or s.facts.replies_last_hour + len(replies) <= limit:
        return new_state, actions
    kept = [a for a in actions if isinstance(a, _PROTECTIVE)
            or (isinstance(a, Reply) and a.kind in _CAP_EXEMPT)]
    kept.append(Audit("US-20", {"reply_cap": limit, "replies_last_hour": s.facts.replies_last_hour,
                                "suppressed": [r.template for r in replies]}))
    slots = dict(s.orig.slots)
    for k in ("opted_out", "lang", "quarantined"):
        if k in new_state.slots:
            slots[k] = new_state.slots[k]
    if new_state.slots.get("quarantined"):
        slots.pop("account_ref", None)
        slots.pop("identity_confirmed", None)
    if new_state.slots.get("opted_out") or s.mode == "agent":
        for k in _PENDING:
            slots.pop(k, None)
    return replace(s.orig, slots=slots, mode=new_state.mode), kept
