"""Compliance arithmetic against hand-computed values: MKT by the Haynes equation,
record completeness, hourly excursions, the roll-up's kinetic sums and gaps."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from contract.wire import Reading
from ingest.compliance import (
    ExcursionPeriod,
    HourStat,
    Limits,
    hourly_excursions,
    mkt_from_sum,
    mkt_of,
    mkt_window_hours,
    record_gaps,
    summarise,
    window_mkt,
)
from ingest.rollup import DEFAULT_DELTA_H, GAS_CONSTANT, Rollup, hour_of, kinetic_term

T0 = datetime(2026, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def hours_of(sensor: str, values_per_hour: list[list[float]], start: datetime = T0,
             step: timedelta = 10 * M, delta_h: float = DEFAULT_DELTA_H) -> list[HourStat]:
    """Hourly rows as ingest would store them from readings every `step`."""
    readings = [
        Reading(sensor=sensor, ts=start + i * H + j * step, quantities={"temperature_c": v})
        for i, values in enumerate(values_per_hour) for j, v in enumerate(values)
    ]
    rollup = Rollup.of(readings, {sensor: delta_h})
    return [
        HourStat(s, q, hour, a.count, a.min, a.max, a.sum, a.first_ts, a.last_ts, a.max_gap_s,
                 a.exp_sum, a.delta_h)
        for (s, q, hour), a in sorted(rollup.hours.items())
    ]


def test_a_constant_temperature_gives_itself() -> None:
    hours = hours_of("s", [[5.0] * 6] * 24)
    result = window_mkt(hours, T0, T0 + 24 * H, sensor="s")
    assert result.mkt_c == pytest.approx(5.0, abs=1e-9)
    assert result.complete and result.readings == 144


def test_a_two_level_series_gives_the_haynes_value() -> None:
    # 12 hours at 20 °C and 12 at 30 °C. By hand, ΔH/R = 83144/8.3144 = 10000 K;
    # 10000/293.15 = 34.1122 and 10000/303.15 = 32.9870, so the mean of the two terms is
    # e^-32.9870 · (1 + e^-1.1252)/2 = e^-32.9870 · 0.6623 = e^-33.3990, and
    # MKT = 10000/33.3990 - 273.15 = 26.26 °C: above the arithmetic mean of 25 °C, as
    # MKT weights the warm hours more.
    assert abs(DEFAULT_DELTA_H / GAS_CONSTANT - 10000.0) < 1e-6
    by_hand = 10000.0 / -math.log(
        (math.exp(-10000.0 / 293.15) + math.exp(-10000.0 / 303.15)) / 2) - 273.15
    assert by_hand == pytest.approx(26.26, abs=0.01)
    hours = hours_of("s", [[20.0] * 6] * 12 + [[30.0] * 6] * 12)
    result = window_mkt(hours, T0, T0 + 24 * H, sensor="s")
    assert result.mkt_c == pytest.approx(by_hand, abs=1e-3)
    assert result.mkt_c == pytest.approx(mkt_of([20.0] * 72 + [30.0] * 72), abs=1e-9)


def test_within_an_hour_the_readings_count_not_the_hourly_mean() -> None:
    # Half the hour at 0 °C, half at 40 °C: the mean (20 °C) understates MKT badly.
    hours = hours_of("s", [[0.0, 40.0] * 3])
    result = window_mkt(hours, T0, T0 + H, sensor="s")
    assert result.mkt_c == pytest.approx(mkt_of([0.0, 40.0]), abs=1e-9)
    assert result.mkt_c > 30.0


def test_a_window_with_a_gap_is_reported_as_incomplete() -> None:
    day = [[5.0] * 6] * 24
    hours = [h for h in hours_of("s", day) if not T0 + 10 * H <= h.hour < T0 + 13 * H]
    result = window_mkt(hours, T0, T0 + 24 * H, sensor="s")
    assert not result.complete
    assert (result.hours_with_data, result.hours_expected) == (21, 24)
    gaps = record_gaps(hours, T0, T0 + 24 * H, Limits(2.0, 8.0), sensor="s")
    assert len(gaps) == 1
    # The last reading of 09:00-10:00 is at 09:50, the next at 13:00.
    assert gaps[0].start == T0 + 9 * H + 50 * M and gaps[0].end == T0 + 13 * H
    assert gaps[0].seconds == 3 * 3600 + 600 and gaps[0].allowed_s == 1800


def test_a_change_of_delta_h_marks_the_hours_computed_with_the_former_value() -> None:
    old = hours_of("s", [[25.0] * 6] * 3, delta_h=100_000.0)
    new = hours_of("s", [[25.0] * 6] * 3, start=T0 + 3 * H)
    result = window_mkt(old + new, T0, T0 + 6 * H, sensor="s")
    assert result.former_delta_h_hours == (T0, T0 + H, T0 + 2 * H)
    # A steady hour converts exactly through its own kinetic temperature.
    assert result.mkt_c == pytest.approx(25.0, abs=1e-9)
    # An hour with no sum (stored before sums were kept) takes its mean, marked.
    bare = [HourStat("s", "temperature_c", T0, 6, 4.0, 6.0, 30.0)]
    marked = window_mkt(bare, T0, T0 + H, sensor="s")
    assert marked.mean_only_hours == (T0,) and marked.mkt_c == pytest.approx(5.0)


def test_the_window_follows_the_storage_class() -> None:
    assert mkt_window_hours(8.0) == 24
    assert mkt_window_hours(25.0) == 720
    assert mkt_window_hours(None) == 720
    assert mkt_window_hours(8.0, configured=48) == 48


def test_a_window_holding_an_excursion_is_flagged_not_averaged() -> None:
    hours = hours_of("s", [[5.0] * 6] * 23 + [[12.0] * 6])
    excursions = hourly_excursions(hours, Limits(2.0, 8.0))
    result = window_mkt(hours, T0, T0 + 24 * H, sensor="s", excursions=excursions)
    assert result.mkt_c is not None and result.mkt_c < 8.0  # the MKT alone would pass...
    assert result.has_excursion  # ...but the window is flagged


def test_hourly_excursions_give_periods_with_bounds_on_the_time_out() -> None:
    # 2 h entirely above 8 °C, then 1 h partly above: 2 to 3 hours above, peak 11.
    hours = hours_of("s", [[5.0] * 6, [9.0] * 6, [10.0, 11.0] * 3, [7.0, 9.0] * 3, [5.0] * 6])
    (period,) = hourly_excursions(hours, Limits(2.0, 8.0))
    assert (period.side, period.start, period.end, period.peak) == (
        "above", T0 + H, T0 + 4 * H, 11.0)
    assert (period.seconds_min, period.seconds_max) == (2 * 3600, 3 * 3600)
    summary = summarise(hours, [period], sensor="s", quantity="temperature_c")
    assert (summary.min, summary.max, summary.above_s_min, summary.above_s_max) == (
        5.0, 11.0, 7200, 10800)
    assert not summary.exact


def test_while_out_of_range_a_record_every_two_minutes_is_required() -> None:
    # Readings every 5 minutes: enough in range, a gap in every hour out of range.
    hours = hours_of("s", [[5.0] * 12, [9.0] * 12, [5.0] * 12], step=5 * M)
    gaps = record_gaps(hours, T0, T0 + 3 * H, Limits(2.0, 8.0), sensor="s")
    inside = [g for g in gaps if g.within_hour]
    assert len(inside) == 1 and inside[0].seconds == 300 and inside[0].allowed_s == 120
    # The boundaries into and out of that hour are 5 minutes too: stricter rule there.
    assert [g.allowed_s for g in gaps if not g.within_hour] == [120, 120]
    # ...and the last reading (02:55) leaves 5 minutes to the period's end: allowed.
    assert all(g.end <= T0 + 2 * H for g in gaps)


def test_the_rollup_keeps_first_last_and_the_longest_gap_in_any_order() -> None:
    stamps = [T0 + m * M for m in (0, 5, 6, 30, 31)]
    readings = [Reading(sensor="s", ts=ts, quantities={"temperature_c": 5.0}) for ts in stamps]
    for order in (readings, readings[::-1]):
        agg = Rollup.of(order).hours[("s", "temperature_c", hour_of(T0))]
        assert (agg.first_ts, agg.last_ts, agg.max_gap_s) == (stamps[0], stamps[-1], 24 * 60)
        assert agg.exp_sum == pytest.approx(5 * kinetic_term(5.0, DEFAULT_DELTA_H))
        assert agg.delta_h == DEFAULT_DELTA_H
    # Out of order, a reading inside the span can only shrink a gap: an upper bound.
    shuffled = [readings[0], readings[3], readings[1], readings[4], readings[2]]
    agg = Rollup.of(shuffled).hours[("s", "temperature_c", hour_of(T0))]
    assert agg.max_gap_s >= 24 * 60


def test_humidity_carries_no_kinetic_sum() -> None:
    reading = Reading(sensor="s", ts=T0, quantities={"humidity_pct": 50.0})
    agg = Rollup.of([reading]).hours[("s", "humidity_pct", T0)]
    assert agg.exp_sum is None and agg.delta_h is None


def test_mkt_from_one_sum_is_the_haynes_equation() -> None:
    assert mkt_from_sum(kinetic_term(25.0, 83_144.0) * 3, 3) == pytest.approx(25.0)
    assert isinstance(ExcursionPeriod, type)
