"""Ingest's SQL side: one transaction per batch records the dead letters, the
(gateway, seq) pairs, sensors, latest values, hourly statistics, gateway
statuses and the time-series outbox, so that a batch counts entirely or not at
all.

A batch the database refuses for a reason that is not transient (see
`kernel.dberrors`) is split in halves until the message it refuses is alone;
that message becomes a dead letter with the database's reason and the rest is
committed. One message can never wedge ingest.

Runs on SQLite and PostgreSQL through their `INSERT ... ON CONFLICT` dialects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from edge.wire import TOPIC_PREFIX, Reading, Status, Telemetry, TopicParts, printable
from ingest.batch_sql import SensorRow, batch_sql_for
from ingest.orm import DeadLetter, GatewayStatus, SeenMessage, Sensor, TsOutbox
from ingest.rollup import Rollup
from kernel.dberrors import database_reason, is_transient
from kernel.orm import StorageClass, Zone

log = logging.getLogger(__name__)

MAX_DEAD_LETTER_BYTES = 64 * 1024


def _topic_of(parts: TopicParts) -> str:
    return f"{TOPIC_PREFIX}/{parts.site}/{parts.gateway}/{parts.kind}"


@dataclass(frozen=True, slots=True)
class Accepted:
    topic: TopicParts
    message: Telemetry
    # As received: what a dead letter keeps should the database refuse the message.
    payload: bytes = b""


@dataclass(frozen=True, slots=True)
class Rejected:
    topic: str
    payload: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A gateway's status message, decoded, with when the hub received it."""

    topic: TopicParts
    status: Status
    received_at: datetime
    payload: bytes = b""


Outcome = Accepted | Rejected | StatusUpdate


@dataclass(slots=True)
class BatchOutcome:
    readings: int = 0
    duplicates: int = 0
    lines: int = 0
    fresh: list[Accepted] = field(default_factory=list)
    # Every dead letter written: refused at validation, or refused by the database.
    dead: list[Rejected] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)

    @property
    def dead_letters(self) -> int:
        return len(self.dead)

    def add(self, other: BatchOutcome) -> None:
        self.readings += other.readings
        self.duplicates += other.duplicates
        self.lines += other.lines
        self.fresh.extend(other.fresh)
        self.dead.extend(other.dead)
        self.statuses.extend(other.statuses)


class IngestStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.dialect = sessions.kw["bind"].dialect.name
        self.sql = batch_sql_for(self.dialect)
        # sensor id -> its storage class's ΔH (J/mol) where one is set; refreshed by
        # the service with the zones (`sensor_delta_h`). Others take the default.
        self.delta_h: Mapping[str, float] = {}

    def commit_isolating(
        self,
        items: Sequence[Outcome],
        now: datetime,
        line_builder: Callable[[list[Accepted]], list[str]] | None = None,
    ) -> BatchOutcome:
        """Commit `items` (one per delivery); a message the database refuses for a
        reason that is not transient is found by bisection and dead-lettered with
        the database's reason, and the rest is committed.

        Raises only what retrying the whole batch may cure: a transient error, or
        a database that refuses even a lone dead letter (then it is the database,
        not the message). Halves committed before such an error stay committed;
        their retry counts no reading twice ((gateway, seq) de-duplication;
        statuses by ts), though a dead letter of theirs may be written again.
        """
        try:
            return self.commit_batch(items, now, line_builder)
        except Exception as exc:
            if is_transient(exc) or not items:
                raise
            if len(items) > 1:
                middle = len(items) // 2
                outcome = self.commit_isolating(items[:middle], now, line_builder)
                outcome.add(self.commit_isolating(items[middle:], now, line_builder))
                return outcome
            item = items[0]
            if isinstance(item, Rejected):
                raise  # a lone dead letter refused: the database is unwell
            reason = database_reason(exc)
            log.warning("the database refused a message; dead-lettered", extra={
                "topic": _topic_of(item.topic), "reason": reason})
            return self.commit_batch(
                [Rejected(_topic_of(item.topic), item.payload, reason)], now, line_builder
            )

    def commit_batch(
        self,
        items: Sequence[Outcome],
        now: datetime,
        line_builder: Callable[[list[Accepted]], list[str]] | None = None,
    ) -> BatchOutcome:
        """Record one batch in one transaction. `line_builder(fresh)` makes the
        time-series lines of the fresh messages; None means no time-series store
        is configured."""
        accepted = [item for item in items if isinstance(item, Accepted)]
        rejected = [item for item in items if isinstance(item, Rejected)]
        statuses = [item for item in items if isinstance(item, StatusUpdate)]
        outcome = BatchOutcome(dead=rejected, statuses=statuses)
        with self.sessions() as session, session.begin():
            if rejected:
                session.execute(
                    DeadLetter.__table__.insert(),
                    [
                        {
                            "received_at": now,
                            # Never a NUL or lone surrogate: a reason must be storable.
                            "topic": printable(r.topic)[:256],
                            "reason": printable(r.reason),
                            "payload": r.payload[:MAX_DEAD_LETTER_BYTES],
                        }
                        for r in rejected
                    ],
                )
            if statuses:
                self._upsert_statuses(session, statuses)
            fresh = self._claim(session, accepted, now)
            outcome.duplicates = len(accepted) - len(fresh)
            outcome.fresh = fresh
            if fresh:
                readings = [reading for item in fresh for reading in item.message.readings]
                outcome.readings = len(readings)
                self.sql.upsert_sensors(session, _sensor_rows(fresh))
                rollup = Rollup.of(readings, self.delta_h)
                # Sorted: concurrent hubs lock rows in the same order (no deadlocks).
                self.sql.upsert_hours(session, sorted(
                    (sensor, quantity, hour, agg.count, agg.min, agg.max, agg.sum,
                     agg.first_ts, agg.last_ts, agg.max_gap_s, agg.exp_sum, agg.delta_h)
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

    def _upsert_statuses(self, session: Session, statuses: Sequence[StatusUpdate]) -> None:
        """Per gateway, the newest status of the batch; stored unless the stored one is
        newer. Exception: `offline` replaces `online` whatever its ts, because the
        broker publishes the last will (stamped when the connection began) after
        every status of that connection."""
        newest: dict[str, StatusUpdate] = {}
        for item in statuses:
            seen = newest.get(item.topic.gateway)
            if seen is None or item.status.ts >= seen.status.ts or item.status.state == "offline":
                newest[item.topic.gateway] = item
        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(
            GatewayStatus
        )
        for gateway, item in sorted(newest.items()):
            status = item.status
            row = {
                "gateway": gateway,
                "site": item.topic.site,
                "state": status.state,
                "last_seen": item.received_at,
                "status_ts": status.ts,
                "version": status.version[:64],
                "outbox_depth": status.outbox_depth,
                "outbox_dropped": status.outbox_dropped,
                "devices": {
                    name: health.model_dump(mode="json")
                    for name, health in status.devices.items()
                },
                "scanners": {
                    name: health.model_dump(mode="json")
                    for name, health in status.scanners.items()
                },
            }
            table = GatewayStatus.__table__
            statement = insert.values(row).on_conflict_do_update(
                index_elements=[table.c.gateway],
                set_={key: insert.excluded[key] for key in row if key != "gateway"},
                where=(table.c.status_ts <= insert.excluded.status_ts)
                | ((table.c.state == "online") & (insert.excluded.state == "offline")),
            )
            session.execute(statement)

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

    def sensor_delta_h(self) -> dict[str, float]:
        """sensor id -> the ΔH (J/mol) its zone's storage class sets for mean kinetic
        temperature, for the sensors whose class sets one."""
        with self.sessions() as session:
            rows = session.execute(
                select(Sensor.id, StorageClass.mkt_delta_h)
                .join(Zone, Sensor.zone_id == Zone.id)
                .join(StorageClass, Zone.storage_class_id == StorageClass.id)
                .where(StorageClass.mkt_delta_h.is_not(None))
            )
            return {sensor: delta_h for sensor, delta_h in rows}

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
