"""Historical import of a data logger's readings (issue 17, item 9), on SQLite and
PostgreSQL: through the API with a real hub (Mosquitto, VictoriaMetrics) and through
the CLI. A year-old file is accepted; unknown sensors, broken timestamps, out-of-range
values, wrong units, rows older than the retention and naive times without a zone are
refused with line and reason; importing the same file twice changes nothing (the
report, the time-series points); each import is recorded and audited; the zone
report marks the imported readings and includes their excursions; no live alarm."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.accounts.service import create_user_with_token
from hub.app import create_app
from hub.cli import app as cli
from hub.container import Hub
from kernel.actors import Role
from tests.support.mqtt import wait_until
from tests.support.running_hub import api_client, bearer_headers, ok, running_hub
from tests.support.services import Mosquitto, VictoriaMetrics

pytestmark = pytest.mark.timeout(180)
_ids = itertools.count()
M = timedelta(minutes=1)


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto, victoria: VictoriaMetrics) -> Iterator[Hub]:
    with running_hub(database_url=db_url, mqtt_url=mosquitto.url, tsdb_url=victoria.url,
                     mqtt_client_id=f"hub-import-{next(_ids)}", ingest_batch_ms=20) as hub:
        yield hub


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with api_client(hub) as client:
        yield client


def _zone(client: TestClient, n: int) -> tuple[str, str]:
    code, sensor = f"IMP{n}", f"logger-{n}"
    ok(client.post("/api/v1/storage-classes", json={
        "code": f"C{n}", "name": "fridge", "temp_min_c": 2, "temp_max_c": 8}))
    ok(client.post("/api/v1/zones", json={"code": code, "name": "Cold room",
                                          "storage_class": f"C{n}"}))
    ok(client.post("/api/v1/sensors", json={"id": sensor, "name": "logger", "zone": code}))
    return code, sensor


def _history(sensor: str, base: datetime) -> tuple[str, list[float]]:
    """A logger file, timestamps with a +08:00 offset: 2 h every 5 minutes with an
    excursion to 9.5 °C, then six rows that must be refused."""
    values = [5.0 + (i % 3) * 0.5 if not 10 <= i < 14 else 9.5 for i in range(24)]
    rows = ["sensor,timestamp,temperature_c,humidity_pct"]
    for i, value in enumerate(values):
        local = (base + i * 5 * M).astimezone(UTC) + timedelta(hours=8)
        rows.append(f"{sensor},{local:%Y-%m-%dT%H:%M:%S}+08:00,{value} °C,{40 + i % 2}")
    rows += [
        f"nobody-{sensor},{base.isoformat()},5.0,40",  # line 26: unknown sensor
        f"{sensor},31/12/2025 10:00,5.0,40",  # line 27: broken timestamp
        f"{sensor},{(base + 200 * M).isoformat()},1500,40",  # line 28: out of range
        f"{sensor},{(base + 205 * M).isoformat()},41 °F,40",  # line 29: wrong unit
        f"{sensor},{(base - timedelta(days=2000)).isoformat()},5.0,40",  # 30: too old
        f"{sensor},{(base + 210 * M).replace(tzinfo=None).isoformat()},5.0,40",  # 31: naive
    ]
    return "\n".join(rows) + "\n", values


def _report(client: TestClient, code: str, base: datetime) -> dict[str, Any]:
    body = ok(client.get(f"/api/v1/reports/zones/{code}", params={
        "start": (base - timedelta(hours=1)).isoformat(),
        "end": (base + timedelta(hours=3)).isoformat()}))
    body.pop("generated_at")
    return body


def test_an_uploaded_year_old_logger_file_is_stored_once_and_marked_in_the_report(
    hub: Hub, client: TestClient, victoria: VictoriaMetrics
) -> None:
    n = next(_ids)
    code, sensor = _zone(client, n)
    with hub.writes() as session:
        token = create_user_with_token(session, f"qm-imp-{n}", Role.SUPERVISOR).token
    as_qm = {"Authorization": f"Bearer {token}"}
    base = (datetime.now(UTC) - timedelta(days=365)).replace(minute=0, second=0,
                                                             microsecond=0)
    text, values = _history(sensor, base)

    without_reason = client.post("/api/v1/readings/imports", content=text.encode(),
                                 headers={**as_qm, "Content-Type": "text/csv"})
    assert without_reason.status_code == 422
    assert without_reason.json()["error"] == "reason_required"

    def upload() -> dict[str, Any]:
        answer = client.post("/api/v1/readings/imports", content=text.encode(),
                             params={"reason": "logger download, move to Stockwarden",
                                     "file_name": "logger.csv"},
                             headers={**as_qm, "Content-Type": "text/csv"})
        assert answer.status_code == 201, answer.text
        return answer.json()

    first = upload()
    assert (first["rows"], first["stored"], first["already_stored"], first["refused"]) == (
        30, 48, 0, 6)
    assert first["imported_by"] == f"qm-imp-{n}" and first["file_name"] == "logger.csv"
    refused = ok(client.get(f"/api/v1/readings/imports/{first['id']}/refused",
                            headers=as_qm))
    reasons = {r["line"]: r["reason"] for r in refused}
    assert sorted(reasons) == [26, 27, 28, 29, 30, 31]
    assert "unknown sensor" in reasons[26]
    assert "not ISO 8601" in reasons[27]
    assert "1500 is outside" in reasons[28]
    assert "unit '°F'" in reasons[29]
    assert "older than the retention" in reasons[30]
    assert "--timezone" in reasons[31]
    csv_text = client.get(f"/api/v1/readings/imports/{first['id']}/refused",
                          params={"format": "csv"}, headers=as_qm).text
    assert csv_text.splitlines()[0] == "line,reason" and len(csv_text.splitlines()) == 7

    report = _report(client, code, base)
    (summary,) = [s for s in report["summaries"] if s["quantity"] == "temperature_c"]
    assert summary["readings"] == 24
    assert (summary["min"], summary["max"]) == (min(values), max(values))
    (excursion,) = report["excursions"]
    assert datetime.fromisoformat(excursion["start"]) == base + 50 * M
    assert datetime.fromisoformat(excursion["end"]) == base + 70 * M
    assert excursion["peak"] == 9.5
    assert excursion["seconds_min"] == 20 * 60  # 4 readings held 5 minutes each
    (share,) = report["origin"]["imported"]
    assert (share["import_id"], share["sensor"], share["readings"]) == (first["id"], sensor, 48)
    assert any("historical import" in note for note in report["notes"])
    csv_report = client.get(f"/api/v1/reports/zones/{code}", params={
        "start": (base - timedelta(hours=1)).isoformat(),
        "end": (base + timedelta(hours=3)).isoformat(), "format": "csv"}).text
    assert "# imported readings" in csv_report and "logger.csv" in csv_report

    match = f'{{__name__="reading_temperature_c",sensor="{sensor}"}}'
    wait_until(lambda: victoria.sample_count(match) == 24, what="24 points in the store")

    second = upload()
    assert (second["stored"], second["already_stored"], second["refused"]) == (0, 48, 6)
    assert _report(client, code, base) == report
    assert victoria.sample_count(match) == 24
    listed = ok(client.get("/api/v1/readings/imports", headers=as_qm))
    assert [i["id"] for i in listed][:2] == [second["id"], first["id"]]
    assert listed[0]["sha256"] == first["sha256"] and len(first["sha256"]) == 64

    trail = ok(client.get("/api/v1/audit", params={"entity": "readings", "limit": 1000}))
    mine = [r for r in trail if r["key"] in (str(first["id"]), str(second["id"]))]
    assert [r["action"] for r in mine] == ["import", "import finished"] * 2
    assert mine[0]["reason"] == "logger download, move to Stockwarden"
    assert mine[0]["actor"] == f"qm-imp-{n}"
    # History raises no live alarm, though it went beyond the limit.
    assert [a for a in ok(client.get("/api/v1/alarms")) if sensor in a["subject"]] == []
    latest = ok(client.get("/api/v1/readings/latest", params={"sensor": sensor}))
    assert latest == []


def test_an_operator_cannot_import(client: TestClient, hub: Hub) -> None:
    with hub.writes() as session:
        token = create_user_with_token(session, f"op-imp-{next(_ids)}", Role.OPERATOR).token
    answer = client.post("/api/v1/readings/imports", content=b"sensor,timestamp\n",
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "text/csv"})
    assert answer.status_code == 403


def test_a_file_with_an_unknown_column_is_refused_whole(client: TestClient) -> None:
    answer = client.post("/api/v1/readings/imports", params={"reason": "try"},
                         content=b"sensor,timestamp,temperature_f\nx,2026-01-01T00:00Z,41\n",
                         headers={"Content-Type": "text/csv"})
    assert answer.status_code == 422
    assert "unknown column(s) temperature_f" in answer.json()["detail"]


def test_the_cli_imports_local_times_in_the_zone_it_is_given(
    db_url: str, tmp_path: Path
) -> None:
    from hub.settings import load_settings

    hub = Hub.build(load_settings(database_url=db_url))
    n = next(_ids)
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        code, sensor = _zone(client, 1000 + n)
        hub_config = tmp_path / "hub.toml"
        hub_config.write_text(f'database_url = "{db_url}"\nmqtt_url = "mqtt://127.0.0.1:1"\n')
        local = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(days=40)
        shanghai = local + timedelta(hours=8)  # Asia/Shanghai: UTC+8, no DST
        rows = [f"{sensor},{(shanghai + i * M).replace(tzinfo=None):%Y-%m-%d %H:%M:%S},"
                f"{5 + i % 2}" for i in range(1200)]
        data = tmp_path / "logger.csv"
        data.write_text("sensor,timestamp,temperature_c\n" + "\n".join(rows) + "\n")
        args = ["import", "readings", str(data), "--config", str(hub_config)]
        no_zone = CliRunner().invoke(cli, [*args, "--reason", "history"])
        assert no_zone.exit_code == 1, no_zone.output
        assert "1200 rows refused" in no_zone.output
        done = CliRunner().invoke(cli, [*args, "--timezone", "Asia/Shanghai", "--reason",
                                        "history", "--report", str(tmp_path / "r.csv")])
        assert done.exit_code == 0, done.output
        assert "1200 values stored" in done.output
        report = ok(client.get(f"/api/v1/reports/zones/{code}", params={
            "start": local.isoformat(), "end": (local + 10 * M).isoformat()}))
        (summary,) = report["summaries"]
        assert (summary["readings"], summary["min"], summary["max"]) == (10, 5.0, 6.0)
        again = CliRunner().invoke(cli, [*args, "--timezone", "Asia/Shanghai", "--reason",
                                         "again"])
        assert again.exit_code == 0 and "0 values stored, 1200 stored before" in again.output
    hub.engine.dispose()



def test_a_multipart_upload_names_its_file_and_too_large_a_body_is_a_413(
    client: TestClient, hub: Hub
) -> None:
    _code, sensor = _zone(client, 2000 + next(_ids))
    at = (datetime.now(UTC) - timedelta(days=90)).replace(microsecond=0)
    data = (f"sensor,timestamp,temperature_c\n{sensor},{at.isoformat()},5.5\n"
            f"{sensor},{at.isoformat()},5.6\n").encode()
    done = ok(client.post("/api/v1/readings/imports", params={"reason": "multipart"},
                          files={"file": ("dickson-export.csv", data, "text/csv")}))
    assert (done["file_name"], done["stored"], done["refused"]) == ("dickson-export.csv", 1, 1)
    (twice,) = ok(client.get(f"/api/v1/readings/imports/{done['id']}/refused"))
    assert twice["line"] == 3 and "is already on line 2" in twice["reason"]
    huge = data + b"x" * hub.settings.http_max_body_bytes
    answer = client.post("/api/v1/readings/imports", params={"reason": "too big"},
                         content=huge, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 413
