"""The share slots' keeper (contract/share_slots.py) on a stand-in database and
stand-in subscribers: a process consumes with its client id only holding its lock, a
member no process holds is emptied, ended and forgotten, a failed round stops every
consumer, a member whose session another process ended expects no session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from contract.mqtt_client import MqttSubscriber
from contract.share_slots import ShareSlots


@dataclass
class Db:
    rows: dict[str, str] = field(default_factory=dict)
    locks: dict[str, object] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    down: bool = False


class Store:
    def __init__(self, db: Db) -> None:
        self.db = db

    def _up(self) -> None:
        if self.db.down:
            raise ConnectionError("cut")

    def try_lock(self, client_id: str) -> bool:
        self._up()
        holder = self.db.locks.setdefault(client_id, self)
        return holder is self

    def unlock(self, client_id: str) -> None:
        self.db.log.append(f"unlock {client_id}")
        del self.db.locks[client_id]

    def members(self) -> dict[str, str]:
        self._up()
        return dict(self.db.rows)

    def register(self, client_id: str, kind: str) -> bool:
        known = client_id in self.db.rows
        self.db.rows[client_id] = kind
        return known

    def forget(self, client_id: str) -> None:
        self.db.log.append(f"forget {client_id}")
        del self.db.rows[client_id]

    def close(self) -> None:
        for key in [k for k, v in self.db.locks.items() if v is self]:
            del self.db.locks[key]


class Sub:
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.wanted = False
        self.connected = 0
        self.suspended = 0
        self.fresh = False
        self.empty = False
        self.left = False
        self.gate: Any = None

    def start(self) -> None:
        self.wanted = True
        self.gate()

    running = False

    def connect(self) -> None:  # as the subscriber's: once until suspended
        if not self.running:
            self.running = True
            self.connected += 1

    def suspend(self) -> None:
        self.running = False
        self.suspended += 1

    def expect_fresh_session(self) -> None:
        self.fresh = True

    def drained(self, _quiet_s: float) -> bool:
        return self.empty

    def leave(self) -> None:
        self.left = True


def keeper(db: Db, name: str, adopted: dict[str, Sub]) -> tuple[ShareSlots, Sub]:
    def adopt(client_id: str, _own: MqttSubscriber) -> MqttSubscriber:
        adopted[client_id] = Sub(client_id)
        return cast(MqttSubscriber, adopted[client_id])

    slots = ShareSlots(lambda: Store(db), adopt=adopt)
    own = Sub(name)
    slots.own_subscriber("ingest", cast(MqttSubscriber, own))
    return slots, own


def test_own_slot_taken_when_wanted_and_a_dead_members_session_emptied_then_forgotten() -> None:
    db = Db()
    adopted: dict[str, Sub] = {}
    a, own_a = keeper(db, "hub-1", adopted)
    b, own_b = keeper(db, "hub-2", adopted)
    a.round()
    assert own_a.connected == 0 and "hub-1" not in db.locks  # its part has not started
    own_a.start()
    own_b.start()
    a.round()
    b.round()
    assert (own_a.connected, own_b.connected) == (1, 1)
    assert db.rows == {"hub-1": "ingest", "hub-2": "ingest"}

    assert a._store is not None
    a._store.close()  # hub-1 killed: its connection, and with it its lock, gone
    b.round()
    assert adopted["hub-1"].connected == 1 and "hub-1" in b.adoptions
    b.round()
    assert not adopted["hub-1"].left  # still receiving
    adopted["hub-1"].empty = True
    b.round()
    assert adopted["hub-1"].left
    assert db.log == ["forget hub-1", "unlock hub-1"]  # forgotten while still locked
    assert db.rows == {"hub-2": "ingest"} and b.adopted == 1

    # hub-1 back (its process restarted): its session was ended by hub-2.
    c, own_c = keeper(db, "hub-1", adopted)
    own_c.start()
    c.round()
    assert own_c.connected == 1 and own_c.fresh


def test_a_failed_round_stops_every_consumer_and_lets_go_of_every_lock() -> None:
    db = Db()
    slots, own = keeper(db, "hub-1", {})
    own.start()
    slots.round()
    assert "hub-1" in db.locks and own.connected == 1
    db.down = True
    slots.round()
    assert own.suspended == 1 and slots.held == set() and slots.last_error
    assert slots.health()["share_slots"]["ok"] is False
    db.down = False
    slots.round()
    assert own.connected == 2 and slots.held == {"hub-1"}


def test_the_fence_counts_from_before_the_query_and_is_shorter_than_the_servers_drop() -> None:
    from kernel.leader import DROP_AFTER_S

    now = [100.0]
    db = Db()
    slots = ShareSlots(lambda: Store(db), clock=lambda: now[0])
    slots.round()
    assert slots._checked_at == 100.0 and slots.holds()
    now[0] = 100.0 + slots.fence_s - 0.01
    assert slots.holds()
    now[0] = 100.0 + slots.fence_s
    assert not slots.holds()
    assert slots.fence_s + 1.0 < DROP_AFTER_S  # a second's delay still leaves room


def test_a_member_forgotten_after_the_list_was_read_is_not_taken_over_again() -> None:
    db = Db(rows={"hub-9": "ingest"})
    adopted: dict[str, Sub] = {}
    slots, own = keeper(db, "hub-1", adopted)
    own.start()
    store = Store(db)
    real_try_lock = store.try_lock

    def forgotten_meanwhile(client_id: str) -> bool:
        if client_id == "hub-9":
            db.rows.pop("hub-9", None)  # another process emptied it and let go
        return real_try_lock(client_id)

    store.try_lock = forgotten_meanwhile  # type: ignore[method-assign]
    slots.connect = lambda: store
    slots.round()
    assert adopted == {} and "hub-9" not in db.locks
