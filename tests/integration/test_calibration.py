"""Calibration from gateway to report (issue 17, defect 4), on SQLite and PostgreSQL:
the edge agent polls a simulated sensor with a calibration offset from its config,
its status carries the offset through a real Mosquitto to the hub, which keeps each
change with its time and shows it (GET /api/v1/gateways/{id}); a supervisor enters
the calibration certificate; the zone report's header lists the sensor with its
calibration, the offset changes in the period, the mismatch and the overdue mark."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edge.agent import Agent
from edge.config import load_config
from hub.accounts.service import create_user_with_token
from hub.container import Hub
from kernel.actors import Role
from tests.support.edge import gateway_config, simulate
from tests.support.mqtt import wait_until
from tests.support.running_hub import api_client, ok, running_hub
from tests.support.services import Mosquitto

pytestmark = pytest.mark.timeout(120)
_ids = itertools.count()


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto) -> Iterator[Hub]:
    with running_hub(database_url=db_url, mqtt_url=mosquitto.url, tsdb_url=None,
                     mqtt_client_id=f"hub-cal-{next(_ids)}", ingest_batch_ms=20,
                     mqtt_site="test") as hub:
        yield hub


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with api_client(hub) as client:
        yield client


def run_agent(config: Path) -> tuple[threading.Event, threading.Thread]:
    agent = Agent(*load_config(config))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def test_the_calibration_offset_goes_from_the_edge_config_to_the_zone_report(
    hub: Hub, client: TestClient, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    gateway, sensor = f"gw-cal-{next(_ids)}", f"cold-cal-{next(_ids)}"
    ok(client.post("/api/v1/storage-classes", json={
        "code": "2-8C", "name": "fridge", "temp_min_c": 2, "temp_max_c": 8}))
    ok(client.post("/api/v1/zones", json={"code": "COLD", "name": "Cold room",
                                          "storage_class": "2-8C"}))
    ok(client.post("/api/v1/sensors", json={"id": sensor, "name": "cold room door",
                                            "zone": "COLD", "gateway": gateway}))
    with hub.writes() as session:
        supervisor = create_user_with_token(session, "qm-cal", Role.SUPERVISOR).token
    as_qm = {"Authorization": f"Bearer {supervisor}"}

    sim = simulate({"lan": {"type": "tcp", "port": 0}}, [
        {"server": "lan", "unit_id": 7, "profile": "xy-md02", "values": {"temperature_c": 5.0,
                                                                         "humidity_pct": 40}}])

    def edge(offset: float) -> tuple[threading.Event, threading.Thread]:
        config = gateway_config(
            tmp_path / "gateway.yaml", mqtt_port=mosquitto.port, gateway=gateway,
            buses={"lan": {"type": "modbus-tcp", "host": "127.0.0.1",
                           "port": sim.tcp["lan"].port}},
            sensors=[{"id": sensor, "bus": "lan", "unit_id": 7, "profile": "xy-md02",
                      "poll_interval": 0.3, "calibration": {"temperature_c": offset}}])
        return run_agent(config)

    def applied() -> list[dict[str, Any]]:
        return ok(client.get(f"/api/v1/sensors/{sensor}/applied-settings"))

    start = datetime.now(UTC) - timedelta(hours=1)
    try:
        stop, thread = edge(-0.3)
        try:
            shown = wait_until(lambda: (g := client.get(f"/api/v1/gateways/{gateway}")).status_code
                               == 200 and g.json()["devices"].get(sensor), what="the status")
            assert (shown["profile"], shown["calibration"], shown["poll_interval_s"]) == (
                "xy-md02", {"temperature_c": -0.3}, 0.3)
            wait_until(lambda: ok(client.get("/api/v1/readings/latest",
                                             params={"sensor": sensor})), what="readings")
        finally:
            stop.set()
            thread.join(15)
        [first] = applied()  # statuses with the same offset add nothing
        # The sensor is recalibrated: the integrator changes the config's offset.
        stop, thread = edge(-0.5)
        try:
            wait_until(lambda: len(applied()) == 2, what="the changed offset kept")
        finally:
            stop.set()
            thread.join(15)
    finally:
        sim.stop()
    first, second = applied()
    assert (first["calibration"], second["calibration"]) == (
        {"temperature_c": -0.3}, {"temperature_c": -0.5})
    assert first["gateway"] == second["gateway"] == gateway
    assert datetime.fromisoformat(first["since"]) < datetime.fromisoformat(second["since"])

    # The certificate on record says -0.3 and was due yesterday.
    certificate = {"calibrated_on": "2025-12-01", "certificate": "DKD-K-4711/25",
                   "laboratory": "Kalibrierlabor Nord",
                   "as_found_error": {"temperature_c": 0.35},
                   "as_left_error": {"temperature_c": 0.05},
                   "offset": {"temperature_c": -0.3},
                   "next_due": (date.today() - timedelta(days=1)).isoformat()}
    refused = client.post(f"/api/v1/sensors/{sensor}/calibrations", json=certificate,
                          headers=_operator(hub))
    assert refused.status_code == 403
    entered = ok(client.post(f"/api/v1/sensors/{sensor}/calibrations", json=certificate,
                             headers=as_qm))
    assert (entered["entered_by"], entered["offset"]) == ("qm-cal", {"temperature_c": -0.3})
    listed = ok(client.get(f"/api/v1/sensors/{sensor}/calibrations", headers=as_qm))
    assert [c["certificate"] for c in listed] == ["DKD-K-4711/25"]
    # The alarm engine sees both: the gateway applies -0.5 where -0.3 is on record (a
    # warning), and the calibration was due yesterday (overdue: critical).
    def alarm(kind: str) -> dict[str, Any] | None:
        found = ok(client.get("/api/v1/alarms", params={"kind": kind}))
        return found[0] if found else None

    mismatch = wait_until(lambda: alarm("calibration_mismatch"), what="the mismatch alarm")
    assert (mismatch["subject"], mismatch["severity"], mismatch["zone"]) == (
        sensor, "warning", "COLD")
    assert "applies the offset temperature_c -0.50" in mismatch["message"]
    due = wait_until(lambda: alarm("calibration_due"), what="the overdue alarm")
    assert (due["subject"], due["severity"]) == (sensor, "critical")
    assert "calibration due 1 day ago" in due["message"]

    end = datetime.now(UTC) + timedelta(minutes=1)
    csv = client.get("/api/v1/reports/zones/COLD", params={
        "start": start.isoformat(), "end": end.isoformat(), "format": "csv"})
    assert csv.status_code == 200, csv.text
    header = {row.split(",", 1)[0]: row.split(",", 1)[1] for row in csv.text.splitlines()
              if "," in row}
    assert "profile xy-md02; calibration temperature_c -0.50" in header[f"sensor {sensor}"]
    line = header[f"calibration {sensor}"]
    assert "calibrated 2025-12-01, certificate DKD-K-4711/25 (Kalibrierlabor Nord)" in line
    assert "offset temperature_c -0.30" in line and "OVERDUE" in line
    assert "the gateway applies temperature_c -0.50, not the recorded offset" in line
    changes = [row for row in csv.text.splitlines() if row.startswith(f"offset change {sensor}")]
    assert [c.rsplit(": ", 1)[1] for c in changes] == ["temperature_c -0.30",
                                                        "temperature_c -0.50"]
    body = ok(client.get("/api/v1/reports/zones/COLD", params={
        "start": start.isoformat(), "end": end.isoformat()}))
    [info] = body["sensors"]
    assert (info["certificate"], info["overdue"], info["mismatch"]) == (
        "DKD-K-4711/25", True, True)


def _operator(hub: Hub) -> dict[str, str]:
    with hub.writes() as session:
        token = create_user_with_token(session, f"op-cal-{next(_ids)}", Role.OPERATOR).token
    return {"Authorization": f"Bearer {token}"}


def test_a_bad_calibration_record_is_refused_and_nothing_is_stored(
    hub: Hub, client: TestClient
) -> None:
    ok(client.post("/api/v1/sensors", json={"id": "cal-bad", "name": "x"}))
    good = {"calibrated_on": "2026-01-10", "certificate": "C-1", "laboratory": "Lab",
            "offset": {"temperature_c": 0.2}, "next_due": "2027-01-10"}
    for change, field in (({"next_due": "2026-01-10"}, "next_due"),
                          ({"offset": {"Temperature": 0.2}}, "offset"),
                          ({"offset": {"temperature_c": 500}}, "offset"),
                          ({"certificate": ""}, "certificate"),
                          ({"lab": "x"}, "lab")):
        refused = client.post("/api/v1/sensors/cal-bad/calibrations", json={**good, **change})
        assert refused.status_code == 422, (change, refused.text)
        assert field in refused.text
    missing = client.post("/api/v1/sensors/nobody/calibrations", json=good)
    assert missing.status_code == 404 and "no sensor nobody" in missing.text
    assert ok(client.get("/api/v1/sensors/cal-bad/calibrations")) == []
    assert client.get("/api/v1/sensors/nobody/calibrations").status_code == 404
