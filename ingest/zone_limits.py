"""Each zone's limits as time series, so that dashboards draw a zone's own band
(and a change of limits from the time it was made) instead of a fixed one.

Every minute the sampler reads the zones and their storage classes and spools one
line per zone, quantity and bound into the time-series outbox (ingest/tsdb.py), in
one transaction: while the store is away the samples wait there with the readings,
nothing is lost. Timestamps are whole minutes, so a repeated sample (a restart
within the minute, a replayed batch) is the same point. A zone without a storage
class, or a class without a bound, has no series for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from contract.retry import first_line
from contract.worker import Worker
from ingest import repository
from ingest.lineproto import zone_limit_line

log = logging.getLogger(__name__)

SAMPLE_EVERY_S = 60.0

# (quantity as in the readings' series, bound), in the order of
# ingest.repository.LIMIT_COLUMNS (the storage class's bounds).
LIMITS = (
    ("temperature_c", "min"),
    ("temperature_c", "max"),
    ("humidity_pct", "min"),
    ("humidity_pct", "max"),
)


def minute_millis(at: datetime) -> int:
    return int(at.timestamp()) // 60 * 60_000


class ZoneLimitSampler:
    def __init__(self, sessions: sessionmaker[Session], *, wakeup: threading.Event | None = None,
                 every_s: float = SAMPLE_EVERY_S,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.wakeup = wakeup
        self.every_s = every_s
        self.clock = clock
        self._worker = Worker("zone-limits", self._sample_round, idle_s=every_s,
                              first_at_once=True)
        self.last_error: str | None = None

    def lines(self, session: Session, at: datetime) -> list[str]:
        millis = minute_millis(at)
        return [
            zone_limit_line(row[0], quantity, bound, value, millis)
            for row in repository.zone_limit_rows(session)
            for (quantity, bound), value in zip(LIMITS, row[1:], strict=True)
            if value is not None
        ]

    def sample_once(self) -> int:
        """Spools the current limits of every zone. Returns the lines spooled."""
        now = self.clock()
        with self.sessions() as session, session.begin():
            lines = self.lines(session, now)
            if lines:
                repository.spool_lines(session, now, lines)
        if lines and self.wakeup is not None:
            self.wakeup.set()
        return len(lines)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=10)

    def _sample_round(self) -> None:
        try:
            self.sample_once()
            self.last_error = None
        except Exception as exc:  # the database is away: try again next minute
            message = first_line(exc)
            if message != self.last_error:
                log.warning("zone limits not sampled", extra={"error": message})
            self.last_error = message
