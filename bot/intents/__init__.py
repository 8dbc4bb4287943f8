"""Intent classification: customer SMS text → :class:`bot.types.Intent`.

Public API:

- ``interpret(text, *, context="notice", now, tz="America/New_York", plan_options=0,
  lang_hint=None) -> Intent`` (see :func:`bot.intents.classify.interpret`);
- ``normalise(text) -> str`` (see :func:`bot.intents.normalise.normalise`).

Pure functions: no I/O, no clock reads, no logging of message bodies.
"""

from .classify import interpret
from .normalise import normalise

__all__ = ["interpret", "normalise"]
