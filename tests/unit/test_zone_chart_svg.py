"""The zone report's chart as the hub draws it for the reports page: a well-formed SVG
with the limits as dashed lines at their values, the excursion shaded, the text
escaped, nothing that runs or loads; a period without readings says so."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from hub.reports.svg import zone_chart_svg
from hub.reports.zone import ChartPoint, ZoneReport
from ingest.compliance import ExcursionPeriod, Limits

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 12, 1, tzinfo=UTC)


def report(points: list[ChartPoint], name: str = "Cold <room> & co") -> ZoneReport:
    excursion = ExcursionPeriod(sensor="c1", quantity="temperature_c", side="above",
                                start=START + timedelta(hours=2), end=START + timedelta(hours=3),
                                peak=9.5, seconds_min=3600, seconds_max=3600,
                                source="alarm engine")
    return ZoneReport(
        site="main", zone="cold", zone_name=name, storage_class="2-8C",
        limits={"temperature_c": Limits(2.0, 8.0)}, start=START, end=START + timedelta(hours=6),
        sensors=[], delta_h=83.144, mkt_window_h=24, summaries=[], days=[],
        excursions=[excursion], gaps=[], chart={"temperature_c": points} if points else {},
        excursion_source="alarm engine", generated_at=START, generated_by="qa")


def test_the_chart_draws_band_mean_limits_and_the_excursion() -> None:
    points = [ChartPoint(START + timedelta(hours=h), 4.0 + h, 5.0 + h, 4.5 + h) for h in range(6)]
    svg = zone_chart_svg(report(points))
    root = ET.fromstring(svg)  # well-formed, or this raises
    assert root.tag == f"{SVG}svg"
    assert "Cold <room> & co" in root.findtext(f"{SVG}title", "")
    limits = root.findall(f".//{SVG}line[@class='limit']")
    assert len(limits) == 2 and all(line.get("stroke-dasharray") for line in limits)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "limit 8 °C" in texts and "limit 2 °C" in texts
    # The higher limit is drawn higher up (smaller y) than the lower one.
    high, low = sorted(limits, key=lambda line: float(line.get("y1", 0)))
    assert float(high.get("y1", 0)) < float(low.get("y1", 0))
    shaded = [r for r in root.iter(f"{SVG}rect") if r.findtext(f"{SVG}title")]
    assert len(shaded) == 1 and "peak 9.5" in shaded[0].findtext(f"{SVG}title", "")
    assert root.find(f".//{SVG}polygon") is not None and root.find(f".//{SVG}polyline") is not None
    assert "<script" not in svg and "href" not in svg


def test_a_period_without_readings_says_so() -> None:
    root = ET.fromstring(zone_chart_svg(report([])))
    assert "No temperature readings in the period" in [t.text for t in root.iter(f"{SVG}text")]


def test_the_overviews_trend_shades_the_allowed_band_between_the_limits() -> None:
    from hub.reports.svg import TREND

    points = [ChartPoint(START + timedelta(hours=h), 4.0, 5.0, 4.5) for h in range(6)]
    root = ET.fromstring(zone_chart_svg(report(points), frame=TREND))
    assert root.get("viewBox") == f"0 0 {TREND.width} {TREND.height}"
    [band] = root.findall(f".//{SVG}rect[@class='allowed']")
    high, low = sorted(root.findall(f".//{SVG}line[@class='limit']"),
                       key=lambda line: float(line.get("y1", 0)))
    # The band spans exactly from the upper limit's line down to the lower one's.
    top = float(band.get("y", 0))
    assert top == pytest.approx(float(high.get("y1", 0)), abs=0.11)
    assert top + float(band.get("height", 0)) == pytest.approx(float(low.get("y1", 0)), abs=0.21)
    # The report's own chart has no band.
    assert "allowed" not in zone_chart_svg(report(points))
