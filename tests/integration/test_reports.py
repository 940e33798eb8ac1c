"""Compliance reports from readings that went through the real ingest path (Mosquitto,
the hub, SQLite and PostgreSQL): the stored hourly kinetic sums and gaps match the pure
computation over the readings, and the zone report's PDF renders and carries the
numbers of its CSV."""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract import wire
from hub.app import create_app
from hub.container import Hub, assemble
from hub.settings import load_settings
from ingest.compliance import mkt_of
from ingest.rollup import GAS_CONSTANT, KELVIN
from tests.support.auth import bearer_headers
from tests.support.mqtt import publish_raw, wait_until
from tests.support.report_oracle import Point, check, compute
from tests.support.services import Mosquitto

_ids = itertools.count()
DELTA_H = 90_000.0
M = timedelta(minutes=1)


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto) -> Iterator[Hub]:
    settings = load_settings(database_url=db_url, mqtt_url=mosquitto.url,
                             mqtt_client_id=f"hub-reports-{next(_ids)}", ingest_batch_ms=20)
    hub = assemble(settings)
    hub.start()
    wait_until(hub.ingest.subscriber.connected.is_set, what="hub connected")
    yield hub
    hub.stop()


def series(base: datetime) -> list[tuple[datetime, float]]:
    """4 hours: steady; a 55-minute gap; 10 °C every 5 minutes (out of 2-8 °C); steady."""
    points = [(base + m * M, 5.0) for m in range(0, 60, 10)]
    points += [(base + 60 * M + m * M, 6.0) for m in (0, 10, 20)]
    points += [(base + 120 * M + m * M, 9.0 + (m % 10) / 10) for m in range(15, 60, 5)]
    points += [(base + 180 * M + m * M, 5.0) for m in range(0, 60, 10)]
    return points


def expected_hours(points: list[tuple[datetime, float]]) -> dict[datetime, dict[str, float]]:
    by_hour: dict[datetime, list[tuple[datetime, float]]] = {}
    for ts, value in points:
        by_hour.setdefault(ts.replace(minute=0), []).append((ts, value))
    result = {}
    for hour, rows in by_hour.items():
        stamps = sorted(ts for ts, _ in rows)
        result[hour] = {
            "count": len(rows),
            "exp_sum": sum(math.exp(-DELTA_H / (GAS_CONSTANT * (v + KELVIN))) for _, v in rows),
            "max_gap_s": max((b - a).total_seconds() for a, b in itertools.pairwise(stamps))
            if len(stamps) > 1 else 0.0,
            "first_ts": stamps[0], "last_ts": stamps[-1],
        }
    return result


