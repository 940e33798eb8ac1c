"""Ingest's SQL side: one transaction per batch records the dead letters, the
(gateway, seq) pairs, sensors, latest values, hourly statistics and the
time-series outbox, so that a batch counts entirely or not at all.

Runs on SQLite and PostgreSQL through their `INSERT ... ON CONFLICT` dialects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from edge.wire import Reading, Telemetry, TopicParts
from ingest.batch_sql import SensorRow, batch_sql_for
from ingest.orm import DeadLetter, SeenMessage, Sensor, TsOutbox
from ingest.rollup import Rollup
from kernel.orm import Zone

MAX_DEAD_LETTER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Accepted:
    topic: TopicParts
    message: Telemetry


@dataclass(frozen=True, slots=True)
class Rejected:
    topic: str
    payload: bytes
    reason: str


@dataclass(slots=True)
class BatchOutcome:
    readings: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    lines: int = 0
    fresh: list[Accepted] = field(default_factory=list)


class IngestStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.sql = batch_sql_for(sessions.kw["bind"].dialect.name)

    def commit_batch(
        self,
        accepted: Sequence[Accepted],
        rejected: Sequence[Rejected],
        now: datetime,
        line_builder: Callable[[list[Accepted]], list[str]] | None = None,
    ) -> BatchOutcome:
        """Record one batch. `line_builder(fresh)` makes the time-series lines of the
        fresh messages; None means no time-series store is configured."""
        outcome = BatchOutcome(dead_letters=len(rejected))
        with self.sessions() as session, session.begin():
            if rejected:
                session.execute(
                    DeadLetter.__table__.insert(),
                    [
                        {
                            "received_at": now,
                            "topic": r.topic[:256],
                            "reason": r.reason,
                            "payload": r.payload[:MAX_DEAD_LETTER_BYTES],
                        }
                        for r in rejected
                    ],
                )
            fresh = self._claim(session, accepted, now)
            outcome.duplicates = len(accepted) - len(fresh)
            outcome.fresh = fresh
            if fresh:
                readings = [reading for item in fresh for reading in item.message.readings]
                outcome.readings = len(readings)
                self.sql.upsert_sensors(session, _sensor_rows(fresh))
                rollup = Rollup.of(readings)
                # Sorted: concurrent hubs lock rows in the same order (no deadlocks).
                self.sql.upsert_hours(session, sorted(
                    (sensor, quantity, hour, agg.count, agg.min, agg.max, agg.sum)
                    for (sensor, quantity, hour), agg in rollup.hours.items()
                ))
                self.sql.upsert_latest(session, sorted(
                    (sensor, quantity, ts, value)
                    for (sensor, quantity), (ts, value) in rollup.latest.items()
                ))
                if line_builder is not None:
                    lines = line_builder(fresh)
                    outcome.lines = len(lines)
                    if lines:
                        session.add(
                            TsOutbox(created_at=now, line_count=len(lines), lines="\n".join(lines))
                        )
        return outcome

    def _claim(
        self, session: Session, accepted: Sequence[Accepted], now: datetime
    ) -> list[Accepted]:
        """Record the (gateway, seq) pairs; the ones that were new are fresh, in order."""
        first: dict[tuple[str, int], Accepted] = {}
        for item in accepted:
            first.setdefault((item.message.gateway, item.message.seq), item)
        if not first:
            return []
        claimed = self.sql.claim(session, list(first), now)
        return [item for key, item in first.items() if key in claimed]

    # --- read helpers used by the service

    def sensor_zones(self) -> dict[str, str]:
        """sensor id -> zone code, for time-series tags."""
        with self.sessions() as session:
            rows = session.execute(
                select(Sensor.id, Zone.code).join(Zone, Sensor.zone_id == Zone.id)
            )
            return {sensor: zone for sensor, zone in rows}

    def known_sensors(self) -> set[str]:
        with self.sessions() as session:
            return set(session.scalars(select(Sensor.id)))

    def forget_seen_before(self, cutoff: datetime) -> int:
        """Drop (gateway, seq) pairs older than the retention: the table stays small."""
        with self.sessions() as session, session.begin():
            result = session.execute(
                SeenMessage.__table__.delete().where(SeenMessage.received_at < cutoff)
            )
            return result.rowcount or 0



def _sensor_rows(fresh: Iterable[Accepted]) -> list[SensorRow]:
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
