"""Which database errors pass by themselves, and which the data causes (shared by
every part: ingest splits a batch on the latter, the unit of work retries the former).

Transient: the database is away, busy or in the middle of something — retrying
the same work later succeeds. Everything else is taken to be caused by the
data: ingest then splits the batch to find the message and dead-letters it; the
scan consumer refuses the scan and records why. Shared by both (ingest/, inventory/).
Resource and system errors (disk full, out of memory, I/O) are transient here:
no message causes them, and dead-lettering every message for them would lose
good data.
"""

from __future__ import annotations

# PostgreSQL SQLSTATE: whole classes, and single codes.
TRANSIENT_SQLSTATE_CLASSES = frozenset({
    "08",  # connection exception
    "53",  # insufficient resources (disk full, out of memory, too many connections)
    "57",  # operator intervention (admin shutdown, crash shutdown, cannot connect now)
    "58",  # system error (I/O)
    "XX",  # internal error
})
TRANSIENT_SQLSTATES = frozenset({
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "55006",  # object_in_use
    "25006",  # read_only_sql_transaction (a standby during fail-over)
})
# SQLite primary result codes (the low byte of an extended code).
SQLITE_TRANSIENT_CODES = frozenset({
    5,   # SQLITE_BUSY
    6,   # SQLITE_LOCKED
    7,   # SQLITE_NOMEM
    8,   # SQLITE_READONLY
    10,  # SQLITE_IOERR
    13,  # SQLITE_FULL
    14,  # SQLITE_CANTOPEN
    15,  # SQLITE_PROTOCOL
})
_TRANSIENT_WORDS = (
    "database is locked", "database table is locked", "server closed the connection",
    "connection refused", "could not connect", "terminating connection",
)


def _driver_error(exc: BaseException) -> BaseException:
    """The DBAPI's own exception under SQLAlchemy's wrapper."""
    return getattr(exc, "orig", None) or exc


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same work later may succeed."""
    if getattr(exc, "connection_invalidated", False):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    # SQLAlchemy's pool timeout and disconnects carry no driver error.
    if type(exc).__name__ in ("TimeoutError", "DisconnectionError"):
        return True
    orig = _driver_error(exc)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES or sqlstate in TRANSIENT_SQLSTATES
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in SQLITE_TRANSIENT_CODES
    text = str(orig).lower()
    if any(word in text for word in _TRANSIENT_WORDS):
        return True
    # A driver's OperationalError without a code is the connection failing to open.
    return type(orig).__name__ == "OperationalError" and type(orig).__module__.startswith(
        "psycopg"
    )


def database_reason(exc: BaseException) -> str:
    """The database's own words, first line: the reason of a dead letter."""
    orig = _driver_error(exc)
    text = str(orig).strip()
    line = text.splitlines()[0] if text else type(orig).__name__
    return f"database refused: {line}"
