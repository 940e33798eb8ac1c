"""The hub SIGKILLed while its ingest pipeline is full — one batch committing, the
next one built and waiting, more decoded on paho's thread — and started again:
every reading counted once, in SQL and in the time-series store."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contract import wire
from tests.e2e.test_reliability import stats_count
from tests.support.mqtt import publish_raw, series_ts, telemetry, wait_until
from tests.support.processes import free_port, port_open, wait_for
from tests.support.services import Mosquitto, VictoriaMetrics

pytestmark = pytest.mark.slow

MESSAGES = 12_000
_ids = itertools.count()


def vm_samples(victoria: VictoriaMetrics, gateway: str) -> tuple[int, int]:
    """(distinct timestamps, samples) of the gateway's temperature series. A hub killed
    between the store's write and the outbox's delete sends that batch again
    (ingest/tsdb.py): the same samples, which the store keeps once (deduplication),
    though an export may list both copies until it merges them."""
    series = victoria.export(f'{{__name__="reading_temperature_c",gateway="{gateway}"}}')
    stamps = [ts for s in series for ts in s["timestamps"]]
    return len(set(stamps)), len(stamps)


def _start_hub_process(env: dict[str, str], log: Path, http_port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "--http-port", str(http_port)],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )
    # Generous: the machine that runs the suite may be busy, and start-up is not tested here.
    try:
        wait_for(lambda: port_open(http_port), 120, "hub HTTP port")
    except BaseException:
        process.kill()  # never left running behind a failed test
        process.wait(10)
        raise
    return process


def _stop(hub: subprocess.Popen) -> None:
    hub.send_signal(signal.SIGTERM)
    try:
        hub.wait(20)
    except subprocess.TimeoutExpired:
        hub.kill()


def test_a_hub_killed_mid_pipeline_loses_nothing_and_counts_nothing_twice(
    mosquitto: Mosquitto, victoria: VictoriaMetrics, db_url: str, tmp_path: Path
) -> None:
    # Its own gateway: the time-series store is shared by the tests of the session.
    gateway = f"gw-pipe-{next(_ids)}"
    sensor = f"{gateway}-s"
    env = {
        **os.environ,
        "STOCKWARDEN_DATABASE_URL": db_url,
        "STOCKWARDEN_MQTT_URL": mosquitto.url,
        "STOCKWARDEN_MQTT_CLIENT_ID": f"hub-pipeline-kill-{gateway}",
        "STOCKWARDEN_TSDB_URL": victoria.url,
        # Small batches: many of them in the pipeline when the kill comes.
        "STOCKWARDEN_INGEST_BATCH_MESSAGES": "500",
    }
    log = tmp_path / "hub.log"
    http_port = free_port()
    # The hub's persistent session first; then a backlog queued for it at the broker.
    hub = _start_hub_process(env, log, http_port)
    time.sleep(1.0)  # subscribed
    _stop(hub)
    base = series_ts(0)
    publish_raw(mosquitto.port, wire.gateway_topic("site-p", gateway, "telemetry"), [
        telemetry(gateway, seq, [sensor], series_ts(seq, base)) for seq in range(MESSAGES)
    ])
    hub = _start_hub_process(env, log, http_port)
    try:
        wait_until(lambda: stats_count(db_url, sensor) >= 1, timeout=60, interval=0.02,
                   what="a first batch committed")
        hub.send_signal(signal.SIGKILL)
        hub.wait(10)
        at_kill = stats_count(db_url, sensor)
        # Killed with most of the backlog still at the broker or in the pipeline.
        assert 0 < at_kill < MESSAGES
        hub = _start_hub_process(env, log, http_port)
        wait_until(lambda: stats_count(db_url, sensor) >= MESSAGES, timeout=120,
                   what=f"{MESSAGES} readings in SQL")
        wait_until(lambda: vm_samples(victoria, gateway)[0] >= MESSAGES, timeout=60,
                   what=f"{MESSAGES} readings in the time-series store")
        time.sleep(1.0)  # anything counted twice would land by now
        assert stats_count(db_url, sensor) == MESSAGES
        distinct, samples = vm_samples(victoria, gateway)
        assert distinct == MESSAGES
        # Copies only of what the one write in flight at the kill carried, if anything
        # (a write holds up to tsdb_batch_lines = 5,000 lines).
        assert samples - distinct <= 5000
    finally:
        _stop(hub)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
