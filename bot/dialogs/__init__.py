"""The dialog state machine (pure): script schema and validation, ``step()``,
plan maths and the shipped default script.

Public API::

    default_script_text() -> str
    load_script(text) -> Script            # raises ScriptError(problems)
    validate(text) -> list[Problem]
    step(state, event, script, facts, now) -> (ConversationState, list[Action])
    context_of(state, script) -> str       # one of bot.types.CONTEXTS
    plan_options(state) -> int
    opening(state, script, facts, now) -> (ConversationState, list[Action])
"""

from bot.dialogs.engine import (context_of, default_script_text, format_date, opening,
                                plan_options, step)
from bot.dialogs.script import Problem, Script, ScriptError, load_script, validate

__all__ = [
    "Problem", "Script", "ScriptError", "context_of", "default_script_text", "format_date",
    "load_script", "opening", "plan_options", "step", "validate",
]
