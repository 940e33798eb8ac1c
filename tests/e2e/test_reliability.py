"""Nothing lost, nothing counted twice: broker restart, time-series store outage,
and the hub killed with SIGKILL, all against the real services."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from contract import wire
from hub.container import Hub, assemble
from hub.settings import load_settings
from tests.support.mqtt import ReliablePublisher, series_ts, telemetry, wait_until
from tests.support.processes import free_port, port_open, wait_for
from tests.support.services import Mosquitto, VictoriaMetrics

pytestmark = pytest.mark.slow
_ids = itertools.count()


def stats_count(db_url: str, sensor: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(
                text("SELECT coalesce(sum(count), 0) FROM hourly_stats "
                     "WHERE sensor_id = :s AND quantity = 'temperature_c'"),
                {"s": sensor},
            ).scalar_one())
    finally:
        engine.dispose()


def vm_count(victoria: VictoriaMetrics, gateway: str) -> int:
    return victoria.sample_count(f'{{__name__="reading_temperature_c",gateway="{gateway}"}}')


class Feed:
    """Publishes `total` one-reading messages at `rate`/s on a thread."""

    def __init__(self, port: int, gateway: str, total: int, rate: float) -> None:
        self.gateway = gateway
        self.sensor = f"{gateway}-s"
        self.total = total
        self.rate = rate
        self.sent = 0
        self.topic = wire.gateway_topic("site-r", gateway, "telemetry")
        self.publisher = ReliablePublisher(port, f"feed-{gateway}")
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for seq in range(self.total):
            self.publisher.publish(
                self.topic, telemetry(self.gateway, seq, [self.sensor], series_ts(seq)),
                key=str(seq),
            )
            self.sent += 1
            time.sleep(1 / self.rate)

    def __enter__(self) -> Feed:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.thread.join()
        self.publisher.close()

    def finish(self, timeout: float = 90) -> None:
        self.thread.join(timeout)
        self.publisher.wait_all_acked(timeout)


@pytest.fixture
def hub_factory(tmp_path: Path) -> Iterator:
    hubs: list[Hub] = []

    def make(db_url: str, mqtt_url: str, tsdb_url: str) -> Hub:
        hub = assemble(load_settings(
            database_url=db_url, mqtt_url=mqtt_url, tsdb_url=tsdb_url,
            mqtt_client_id=f"hub-rel-{next(_ids)}", ingest_batch_ms=20,
        ))
        hub.start()
        wait_until(hub.ingest.subscriber.connected.is_set, what="hub connected")
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


def written(hub: Hub) -> float:
    return hub.ingest.metrics.readings_written._value.get()


def test_a_broker_restart_loses_nothing_and_counts_nothing_twice(
    fresh_mosquitto: Mosquitto, victoria: VictoriaMetrics, sqlite_url: str, hub_factory
) -> None:
    hub = hub_factory(sqlite_url, fresh_mosquitto.url, victoria.url)
    gateway = f"gw-restart-{next(_ids)}"
    with Feed(fresh_mosquitto.port, gateway, total=400, rate=100) as feed:
        wait_until(lambda: feed.sent >= 150, what="150 sent")
        fresh_mosquitto.restart()
        feed.finish()
    wait_until(lambda: stats_count(sqlite_url, feed.sensor) >= 400, timeout=60,
               what="400 readings in SQL")
    wait_until(lambda: written(hub) >= 400, timeout=30, what="400 written")
    time.sleep(0.5)
    assert stats_count(sqlite_url, feed.sensor) == 400
    assert written(hub) == 400
    assert vm_count(victoria, gateway) == 400


def test_a_time_series_store_outage_spools_and_replays_every_reading(
    mosquitto: Mosquitto, fresh_victoria: VictoriaMetrics, pg_url: str, hub_factory
) -> None:
    hub = hub_factory(pg_url, mosquitto.url, fresh_victoria.url)
    ingest = hub.ingest
    gateway = f"gw-outage-{next(_ids)}"
    with Feed(mosquitto.port, gateway, total=400, rate=25) as feed:
        wait_until(lambda: feed.sent >= 50, what="50 sent")
        fresh_victoria.stop()
        outage_started = time.monotonic()
        wait_until(lambda: not ingest.writer.health()["ok"], timeout=20, what="outage noticed")
        # Long enough for the writer's backoff to grow past its first steps.
        while time.monotonic() - outage_started < 12:
            time.sleep(0.5)
        spooled = ingest.metrics.spool_lines._value.get()
        assert spooled > 100  # readings kept waiting on disk meanwhile
        fresh_victoria.start()
        feed.finish()
    wait_until(lambda: written(hub) >= 400, timeout=90, what="400 written after the outage")
    assert stats_count(pg_url, feed.sensor) == 400
    assert written(hub) == 400
    assert vm_count(fresh_victoria, gateway) == 400
    assert ingest.writer.health()["ok"]


def _start_hub_process(env: dict[str, str], log: Path, http_port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "--http-port", str(http_port)],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )
    wait_for(lambda: port_open(http_port), 30, "hub HTTP port")
    return process


def test_a_killed_hub_gets_what_was_published_meanwhile_and_counts_it_once(
    mosquitto: Mosquitto, victoria: VictoriaMetrics, db_url: str, tmp_path: Path
) -> None:
    client_id = f"hub-kill-{next(_ids)}"
    http_port = free_port()
    env = {
        **os.environ,
        "STOCKWARDEN_DATABASE_URL": db_url,
        "STOCKWARDEN_MQTT_URL": mosquitto.url,
        "STOCKWARDEN_MQTT_CLIENT_ID": client_id,
        "STOCKWARDEN_TSDB_URL": victoria.url,
        "STOCKWARDEN_INGEST_BATCH_MS": "20",
    }
    log = tmp_path / "hub.log"
    hub = _start_hub_process(env, log, http_port)
    gateway = f"gw-kill-{next(_ids)}"
    try:
        time.sleep(1.0)  # subscribed
        with Feed(mosquitto.port, gateway, total=300, rate=100) as feed:
            wait_until(lambda: stats_count(db_url, feed.sensor) >= 50, what="50 stored")
            hub.send_signal(signal.SIGKILL)
            hub.wait(10)
            wait_until(lambda: feed.sent >= 250, what="published while the hub is down")
            hub = _start_hub_process(env, log, http_port)
            feed.finish()
        wait_until(lambda: stats_count(db_url, feed.sensor) >= 300, timeout=60,
                   what="300 readings in SQL")
        wait_until(lambda: vm_count(victoria, gateway) >= 300, timeout=30, what="300 in VM")
        time.sleep(1.0)
        assert stats_count(db_url, feed.sensor) == 300
        assert vm_count(victoria, gateway) == 300
    finally:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(20)
        except subprocess.TimeoutExpired:
            hub.kill()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
