"""The share group's slots on PostgreSQL: one advisory lock per MQTT client id of the
group, and the `share_members` table that says which client ids exist (what
contract/share_slots.py's keeper needs, behind its `SlotStore` protocol).

All of it on one dedicated connection per hub process (kernel/leader.py's
`lock_connections`: no pool, the server drops it 4 to 6 s after its last answer),
so every lock a process holds (its own client ids', and those of a dead member it
is emptying) goes with that connection: a process killed loses them at once, one
cut off loses them when the server ends the silent session, after the keeper's fence
stopped its consumers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from kernel.leader import lock_connections, lock_key


def slot_key(client_id: str) -> int:
    return lock_key(f"stockwarden:share-slot/{client_id}")


class PostgresSlots:
    def __init__(self, engine: Engine) -> None:
        self.conn = engine.connect()

    def _one(self, sql: str, **params: object) -> object:
        value = self.conn.execute(text(sql), params).scalar()
        self.conn.commit()  # session-level locks outlive the transaction
        return value

    def try_lock(self, client_id: str) -> bool:
        return bool(self._one("SELECT pg_try_advisory_lock(:key)", key=slot_key(client_id)))

    def unlock(self, client_id: str) -> None:
        self._one("SELECT pg_advisory_unlock(:key)", key=slot_key(client_id))

    def members(self) -> dict[str, str]:
        rows = self.conn.execute(text("SELECT client_id, kind FROM share_members")).all()
        self.conn.commit()
        return {client_id: kind for client_id, kind in rows}

    def register(self, client_id: str, kind: str) -> bool:
        """Note `client_id` as a member; True: it was one already (its session was not
        ended by another process since)."""
        inserted = self._one(
            "INSERT INTO share_members (client_id, kind, registered_at) "
            "VALUES (:client_id, :kind, :at) ON CONFLICT (client_id) DO NOTHING "
            "RETURNING 1", client_id=client_id, kind=kind, at=datetime.now(UTC))
        return inserted is None

    def forget(self, client_id: str) -> None:
        self._one("DELETE FROM share_members WHERE client_id = :client_id RETURNING 1",
                  client_id=client_id)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.invalidate()  # never back to a pool: the locks go with it
        with contextlib.suppress(Exception):
            self.conn.close()


def postgres_slots(engine: Engine) -> Callable[[], PostgresSlots]:
    """Connections for contract.share_slots.ShareSlots on `engine`'s database."""
    slots_engine = lock_connections(engine, "stockwarden-share-slots")
    return lambda: PostgresSlots(slots_engine)
