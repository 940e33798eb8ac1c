"""The hot path of ingest in each database's own terms.

Per batch, five set-wise statements: claim the (gateway, seq) pairs, upsert
sensors (whose row count tells whether each sensor's gateway owns it), hourly
statistics and latest values, insert the readings. Built through the ORM these cost
~100 µs a row (statement rendering and parameter handling in Python); here
PostgreSQL gets one statement per table: the (gateway, seq) pairs and the readings
as a binary COPY (in a savepoint: should one be stored already, the INSERT ... ON
CONFLICT path below), the upserts with their rows as JSON; SQLite, in-process,
gets the driver's own executemany. Both run on the session's connection, inside
its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
import psycopg
from psycopg.adapt import Transformer
from psycopg.pq import Format
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

try:  # psycopg's own row encoder for COPY, in C with psycopg[binary]
    from psycopg._copy_base import format_row_binary
except ImportError:  # pragma: no cover - another psycopg layout: COPY row by row
    format_row_binary = None

from ingest.orm import HourlyStat, StoredReading

_HOUR = timedelta(hours=1)
SensorRow = tuple[str, str, str, datetime, str, str | None]  # id, site, gateway, ts, quality, error
# sensor, quantity, hour, n, min, max, sum, first_ts, last_ts, max_gap_s, exp_sum, delta_h
HourRow = tuple[str, str, datetime, int, float, float, float, datetime, datetime, float,
                float | None, float | None]
LatestRow = tuple[str, str, datetime, float]  # sensor, quantity, ts, value


class BatchSQL(Protocol):
    """Each write takes its rows as `encode` returned them (ingest.prepared builds them
    ahead of the commit); an empty encoding is falsy and sends nothing."""

    def encode(self, rows: Sequence[tuple[object, ...]]) -> Any: ...
    def encode_points(self, rows: Sequence[LatestRow]) -> Any:
        """The readings' rows as `insert_readings` takes them."""
        ...
    def claim(self, session: Session, pairs: Sequence[tuple[str, int]], now: datetime
              ) -> set[tuple[str, int]]: ...
    def upsert_sensors(self, session: Session, rows: Any) -> int:
        """Register or update the sensors (SensorRow); the number of rows whose gateway
        owns the sensor (the others change nothing)."""
        ...
    def upsert_hours(self, session: Session, rows: Any) -> None: ...  # HourRow
    def upsert_latest(self, session: Session, rows: Any) -> None: ...  # LatestRow
    def insert_readings(self, session: Session, rows: Any) -> None:  # LatestRow
        """Keep every good value; one per (sensor, quantity, ts): a repeat is ignored."""
        ...
    def insert_new_readings(self, session: Session, rows: Sequence[LatestRow],
                            import_id: int) -> set[tuple[str, str, datetime]]:
        """Historical values, marked with their import; the (sensor, quantity, ts) of
        those newly stored (one already stored for its key is left as it is)."""
        ...


