"""The one background-worker loop (contract/worker.py) the outbox writer, the alarm
timer, the zone-limit sampler and the gateway's sender run on."""

from __future__ import annotations

import threading

from contract.retry import Stopped
from contract.worker import Worker


def test_a_wake_runs_a_round_and_a_busy_round_is_followed_at_once() -> None:
    rounds: list[int] = []
    done = threading.Event()

    def round_of_work() -> bool:
        rounds.append(len(rounds))
        if len(rounds) == 3:
            done.set()
        return len(rounds) < 3  # busy twice, then idle

    worker = Worker("test", round_of_work, idle_s=60)
    worker.start()
    assert not rounds  # waits for a wake-up first
    worker.wake()
    assert done.wait(5)
    assert worker.alive
    worker.stop(5)
    assert not worker.alive and rounds == [0, 1, 2]


def test_stop_drains_what_is_pending_then_ends() -> None:
    pending = [3]

    def round_of_work() -> None:
        if pending[0]:
            pending[0] -= 1

    worker = Worker("test", round_of_work, idle_s=60, first_at_once=True)
    assert worker.stop(1) is False  # never started
    worker.start()
    assert worker.stop(5, pending=lambda: pending[0] > 0, drain_s=5)
    assert pending == [0] and not worker.alive


def test_a_round_waiting_on_stopping_ends_by_stopped() -> None:
    entered = threading.Event()

    def round_of_work() -> None:
        entered.set()
        worker.stopping.wait()
        raise Stopped

    worker = Worker("test", round_of_work, first_at_once=True)
    worker.start()
    assert entered.wait(5)
    worker.halt(5)
    assert not worker.alive