def test_the_zone_report_from_real_ingest(hub: Hub, mosquitto: Mosquitto, tmp_path: Path
                                          ) -> None:
    gateway, sensor = f"gw-r{next(_ids)}", f"rep-{next(_ids)}"
    zone = f"cold-{gateway}"
    base = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    points = series(base)
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        klass = f"c{gateway}"
        assert client.post("/api/v1/storage-classes", json={
            "code": klass, "name": "Cold", "temp_min_c": 2.0, "temp_max_c": 8.0,
            "mkt_delta_h": DELTA_H}).status_code == 201
        assert client.post("/api/v1/zones", json={
            "code": zone, "name": "Cold room", "storage_class": klass}).status_code == 201
        assert client.post("/api/v1/sensors", json={"id": sensor, "zone": zone}
                           ).status_code == 201
        topic = wire.gateway_topic("site-r", gateway, "telemetry")
        # One reading per message; the last hour's in reverse order (batches merge).
        ordered = points[:-6] + points[-6:][::-1]
        publish_raw(mosquitto.port, topic, [
            wire.encode(wire.Telemetry(gateway=gateway, seq=seq, readings=[wire.Reading(
                sensor=sensor, ts=ts, quantities={"temperature_c": value})]))
            for seq, (ts, value) in enumerate(ordered)])
        start, end = base.isoformat(), (base + timedelta(hours=4)).isoformat()
        wait_until(lambda: sum(h["count"] for h in client.get(
            f"/api/v1/sensors/{sensor}/hourly", params={"start": start, "end": end}).json())
            == len(points), what="every reading stored")

        stored = {h.hour: h for h in _stored_hours(hub, sensor)}
        for hour, want in expected_hours(points).items():
            got = stored[hour]
            assert got.count == want["count"]
            assert got.delta_h == DELTA_H
            assert got.exp_sum == pytest.approx(want["exp_sum"], rel=1e-9)
            assert got.max_gap_s == pytest.approx(want["max_gap_s"], abs=0.01)
            assert (got.first_ts, got.last_ts) == (want["first_ts"], want["last_ts"])

        report = client.get(f"/api/v1/reports/zones/{zone}",
                            params={"start": start, "end": end}).json()
        assert report["complete"] is False
        gaps = report["gaps"]
        assert any(g["seconds"] == 55 * 60 and not g["within_hour"] for g in gaps)
        assert any(g["within_hour"] and g["allowed_s"] == 120 for g in gaps)
        (excursion,) = report["excursions"]
        assert (excursion["side"], excursion["peak"]) == ("above", 9.5)
        # 02:15 to the first reading back in range at 03:00, each reading held 5 minutes.
        assert report["summaries"][0]["above_s_min"] == 45 * 60
        # Every figure, recomputed from the readings sent over MQTT.
        oracle = compute([Point(sensor, ts, value) for ts, value in points], [sensor], 2.0,
                         8.0, base, base + timedelta(hours=4), now=datetime.now(UTC),
                         hold_s=1800, delta_h=DELTA_H, window_h=24)
        check(report, oracle, [sensor])
        kinetic = report["days"][-1]["mkt"]
        assert kinetic["mkt_c"] == pytest.approx(mkt_of([v for _, v in points], DELTA_H))
        assert kinetic["has_excursion"] is True

        text_csv = client.get(f"/api/v1/reports/zones/{zone}",
                              params={"start": start, "end": end, "format": "csv"})
        assert text_csv.headers["content-type"].startswith("text/csv")
        pdf = client.get(f"/api/v1/reports/zones/{zone}",
                         params={"start": start, "end": end, "format": "pdf"})
        assert pdf.headers["content-type"] == "application/pdf"
    numbers = _numbers_of_the_csv(text_csv.text)
    assert numbers, text_csv.text
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    text = _pdf_text(tmp_path / "report.pdf")
    missing = [n for n in numbers if n not in text]
    assert not missing, f"not in the PDF: {missing}"
    assert f"{kinetic['mkt_c']:.2f}" in text and sensor in text and "generated by" in text
    png = _render_first_page(tmp_path / "report.pdf", tmp_path / "page")
    assert png.stat().st_size > 10_000


def _stored_hours(hub: Hub, sensor: str) -> list:  # type: ignore[type-arg]
    from sqlalchemy import select

    from ingest.orm import HourlyStat

    with hub.sessions() as session:
        return list(session.scalars(select(HourlyStat).where(HourlyStat.sensor_id == sensor)))


def _numbers_of_the_csv(text: str) -> list[str]:
    """The summary's and the days' figures (min, max, mean, MKT)."""
    section, numbers = "", []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("# "):
            section = row[0][2:]
            continue
        if section == "summary" and row and row[0] != "sensor":
            numbers += row[3:6]
        if section == "days" and row and row[0] != "day":
            numbers += [v for v in row[4:8] if v]
    return numbers


def _sections(text: str) -> dict[str, list[list[str]]]:
    """A sectioned CSV's rows by section (`# name` rows)."""
    found: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("# "):
            rows = found.setdefault(row[0][2:], [])
        elif row:
            rows.append(row)
    return found


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: ./run installs poppler-utils")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _render_first_page(path: Path, prefix: Path) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(prefix)], check=True, capture_output=True)
    (png,) = prefix.parent.glob(f"{prefix.name}*.png")
    return png