# A sensor belongs to its gateway (docs/wire-contract.md): a row whose gateway is not
# the stored one updates nothing, so the statement's row count is the number of rows
# the batch's gateways own (or adopt, for a sensor an admin registered without one).
# The store compares it with the rows it sent; the newest reading's state is kept by
# CASE rather than by the WHERE, which must say ownership and nothing else.
_NEWER = "(sensors.last_seen IS NULL OR excluded.last_seen >= sensors.last_seen)"
_SENSOR_UPDATE = f"""
ON CONFLICT (id) DO UPDATE SET gateway = excluded.gateway,
    site = CASE WHEN {_NEWER} THEN excluded.site ELSE sensors.site END,
    last_quality = CASE WHEN {_NEWER} THEN excluded.last_quality ELSE sensors.last_quality END,
    last_error = CASE WHEN {_NEWER} THEN excluded.last_error ELSE sensors.last_error END,
    last_seen = CASE WHEN {_NEWER} THEN excluded.last_seen ELSE sensors.last_seen END
WHERE sensors.gateway IS NULL OR sensors.gateway = excluded.gateway
"""
# How a batch's hour merges into the stored one (see ingest/rollup.py): the gap
# between the stored span and the batch's counts only when the two do not overlap
# (then it is exact); overlapping spans keep the larger of the two longest gaps, an
# upper bound. The exp sum adds up only for the same ΔH: an hour that saw two ΔH
# values (or began before the sum was kept) has none, and the report says so.
# {gap_after}/{gap_before} are the dialect's seconds between two times, {hi}/{lo} its
# many-argument max/min.
_HOUR_MERGE = """
    count = hourly_stats.count + excluded.count,
    min = {lo}(hourly_stats.min, excluded.min),
    max = {hi}(hourly_stats.max, excluded.max),
    sum = hourly_stats.sum + excluded.sum,
    max_gap_s = {hi}(hourly_stats.max_gap_s, excluded.max_gap_s, CASE
        WHEN excluded.first_ts >= hourly_stats.last_ts
            THEN {gap_after}
        WHEN excluded.last_ts <= hourly_stats.first_ts
            THEN {gap_before}
        ELSE 0 END),
    first_ts = {lo}(hourly_stats.first_ts, excluded.first_ts),
    last_ts = {hi}(hourly_stats.last_ts, excluded.last_ts),
    exp_sum = CASE WHEN hourly_stats.delta_h = excluded.delta_h
        THEN hourly_stats.exp_sum + excluded.exp_sum END,
    delta_h = excluded.delta_h
"""
_HOUR_COLUMNS = ("sensor_id, quantity, hour, count, min, max, sum, first_ts, last_ts, "
                 "max_gap_s, exp_sum, delta_h")
_LATEST_UPDATE = """
ON CONFLICT (sensor_id, quantity) DO UPDATE SET ts = excluded.ts, value = excluded.value
WHERE excluded.ts >= latest_readings.ts
"""


