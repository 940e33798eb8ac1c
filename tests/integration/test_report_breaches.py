"""Issue 17's defects 1, 2, 3 and 10, as a quality manager sees them: the zone report's
JSON, CSV, PDF and CLI on SQLite and PostgreSQL, from readings through the ingest store.
Time out of range comes from the readings against the storage class's limits, clipped
to the period; day rows follow the site's time zone (docs/reports.md)."""

from __future__ import annotations

import csv
import io
import itertools
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contract.wire import Reading, Telemetry, TopicParts
from hub.app import create_app
from hub.cli import app as cli
from hub.container import Hub
from hub.settings import load_settings
from ingest.orm import Sensor
from ingest.store import Accepted, IngestStore
from kernel.orm import StorageClass, Zone
from tests.support.auth import bearer_headers

_ids = itertools.count()
M = timedelta(minutes=1)
H = timedelta(hours=1)
DAY = (datetime.now(UTC) - timedelta(days=5)).replace(hour=0, minute=0, second=0,
                                                       microsecond=0)


def _hub(db_url: str, **settings: object) -> Hub:
    return Hub.build(load_settings(database_url=db_url, **settings))


@pytest.fixture
def hub(db_url: str) -> Iterator[Hub]:
    hub = _hub(db_url)
    yield hub
    hub.engine.dispose()


def _zone(hub: Hub) -> tuple[str, str]:
    n = next(_ids)
    code, sensor = f"COLD{n}", f"probe{n}"
    with hub.writes() as session, session.begin():
        klass = StorageClass(code=f"C{n}", name="2-8", temp_min_c=2.0, temp_max_c=8.0)
        session.add(klass)
        session.flush()
        zone = Zone(code=code, name="cold room", storage_class_id=klass.id)
        session.add(zone)
        session.flush()
        session.add(Sensor(id=sensor, name="probe", zone_id=zone.id))
    return code, sensor


def _send(hub: Hub, sensor: str, points: list[tuple[datetime, float]]) -> None:
    """Through the ingest store, fifty readings a message, as a gateway batches them."""
    store = IngestStore(hub.sessions)
    for index in range(0, len(points), 50):
        chunk = points[index:index + 50]
        store.commit_batch([Accepted(TopicParts("site", "gw-b", "telemetry"), Telemetry(
            gateway="gw-b", seq=next(_ids) + 10_000_000, readings=[
                Reading(sensor=sensor, ts=ts, quantities={"temperature_c": value})
                for ts, value in chunk]))], datetime.now(UTC))


def _minutes(start: datetime, end: datetime, value: float) -> list[tuple[datetime, float]]:
    return [(start + i * M, value) for i in range(int((end - start) / M))]


def _report(hub: Hub, code: str, start: datetime, end: datetime, fmt: str = "json"
            ) -> object:
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        answer = client.get(f"/api/v1/reports/zones/{code}", params={
            "start": start.isoformat(), "end": end.isoformat(), "format": fmt})
        assert answer.status_code == 200, answer.text
        return answer.json() if fmt == "json" else answer.text if fmt == "csv" else answer.content


def _section(text: str, name: str) -> list[dict[str, str]]:
    lines = text.split(f"# {name}\n", 1)[1].split("\n\n", 1)[0]
    return list(csv.DictReader(io.StringIO(lines)))


