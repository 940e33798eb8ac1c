"""The ingest service: MQTT deliveries in, batches committed to SQL, then acked.

paho's thread decodes and checks deliveries as they come (up to two batches ahead,
`ingest.examine`) and queues them. A pipeline does the rest: one thread ("ingest")
takes them in batches (up to `ingest_batch_messages`, or what arrived within
`ingest_batch_ms`) and builds each batch's rows (`ingest.prepared`); the committers
("ingest-commit-N", two on PostgreSQL, see `_run_commits`) commit each batch in one
transaction (dead letters, de-duplication, stored readings, sensors, statistics,
gateway statuses, time-series outbox) and only then acknowledge its messages to the
broker, in order. The hand-off holds one batch: the next batch is built while the
ones before commit (the database's time, fsync included, overlaps with the hub's
Python), and never more than one ahead. The outbox writer drains to the time-series
store on its own thread.

Only transient database errors (connection lost, lock and serialisation
conflicts) are retried, with backoff; a message the database refuses is
dead-lettered by the store's bisection and the rest goes on, so every delivery
is acknowledged. After each commit the hooks (`ingest.hooks`) hear the fresh
readings and the statuses, on their own thread.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from contract import wire
from contract.mqtt_client import Delivery, subscriber
from contract.retry import Backoff, Stopped, first_line, retry
from ingest.examine import Examiner
from ingest.hooks import BatchHook, CommittedBatch, HookDispatcher, StatusHook
from ingest.lineproto import LineBuilder
from ingest.metrics import IngestMetrics
from ingest.prepared import BatchRows, prepare
from ingest.settings import IngestSettings
from ingest.store import Accepted, IngestStore, Outcome
from ingest.tsdb import InfluxWriteSink, LineSink, OutboxWriter
from ingest.zone_limits import ZoneLimitSampler

log = logging.getLogger(__name__)

UNASSIGNED = "unassigned"


@dataclass(slots=True)
class Batch:
    """Deliveries taken together, already decoded and checked."""

    now: datetime
    deliveries: list[Delivery] = field(default_factory=list)
    # One per delivery that is recorded, in the order received.
    items: list[Outcome] = field(default_factory=list)
    readings: int = 0
    # Its rows, built by the first stage should every message be fresh and owned, and
    # the generation of the sensor zones and ΔH they were built with.
    rows: BatchRows | None = None
    zones_generation: int = 0
    # Two commits in flight (see _run_commits): the batch before this one, and when
    # this one's transaction has written what is its own, and when it is done.
    previous: Batch | None = None
    inserted: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


# A delivery, its outcome, and whether it was examined yet (see _receive).
Queued = tuple[Delivery, Outcome | None, bool]


def _readings_of(outcome: Outcome | None) -> int:
    return len(outcome.message.readings) if isinstance(outcome, Accepted) else 0
ZONE_REFRESH_S = 15.0
HOUSEKEEPING_S = 3600.0


class IngestService:
    def __init__(
        self,
        settings: IngestSettings,
        sessions: sessionmaker[Session],
        registry: CollectorRegistry,
        *,
        sink: LineSink | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = IngestMetrics(registry)
        self.store = IngestStore(sessions)
        self.queue: queue.SimpleQueue[Queued | None] = queue.SimpleQueue()
        # Readings decoded on paho's thread, and those of them the worker took: each
        # written by one thread only, so no lock; the difference is what waits.
        self._decoded = 0
        self._taken = 0
        self._decode_ahead_limit = 2 * settings.ingest_batch_readings
        if sink is None and settings.tsdb_url:
            sink = InfluxWriteSink(
                settings.tsdb_url, settings.tsdb_token, settings.tsdb_org, settings.tsdb_bucket,
                settings.tsdb_timeout_s,
            )
        self.writer = (
            OutboxWriter(sessions, sink, self.metrics, max_lines=settings.tsdb_batch_lines)
            if sink is not None
            else None
        )
        # Zone limits go where the readings go: only with a time-series store.
        self.zone_limits = (
            ZoneLimitSampler(sessions, wakeup=self.writer.wakeup) if self.writer else None
        )
        self.subscriber = subscriber(
            settings.mqtt, ("telemetry", "status"), self._receive,
            on_connection_change=lambda up: self.metrics.mqtt_connected.set(1 if up else 0),
        )
        self.hooks = HookDispatcher(registry)
        self._examiner = Examiner(
            {kind: self.metrics.messages.labels(kind) for kind in wire.KINDS},
            max_future=timedelta(seconds=settings.ingest_max_future_s),
            max_age=timedelta(seconds=settings.ingest_max_age_s),
        )
        self._line_builder = LineBuilder()
        self._zones: dict[str, str] = {}
        self._known: set[str] = set()
        self._zones_loaded_at = 0.0
        self._zones_generation = 0
        self._generations = itertools.count(1)
        self._housekeeping_at = 0.0
        self._thread: threading.Thread | None = None
        # SQLite has one writer at a time: a second transaction would only wait.
        self.commits_in_flight = (
            settings.ingest_commits_in_flight if self.store.dialect == "postgresql" else 1)
        self._committers: list[threading.Thread] = []
        self._housekeeping_lock = threading.Lock()
        # The pipeline's hand-off: a batch built, waiting for a committer. The slot
        # is taken before a batch is gathered and given back when a committer takes
        # it, so at most one batch is built ahead of those committing.
        self._handoff: queue.SimpleQueue[Batch | None] = queue.SimpleQueue()
        self._slot = threading.Semaphore(1)
        self._stopping = threading.Event()
        self.last_error: str | None = None

    # --- extension points

    def on_batch(self, hook: BatchHook) -> None:
        """Call `hook(CommittedBatch)` after each committed batch with fresh readings,
        on the hooks' own thread (see ingest.hooks). Register before start()."""
        self.hooks.on_batch(hook)

    def on_status(self, hook: StatusHook) -> None:
        """Call `hook(StatusUpdate)` for each gateway status, once committed."""
        self.hooks.on_status(hook)

    # --- lifecycle

    def start(self) -> None:
        self._known = self.store.known_sensors()
        self.refresh_zones()
        self.hooks.start()
        if self.writer:
            self.writer.start()
        if self.zone_limits:
            self.zone_limits.start()
        self._committers = [
            threading.Thread(target=self._run_commits, name=f"ingest-commit-{n}", daemon=True)
            for n in range(1, self.commits_in_flight + 1)
        ]
        for committer in self._committers:
            committer.start()
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
        self._thread.start()
        self.subscriber.start()

    def stop(self) -> None:
        """Stop taking messages, commit what was received, flush the store."""
        self.subscriber.stop()
        self._stopping.set()
        self.queue.put(None)
        if self._thread:
            self._thread.join(timeout=30)
        for committer in self._committers:
            committer.join(timeout=30)
        self.hooks.stop()
        if self.zone_limits:
            self.zone_limits.stop()
        if self.writer:
            self.writer.stop()

    def health(self) -> dict[str, dict[str, object]]:
        checks: dict[str, dict[str, object]] = {"broker": self.subscriber.health()}
        if self.writer:
            checks["timeseries"] = self.writer.health()
        else:
            checks["timeseries"] = {"ok": True, "configured": False}
        if self.last_error:
            checks["ingest"] = {"ok": False, "error": self.last_error}
        return checks

    def refresh_zones(self) -> None:
        """Reload sensor → zone codes and sensor → ΔH (after an assignment, and every
        few seconds)."""
        zones = self.store.sensor_zones()
        delta_h = self.store.sensor_delta_h()
        self._zones_loaded_at = time.monotonic()
        if zones == self._zones and delta_h == self.store.delta_h:
            return  # the rows built ahead still hold: the periodic reload changes nothing
        self._zones = zones
        self.store.delta_h = delta_h
        # Rows built with the ones before are built again (next() on a count is atomic:
        # the API's thread refreshes too, after an assignment).
        self._zones_generation = next(self._generations)

    # --- the worker

    def _run(self) -> None:
        """The first stage: gather a batch, build its rows, hand it to the committers."""
        previous: Batch | None = None
        try:
            while True:
                self._slot.acquire()
                batch = self._take_batch()
                if batch is None:
                    return
                if batch.deliveries:
                    self._prepare(batch)
                batch.previous, previous = previous, batch
                self._handoff.put(batch)
        finally:
            for _ in self._committers:
                self._handoff.put(None)

    def _run_commits(self) -> None:
        """The second stage: commit each batch, then acknowledge it, in order.

        Two commits in flight (`ingest_commits_in_flight`, PostgreSQL): a batch's
        transaction begins once the one before has written what is its own (claims,
        stored readings, outbox: `IngestStore.commit_batch`'s `on_inserted`), so that
        work overlaps the other's updates of the rows every batch updates (sensors,
        hours, latest values), which it then waits for. The older never waits for the
        younger, so the two do not deadlock; only an older one that starts its
        transaction again (a sensor changed gateway meanwhile, a transient error) may,
        and PostgreSQL then breaks the cycle and the batch is retried (40P01 is
        transient), counting nothing twice. Each is acknowledged and handed to
        the hooks only after the one before, so the alarm engine sees batches in the
        order received."""
        while True:
            batch = self._handoff.get()
            self._slot.release()
            if batch is None:
                return
            try:
                if batch.deliveries:
                    self._commit_with_retry(batch)
            finally:
                batch.previous = None  # the chain holds no more than the batches in flight
                batch.inserted.set()
                batch.done.set()
            self._housekeeping()

    def _after(self, event: threading.Event) -> None:
        """Wait for the batch before (its `event`), unless the service stops."""
        while not event.wait(0.5):
            if self._stopping.is_set():
                raise Stopped

    def _prepare(self, batch: Batch) -> None:
        """Build the batch's rows ahead of its commit. Should that fail (it needs no
        database: only a bug could make it), the commit builds them itself."""
        batch.zones_generation = self._zones_generation
        try:
            batch.rows = prepare(batch.items, self.store.sql, self.store.delta_h,
                                 self._lines if self.writer else None)
        except Exception:
            log.exception("could not build a batch's rows ahead; the commit builds them")

    def _take_batch(self) -> Batch | None:
        """Block for the first delivery, then gather more for up to batch_ms, until the
        batch holds `ingest_batch_messages` messages or `ingest_batch_readings` readings.
        Each delivery is decoded and checked as it is taken."""
        try:
            first = self.queue.get(timeout=1.0)
        except queue.Empty:
            return None if self._stopping.is_set() else Batch(self.clock())
        if first is None:
            return None
        batch = Batch(self.clock())
        self._add(batch, first)
        deadline = time.monotonic() + self.settings.ingest_batch_ms / 1000
        while (
            len(batch.deliveries) < self.settings.ingest_batch_messages
            and batch.readings < self.settings.ingest_batch_readings
        ):
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self.queue.get_nowait() if remaining <= 0
                    else self.queue.get(timeout=remaining)
                )
            except queue.Empty:
                break
            if item is None:
                self._stopping.set()
                self.queue.put(None)  # the next _take_batch ends the loop
                break
            self._add(batch, item)
        return batch

    def _receive(self, delivery: Delivery) -> None:
        """On paho's network thread: decode and check here, so that this work overlaps
        with the worker waiting for the database, as long as the decoded messages
        waiting for the worker stay under two batches' readings. Beyond that a delivery
        waits as it came (a 50-reading payload is a tenth of its decoded size) and the
        worker decodes it when it takes it: the hub's memory stays bounded by the
        batch size, whatever the broker's receive maximum lets in."""
        if self._decoded - self._taken < self._decode_ahead_limit:
            outcome = self._examine(delivery, self.clock())
            self._decoded += _readings_of(outcome)
            self.queue.put((delivery, outcome, True))
        else:
            self.queue.put((delivery, None, False))

    def _add(self, batch: Batch, item: Queued) -> None:
        delivery, outcome, examined = item
        if examined:
            self._taken += _readings_of(outcome)
        else:
            outcome = self._examine(delivery, batch.now)
        batch.deliveries.append(delivery)
        if outcome is not None:
            batch.items.append(outcome)
        batch.readings += _readings_of(outcome)

    def _commit_with_retry(self, batch: Batch) -> None:
        """Commit, retrying what the store raises: by then only transient errors or a
        database that refuses even a lone dead letter — never one message's fault."""

        def failed(exc: BaseException, pause: float) -> None:
            message = first_line(exc)
            if message != self.last_error:
                log.exception("could not commit an ingest batch; retrying",
                              extra={"retry_in_s": pause})
            self.last_error = message

        try:
            retry(lambda: self.commit(batch), wait=self._stopping.wait,
                  backoff=Backoff(0.5, 30.0), on_error=failed,
                  retryable=lambda exc: not isinstance(exc, Stopped))
        except Stopped:
            return  # unacknowledged: the broker redelivers after restart
        if self.last_error:
            log.info("database reachable again; ingest goes on")
        self.last_error = None

    def commit(self, batch: Batch) -> None:
        """Record the batch, then acknowledge every delivery in it to the broker."""
        if time.monotonic() - self._zones_loaded_at > ZONE_REFRESH_S:
            self.refresh_zones()
        previous = batch.previous
        if previous is not None:
            self._after(previous.inserted)
        started = time.perf_counter()
        rows = batch.rows if batch.zones_generation == self._zones_generation else None
        result = self.store.commit_isolating(
            batch.items, batch.now, self._lines if self.writer else None, rows,
            batch.inserted.set,
        )
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        if previous is not None:
            self._after(previous.done)
        self.subscriber.ack(batch.deliveries)
        self.metrics.readings.inc(result.readings)
        self.metrics.duplicates.inc(result.duplicates)
        self.metrics.dead_letters.inc(result.dead_letters)
        for item in result.dead:
            log.warning("dead letter", extra={"topic": item.topic, "reason": item.reason})
        self._note_new_sensors(result.fresh)
        if self.writer and result.lines:
            self.metrics.spool_lines.inc(result.lines)
            self.writer.wakeup.set()
        self.hooks.committed(CommittedBatch(batch.now, tuple(result.fresh)), result.statuses)

    def _examine(self, delivery: Delivery, now: datetime) -> Outcome | None:
        return self._examiner(delivery, now)

    def _lines(self, fresh: list[Accepted]) -> list[str]:
        lines: list[str] = []
        add, zones = self._line_builder.lines, self._zones
        for item in fresh:
            add(item.message.readings, item.topic.site, item.message.gateway, zones, UNASSIGNED,
                lines)
        return lines

    def _note_new_sensors(self, fresh: list[Accepted]) -> None:
        for item in fresh:
            for reading in item.message.readings:
                if reading.sensor not in self._known:
                    self._known.add(reading.sensor)
                    self.metrics.sensors_registered.inc()
                    log.info("registered an unknown sensor as unassigned", extra={
                        "sensor": reading.sensor, "gateway": item.message.gateway})

    def _housekeeping(self) -> None:
        if time.monotonic() - self._housekeeping_at < HOUSEKEEPING_S:
            return
        if not self._housekeeping_lock.acquire(blocking=False):
            return  # the other committer does it
        try:
            self._prune_seen()
        finally:
            self._housekeeping_lock.release()

    def _prune_seen(self) -> None:
        self._housekeeping_at = time.monotonic()
        cutoff = self.clock() - timedelta(seconds=self.settings.ingest_dedup_retention_s)
        try:
            self.store.forget_seen_before(cutoff)
        except Exception:
            log.exception("could not prune the de-duplication record; will try again")