class PostgresBatchSQL:
    """Each statement takes its rows as one JSON document: orjson writes it in C and
    the server unpacks it with json_to_recordset, far cheaper than binding arrays."""

    # Rows as JSON arrays, not objects: orjson writes the tuples as they are (no dict
    # per row in Python) and the documents are half the size. jsonb: parsed once, where
    # json would be parsed again by each ->> of a row.
    CLAIM = text("""
        INSERT INTO seen_messages (gateway, seq, received_at)
        SELECT r->>0, (r->>1)::bigint, :now FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r
        ON CONFLICT DO NOTHING RETURNING gateway, seq
    """)
    SENSORS = text("""
        INSERT INTO sensors (id, name, site, gateway, first_seen, last_seen, last_quality,
                             last_error)
        SELECT r->>0, '', r->>1, r->>2, (r->>3)::timestamptz, (r->>3)::timestamptz, r->>4,
            r->>5
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r
    """ + _SENSOR_UPDATE)
    # Hours as JSON arrays, not objects: twelve columns made the objects' keys the
    # larger part of the document (and of the batch's peak memory).
    HOURS = text(f"""
        INSERT INTO hourly_stats ({_HOUR_COLUMNS})
        SELECT r->>0, r->>1, (r->>2)::timestamptz, (r->>3)::integer, (r->>4)::float8,
            (r->>5)::float8, (r->>6)::float8, (r->>7)::timestamptz, (r->>8)::timestamptz,
            (r->>9)::float8, (r->>10)::float8, (r->>11)::float8
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r
        ON CONFLICT (sensor_id, quantity, hour) DO UPDATE SET
    """ + _HOUR_MERGE.format(
        lo="LEAST", hi="GREATEST",
        gap_after="EXTRACT(EPOCH FROM excluded.first_ts - hourly_stats.last_ts)::float8",
        gap_before="EXTRACT(EPOCH FROM hourly_stats.first_ts - excluded.last_ts)::float8",
    ))
    LATEST = text("""
        INSERT INTO latest_readings (sensor_id, quantity, ts, value)
        SELECT r->>0, r->>1, (r->>2)::timestamptz, (r->>3)::float8
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r
    """ + _LATEST_UPDATE)

    # COPY: a batch's readings and (gateway, seq) pairs are new in all but rare cases;
    # each COPY runs in a savepoint, and a unique violation falls back (see below).
    COPY_SEEN = "COPY seen_messages (gateway, seq, received_at) FROM STDIN (FORMAT BINARY)"
    COPY_READINGS = "COPY readings (sensor_id, quantity, ts, value) FROM STDIN (FORMAT BINARY)"
    READINGS_IN = ("CREATE TEMPORARY TABLE readings_in (sensor_id text, quantity text, "
                   "ts timestamptz, value float8) ON COMMIT DROP")
    COPY_READINGS_IN = ("COPY readings_in (sensor_id, quantity, ts, value) FROM STDIN "
                        "(FORMAT BINARY)")
    READINGS_FROM_IN = ("INSERT INTO readings (sensor_id, quantity, ts, value) "
                        "SELECT sensor_id, quantity, ts, value FROM readings_in "
                        "ON CONFLICT DO NOTHING")

    IMPORTED = text("""
        INSERT INTO readings (sensor_id, quantity, ts, value, import_id)
        SELECT r->>0, r->>1, (r->>2)::timestamptz, (r->>3)::float8, :import_id
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r
        ON CONFLICT DO NOTHING RETURNING sensor_id, quantity, ts
    """)

    @staticmethod
    def _rows(rows: Sequence[tuple[object, ...]]) -> str:
        return orjson.dumps(rows).decode()

    def encode(self, rows: Sequence[tuple[object, ...]]) -> str | None:
        """The rows as the statements take them: one JSON document, None if none."""
        return orjson.dumps(rows).decode() if rows else None

    def encode_points(self, rows: Sequence[LatestRow]) -> bytes | None:
        """The readings as one binary COPY stream, None if none."""
        return _copy_stream(rows, _POINT_TYPES) if rows else None

    def claim(self, session: Session, pairs: Sequence[tuple[str, int]], now: datetime
              ) -> set[tuple[str, int]]:
        """All of `pairs` by COPY, as a batch almost always is fresh; should one be seen
        already (a redelivery), the INSERT ... ON CONFLICT that answers which are new."""
        if not pairs:
            return set()
        stream = _copy_stream([(gateway, seq, now) for gateway, seq in pairs], _SEEN_TYPES)
        if _copy_or_rollback(session, self.COPY_SEEN, stream):
            return set(pairs)
        result = session.execute(self.CLAIM, {"now": now, "rows": self._rows(pairs)})
        return {(g, s) for g, s in result}

    def upsert_sensors(self, session: Session, rows: str | None) -> int:
        if not rows:
            return 0
        return session.execute(self.SENSORS, {"rows": rows}).rowcount

    def upsert_hours(self, session: Session, rows: str | None) -> None:
        if rows:
            session.execute(self.HOURS, {"rows": rows})

    def upsert_latest(self, session: Session, rows: str | None) -> None:
        if rows:
            session.execute(self.LATEST, {"rows": rows})

    def insert_readings(self, session: Session, rows: bytes | None) -> None:
        """By COPY, which skips the per-row conflict check of INSERT ... ON CONFLICT;
        should a value be stored already (a repeat under another seq, an imported
        file, two in this batch), the same rows through a temporary table and
        INSERT ... ON CONFLICT DO NOTHING, which keeps the first."""
        if not rows or _copy_or_rollback(session, self.COPY_READINGS, rows):
            return
        cursor = _driver(session).cursor()
        cursor.execute(self.READINGS_IN)
        with cursor.copy(self.COPY_READINGS_IN) as copy:
            copy.write(rows)
        cursor.execute(self.READINGS_FROM_IN)

    def insert_new_readings(self, session: Session, rows: Sequence[LatestRow],
                            import_id: int) -> set[tuple[str, str, datetime]]:
        if not rows:
            return set()
        result = session.execute(self.IMPORTED, {"rows": self._rows(rows),
                                                 "import_id": import_id})
        return {(sensor, quantity, ts.astimezone(UTC)) for sensor, quantity, ts in result}


