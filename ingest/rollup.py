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
    # Every good value (sensor, quantity, ts, value): the stored readings the reports'
    # time out of range is computed from (ingest/out_of_range.py).
    points: list[tuple[str, str, datetime, float]] = field(default_factory=list)

    @classmethod
    def of(cls, readings: Iterable[Reading], delta_h: Mapping[str, float] | None = None,
           default_delta_h: float = DEFAULT_DELTA_H) -> Rollup:
        """Fold readings in; `delta_h` maps a sensor to its storage class's ΔH (J/mol),
        others take `default_delta_h`. On ingest's hot path: locals instead of
        attribute lookups, and the hour of the previous reading reused while it fits."""
        hours: dict[HourKey, Aggregate] = {}
        latest: dict[LatestKey, tuple[datetime, float]] = {}
        points: list[tuple[str, str, datetime, float]] = []
        keep = points.append
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
                keep((sensor, quantity, ts, value))
                key = (sensor, quantity, hour_start)
                agg = hours.get(key)
                if agg is None:
                    agg = hours[key] = Aggregate(1, value, value, value, at, at)
                    if quantity == TEMPERATURE:
                        agg.delta_h = delta_h_of(sensor, default_delta_h)
                        agg.exp_sum = exp(-agg.delta_h / (r_gas * (value + KELVIN)))
                else:
                    # Aggregate.add, inlined: this runs once per reading and quantity.
                    agg.count += 1
                    agg.sum += value
                    if value < agg.min:
                        agg.min = value
                    elif value > agg.max:
                        agg.max = value
                    if at >= agg.last:
                        if at - agg.last > agg.max_gap_s:
                            agg.max_gap_s = at - agg.last
                        agg.last = at
                    elif at <= agg.first:
                        if agg.first - at > agg.max_gap_s:
                            agg.max_gap_s = agg.first - at
                        agg.first = at
                    if agg.delta_h is not None:
                        # Unchecked below: exp_sum is a number whenever delta_h is (set together
                        # when the hour opens).
                        agg.exp_sum += exp(  # type: ignore[operator]
                            -agg.delta_h / (r_gas * (value + KELVIN)))
                current = latest.get((sensor, quantity))
                if current is None or ts >= current[0]:
                    latest[(sensor, quantity)] = (ts, value)
        return cls(hours, latest, points)
