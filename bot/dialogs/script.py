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

A handler's top-level ``say``/``goto``/``handoff``/``miss``/``flag``/``hold``/
``priority``/``kind`` form the ``ok`` branch; ``when.<outcome>`` tables the others.
The compliance intents (``bot.types.COMPLIANCE_INTENTS``) and ``agent`` (G-01) are
built into the engine and may not be mapped by any script.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Mapping

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
    "channel", "question", "greeting", "when",
})

#: Placeholders that disclose the debt or confirm the customer (US-12, UK-06).
DEBT_PARAMS: frozenset[str] = frozenset({
    "name", "past_due", "minimum_due", "balance", "deadline", "pay_link", "options",
    "plan", "schedule", "amount", "first_amount", "total", "last4", "greeting"})

#: Templates the engine itself uses; a script must define them all.
REQUIRED_TEMPLATES: tuple[str, ...] = (
    "notice", "optout_confirmation", "optout_channel_noted", "optin_confirmation",
    "help", "attorney_ack", "bankruptcy_ack", "dispute_ack", "wrong_number",
    "unknown_sender", "choose_account", "account_line", "verify_question",
    "identity_failed", "handoff_notice", "plan_line_instalments", "plan_line_deferral",
    "plan_line_interest_free", "schedule_line",
)

#: Templates that may go to someone whose identity is not confirmed: no debt detail.
DEBT_FREE_TEMPLATES: frozenset[str] = frozenset({
    "optout_confirmation", "optout_channel_noted", "optin_confirmation", "help",
    "attorney_ack", "bankruptcy_ack", "dispute_ack", "wrong_number", "unknown_sender",
    "choose_account", "verify_question", "identity_failed", "handoff_notice",
    "who_is_this"})

OPT_OUT_RE = {"en": re.compile(r"\bSTOP\b"), "zh": re.compile(r"STOP|退订")}


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

def _sample_params() -> dict[str, str]:
    return {k: f"<{k}>" for k in KNOWN_PARAMS}


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


def _build(text: str) -> tuple[Script | None, list[Problem]]:
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
    collection: set[str] = set()
    sample = _sample_params()
    for key, t in raw_templates.items():
        if not isinstance(t, dict):
            problems.append(Problem(at("templates", key), f"templates.{key} must be a table of language = text"))
            continue
        texts: dict[str, str] = {}
        for lang, src in t.items():
            if lang == "collection":
                if src is True:
                    collection.add(key)
                continue
            if not isinstance(src, str):
                problems.append(Problem(at("templates", key, lang), f"templates.{key}.{lang} must be a string"))
                continue
            texts[lang] = src
        templates[key] = texts
        for lang in languages:
            if lang not in texts:
                problems.append(Problem(at("templates", key), f"templates.{key} has no {lang!r} text (every template in every language)"))
        for lang, src in texts.items():
            line = at("templates", key, lang)
            try:
                render_source(src, sample)
            except TemplateError as exc:
                problems.append(Problem(line, f"templates.{key}.{lang}: {exc}"))
                continue
            if key in DEBT_FREE_TEMPLATES:
                used = set(re.findall(r"\{\{\s*([A-Za-z_]\w*)", src)) & DEBT_PARAMS
                if used:
                    problems.append(Problem(line, f"templates.{key}.{lang} may reach an unconfirmed person and must carry "
                                                  f"no debt detail (US-12, UK-06): uses {sorted(used)}"))
            if key in collection:
                rx = OPT_OUT_RE.get(lang, OPT_OUT_RE["en"])
                if not rx.search(src):
                    problems.append(Problem(line, f"templates.{key}.{lang} is a collection notice and must carry the "
                                                  "opt-out instruction, e.g. 'Reply STOP to opt out' (US-04)"))
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
        templates=templates, collection=frozenset(collection), text=text, canned=canned)
    return script, []


def validate(text: str) -> list[Problem]:
    """Problems with a script text ([] when it is fine), each with its TOML line."""
    return _build(text)[1]


def load_script(text: str) -> Script:
    """Parse and validate a script; raises :class:`ScriptError` listing every problem."""
    script, problems = _build(text)
    if problems or script is None:
        raise ScriptError(problems)
    return script
