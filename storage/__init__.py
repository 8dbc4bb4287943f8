"""Duly's storage: SQLAlchemy 2 models, Alembic migrations, sessions, imports.

Public API (see each module's docstrings):

* :mod:`storage.models` — the tables (``Account``, ``Phone``, ``Conversation``,
  ``Message``, ``Promise``, ``Plan``, ``Instalment``, ``Payment``, ``OptOut``,
  ``Hold``, ``Flag``, ``Handoff``, ``Decision``, ``ScriptRevision``,
  ``PaymentLink``, ``Timer``).
* :mod:`storage.db` — ``make_engine``, ``make_sessionmaker``, ``upgrade``,
  ``lock_conversation``, ``ping``.
* :mod:`storage.types` — ``UTCDateTime``, ``JSONType``, ``utcnow``.
* :mod:`storage.scripts` — script revisions (seed, publish, read published).
* :mod:`storage.accounts` — accounts CSV/JSON import.
"""

from .db import lock_conversation, make_engine, make_sessionmaker, ping, upgrade
from .types import UTC, JSONType, UTCDateTime, utcnow

__all__ = [
    "make_engine", "make_sessionmaker", "upgrade", "lock_conversation", "ping",
    "UTC", "UTCDateTime", "JSONType", "utcnow",
]
