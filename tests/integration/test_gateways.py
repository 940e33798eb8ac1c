"""Gateway status, stored and served: the edge publisher's retained status and its
last will reach GET /api/v1/gateways through a real Mosquitto and a real hub, on
SQLite and PostgreSQL. And the ingest hooks hear committed batches and statuses,
a failing hook counted and never in the way."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract import wire
from contract.mqtt_settings import MqttSettings
from edge.outbox import Outbox
from edge.publisher import Publisher
from hub.container import Hub
from ingest.hooks import CommittedBatch
from ingest.store import StatusUpdate
from tests.support.mqtt import publish_raw, telemetry, wait_until
from tests.support.running_hub import api_client, running_hub
from tests.support.services import Mosquitto

_ids = itertools.count()


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto) -> Iterator[Hub]:
    with running_hub(
        database_url=db_url, mqtt_url=mosquitto.url,
        mqtt_client_id=f"hub-gw-{next(_ids)}", ingest_batch_ms=20,
    ) as hub:
        yield hub


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with api_client(hub) as client:
        yield client


def _gateway(client: TestClient, gateway: str) -> dict[str, object] | None:
    answer = client.get(f"/api/v1/gateways/{gateway}")
    return answer.json() if answer.status_code == 200 else None


def test_the_edge_status_and_its_last_will_show_in_the_api(
    hub: Hub, client: TestClient, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    gateway = f"gw-status-{next(_ids)}"
    status = wire.Status(
        state="online", ts=wire.utc_now(), version="1.4.2", outbox_depth=3, outbox_dropped=1,
        devices={"cold-1": wire.DeviceHealth(state="timeout", ok_count=5, timeout_count=2,
                                             last_error="no answer")},
    )
    outbox = Outbox(tmp_path / "outbox.db")
    publisher = Publisher(
        MqttSettings(url=mosquitto.url), f"edge-{gateway}", outbox,
        wire.gateway_topic("site-g", gateway, "status"),
        lambda: status.model_copy(update={"ts": wire.utc_now()}),
    )
    publisher.start()
    try:
        online = wait_until(lambda: _gateway(client, gateway), what="the gateway listed")
        assert online["state"] == "online"
        assert online["site"] == "site-g"
        assert (online["version"], online["outbox_depth"], online["outbox_dropped"]) == (
            "1.4.2", 3, 1)
        assert online["devices"]["cold-1"]["state"] == "timeout"
        assert online["devices"]["cold-1"]["last_error"] == "no answer"
        assert any(g["id"] == gateway for g in client.get("/api/v1/gateways").json())

        # The gateway dies without a word: the broker publishes its last will.
        publisher.client.loop_stop()
        publisher.client.socket().close()
        offline = wait_until(
            lambda: (g := _gateway(client, gateway)) and g["state"] == "offline" and g,
            what="the last will stored",
        )
        assert offline["version"] == "1.4.2"
    finally:
        publisher.client.loop_stop()
        publisher._sender.halt(5)  # the sender thread, without the clean stop's offline status
        outbox.close()

    # A status older than the stored one changes nothing.
    stale = wire.Status(state="online", ts=wire.utc_now() - timedelta(hours=1))
    publish_raw(mosquitto.port, wire.gateway_topic("site-g", gateway, "status"),
                [wire.encode(stale)])
    fresh_gateway = f"gw-after-{next(_ids)}"
    publish_raw(mosquitto.port, wire.gateway_topic("site-g", fresh_gateway, "status"),
                [wire.encode(wire.Status(state="online", ts=wire.utc_now()))])
    wait_until(lambda: _gateway(client, fresh_gateway), what="a later status stored")
    assert _gateway(client, gateway)["state"] == "offline"


def test_a_gateway_seen_only_through_telemetry_is_unknown(
    hub: Hub, client: TestClient, mosquitto: Mosquitto
) -> None:
    gateway = f"gw-quiet-{next(_ids)}"
    publish_raw(mosquitto.port, wire.gateway_topic("site-g", gateway, "telemetry"),
                [telemetry(gateway, 1, [f"{gateway}-s1", f"{gateway}-s2"], datetime.now(UTC))])
    quiet = wait_until(lambda: _gateway(client, gateway), what="the gateway listed")
    assert (quiet["state"], quiet["site"], quiet["sensors"]) == ("unknown", "site-g", 2)
    missing = client.get("/api/v1/gateways/nobody")
    assert missing.status_code == 404


def _metric(client: TestClient, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.split()[-1])
    return 0.0


def test_hooks_hear_committed_batches_and_statuses_and_a_failing_hook_is_counted(
    hub: Hub, client: TestClient, mosquitto: Mosquitto
) -> None:
    gateway = f"gw-hooks-{next(_ids)}"
    batches: list[CommittedBatch] = []
    statuses: list[StatusUpdate] = []
    ingest = hub.ingest

    def broken(_batch: CommittedBatch) -> None:
        raise RuntimeError("a bug in a consumer")

    ingest.on_batch(broken)
    ingest.on_batch(batches.append)
    ingest.on_status(statuses.append)

    now = datetime.now(UTC)
    topic = wire.gateway_topic("site-h", gateway, "telemetry")
    publish_raw(mosquitto.port, topic, [telemetry(gateway, seq, [f"{gateway}-s"],
                                                  now + timedelta(milliseconds=seq))
                                        for seq in range(5)])
    publish_raw(mosquitto.port, wire.gateway_topic("site-h", gateway, "status"),
                [wire.encode(wire.Status(state="online", ts=wire.utc_now(), version="9"))])

    def heard() -> int:
        return sum(len(b.messages) for b in batches
                   if any(m.message.gateway == gateway for m in b.messages))

    wait_until(lambda: heard() == 5, what="5 messages heard by the batch hook")
    wait_until(lambda: any(s.topic.gateway == gateway for s in statuses), what="status heard")
    update = next(s for s in statuses if s.topic.gateway == gateway)
    assert (update.topic.site, update.status.version) == ("site-h", "9")
    assert update.received_at <= datetime.now(UTC)
    assert _metric(client, 'stockwarden_ingest_hook_errors_total{hook="batch"}') >= 1
    # Ingest went on: everything is in SQL, and a duplicate is not heard again.
    publish_raw(mosquitto.port, topic, [telemetry(gateway, 0, [f"{gateway}-s"], now)])
    publish_raw(mosquitto.port, topic, [telemetry(gateway, 5, [f"{gateway}-s"], now)])
    wait_until(lambda: heard() == 6, what="the sixth message heard")
    latest = client.get("/api/v1/readings/latest", params={"sensor": f"{gateway}-s"}).json()
    assert latest


def test_the_status_shows_each_sensors_poll_interval_profile_and_calibration(
    hub: Hub, client: TestClient, mosquitto: Mosquitto
) -> None:
    # Issue 17 (defects 4 and 8): what the gateway applies is kept, not dropped.
    gateway = f"gw-applied-{next(_ids)}"
    status = wire.Status(state="online", ts=wire.utc_now(), devices={
        "cold-1": wire.DeviceHealth(state="ok", poll_interval_s=20, profile="xy-md02",
                                    calibration={"temperature_c": -0.3}),
        "cold-2": wire.DeviceHealth(state="ok")})
    publish_raw(mosquitto.port, wire.gateway_topic("site-g", gateway, "status"),
                [wire.encode(status)])
    shown = wait_until(lambda: _gateway(client, gateway), what="the gateway listed")
    cold = shown["devices"]["cold-1"]
    assert (cold["poll_interval_s"], cold["profile"], cold["calibration"]) == (
        20.0, "xy-md02", {"temperature_c": -0.3})
    older = shown["devices"]["cold-2"]
    assert (older["poll_interval_s"], older["profile"], older["calibration"]) == (None, None, {})
