"""A hub serving real HTTP on a free port (uvicorn in a thread), for browser tests and
anything else that needs a real socket rather than the in-process TestClient.

Fixture `hub_http`: the hub on a fresh SQLite database, no ingest (no broker needed),
with an admin and their token. Build on it: `hub_http.hub` is the `Hub`, so a test can
seed what its page shows through the hub's own services before opening it.

Fixture `live_hub_http`: the whole hub as `stockwarden hub` runs it (ingest subscribed
to the test session's Mosquitto, the alarm engine ticking every 0.1 s), so readings
published with `live_hub_http.send(...)` are stored, shown and judged by the alarm
rules as in production."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contract import wire
from hub.app import create_app
from hub.container import Hub, assemble
from hub.settings import load_settings
from kernel.actors import Role
from tests.support.auth import bearer_headers
from tests.support.http_server import serve_in_thread
from tests.support.mqtt import publish_raw, wait_until
from tests.support.services import Mosquitto

_ids = itertools.count()


@dataclass
class HubServer:
    hub: Hub
    base_url: str
    admin_headers: dict[str, str]

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


def hub_db(tmp_path: Path, sqlite_at_head: Path) -> str:
    """The hub's SQLite database, a copy of the one at the schema's head (tests/conftest.py):
    the hub would migrate a new one at start, to the same schema, only slower."""
    shutil.copyfile(sqlite_at_head, tmp_path / "hub.db")
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def hub_http(tmp_path: Path, sqlite_at_head: Path) -> Iterator[HubServer]:
    settings = load_settings(database_url=hub_db(tmp_path, sqlite_at_head), tsdb_url=None)
    hub = Hub.build(settings)
    try:
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            yield HubServer(hub, base_url, bearer_headers(hub, Role.ADMIN))
    finally:
        hub.stop()


@dataclass
class LiveHubServer(HubServer):
    mosquitto: Mosquitto | None = None
    site: str = "main"
    gateway: str = "gw-live"
    seq: Iterator[int] = field(default_factory=itertools.count)

    def send(self, values: dict[str, dict[str, float]], at: datetime | None = None) -> None:
        """One telemetry message from the gateway, {sensor: {quantity: value}}, through
        Mosquitto and ingest; returns once the alarm engine has evaluated it."""
        assert self.mosquitto is not None and self.hub.alarms is not None
        ts = (at or datetime.now(UTC)).replace(microsecond=0)
        readings = [wire.Reading(sensor=sensor, ts=ts, quantities=quantities)
                    for sensor, quantities in values.items()]
        payload = wire.encode(wire.Telemetry(gateway=self.gateway, seq=next(self.seq),
                                             readings=readings))
        publish_raw(self.mosquitto.port, wire.gateway_topic(self.site, self.gateway, "telemetry"),
                    [payload])
        seen = self.hub.alarms._seen
        wait_until(lambda: all(seen.get(s) == ts for s in values), timeout=10,
                   what="readings evaluated")


@pytest.fixture
def live_hub_http(
    tmp_path: Path, mosquitto: Mosquitto, sqlite_at_head: Path
) -> Iterator[LiveHubServer]:
    name = f"live-{next(_ids)}"
    settings = load_settings(
        database_url=hub_db(tmp_path, sqlite_at_head), tsdb_url=None,
        mqtt_url=mosquitto.url, mqtt_client_id=f"hub-{name}", ingest_batch_ms=20,
        alarm_tick_s=0.1, alarm_reconcile_s=1, site=name, mqtt_site=name)
    hub = assemble(settings)
    hub.start()
    try:
        assert hub.ingest is not None
        wait_until(hub.ingest.subscriber.connected.is_set, what="hub connected")
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            yield LiveHubServer(hub, base_url, bearer_headers(hub, Role.ADMIN), mosquitto,
                                site=name, gateway=f"gw-{name}")
    finally:
        hub.stop()