_POINT_TYPES = ("text", "text", "timestamptz", "float8")
_SEEN_TYPES = ("text", "int8", "timestamptz")
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no extension
_COPY_TRAILER = b"\xff\xff"


def _copy_stream(rows: Sequence[tuple[object, ...]], types: Sequence[str]) -> bytes:
    """`rows` in COPY's binary format, encoded by psycopg (in C): about what orjson
    takes for the same rows, and PostgreSQL parses no text."""
    oids = [psycopg.adapters.types[name].oid for name in types]
    transformer = Transformer()
    transformer.set_dumper_types(oids, Format.BINARY)
    out = bytearray(_COPY_HEADER)
    if format_row_binary is None:  # pragma: no cover
        raise RuntimeError("psycopg without its COPY row encoder")
    for row in rows:
        format_row_binary(row, transformer, out)
    out += _COPY_TRAILER
    return bytes(out)


def _driver(session: Session) -> psycopg.Connection[Any]:
    return session.connection().connection.driver_connection  # type: ignore[return-value]


def _copy_or_rollback(session: Session, statement: str, stream: bytes) -> bool:
    """COPY `stream` in a savepoint: True if every row went in; False if one broke a
    unique key (the savepoint rolled back, the transaction goes on). The savepoint is
    not released: the transaction's commit commits it, one round trip fewer (a name
    used again hides the earlier one, so a rollback goes back to the latest)."""
    cursor = _driver(session).cursor()
    cursor.execute("SAVEPOINT ingest_copy")
    try:
        with cursor.copy(statement) as copy:
            copy.write(stream)
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT ingest_copy")
        return False
    return True


def _sqlite_ts(value: datetime) -> str:
    # SQLAlchemy's storage format for DateTime on SQLite (naive UTC, microseconds).
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class SqliteBatchSQL:
    CLAIM = ("INSERT INTO seen_messages (gateway, seq, received_at) VALUES (?, ?, ?) "
             "ON CONFLICT DO NOTHING RETURNING 1")
    SENSORS = ("INSERT INTO sensors (id, name, site, gateway, first_seen, last_seen, "
               "last_quality, last_error) VALUES (?, '', ?, ?, ?, ?, ?, ?)" + _SENSOR_UPDATE)
    # SQLite's many-argument min()/max() are NULL if any argument is: coalesce, so an
    # hour stored before these columns existed merges like PostgreSQL's LEAST/GREATEST.
    HOURS = f"""
        INSERT INTO hourly_stats ({_HOUR_COLUMNS})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (sensor_id, quantity, hour) DO UPDATE SET
    """ + _HOUR_MERGE.format(
        lo="min", hi="max",
        gap_after="(julianday(excluded.first_ts) - julianday(hourly_stats.last_ts)) * 86400.0",
        gap_before="(julianday(hourly_stats.first_ts) - julianday(excluded.last_ts)) * 86400.0",
    ).replace("min(hourly_stats.first_ts, excluded.first_ts)",
              "coalesce(min(hourly_stats.first_ts, excluded.first_ts), excluded.first_ts)"
    ).replace("max(hourly_stats.last_ts, excluded.last_ts)",
              "coalesce(max(hourly_stats.last_ts, excluded.last_ts), excluded.last_ts)"
    ).replace("max(hourly_stats.max_gap_s, ",
              "max(coalesce(hourly_stats.max_gap_s, 0), ")
    LATEST = ("INSERT INTO latest_readings (sensor_id, quantity, ts, value) VALUES (?, ?, ?, ?)"
              + _LATEST_UPDATE)
    READINGS = ("INSERT INTO readings (sensor_id, quantity, ts, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING")

    IMPORTED = ("INSERT INTO readings (sensor_id, quantity, ts, value, import_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1")

    @staticmethod
    def encode(rows: Sequence[tuple[object, ...]]) -> Sequence[tuple[object, ...]]:
        """In-process: the rows as they are (each write converts its timestamps)."""
        return rows

    encode_points = encode

    @staticmethod
    def _cursor(session: Session):  # -> sqlite3.Cursor
        return session.connection().connection.driver_connection.cursor()

    def claim(self, session: Session, pairs: Sequence[tuple[str, int]], now: datetime
              ) -> set[tuple[str, int]]:
        cursor = self._cursor(session)
        stamp = _sqlite_ts(now)
        claimed = set()
        for gateway, seq in pairs:
            if cursor.execute(self.CLAIM, (gateway, seq, stamp)).fetchone() is not None:
                claimed.add((gateway, seq))
        return claimed

    def upsert_sensors(self, session: Session, rows: Sequence[SensorRow]) -> int:
        if not rows:
            return 0
        cursor = self._cursor(session)
        cursor.executemany(self.SENSORS, [
            (sensor, site, gateway, _sqlite_ts(ts), _sqlite_ts(ts), quality, error)
            for sensor, site, gateway, ts, quality, error in rows
        ])
        return cursor.rowcount  # summed over the rows by executemany

    def upsert_hours(self, session: Session, rows: Sequence[HourRow]) -> None:
        self._cursor(session).executemany(self.HOURS, [
            (sensor, quantity, _sqlite_ts(hour), count, lo, hi, total, _sqlite_ts(first),
             _sqlite_ts(last), gap, exp_sum, delta_h)
            for sensor, quantity, hour, count, lo, hi, total, first, last, gap, exp_sum, delta_h
            in rows
        ])

    def upsert_latest(self, session: Session, rows: Sequence[LatestRow]) -> None:
        self._cursor(session).executemany(self.LATEST, [
            (sensor, quantity, _sqlite_ts(ts), value) for sensor, quantity, ts, value in rows
        ])

    def insert_readings(self, session: Session, rows: Sequence[LatestRow]) -> None:
        self._cursor(session).executemany(self.READINGS, [
            (sensor, quantity, _sqlite_ts(ts), value) for sensor, quantity, ts, value in rows
        ])

    def insert_new_readings(self, session: Session, rows: Sequence[LatestRow],
                            import_id: int) -> set[tuple[str, str, datetime]]:
        # One statement per row: executemany drops what RETURNING answers.
        cursor = self._cursor(session)
        run = cursor.execute
        return {(sensor, quantity, ts) for sensor, quantity, ts, value in rows
                if run(self.IMPORTED, (sensor, quantity, _sqlite_ts(ts), value, import_id)
                       ).fetchone() is not None}


