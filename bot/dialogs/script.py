"""Dialog script: TOML schema, loading and validation (pure).

A script is data, never code::

    [script]
    name = "default"
    initial = "start"              # a new conversation's state
    menu = "menu"                  # engine roles: where the menu, the identity
    verify = "verify"              #   question and "which account?" live
    choose_account = "choose_account"
    languages = ["en", "zh"]

    [states.menu]
    context = "notice"             # one of bot.types.CONTEXTS (what the bot asked)

    [states.menu.on.plan]          # intent -> handler (state handlers win over [global.on])
    do = "offer_plans"             # an engine operation (OPS below)
    say = "plan_offer"             # template key
    goto = "plan_offer"            # next state
    when.none = { say = "plan_none", handoff = "hardship" }   # other outcomes of the op

    [templates.plan_offer]
    en = "..."                     # jinja2, placeholders from KNOWN_PARAMS
    zh = "..."
    collection = true              # a collection notice: must carry the opt-out (US-04)
    weight = 1                     # A/B: weight of the base text (variant "A"), default 1

    [templates.plan_offer.variants.B]   # A/B variant: every language, its own weight
    weight = 1
    en = "..."
    zh = "..."

A handler's top-level ``say``/``goto``/``handoff``/``miss``/``flag``/``hold``/
``priority``/``kind`` form the ``ok`` branch; ``when.<outcome>`` tables the others.
The compliance intents (``bot.types.COMPLIANCE_INTENTS``) and ``agent`` (G-01) are
built into the engine and may not be mapped by any script.

Validation (:func:`validate`) checks the schema, that every target state and template
exists, that every state is reachable and none is a dead end, that every template and
variant has every language, renders with the sample values (:func:`sample_params`) and
uses only known placeholders, fits in :data:`MAX_SEGMENTS` SMS segments, carries the
opt-out when it is a collection text, and — given the config's ``[profiles]`` — passes
the content linter (``bot.lint``) under each profile (see :func:`validate`).
:func:`template_report` gives each text's segments and encoding.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Mapping

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from bot import segments
from bot.lint import lint as content_lint
from bot.lint import stated_days_past_due
from bot.templates import TemplateError, render_source
from bot.types import COMPLIANCE_INTENTS, CONTEXTS, INTENTS

#: Intents no script may map: compliance (US-04..US-18, US-12, UK-06) and the human
#: hand-off (G-01).
PROTECTED_INTENTS: frozenset[str] = COMPLIANCE_INTENTS | {"agent"}

#: Engine operations a handler may name, with the outcomes (besides ``ok``) each one
#: can produce; every listed outcome must be mapped under ``when``.
OPS: dict[str, tuple[str, ...]] = {
    "say": (),                       # reply with `say` (full account params)
    "balance": (),                   # reply with `say`, or `<say>_full` (with the whole
                                     # balance) to a confirmed right party (UK-06)
    "pay": (),                       # IssuePayLink + reply (runner fills pay_link)
    "offer_plans": ("none",),        # compute plans, OfferPlans + numbered list
    "choose_plan": ("invalid",),     # entities.option -> slots.plan_choice
    "record_plan": ("missing",),     # RecordPlan + confirmation from the same object
    "promise": ("missing_amount", "missing_date", "bad_date", "out_of_policy"),
    "record_promise": ("missing",),  # RecordPromise + confirmation (G-02)
    "cancel": (),                    # drop a pending promise/plan, then reply
    "hardship": (),                  # Handoff(hardship) + hold on vulnerability words (UK-07)
    "handoff": (),                   # Handoff(branch.handoff) + reply
    "ignore": (),                    # nothing at all
    "miss": ("exhausted",),          # count a miss; `exhausted` after N misses (G-01)
}

BRANCH_KEYS = {"say", "goto", "handoff", "priority", "miss", "flag", "hold", "kind"}
HANDLER_KEYS = BRANCH_KEYS | {"do", "when"}
REPLY_KINDS = {"reply", "help", "handoff_notice", "system", "notice"}

#: Placeholders the engine fills (templates may use nothing else). ``greeting`` is the
#: rendered ``greeting`` template ("Hi {name}, this is {creditor}.") on the first reply
#: about the debt before the creditor was named, else empty: use it as
#: ``{% if greeting %}{{ greeting }} {% endif %}``.
KNOWN_PARAMS: frozenset[str] = frozenset({
    "name", "creditor", "contact", "past_due", "minimum_due", "balance", "deadline",
    "pay_link", "options", "plan", "schedule", "amount", "date", "max_date",
    "accounts", "last4", "option", "count", "first_amount", "total", "tries_left",
    "channel", "question", "greeting", "when", "dpd",
    # the debt's current arrangement (G-02, from the ledger): the pending promise a new
    # promise or a plan replaces, and the active plan's next unpaid instalment
    "promise_amount", "promise_date", "next_amount", "next_date",
    # the customer's own window (US-03/UK-05), local "HH:MM"
    "window_start", "window_end",
})

#: Placeholders that disclose the debt or confirm the customer (US-12, UK-06).
#: ``dpd`` is the account's days past due as of the moment the text is rendered, in its
#: zone (US-21: never a figure written into a template).
DEBT_PARAMS: frozenset[str] = frozenset({
    "name", "past_due", "minimum_due", "balance", "deadline", "pay_link", "options",
    "plan", "schedule", "amount", "first_amount", "total", "last4", "greeting", "dpd",
    "promise_amount", "promise_date", "next_amount", "next_date"})

#: Templates the engine itself uses; a script must define them all.
REQUIRED_TEMPLATES: tuple[str, ...] = (
    "notice", "optout_confirmation", "optout_channel_noted", "optin_confirmation",
    "help", "attorney_ack", "bankruptcy_ack", "dispute_ack", "wrong_number",
    "unknown_sender", "choose_account", "account_line", "verify_question",
    "identity_failed", "handoff_notice", "plan_line_instalments", "plan_line_deferral",
    "plan_line_interest_free", "schedule_line",
)

#: Engine templates added after scripts were first published: a script without one gets
#: this built-in text (its languages; English where a language is missing here), so a
#: revision published before them keeps loading; a script may define its own. Both are
#: compliance answers with no debt detail:
#: ``cease_acknowledgement`` answers a cease (US-17, FDCPA §805(c)(1): the only message
#: left is that collection contact ends — no "Reply START", which a cease hold would make
#: false); ``optin_held`` answers START while a silencing hold (cease, attorney, bankruptcy,
#: deceased, recalled) still stands (US-27 lifts the SMS opt-out; the hold stays until a
#: person clears it); ``deceased_ack`` answers a report that the account holder died
#: (UK-07), once, with no debt detail; ``counter_offer_review`` answers an amount or a
#: refusal instead of a plan choice (UK-03: a person reviews a counter-offer);
#: ``identity_locked`` answers the last wrong identity answer (UK-06), with no debt detail.
#: ``self_harm_support`` answers self-harm words (UK-07 "immediate escalation"): crisis lines
#: only — no payment talk, no amount, no debt placeholder (the validator refuses them) — with
#: the lines by jurisdiction: US 988 Suicide & Crisis Lifeline (call or text), UK Samaritans
#: 116 123 (``self_harm_support_uk``), China 心理援助热线 12356 (``self_harm_support_cn``, to be
#: confirmed by the deployer). A script may edit the numbers (its own ``[templates.KEY]``).
#: ``contact_window_set`` confirms a time the customer said suits them (US-03, 12 CFR
#: 1006.6(b)(1); UK-05, CONC 7.9.4R), with no debt detail.
#: One arrangement per debt (G-02; ``bot/dialogs/engine.py``): ``plan_replaces_promise`` goes
#: before the plans offered while a promise is pending (choosing one replaces it; NO keeps
#: it); ``plan_in_force`` answers a request for a plan while one is active (a person talks
#: about changing it, UK-03); ``promise_toward_plan`` answers a promise while a plan is
#: active, dated by the plan's next payment (it counts toward the plan; nothing new is
#: recorded); ``promise_plan_review`` one dated later (a person reviews it, UK-03).
BUILTIN_TEMPLATES: Mapping[str, Mapping[str, str]] = {
    "plan_replaces_promise": {
        "en": ("{% if greeting %}{{ greeting }} {% endif %}You have a promise to pay {{ promise_amount }} on "
               "{{ promise_date }}. If you choose a plan, it replaces that promise. Reply NO to keep your promise."),
        "zh": ("{% if greeting %}{{ greeting }}{% endif %}您已承诺于{{ promise_date }}还款{{ promise_amount }}。"
               "如选择还款方案，该承诺将被取代；回复“否”保留原承诺。"),
    },
    "plan_in_force": {
        "en": ("{% if greeting %}{{ greeting }} {% endif %}Your payment plan is in place{% if next_amount %}: "
               "your next payment is {{ next_amount }}, due {{ next_date }}{% endif %}. A member of our team will "
               "contact you to talk about changing it."),
        "zh": ("{% if greeting %}{{ greeting }}{% endif %}您的还款计划正在执行中{% if next_amount %}，下一期应还"
               "{{ next_amount }}，还款日为{{ next_date }}{% endif %}。我们的工作人员将与您联系，商量调整方案。"),
    },
    "promise_toward_plan": {
        "en": ("{% if greeting %}{{ greeting }} {% endif %}Thanks. Your payment plan stays as agreed: {{ amount }} "
               "on {{ date }} will count toward it (next payment {{ next_amount }}, due {{ next_date }})."),
        "zh": ("{% if greeting %}{{ greeting }}{% endif %}谢谢。您的还款计划保持不变：您计划于{{ date }}还款的{{ amount }}"
               "将计入该还款计划（下一期应还{{ next_amount }}，还款日为{{ next_date }}）。"),
    },
    "promise_plan_review": {
        "en": ("{% if greeting %}{{ greeting }} {% endif %}Thanks for your offer of {{ amount }} on {{ date }}. "
               "Your plan payment of {{ next_amount }} is due {{ next_date }}, so a member of our team will look "
               "at changing your plan and get back to you."),
        "zh": ("{% if greeting %}{{ greeting }}{% endif %}感谢您提出于{{ date }}还款{{ amount }}。您的分期还款"
               "{{ next_amount }}将于{{ next_date }}到期，我们的工作人员将审核调整您的还款计划，并尽快回复您。"),
    },
    "cease_acknowledgement": {
        "en": "We've received your request. We will stop contacting you about this account.",
        "zh": "我们已收到您的要求，将不再就此账户与您联系。",
    },
    "deceased_ack": {
        "en": ("Thank you for letting us know, and we're very sorry for your loss. We've paused our "
               "messages about this account, and a member of our team will be in touch with the "
               "right person."),
        "zh": "感谢您告知，对您的损失我们深表遗憾。我们已暂停发送有关此账户的消息，我们的工作人员将与相关人员联系。",
    },
    "counter_offer_review": {
        "en": ("{% if greeting %}{{ greeting }} {% endif %}Thanks for telling us{% if amount %} you can "
               "pay {{ amount }}{% endif %}. A member of our team will look at what you can afford and "
               "get back to you."),
        "zh": ("{% if greeting %}{{ greeting }}{% endif %}感谢您告知{% if amount %}您能还款{{ amount }}{% endif %}。"
               "我们的工作人员将根据您的还款能力与您联系。"),
    },
    "identity_locked": {
        "en": "Sorry, that didn't match. For your security, a member of our team will help you confirm who you are.",
        "zh": "抱歉，信息不匹配。为保障您的账户安全，我们的工作人员将协助您核实身份。",
    },
    "self_harm_support": {
        "en": "We're so sorry you're going through this. You're not alone, and help is there right now: call or text 988 (Suicide & Crisis Lifeline), free and confidential, 24/7. If you're in immediate danger, call 911. We've paused our messages, and a member of our team will reach out to you.",
        "zh": "很抱歉您正在经历这些。您并不孤单，现在就可以获得帮助：请拨打或发短信至988（美国自杀与危机生命线），免费、保密、全天候。如有紧急危险，请拨打911。我们已暂停发送消息，工作人员将与您联系。",
    },
    "self_harm_support_uk": {
        "en": "We're so sorry you're going through this. You're not alone: you can call Samaritans free, any time, day or night, on 116 123. If you're in immediate danger, call 999. We've paused our messages, and a member of our team will reach out to you.",
        "zh": "很抱歉您正在经历这些。您并不孤单：您可以随时免费拨打撒玛利亚会（Samaritans）热线116 123，全天候接听。如有紧急危险，请拨打999。我们已暂停发送消息，工作人员将与您联系。",
    },
    "self_harm_support_cn": {
        # 12356: the national psychological assistance hotline (全国统一心理援助热线, National Health
        # Commission, 2025) — TO BE CONFIRMED by the deployer before a China launch; a script may edit it
        "en": "We're so sorry you're going through this. You're not alone: please call the national psychological assistance hotline, 12356, to talk to someone. If you're in immediate danger, call 120. We've paused our messages, and a member of our team will reach out to you.",
        "zh": "很抱歉您正在经历这些，您并不孤单。请拨打全国心理援助热线12356，和专业人员聊一聊。如有紧急危险，请拨打120。我们已暂停发送消息，工作人员将与您联系。",
    },
    "contact_window_set": {
        "en": "OK, we'll only text you between {{ window_start }} and {{ window_end }} your time.",
        "zh": "好的，我们只会在您当地时间{{ window_start }}至{{ window_end }}之间给您发短信。",
    },
    "optin_held": {
        "en": ("You can get texts from us again, but because of an earlier request we won't "
               "text you about your account until a member of our team has reviewed it."),
        "zh": "您可以重新接收我们的短信。但由于您之前的要求，在我们的工作人员审核之前，我们不会就您的账户给您发短信。",
    },
}

#: Compliance answers the engine sends itself (not through a script handler), and the
#: only placeholders it fills there; the validator rejects any other placeholder in them.
ENGINE_TEMPLATE_PARAMS: Mapping[str, frozenset[str]] = {
    **{key: frozenset({"creditor", "contact"})
       for key in ("optout_confirmation", "optin_confirmation", "cease_acknowledgement", "optin_held",
                   "deceased_ack", "self_harm_support", "self_harm_support_uk", "self_harm_support_cn")},
    "contact_window_set": frozenset({"window_start", "window_end", "creditor", "contact"}),
}

#: The crisis-support answers (UK-07): no link, no payment, plan or amount word, no word of
#: the debt or of collection, in any language.
_NO_DEBT_TALK = re.compile(
    r"https?://|www\.|\bpay|\bowe|\bdebt|\bbalance|\bamount|\bcollect|\bplan\b|\binstal|\bloan|\barrears|\bpast due|"
    r"\bdue\b|\bfee|\binterest\b|\bsettle|\bSTART\b|还款|付款|欠款|还钱|欠|分期|逾期|金额|余额|账单|利息|催收|贷款|借款", re.IGNORECASE)

#: Texts that follow a cease (US-17, FDCPA §805(c)), a report of the holder's death or a
#: START under such a hold: no link, no request for payment — and after a cease no offer
#: to START again (the hold outlasts it); the crisis-support answers to self-harm words
#: (UK-07): no payment, debt or collection word at all. Checked by the validator.
_NO_COLLECTION_IN: Mapping[str, re.Pattern[str]] = {
    "cease_acknowledgement": re.compile(
        r"https?://|www\.|\bpay|\bowe|\bdebt|\bcollection|\bSTART\b|resubscri|还款|付款|欠款|还钱|重新订阅",
        re.IGNORECASE),
    "deceased_ack": re.compile(r"https?://|www\.|\bpay|\bowe|\bdebt|还款|付款|欠款|还钱", re.IGNORECASE),
    "optin_held": re.compile(r"https?://|www\.|\bpay|\bowe|\bdebt|还款|付款|欠款|还钱", re.IGNORECASE),
    **{key: _NO_DEBT_TALK for key in ("self_harm_support", "self_harm_support_uk", "self_harm_support_cn")},
}

#: Templates that may go to someone whose identity is not confirmed: no debt detail.
DEBT_FREE_TEMPLATES: frozenset[str] = frozenset({
    "cease_acknowledgement", "optin_held", "deceased_ack", "identity_locked", "contact_window_set",
    "self_harm_support", "self_harm_support_uk", "self_harm_support_cn",
    "optout_confirmation", "optout_channel_noted", "optin_confirmation", "help",
    "attorney_ack", "bankruptcy_ack", "dispute_ack", "wrong_number", "unknown_sender",
    "choose_account", "verify_question", "identity_failed", "handoff_notice",
    "who_is_this"})

OPT_OUT_RE = {"en": re.compile(r"\bSTOP\b"), "zh": re.compile(r"STOP|退订")}

#: A rendered template (with the sample values) may take at most this many SMS segments.
MAX_SEGMENTS = 10

#: Keys of a ``[templates.KEY]`` table that are not languages.
TEMPLATE_KEYS = frozenset({"collection", "weight", "variants"})

#: The base text of a template, as an A/B variant.
BASE_VARIANT = "A"

_VARIANT_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")

#: Linter findings the validator does not report for script templates: the runner adds
#: the debt-collector disclosure (US-14) and the cadence checks the initial-notice
#: contact (CN-05, runner/campaign.check_cadence); placeholders and length are checked by
#: the validator itself (unknown placeholder, MAX_SEGMENTS).
LINT_SKIPPED = frozenset({"US-14", "CN-05", "lint:placeholder", "lint:length"})


@dataclass(frozen=True)
class Problem:
    """One validation problem: ``line`` (1-based, into the TOML text) and ``message``."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ScriptError(ValueError):
    """A script that does not validate; ``problems`` lists why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or "invalid script")


@dataclass(frozen=True)
class Branch:
    say: str | None = None
    goto: str | None = None
    handoff: str | None = None
    priority: int = 3
    miss: bool = False
    flag: str | None = None
    hold: str | None = None
    kind: str = "reply"


@dataclass(frozen=True)
class Handler:
    do: str
    ok: Branch
    when: Mapping[str, Branch] = field(default_factory=dict)

    def branch(self, outcome: str) -> Branch:
        return self.ok if outcome == "ok" else self.when.get(outcome, self.ok)


@dataclass(frozen=True)
class StateDef:
    name: str
    context: str
    on: Mapping[str, Handler]
    terminal: bool = False


@dataclass(frozen=True)
class Variant:
    """One A/B variant of a template: ``name`` (``"A"`` is the base text), ``weight``
    (an int >= 0; 0 never chosen) and ``texts`` (language -> source)."""

    name: str
    weight: int
    texts: Mapping[str, str]


@dataclass(frozen=True)
class TemplateInfo:
    """How one template text goes over SMS, rendered with the sample values: ``variant``
    is ``None`` for the base text; ``units`` are septets (GSM-7) or UTF-16 code units
    (UCS-2); ``ucs2_chars`` the characters that force UCS-2; ``line`` its TOML line."""

    key: str
    lang: str
    variant: str | None
    segments: int
    encoding: str
    units: int
    line: int
    ucs2_chars: tuple[str, ...] = ()


@dataclass(frozen=True)
class Script:
    name: str
    initial: str
    menu: str
    verify: str
    choose_account: str
    languages: tuple[str, ...]
    states: Mapping[str, StateDef]
    global_on: Mapping[str, Handler]
    templates: Mapping[str, Mapping[str, str]]
    collection: frozenset[str]
    text: str = field(default="", repr=False, compare=False)
    #: ``[canned]``: texts agents may pick in the console (key → language → text); plain
    #: text, no placeholders; linted by the gate like anything an agent sends
    canned: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)
    compiled: dict = field(default_factory=dict, repr=False, compare=False)
    #: A/B variants of the templates that declare ``[templates.KEY.variants.*]``: key →
    #: (the base text as variant ``"A"``, then the variants in file order). Templates
    #: without variants are not listed; ``templates[key]`` is always the base text.
    variants: Mapping[str, tuple[Variant, ...]] = field(default_factory=dict)

    def handler(self, state: str, intent: str) -> Handler | None:
        sdef = self.states.get(state)
        if sdef is not None and intent in sdef.on:
            return sdef.on[intent]
        return self.global_on.get(intent)


# --- line numbers -----------------------------------------------------------------

_KEY_RE = re.compile(r'\s*((?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'))*)\s*=')


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(r'[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'', key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each key path of a TOML text to the line it is written on (headers,
    ``key = value`` lines, dotted keys and the keys of one-line inline tables)."""
    lines: dict[tuple[str, ...], int] = {}
    prefix: tuple[str, ...] = ()
    in_multi: str | None = None
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_multi:
            if in_multi in line:
                in_multi = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            m = re.match(r"\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$", stripped)
            if m:
                prefix = _split_key(m.group(1))
                lines.setdefault(prefix, no)
            continue
        m = _KEY_RE.match(line)
        if not m:
            continue
        path = prefix + _split_key(m.group(1))
        lines.setdefault(path, no)
        value = line[m.end():].strip()
        for q in ('"""', "'''"):
            if value.startswith(q) and value.count(q) == 1:
                in_multi = q
        if value.startswith("{"):
            try:
                inline = tomllib.loads("x = " + value)["x"]
            except tomllib.TOMLDecodeError:
                continue
            _walk(inline, path, no, lines)
    return lines


