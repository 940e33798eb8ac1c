"""The historical import's CSV rules (ingest/history_csv.py) and the zone report's
overdue intervals (hub/reports/provenance.py): pure, no service."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.reports.provenance import overdue_intervals
from ingest.history_csv import (
    BadHeader,
    Refused,
    Row,
    age_problem,
    parse_time,
    parse_value,
    quantity_columns,
    read_rows,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def rows(text: str, zone: ZoneInfo | None = None) -> list[Row | Refused]:
    reader = csv.reader(io.StringIO(text))
    return list(read_rows(reader, next(reader), zone))


def test_a_timestamp_with_an_offset_is_taken_as_it_says() -> None:
    assert parse_time("2025-11-03T08:00:00+08:00", None) == datetime(2025, 11, 3, 0, tzinfo=UTC)
    assert parse_time("2025-11-03 00:00:00.1239Z", BERLIN) == datetime(
        2025, 11, 3, 0, 0, 0, 123000, tzinfo=UTC)


def test_a_naive_timestamp_needs_the_import_s_time_zone_never_a_guess() -> None:
    with pytest.raises(ValueError, match="--timezone"):
        parse_time("2025-11-03 08:00", None)
    assert parse_time("2025-11-03 08:00", SHANGHAI) == datetime(2025, 11, 3, 0, tzinfo=UTC)


def test_local_times_a_clock_change_makes_ambiguous_or_impossible_are_refused() -> None:
    with pytest.raises(ValueError, match="happens twice"):
        parse_time("2025-10-26 02:30", BERLIN)
    with pytest.raises(ValueError, match="does not exist"):
        parse_time("2025-03-30 02:30", BERLIN)
    assert parse_time("2025-10-26 02:30+01:00", BERLIN) == datetime(2025, 10, 26, 1, 30,
                                                                  tzinfo=UTC)


@pytest.mark.parametrize(("quantity", "text", "value"), [
    ("temperature_c", "5.2", 5.2), ("temperature_c", "5,2 °C", 5.2),
    ("temperature_c", "-18 ℃", -18.0), ("humidity_pct", "41 %RH", 41.0),
    ("humidity_pct", "41%", 41.0),
])
def test_a_value_may_carry_the_column_s_unit(quantity: str, text: str, value: float) -> None:
    assert parse_value(quantity, text) == value


@pytest.mark.parametrize(("quantity", "text", "reason"), [
    ("temperature_c", "41 °F", "unit '°F' is not the column's"),
    ("humidity_pct", "41 °C", "unit '°C' is not the column's"),
    ("temperature_c", "warm", "is not a number"),
    ("temperature_c", "1500", "1500 is outside -273.15..1000"),
    ("humidity_pct", "101", "101 is outside 0..100"),
])
def test_wrong_units_broken_numbers_and_impossible_values_are_refused(
    quantity: str, text: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_value(quantity, text)


def test_the_header_names_sensor_timestamp_and_known_quantities_only() -> None:
    assert quantity_columns(["sensor", "timestamp", "temperature_c", "humidity_pct"]) == [
        "temperature_c", "humidity_pct"]
    with pytest.raises(BadHeader, match=r"unknown column.*temperature_f"):
        quantity_columns(["sensor", "timestamp", "temperature_f"])
    with pytest.raises(BadHeader, match=r"missing column.*timestamp"):
        quantity_columns(["sensor", "temperature_c"])
    with pytest.raises(BadHeader, match="no quantity column"):
        quantity_columns(["sensor", "timestamp"])


def test_each_bad_row_is_refused_with_its_line_and_the_rest_read() -> None:
    found = rows("sensor,timestamp,temperature_c,humidity_pct\n"
                 "s1,2025-11-03T00:00:00Z,5.0,40\n"
                 "bad id!,2025-11-03T00:00:00Z,5.0,40\n"
                 "\n"
                 "s1,yesterday,5.0,40\n"
                 "s1,2025-11-03T00:05:00Z,,\n"
                 "s1,2025-11-03T00:10:00Z,5.5,\n"
                 "s1,2025-11-03T00:15:00Z,5.5\n")
    assert found == [
        Row(2, "s1", datetime(2025, 11, 3, tzinfo=UTC), {"temperature_c": 5.0,
                                                         "humidity_pct": 40.0}),
        Refused(3, "sensor 'bad id!' is not a sensor id"),
        Refused(5, "timestamp 'yesterday' is not ISO 8601 (e.g. 2025-11-03T08:00:00+08:00)"),
        Refused(6, "no value in any quantity column"),
        Row(7, "s1", datetime(2025, 11, 3, 0, 10, tzinfo=UTC), {"temperature_c": 5.5}),
        Refused(8, "3 cells where the header has 4"),
    ]


def test_any_age_within_the_retention_and_nothing_from_the_future() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    retention, future = timedelta(days=5 * 366), timedelta(minutes=5)
    assert age_problem(now - timedelta(days=365), now, retention, future) is None
    assert "older than the retention of 1830 days" in (
        age_problem(now - timedelta(days=1831), now, retention, future) or "")
    assert "in the future" in (age_problem(now + timedelta(hours=1), now, retention, future)
                               or "")


def test_overdue_runs_from_a_due_date_to_the_next_calibration() -> None:
    assert overdue_intervals([(date(2025, 1, 10), date(2026, 1, 10))]) == [
        (date(2026, 1, 10), None)]
    # Recalibrated late: overdue from the due date to the recalibration; then valid.
    assert overdue_intervals([(date(2025, 1, 10), date(2025, 7, 10)),
                              (date(2025, 8, 1), date(2026, 8, 1))]) == [
        (date(2025, 7, 10), date(2025, 8, 1)), (date(2026, 8, 1), None)]
    # Recalibrated in time: never overdue until the last one's due date.
    assert overdue_intervals([(date(2025, 1, 10), date(2025, 7, 10)),
                              (date(2025, 7, 1), date(2026, 7, 1))]) == [
        (date(2026, 7, 1), None)]
