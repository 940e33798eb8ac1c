"""The hook dispatcher: off the ingest thread, a failing hook counted, a full
queue dropping (and counting) rather than blocking ingest."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from contract import wire
from ingest.hooks import CommittedBatch, HookDispatcher
from ingest.store import Accepted, StatusUpdate

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TOPIC = wire.TopicParts("site", "gw", "telemetry")


def _batch() -> CommittedBatch:
    message = wire.Telemetry(gateway="gw", seq=1, readings=[
        wire.Reading(sensor="s", ts=NOW, quantities={"temperature_c": 1.0})])
    return CommittedBatch(NOW, (Accepted(TOPIC, message),))


def _value(registry: CollectorRegistry, name: str, hook: str) -> float:
    return registry.get_sample_value(name, {"hook": hook}) or 0.0


def test_hooks_run_on_their_own_thread_and_a_failing_one_is_counted() -> None:
    registry = CollectorRegistry()
    hooks = HookDispatcher(registry)
    threads: list[str] = []
    statuses: list[StatusUpdate] = []

    def broken(_batch: CommittedBatch) -> None:
        raise RuntimeError("bug")

    hooks.on_batch(broken)
    hooks.on_batch(lambda _b: threads.append(threading.current_thread().name))
    hooks.on_status(statuses.append)
    hooks.start()
    status = StatusUpdate(wire.TopicParts("site", "gw", "status"),
                          wire.Status(state="online", ts=NOW), NOW)
    hooks.committed(_batch(), [status])
    hooks.committed(_batch(), [])
    hooks.stop()
    assert threads == ["ingest-hooks", "ingest-hooks"]
    assert statuses == [status]
    assert _value(registry, "stockwarden_ingest_hook_errors_total", "batch") == 2


def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    registry = CollectorRegistry()
    hooks = HookDispatcher(registry, max_pending=2)
    hooks.on_batch(lambda _b: None)
    for _ in range(5):  # not started: nothing drains the queue
        hooks.committed(_batch(), [])
    assert _value(registry, "stockwarden_ingest_hook_dropped_total", "batch") == 3


def test_a_batch_with_no_fresh_readings_is_not_announced() -> None:
    registry = CollectorRegistry()
    hooks = HookDispatcher(registry, max_pending=1)
    heard: list[CommittedBatch] = []
    hooks.on_batch(heard.append)
    hooks.committed(CommittedBatch(NOW, ()), [])
    hooks.start()
    hooks.stop()
    assert heard == []
