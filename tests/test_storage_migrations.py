"""Migrations: a fresh database upgraded to head matches storage.models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import alembic_config, make_engine, ping, upgrade
from storage.models import Base


def test_upgrade_matches_models(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "compare_server_default": True})
            assert compare_metadata(ctx, Base.metadata) == []
            tables = set(inspect(conn).get_table_names())
            assert set(Base.metadata.tables) <= tables
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert ctx.get_current_revision() == head
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(engine):
    upgrade(engine)  # already at head: nothing to do, no error
    assert ping(engine)


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1


def test_ping_false_when_unreachable(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    try:
        assert ping(eng) is False
    finally:
        eng.dispose()


def test_sqlite_pragmas(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path}/p.db")
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        eng.dispose()


def test_url_rewrites():
    from storage.db import normalise_url

    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///duly.db") == "sqlite:///duly.db"


def test_default_url_from_env(monkeypatch):
    from storage.db import database_url

    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///duly.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://x@y/z")
    assert database_url() == "postgresql+psycopg://x@y/z"


def test_pool_options_from_config():
    from duly.config import load_behaviour
    from storage.db import pool_options

    assert pool_options(load_behaviour()[0]) == {"pool_size": 5, "max_overflow": 10, "pool_timeout": 10,
                                                 "pool_recycle": 1800}
    assert pool_options({}) == {}
