"""Hourly statistics and latest values, folded in memory per batch before one
upsert each: pure code, so the arithmetic is tested without a database.

Beside count/min/max/sum, each hour keeps what the compliance reports need
without a time-series store (see ingest/compliance.py and docs/reports.md):

- for temperature, the sum of exp(-ΔH/(R·T)) over the good readings and the ΔH
  used (mean kinetic temperature by the Haynes equation needs every reading,
  not the hourly mean, which understates it);
- the first and last good reading of the hour and the longest gap between
  consecutive good readings within it (record completeness).

The gap is exact while readings come in time order (or in reverse order). A
reading that lands inside the span already seen can only split a gap, so the
kept longest gap is then an upper bound: a gap may be reported that a late
reading filled, never the other way round.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contract.wire import Quality, Reading

# The gas constant, J/(mol·K), as USP <1079.2> gives it (so its default ΔH of
# 83.144 kJ/mol makes ΔH/R = 10,000 K), and that default ΔH, J/mol.
GAS_CONSTANT = 8.3144
DEFAULT_DELTA_H = 83_144.0
KELVIN = 273.15
TEMPERATURE = "temperature_c"


@dataclass(slots=True)
class Aggregate:
    count: int
    min: float
    max: float
    sum: float
    # First and last good reading, as POSIX seconds (cheap to compare on the hot path).
    first: float
    last: float
    max_gap_s: float = 0.0
    # Temperature only: Σ exp(-ΔH/(R·T)) and the ΔH (J/mol) it was computed with.
    exp_sum: float | None = None
    delta_h: float | None = None
    # Kept by `Rollup.of` for the batch's latest values and stored points: the value at
    # `last` (the later one of two at the same time) and its time, every value of the
    # hour as a point (sensor, quantity, ts, value) in the order it came, and whether
    # that order is strictly by time (then the points need no sort).
    last_value: float = 0.0
    last_ts_at: datetime | None = None
    points: list[tuple[str, str, datetime, float]] = field(default_factory=list)
    in_order: bool = True

    def add(self, value: float, at: float) -> None:
        """One more good value at `at` (POSIX seconds); the fold in `Rollup.of` is
        this, inlined."""
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        if at >= self.last:
            gap = at - self.last
            self.last = at
        elif at <= self.first:
            gap = self.first - at
            self.first = at
        else:
            return  # inside the span: splits a gap, the kept one stays an upper bound
        if gap > self.max_gap_s:
            self.max_gap_s = gap

    @property
    def mean(self) -> float:
        return self.sum / self.count

    @property
    def first_ts(self) -> datetime:
        return datetime.fromtimestamp(self.first, UTC)

    @property
    def last_ts(self) -> datetime:
        return datetime.fromtimestamp(self.last, UTC)


def kinetic_term(temperature_c: float, delta_h: float) -> float:
    """exp(-ΔH/(R·T)), T in kelvin: one reading's share of the Haynes sum."""
    return math.exp(-delta_h / (GAS_CONSTANT * (temperature_c + KELVIN)))


ONE_HOUR = timedelta(hours=1)
HourKey = tuple[str, str, datetime]  # sensor, quantity, hour (UTC, truncated)
LatestKey = tuple[str, str]  # sensor, quantity


def hour_of(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


@dataclass(slots=True)
class Rollup:
    """What one batch adds to the hourly statistics and the latest values."""

    hours: dict[HourKey, Aggregate]
    latest: dict[LatestKey, tuple[datetime, float]]
    # Every good value (sensor, quantity, ts, value), sorted: the stored readings the
    # reports' time out of range is computed from (ingest/out_of_range.py).
    points: list[tuple[str, str, datetime, float]] = field(default_factory=list)

    @classmethod
    def of(cls, readings: Iterable[Reading], delta_h: Mapping[str, float] | None = None,
           default_delta_h: float = DEFAULT_DELTA_H) -> Rollup:
        """Fold readings in; `delta_h` maps a sensor to its storage class's ΔH (J/mol),
        others take `default_delta_h`. On ingest's hot path: locals instead of
        attribute lookups, the hour of the previous reading reused while it fits, and
        one dictionary lookup per value: the latest values and the points are kept on
        the hour's aggregate and gathered once at the end (a sort of the hours, not of
        every point)."""
        hours: dict[HourKey, Aggregate] = {}
        hour_start = hour_end = None
        good = Quality.GOOD
        delta_h_of = (delta_h or {}).get
        exp = math.exp
        r_gas = GAS_CONSTANT
        for reading in readings:
            # Only good values are evidence of storage conditions.
            if reading.quality is not good:
                continue
            ts, sensor = reading.ts, reading.sensor
            # Unchecked below: hour_end is set whenever hour_start is (the same branch); mypy
            # cannot tie the two.
            if hour_start is None or not hour_start <= ts < hour_end:  # type: ignore[operator]
                hour_start = hour_of(ts)
                hour_end = hour_start + ONE_HOUR
            at = ts.timestamp()
            for quantity, value in reading.quantities.items():
                key = (sensor, quantity, hour_start)
                agg = hours.get(key)
                if agg is None:
                    agg = hours[key] = Aggregate(1, value, value, value, at, at, 0.0, None, None,
                                                 value, ts, [(sensor, quantity, ts, value)])
                    if quantity == TEMPERATURE:
                        agg.delta_h = delta_h_of(sensor, default_delta_h)
                        agg.exp_sum = exp(-agg.delta_h / (r_gas * (value + KELVIN)))
                    continue
                # Aggregate.add, inlined: this runs once per reading and quantity.
                agg.count += 1
                agg.sum += value
                if value < agg.min:
                    agg.min = value
                elif value > agg.max:
                    agg.max = value
                agg.points.append((sensor, quantity, ts, value))
                last = agg.last
                if at > last:
                    if at - last > agg.max_gap_s:
                        agg.max_gap_s = at - last
                    agg.last = at
                    agg.last_value, agg.last_ts_at = value, ts
                else:
                    agg.in_order = False
                    if at == last:  # the later of two at one time is the latest
                        agg.last_value, agg.last_ts_at = value, ts
                    elif at <= agg.first:
                        if agg.first - at > agg.max_gap_s:
                            agg.max_gap_s = agg.first - at
                        agg.first = at
                if agg.delta_h is not None:
                    # Unchecked below: exp_sum is a number whenever delta_h is (set together
                    # when the hour opens).
                    agg.exp_sum += exp(  # type: ignore[operator]
                        -agg.delta_h / (r_gas * (value + KELVIN)))
        latest: dict[LatestKey, tuple[datetime, float]] = {}
        points: list[tuple[str, str, datetime, float]] = []
        # Sorted keys: a sensor's quantity's hours in time order, so the last one seen
        # holds its latest value and the points come out sorted.
        for key in sorted(hours):
            agg = hours[key]
            # Unchecked below: last_ts_at is set with every aggregate made above.
            latest[(key[0], key[1])] = (agg.last_ts_at, agg.last_value)  # type: ignore[assignment]
            points.extend(agg.points if agg.in_order else sorted(agg.points))
        return cls(hours, latest, points)
