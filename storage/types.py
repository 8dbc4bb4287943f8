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

import contextlib
import datetime as dt
from contextvars import ContextVar
from typing import Any, Callable, Iterator

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

UTC = dt.timezone.utc

def on_business_clock(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a method of an object with a ``clock`` attribute (the runner's, the
    worker's): the method runs inside :func:`business_clock` of that clock."""
    import functools

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with business_clock(self.clock):
            return fn(self, *args, **kwargs)

    return wrapper


__all__ = ["UTC", "UTCDateTime", "JSONType", "business_clock", "on_business_clock", "utcnow"]


#: The clock of the unit of work in progress (:func:`business_clock`), if any.
_CLOCK: ContextVar[Callable[[], dt.datetime] | None] = ContextVar("duly_business_clock", default=None)


def utcnow() -> dt.datetime:
    """The current time, aware UTC: the default and ``onupdate`` stamp of
    ``created_at``/``updated_at`` columns. Inside :func:`business_clock` it is that
    clock's time (the runner's and worker's ``now``), so a row the ORM stamps by itself
    agrees with the times Duly compares it with; otherwise the wall clock."""
    clock = _CLOCK.get()
    if clock is not None:
        return clock().astimezone(UTC)
    return dt.datetime.now(UTC)


@contextlib.contextmanager
def business_clock(clock: Callable[[], dt.datetime]) -> Iterator[None]:
    """Within the block (this thread / task), :func:`utcnow` reads ``clock`` (a callable
    returning an aware datetime). The runner and the worker wrap each unit of work in it:
    an ``updated_at`` the ORM stamps (``onupdate``) then follows the business clock
    (``duly worker --now``, tests), as the times they set themselves do."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


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
