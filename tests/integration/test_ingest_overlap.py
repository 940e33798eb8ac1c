"""Two ingest commits in flight on PostgreSQL (ingest.service, `_run_commits`): many
small batches that all update the same sensors, with redeliveries that span batch
boundaries, through a real Mosquitto. Every reading is counted once, the alarm hooks
get the batches in the order received, the two transactions did overlap, and none
waited for the other in a cycle (no deadlock for PostgreSQL to break)."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import create_engine, text

from contract import wire
from hub.container import Hub
from ingest.hooks import CommittedBatch
from tests.support.mqtt import publish_raw, series_ts, telemetry, wait_until
from tests.support.running_hub import running_hub
from tests.support.services import Mosquitto

_ids = itertools.count()


class Overlap:
    """How many `commit_isolating` calls ran at once, at most."""

    def __init__(self, hub: Hub) -> None:
        store = hub.ingest.store
        commit = store.commit_isolating
        self.running = self.most = 0
        self.lock = threading.Lock()

        def counted(*args: object, **kwargs: object) -> object:
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                return commit(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                with self.lock:
                    self.running -= 1

        store.commit_isolating = counted  # type: ignore[method-assign]


def test_batches_commit_two_at_a_time_count_once_and_reach_the_hooks_in_order(
    pg_url: str, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = f"gw-ov-{next(_ids)}"
    sensors = [f"{gateway}-s{n}" for n in range(40)]
    topic = wire.gateway_topic("site-a", gateway, "telemetry")
    messages = 400
    payloads = [telemetry(gateway, seq, sensors, series_ts(seq), value=2.0 + seq % 7)
                for seq in range(messages)]
    # Each tenth message again 25 messages later: in a later batch, often the next one.
    wire_order = []
    for seq, payload in enumerate(payloads):
        wire_order.append(payload)
        if seq >= 25 and seq % 10 == 0:
            wire_order.append(payloads[seq - 25])
    repeats = len(wire_order) - messages
    with running_hub(database_url=pg_url, mqtt_url=mosquitto.url,
                     mqtt_client_id=f"hub-ov-{next(_ids)}", ingest_batch_messages=6,
                     ingest_batch_ms=5) as hub:
        assert hub.ingest.commits_in_flight == 2
        overlap = Overlap(hub)
        seen: list[CommittedBatch] = []
        hub.ingest.on_batch(seen.append)  # a list's append: safe beside a running hub
        publish_raw(mosquitto.port, topic, wire_order)
        metrics = hub.ingest.metrics
        wait_until(lambda: metrics.readings._value.get() >= messages * len(sensors)
                   and metrics.duplicates._value.get() >= repeats, timeout=60,
                   what="every reading counted")
        assert metrics.readings._value.get() == messages * len(sensors)
        assert metrics.duplicates._value.get() == repeats
        assert overlap.most == 2, "the two commits never overlapped"
        wait_until(lambda: sum(len(b.messages) for b in seen) == messages, what="hooks")
    # In the order received: batch after batch, each one's messages in seq order but for
    # the repeats (never fresh again).
    fresh_seqs = [item.message.seq for batch in seen for item in batch.messages]
    assert fresh_seqs == sorted(fresh_seqs) == list(range(messages))
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        def one(sql: str) -> object:
            return connection.execute(text(sql), {"g": f"{gateway}-%"}).scalar_one()
        stored = one("SELECT count(*) FROM readings WHERE sensor_id LIKE :g")
        counted = one("SELECT sum(count) FROM hourly_stats WHERE sensor_id LIKE :g"
                      " AND quantity = 'temperature_c'")
        # Every sensor's last seen is its newest reading, whichever batch came last.
        behind = one("SELECT count(*) FROM sensors s WHERE s.id LIKE :g AND s.last_seen <>"
                     " (SELECT max(ts) FROM readings r WHERE r.sensor_id = s.id)")
    engine.dispose()
    quantities = 2  # temperature and humidity, as tests.support.mqtt.telemetry sends
    assert stored == messages * len(sensors) * quantities
    assert counted == messages * len(sensors)
    assert behind == 0
    retried = [r.getMessage() for r in caplog.records if "could not commit" in r.getMessage()]
    assert not retried, retried  # a deadlock would have been broken and retried
