"""Compliance arithmetic over the hourly statistics: mean kinetic temperature, record
completeness, time out of range and excursion periods. Pure code: no SQL, no IO;
ingest/queries.py reads the hours, hub/reports/ puts a report together.

Everything here works from what ingest keeps per sensor, quantity and hour
(ingest/rollup.py), so its resolution is said where it matters:

- MKT by the Haynes equation, MKT = (ΔH/R) / -ln(Σexp(-ΔH/(R·Tᵢ))/n) - 273.15,
  from the hours' exact sums. An hour summed with a former ΔH is converted through
  its own kinetic temperature (exact for a steady hour) and marked; an hour with no
  sum (stored before sums were kept, or one that saw two ΔH values) takes its mean
  (which understates MKT) and is marked.
- Gaps: the longest gap within each hour is known, and the gap between one hour's
  last reading and the next hour's first; a gap's place inside an hour is not.
- Time out of range is computed from the stored readings (ingest/out_of_range.py);
  from hours only for hours stored before readings were kept: between the hours
  entirely out (all readings out) and the hours with any reading out, in whole hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal

from ingest.rollup import DEFAULT_DELTA_H, GAS_CONSTANT, KELVIN, TEMPERATURE

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# China's GSP: a record at least every 30 minutes, every 2 minutes while out of range.
RECORD_INTERVAL_S = 30 * 60
OUT_OF_RANGE_INTERVAL_S = 2 * 60
# USP <1079.2>: a running 30 days for controlled room temperature, 24 hours for cold
# storage (here: a class whose upper limit is at most 8 °C).
CRT_WINDOW_H = 30 * 24
COLD_WINDOW_H = 24
COLD_UPPER_C = 8.0
Side = Literal["above", "below"]


@dataclass(frozen=True, slots=True)
class HourStat:
    """One sensor's one quantity in one UTC hour, as stored."""

    sensor: str
    quantity: str
    hour: datetime
    count: int
    min: float
    max: float
    sum: float
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    max_gap_s: float | None = None
    exp_sum: float | None = None
    delta_h: float | None = None

    @property
    def mean(self) -> float:
        return self.sum / self.count


@dataclass(frozen=True, slots=True)
class Limits:
    low: float | None = None
    high: float | None = None

    def side_of(self, lo: float, hi: float) -> tuple[bool, bool]:
        """(any value above, any value below) for values spanning lo..hi."""
        return (self.high is not None and hi > self.high,
                self.low is not None and lo < self.low)

    @property
    def any(self) -> bool:
        return self.low is not None or self.high is not None


def mkt_window_hours(upper_limit_c: float | None, configured: int | None = None) -> int:
    """The MKT window of a storage class: its own setting, else USP <1079.2>'s."""
    if configured:
        return configured
    if upper_limit_c is not None and upper_limit_c <= COLD_UPPER_C:
        return COLD_WINDOW_H
    return CRT_WINDOW_H


def mkt_from_sum(exp_sum: float, count: int, delta_h: float = DEFAULT_DELTA_H) -> float:
    """The Haynes equation, °C, from Σexp(-ΔH/(R·T)) over `count` readings."""
    return (delta_h / GAS_CONSTANT) / -math.log(exp_sum / count) - KELVIN


def mkt_of(temperatures_c: Iterable[float], delta_h: float = DEFAULT_DELTA_H) -> float:
    """MKT of individual readings: the reference the hourly sums must match."""
    values = list(temperatures_c)
    total = sum(math.exp(-delta_h / (GAS_CONSTANT * (t + KELVIN))) for t in values)
    return mkt_from_sum(total, len(values), delta_h)


