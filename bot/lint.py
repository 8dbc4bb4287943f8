"""The content linter: what a template or an agent's free text must (not) say (pure).

``lint(text, *, profile, initial, identity_confirmed, known_params)`` returns the
problems, each naming the rule it breaks; an empty list means the text may go. Template
sources (``{{ past_due }}``) and rendered texts are both accepted: placeholders are
checked against ``known_params`` and counted as what they stand for (an amount
placeholder is an amount). The admin console lints templates at publish time, the agent
console lints an agent's text before sending, and ``runner/outbound.submit`` lints every
initiated message that does not come from an approved template.

Rules (COMPLIANCE.md):

* **US-04** — every collection text carries a simple opt-out instruction (12 CFR
  1006.6(e); comment 6(e)-1: "Reply STOP to stop texts to this telephone number").
  Accepted: STOP/UNSUBSCRIBE/OPT OUT/END/QUIT/CANCEL in an instruction, 退订 / 回T / 回TD /
  拒收请回复R. Required in initiated messages; in replies only under the third-party
  regime (1006.6(e) covers every electronic communication) or with the profile setting
  ``optout_notice_in_replies = true``.
* **US-14** — third-party regime (``profile.regime == "third_party"``): the initial
  communication says it is from a debt collector attempting to collect a debt and that
  information obtained will be used for that purpose (FDCPA §807(11)); every later one
  says it is from a debt collector.
* **UK-06** — where the profile requires identity confirmation (``identity_check``), no
  amount, balance or amount placeholder before identity is confirmed (CONC 7.9.10R).
* **US-21** — no threats of arrest, jail, police, warrants (never); legal-action terms
  (lawsuit, sue, garnish, court, legal action) only with ``legal_action_approved``
  (FDCPA §807; 12 CFR 1006.18). Applies to US jurisdictions (``US``, ``US-XX``).
* **UK-02** — no pressure to borrow, sell, "today only", or pay in full within fewer than
  ``profile.min_deadline_days`` (default 14) days (CONC 7.3.10R). Applies to ``UK``.
  Deviation from the table: the bare word "loan" is not banned (Duly collects loans);
  "new loan", "take out a loan", "loan to pay", "payday loan" are.
* **CN-04** — banned tactics in Chinese: impersonating police/courts, detention, visits,
  address-book blasting (爆通讯录), blacklists, insults, pushing new borrowing; 起诉
  only with ``legal_action_approved``. Applies to ``CN``.
* **CN-05** — initial CN texts carry the creditor's contact (``{{ contact }}`` or ``{{ creditor_contact }}``
  or a phone number).
* ``lint:placeholder`` — an unknown or malformed placeholder; ``lint:length`` — over
  1600 characters (Twilio's limit for one message body).
* ``lint:sensitive`` — a US Social Security number (``123-45-6789``) or a full card
  number (13–19 digits passing the Luhn check) in the text: never in an SMS.
* ``lint:disguised`` — text that hides words from these rules: invisible format
  characters (zero-width spaces, bidi controls) or a word mixing Latin with Greek or
  Cyrillic letters (``pоlice`` with a Cyrillic о). Phrase rules run on the NFKC form, so
  full-width and compatibility letters do not hide a word either.

Profiles may add phrases: ``banned_phrases = ["..."]`` (rule ``lint:banned``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from bot import segments

__all__ = ["LintProblem", "SegmentReport", "lint", "segment_report", "MAX_CHARS",
           "AMOUNT_PARAMS"]

#: Twilio refuses message bodies over 1600 characters.
MAX_CHARS = 1600

#: Placeholders that stand for money owed (UK-06).
AMOUNT_PARAMS = frozenset({"amount", "past_due", "balance", "minimum_due", "promise_amount",
                           "instalment_amount", "total", "amount_due"})

_ENV = SandboxedEnvironment()


@dataclass(frozen=True)
class LintProblem:
    """One thing wrong with a text: ``rule`` (a COMPLIANCE.md ID or ``lint:...``) and a
    ``message`` an admin or agent can act on."""

    rule: str
    message: str


@dataclass(frozen=True)
class SegmentReport:
    """How the text goes over SMS: ``encoding`` (``GSM-7``/``UCS-2``), ``units`` (septets
    or UTF-16 code units), ``segments``, ``chars`` (len in code points) and
    ``ucs2_chars`` (the characters that force UCS-2, in order)."""

    encoding: str
    units: int
    segments: int
    chars: int
    ucs2_chars: tuple[str, ...]


def segment_report(text: str) -> SegmentReport:
    """Segments and encoding of ``text`` (:func:`bot.segments.count`)."""
    info = segments.count(text)
    return SegmentReport(info.encoding, info.units, info.segments, len(text), info.ucs2_chars)


# --- phrase tables -----------------------------------------------------------------------

_OPTOUT = [
    re.compile(r"\b(reply|text|send|txt|respond(?:\s+with)?)\s+[\"'“‘]?(stop|unsubscribe|opt[\s-]?out|end|quit|cancel)\b", re.I),
    re.compile(r"\b(stop|unsubscribe|opt[\s-]?out)\b\s*(to|=|:)\s*(stop|opt|unsubscribe|end|cancel|quit)", re.I),
    re.compile(r"退订|回\s*T\s*D?\b|回复\s*(T|TD|R|退订)|拒收请回复\s*R", re.I),
]

_DEBT_COLLECTOR = re.compile(r"\bdebt\s+collector\b|债务催收机构|催收机构", re.I)
_MINI_MIRANDA = [
    re.compile(r"attempt(ing)?\s+to\s+collect\s+a\s+debt", re.I),
    re.compile(r"information\s+obtained\s+will\s+be\s+used\s+for\s+that\s+purpose", re.I),
]

_US21_NEVER = [r"arrest(ed)?", r"jail", r"prison", r"warrant", r"police", r"sheriff",
               r"criminal", r"prosecut\w*", r"handcuff\w*", r"seize\w*", r"seizure"]
_US21_LEGAL = [r"law\s*suit", r"sue", r"su(ed|ing)", r"legal\s+action", r"court", r"garnish\w*",
               r"judg(e)?ment", r"attorney\s+will"]

_UK02 = [(r"\bborrow\w*", "asks the customer to borrow"),
         (r"\b(new|payday|another)\s+loan\b|\btake\s+out\s+a\s+loan\b|\bloan\s+to\s+pay\b",
          "pushes new borrowing"),
         (r"\bcredit\s+card\s+to\s+pay\b|\bpay\s+(it\s+)?(with|on)\s+(a|your|another)\s+credit\s+card\b",
          "asks the customer to pay with credit"),
         (r"\bsell(ing)?\b|\bremortgage\b", "asks the customer to sell property or remortgage"),
         (r"\btoday\s+only\b|\blast\s+chance\b|\bfinal\s+chance\b", "pressure wording")]
_FULL = re.compile(r"\b(in\s+full|full\s+(amount|balance|payment|sum)|the\s+full\b|whole\s+(amount|balance)|"
                   r"entire\s+(amount|balance)|total\s+(amount|balance)|clear\s+(the|your)\s+(balance|debt|account))",
                   re.I)
#: "you don't have to pay in full" is forbearance (UK-01), not a demand to pay in full
_NEGATED = re.compile(r"\b(?:don'?t|do\s+not|doesn'?t|needn'?t|no\s+need\s+to|not|never)\b[^.!?]*$", re.I)
_SHORT = re.compile(r"\b(?:today|tonight|tomorrow|immediately|right\s+away|now|end\s+of\s+(?:the\s+)?day|"
                    r"(?:within|in)\s+(?P<n>\d+)\s+(?P<unit>hours?|days?)|(?P<h>\d+)\s+hours?)\b", re.I)

_CN04_NEVER = ["公安", "警方", "警察", "报警", "法院", "检察院", "拘留", "坐牢", "判刑", "立案", "上门",
               "通讯录", "黑名单", "爆", "曝光", "老赖", "骗子", "无赖", "借钱还", "借款还", "向亲友借",
               "套现", "新贷", "以贷养贷", "传票", "律师函"]
_CN04_LEGAL = ["起诉", "诉讼"]

_MONEY_VALUE = re.compile(
    r"(?:[$£€¥￥]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:USD|GBP|EUR|CNY|RMB|元|dollars|pounds))",
    re.I)
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_PLACEHOLDER_RE = re.compile(r"{{\s*([^{}]*?)\s*}}")


def _words(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(patterns) + r")\b", re.I)


_US21_NEVER_RE = _words(_US21_NEVER)
_US21_LEGAL_RE = _words(_US21_LEGAL)


def _jurisdiction(profile: Mapping[str, Any]) -> str:
    return str(profile.get("jurisdiction", "US")).upper()


def _placeholders(text: str) -> tuple[set[str], list[LintProblem]]:
    """Names used in ``{{ ... }}`` placeholders and syntax problems."""
    if "{{" not in text and "{%" not in text:
        return set(), []
    try:
        ast = _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return set(), [LintProblem("lint:placeholder", f"malformed placeholder: {exc.message}")]
    return set(meta.find_undeclared_variables(ast)), []


def lint(text: str, *, profile: Mapping[str, Any], initial: bool, identity_confirmed: bool,
         known_params: set[str] | frozenset[str], reply: bool = False,
         legal_action_approved: bool = False) -> list[LintProblem]:
    """Every rule ``text`` breaks under ``profile`` (empty list: it may go).

    text: a template source or a rendered message. profile: the jurisdiction profile
    mapping from config (``regime``, ``jurisdiction``, ``identity_check``,
    ``min_deadline_days``, ``banned_phrases``, ``optout_notice_in_replies``).
    initial: the first communication with this customer about this debt (US-14 full
    disclosure; CN-05 contact). identity_confirmed: right-party check passed (UK-06).
    known_params: placeholder names the renderer can fill. reply: the text answers the
    customer's own message (the US-04 instruction is then required only under the
    third-party regime or ``optout_notice_in_replies``). legal_action_approved: the
    account may mention legal action (US-21, CN-04 起诉).

    Never raises; problems are ordered by rule as listed in the module docstring."""
    problems: list[LintProblem] = []
    jur = _jurisdiction(profile)
    third_party = str(profile.get("regime", "first_party")) == "third_party"
    used, syntax = _placeholders(text)
    # Placeholders count as what they stand for; drop them for phrase checks, which run
    # on the NFKC form without invisible characters (lint:disguised reports those).
    plain = _PLACEHOLDER_RE.sub(" ", text)
    disguised = _disguise(plain)
    plain = unicodedata.normalize("NFKC", "".join(ch for ch in plain if unicodedata.category(ch) != "Cf"))

    # US-04: opt-out instruction.
    need_optout = (not reply) or third_party or bool(profile.get("optout_notice_in_replies", False))
    if need_optout and not any(p.search(plain) for p in _OPTOUT) and "optout_instruction" not in used:
        problems.append(LintProblem("US-04", "no opt-out instruction (e.g. \"Reply STOP to stop texts\")"))

    # US-14: debt-collector disclosure under the third-party regime.
    if third_party:
        if not _DEBT_COLLECTOR.search(plain) and "disclosure" not in used:
            problems.append(LintProblem("US-14", "no statement that this is from a debt collector"))
        elif initial and not all(p.search(plain) for p in _MINI_MIRANDA) and "disclosure" not in used:
            problems.append(LintProblem(
                "US-14", "initial communication lacks \"attempting to collect a debt; any information "
                         "obtained will be used for that purpose\""))

    # UK-06: no amount before identity is confirmed.
    if bool(profile.get("identity_check", False)) and not identity_confirmed:
        amount_ph = sorted(used & AMOUNT_PARAMS)
        if amount_ph:
            problems.append(LintProblem("UK-06", "amount placeholder before identity is confirmed: "
                                        + ", ".join(amount_ph)))
        elif _MONEY_VALUE.search(plain):
            problems.append(LintProblem("UK-06", "amount shown before identity is confirmed"))

    # Banned phrases per jurisdiction.
    if jur.startswith("US"):
        m = _US21_NEVER_RE.search(plain)
        if m:
            problems.append(LintProblem("US-21", f"threat or false implication: {m.group(0)!r}"))
        elif not legal_action_approved:
            m = _US21_LEGAL_RE.search(plain)
            if m:
                problems.append(LintProblem("US-21", f"legal-action wording without approval: {m.group(0)!r}"))
    if jur.startswith("UK") or jur == "GB":
        for pattern, why in _UK02:
            m = re.search(pattern, plain, re.I)
            if m:
                problems.append(LintProblem("UK-02", f"{why}: {m.group(0)!r}"))
                break
        else:
            if any(not _NEGATED.search(plain[max(0, m.start() - 40):m.start()]) for m in _FULL.finditer(plain)):
                short = _short_deadline(plain, int(profile.get("min_deadline_days", 14)))
                if short:
                    problems.append(LintProblem("UK-02", f"pay-in-full deadline too short: {short!r}"))
    if jur.startswith("CN"):
        hit = next((w for w in _CN04_NEVER if w in plain), None)
        if hit is None and not legal_action_approved:
            hit = next((w for w in _CN04_LEGAL if w in plain), None)
        if hit is not None:
            problems.append(LintProblem("CN-04", f"banned collection wording: {hit!r}"))
        if initial and not ({"creditor_contact", "contact"} & used) and not _PHONE_LIKE.search(plain):
            problems.append(LintProblem("CN-05", "initial notice lacks the creditor's official contact"))
    extra = [str(p) for p in profile.get("banned_phrases", []) or []]
    hit = next((p for p in extra if p and p.lower() in plain.lower()), None)
    if hit is not None:
        problems.append(LintProblem("lint:banned", f"banned by the profile: {hit!r}"))

    if disguised:
        problems.append(LintProblem("lint:disguised", disguised))
    sensitive = _sensitive(plain)
    if sensitive:
        problems.append(LintProblem("lint:sensitive", sensitive))

    # Placeholders and length.
    problems.extend(syntax)
    unknown = sorted(used - set(known_params))
    if unknown:
        problems.append(LintProblem("lint:placeholder", "unknown placeholder: " + ", ".join(unknown)))
    if len(text) > MAX_CHARS:
        problems.append(LintProblem("lint:length", f"{len(text)} characters, over {MAX_CHARS}"))
    return problems


#: "30 days past due" / "1 day overdue" / "past due for 30 days" / "overdue by 30 days" /
#: "30 days behind" / "30 days in arrears" / "逾期30天" / "已逾期 15 天" / "逾期达35天" /
#: "逾期三十五天" — a figure a text states as the debt's days past due. "more than 30
#: days", "over 30 days", "at least 30 days" and 逾期超过30天 state a bound, not the
#: figure, and are left alone.
_NUM = r"(\d{1,4})"
_BOUND_EN = r"(?<!more than )(?<!over )(?<!at least )(?<!up to )(?<!within )"
_LATE_EN = r"(?:past[\s-]*due|overdue|late|delinquent|behind|in\s+arrears)"
_ZH_NUM = r"([0-9０-９]{1,4}|[零〇一二两三四五六七八九十百千]{1,8})"
_STATED_DPD = (
    # "30 days past due", "30-day overdue"
    re.compile(r"(?<![\w.,$£€¥])" + _BOUND_EN + _NUM + r"\s*(?:-\s*)?days?\s+" + _LATE_EN + r"(?!\w)", re.I),
    # "past due for 30 days", "overdue by 30 days", "late by 30 days", "in arrears for 30 days",
    # "has been past due 30 days"
    re.compile(r"\b" + _LATE_EN + r"\s+(?:(?:for|by|now)\s+)?" + _BOUND_EN + _NUM
               + r"\s*(?:-\s*)?days?\b", re.I),
    # 逾期30天, 已逾期 15 天, 逾期达35天, 逾期已达35天, 逾期了35天, 逾期第35天, 逾期三十五天,
    # 拖欠35天; not 逾期超过30天 / 逾期30天以上 (a bound)
    re.compile(r"(?:逾期|拖欠)\s*(?:已经|已)?\s*(?:达到|达|了|第)?\s*" + _ZH_NUM
               + r"\s*(?:天|日)(?!以上|以内|之内|内)"),
)


def _figure(raw: str) -> int | None:
    """``raw`` (ASCII, full-width or Chinese numerals) as an int, or ``None``."""
    raw = unicodedata.normalize("NFKC", raw)
    if raw.isdigit():
        return int(raw)
    try:
        import cn2an

        return int(cn2an.cn2an(raw, "smart"))
    except (ValueError, TypeError):
        return None


def stated_days_past_due(text: str) -> tuple[int, ...]:
    """The days-past-due figures ``text`` states (US-21: a text may only state the
    debt's own figure), in order, e.g. ``(30,)`` for "$160.00 on your account is 30 days
    past due" and for 您的账户已逾期30天; ``()`` for "is past due". The outbound gate
    compares them with the account's days past due when the text goes
    (:func:`bot.gate.decide`)."""
    found: list[tuple[int, int]] = []
    for rx in _STATED_DPD:
        for m in rx.finditer(text):
            n = _figure(m.group(1))
            if n is not None:
                found.append((m.start(), n))
    return tuple(n for _, n in sorted(set(found)))


_WORD_RE = re.compile(r"\w+")
#: joiners that legitimately appear inside emoji sequences
_EMOJI_JOINERS = frozenset("\u200d\ufe0f\ufe0e")


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return ""


def _disguise(text: str) -> str | None:
    """Why ``text`` looks made to slip past the phrase rules, or ``None``."""
    hidden = sorted({f"U+{ord(ch):04X}" for ch in text
                     if unicodedata.category(ch) == "Cf" and ch not in _EMOJI_JOINERS})
    if hidden:
        return "invisible characters " + ", ".join(hidden[:5])
    for m in _WORD_RE.finditer(unicodedata.normalize("NFKC", text)):
        scripts = {_script(ch) for ch in m.group(0) if ch.isalpha()}
        if "LATIN" in scripts and scripts & {"GREEK", "CYRILLIC"}:
            return f"a word mixes Latin with Greek or Cyrillic letters: {m.group(0)!r}"
    return None


_SSN_RE = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}[- ](?!00)\d{2}[- ](?!0000)\d{4}(?!\d)")
_CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _sensitive(text: str) -> str | None:
    """Why ``text`` carries a number that must never go by SMS, or ``None``."""
    if _SSN_RE.search(text):
        return "a Social Security number"
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return "a full card number"
    return None


def hard_rules(text: str, *, profile: Mapping[str, Any],
               identity_confirmed: bool | None = None) -> list[LintProblem]:
    """The rules no approved template may break either, checked on the RENDERED text at
    send time (a template's branch the approver never saw rendered cannot slip through):
    US-21 threats (never allowed), CN-04 banned tactics (never allowed), disguised text,
    sensitive numbers and the 1600-character limit. UK-06 too when ``identity_confirmed``
    is ``False`` (the recipient never passed the right-party check) under a profile with
    ``identity_check``: no amount (CONC 7.9.10R) — a promise's reminder rendered from an
    approved template to a phone whose holder never confirmed who they are is refused
    here whatever recorded the promise. ``None``: not checked. Never raises."""
    problems: list[LintProblem] = []
    jur = _jurisdiction(profile)
    disguised = _disguise(text)
    plain = unicodedata.normalize("NFKC", "".join(ch for ch in text if unicodedata.category(ch) != "Cf"))
    if (identity_confirmed is False and bool(profile.get("identity_check", False))
            and _MONEY_VALUE.search(plain)):
        problems.append(LintProblem("UK-06", "amount shown before identity is confirmed"))
    if jur.startswith("US"):
        m = _US21_NEVER_RE.search(plain)
        if m:
            problems.append(LintProblem("US-21", f"threat or false implication: {m.group(0)!r}"))
    if jur.startswith("CN"):
        hit = next((w for w in _CN04_NEVER if w in plain), None)
        if hit is not None:
            problems.append(LintProblem("CN-04", f"banned collection wording: {hit!r}"))
    if disguised:
        problems.append(LintProblem("lint:disguised", disguised))
    sensitive = _sensitive(plain)
    if sensitive:
        problems.append(LintProblem("lint:sensitive", sensitive))
    if len(text) > MAX_CHARS:
        problems.append(LintProblem("lint:length", f"{len(text)} characters, over {MAX_CHARS}"))
    return problems


def _short_deadline(text: str, min_days: int) -> str | None:
    """The first deadline expression in ``text`` shorter than ``min_days`` days."""
    for m in _SHORT.finditer(text):
        whole = m.group(0)
        if m.group("h"):
            days = int(m.group("h")) / 24
        elif m.group("n"):
            n = int(m.group("n"))
            days = n / 24 if m.group("unit").lower().startswith("hour") else n
        else:
            return whole
        if days < min_days:
            return whole
    return None
