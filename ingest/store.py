"""Ingest's SQL side: one transaction per batch records the dead letters, the
(gateway, seq) pairs, sensors, latest values, hourly statistics, the readings,
gateway statuses and the time-series outbox, so that a batch counts entirely or not
at all.

A sensor belongs to one gateway: the first to report it, or the one an admin
assigned (`ingest/sensors.py`). A message with a reading for a sensor another
gateway owns is a dead letter naming both; the message is the unit, as for any
refused reading. The check runs in memory against the owners this store has seen,
and SQL has the last word: the sensors upsert changes no row whose gateway differs
(`ingest/batch_sql.py`), so a count short of the rows sent means an owner moved
(an admin, or another hub registering the sensor a moment earlier) and the batch
is done again with the owners read afresh. No query per reading.

A batch the database refuses for a reason that is not transient (see
`kernel.dberrors`) is split in halves until the message it refuses is alone;
that message becomes a dead letter with the database's reason and the rest is
committed. One message can never wedge ingest.

Runs on SQLite and PostgreSQL through their `INSERT ... ON CONFLICT` dialects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from contract.wire import TOPIC_PREFIX, Reading, TopicParts, printable, utc_now
from ingest import calibration, repository
from ingest.batch_sql import SensorRow, batch_sql_for, refresh_gaps
from ingest.orm import TsOutbox
from ingest.outcomes import Accepted, Outcome, Rejected, StatusUpdate
from ingest.prepared import BatchRows, LineBuilder, first_of_each, hour_rows, rows_of
from ingest.rollup import Rollup
from kernel.dberrors import database_reason, is_transient

log = logging.getLogger(__name__)

MAX_DEAD_LETTER_BYTES = 64 * 1024
# The sensor -> gateway map kept in memory: a site has a few thousand sensors; past
# this many (ids made up by a broken or hostile gateway) it starts again.
MAX_OWNERS_KEPT = 1_000_000
# Sensor ids per query when owners are read afresh (bind parameters per statement).
OWNERS_PER_QUERY = 5_000
# Times a batch is done again because owners moved while it ran: each time with the
# owners read afresh, so a second miss takes another move in that very moment.
OWNER_ATTEMPTS = 3


def _topic_of(parts: TopicParts) -> str:
    return f"{TOPIC_PREFIX}/{parts.site}/{parts.gateway}/{parts.kind}"




class OwnersMoved(Exception):
    """The sensors upsert found sensors whose stored gateway is not the one expected:
    moved by an admin, or registered a moment ago by another hub. The batch was rolled
    back; it is done again once the owners of `sensors` are read afresh."""

    def __init__(self, sensors: Collection[str]) -> None:
        super().__init__(f"the gateway of some of {len(sensors)} sensors changed meanwhile")
        self.sensors = sensors


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
        # sensor id -> the gateway that owns it, as far as this store has seen; only
        # ever written by the one thread that commits batches.
        self.owners: dict[str, str] = {}

    def commit_isolating(
        self,
        items: Sequence[Outcome],
        now: datetime,
        line_builder: LineBuilder | None = None,
        prepared: BatchRows | None = None,
        on_inserted: Callable[[], None] | None = None,
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
            return self.commit_batch(items, now, line_builder, prepared, on_inserted)
        except Exception as exc:
            if is_transient(exc) or isinstance(exc, OwnersMoved) or not items:
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
        line_builder: LineBuilder | None = None,
        prepared: BatchRows | None = None,
        on_inserted: Callable[[], None] | None = None,
    ) -> BatchOutcome:
        """Record one batch in one transaction. `line_builder(fresh)` makes the
        time-series lines of the fresh messages; None means no time-series store
        is configured. `prepared`: the rows of `items` built beforehand
        (`ingest.prepared.prepare`, same line builder), used when every accepted
        message turns out fresh and owned. `on_inserted()` is called once the
        transaction has written what no other batch writes (the (gateway, seq)
        claims, the stored readings, the outbox) and before it updates the rows
        every batch updates (sensors, hours, latest values): from then on the next
        batch's transaction may begin without either waiting for the other in a
        cycle (ingest.service, "two commits in flight"). Raises OwnersMoved only
        when sensors changed gateway during each of OWNER_ATTEMPTS tries."""
        for attempt in range(1, OWNER_ATTEMPTS + 1):
            try:
                return self._commit_once(items, now, line_builder, prepared, on_inserted)
            except OwnersMoved as moved:
                if attempt == OWNER_ATTEMPTS:
                    raise
                log.info("sensors changed gateway during a batch; doing it again",
                         extra={"sensors": len(moved.sensors)})
                with self.sessions() as session:
                    self._read_owners(session, moved.sensors)
        raise AssertionError("unreachable")

    def _commit_once(
        self,
        items: Sequence[Outcome],
        now: datetime,
        line_builder: LineBuilder | None,
        prepared: BatchRows | None,
        on_inserted: Callable[[], None] | None = None,
    ) -> BatchOutcome:
        accepted = [item for item in items if isinstance(item, Accepted)]
        rejected = [item for item in items if isinstance(item, Rejected)]
        statuses = [item for item in items if isinstance(item, StatusUpdate)]
        outcome = BatchOutcome(dead=rejected, statuses=statuses)
        sensor_rows: list[SensorRow] = []
        with self.sessions() as session, session.begin():
            _insert_dead_letters(session, rejected, now)
            if statuses:
                self._upsert_statuses(session, statuses)
            fresh = self._claim(session, accepted, now)
            outcome.duplicates = len(accepted) - len(fresh)
            fresh, foreign = self._owned(session, fresh)
            if foreign:
                _insert_dead_letters(session, foreign, now)
                outcome.dead = [*rejected, *foreign]
            outcome.fresh = fresh
            if fresh:
                # The rows built ahead hold when nothing was left out: `fresh` is then
                # the very list they were built from (the first of each (gateway, seq)).
                rows = (prepared if prepared is not None and len(prepared.fresh) == len(fresh)
                        else rows_of(fresh, self.sql, self.delta_h, line_builder))
                outcome.readings = rows.readings
                sensor_rows = rows.sensor_rows
                # First what is this batch's alone, then the rows shared with others.
                self.sql.insert_readings(session, rows.points)
                if line_builder is not None and rows.lines is not None:
                    outcome.lines = rows.line_count
                    session.add(
                        TsOutbox(created_at=now, line_count=rows.line_count, lines=rows.lines)
                    )
                    session.flush()
                if on_inserted is not None:
                    on_inserted()
                if self.sql.upsert_sensors(session, rows.sensors) != len(sensor_rows):
                    raise OwnersMoved([row[0] for row in sensor_rows])
                self.sql.upsert_hours(session, rows.hours)
                self.sql.upsert_latest(session, rows.latest)
            elif on_inserted is not None:
                on_inserted()
        self._remember_owners(sensor_rows)
        return outcome

    def commit_history(
        self,
        readings: Sequence[Reading],
        import_id: int,
        line_builder: Callable[[list[Reading]], list[str]] | None = None,
    ) -> int:
        """Historical readings of known sensors (ingest/history.py), in one transaction,
        through the same statements as live ones: each value is stored in `readings`
        (marked with `import_id`) unless one is stored for its sensor, quantity and
        time already, and only the values newly stored are folded into the hourly
        statistics (MKT sums, completeness) and sent to the time-series store. So a
        file imported twice changes nothing the second time. Neither the latest values
        nor the sensors' last seen change, and no hook runs: history raises no live
        alarm. The number of values newly stored."""
        points = sorted({(r.sensor, q, r.ts, v) for r in readings
                         for q, v in r.quantities.items()})
        with self.sessions() as session, session.begin():
            new = self.sql.insert_new_readings(session, points, import_id)
            if not new:
                return 0
            kept: list[Reading] = []
            for reading in readings:
                values = {q: v for q, v in reading.quantities.items()
                          if (reading.sensor, q, reading.ts) in new}
                if values:
                    new.difference_update((reading.sensor, q, reading.ts) for q in values)
                    # As it came when all of it is new (the rule), else only what is.
                    kept.append(reading if len(values) == len(reading.quantities) else
                                Reading.model_construct(sensor=reading.sensor, ts=reading.ts,
                                                        quantities=values))
            rollup = Rollup.of(kept, self.delta_h)
            self.sql.upsert_hours(session, self.sql.encode(hour_rows(rollup)))
            refresh_gaps(session, sorted(rollup.hours))
            if line_builder is not None:
                lines = line_builder(kept)
                if lines:
                    session.add(
                        TsOutbox(created_at=utc_now(), line_count=len(lines),
                                 lines="\n".join(lines)))
            return sum(len(r.quantities) for r in kept)

    def _owned(
        self, session: Session, fresh: list[Accepted]
    ) -> tuple[list[Accepted], list[Rejected]]:
        """The fresh messages whose every reading is for a sensor their gateway owns,
        and a dead letter for each other one (the reading named). The owners this
        store knows decide; where they say another gateway, the stored owner is read
        first, so a refusal never rests on a stale memory."""
        owner_of, contested = _owners_in_batch(fresh, self.owners)
        if not contested:
            return fresh, []
        self._read_owners(session, contested)
        owner_of, contested = _owners_in_batch(fresh, self.owners)
        refused: list[Rejected] = []
        # Again until none is contested: a refused message may have been the first
        # to report a new sensor that a later one reports too.
        while contested:
            kept = []
            for item in fresh:
                problem = _foreign_reading(item, owner_of)
                if problem is None:
                    kept.append(item)
                else:
                    refused.append(Rejected(_topic_of(item.topic), item.payload, problem))
            fresh = kept
            owner_of, contested = _owners_in_batch(fresh, self.owners)
        return fresh, refused

    def _read_owners(self, session: Session, sensors: Collection[str]) -> None:
        """The stored gateway of `sensors`, into `owners` (a sensor not stored, or
        stored without a gateway, has no owner yet)."""
        wanted = sorted(sensors)
        stored: dict[str, str | None] = {}
        for start in range(0, len(wanted), OWNERS_PER_QUERY):
            chunk = wanted[start:start + OWNERS_PER_QUERY]
            stored.update(repository.gateways_of(session, chunk))
        for sensor in wanted:
            gateway = stored.get(sensor)
            if gateway is None:
                self.owners.pop(sensor, None)
            else:
                self.owners[sensor] = gateway

    def _remember_owners(self, rows: Sequence[SensorRow]) -> None:
        """After a commit: the gateways of `rows` own their sensors."""
        if len(self.owners) + len(rows) > MAX_OWNERS_KEPT:
            self.owners.clear()
        owners = self.owners
        for sensor, _site, gateway, *_ in rows:
            owners[sensor] = gateway

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
            repository.upsert_gateway_status(session, self.dialect, row)
            # Each change of profile or calibration offsets, kept with its time.
            calibration.record_applied(session, gateway, status.devices, status.ts,
                                       item.received_at)

    def _claim(
        self, session: Session, accepted: Sequence[Accepted], now: datetime
    ) -> list[Accepted]:
        """Record the (gateway, seq) pairs; the ones that were new are fresh, in order."""
        first = first_of_each(accepted)
        if not first:
            return []
        claimed = self.sql.claim(session, list(first), now)
        return [item for key, item in first.items() if key in claimed]

    # --- read helpers used by the service

    def sensor_zones(self) -> dict[str, str]:
        """sensor id -> zone code, for time-series tags."""
        with self.sessions() as session:
            return repository.sensor_zones(session)

    def sensor_delta_h(self) -> dict[str, float]:
        """sensor id -> the ΔH (J/mol) its zone's storage class sets for mean kinetic
        temperature, for the sensors whose class sets one."""
        with self.sessions() as session:
            return repository.sensor_delta_h(session)

    def known_sensors(self) -> set[str]:
        with self.sessions() as session:
            return repository.sensor_ids(session)

    def forget_seen_before(self, cutoff: datetime) -> int:
        """Drop (gateway, seq) pairs older than the retention: the table stays small."""
        with self.sessions() as session, session.begin():
            return repository.forget_seen_before(session, cutoff)


def _insert_dead_letters(session: Session, rejected: Sequence[Rejected], now: datetime) -> None:
    if rejected:
        repository.insert_dead_letters(session, [
            {
                "received_at": now,
                # Never a NUL or lone surrogate: a reason must be storable.
                "topic": printable(r.topic)[:256],
                "reason": printable(r.reason),
                "payload": r.payload[:MAX_DEAD_LETTER_BYTES],
            }
            for r in rejected
        ])


def _owners_in_batch(
    fresh: Iterable[Accepted], known: Mapping[str, str]
) -> tuple[dict[str, str], set[str]]:
    """Per sensor of the batch, the gateway that owns it: the known owner, else the
    first gateway of the batch to report it; and the sensors another gateway reports
    too."""
    owner_of: dict[str, str] = {}
    contested: set[str] = set()
    for item in fresh:
        gateway = item.message.gateway
        for reading in item.message.readings:
            sensor = reading.sensor
            owner = owner_of.get(sensor)
            if owner is None:
                owner = owner_of[sensor] = known.get(sensor, gateway)
            if owner != gateway:
                contested.add(sensor)
    return owner_of, contested


def _foreign_reading(item: Accepted, owner_of: Mapping[str, str]) -> str | None:
    """Why `item` is refused if one of its readings is for another gateway's sensor."""
    gateway = item.message.gateway
    for index, reading in enumerate(item.message.readings):
        owner = owner_of[reading.sensor]
        if owner != gateway:
            return (f"readings.{index}: sensor {reading.sensor} belongs to gateway "
                    f"{owner}, not {gateway}")
    return None
