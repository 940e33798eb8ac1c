"""`stockwarden hub --workers 2`: two hub processes on one HTTP port, each consuming
its share of the readings with its own client id; refused on SQLite."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from contract import wire
from tests.support.hub_cluster import hub_env
from tests.support.mqtt import publish_raw, series_ts, telemetry, wait_until
from tests.support.processes import free_port, port_open, wait_for
from tests.support.services import Mosquitto
from tests.support.share_load import SITE, one


def child_view(port: int) -> tuple[list[str], float]:
    """(client ids the answering child holds, readings it counted): /health and /metrics
    on one kept-alive connection, so from one child."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/health")
        health = json.loads(conn.getresponse().read())
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
    finally:
        conn.close()
    held = health["checks"].get("share_slots", {}).get("held", [])
    found = re.search(r"^stockwarden_ingest_readings_total ([0-9.e+]+)$", metrics, re.M)
    return held, float(found.group(1)) if found else 0.0


def test_two_workers_serve_on_one_port_and_both_consume(
    mosquitto: Mosquitto, pg_url: str, tmp_path: Path,
) -> None:
    rules = tmp_path / "alarms.yaml"
    rules.write_text("gateways: {status_interval: 1h}\n")
    port = free_port()
    env = hub_env(pg_url, mosquitto.url, rules, "hub-w", SITE,
                  STOCKWARDEN_MQTT_SHARE_GROUP="group-workers")
    log = tmp_path / "hub.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "--workers", "2", "--http-port", str(port)],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: port_open(port), 60, "the workers' HTTP port")
        seen: dict[str, list[str]] = {}

        def both_answer() -> bool:
            held, _readings = child_view(port)
            if held:
                seen[held[0].removesuffix("-scans")] = held
            return set(seen) == {"hub-w-1", "hub-w-2"}

        wait_until(both_answer, timeout=60, interval=0.05, what=f"both children ({seen})")
        assert sorted(seen["hub-w-1"]) == ["hub-w-1", "hub-w-1-scans"]

        gateway = "gw-workers"
        publish_raw(mosquitto.port, wire.gateway_topic(SITE, gateway, "telemetry"),
                    [telemetry(gateway, seq, [f"{gateway}-s"], series_ts(seq))
                     for seq in range(200)])
        wait_until(lambda: one(pg_url, "SELECT count(*) FROM seen_messages") == 200,
                   timeout=30, what="200 messages counted")
        counts: dict[str, float] = {}

        def both_counted() -> bool:
            held, readings = child_view(port)
            if held:
                counts[held[0]] = readings
            return len(counts) == 2

        wait_until(both_counted, timeout=30, interval=0.05, what="both children's metrics")
        assert sum(counts.values()) == 200, counts
        assert all(n > 0 for n in counts.values()), counts  # both consumed
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    assert process.returncode == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "hub", "--workers", "2"],
        env={**hub_env(f"sqlite:///{tmp_path / 'w.db'}", "mqtt://127.0.0.1:1", tmp_path / "r",
                       "hub-w", SITE)},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--workers 2 needs PostgreSQL" in done.stderr
    assert time.monotonic() - started < 60