@dataclass(frozen=True, slots=True)
class KineticTemperature:
    """MKT of one sensor over one window, with what stands behind it."""

    sensor: str
    start: datetime
    end: datetime
    mkt_c: float | None
    delta_h: float
    hours_with_data: int
    hours_expected: int
    readings: int
    # Hours whose sum was computed with another ΔH: converted, and marked.
    former_delta_h_hours: tuple[datetime, ...] = ()
    # Hours with no kinetic sum: their mean was used (understates MKT).
    mean_only_hours: tuple[datetime, ...] = ()
    # The window holds an excursion: MKT never averages it away; see the excursions.
    has_excursion: bool = False

    @property
    def complete(self) -> bool:
        return self.hours_with_data == self.hours_expected


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def window_mkt(hours: Iterable[HourStat], start: datetime, end: datetime,
               delta_h: float = DEFAULT_DELTA_H, *, sensor: str = "",
               excursions: Sequence[ExcursionPeriod] = ()) -> KineticTemperature:
    """MKT over the hours in [start, end) of one sensor's temperature."""
    total = 0.0
    readings = 0
    seen: set[datetime] = set()
    former: list[datetime] = []
    mean_only: list[datetime] = []
    r = GAS_CONSTANT
    for hour in hours:
        if not start <= hour.hour < end or hour.count <= 0 or hour.quantity != TEMPERATURE:
            continue
        # A part of an hour (a report cuts hours at its boundaries) counts for its hour.
        seen.add(hour.hour.replace(minute=0, second=0, microsecond=0))
        readings += hour.count
        if hour.exp_sum is not None and hour.delta_h is not None and hour.exp_sum > 0:
            if _same(hour.delta_h, delta_h):
                total += hour.exp_sum
                continue
            kinetic_k = mkt_from_sum(hour.exp_sum, hour.count, hour.delta_h) + KELVIN
            former.append(hour.hour)
        else:
            kinetic_k = hour.mean + KELVIN
            mean_only.append(hour.hour)
        total += hour.count * math.exp(-delta_h / (r * kinetic_k))
    # The clock hours the window touches: 24 for a day, 25 for 24 h from 19:10.
    expected = max(0, math.ceil((end - start.replace(minute=0, second=0, microsecond=0))
                                / HOUR))
    mkt = mkt_from_sum(total, readings, delta_h) if readings else None
    touched = any(e.sensor == sensor and e.overlaps(start, end) for e in excursions)
    return KineticTemperature(sensor, start, end, mkt, delta_h, len(seen), expected, readings,
                              tuple(sorted(former)), tuple(sorted(mean_only)), touched)


# --- excursions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExcursionPeriod:
    """An excursion in a report: a breach of the limits from the readings (exact), or
    an hourly estimate for hours stored before readings were kept, whose start and end
    are hour boundaries and whose time out of range is known only between two bounds."""

    sensor: str
    quantity: str
    side: Side
    start: datetime
    end: datetime | None  # None: still going on
    peak: float
    seconds_min: float
    seconds_max: float
    source: Literal["readings", "alarm engine", "hourly statistics"]
    # The part inside the report's period (see ingest/out_of_range.py); `cut`: began
    # before the period or ends after it; `ongoing`: no reading has ended it yet.
    inside_start: datetime | None = None
    inside_end: datetime | None = None
    inside_s_min: float | None = None
    inside_s_max: float | None = None
    cut: bool = False
    ongoing: bool = False

    @property
    def exact(self) -> bool:
        return self.source != "hourly statistics"

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and (self.end is None or self.end > start)


def hourly_excursions(hours: Iterable[HourStat], limits: Limits) -> list[ExcursionPeriod]:
    """Runs of consecutive hours with a value beyond a limit, per sensor, quantity
    and side. The time out of range lies between the hours entirely out and the
    hours with any value out."""
    runs: dict[tuple[str, str, Side], list[HourStat]] = {}
    periods: list[ExcursionPeriod] = []

    def close(key: tuple[str, str, Side]) -> None:
        run = runs.pop(key, None)
        if not run:
            return
        sensor, quantity, side = key
        if side == "above":
            peak = max(h.max for h in run)
            entire = sum(1 for h in run if limits.high is not None and h.min > limits.high)
        else:
            peak = min(h.min for h in run)
            entire = sum(1 for h in run if limits.low is not None and h.max < limits.low)
        periods.append(ExcursionPeriod(
            sensor, quantity, side, run[0].hour, run[-1].hour + HOUR, peak,
            entire * 3600.0, len(run) * 3600.0, "hourly statistics"))

    for hour in sorted(hours, key=lambda h: (h.sensor, h.quantity, h.hour)):
        above, below = limits.side_of(hour.min, hour.max)
        sides: tuple[tuple[Side, bool], ...] = (("above", above), ("below", below))
        for side, out in sides:
            key = (hour.sensor, hour.quantity, side)
            run = runs.get(key)
            if run and (not out or run[-1].hour + HOUR != hour.hour):
                close(key)
            if out:
                runs.setdefault(key, []).append(hour)
    for key in list(runs):
        close(key)
    return sorted(periods, key=lambda p: (p.start, p.sensor, p.quantity, p.side))


