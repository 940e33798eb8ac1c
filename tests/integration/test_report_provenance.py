"""Named regressions of the zone report (issue 17), on SQLite and PostgreSQL:

- item 4 / issue 18 item 6: a short period inside an hour (19:01-19:10) had "no
  readings in the period" and a 0-reading day row with an MKT, because the figures
  came from the whole UTC hours that begin in the period. Every figure is now that of
  the readings inside the period.
- item 2: readings taken while a sensor's calibration was overdue are marked, with
  their count per sensor and the intervals."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from contract.wire import Reading, Telemetry, TopicParts
from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from ingest.compliance import mkt_of
from ingest.store import Accepted, IngestStore
from tests.support.auth import bearer_headers
from tests.support.running_hub import ok

_ids = itertools.count()
M = timedelta(minutes=1)


@pytest.fixture
def hub(db_url: str) -> Iterator[Hub]:
    hub = Hub.build(load_settings(database_url=db_url))
    yield hub
    hub.engine.dispose()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        yield client


def _zone(client: TestClient) -> tuple[str, str]:
    n = next(_ids)
    code, sensor = f"SP{n}", f"sp-{n}"
    ok(client.post("/api/v1/storage-classes", json={
        "code": f"SPC{n}", "name": "fridge", "temp_min_c": 2, "temp_max_c": 8}))
    ok(client.post("/api/v1/zones", json={"code": code, "name": "Cold",
                                          "storage_class": f"SPC{n}"}))
    ok(client.post("/api/v1/sensors", json={"id": sensor, "name": "s", "zone": code}))
    return code, sensor


def _ingest(hub: Hub, sensor: str, points: list[tuple[datetime, float]]) -> None:
    gateway = f"gw-sp-{next(_ids)}"
    IngestStore(hub.sessions).commit_batch([Accepted(
        TopicParts("site", gateway, "telemetry"), Telemetry(gateway=gateway, seq=1, readings=[
            Reading(sensor=sensor, ts=ts, quantities={"temperature_c": value})
            for ts, value in points]))], datetime.now(UTC))


def test_a_period_inside_an_hour_has_the_readings_inside_it(hub: Hub, client: TestClient
                                                              ) -> None:
    code, sensor = _zone(client)
    day = (datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)
    # A reading every minute from 18:00 to 20:59: 4.0 before 19:01, 6.0 + i/10 inside
    # 19:01-19:10, 3.0 after.
    points = []
    for i in range(180):
        at = day + timedelta(hours=18) + i * M
        inside = day + timedelta(hours=19, minutes=1) <= at < day + timedelta(hours=19,
                                                                               minutes=10)
        points.append((at, 6.0 + (at.minute - 1) / 10 if inside else
                       4.0 if at.hour < 19 or at.minute == 0 else 3.0))
    _ingest(hub, sensor, points)
    start, end = day + timedelta(hours=19, minutes=1), day + timedelta(hours=19, minutes=10)
    report = ok(client.get(f"/api/v1/reports/zones/{code}", params={
        "start": start.isoformat(), "end": end.isoformat()}))
    wanted = [6.0 + i / 10 for i in range(9)]
    (summary,) = report["summaries"]
    assert (summary["readings"], summary["min"], summary["max"]) == (9, 6.0, 6.8)
    assert summary["mean"] == pytest.approx(sum(wanted) / 9)
    (row,) = report["days"]
    assert (row["readings"], row["min"], row["max"]) == (9, 6.0, 6.8)
    # The MKT is the window's that ends with the period: 24 h back from 19:10.
    window = [v for ts, v in points if end - timedelta(hours=24) <= ts < end]
    assert row["mkt"]["mkt_c"] == pytest.approx(mkt_of(window), abs=1e-6)
    assert row["mkt"]["readings"] == len(window)
    assert [p["min"] for p in report["chart"]["temperature_c"]] == [6.0]
    assert not any("no readings" in note for note in report["notes"])
    csv_text = client.get(f"/api/v1/reports/zones/{code}", params={
        "start": start.isoformat(), "end": end.isoformat(), "format": "csv"}).text
    assert f"{sensor},temperature_c,9,6.00,6.80" in csv_text


def test_readings_taken_while_calibration_was_overdue_are_marked(
    hub: Hub, client: TestClient
) -> None:
    code, sensor = _zone(client)
    day = (datetime.now(UTC) - timedelta(days=20)).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    # Due on day+2, recalibrated on day+5: readings of days 2, 3 and 4 were overdue.
    ok(client.post(f"/api/v1/sensors/{sensor}/calibrations", json={
        "calibrated_on": str((day - timedelta(days=365)).date()), "certificate": "C-1",
        "laboratory": "lab", "next_due": str((day + timedelta(days=2)).date())}))
    ok(client.post(f"/api/v1/sensors/{sensor}/calibrations", json={
        "calibrated_on": str((day + timedelta(days=5)).date()), "certificate": "C-2",
        "laboratory": "lab", "next_due": str((day + timedelta(days=365)).date())}))
    _ingest(hub, sensor, [(day + timedelta(hours=6 * i), 5.0) for i in range(28)])
    report = ok(client.get(f"/api/v1/reports/zones/{code}", params={
        "start": day.isoformat(), "end": (day + timedelta(days=7)).isoformat()}))
    (overdue,) = report["origin"]["overdue"]
    assert overdue["sensor"] == sensor and overdue["readings"] == 12  # 3 days x 4
    assert overdue["start"].startswith(str((day + timedelta(days=2)).date()))
    assert overdue["end"].startswith(str((day + timedelta(days=5)).date()))
    assert any(f"12 reading(s) of sensor {sensor} were taken while its calibration was "
               "overdue" in note for note in report["notes"])
    csv_text = client.get(f"/api/v1/reports/zones/{code}", params={
        "start": day.isoformat(), "end": (day + timedelta(days=7)).isoformat(),
        "format": "csv"}).text
    section = csv_text.split("# readings while calibration overdue\n")[1].splitlines()
    assert section[0] == "sensor,due,from,to,readings"
    assert section[1].startswith(f"{sensor},{(day + timedelta(days=2)).date()},")
    assert section[1].endswith(",12")
