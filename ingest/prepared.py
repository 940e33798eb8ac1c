"""A batch's rows, built before its turn to commit.

Ingest is a pipeline of two stages (`ingest.service`): one thread takes the next
batch and builds what it will write — sensor rows, the hourly roll-up, latest
values, the stored points, the time-series lines, each already encoded for the
database (`BatchSQL.encode`) — while another commits the batch before it and
only then acknowledges it. Building needs no database: it assumes that every
accepted message is fresh (its (gateway, seq) not seen before) and that its
gateway owns its sensors, which is what a batch almost always is. The commit
checks both in SQL as before; when either does not hold (a redelivery, a sensor
of another gateway), the rows are built again from what is fresh and owned
(`rows_of`), so the outcome is the same as without the pipeline.

Nothing here writes or acknowledges anything: a hub killed between the stages
leaves the messages unacknowledged, and the broker delivers them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from contract.wire import Reading
from ingest.batch_sql import BatchSQL, SensorRow
from ingest.outcomes import Accepted, Outcome
from ingest.rollup import Rollup

LineBuilder = Callable[[list[Accepted]], list[str]]


@dataclass(frozen=True, slots=True)
class BatchRows:
    """What the fresh messages of a batch write, encoded for the database."""

    fresh: list[Accepted]
    readings: int
    sensor_rows: list[SensorRow]
    sensors: object
    hours: object
    latest: object
    points: object
    line_count: int = 0
    lines: str | None = None  # the outbox text; None without a time-series store


def first_of_each(accepted: Iterable[Accepted]) -> dict[tuple[str, int], Accepted]:
    """The first message of each (gateway, seq), in order: a batch counts a repeat once."""
    first: dict[tuple[str, int], Accepted] = {}
    for item in accepted:
        first.setdefault((item.message.gateway, item.message.seq), item)
    return first


def prepare(items: Sequence[Outcome], sql: BatchSQL, delta_h: Mapping[str, float],
            line_builder: LineBuilder | None) -> BatchRows:
    """The rows of `items` should every accepted message be fresh and owned."""
    accepted = [item for item in items if isinstance(item, Accepted)]
    return rows_of(list(first_of_each(accepted).values()), sql, delta_h, line_builder)


def hour_rows(rollup: Rollup) -> list[tuple[object, ...]]:
    """The hourly statistics' rows of a roll-up (batch_sql.HourRow), sorted: concurrent
    hubs lock rows in the same order (no deadlocks)."""
    return sorted(
        (sensor, quantity, hour, agg.count, agg.min, agg.max, agg.sum,
         agg.first_ts, agg.last_ts, agg.max_gap_s, agg.exp_sum, agg.delta_h)
        for (sensor, quantity, hour), agg in rollup.hours.items()
    )


def rows_of(fresh: list[Accepted], sql: BatchSQL, delta_h: Mapping[str, float],
            line_builder: LineBuilder | None) -> BatchRows:
    readings = [reading for item in fresh for reading in item.message.readings]
    sensor_rows = sensor_rows_of(fresh)
    rollup = Rollup.of(readings, delta_h)
    encode = sql.encode
    hours = encode(hour_rows(rollup))
    latest = encode(sorted(
        (sensor, quantity, ts, value)
        for (sensor, quantity), (ts, value) in rollup.latest.items()
    ))
    # Sorted (by the roll-up) like the others; the reports' time out of range reads these.
    points = sql.encode_points(rollup.points)
    lines = line_builder(fresh) if line_builder is not None and fresh else []
    return BatchRows(
        fresh, len(readings), sensor_rows, encode(sensor_rows), hours, latest, points,
        len(lines), "\n".join(lines) if lines else None,
    )


def sensor_rows_of(fresh: Iterable[Accepted]) -> list[SensorRow]:
    """Per sensor, its newest reading's state, sorted by sensor id."""
    newest: dict[str, tuple[Reading, Accepted]] = {}
    for item in fresh:
        for reading in item.message.readings:
            seen = newest.get(reading.sensor)
            if seen is None or reading.ts >= seen[0].ts:
                newest[reading.sensor] = (reading, item)
    return [
        (sensor, item.topic.site, item.message.gateway, reading.ts, reading.quality.value,
         reading.error)
        for sensor, (reading, item) in sorted(newest.items())
    ]
