"""The time-series writer: drains the SQL outbox to an InfluxDB-v2-write store.

influxdb-client's own batching loses points when the process ends without
close() and cannot be flushed, so we batch ourselves: ingest commits line
batches into `ts_outbox` in the same transaction as the statistics; this thread
sends them oldest first through the synchronous write API, deletes them only
after the store accepted them, and backs off while the store is away. A crash
between the write and the delete replays a batch: harmless, since a line has
the same series and timestamp and the store keeps it once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from contract.retry import Backoff, first_line, retry
from contract.worker import Worker
from ingest.lineproto import LIMITS_MEASUREMENT
from ingest.metrics import IngestMetrics
from ingest.orm import TsOutbox

log = logging.getLogger(__name__)


class LineSink(Protocol):
    """Where line protocol goes. Raises on any failure; returns when stored."""

    def write(self, body: str) -> None: ...

    def close(self) -> None: ...


class InfluxWriteSink:
    """influxdb-client's synchronous write API (InfluxDB 2/3, VictoriaMetrics)."""

    def __init__(self, url: str, token: str, org: str, bucket: str, timeout_s: float) -> None:
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        # No retries inside the client: this writer owns retry and backoff.
        self._client = InfluxDBClient(
            url=url, token=token, org=org, timeout=int(timeout_s * 1000), retries=False
        )
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._bucket = bucket
        self._org = org

    def write(self, body: str) -> None:
        from influxdb_client import WritePrecision

        self._write_api.write(
            bucket=self._bucket, org=self._org, record=body, write_precision=WritePrecision.MS
        )

    def close(self) -> None:
        self._client.close()


_LIMITS_PREFIX = LIMITS_MEASUREMENT + ","


def _line_millis(line: str) -> int:
    return int(line.rsplit(" ", 1)[1])


class OutboxWriter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sink: LineSink,
        metrics: IngestMetrics,
        *,
        max_lines: int = 5000,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessions = sessions
        self.sink = sink
        self.metrics = metrics
        self.max_lines = max_lines
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self._worker = Worker("tsdb-writer", self._drain_round, first_at_once=True)
        # Set when lines were spooled (ingest, the zone-limit sampler): drain now.
        self.wakeup = self._worker.wakeup
        self._backoff = Backoff(min_backoff, max_backoff)
        self.last_error: str | None = None
        self.last_success: float | None = None

    # --- lifecycle

    def start(self) -> None:
        self._refresh_depth()
        self._worker.start()

    def stop(self, drain_timeout: float = 10.0) -> None:
        """Flush what the store will take within `drain_timeout`; the rest stays spooled."""
        if self._worker.stop(
            self.max_backoff + 15, drain_s=drain_timeout, poll_s=0.05,
            pending=lambda: self.last_error is None and self.depth() > 0,
        ):
            self.sink.close()

    def health(self) -> dict[str, object]:
        ok = self.last_error is None
        return {"ok": ok, "spooled_lines": int(self.metrics.spool_lines._value.get()),
                **({} if ok else {"error": self.last_error})}

    # --- work

    def depth(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.coalesce(func.sum(TsOutbox.line_count), 0))))

    def _refresh_depth(self) -> None:
        self.metrics.spool_lines.set(self.depth())

    def _drain_round(self) -> bool:
        """Drain once, retrying until the store takes it (or stop); True: lines went, more
        may wait."""
        sent = retry(self.drain_once, wait=self._worker.stopping.wait, backoff=self._backoff,
                     on_error=self._failed)
        if self.last_error is not None:
            log.info("time-series store reachable again; replaying the spool")
            self.last_error = None
        self._backoff.reset()
        return sent > 0

    def _failed(self, exc: BaseException, pause: float) -> None:
        # The store or the database is away: back off, keep the spool.
        self.metrics.write_errors.inc()
        message = first_line(exc)
        if message != self.last_error:
            log.warning("time-series write failed; readings stay spooled",
                        extra={"error": message, "retry_in_s": pause})
        self.last_error = message

    def drain_once(self) -> int:
        """Send the oldest spooled batches (up to max_lines). Returns lines sent."""
        with self.sessions() as session:
            batches = []
            total = 0
            for row in session.execute(
                select(TsOutbox.id, TsOutbox.line_count, TsOutbox.lines).order_by(TsOutbox.id)
                .limit(64)
            ):
                if batches and total + row.line_count > self.max_lines:
                    break
                batches.append(row)
                total += row.line_count
        if not batches:
            self.metrics.spool_lines.set(0)
            return 0
        body = "\n".join(row.lines for row in batches)
        started = time.perf_counter()
        self.sink.write(body)
        self.metrics.write_seconds.observe(time.perf_counter() - started)
        with self.sessions() as session, session.begin():
            session.execute(delete(TsOutbox).where(TsOutbox.id.in_([row.id for row in batches])))
        # The zone-limit samples (ingest/zone_limits.py) travel the same way in batches
        # of their own; they are neither readings nor late.
        readings = [row for row in batches if not row.lines.startswith(_LIMITS_PREFIX)]
        self.metrics.readings_written.inc(sum(row.line_count for row in readings))
        self.last_success = self.clock()
        # One observation per ingest batch, of its oldest reading: a conservative
        # figure that costs nothing per reading.
        now_ms = self.clock() * 1000
        for row in readings:
            first_line = row.lines[: row.lines.find("\n")] if row.line_count > 1 else row.lines
            self.metrics.lag_seconds.observe(max(0.0, (now_ms - _line_millis(first_line)) / 1000))
        self._refresh_depth()
        return total

