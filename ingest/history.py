"""Historical import of readings: a data logger's CSV download (ingest/history_csv.py)
brought into the same records as live readings (docs/reports.md, "Historical import").

One import: `begin` records it (who, when, file name, SHA-256, time zone, reason) with
an audit row; the rows are read in chunks, each chunk written through the ingest
store's own write path (`IngestStore.commit_history`: readings, hourly statistics with
the MKT sums and completeness, the time-series outbox) in its own transaction; `finish`
records the outcome (rows, values stored, already stored, refused with line and reason)
and a second audit row. Readings are keyed by (sensor, quantity, time): importing the
same file again stores nothing and counts every value as already stored; an import
stopped half way is completed by running it again.

Live ingest keeps its window (`ingest_max_age_s`, 30 days); an import takes any age
within the retention period. It raises no live alarm: it writes no latest value and
runs no hook (the report's excursions, computed from the readings, include it).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from contract.wire import Reading, utc_now
from ingest import repository
from ingest.fastwire import LeanReading
from ingest.history_csv import (
    BadHeader,
    Refused,
    Row,
    age_problem,
    quantity_columns,
    read_rows,
)
from ingest.lineproto import LineBuilder
from ingest.schemas import ReadingImportPublic
from ingest.store import IngestStore
from kernel import audit
from kernel.actors import Actor
from kernel.audit_chain import IMPORT
from kernel.errors import Invalid
from kernel.uow import unit_of_work

CHUNK_ROWS = 5_000
UNASSIGNED = "unassigned"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    retention: timedelta
    max_future: timedelta = timedelta(minutes=5)
    # Lines for the time-series store (None: none configured).
    tsdb: bool = False


@dataclass(slots=True)
class Tally:
    rows: int = 0
    stored: int = 0
    already_stored: int = 0
    refused: list[Refused] = field(default_factory=list)


def time_zone_of(name: str | None) -> ZoneInfo | None:
    """The import's time zone for timestamps without an offset; Invalid if unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("unknown time zone %(name)s (an IANA name such as Europe/Berlin)",
                      code="bad_time_zone", name=repr(name)) from None


