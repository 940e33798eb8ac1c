"""Time out of range from readings (ingest/out_of_range.py), worked by hand: the
figures of issue 17 (defects 1, 2 and 3) and the rules of docs/reports.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.out_of_range import Bounds, breaches, runs, time_out, union_seconds

M = timedelta(minutes=1)
DAY = datetime(2026, 11, 20, tzinfo=UTC)
COLD = Bounds(2.0, 8.0)


def every_minute(start: datetime, minutes: int, value: float) -> list[tuple[datetime, float]]:
    return [(start + i * M, value) for i in range(minutes)]


def test_an_excursion_is_clipped_to_the_period_defect_1() -> None:
    # 12.0 °C from 10:40 to 11:27 (first reading back in range at 11:27).
    at = DAY.replace(hour=10)
    points = (every_minute(at, 40, 5.0) + every_minute(at + 40 * M, 47, 12.0)
              + every_minute(at + 87 * M, 60, 5.0))
    start, end = DAY.replace(hour=11), DAY.replace(hour=12)
    (breach,) = breaches(points, COLD, start, end, sensor="s", quantity="t", hold_s=1800,
                         now=DAY + timedelta(days=2))
    assert round(breach.inside_s / 3600, 2) == 0.45
    assert breach.seconds == 47 * 60
    assert (breach.start, breach.end) == (at + 40 * M, at + 87 * M)
    assert (breach.inside_start, breach.inside_end) == (start, at + 87 * M)
    assert breach.cut and not breach.ongoing and breach.peak == 12.0


def test_an_excursion_still_going_counts_to_the_period_end_defect_2() -> None:
    evening = DAY.replace(hour=22)
    points = every_minute(DAY, 22 * 60, 5.0) + every_minute(evening, 4 * 60, 9.0)
    found = breaches(points, COLD, DAY, DAY + timedelta(days=1), sensor="s", quantity="t",
                     hold_s=1800, now=DAY + timedelta(days=3))
    (breach,) = found
    assert breach.inside_s == 2 * 3600 and breach.ongoing and breach.cut
    # ... and to now, when the period reaches into the future.
    now = evening + 90 * M
    (live,) = breaches(every_minute(evening, 90, 9.0), COLD, DAY, DAY + timedelta(days=1),
                       sensor="s", quantity="t", hold_s=1800, now=now)
    assert live.inside_s == 90 * 60 and live.ongoing and live.inside_end == now


def test_a_reading_at_a_limit_is_inside_and_warnings_are_no_breach_defect_3() -> None:
    points = every_minute(DAY, 30, 7.8) + every_minute(DAY + 30 * M, 30, 8.0)
    points += every_minute(DAY + 60 * M, 60, 2.0)
    assert runs(points, COLD, hold_s=1800, now=DAY + timedelta(days=1)) == []


def test_the_hold_is_capped_and_the_newest_reading_holds_until_now() -> None:
    # Out at 00:00, next reading at 02:00: 30 minutes held, the rest is a gap.
    points = [(DAY, 9.0), (DAY + 120 * M, 5.0)]
    (run,) = runs(points, COLD, hold_s=1800, now=DAY + timedelta(days=1))
    assert run.held == ((DAY, DAY + 30 * M),) and run.end == DAY + 120 * M
    (open_run,) = runs([(DAY, 9.0)], COLD, hold_s=1800, now=DAY + 10 * M)
    assert open_run.held == ((DAY, DAY + 10 * M),) and open_run.end is None


def test_a_side_switch_ends_one_breach_and_starts_another() -> None:
    points = [(DAY, 9.0), (DAY + M, 1.0), (DAY + 2 * M, 5.0)]
    above, below = runs(points, COLD, hold_s=1800, now=DAY + timedelta(days=1))
    assert (above.side, above.end, below.side, below.end) == (
        "above", DAY + M, "below", DAY + 2 * M)
    assert time_out([above, below], DAY, DAY + timedelta(hours=1)).above_s == 60


def test_the_zone_counts_overlapping_sensors_once() -> None:
    a = (DAY, DAY + 30 * M)
    b = (DAY + 20 * M, DAY + 40 * M)
    assert union_seconds([a, b], DAY, DAY + timedelta(hours=1)) == 40 * 60
    assert union_seconds([a, b], DAY + 25 * M, DAY + 35 * M) == 10 * 60


@pytest.mark.parametrize("value, side", [(8.01, "above"), (1.99, "below"), (8.0, None),
                                         (2.0, None)])
def test_bounds(value: float, side: str | None) -> None:
    assert COLD.side(value) == side


def test_local_days_start_at_the_sites_midnight_defect_10() -> None:
    from zoneinfo import ZoneInfo

    from ingest.compliance import days_of

    shanghai = ZoneInfo("Asia/Shanghai")
    days = days_of(DAY, DAY + timedelta(days=2), shanghai)
    # 00:00 UTC is 08:00 in Shanghai: the first local day began at 16:00 UTC the day before.
    assert [d.astimezone(UTC) for d in days] == [
        DAY - timedelta(hours=8), DAY + timedelta(hours=16), DAY + timedelta(hours=40)]
    assert days_of(DAY, DAY + timedelta(days=2)) == [DAY, DAY + timedelta(days=1)]
    # A day of 23 hours where summer time begins.
    berlin = ZoneInfo("Europe/Berlin")
    spring = datetime(2026, 3, 29, tzinfo=berlin)
    first, second = days_of(spring, spring + timedelta(hours=30), berlin)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=23)
