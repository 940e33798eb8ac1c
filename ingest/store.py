"""Ingest's SQL side: one transaction per batch records the dead letters, the
(gateway, seq) pairs, sensors, latest values, hourly statistics and the
time-series outbox, so that a batch counts entirely or not at all.

Runs on SQLite and PostgreSQL through their `INSERT ... ON CONFLICT` dialects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from edge.wire import Reading, Telemetry, TopicParts
from ingest.orm import DeadLetter, HourlyStat, LatestReading, SeenMessage, Sensor, TsOutbox
from ingest.rollup import Rollup
from inventory.orm import Zone

MAX_DEAD_LETTER_BYTES = 64 * 1024
# Stay below SQLite's and PostgreSQL's limits on bound parameters per statement.
MAX_PARAMS = 30_000


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
    messages: int = 0
    readings: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    lines: int = 0
    fresh: list[Accepted] = field(default_factory=list)


def _chunks(rows: Sequence[dict[str, Any]], width: int) -> Iterator[Sequence[dict[str, Any]]]:
    size = max(1, MAX_PARAMS // max(1, width))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class IngestStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        dialect = sessions.kw["bind"].dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._least = func.least if dialect == "postgresql" else func.min
        self._greatest = func.greatest if dialect == "postgresql" else func.max

    def commit_batch(
        self,
        accepted: Sequence[Accepted],
        rejected: Sequence[Rejected],
        now: datetime,
        line_builder: Any | None = None,
    ) -> BatchOutcome:
        """Record one batch. `line_builder(accepted) -> list[str]` makes the time-series
        lines of the fresh messages; None means no time-series store is configured."""
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
                outcome.messages = len(fresh)
                outcome.readings = len(readings)
                self._upsert_sensors(session, fresh)
                rollup = Rollup.of(readings)
                self._upsert_hours(session, rollup)
                self._upsert_latest(session, rollup)
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
        """Insert the (gateway, seq) pairs; the ones that were new are fresh, in order."""
        first: dict[tuple[str, int], Accepted] = {}
        for item in accepted:
            first.setdefault((item.message.gateway, item.message.seq), item)
        if not first:
            return []
        rows = [{"gateway": g, "seq": s, "received_at": now} for g, s in first]
        table: Table = SeenMessage.__table__  # type: ignore[assignment]
        claimed: set[tuple[str, int]] = set()
        for chunk in _chunks(rows, 3):
            statement = (
                self._insert(table)
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=["gateway", "seq"])
                .returning(table.c.gateway, table.c.seq)
            )
            claimed.update((g, s) for g, s in session.execute(statement))
        return [item for key, item in first.items() if key in claimed]

    def _upsert_sensors(self, session: Session, fresh: Iterable[Accepted]) -> None:
        newest: dict[str, tuple[Reading, Accepted]] = {}
        for item in fresh:
            for reading in item.message.readings:
                seen = newest.get(reading.sensor)
                if seen is None or reading.ts >= seen[0].ts:
                    newest[reading.sensor] = (reading, item)
        rows = [
            {
                "id": sensor,
                "name": "",
                "site": item.topic.site,
                "gateway": item.message.gateway,
                "first_seen": reading.ts,
                "last_seen": reading.ts,
                "last_quality": reading.quality.value,
                "last_error": reading.error,
            }
            for sensor, (reading, item) in sorted(newest.items())
        ]
        table: Table = Sensor.__table__  # type: ignore[assignment]
        for chunk in _chunks(rows, 8):
            statement = self._insert(table).values(list(chunk))
            excluded = statement.excluded
            statement = statement.on_conflict_do_update(
                index_elements=["id"],
                set_={
                    "site": excluded.site,
                    "gateway": excluded.gateway,
                    "last_seen": excluded.last_seen,
                    "last_quality": excluded.last_quality,
                    "last_error": excluded.last_error,
                },
                # A replayed old message must not overwrite newer state.
                where=(table.c.last_seen.is_(None)) | (excluded.last_seen >= table.c.last_seen),
            )
            session.execute(statement)

    def _upsert_hours(self, session: Session, rollup: Rollup) -> None:
        # Sorted keys: concurrent hubs lock rows in the same order (no deadlocks).
        rows = [
            {
                "sensor_id": sensor,
                "quantity": quantity,
                "hour": hour,
                "count": agg.count,
                "min": agg.min,
                "max": agg.max,
                "sum": agg.sum,
            }
            for (sensor, quantity, hour), agg in sorted(rollup.hours.items())
        ]
        table: Table = HourlyStat.__table__  # type: ignore[assignment]
        for chunk in _chunks(rows, 7):
            statement = self._insert(table).values(list(chunk))
            excluded = statement.excluded
            statement = statement.on_conflict_do_update(
                index_elements=["sensor_id", "quantity", "hour"],
                set_={
                    "count": table.c.count + excluded["count"],
                    "min": self._least(table.c.min, excluded["min"]),
                    "max": self._greatest(table.c.max, excluded["max"]),
                    "sum": table.c.sum + excluded["sum"],
                },
            )
            session.execute(statement)

    def _upsert_latest(self, session: Session, rollup: Rollup) -> None:
        rows = [
            {"sensor_id": sensor, "quantity": quantity, "ts": ts, "value": value}
            for (sensor, quantity), (ts, value) in sorted(rollup.latest.items())
        ]
        table: Table = LatestReading.__table__  # type: ignore[assignment]
        for chunk in _chunks(rows, 4):
            statement = self._insert(table).values(list(chunk))
            excluded = statement.excluded
            statement = statement.on_conflict_do_update(
                index_elements=["sensor_id", "quantity"],
                set_={"ts": excluded.ts, "value": excluded.value},
                where=excluded.ts >= table.c.ts,
            )
            session.execute(statement)

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

    def is_seen(self, pairs: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
        pairs = list(pairs)
        with self.sessions() as session:
            rows = session.execute(
                select(SeenMessage.gateway, SeenMessage.seq).where(
                    tuple_(SeenMessage.gateway, SeenMessage.seq).in_(pairs)
                )
            )
            return {(gateway, seq) for gateway, seq in rows}
