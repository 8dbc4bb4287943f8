"""Engine, sessions, migrations and the conversation row lock.

SQLite (the default, ``sqlite:///duly.db``): WAL, ``foreign_keys=ON``,
``busy_timeout=30000`` and — the important one — every transaction begins with
``BEGIN IMMEDIATE`` (pysqlite's own BEGIN handling is switched off and
SQLAlchemy's ``begin`` event emits ours). A writer therefore takes SQLite's
write lock when its transaction starts, so a read-then-write transaction never
fails half-way with "database is locked"; it waits (up to the busy timeout) at
BEGIN instead. Writers are serialised, which also makes
:func:`lock_conversation` a plain re-read on SQLite.

A connection may ask for a deferred (read-only friendly) transaction with the
execution option ``sqlite_begin="DEFERRED"``, e.g.
``engine.execution_options(sqlite_begin="DEFERRED")`` for a reporting engine.

PostgreSQL (``DATABASE_URL=postgresql://...``): the URL is rewritten to the
psycopg 3 driver; ``pool_pre_ping``; :func:`lock_conversation` is
``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .models import Base, Conversation

DEFAULT_URL = "sqlite:///duly.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

__all__ = [
    "DEFAULT_URL", "database_url", "normalise_url", "make_engine", "make_sessionmaker",
    "upgrade", "alembic_config", "lock_conversation", "order_arrivals", "advisory_xact_lock", "ping",
]


def database_url(url: str | None = None) -> str:
    """The URL to use: ``url`` if given, else ``$DATABASE_URL``, else
    ``sqlite:///duly.db`` (relative to the working directory); normalised with
    :func:`normalise_url`."""
    return normalise_url(url or os.environ.get("DATABASE_URL") or DEFAULT_URL)


def normalise_url(url: str) -> str:
    """Rewrite ``postgres://`` and ``postgresql://`` (Heroku style) to
    ``postgresql+psycopg://``; other URLs are returned unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Take BEGIN away from pysqlite: SQLAlchemy's "begin" event emits it.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


class SQLiteWriters:
    """One write transaction at a time per SQLite engine in this process, queued on a
    Python lock in front of SQLite's own.

    SQLite lets one writer in; the others wait in its busy handler, which sleeps and polls
    (1, 2, 5, 10 … up to 100 ms steps), so a webhook queued behind another's short
    transaction waited tens of milliseconds longer than it had to — the tail latency of a
    busy single-process deployment. A thread waiting on this lock runs as soon as the
    writer commits. Other processes (the worker) still meet SQLite's lock and busy
    timeout, which stay the guarantee. A thread that already holds the lock (a nested
    write transaction) is not queued again; a wait longer than ``timeout`` seconds goes
    on to SQLite's own lock."""

    def __init__(self, timeout: float = 30.0):
        self._lock = threading.Lock()
        self._owner: int | None = None
        self.timeout = timeout

    def enter(self, conn: Any) -> None:
        """Queue ``conn``'s write transaction (called before its ``BEGIN``)."""
        me = threading.get_ident()
        if self._owner == me:
            return
        if self._lock.acquire(timeout=self.timeout):
            self._owner = me
            conn.info[_WRITER_KEY] = True

    def leave(self, info: Any) -> None:
        """Let the next writer in: ``info`` is the connection's (record's) info mapping;
        nothing happens unless it holds the lock. Safe to call more than once."""
        if info.pop(_WRITER_KEY, False):
            self._owner = None
            self._lock.release()


_WRITER_KEY = "duly_sqlite_writer"


