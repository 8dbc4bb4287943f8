"""Column types that behave the same on SQLite and PostgreSQL.

* :class:`UTCDateTime` — timezone-aware UTC datetimes in and out. SQLite has no
  timezone-aware type (``DateTime(timezone=True)`` comes back naive there), so on
  SQLite the value is stored as naive UTC text and re-labelled UTC on the way
  out; on PostgreSQL it is a ``timestamptz`` and is converted to UTC on the way
  out. Naive datetimes are refused with :class:`ValueError` — a naive time is
  always a bug (whose clock?).
* :data:`JSONType` — JSON documents: ``JSONB`` on PostgreSQL, SQLAlchemy's
  ``JSON`` (text) on SQLite. Mutations in place are not tracked: assign a new
  dict/list to the attribute (``conv.slots = {**conv.slots, "k": v}``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

UTC = dt.timezone.utc

__all__ = ["UTC", "UTCDateTime", "JSONType", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time, aware UTC (the default for ``created_at``-style columns)."""
    return dt.datetime.now(UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A datetime column that only accepts and only returns aware UTC datetimes.

    Bind: ``None`` passes; a naive datetime raises ``ValueError``; an aware one is
    converted to UTC (and, on SQLite, stored without its offset so text ordering
    is time ordering). Result: always ``tzinfo=timezone.utc`` (or ``None``).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"naive datetime refused (store aware UTC): {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type:
        return dt.datetime


#: JSON document column: JSONB on PostgreSQL, JSON text elsewhere.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
