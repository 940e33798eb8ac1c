"""Hourly statistics and latest values, folded in memory per batch before one
upsert each: pure code, so the arithmetic is tested without a database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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
        rollup = cls({}, {})
        for reading in readings:
            rollup.add(reading)
        return rollup

    def add(self, reading: Reading) -> None:
        # Only good values are evidence of storage conditions.
        if reading.quality is not Quality.GOOD:
            return
        hour = hour_of(reading.ts)
        for quantity, value in reading.quantities.items():
            key = (reading.sensor, quantity, hour)
            aggregate = self.hours.get(key)
            if aggregate is None:
                self.hours[key] = Aggregate(1, value, value, value)
            else:
                aggregate.add(value)
            current = self.latest.get((reading.sensor, quantity))
            if current is None or reading.ts >= current[0]:
                self.latest[(reading.sensor, quantity)] = (reading.ts, value)
