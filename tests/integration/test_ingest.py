"""Telemetry from a real Mosquitto through the hub into SQL and VictoriaMetrics."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from contract import wire
from hub.app import create_app
from hub.container import Hub
from tests.support.auth import bearer_headers
from tests.support.mqtt import publish_raw, series_ts, telemetry, wait_until
from tests.support.running_hub import running_hub
from tests.support.services import Mosquitto, VictoriaMetrics

_ids = itertools.count()


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto, victoria: VictoriaMetrics) -> Iterator[Hub]:
    with running_hub(
        database_url=db_url,
        mqtt_url=mosquitto.url,
        mqtt_client_id=f"hub-test-{next(_ids)}",
        tsdb_url=victoria.url,
        ingest_batch_ms=20,
    ) as hub:
        yield hub


def metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_readings_reach_sql_and_the_time_series_store_once(
    hub: Hub, mosquitto: Mosquitto, victoria: VictoriaMetrics
) -> None:
    gateway = f"gw-{next(_ids)}"
    sensors = [f"{gateway}-s1", f"{gateway}-s2"]
    topic = wire.gateway_topic("site-a", gateway, "telemetry")
    payloads = [
        telemetry(gateway, seq, sensors, series_ts(seq), value=2.0 + seq) for seq in range(20)
    ]
    # Each message twice: redelivery and replays must count once.
    publish_raw(mosquitto.port, topic, payloads + payloads[:5])

    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        wait_until(lambda: metric(client, "stockwarden_tsdb_readings_written_total") >= 40,
                   what="40 readings written")
        assert metric(client, "stockwarden_ingest_readings_total") == 40
        assert metric(client, "stockwarden_ingest_duplicates_total") == 5
        match = f'{{__name__="reading_temperature_c",gateway="{gateway}"}}'
        assert victoria.sample_count(match) == 40

        listed = client.get("/api/v1/sensors", params={"unassigned": True}).json()
        assert {s["id"] for s in listed} >= set(sensors)
        assert client.post("/api/v1/zones", json={"code": f"cold-{gateway}", "name": "Cold"}
                           ).status_code == 201
        assigned = client.patch(f"/api/v1/sensors/{sensors[0]}", json={"zone": f"cold-{gateway}"},
                                params={"reason": "installed"})
        assert assigned.json()["zone"] == f"cold-{gateway}"

        latest = client.get("/api/v1/readings/latest", params={"sensor": sensors[0]}).json()
        assert {r["quantity"]: r["value"] for r in latest} == {
            "temperature_c": 21.0, "humidity_pct": 50.0}

        start = (series_ts(0) - timedelta(hours=1)).isoformat()
        hours = client.get(f"/api/v1/sensors/{sensors[0]}/hourly",
                           params={"start": start, "quantity": "temperature_c"}).json()
        assert sum(h["count"] for h in hours) == 20
        assert min(h["min"] for h in hours) == 2.0
        assert max(h["max"] for h in hours) == 21.0
        zone_hours = client.get(f"/api/v1/zones/cold-{gateway}/hourly",
                                params={"start": start, "quantity": "temperature_c"}).json()
        assert sum(h["count"] for h in zone_hours) == 20


BAD_PAYLOADS = [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "object"),
    (b'{"gateway": "GW", "seq": "x", "readings": []}', "seq"),
    (b'{"gateway": "GW", "seq": 1}', "readings: Field required"),
    (b'{"gateway": "GW", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00Z",'
     b' "quantities": {"temperature_c": NaN}}]}', "finite"),
    (b'{"gateway": "GW", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00Z",'
     b' "quantities": {"humidity_pct": 140}}]}', "outside"),
    (b'{"gateway": "GW", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00",'
     b' "quantities": {}}]}', "timezone"),
    (b"x" * (wire.MAX_PAYLOAD_BYTES + 1), "exceeds"),
]


def test_bad_payloads_become_dead_letters_and_ingest_goes_on(
    hub: Hub, mosquitto: Mosquitto
) -> None:
    gateway = f"gw-{next(_ids)}"
    topic = wire.gateway_topic("site-a", gateway, "telemetry")
    now = datetime.now(UTC)
    bad = [p.replace(b'"GW"', f'"{gateway}"'.encode()) for p, _ in BAD_PAYLOADS]
    bad.append(telemetry(gateway, 1, [f"{gateway}-s"], now + timedelta(days=2)))
    bad.append(telemetry(gateway, 2, [f"{gateway}-s"], now - timedelta(days=400)))
    bad.append(telemetry("another-gw", 3, [f"{gateway}-s"], now))
    good = telemetry(gateway, 4, [f"{gateway}-s"], now)
    publish_raw(mosquitto.port, topic, [*bad, good])
    bad_topic = f"stockwarden/v1/site-a/{gateway} !/telemetry"
    publish_raw(mosquitto.port, bad_topic, [good])

    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        wait_until(lambda: client.get("/api/v1/readings/latest",
                                      params={"sensor": f"{gateway}-s"}).json(),
                   what="the good reading")
        letters = client.get("/api/v1/dead-letters", params={"limit": 50}).json()
        mine = [d for d in letters if gateway in d["topic"]]
        reasons = [d["reason"] for d in mine]
        assert len(mine) == len(bad) + 1, reasons
        for _payload, expected in BAD_PAYLOADS:
            assert any(expected in reason for reason in reasons), (expected, reasons)
        assert any("in the future" in r for r in reasons)
        assert any("older than" in r for r in reasons)
        assert any("does not match the topic" in r for r in reasons)
        assert any("invalid site or gateway identifier" in r for r in reasons)
        assert metric(client, "stockwarden_ingest_dead_letters_total") >= len(bad) + 1
        assert client.get("/health").json()["status"] == "ok"