# --- record completeness ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch longer than the required interval without a good reading. `within_hour`:
    the longest gap inside that hour, whose place in the hour is not kept (start and
    end are then the hour's first and last reading)."""

    sensor: str
    start: datetime
    end: datetime
    seconds: float
    allowed_s: float
    within_hour: bool = False


def record_gaps(hours: Iterable[HourStat], start: datetime, end: datetime, limits: Limits,
                *, sensor: str = "", interval_s: float = RECORD_INTERVAL_S,
                out_of_range_interval_s: float = OUT_OF_RANGE_INTERVAL_S) -> list[Gap]:
    """Every gap in one sensor's record of one quantity over [start, end). Hours before
    `start` give the last reading before the period. While out of range (an hour with
    any value out, or either hour around a boundary) the stricter interval applies."""
    ordered = sorted(hours, key=lambda h: h.hour)
    previous = start
    previous_out = False
    gaps: list[Gap] = []
    for hour in ordered:
        first = hour.first_ts or hour.hour
        last = hour.last_ts or hour.hour + HOUR
        out = any(limits.side_of(hour.min, hour.max))
        if hour.hour < start:
            previous, previous_out = last, out
            continue
        if hour.hour >= end or hour.count <= 0:
            continue
        allowed = out_of_range_interval_s if out or previous_out else interval_s
        seconds = (first - previous).total_seconds()
        if seconds > allowed:
            gaps.append(Gap(sensor, previous, first, seconds, allowed))
        inner = out_of_range_interval_s if out else interval_s
        if hour.max_gap_s is not None and hour.max_gap_s > inner:
            gaps.append(Gap(sensor, first, last, hour.max_gap_s, inner, within_hour=True))
        previous, previous_out = last, out
    allowed = out_of_range_interval_s if previous_out else interval_s
    seconds = (end - previous).total_seconds()
    if seconds > allowed:
        gaps.append(Gap(sensor, previous, end, seconds, allowed))
    return gaps


# --- summaries -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """One sensor's one quantity over some hours: readings, min, max, count-weighted mean.
    The rows of a report (the period's summary, each day) are these and more."""

    sensor: str
    quantity: str
    readings: int
    min: float | None
    max: float | None
    mean: float | None


def _figures(hours: Sequence[HourStat]) -> tuple[int, float | None, float | None, float | None]:
    count = sum(h.count for h in hours)
    return (count, min((h.min for h in hours), default=None),
            max((h.max for h in hours), default=None),
            sum(h.sum for h in hours) / count if count else None)


@dataclass(frozen=True, slots=True)
class DayRow(Figures):
    """One sensor's one quantity over one day of the period (UTC, or the site's local
    day: `day` is its start in that time zone)."""

    day: datetime
    mkt: KineticTemperature | None = None  # temperature: the window ending with the day
    # Time above and below the limits inside the day (and the period), from readings.
    above_s: float = 0.0
    below_s: float = 0.0


def day_row(hours: Sequence[HourStat], day: datetime, *, sensor: str, quantity: str,
            mkt: KineticTemperature | None = None, above_s: float = 0.0,
            below_s: float = 0.0) -> DayRow:
    return DayRow(sensor, quantity, *_figures(hours), day=day, mkt=mkt, above_s=above_s,
                  below_s=below_s)


@dataclass(frozen=True, slots=True)
class Summary(Figures):
    """One sensor's one quantity over the period, with its time out of range."""

    above_s_min: float = 0.0
    above_s_max: float = 0.0
    below_s_min: float = 0.0
    below_s_max: float = 0.0
    exact: bool = False  # the times out of range come from excursion records


def summarise(hours: Sequence[HourStat], excursions: Sequence[ExcursionPeriod], *,
              sensor: str, quantity: str) -> Summary:
    """Min, max, count-weighted mean and time above and below the limits: the parts of
    the excursions inside the period, where they say it (`inside_s_min`)."""
    periods = [e for e in excursions if e.sensor == sensor and e.quantity == quantity]

    def lo(e: ExcursionPeriod) -> float:
        return e.seconds_min if e.inside_s_min is None else e.inside_s_min

    def hi(e: ExcursionPeriod) -> float:
        return e.seconds_max if e.inside_s_max is None else e.inside_s_max

    above = [e for e in periods if e.side == "above"]
    below = [e for e in periods if e.side == "below"]
    return Summary(
        sensor, quantity, *_figures([h for h in hours if h.count > 0]),
        sum(lo(e) for e in above), sum(hi(e) for e in above),
        sum(lo(e) for e in below), sum(hi(e) for e in below),
        exact=all(e.exact for e in periods),
    )


def days_of(start: datetime, end: datetime, tz: tzinfo = UTC) -> list[datetime]:
    """The starts of the days covering [start, end): midnights in `tz` (UTC, or the
    site's time zone, where a day can last 23 or 25 hours), aware in that zone."""
    day = datetime.combine(start.astimezone(tz).date(), time(), tzinfo=tz)
    days = []
    while day < end:
        days.append(day)
        day = datetime.combine(day.date() + DAY, time(), tzinfo=tz)
    return days