def _walk(obj: Any, path: tuple[str, ...], no: int, lines: dict) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            lines.setdefault(path + (k,), no)
            _walk(v, path + (k,), no, lines)


class _Lines:
    def __init__(self, text: str):
        self.map = key_lines(text)

    def __call__(self, *path: str) -> int:
        p = tuple(path)
        while p:
            if p in self.map:
                return self.map[p]
            p = p[:-1]
        return 1


# --- loading and validation ----------------------------------------------------------

_EN_MONTHS = ("Dec 16", "Jan 16", "Feb 16", "Mar 16", "Apr 16", "May 16", "Jun 16", "Jul 16",
              "Aug 16", "Sep 16", "Oct 16", "Nov 16")
_SAMPLES: dict[str, dict[str, str]] = {
    "en": {
        "name": "Alexandra Johnson", "creditor": "Northwind Card Services", "contact": "800-555-0199",
        "past_due": "$1,234.56", "minimum_due": "$125.00", "balance": "$12,345.67",
        "deadline": "Wed Dec 16", "pay_link": "https://pay.example.com/p/Zk3vQ9xT2mLr8sWb4nYc7pHd1fGa6eJu",
        "options": "1) 6 monthly payments of $205.76 from Wed Dec 16\n"
                   "2) 12 monthly payments of $102.88 (first $102.96) from Wed Dec 16\n"
                   "3) Pay $1,234.56 later, on Fri Jan 15",
        "plan": "12 monthly payments of $102.88 (first $102.96) from Wed Dec 16",
        "schedule": "\n".join(f"{d}: {'$102.96' if i == 0 else '$102.88'}" for i, d in enumerate(_EN_MONTHS)),
        "amount": "$102.88", "date": "Wed Dec 16", "max_date": "Fri Jan 15",
        "accounts": "1) Northwind Card Services account ending 1234\n"
                    "2) Northwind Card Services account ending 5678",
        "last4": "1234", "option": "2", "count": "12", "first_amount": "$102.96", "total": "$1,234.56",
        "tries_left": "2", "channel": "phone calls and email", "question": "postcode",
        "greeting": "Hi Alexandra Johnson, this is Northwind Card Services.",
        "when": "Thu Dec 17 08:00 EST", "dpd": "120",
        "promise_amount": "$1,234.56", "promise_date": "Fri Jan 15",
        "next_amount": "$102.96", "next_date": "Wed Dec 16",
        "window_start": "18:00", "window_end": "21:00",
    },
    "zh": {
        "name": "张伟", "creditor": "北风银行", "contact": "400-820-0199",
        "past_due": "¥1,234.56", "minimum_due": "¥125.00", "balance": "¥12,345.67",
        "deadline": "12月16日（周三）", "pay_link": "https://pay.example.com/p/Zk3vQ9xT2mLr8sWb4nYc7pHd1fGa6eJu",
        "options": "1）分6期，每月¥205.76，12月16日（周三）起\n"
                   "2）分12期，每月¥102.88（首期¥102.96），12月16日（周三）起\n"
                   "3）延期至1月15日（周五）一次还清¥1,234.56",
        "plan": "分12期，每月¥102.88（首期¥102.96），12月16日（周三）起",
        "schedule": "\n".join(f"{m}月16日：{'¥102.96' if i == 0 else '¥102.88'}"
                              for i, m in enumerate((12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))),
        "amount": "¥102.88", "date": "12月16日（周三）", "max_date": "1月15日（周五）",
        "accounts": "1）北风银行，尾号1234\n2）北风银行，尾号5678",
        "last4": "1234", "option": "2", "count": "12", "first_amount": "¥102.96", "total": "¥1,234.56",
        "tries_left": "2", "channel": "电话和邮件", "question": "邮政编码",
        "greeting": "张伟您好，这里是北风银行。", "when": "12月17日（周四）08:00", "dpd": "120",
        "promise_amount": "¥1,234.56", "promise_date": "1月15日（周五）",
        "next_amount": "¥102.96", "next_date": "12月16日（周三）",
        "window_start": "18:00", "window_end": "21:00",
    },
}