def test_the_zone_report_in_chinese_and_a_refusal_in_the_readers_language(
        hub: Hub, mosquitto: Mosquitto, tmp_path: Path) -> None:
    """?lang=zh-CN: the PDF's headings in Chinese, printed in the CJK font (pdftotext reads
    the glyphs back, no '?'); Accept-Language: zh-CN: the CSV's headings and a 422's
    `detail` in Chinese, its `error` code unchanged; numbers and times stay ISO."""
    gateway, sensor = f"gw-r{next(_ids)}", f"rep-{next(_ids)}"
    zone = f"cn-{gateway}"
    base = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    points = [(base + m * 10 * M, 5.0 + m / 10) for m in range(12)]
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        klass = f"c{gateway}"
        assert client.post("/api/v1/storage-classes", json={
            "code": klass, "name": "Cold", "temp_min_c": 2.0, "temp_max_c": 8.0}
        ).status_code == 201
        assert client.post("/api/v1/zones", json={
            "code": zone, "name": "冷库一号", "storage_class": klass}).status_code == 201
        assert client.post("/api/v1/sensors", json={"id": sensor, "zone": zone}
                           ).status_code == 201
        publish_raw(mosquitto.port, wire.gateway_topic("site-r", gateway, "telemetry"), [
            wire.encode(wire.Telemetry(gateway=gateway, seq=seq, readings=[wire.Reading(
                sensor=sensor, ts=ts, quantities={"temperature_c": value})]))
            for seq, (ts, value) in enumerate(points)])
        start, end = base.isoformat(), (base + timedelta(hours=2)).isoformat()
        wait_until(lambda: sum(h["count"] for h in client.get(
            f"/api/v1/sensors/{sensor}/hourly", params={"start": start, "end": end}).json())
            == len(points), what="every reading stored")
        period = {"start": start, "end": end}
        chinese_pdf = client.get(f"/api/v1/reports/zones/{zone}",
                                 params={**period, "format": "pdf", "lang": "zh-CN"})
        english_pdf = client.get(f"/api/v1/reports/zones/{zone}",
                                 params={**period, "format": "pdf"})
        chinese_csv = client.get(f"/api/v1/reports/zones/{zone}",
                                 params={**period, "format": "csv"},
                                 headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
        english_csv = client.get(f"/api/v1/reports/zones/{zone}",
                                 params={**period, "format": "csv"})
        refused = client.get(f"/api/v1/reports/zones/{zone}",
                             params={"start": end, "end": start},
                             headers={"Accept-Language": "zh-CN"})
        refused_en = client.get(f"/api/v1/reports/zones/{zone}",
                                params={"start": end, "end": start})
        bad_lang = client.get(f"/api/v1/reports/zones/{zone}",
                              params={**period, "format": "pdf", "lang": "fr"},
                              headers={"Accept-Language": "zh-CN"})

    assert chinese_pdf.status_code == 200, chinese_pdf.text
    (tmp_path / "zh.pdf").write_bytes(chinese_pdf.content)
    (tmp_path / "en.pdf").write_bytes(english_pdf.content)
    text = _pdf_text(tmp_path / "zh.pdf")
    for heading in ("储存条件：区域", "冷库一号", "期间汇总", "记录中断", "温度 (°C)",  # noqa: RUF001
                    "传感器", "生成人"):
        assert heading in text, f"{heading!r} not in the Chinese PDF:\n{text}"
    assert re.search(r"第\s*1\s*页", text), text  # the footer's page number
    assert "Summary over the period" not in text and "?" * 2 not in text
    assert sensor in text and base.strftime("%Y-%m-%d %H:%M") in text  # ISO, as in English
    english = _pdf_text(tmp_path / "en.pdf")
    assert "Summary over the period" in english and "期间汇总" not in english

    assert "# 汇总" in chinese_csv.text and "传感器,量,读数" in chinese_csv.text
    assert "# summary" in english_csv.text and "sensor,quantity,readings" in english_csv.text
    zh, en = _sections(chinese_csv.text), _sections(english_csv.text)
    assert zh["汇总"][1:] == en["summary"][1:] and en["summary"][1:]  # the very same figures

    assert refused.status_code == refused_en.status_code == 422
    assert refused.json() == {"error": "bad_period", "detail": "结束时间必须晚于开始时间"}
    assert refused_en.json() == {"error": "bad_period", "detail": "end must be after start"}
    assert bad_lang.status_code == 422 and bad_lang.json()["error"] == "invalid_request"
