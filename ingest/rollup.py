"""Hourly statistics and latest values, folded in memory per batch before one
upsert each: pure code, so the arithmetic is tested without a database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.wire import Quality, Reading


@dataclass(slots=True)
class Aggregate:
    count: int
    min: float
    max: float
    sum: float

    def add(self, value: float) -> None:
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    @property
    def mean(self) -> float:
        return self.sum / self.count


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

    @classmethod
    def of(cls, readings: Iterable[Reading]) -> Rollup:
        """Fold readings in. On ingest's hot path: locals instead of attribute
        lookups, and the hour of the previous reading reused while it fits."""
        hours: dict[HourKey, Aggregate] = {}
        latest: dict[LatestKey, tuple[datetime, float]] = {}
        hour_start = hour_end = None
        good = Quality.GOOD
        for reading in readings:
            # Only good values are evidence of storage conditions.
            if reading.quality is not good:
                continue
            ts, sensor = reading.ts, reading.sensor
            if hour_start is None or not hour_start <= ts < hour_end:  # type: ignore[operator]
                hour_start = hour_of(ts)
                hour_end = hour_start + ONE_HOUR
            for quantity, value in reading.quantities.items():
                key = (sensor, quantity, hour_start)
                aggregate = hours.get(key)
                if aggregate is None:
                    hours[key] = Aggregate(1, value, value, value)
                else:
                    aggregate.add(value)
                current = latest.get((sensor, quantity))
                if current is None or ts >= current[0]:
                    latest[(sensor, quantity)] = (ts, value)
        return cls(hours, latest)
