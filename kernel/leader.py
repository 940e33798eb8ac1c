"""Leadership among the hub's processes: every process may run a led part (the alarm
engine), exactly one does at a time, and another takes over when it dies.

The database decides, with a mechanism of its own and no consensus of ours: on
PostgreSQL a session-level advisory lock held on a dedicated connection
(`postgres_lock`, the one function that knows the database). The lock lives as long
as that connection: a leader killed (SIGKILL) loses it the moment PostgreSQL reads
the closed socket; a leader whose machine or network is gone loses it when the
server ends the silent session (`DROP_AFTER_S`, set per connection: an idle
timeout, and TCP keep-alive for a dead peer). A standby tries the lock every `check_s`.

Fencing: the leader checks its lock connection every `check_s`; `holds()` is true
only while the last good check is younger than `fence_s`, which is shorter than the
server needs to drop a silent connection. So a leader cut off from the database stops
evaluating and sending before any other process can take the lock; a failed check
deposes it at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# The server ends a lock session that sent nothing for 4 s (idle_session_timeout: a
# leader checks every 0.5 s, a standby tries every 0.5 s), and a dead connection on its
# own keep-alive (2 + 3 * 1 s) or after 5 s of unacknowledged data: the lock of a leader
# that froze or was cut off is free again 4 to 6 s after its last answer. The fence
# (`Leadership.fence_s`) must be shorter.
DROP_AFTER_S = 4.0
_SERVER_OPTIONS = ("-c idle_session_timeout=4000 -c tcp_keepalives_idle=2 "
                   "-c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 "
                   "-c tcp_user_timeout=5000 -c statement_timeout=2000 "
                   "-c idle_in_transaction_session_timeout=2000")


class LockSession(Protocol):
    """One connection that can hold the lock."""

    def acquire(self) -> bool:
        """Try to take the lock without waiting; True: this session holds it."""

    def check(self) -> None:
        """Raise unless the connection (and with it the lock) is still there."""

    def close(self) -> None: ...


class Leadership:
    """One thread that stands by, takes the lock, leads and checks it.

    `on_elected` runs on this thread once the lock is held (start the part);
    `on_deposed` once it is lost or given up (stop the part: it no longer holds)."""

    def __init__(self, name: str, connect: Callable[[], LockSession], *,
                 on_elected: Callable[[], None] = lambda: None,
                 on_deposed: Callable[[], None] = lambda: None,
                 check_s: float = 0.5, fence_s: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        assert fence_s < DROP_AFTER_S, "fencing must stop a leader before its lock is free"
        self.name = name
        self.connect = connect
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.check_s = check_s
        self.fence_s = fence_s
        self.clock = clock
        self.term: str | None = None  # a new id per election: who claimed what in SQL
        self.elections = 0
        self.last_error: str | None = None
        self._session: LockSession | None = None
        self._checked_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def leads(self) -> bool:
        return self.term is not None

    def holds(self) -> bool:
        """The fence: lead, with a good check of the lock younger than `fence_s`."""
        return self.term is not None and self.clock() - self._checked_at < self.fence_s

    def holds_within(self, timeout_s: float, poll_s: float = 0.02) -> bool:
        """`holds()`, waiting up to `timeout_s` while this process keeps its term for a
        check that is late (a loaded machine, a slow database) to come in. Fencing is
        unchanged: True only after a good check younger than the fence."""
        deadline = time.monotonic() + timeout_s
        while not self.holds():
            if self.term is None or time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """The first round here, so that a process alone takes the lead before it
        serves (its first readings find the engine running); then the thread."""
        self._stop.clear()
        self.round()
        self._thread = threading.Thread(target=self._run, name=f"leader-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Step down (the part stops first, then the lock is released) and end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.check_s):
            self.round()
        self._depose("stopping")

    def round(self) -> None:
        """Stand by (try the lock) or lead (check it). Public for tests."""
        try:
            if self._session is None:
                self._session = self.connect()
            if self.term is None:
                if self._session.acquire():
                    self._checked_at = self.clock()
                    self._elect()
            else:
                self._session.check()
                self._checked_at = self.clock()
            self.last_error = None
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            log.error("leadership: the lock connection failed", extra={
                "part": self.name, "leading": self.term is not None, "error": self.last_error})
            self._depose(self.last_error)

    def _elect(self) -> None:
        self.term = uuid.uuid4().hex
        self.elections += 1
        log.warning("leadership: this process leads now", extra={
            "part": self.name, "term": self.term})
        self.on_elected()

    def _depose(self, why: str) -> None:
        if self.term is not None:
            log.warning("leadership: this process no longer leads", extra={
                "part": self.name, "term": self.term, "reason": why})
            self.term = None
            try:
                self.on_deposed()
            except Exception:
                log.exception("leadership: stopping the led part failed")
        if self._session is not None:
            session, self._session = self._session, None
            with contextlib.suppress(Exception):
                session.close()  # releases the lock with the connection


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the advisory lock of `name`."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(),
                          "big", signed=True)


class _PostgresLock:
    def __init__(self, engine: Engine, key: int) -> None:
        self.key = key
        self.conn = engine.connect()

    def acquire(self) -> bool:
        got = bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": self.key}).scalar())
        self.conn.commit()  # session-level: the lock outlives the transaction
        return got

    def check(self) -> None:
        self.conn.execute(text("SELECT 1")).scalar()
        self.conn.commit()

    def close(self) -> None:
        self.conn.invalidate()  # never back to a pool: the lock goes with the connection
        self.conn.close()


def postgres_lock(engine: Engine, name: str) -> Callable[[], LockSession]:
    """Connections that can hold the advisory lock `name` on the engine's database:
    one dedicated connection each (no pool), with the server's keep-alive set so that
    a silent connection is dropped after `DROP_AFTER_S`, and libpq's so that a check
    never hangs longer than that."""
    lock_engine = lock_connections(engine, f"stockwarden-leader-{name}")
    key = lock_key(f"stockwarden:{name}")
    return lambda: _PostgresLock(lock_engine, key)


def lock_connections(engine: Engine, application_name: str) -> Engine:
    """An engine of dedicated lock connections (no pool) on `engine`'s database, with
    the server's and libpq's time limits above (also kernel/share_slots.py's)."""
    if engine.dialect.name != "postgresql":
        raise ValueError("leadership needs PostgreSQL (SQLite: one hub process)")
    return create_engine(engine.url, poolclass=NullPool, connect_args={
        "connect_timeout": 3, "keepalives": 1, "keepalives_idle": 2,
        "keepalives_interval": 1, "keepalives_count": 2, "tcp_user_timeout": 3000,
        "options": _SERVER_OPTIONS, "application_name": application_name[:63]})
