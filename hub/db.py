"""Database engine, sessions and migrations. Built by a factory, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, pool_size: int = 10, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so
        # that BEGIN IMMEDIATE can serialise writers (see `write_session`).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No pre-ping: it was a round trip per request. A connection the server dropped
    # fails its first statement; SQLAlchemy then discards every pooled connection
    # made before the failure, `run_write` retries the write on a fresh one, and a
    # read is answered 503 busy_retry (hub/problems.py), so a restart of PostgreSQL
    # costs each hub process one retried request, not a 500.
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False, **kwargs
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that reads and
    # then writes fails with "database is locked" when another writer went first.
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Execution option marking connections of write transactions (BEGIN IMMEDIATE on SQLite).
WRITE_OPTION = "stockwarden_writer"


def ping(engine: Engine) -> None:
    """One round trip to the database (the health check); raises when it is away."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def write_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-modify-write transactions: on SQLite they serialise
    (BEGIN IMMEDIATE); on PostgreSQL they are ordinary, locking rows themselves."""
    return sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (Alembic upgrade)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


# The composition root's names for SQLAlchemy's types: hub/container.py and
# hub/alarm_wiring.py hand sessions to the parts and import no SQLAlchemy themselves
# (tests/unit/test_architecture.py); this file alone builds engines and sessions.
Sessions = sessionmaker[Session]
__all__ = ["Engine", "Session", "Sessions", "make_engine", "migrate", "session_factory",
           "write_session_factory"]