def test_defect_1_time_above_is_clipped_to_the_period_and_a_cut_excursion_says_so(
        hub: Hub, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, sensor = _zone(hub)
    at = DAY + 10 * H
    # 12.0 °C from 10:40; the first reading back in range at 11:27.
    _send(hub, sensor, _minutes(at - H, at + 40 * M, 5.0) + _minutes(at + 40 * M, at + 87 * M,
                                                                    12.0)
          + _minutes(at + 87 * M, at + 3 * H, 5.0))
    start, end = DAY + 11 * H, DAY + 12 * H
    report = _report(hub, code, start, end)
    assert isinstance(report, dict)
    (summary,) = report["summaries"]
    assert round(summary["above_s_min"] / 3600, 2) == 0.45
    assert summary["above_s_min"] == summary["above_s_max"] == 27 * 60
    (excursion,) = report["excursions"]
    assert (excursion["start"], excursion["end"]) == ((at + 40 * M).isoformat(),
                                                      (at + 87 * M).isoformat())
    assert (excursion["inside_start"], excursion["inside_end"]) == (
        start.isoformat(), (at + 87 * M).isoformat())
    assert excursion["seconds_min"] == 47 * 60 and excursion["inside_s_min"] == 27 * 60
    assert excursion["cut"] is True and excursion["ongoing"] is False

    text = _report(hub, code, start, end, "csv")
    assert isinstance(text, str)
    (row,) = _section(text, "excursions")
    assert (row["start"], row["end"], row["hours out"], row["in period"],
            row["hours in period"], row["cut"]) == (
        f"{at + 40 * M:%Y-%m-%d %H:%M}", f"{at + 87 * M:%Y-%m-%d %H:%M}", "0.78",
        f"{start:%Y-%m-%d %H:%M} to {at + 87 * M:%Y-%m-%d %H:%M}", "0.45",
        "began before the period")
    assert _section(text, "summary")[0]["hours above"] == "0.45"

    pdf = _report(hub, code, start, end, "pdf")
    assert isinstance(pdf, bytes)
    if shutil.which("pdftotext") is not None:
        (tmp_path / "r.pdf").write_bytes(pdf)
        shown = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                               capture_output=True, text=True, check=True).stdout
        assert "0.45" in shown and "began before the period" in shown

    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["report", "zone", code, "--from", start.isoformat(),
                                      "--to", end.isoformat(), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert _section(result.stdout, "excursions") == _section(text, "excursions")


def test_defect_1_a_day_counts_only_its_part_of_an_excursion_begun_the_day_before(
        hub: Hub) -> None:
    code, sensor = _zone(hub)
    # 12.0 °C from 23:35 the day before to the first reading back in at 01:07.
    _send(hub, sensor, _minutes(DAY - 2 * H, DAY - 25 * M, 5.0)
          + _minutes(DAY - 25 * M, DAY + 67 * M, 12.0) + _minutes(DAY + 67 * M, DAY + 3 * H,
                                                                  5.0))
    report = _report(hub, code, DAY, DAY + 24 * H)
    assert isinstance(report, dict)
    (summary,) = report["summaries"]
    assert round(summary["above_s_min"] / 3600, 2) == 1.12
    (excursion,) = report["excursions"]
    assert round(excursion["seconds_min"] / 3600, 2) == 1.53  # shown whole, beside ...
    assert excursion["inside_s_min"] == 67 * 60  # ... the part inside the day
    assert excursion["start"] == (DAY - 25 * M).isoformat()
    assert report["days"][0]["above_s"] == 67 * 60


def test_defect_2_an_excursion_still_going_counts_to_the_period_end_or_now(hub: Hub) -> None:
    code, sensor = _zone(hub)
    evening = DAY + 22 * H
    _send(hub, sensor, _minutes(DAY, evening, 5.0) + _minutes(evening, evening + 3 * H, 9.0)
          + _minutes(evening + 3 * H, evening + 4 * H, 5.0))
    report = _report(hub, code, DAY, DAY + 24 * H)
    assert isinstance(report, dict)
    (summary,) = report["summaries"]
    assert summary["above_s_min"] == 2 * 3600  # not 21.17 h
    (excursion,) = report["excursions"]
    assert excursion["end"] == (evening + 3 * H).isoformat() and excursion["cut"]
    text = _report(hub, code, DAY, DAY + 24 * H, "csv")
    assert isinstance(text, str)
    assert _section(text, "excursions")[0]["cut"] == "ended after the period"
    assert _section(text, "days")[0]["hours above"] == "2.00"

    # Still going now: counted up to now, and marked ongoing.
    code, sensor = _zone(hub)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _send(hub, sensor, _minutes(now - 2 * H, now - 90 * M, 5.0) + _minutes(now - 90 * M, now,
                                                                           9.0))
    today = now.replace(hour=0, minute=0)
    report = _report(hub, code, today - 24 * H, today + 24 * H)
    assert isinstance(report, dict)
    (excursion,) = report["excursions"]
    assert excursion["end"] is None and excursion["ongoing"] is True
    assert 90 * 60 <= report["summaries"][0]["above_s_min"] <= 92 * 60
    text = _report(hub, code, today - 24 * H, today + 24 * H, "csv")
    assert isinstance(text, str)
    row = _section(text, "excursions")[0]
    assert row["end"] == "ongoing" and "ongoing" in row["cut"]


def test_defect_3_warnings_and_values_at_a_limit_are_no_limit_breach(hub: Hub) -> None:
    from alerts.orm import Excursion

    code, sensor = _zone(hub)
    # 7.8 °C for 30 minutes (a warning in a 2-8 °C zone), then exactly 8.0 and 2.0.
    _send(hub, sensor, _minutes(DAY, DAY + 30 * M, 7.8) + _minutes(DAY + 30 * M, DAY + H, 5.0)
          + _minutes(DAY + H, DAY + 2 * H, 8.0) + _minutes(DAY + 2 * H, DAY + 4 * H, 2.0))
    with hub.writes() as session, session.begin():
        # The alarm engine's record starts at the warning level: alarm history, no breach.
        session.add(Excursion(sensor=sensor, quantity="temperature_c", zone=code, start=DAY,
                              end=DAY + 30 * M, peak=7.8, side="above", severity="warning",
                              above_s=30 * 60))
    report = _report(hub, code, DAY, DAY + 24 * H)
    assert isinstance(report, dict)
    assert report["excursions"] == []
    (summary,) = report["summaries"]
    assert (summary["above_s_max"], summary["below_s_max"]) == (0.0, 0.0)
    assert report["zone_time"][0]["above_s_max"] == report["zone_time"][0]["below_s_max"] == 0
    assert report["excursion_source"].startswith("readings against the storage class")
    text = _report(hub, code, DAY, DAY + 24 * H, "csv")
    assert isinstance(text, str)
    assert _section(text, "excursions") == []
    assert (_section(text, "summary")[0]["hours above"],
            _section(text, "summary")[0]["hours below"]) == ("0.00", "0.00")


def test_defect_10_day_rows_follow_the_sites_local_days(db_url: str) -> None:
    hub = _hub(db_url, site_timezone="Asia/Shanghai")
    try:
        code, sensor = _zone(hub)
        # Every 10 minutes for two UTC days; above 8 °C from 15:00 to 17:00 UTC, which
        # holds Shanghai's midnight (16:00 UTC).
        points = [(DAY + i * 10 * M, 9.0 if 15 * 6 <= i < 17 * 6 else 5.0)
                  for i in range(2 * 24 * 6)]
        _send(hub, sensor, points)
        report = _report(hub, code, DAY, DAY + 48 * H)
        assert isinstance(report, dict)
        assert report["time_zone"] == "Asia/Shanghai"
        days = [(d["day"], d["readings"], d["above_s"]) for d in report["days"]]
        local = f"{DAY:%Y-%m-%d}T00:00:00+08:00"
        assert days[0] == (local, 16 * 6, 3600.0)  # 08:00 to midnight local
        assert days[1][1:] == (24 * 6, 3600.0) and days[2][1] == 8 * 6
        text = _report(hub, code, DAY, DAY + 48 * H, "csv")
        assert isinstance(text, str)
        header = {r["field"]: r["value"] for r in _section(text, "report")}
        assert header["days"] == "local days of Asia/Shanghai (the site's time zone)"
        assert "Asia/Shanghai" in header["period"]
        assert _section(text, "days")[0]["day"] == f"{DAY:%Y-%m-%d}"
    finally:
        hub.engine.dispose()
    utc = _hub(db_url)
    try:
        report = _report(utc, code, DAY, DAY + 48 * H)
        assert isinstance(report, dict)
        assert [(d["readings"], d["above_s"]) for d in report["days"]] == [
            (144, 7200.0), (144, 0.0)]
    finally:
        utc.engine.dispose()