def sample_params(lang: str = "en") -> dict[str, str]:
    """Values for every placeholder in :data:`KNOWN_PARAMS`, as the engine formats them
    in ``lang`` (``en`` for languages without their own samples): realistic lengths
    (a 12-instalment schedule, three plan options, a pay link), every one non-empty so
    that ``{% if %}`` branches print. Used to render templates for validation and
    :func:`template_report`."""
    base = _SAMPLES.get(lang, _SAMPLES["en"])
    return {k: base.get(k, f"<{k}>") for k in KNOWN_PARAMS}


_ENV = SandboxedEnvironment()


def _names(src: str) -> set[str]:
    """Placeholders a template source uses in any branch."""
    try:
        return set(meta.find_undeclared_variables(_ENV.parse(src)))
    except TemplateSyntaxError:
        return set()


def _weight(value: Any, where: str, line: int, problems: list[Problem]) -> int | None:
    """A variant weight (an int >= 0), or ``None`` (reported) when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(Problem(line, f"{where}.weight must be a whole number >= 0, not {value!r}"))
        return None
    return value


def _parse_branch(data: Mapping[str, Any], where: tuple[str, ...], at: _Lines,
                  problems: list[Problem], allowed: set[str]) -> Branch:
    for k in data:
        if k not in allowed:
            problems.append(Problem(at(*where, k), f"{'.'.join(where)}: unknown key {k!r}"))
    def get(k: str, typ: type, default: Any) -> Any:
        v = data.get(k, default)
        if v is not default and not isinstance(v, typ):
            problems.append(Problem(at(*where, k), f"{'.'.join(where)}.{k} must be a {typ.__name__}"))
            return default
        return v
    kind = get("kind", str, "reply")
    if kind not in REPLY_KINDS:
        problems.append(Problem(at(*where, "kind"), f"{'.'.join(where)}.kind {kind!r} is not one of {sorted(REPLY_KINDS)}"))
    return Branch(say=get("say", str, None), goto=get("goto", str, None),
                  handoff=get("handoff", str, None), priority=get("priority", int, 3),
                  miss=get("miss", bool, False), flag=get("flag", str, None),
                  hold=get("hold", str, None), kind=kind)


def _parse_on(on: Any, where: tuple[str, ...], at: _Lines, problems: list[Problem]) -> dict[str, Handler]:
    out: dict[str, Handler] = {}
    if on is None:
        return out
    if not isinstance(on, dict):
        problems.append(Problem(at(*where), f"{'.'.join(where)} must be a table of intent = handler"))
        return out
    for intent, h in on.items():
        hw = where + (intent,)
        if intent in PROTECTED_INTENTS:
            problems.append(Problem(at(*hw), f"{'.'.join(hw)}: {intent!r} is a compliance intent built into the engine "
                                             "(US-04, US-05, US-08, US-12, US-16, US-18, G-01); a script cannot map it"))
            continue
        if intent not in INTENTS:
            problems.append(Problem(at(*hw), f"{'.'.join(hw)}: unknown intent {intent!r}"))
            continue
        if not isinstance(h, dict):
            problems.append(Problem(at(*hw), f"{'.'.join(hw)} must be a table"))
            continue
        op = h.get("do", "say")
        if op not in OPS:
            problems.append(Problem(at(*hw, "do"), f"{'.'.join(hw)}.do: unknown operation {op!r} (one of {sorted(OPS)})"))
            continue
        ok = _parse_branch(h, hw, at, problems, HANDLER_KEYS)
        when: dict[str, Branch] = {}
        raw_when = h.get("when", {})
        if not isinstance(raw_when, dict):
            problems.append(Problem(at(*hw, "when"), f"{'.'.join(hw)}.when must be a table"))
            raw_when = {}
        for outcome, b in raw_when.items():
            if outcome not in OPS[op]:
                problems.append(Problem(at(*hw, "when", outcome),
                                        f"{'.'.join(hw)}: operation {op!r} has no outcome {outcome!r}"))
                continue
            if not isinstance(b, dict):
                problems.append(Problem(at(*hw, "when", outcome), f"{'.'.join(hw)}.when.{outcome} must be a table"))
                continue
            when[outcome] = _parse_branch(b, hw + ("when", outcome), at, problems, BRANCH_KEYS)
        for outcome in OPS[op]:
            if outcome not in raw_when:
                problems.append(Problem(at(*hw), f"{'.'.join(hw)}: operation {op!r} needs when.{outcome}"))
        if op == "handoff" and not ok.handoff:
            problems.append(Problem(at(*hw), f"{'.'.join(hw)}: operation 'handoff' needs a handoff reason"))
        out[intent] = Handler(op, ok, when)
    return out


def _build(text: str, profiles: Mapping[str, Mapping[str, Any]] | None = None, *, publish: bool = False
           ) -> tuple[Script | None, list[Problem]]:
    problems: list[Problem] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return None, [Problem(int(m.group(1)) if m else 1, f"TOML syntax: {exc}")]
    at = _Lines(text)

    for k in data:
        if k not in {"script", "states", "global", "templates", "canned"}:
            problems.append(Problem(at(k), f"unknown top-level table {k!r}"))
    head = data.get("script")
    if not isinstance(head, dict):
        problems.append(Problem(1, "missing [script] table"))
        head = {}
    def name_of(key: str, default: str) -> str:
        value = head.get(key, default)
        if not isinstance(value, str):
            problems.append(Problem(at("script", key), f"script.{key} must be a state name (string)"))
            return default
        return value
    initial = name_of("initial", "start")
    roles = {r: name_of(r, r) for r in ("menu", "verify", "choose_account")}
    languages = head.get("languages", ["en", "zh"])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        problems.append(Problem(at("script", "languages"), "script.languages must be a list of strings"))
        languages = ["en", "zh"]
    for need in ("en", "zh"):
        if need not in languages:
            problems.append(Problem(at("script", "languages"), f"script.languages must include {need!r}"))

    raw_states = data.get("states")
    if not isinstance(raw_states, dict) or not raw_states:
        problems.append(Problem(at("states"), "missing [states] (at least one state)"))
        raw_states = {}
    states: dict[str, StateDef] = {}
    for name, sd in raw_states.items():
        if not isinstance(sd, dict):
            problems.append(Problem(at("states", name), f"states.{name} must be a table"))
            continue
        for k in sd:
            if k not in {"context", "on", "terminal"}:
                problems.append(Problem(at("states", name, k), f"states.{name}: unknown key {k!r}"))
        ctx = sd.get("context")
        if ctx not in CONTEXTS:
            problems.append(Problem(at("states", name, "context") if "context" in sd else at("states", name),
                                    f"states.{name}.context must be one of {list(CONTEXTS)}"))
            ctx = "notice"
        on = _parse_on(sd.get("on"), ("states", name, "on"), at, problems)
        states[name] = StateDef(name, ctx, on, bool(sd.get("terminal", False)))

    glob = data.get("global", {})
    if not isinstance(glob, dict):
        problems.append(Problem(at("global"), "[global] must be a table"))
        glob = {}
    global_on = _parse_on(glob.get("on"), ("global", "on"), at, problems)

    raw_templates = data.get("templates")
    if not isinstance(raw_templates, dict):
        problems.append(Problem(at("templates"), "missing [templates]"))
        raw_templates = {}
    templates: dict[str, dict[str, str]] = {}
    variants: dict[str, tuple[Variant, ...]] = {}
    collection: set[str] = set()
    # (path to the text, template key, language, source), checked below
    to_check: list[tuple[tuple[str, ...], str, str, str]] = []

    def texts_of(t: Mapping[str, Any], path: tuple[str, ...], reserved: frozenset[str]) -> dict[str, str]:
        texts: dict[str, str] = {}
        for lang, src in t.items():
            if lang in reserved:
                continue
            if not isinstance(src, str):
                problems.append(Problem(at(*path, lang), f"{'.'.join(path)}.{lang} must be a string"))
                continue
            texts[lang] = src
        for lang in languages:
            if lang not in texts:
                problems.append(Problem(at(*path), f"{'.'.join(path)} has no {lang!r} text "
                                                   "(every template in every language)"))
        for lang, src in texts.items():
            to_check.append((path + (lang,), path[1], lang, src))
        return texts

    for key, t in raw_templates.items():
        if not isinstance(t, dict):
            problems.append(Problem(at("templates", key), f"templates.{key} must be a table of language = text"))
            continue
        if "collection" in t:
            if not isinstance(t["collection"], bool):
                problems.append(Problem(at("templates", key, "collection"), f"templates.{key}.collection must be true or false"))
            elif t["collection"]:
                collection.add(key)
        templates[key] = texts_of(t, ("templates", key), TEMPLATE_KEYS)
        base_weight = _weight(t.get("weight", 1), f"templates.{key}", at("templates", key, "weight"), problems)
        raw_variants = t.get("variants")
        if raw_variants is None:
            if base_weight == 0:
                problems.append(Problem(at("templates", key, "weight"),
                                        f"templates.{key}: weight 0 and no variants: at least one "
                                        "variant must have a positive weight"))
            continue
        if not isinstance(raw_variants, dict) or not raw_variants:
            problems.append(Problem(at("templates", key, "variants"),
                                    f"templates.{key}.variants must be a table of [templates.{key}.variants.NAME] tables"))
            continue
        found = [Variant(BASE_VARIANT, base_weight or 0, templates[key])]
        weights_ok = base_weight is not None
        for name, v in raw_variants.items():
            vpath = ("templates", key, "variants", name)
            vwhere = ".".join(vpath)
            if name == BASE_VARIANT or not _VARIANT_NAME_RE.fullmatch(name):
                problems.append(Problem(at(*vpath), f"{vwhere}: a variant name is letters, digits, '_' or '-' "
                                                    f"(at most 32) and not {BASE_VARIANT!r} (the base text)"))
                continue
            if not isinstance(v, dict):
                problems.append(Problem(at(*vpath), f"{vwhere} must be a table of weight and language = text"))
                continue
            for k in ("collection", "variants"):
                if k in v:
                    problems.append(Problem(at(*vpath, k), f"{vwhere}.{k}: not allowed in a variant "
                                                           f"(set it on templates.{key})"))
            weight = _weight(v.get("weight", 1), vwhere, at(*vpath, "weight"), problems)
            weights_ok = weights_ok and weight is not None
            found.append(Variant(name, weight or 0, texts_of(v, vpath, TEMPLATE_KEYS)))
        if weights_ok and not any(v.weight > 0 for v in found):
            problems.append(Problem(at("templates", key),
                                    f"templates.{key}: every variant has weight 0: at least one "
                                    "must have a positive weight"))
        variants[key] = tuple(found)

    for key, builtin in BUILTIN_TEMPLATES.items():
        if key not in templates:
            templates[key] = {lang: builtin.get(lang, builtin["en"]) for lang in languages}

    for path, key, lang, src in to_check:
        problems.extend(_check_text(path, key, lang, src, key in collection, templates, profiles, at,
                                    publish=publish))

    for key in REQUIRED_TEMPLATES:
        if key not in templates:
            problems.append(Problem(at("templates"), f"templates.{key} is required by the engine"))
    if "notice" in templates and "notice" not in collection:
        problems.append(Problem(at("templates", "notice"), "templates.notice must be marked collection = true (US-04)"))

    canned: dict[str, dict[str, str]] = {}
    raw_canned = data.get("canned", {})
    if not isinstance(raw_canned, dict):
        problems.append(Problem(at("canned"), "[canned] must be a table of key = { language = text }"))
        raw_canned = {}
    for key, t in raw_canned.items():
        if not isinstance(t, dict) or not all(isinstance(v, str) for v in t.values()):
            problems.append(Problem(at("canned", key), f"canned.{key} must be a table of language = text"))
            continue
        for lang in languages:
            if lang not in t:
                problems.append(Problem(at("canned", key), f"canned.{key} has no {lang!r} text"))
        for lang, src in t.items():
            if "{{" in src or "{%" in src:
                problems.append(Problem(at("canned", key, lang), f"canned.{key}.{lang}: canned replies are plain text "
                                                                 "(no placeholders)"))
        canned[key] = dict(t)

    # references
    for role_state, where in [(initial, ("script", "initial"))] + [(s, ("script", r)) for r, s in roles.items()]:
        if role_state not in states:
            problems.append(Problem(at(*where), f"{'.'.join(where)}: state {role_state!r} does not exist"))

    def handlers() -> list[tuple[tuple[str, ...], Handler]]:
        out = [(("global", "on", i), h) for i, h in global_on.items()]
        for sname, sdef in states.items():
            out += [(("states", sname, "on", i), h) for i, h in sdef.on.items()]
        return out

    for where, h in handlers():
        for outcome, b in [("ok", h.ok)] + list(h.when.items()):
            bw = where if outcome == "ok" else where + ("when", outcome)
            if b.goto is not None and b.goto not in states:
                problems.append(Problem(at(*bw, "goto"), f"{'.'.join(bw)}.goto: state {b.goto!r} does not exist"))
            if b.say is not None and b.say not in templates:
                problems.append(Problem(at(*bw, "say"), f"{'.'.join(bw)}.say: template {b.say!r} does not exist"))

    # reachability and dead ends
    def edges(sname: str) -> tuple[set[str], bool]:
        targets: set[str] = set()
        exits = False
        sdef = states[sname]
        merged = dict(global_on)
        merged.update(sdef.on)
        for h in merged.values():
            for b in [h.ok, *h.when.values()]:
                if b.goto and b.goto in states:
                    targets.add(b.goto)
                    if b.goto != sname:
                        exits = True
                if b.handoff or b.miss:
                    exits = True
            if h.do in ("handoff", "hardship"):
                exits = True
        return targets, exits

    roots = {initial, *roles.values()} & set(states)
    seen = set(roots)
    todo = list(roots)
    while todo:
        s = todo.pop()
        for t in edges(s)[0]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for sname, sdef in states.items():
        if sname not in seen:
            problems.append(Problem(at("states", sname), f"states.{sname} is unreachable from {initial!r}"))
        if not sdef.terminal and not edges(sname)[1]:
            problems.append(Problem(at("states", sname), f"states.{sname} is a dead end: no transition out, no hand-off, "
                                                         "not marked terminal"))

    if problems:
        return None, sorted(problems, key=lambda p: p.line)
    script = Script(
        name=str(head.get("name", "script")), initial=initial, menu=roles["menu"],
        verify=roles["verify"], choose_account=roles["choose_account"],
        languages=tuple(languages), states=states, global_on=global_on,
        templates=templates, collection=frozenset(collection), text=text, canned=canned,
        variants=variants)
    return script, []


def _check_text(path: tuple[str, ...], key: str, lang: str, src: str, is_collection: bool,
                templates: Mapping[str, Mapping[str, str]],
                profiles: Mapping[str, Mapping[str, Any]] | None, at: _Lines, *,
                publish: bool = False) -> list[Problem]:
    """Problems with one template (or variant) text at ``path``. ``publish``: also the
    rules added after scripts were already published (a revision stored before them still
    loads; the gate enforces them at send time)."""
    where = ".".join(path)
    line = at(*path)
    out: list[Problem] = []
    try:
        rendered = render_source(src, sample_params(lang))
    except TemplateError as exc:
        return [Problem(line, f"{where}: {exc}")]
    unknown = sorted(_names(src) - KNOWN_PARAMS)
    if unknown:   # in a branch the samples do not take
        out.append(Problem(line, f"{where}: unknown placeholder: {', '.join(unknown)}"))
    fixed = stated_days_past_due(src) if publish else ()
    if fixed:   # US-21: "30 days past due" written into a text goes to accounts 31, 45, 90 days late
        out.append(Problem(line, f"{where} states a fixed days-past-due figure ({fixed[0]}); write "
                                 "{{ dpd }} so each text states the account's own (US-21)"))
    # a stored revision may predate this rule: the engine renders these texts with every
    # other placeholder empty (engine._compliance_reply), so it still loads
    allowed = ENGINE_TEMPLATE_PARAMS.get(key) if publish else None
    if allowed is not None and _names(src) - allowed - DEBT_PARAMS:
        out.append(Problem(line, f"{where}: the engine fills only {', '.join(sorted(allowed))} here; "
                                 f"uses {sorted(_names(src) - allowed - DEBT_PARAMS)}"))
    banned = _NO_COLLECTION_IN.get(key)
    if banned is not None and banned.search(src):
        out.append(Problem(line, f"{where} follows a cease, a death report, a held START or self-harm "
                                 f"words and may carry no link, payment request, debt word or START "
                                 f"offer (US-17, UK-07): "
                                 f"{banned.search(src).group(0)!r}"))
    debt_free = key in DEBT_FREE_TEMPLATES
    debt_reported = False
    if debt_free:
        used = _names(src) & DEBT_PARAMS          # the parser's own list: {{ (name) }} counts too
        if used:
            debt_reported = True
            out.append(Problem(line, f"{where} may reach an unconfirmed person and must carry "
                                     f"no debt detail (US-12, UK-06): uses {sorted(used)}"))
    has_optout = bool(OPT_OUT_RE.get(lang, OPT_OUT_RE["en"]).search(src))
    if is_collection and not has_optout:
        out.append(Problem(line, f"{where} is a collection notice and must carry the "
                                 "opt-out instruction, e.g. 'Reply STOP to opt out' (US-04)"))
    info = segments.count(rendered)
    if info.segments > MAX_SEGMENTS:
        out.append(Problem(line, f"{where}: {info.segments} SMS segments ({info.encoding}, {info.units} units) "
                                 f"with sample values; at most {MAX_SEGMENTS}"))
    if profiles:
        seen: set[str] = set()
        # also render with every value empty: a branch like {% if not name %} that the
        # samples never take is what an unknown sender gets
        try:
            bare = render_source(src, {k: "" for k in KNOWN_PARAMS})
        except TemplateError:
            bare = ""
        findings = _lint_findings(key, lang, src, rendered, profiles, templates,
                                  collection=is_collection, debt_free=debt_free)
        if bare and bare != rendered:
            findings += [f for f in _lint_findings(key, lang, src, bare, profiles, templates,
                                                   collection=is_collection, debt_free=debt_free)
                         if f[0] not in ("US-04", "UK-06", "CN-05")]
        for rule, message in findings:
            if rule == "US-04" and (not is_collection or not has_optout):
                continue   # only collection texts; a missing STOP is reported above
            if rule == "UK-06" and debt_reported:
                continue
            msg = f"{where}: {rule} {message}"
            if msg not in seen:
                seen.add(msg)
                out.append(Problem(line, msg))
    return out


def _jurisdiction(profile: Mapping[str, Any]) -> str:
    return str(profile.get("jurisdiction", "US")).upper()


def lint_profiles(key: str, lang: str, profiles: Mapping[str, Mapping[str, Any]],
                  templates: Mapping[str, Any]) -> list[str]:
    """Names of the profiles a template text is linted under.

    Language and jurisdiction: ``zh`` texts under ``CN`` jurisdictions only, every other
    language under the others (US, UK, ...). Jurisdiction templates: the engine sends
    ``KEY_<jurisdiction>`` (``hardship_uk``) instead of ``KEY`` where it exists, so
    ``KEY_uk`` is linted only under UK profiles and ``KEY`` not under them."""
    out = []
    jurs = {n: _jurisdiction(p) for n, p in profiles.items() if isinstance(p, Mapping)}
    suffixes = {j.lower() for j in jurs.values()}
    own = next((j for j in sorted(suffixes, key=len, reverse=True) if key.endswith("_" + j)), None)
    for name, jur in jurs.items():
        if (lang == "zh") != jur.startswith("CN"):
            continue
        if own is not None and jur.lower() != own:
            continue
        if own is None and f"{key}_{jur.lower()}" in templates:
            continue
        out.append(name)
    return out


def _lint_findings(key: str, lang: str, src: str, rendered: str,
                   profiles: Mapping[str, Mapping[str, Any]], templates: Mapping[str, Any], *,
                   collection: bool, debt_free: bool) -> list[tuple[str, str]]:
    """``(rule, message)`` the content linter finds in a template under each profile it
    applies to (:func:`lint_profiles`): first on the rendered sample, then on the source
    (which also covers ``{% if %}`` branches the sample does not print) for rules the
    sample did not break. Rules in :data:`LINT_SKIPPED` are left out; UK-06 applies only
    to :data:`DEBT_FREE_TEMPLATES` (every other template is sent by the engine after the
    right party is confirmed where the profile requires it); the opt-out (US-04) is
    required of collection texts only."""
    found: list[tuple[str, str]] = []
    for name in lint_profiles(key, lang, profiles, templates):
        prof = profiles[name]
        rules: set[str] = set()
        for text in (rendered, src):
            hits = content_lint(text, profile=prof, initial=False, identity_confirmed=not debt_free,
                        known_params=KNOWN_PARAMS, reply=not collection)
            new = [(p.rule, p.message) for p in hits if p.rule not in LINT_SKIPPED and p.rule not in rules]
            rules |= {r for r, _ in new}
            found.extend(new)
    return found


def template_report(script: Script) -> list[TemplateInfo]:
    """Segments and encoding of every template text of ``script`` (base texts, then each
    template's variants), rendered with :func:`sample_params` and counted with
    :func:`bot.segments.count`; ``line`` points into ``script.text``. Texts that do not
    render are left out (:func:`validate` reports them)."""
    at = _Lines(script.text)
    out: list[TemplateInfo] = []

    def langs(texts: Mapping[str, str]) -> list[str]:
        return [x for x in script.languages if x in texts] + [x for x in texts if x not in script.languages]

    for key, texts in script.templates.items():
        entries: list[tuple[str | None, tuple[str, ...], Mapping[str, str]]] = [(None, ("templates", key), texts)]
        for v in script.variants.get(key, ())[1:]:
            entries.append((v.name, ("templates", key, "variants", v.name), v.texts))
        for variant, path, vtexts in entries:
            for lang in langs(vtexts):
                try:
                    rendered = render_source(vtexts[lang], sample_params(lang))
                except TemplateError:
                    continue
                info = segments.count(rendered)
                out.append(TemplateInfo(key, lang, variant, info.segments, info.encoding, info.units,
                                        at(*path, lang), info.ucs2_chars))
    return out


def validate(text: str, profiles: Mapping[str, Mapping[str, Any]] | None = None) -> list[Problem]:
    """Problems with a script text ([] when it is fine), each with its TOML line, sorted
    by line.

    profiles: the config's ``[profiles.*]`` tables (``settings.behaviour["profiles"]``).
    Given them, each template and variant text is also linted (``bot.lint.lint``) under
    the profiles it applies to (:func:`lint_profiles`: ``zh`` under CN, other languages
    under US/UK; ``KEY_uk`` under UK only): threats and banned wording (US-21, UK-02,
    CN-04, ``lint:banned``), ``lint:disguised``, ``lint:sensitive``; the opt-out
    instruction (US-04) for ``collection = true`` texts; UK-06 (no amount before identity
    is confirmed) for :data:`DEBT_FREE_TEMPLATES` only — the engine sends every other
    template after the right-party check where the profile requires it. Not checked: the
    US-14 disclosure (the runner adds it) and CN-05 (the cadence checks initial notices).
    Each finding reads ``templates.KEY.LANG: RULE message``. Also refused here, for a new
    revision, though a stored one with it still loads (:func:`load_script`; the gate refuses
    a stale figure at send time): a fixed days-past-due figure instead of ``{{ dpd }}``
    (US-21); a placeholder other than ``creditor``/``contact`` in the engine's own compliance
    answers (:data:`ENGINE_TEMPLATE_PARAMS`; rendered empty at run time)."""
    return _build(text, profiles, publish=True)[1]


def load_script(text: str, profiles: Mapping[str, Mapping[str, Any]] | None = None) -> Script:
    """Parse and validate a script (with ``profiles``, as :func:`validate`); raises
    :class:`ScriptError` listing every problem."""
    script, problems = _build(text, profiles)
    if problems or script is None:
        raise ScriptError(problems)
    return script
