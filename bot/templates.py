"""Message template rendering (pure): jinja2's sandbox, strict about placeholders.

Templates live in the dialog script (``[templates.KEY] en = "..." zh = "..."``).
Placeholders are ``{{ name }}``; an unknown template or placeholder raises
:class:`TemplateError`, never renders a blank.
"""

from __future__ import annotations

from typing import Any, Mapping

import jinja2
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                            keep_trailing_newline=False)


class TemplateError(Exception):
    """Unknown template, unknown placeholder or a template that does not compile."""


def compile_template(source: str) -> jinja2.Template:
    """Compile one template source (raises :class:`TemplateError`)."""
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error: {exc.message} (template line {exc.lineno})") from exc


def render_source(source: str, params: Mapping[str, Any]) -> str:
    """Render a template source with ``params`` (strict)."""
    try:
        return compile_template(source).render(**dict(params)).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"unknown placeholder: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(str(exc)) from exc


def render(script: Any, template: str, lang: str, params: Mapping[str, str]) -> str:
    """Render the script's ``template`` in ``lang`` (falls back to ``en`` when the
    template lacks ``lang``; a validated script has every language)."""
    texts = script.templates.get(template)
    if texts is None:
        raise TemplateError(f"unknown template {template!r}")
    source = texts.get(lang) or texts.get("en")
    if source is None:
        raise TemplateError(f"template {template!r} has no text in {lang!r}")
    cache = script.compiled
    key = (template, lang if lang in texts else "en")
    tpl = cache.get(key)
    if tpl is None:
        tpl = cache[key] = compile_template(source)
    try:
        return tpl.render(**dict(params)).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {template!r}: unknown placeholder: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template!r}: {exc}") from exc