def sha256_of(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


@unit_of_work(creates=True)
def begin(session: Session, actor: Actor, file_name: str, sha256: str,
          time_zone: str | None, reason: str | None) -> int:
    """Record that `actor` imports this file; its id marks the readings it stores."""
    audit.check_reason([IMPORT], reason)
    row = repository.add_reading_import(session, file_name[:255], sha256, actor.username,
                                        utc_now(), time_zone, reason)
    audit.record(session, actor, "import", "readings", row.id, None, {
        "file": file_name, "sha256": sha256, "time_zone": time_zone}, reason, kinds=[IMPORT])
    return row.id


@unit_of_work()
def finish(session: Session, actor: Actor, import_id: int, tally: Tally,
           reason: str | None) -> ReadingImportPublic:
    """The outcome, with each refused row, and its audit row."""
    row = repository.finish_reading_import(
        session, import_id, utc_now(), rows=tally.rows, stored=tally.stored,
        already_stored=tally.already_stored,
        refusals=[(r.line, r.reason) for r in tally.refused])
    audit.record(session, actor, "import finished", "readings", import_id, None, {
        "file": row.file_name, "sha256": row.sha256, "rows": tally.rows,
        "stored": tally.stored, "already_stored": tally.already_stored,
        "refused": len(tally.refused)}, reason, kinds=[IMPORT])
    return ReadingImportPublic.model_validate(row)


def import_readings(
    store: IngestStore, handle: IO[bytes], file_name: str, actor: Actor,
    options: ImportOptions, *, time_zone: str | None = None, reason: str | None = None,
    progress: Callable[[int], None] = lambda rows: None, chunk_rows: int = CHUNK_ROWS,
) -> ReadingImportPublic:
    """Import the CSV in `handle` (binary, seekable); `progress(rows)` after each chunk.
    Invalid for a file that cannot be read at all (no header, an unknown column, an
    unknown time zone) before anything is stored."""
    zone = time_zone_of(time_zone)
    audit.check_reason([IMPORT], reason)
    sha256 = sha256_of(handle)
    # Bytes that are not UTF-8 become U+FFFD: the row is then refused by its sensor id
    # or number, never the import ended.
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
    try:
        return _import(store, csv.reader(text), file_name, sha256, actor, options, zone,
                       time_zone, reason, progress, chunk_rows)
    finally:
        text.detach()  # the caller's handle stays open


def _import(store: IngestStore, lines: Iterator[list[str]], file_name: str, sha256: str,
            actor: Actor, options: ImportOptions, zone: ZoneInfo | None,
            time_zone: str | None, reason: str | None,
            progress: Callable[[int], None], chunk_rows: int) -> ReadingImportPublic:
    header = next(lines, None)
    if header is None:
        raise Invalid("%(file_name)s: the file is empty", code="bad_csv", file_name=file_name)
    try:
        quantity_columns(header)
    except BadHeader as exc:
        raise Invalid("%(file)s: %(problem)s", code="bad_csv", file=file_name,
                      problem=str(exc)) from None
    rows = read_rows(lines, header, zone)
    with store.sessions() as session:
        known = repository.sensor_sites(session)
        zones = repository.sensor_zones(session)
    store.delta_h = store.sensor_delta_h()
    with store.sessions() as session:
        import_id = begin(session, actor, file_name, sha256, time_zone, reason).get()
    tally = Tally()
    builder = LineBuilder() if options.tsdb else None
    # (sensor, ms since the epoch) -> its line: ints keep a long file's set small.
    seen: dict[tuple[str, int], int] = {}

    def line_builder(readings: list[Reading]) -> list[str]:
        assert builder is not None
        return [builder.line(r, known[r.sensor][0] or "unknown", known[r.sensor][1]
                             or "unknown", zones.get(r.sensor, UNASSIGNED)) for r in readings]

    chunk: list[Reading] = []  # LeanReadings, read as Readings (fastwire's rule)
    now = utc_now()

    def flush() -> None:
        if chunk:
            values = sum(len(r.quantities) for r in chunk)
            stored = store.commit_history(chunk, import_id,
                                          line_builder if builder else None)
            tally.stored += stored
            tally.already_stored += values - stored
            chunk.clear()
        progress(tally.rows)

    for item in rows:
        tally.rows += 1
        problem = _problem(item, known, seen, now, options)
        if problem is not None:
            tally.refused.append(problem)
        else:
            assert isinstance(item, Row)
            # Checked row by row above: a LeanReading (fastwire's, a Reading's fields, no
            # second validation) costs a tenth of a Reading.model_construct.
            chunk.append(LeanReading(item.sensor, item.ts,  # type: ignore[arg-type]
                                     item.quantities))
        if tally.rows % chunk_rows == 0:
            flush()
    flush()
    with store.sessions() as session:
        return finish(session, actor, import_id, tally, reason).get()


def _problem(item: Row | Refused, known: dict[str, tuple[str | None, str | None]],
             seen: dict[tuple[str, int], int], now: datetime,
             options: ImportOptions) -> Refused | None:
    if isinstance(item, Refused):
        return item
    if item.sensor not in known:
        return Refused(item.line, f"unknown sensor {item.sensor!r}: register it first "
                                  f"(POST /api/v1/sensors)")
    problem = age_problem(item.ts, now, options.retention, options.max_future)
    if problem:
        return Refused(item.line, problem)
    earlier = seen.setdefault((item.sensor, round(item.ts.timestamp() * 1000)), item.line)
    if earlier != item.line:
        return Refused(item.line, f"sensor {item.sensor} at {item.ts.isoformat()} is "
                                  f"already on line {earlier}")
    return None
