"""Transient or caused by the data: the classifier that decides retry or bisect."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from kernel.dberrors import database_reason, is_transient


class _PgError(Exception):
    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(orig: Exception, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError.instance("SELECT 1", {}, orig, Exception,
                               connection_invalidated=invalidated)


@pytest.mark.parametrize("sqlstate", [
    "08006", "08001", "40001", "40P01", "55P03", "57P01", "57P03", "53100", "53300",
])
def test_postgres_connection_lock_and_resource_states_are_transient(sqlstate: str) -> None:
    assert is_transient(_wrapped(_PgError("x", sqlstate)))


@pytest.mark.parametrize("sqlstate", ["22P05", "22003", "23505", "22021", "42P01"])
def test_data_and_constraint_states_are_not_transient(sqlstate: str) -> None:
    assert not is_transient(_wrapped(_PgError("x", sqlstate)))


def test_an_invalidated_connection_is_transient() -> None:
    assert is_transient(_wrapped(RuntimeError("gone"), invalidated=True))
    assert is_transient(ConnectionRefusedError())


def test_a_real_sqlite_lock_is_transient_and_a_real_data_error_is_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    holder = create_engine(url)
    waiter = create_engine(url, connect_args={"timeout": 0})
    with holder.connect() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.commit()
        conn.execute(text("BEGIN EXCLUSIVE"))
        with pytest.raises(OperationalError) as locked, waiter.connect() as other:
            other.execute(text("INSERT INTO t VALUES (1)"))
        assert "database is locked" in str(locked.value)
        assert is_transient(locked.value)
        conn.rollback()
    with waiter.connect() as other:
        with pytest.raises(Exception) as overflow:
            other.execute(text("INSERT INTO t VALUES (:x)"), {"x": 2**64})
        assert not is_transient(overflow.value)
        with pytest.raises(OperationalError) as missing:
            other.execute(text("SELECT * FROM nowhere"))
        assert not is_transient(missing.value)
    holder.dispose()
    waiter.dispose()


def test_sqlite_busy_by_code_and_message() -> None:
    busy = sqlite3.OperationalError("database is locked")
    assert is_transient(_wrapped(busy))


def test_the_dead_letter_reason_is_the_databases_first_line() -> None:
    exc = _wrapped(_PgError("unsupported Unicode escape sequence\nDETAIL: \\u0000", "22P05"))
    assert database_reason(exc) == "database refused: unsupported Unicode escape sequence"