def _sqlite_begin_hook(writers: SQLiteWriters) -> Any:
    def on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"sqlite_begin must be IMMEDIATE, DEFERRED or EXCLUSIVE: {mode!r}")
        if mode != "DEFERRED":
            writers.enter(conn)
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            writers.leave(conn.info)
            raise

    return on_begin


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` (default: :func:`database_url`).

    SQLite gets WAL, ``foreign_keys=ON``, a 30 s busy timeout and
    ``BEGIN IMMEDIATE`` transactions; PostgreSQL gets psycopg 3 and
    ``pool_pre_ping``. ``kwargs`` go to :func:`sqlalchemy.create_engine`.
    """
    url = database_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}) or {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        writers = SQLiteWriters()
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin_hook(writers))
        event.listen(engine, "commit", lambda conn: writers.leave(conn.info))
        event.listen(engine, "rollback", lambda conn: writers.leave(conn.info))
        # a connection returned (or invalidated) mid-transaction never holds the lock
        event.listen(engine, "checkin", lambda dbapi_conn, record: writers.leave(record.info))
        engine.sqlite_writers = writers  # type: ignore[attr-defined]
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        connect_args = dict(kwargs.pop("connect_args", {}) or {})
        connect_args.setdefault("connect_timeout", 5)   # a down server fails fast, never hangs
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


def pool_options(behaviour: Any) -> dict[str, Any]:
    """Connection-pool sizing from config ``[database]`` (``pool_size``,
    ``max_overflow``, ``pool_timeout`` seconds, ``pool_recycle`` seconds) as
    :func:`sqlalchemy.create_engine` keywords; only the keys that are set."""
    conf = dict((behaviour or {}).get("database") or {})
    out: dict[str, Any] = {}
    for key in ("pool_size", "max_overflow", "pool_timeout", "pool_recycle"):
        if key in conf:
            out[key] = int(conf[key])
    return out


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` with ``expire_on_commit=False`` (rows
    stay readable after commit, e.g. to send a message once it is stored)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Any = None) -> Any:
    """An Alembic ``Config`` for the packaged migrations (no ini file needed).
    With ``connection``, migrations run on it (``config.attributes["connection"]``)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | Engine | None = None, revision: str = "head") -> None:
    """Apply the Alembic migrations in ``storage/migrations`` up to ``revision``.

    ``url``: a URL string (default :func:`database_url`) or an existing
    :class:`Engine` (its connect-time settings, such as a PostgreSQL
    ``search_path``, then apply). Idempotent: running it twice does nothing the
    second time. Raises whatever the database raises.
    """
    from alembic import command

    if isinstance(url, Engine):
        engine, owned = url, False
    else:
        engine, owned = make_engine(url), True
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        if owned:
            engine.dispose()


def lock_conversation(session: Session, conversation_id: int) -> Conversation | None:
    """Lock the conversation row for the rest of the session's transaction and
    return it freshly loaded (``None`` if there is no such row).

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` (blocks while another transaction
    holds it, but lets other transactions insert rows that reference the
    conversation — a new inbound message is stored while an earlier one is being
    processed). SQLite: ``FOR UPDATE`` is not rendered; ``BEGIN IMMEDIATE`` has already
    serialised writers, so this is a fresh re-read. Call it first in the step's
    transaction, before reading anything the step depends on.
    """
    stmt = (
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one_or_none()


def order_arrivals(session: Session, customer: str, ours: str) -> None:
    """Serialise the storing of one customer's messages to one of our numbers, so that
    their id order is their commit order: a drain that sees message *n* also sees every
    message of that conversation stored before it (one customer's texts are acted on in
    arrival order). PostgreSQL: a transaction-scoped advisory lock on the
    (``customer``, ``ours``) pair, taken before the message's INSERT and held until its
    commit — without it two webhooks can take ids 30 and 31 and commit 31 first, and a
    drain then acts on 31 before 30. A store transaction is short and takes no other
    lock first, so this waits briefly and cannot deadlock. SQLite needs none: ``BEGIN
    IMMEDIATE`` already lets one writer in at a time. Call it in the storing transaction,
    before the INSERT."""
    advisory_xact_lock(session, f"duly:arrive:{customer}:{ours}")


_Q_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(func.hashtext(bindparam("key"))))
_Q_ADVISORY_TRY_LOCK = select(func.pg_try_advisory_xact_lock(func.hashtext(bindparam("key"))))


def advisory_xact_lock(session: Session, key: str, *, wait: bool = True) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock on ``key`` (hashed with
    ``hashtext``), released when the session's transaction ends. ``wait=True`` blocks
    until it is free; ``wait=False`` tries once. Returns whether the lock is held; always
    True on other databases (SQLite lets one writer in at a time)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(_Q_ADVISORY_LOCK, {"key": key})   # returns once the lock is held
        return True
    return bool(session.scalar(_Q_ADVISORY_TRY_LOCK, {"key": key}))


def ping(engine: Engine) -> bool:
    """``True`` when the database answers ``SELECT 1``; never raises."""
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def create_all(engine: Engine) -> None:
    """Create tables straight from the models (tests/tools only; production uses
    :func:`upgrade`)."""
    Base.metadata.create_all(engine)
