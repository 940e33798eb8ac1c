"""Leadership (kernel/leader.py) on a stand-in lock: elected, fenced when its checks
stop answering, deposed when a check fails, and another takes over."""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.leader import DROP_AFTER_S, Leadership, lock_key


@dataclass
class Database:
    """One lock, held by at most one session, released when that session closes."""

    holder: object | None = None
    down: set[int] = field(default_factory=set)  # sessions whose connection is cut


class FakeSession:
    def __init__(self, db: Database, number: int) -> None:
        self.db, self.number = db, number

    def acquire(self) -> bool:
        if self.number in self.db.down:
            raise ConnectionError("cut")
        if self.db.holder is None:
            self.db.holder = self
        return self.db.holder is self

    def check(self) -> None:
        if self.number in self.db.down:
            raise ConnectionError("cut")

    def close(self) -> None:
        if self.db.holder is self:
            self.db.holder = None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def process(db: Database, number: int, clock: Clock, events: list[str]) -> Leadership:
    return Leadership("alarms", lambda: FakeSession(db, number),
                      on_elected=lambda: events.append(f"{number} leads"),
                      on_deposed=lambda: events.append(f"{number} stops"), clock=clock)


def test_one_leads_the_others_stand_by_and_one_takes_over_when_it_dies() -> None:
    db, clock, events = Database(), Clock(), list[str]()
    one, two, three = (process(db, n, clock, events) for n in (1, 2, 3))
    for p in (one, two, three):
        p.round()
    assert (one.holds(), two.holds(), three.holds()) == (True, False, False)
    assert events == ["1 leads"]
    db.down.add(1)  # its connection is cut: the server drops it, the lock is free
    db.holder = None
    clock.now += 0.5
    two.round()
    assert two.holds() and events == ["1 leads", "2 leads"]
    one.round()  # its check fails: it stops, before anything else
    assert not one.holds() and events[-1] == "1 stops"
    three.round()
    assert not three.holds()
    assert one.term is None and two.term is not None


def test_a_leader_whose_checks_hang_is_fenced_before_its_lock_can_be_taken() -> None:
    db, clock, events = Database(), Clock(), list[str]()
    one = process(db, 1, clock, events)
    one.round()
    assert one.holds()
    clock.now += one.fence_s - 0.01
    assert one.holds()
    clock.now += 0.02  # no good check for fence_s: it must not evaluate or send
    assert not one.holds()
    assert one.fence_s < DROP_AFTER_S


def test_the_lock_key_is_stable_and_fits_a_bigint() -> None:
    assert lock_key("stockwarden:alarms") == lock_key("stockwarden:alarms")
    assert -(2**63) <= lock_key("stockwarden:alarms") < 2**63
    assert lock_key("a") != lock_key("b")


def test_a_check_that_comes_in_late_is_waited_for_and_a_lost_term_is_not() -> None:
    import threading

    db, clock, events = Database(), Clock(), list[str]()
    leader = process(db, 1, clock, events)
    leader.round()
    clock.now += leader.fence_s + 1  # the next check is late: fenced meanwhile
    assert not leader.holds() and leader.term is not None
    late = threading.Timer(0.2, leader.round)  # then it comes in, the lock still held
    late.start()
    assert leader.holds_within(5.0)
    late.join()
    clock.now += leader.fence_s + 1
    db.down.add(1)  # this time the check fails: deposed, nothing to wait for
    threading.Timer(0.2, leader.round).start()
    assert not leader.holds_within(5.0)
    assert leader.term is None and events == ["1 leads", "1 stops"]
