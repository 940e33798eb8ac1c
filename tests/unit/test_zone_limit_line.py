"""The zone-limit line: the series VictoriaMetrics makes of it, a zone code escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.lineproto import zone_limit_line
from ingest.zone_limits import minute_millis


def test_a_limit_is_one_line_with_zone_quantity_and_bound() -> None:
    assert zone_limit_line("cold-room", "temperature_c", "max", 8, 1_700_000_040_000) == (
        "zone_limits,zone=cold-room,quantity=temperature_c,bound=max value=8.0 1700000040000")


def test_a_zone_code_with_spaces_and_commas_is_escaped() -> None:
    line = zone_limit_line("hall 2,a=b", "humidity_pct", "min", 35.5, 0)
    assert line.startswith(r"zone_limits,zone=hall\ 2\,a\=b,quantity=humidity_pct,bound=min ")


def test_samples_fall_on_whole_minutes() -> None:
    at = datetime(2026, 11, 25, 11, 41, 59, 900_000, tzinfo=UTC)
    assert minute_millis(at) == int(datetime(2026, 11, 25, 11, 41, tzinfo=UTC).timestamp()) * 1000
