"""Fixtures shared by the whole suite.

Database fixtures
-----------------
``db_url`` is parametrised over two backends, so every test that requests it
(directly or through ``engine`` / ``session_factory`` / ``session``) runs twice:

* ``sqlite`` — a fresh file in the test's tmp dir;
* ``postgres`` — a fresh, uniquely named schema in the database at
  ``$DULY_TEST_POSTGRES_URL`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), selected with
  ``search_path`` in the URL's ``options``; dropped after the test. Marked
  ``postgres`` (``-m "not postgres"`` runs SQLite only). When no server
  answers it is SKIPPED with the reason, unless ``DULY_REQUIRE_SERVICES=1``,
  where it FAILS.

``engine`` is migrated to head with ``storage.db.upgrade``; ``session_factory``
is ``storage.db.make_sessionmaker(engine)``; ``session`` is one open session.
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_sessionmaker, normalise_url, upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

_pg_status: dict[str, str | None] = {}


def postgres_url() -> str:
    """The PostgreSQL server URL the suite uses (no schema selected)."""
    return normalise_url(os.environ.get("DULY_TEST_POSTGRES_URL") or DEFAULT_PG_URL)


def require_services() -> bool:
    """True when missing services must fail the run (``DULY_REQUIRE_SERVICES=1``)."""
    return os.environ.get("DULY_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def postgres_problem() -> str | None:
    """``None`` when PostgreSQL answers, else why not (cached for the session)."""
    if "pg" not in _pg_status:
        url = postgres_url()
        try:
            eng = create_engine(url, connect_args={"connect_timeout": 3})
            try:
                with eng.connect() as conn:
                    conn.execute(text("SELECT 1"))
            finally:
                eng.dispose()
            _pg_status["pg"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            safe = make_url(url).render_as_string(hide_password=True)
            _pg_status["pg"] = (f"PostgreSQL not available at {safe} "
                                f"({exc.__class__.__name__}: {str(exc).splitlines()[0]})")
    return _pg_status["pg"]


def need(problem: str | None, hint: str = "") -> None:
    """Nothing when ``problem`` is ``None``; else skip the test with it (and ``hint``,
    what to do about it), or fail it under ``DULY_REQUIRE_SERVICES=1``."""
    if problem is None:
        return
    if require_services():
        pytest.fail(problem + " and DULY_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(problem + (f"; {hint}" if hint else ""))


def need_postgres() -> None:
    """Skip (or fail under ``DULY_REQUIRE_SERVICES=1``) when PostgreSQL is down."""
    need(postgres_problem(), "set DULY_TEST_POSTGRES_URL or start the server")


def _with_search_path(url: str, schema: str) -> str:
    u = make_url(url)
    options = u.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    options = (options + f" -csearch_path={schema}").strip()
    return u.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL to an empty database: ``sqlite`` (tmp file) or ``postgres`` (fresh schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'duly.db'}"
        return
    need_postgres()
    base = postgres_url()
    schema = f"duly_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(base, schema)
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(text("SET lock_timeout = '20s'"))
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()


@pytest.fixture
def backend(db_url: str) -> str:
    """``"sqlite"`` or ``"postgresql"`` for the current ``db_url``."""
    return make_url(db_url).get_backend_name()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url`` migrated to head; disposed after the test."""
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """``storage.db.make_sessionmaker(engine)``."""
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session; rolled back and closed after the test."""
    s = session_factory()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


# --- Redis --------------------------------------------------------------------------------

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_url_for_tests() -> str:
    """The Redis URL the suite uses (``$DULY_TEST_REDIS_URL``, default db 15 on loopback)."""
    return os.environ.get("DULY_TEST_REDIS_URL") or DEFAULT_REDIS_URL


def redis_problem() -> str | None:
    """``None`` when Redis answers PING, else why not (cached for the session)."""
    if "redis" not in _pg_status:
        try:
            import redis

            redis.Redis.from_url(redis_url_for_tests(), socket_timeout=2, socket_connect_timeout=2).ping()
            _pg_status["redis"] = None
        except Exception as exc:  # noqa: BLE001
            _pg_status["redis"] = f"Redis not available at {redis_url_for_tests()} ({exc.__class__.__name__}: {exc})"
    return _pg_status["redis"]


def need_redis() -> None:
    """Skip (or fail under ``DULY_REQUIRE_SERVICES=1``) when Redis is down."""
    need(redis_problem(), "set DULY_TEST_REDIS_URL or start redis-server")
