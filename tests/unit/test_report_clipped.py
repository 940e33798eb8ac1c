"""The zone report's hours cut at its boundaries (hub/reports/clipped.py, issue 17 item
4) and the MKT window counted in the clock hours it touches: pure parts, no service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.reports.clipped import cuts_of, part_of
from ingest.compliance import HourStat, mkt_of, window_mkt

T0 = datetime(2026, 11, 20, 19, tzinfo=UTC)
M = timedelta(minutes=1)


def test_a_part_of_an_hour_has_the_figures_of_its_own_readings() -> None:
    hour = HourStat("s1", "temperature_c", T0, 60, 1.0, 9.0, 300.0, delta_h=83_144.0)
    points = [(T0 + (1 + i) * M, 6.0 + i / 10) for i in range(9)]
    part = part_of(hour, T0 + M, points)
    assert part is not None
    assert (part.hour, part.count, part.min, part.max) == (T0 + M, 9, 6.0, 6.8)
    assert part.mean == pytest.approx(sum(v for _, v in points) / 9)
    assert (part.first_ts, part.last_ts, part.max_gap_s) == (T0 + M, T0 + 9 * M, 60.0)
    assert window_mkt([part], T0, T0 + 10 * M).mkt_c == pytest.approx(
        mkt_of(v for _, v in points), abs=1e-9)
    assert part_of(hour, T0, []) is None


def test_the_cuts_are_the_period_each_day_and_each_window_start() -> None:
    start, end = T0 + M, T0 + 10 * M
    assert cuts_of(start, end, [(start, end)], 24) == {start, end, end - timedelta(hours=24)}


def test_a_window_that_begins_inside_an_hour_expects_the_hours_it_touches() -> None:
    end = T0 + 10 * M
    start = end - timedelta(hours=24)  # 19:10 the day before: 25 clock hours
    hours = [HourStat("s1", "temperature_c", start, 1, 5.0, 5.0, 5.0)] + [
        HourStat("s1", "temperature_c", start.replace(minute=0) + timedelta(hours=h), 1,
                 5.0, 5.0, 5.0) for h in range(1, 25)]
    kinetic = window_mkt(hours, start, end)
    assert (kinetic.hours_with_data, kinetic.hours_expected) == (25, 25)
    assert kinetic.complete
    aligned = window_mkt(hours[1:], T0 - timedelta(hours=23), T0 + timedelta(hours=1))
    assert aligned.hours_expected == 24
