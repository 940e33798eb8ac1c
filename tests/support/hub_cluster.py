"""Several `stockwarden hub` processes on one PostgreSQL and one Mosquitto (an MQTT 5
share group), started as programs the way an operator starts them, for the alarm
failover test and `bench.failover`: which one leads the alarm engine (its /health),
SIGKILL, a gateway feeding a cold room's sensor, the alarm rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from contract import wire
from hub.container import Hub
from hub.settings import load_settings
from ingest.orm import Sensor
from kernel.orm import StorageClass, Zone
from kernel.uow import run_write
from tests.support.mqtt import ReliablePublisher, telemetry
from tests.support.processes import free_port, port_open, wait_for


def seed_cold_room(db_url: str, sensor: str) -> None:
    """Zone COLD (2-8 °C) with `sensor` in it; migrates the database first."""
    hub = Hub.build(load_settings(database_url=db_url))

    def work() -> None:
        zone = Zone(code="COLD", name="Cold room", storage_class=StorageClass(
            code="2-8C", name="fridge", temp_min_c=2, temp_max_c=8))
        session.add(zone)
        session.flush()
        session.add(Sensor(id=sensor, name=sensor, zone_id=zone.id))

    with hub.writes() as session:
        run_write(session, work)
    hub.engine.dispose()


def sql(db_url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


@dataclass
class HubProcess:
    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "hub", "--http-port", str(self.port)],
            env={**self.env, "STOCKWARDEN_MQTT_CLIENT_ID":
                 f"{self.env['STOCKWARDEN_MQTT_CLIENT_ID']}-{self.name}"},
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: port_open(self.port), timeout, f"hub {self.name} HTTP port")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                        timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:  # /health answers 503 when degraded
            return exc.code, exc.read().decode()

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]
             ) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
            headers={**headers, "Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def role(self) -> str | None:
        """`leader`, `standby` (or `single`) as its /health says; None: no answer."""
        if not self.alive:
            return None
        try:
            _status, body = self.get("/health")
        except OSError:
            return None
        role: str | None = json.loads(body)["checks"].get("alarms", {}).get("role")
        return role


class Cluster:
    """`count` hub processes, each its own client id in share group `hubs`."""

    def __init__(self, workdir: Path, count: int, env: dict[str, str],
                 own: dict[int, dict[str, str]] | None = None) -> None:
        """`own`: settings of one process (by index) beside the shared `env`."""
        own = own or {}
        self.processes = [HubProcess(f"h{n}", {**env, **own.get(n, {})},
                                     workdir / f"hub-{n}.log") for n in range(count)]

    def start(self) -> None:
        # The first migrates the database alone; the others then start together.
        self.processes[0].start()
        for process in self.processes[1:]:
            process.start(wait=False)
        for process in self.processes[1:]:
            process.wait_ready()

    def leaders(self) -> list[HubProcess]:
        return [p for p in self.processes if p.role() == "leader"]

    def wait_leader(self, timeout: float = 20.0) -> HubProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.leaders()
            assert len(found) <= 1, f"two leaders: {[p.name for p in found]}"
            if found:
                return found[0]
            time.sleep(0.05)
        raise TimeoutError(f"no hub process leads the alarm engine after {timeout}s")

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log.read_text()[-4000:]}"
                         for p in self.processes if p.log.exists())


class Feed:
    """A gateway publishing one sensor's temperature every `every_s` (QoS 1): set
    `value` to change what it reports."""

    def __init__(self, mqtt_port: int, site: str, gateway: str, sensor: str,
                 value: float = 5.0, every_s: float = 0.3) -> None:
        self.topic = wire.gateway_topic(site, gateway, "telemetry")
        self.gateway, self.sensor, self.value, self.every_s = gateway, sensor, value, every_s
        self.publisher = ReliablePublisher(mqtt_port, f"feed-{gateway}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.seq = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from datetime import UTC, datetime

        while not self._stop.wait(self.every_s):
            self.seq += 1
            self.publisher.publish(self.topic, telemetry(
                self.gateway, self.seq, [self.sensor], datetime.now(UTC), self.value))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.publisher.close()


def hub_env(db_url: str, mqtt_url: str, rules: Path, client_id: str, site: str,
            **extra: str) -> dict[str, str]:
    return {**os.environ, "STOCKWARDEN_DATABASE_URL": db_url, "STOCKWARDEN_MQTT_URL": mqtt_url,
            "STOCKWARDEN_MQTT_CLIENT_ID": client_id, "STOCKWARDEN_MQTT_SHARE_GROUP": "hubs",
            "STOCKWARDEN_INGEST_BATCH_MS": "20", "STOCKWARDEN_ALARM_RULES": str(rules),
            "STOCKWARDEN_ALARM_TICK_S": "0.2", "STOCKWARDEN_ALARM_RECONCILE_S": "1",
            "STOCKWARDEN_SITE": site, "STOCKWARDEN_MQTT_SITE": site, **extra}
