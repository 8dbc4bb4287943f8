"""The dialog state machine (pure): script schema and validation, ``step()``,
plan maths and the shipped default script.

Public API::

    default_script_text() -> str
    load_script(text) -> Script            # raises ScriptError(problems)
    validate(text, profiles=None) -> list[Problem]   # profiles: config [profiles.*], lints templates
    template_report(script) -> list[TemplateInfo]    # segments and encoding per template/variant
    step(state, event, script, facts, now) -> (ConversationState, list[Action])
    context_of(state, script) -> str       # one of bot.types.CONTEXTS
    plan_options(state) -> int
    opening(state, script, facts, now) -> (ConversationState, list[Action])
"""

from bot.dialogs.engine import (context_of, default_script_text, format_date, opening,
                                plan_options, step)
from bot.dialogs.script import (MAX_SEGMENTS, Problem, Script, ScriptError, TemplateInfo, Variant, load_script,
                                sample_params, template_report, validate)

__all__ = [
    "MAX_SEGMENTS", "Problem", "Script", "ScriptError", "TemplateInfo", "Variant", "context_of",
    "default_script_text", "format_date", "load_script", "opening", "plan_options", "sample_params", "step",
    "template_report", "validate",
]