def refresh_gaps(session: Session, hours: Sequence[tuple[str, str, datetime]]) -> None:
    """Set the longest gap of these hours from their stored readings. For historical
    imports (ingest/history.py): a file out of time order, or values filling in between
    stored ones, would otherwise leave the merged gap an upper bound. One read per
    sensor (the span of its hours) and one bulk update by primary key."""
    if not hours:
        return
    r = StoredReading
    span: dict[str, tuple[datetime, datetime]] = {}
    for sensor, _quantity, hour in hours:
        low, high = span.get(sensor, (hour, hour))
        span[sensor] = (min(low, hour), max(high, hour))
    wanted = set(hours)
    last: dict[tuple[str, str, datetime], datetime] = {}
    gaps = dict.fromkeys(wanted, 0.0)
    for sensor, (low, high) in sorted(span.items()):
        for quantity, ts in session.execute(select(r.quantity, r.ts).where(
                r.sensor_id == sensor, r.ts >= low, r.ts < high + _HOUR)
                .order_by(r.quantity, r.ts)):
            key = (sensor, quantity, ts.replace(minute=0, second=0, microsecond=0))
            if key not in gaps:
                continue
            before = last.get(key)
            if before is not None:
                gaps[key] = max(gaps[key], (ts - before).total_seconds())
            last[key] = ts
    session.execute(update(HourlyStat), [
        {"sensor_id": sensor, "quantity": quantity, "hour": hour, "max_gap_s": gap}
        for (sensor, quantity, hour), gap in sorted(gaps.items())])


def batch_sql_for(dialect: str) -> BatchSQL:
    return PostgresBatchSQL() if dialect == "postgresql" else SqliteBatchSQL()
