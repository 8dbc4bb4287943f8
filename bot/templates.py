"""Message template rendering (pure): jinja2's sandbox, strict about placeholders.

Templates live in the dialog script (``[templates.KEY] en = "..." zh = "..."``).
Placeholders are ``{{ name }}``; an unknown template or placeholder raises
:class:`TemplateError`, never renders a blank.

A/B variants (``[templates.KEY.variants.B]``, ``Script.variants``): the caller picks one
with :func:`choose_variant` (from a random number it supplies) and renders it with
``render(..., variant=name)``; the base text is variant ``"A"``.
"""

from __future__ import annotations

import functools

from typing import Any, Mapping

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

#: Longest text a template may render (characters). An SMS body is at most 1600; a
#: template that renders more is an error, and rendering stops there (a loop or a
#: repeated string never builds a huge text).
MAX_RENDER_CHARS = 2000
#: Longest ``range()`` a template may loop over.
MAX_RANGE = 50


class _LimitedSandbox(SandboxedEnvironment):
    """jinja2's sandbox with no ``**``, no ``*`` that builds long strings or lists, and a
    short ``range()``: script templates are short texts, never computations."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("** is not allowed in templates")
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_RENDER_CHARS:
                raise SecurityError("a repeated text longer than a message is not allowed in templates")
        return super().call_binop(context, operator, left, right)


def _range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range() longer than {MAX_RANGE} is not allowed in templates")
    return r


_ENV = _LimitedSandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
_ENV.globals["range"] = _range


def _bounded(tpl: jinja2.Template, params: Mapping[str, Any]) -> str:
    """Render, stopping with :class:`TemplateError` past :data:`MAX_RENDER_CHARS`."""
    out: list[str] = []
    size = 0
    for chunk in tpl.generate(**dict(params)):
        size += len(chunk)
        if size > MAX_RENDER_CHARS:
            raise TemplateError(f"renders longer than {MAX_RENDER_CHARS} characters")
        out.append(chunk)
    return "".join(out).strip()


class TemplateError(Exception):
    """Unknown template, unknown placeholder or a template that does not compile."""


@functools.lru_cache(maxsize=4096)
def compile_template(source: str) -> jinja2.Template:
    """Compile one template source (raises :class:`TemplateError`). Cached by text: the
    validator and the editor's preview compile the same sources again and again."""
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error: {exc.message} (template line {exc.lineno})") from exc


def render_source(source: str, params: Mapping[str, Any]) -> str:
    """Render a template source with ``params`` (strict)."""
    try:
        return _bounded(compile_template(source), params)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"unknown placeholder: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(str(exc)) from exc


def render(script: Any, template: str, lang: str, params: Mapping[str, str],
           variant: str | None = None) -> str:
    """Render the script's ``template`` in ``lang`` (falls back to ``en`` when the
    template lacks ``lang``; a validated script has every language). ``variant``: an
    A/B variant name from ``script.variants``; ``None`` or ``"A"`` is the base text."""
    if variant is None or variant == "A":
        texts = script.templates.get(template)
        if texts is None:
            raise TemplateError(f"unknown template {template!r}")
        cache_key: tuple = (template, lang if lang in texts else "en")
    else:
        if template not in script.templates:
            raise TemplateError(f"unknown template {template!r}")
        found = next((v for v in getattr(script, "variants", {}).get(template, ()) if v.name == variant), None)
        if found is None:
            raise TemplateError(f"template {template!r} has no variant {variant!r}")
        texts = found.texts
        cache_key = ("__variant__", template, variant, lang if lang in texts else "en")
    source = texts.get(lang) or texts.get("en")
    if source is None:
        raise TemplateError(f"template {template!r} has no text in {lang!r}")
    cache = script.compiled
    tpl = cache.get(cache_key)
    if tpl is None:
        tpl = cache[cache_key] = compile_template(source)
    try:
        return _bounded(tpl, params)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {template!r}: unknown placeholder: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template!r}: {exc}") from exc


def choose_variant(script: Any, key: str, rnd: float) -> str:
    """The A/B variant of template ``key`` to send, by weight: ``rnd`` in [0, 1) comes
    from the caller (``random.random()``, or a hash of the conversation for a sticky
    choice). Variants split [0, 1) in file order (``"A"``, the base text, first) in
    proportion to their weights; weight 0 is never chosen. ``"A"`` when the template has
    no variants (or no positive weight). Raises ``ValueError`` for ``rnd`` outside [0, 1)."""
    if not 0.0 <= rnd < 1.0:
        raise ValueError(f"rnd must be in [0, 1), not {rnd!r}")
    options = [v for v in getattr(script, "variants", {}).get(key, ()) if v.weight > 0]
    total = sum(v.weight for v in options)
    if not options:
        return "A"
    point = rnd * total
    acc = 0
    for v in options:
        acc += v.weight
        if point < acc:
            return v.name
    return options[-1].name   # float rounding at the very top of the range
