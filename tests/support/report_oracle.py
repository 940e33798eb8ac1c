"""An oracle for the zone report: every figure recomputed from the raw readings a test
generated, by other means than the hub's (no hourly statistics, no out_of_range.py).

Time out of range is counted minute by minute: the test's readings, hold and period
boundaries fall on whole minutes, so a minute's state (the latest reading at or before
it, if that is at most `hold` old and the minute is before `now`) is exact for the
whole minute. docs/reports.md says what the report computes; this module is the same
text turned into the simplest code that can check it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

import pytest

from ingest.compliance import mkt_of

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Point:
    sensor: str
    ts: datetime
    value: float


@dataclass(frozen=True)
class OracleExcursion:
    sensor: str
    side: str
    start: datetime
    end: datetime | None
    peak: float
    seconds: float
    inside_s: float
    began_before: bool
    ended_after: bool  # or still going on after the period


@dataclass(frozen=True)
class OracleDay:
    day: datetime
    sensor: str
    readings: int
    min: float | None
    max: float | None
    mean: float | None
    above_s: float
    below_s: float
    mkt_c: float | None
    has_excursion: bool


@dataclass(frozen=True)
class OracleGap:
    sensor: str
    start: datetime
    end: datetime
    allowed_s: float
    within_hour: bool


@dataclass
class Oracle:
    readings: dict[str, tuple[int, float | None, float | None, float | None]]
    above_s: dict[str, float]
    below_s: dict[str, float]
    zone_above_s: float
    zone_below_s: float
    excursions: list[OracleExcursion]
    days: list[OracleDay]
    gaps: list[OracleGap]


def _side(value: float, low: float, high: float) -> str | None:
    return "above" if value > high else "below" if value < low else None


def _hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def _state_at(points: Sequence[Point], minute: datetime, hold: timedelta, now: datetime
              ) -> int | None:
    """The index of the reading that holds at this minute, if any."""
    latest = None
    for index, p in enumerate(points):
        if p.ts <= minute:
            latest = index
        else:
            break
    if latest is None or minute >= now or minute >= points[latest].ts + hold:
        return None
    return latest


def _minutes(a: datetime, b: datetime) -> list[datetime]:
    out = []
    while a < b:
        out.append(a)
        a += MINUTE
    return out


def _figures(values: list[float]) -> tuple[int, float | None, float | None, float | None]:
    if not values:
        return 0, None, None, None
    return len(values), min(values), max(values), math.fsum(values) / len(values)


def compute(points: Sequence[Point], sensors: Sequence[str], low: float, high: float,
            start: datetime, end: datetime, *, now: datetime, hold_s: float,
            delta_h: float, window_h: int, tz: tzinfo = UTC, interval_s: float = 1800,
            strict_s: float = 120) -> Oracle:
    hold = timedelta(seconds=hold_s)
    mine = {s: sorted((p for p in points if p.sensor == s), key=lambda p: p.ts)
            for s in sensors}
    span_start = min([start, *(p.ts for p in points)])
    span_end = max([end, *(p.ts + hold for p in points)])
    # The state of every sensor, minute by minute: reading index or None.
    states = {s: {m: _state_at(mine[s], m, hold, now) for m in _minutes(span_start, span_end)}
              for s in sensors}

    def out_side(s: str, m: datetime) -> str | None:
        index = states[s].get(m)
        return None if index is None else _side(mine[s][index].value, low, high)

    period = _minutes(start, end)
    above = {s: 60.0 * sum(out_side(s, m) == "above" for m in period) for s in sensors}
    below = {s: 60.0 * sum(out_side(s, m) == "below" for m in period) for s in sensors}
    zone_above = 60.0 * sum(any(out_side(s, m) == "above" for s in sensors) for m in period)
    zone_below = 60.0 * sum(any(out_side(s, m) == "below" for s in sensors) for m in period)

    excursions = []
    for s in sensors:
        rows = mine[s]
        # Runs of consecutive readings beyond the same limit.
        for side, group in itertools.groupby(enumerate(rows),
                                             key=lambda r: _side(r[1].value, low, high)):
            if side is None:
                continue
            members = [i for i, _ in group]
            after = members[-1] + 1
            run_end = rows[after].ts if after < len(rows) else None
            run_start = rows[members[0]].ts
            if not (run_start < end and (run_end is None or run_end > start)):
                continue
            held = [m for m in _minutes(span_start, span_end) if states[s][m] in members]
            values = [rows[i].value for i in members]
            excursions.append(OracleExcursion(
                s, side, run_start, run_end, max(values) if side == "above" else min(values),
                60.0 * len(held), 60.0 * sum(start <= m < end for m in held),
                run_start < start, run_end is None or run_end > end))
    excursions.sort(key=lambda e: (e.start, e.sensor, e.side))

    # The readings inside the period, the day, the window: never the whole hours that
    # begin in them (a period from 19:01 to 19:10 has the readings of those 9 minutes).
    readings = {s: _figures([p.value for p in mine[s] if start <= p.ts < end])
                for s in sensors}
    days = []
    day = datetime.combine(start.astimezone(tz).date(), time(), tzinfo=tz)
    while day < end:
        day_start = max(day, start).astimezone(UTC)
        day_end = min(datetime.combine(day.date() + timedelta(days=1), time(), tzinfo=tz),
                      end).astimezone(UTC)
        window = day_end - timedelta(hours=window_h)
        for s in sensors:
            values = [p.value for p in mine[s] if day_start <= p.ts < day_end]
            in_window = [p.value for p in mine[s] if window <= p.ts < day_end]
            if not values and not in_window:
                continue
            minutes = _minutes(day_start, day_end)
            touched = any(e.sensor == s and e.start < day_end
                          and (e.end is None or e.end > window) for e in _all_runs(
                              mine[s], s, low, high))
            days.append(OracleDay(
                day, s, *_figures(values),
                60.0 * sum(out_side(s, m) == "above" for m in minutes),
                60.0 * sum(out_side(s, m) == "below" for m in minutes),
                mkt_of(in_window, delta_h) if in_window else None, touched))
        day = datetime.combine(day.date() + timedelta(days=1), time(), tzinfo=tz)

    gaps = []
    until = min(end, now)
    for s in sensors:
        before = [p for p in mine[s] if start - HOUR <= _hour(p.ts) < start]
        previous = before[-1].ts if before else start
        previous_out = any(_side(p.value, low, high) for p in before)
        hours: dict[datetime, list[Point]] = {}
        for p in mine[s]:
            if start <= _hour(p.ts) < until:  # the record is judged up to now
                hours.setdefault(_hour(p.ts), []).append(p)
        for hour in sorted(hours):
            rows = hours[hour]
            out = any(_side(p.value, low, high) for p in rows)
            allowed = strict_s if out or previous_out else interval_s
            if (rows[0].ts - previous).total_seconds() > allowed:
                gaps.append(OracleGap(s, previous, rows[0].ts, allowed, False))
            inner = strict_s if out else interval_s
            longest = max(((b.ts - a.ts).total_seconds() for a, b in itertools.pairwise(rows)),
                          default=0.0)
            if longest > inner:
                gaps.append(OracleGap(s, rows[0].ts, rows[-1].ts, inner, True))
            previous, previous_out = rows[-1].ts, out
        allowed = strict_s if previous_out else interval_s
        if until > start and (until - previous).total_seconds() > allowed:
            gaps.append(OracleGap(s, previous, until, allowed, False))
    return Oracle(readings, above, below, zone_above, zone_below, excursions, days, gaps)


def _all_runs(rows: Sequence[Point], sensor: str, low: float, high: float
              ) -> list[OracleExcursion]:
    found = []
    for side, group in itertools.groupby(enumerate(rows),
                                         key=lambda r: _side(r[1].value, low, high)):
        if side is None:
            continue
        members = [i for i, _ in group]
        after = members[-1] + 1
        found.append(OracleExcursion(sensor, side, rows[members[0]].ts,
                                     rows[after].ts if after < len(rows) else None,
                                     0.0, 0.0, 0.0, False, False))
    return found


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _t_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def check(report: dict[str, Any], oracle: Oracle, sensors: list[str]) -> None:
    """The report's JSON (as the API answers it) shows the oracle's every figure."""
    summaries = {s["sensor"]: s for s in report["summaries"]}
    for sensor in sensors:
        count, lo, hi, mean = oracle.readings[sensor]
        out = oracle.above_s[sensor] + oracle.below_s[sensor]
        if not count and not out:
            assert sensor not in summaries
            continue
        got = summaries[sensor]
        assert (got["readings"], got["min"], got["max"]) == (count, lo, hi)
        assert got["mean"] == pytest.approx(mean, abs=1e-9)
        assert got["above_s_min"] == got["above_s_max"] == oracle.above_s[sensor], sensor
        assert got["below_s_min"] == got["below_s_max"] == oracle.below_s[sensor], sensor
    (zone_time,) = report["zone_time"]
    assert (zone_time["above_s_min"], zone_time["below_s_min"]) == (
        oracle.zone_above_s, oracle.zone_below_s)
    assert zone_time["above_s_max"] == zone_time["above_s_min"]

    excursions = [(e["sensor"], e["side"], _t(e["start"]), _t_or_none(e["end"]), e["peak"],
                   e["seconds_min"], e["inside_s_min"], _t(e["inside_start"]) > _t(e["start"]),
                   e["ongoing"] or (e["end"] is not None
                                    and _t(e["end"]) > _t(e["inside_end"])))
                  for e in report["excursions"]]
    assert all(e["source"] == "readings" for e in report["excursions"])
    assert excursions == [(e.sensor, e.side, e.start, e.end, e.peak, e.seconds, e.inside_s,
                           e.began_before, e.ended_after) for e in oracle.excursions]

    days = [(_t(d["day"]), d["sensor"], d["readings"], d["min"], d["max"], d["above_s"],
             d["below_s"], d["mkt"]["has_excursion"]) for d in report["days"]]
    assert days == [(d.day, d.sensor, d.readings, d.min, d.max, d.above_s, d.below_s,
                     d.has_excursion) for d in oracle.days]
    for got_day, want in zip(report["days"], oracle.days, strict=True):
        assert got_day["mean"] == pytest.approx(want.mean, abs=1e-9)
        assert got_day["mkt"]["mkt_c"] == pytest.approx(want.mkt_c, abs=1e-6)

    gaps = sorted((g["sensor"], _t(g["start"]), _t(g["end"]), g["allowed_s"], g["within_hour"])
                  for g in report["gaps"])
    assert gaps == sorted((g.sensor, g.start, g.end, g.allowed_s, g.within_hour)
                          for g in oracle.gaps)
    assert report["complete"] is (not oracle.gaps)
