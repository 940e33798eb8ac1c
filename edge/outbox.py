"""The on-disk outbox: every telemetry message goes through it.

A message gets its `seq` when it enters (the counter lives in the same SQLite
file, so it goes on after a restart) and leaves only when the broker has
acknowledged it. The file is in WAL mode with synchronous=NORMAL: a committed
message survives the agent being killed; a power cut may lose the last few.

Bounded: past `max_messages` the oldest ones are dropped, and counted, because
on a gateway cut off for days the newest readings matter most and the disk
must not fill up.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 0), ('dropped', 0);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    topic: str
    payload: bytes


class Outbox:
    def __init__(self, path: Path, max_messages: int = 100_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_messages = max_messages
        # One connection shared by the collector, the sender and the status thread.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._depth = self._db.execute("SELECT count(*) FROM message").fetchone()[0]
            self._dropped = self._meta("dropped")
            self._next_seq = self._meta("next_seq")

    def _meta(self, key: str) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])

    def put(self, topic: str, build: Callable[[int], bytes]) -> int:
        """Store the message `build(seq)` under the next seq; return the seq."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq = self._next_seq
                self._db.execute(
                    "INSERT INTO message (seq, topic, payload) VALUES (?, ?, ?)",
                    (seq, topic, build(seq)),
                )
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (seq + 1,))
                over = self._depth + 1 - self.max_messages
                if over > 0:
                    cursor = self._db.execute(
                        "DELETE FROM message WHERE seq IN "
                        "(SELECT seq FROM message ORDER BY seq LIMIT ?)",
                        (over,),
                    )
                    self._db.execute(
                        "UPDATE meta SET value = value + ? WHERE key = 'dropped'",
                        (cursor.rowcount,),
                    )
                    self._dropped += cursor.rowcount
                    self._depth -= cursor.rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._depth += 1
            self._next_seq = seq + 1
            return seq

    def oldest(self, after: int, limit: int) -> list[Entry]:
        """Up to `limit` messages with seq > `after`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, payload FROM message WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            ).fetchall()
        return [Entry(*row) for row in rows]

    def newest(self) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, topic, payload FROM message ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return Entry(*row) if row else None

    def ack(self, seqs: list[int]) -> None:
        """The broker has these: forget them."""
        if not seqs:
            return
        with self._lock:
            cursor = self._db.executemany("DELETE FROM message WHERE seq = ?", [(s,) for s in seqs])
            self._depth -= cursor.rowcount

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def next_seq(self) -> int:
        """The seq the next message will get: every message so far has a lower one."""
        return self._next_seq

    def close(self) -> None:
        with self._lock:
            self._db.close()
