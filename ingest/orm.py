"""Ingest's SQL tables: sensors, latest values, hourly statistics, the readings,
dead letters, the (gateway, seq) de-duplication record, the time-series outbox, the
gateways' last status, what they apply to each sensor (each change) and the sensors'
calibration records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.orm import Base

# PostgreSQL: each ingest batch updates every row of its sensors in these tables (last
# seen, latest values, the current hour). Room left on each page lets an update stay
# on its page (a HOT update: no index entry, less WAL, pruned in place): 20-25% less
# of PostgreSQL's CPU per reading (docs/performance.md, issue 20). Migration 0021.
HOT_FILLFACTOR = 50
HOURS_FILLFACTOR = 70  # hourly_stats grows by the hour; only the current one is hot


class Sensor(Base):
    __tablename__ = "sensors"
    __table_args__ = {"postgresql_with": {"fillfactor": HOT_FILLFACTOR}}

    # The id the gateway config gives the sensor: unique across the site.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    # NULL while unassigned: an unknown sensor is registered, never dropped.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), index=True)
    site: Mapped[str | None] = mapped_column(String(64))
    gateway: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    last_quality: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(200))


class LatestReading(Base):
    """The newest good value per sensor and quantity."""

    __tablename__ = "latest_readings"
    __table_args__ = {"postgresql_with": {"fillfactor": HOT_FILLFACTOR}}

    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)


class HourlyStat(Base):
    """Per sensor, quantity and UTC hour: count, min, max and sum of good values, and
    what compliance reports need (ingest/rollup.py, docs/reports.md). The newer
    columns are NULL on hours stored before they existed."""

    __tablename__ = "hourly_stats"
    __table_args__ = {"postgresql_with": {"fillfactor": HOURS_FILLFACTOR}}

    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    # The first and last good reading of the hour, and the longest gap between
    # consecutive good readings within it (an upper bound if they came out of order).
    first_ts: Mapped[datetime | None]
    last_ts: Mapped[datetime | None]
    max_gap_s: Mapped[float | None] = mapped_column(Float)
    # Temperature: Σ exp(-ΔH/(R·T)) of the good readings, and the ΔH (J/mol) used;
    # exp_sum is NULL when the hour saw two ΔH values.
    exp_sum: Mapped[float | None] = mapped_column(Float)
    delta_h: Mapped[float | None] = mapped_column(Float)


class StoredReading(Base):
    """Every good value as it came, per sensor, quantity and time: what the reports'
    time out of range and excursions are computed from (ingest/out_of_range.py).
    One value per (sensor, quantity, time); a second one with the same time is not
    kept (the hourly statistics still count it)."""

    __tablename__ = "readings"
    # SQLite: the primary key is the table (one B-tree, not a rowid table and an index).
    __table_args__ = {"sqlite_with_rowid": False}

    # A sensor's id, without a foreign key (migration 0019): checked per stored value it
    # was most of a batch's database time; ingest writes the sensor first, in the same
    # transaction, and no path deletes a sensor.
    sensor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    # The historical import that brought it in (reading_imports.id); NULL: it came live.
    # No foreign key: adding one would rebuild this (large) table on SQLite.
    import_id: Mapped[int | None] = mapped_column(Integer)


class DeadLetter(Base):
    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    topic: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class SeenMessage(Base):
    """(gateway, seq) pairs already counted: redelivery never counts twice."""

    __tablename__ = "seen_messages"

    gateway: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime]

    __table_args__ = (Index("ix_seen_messages_received_at", "received_at"),)


class TsOutbox(Base):
    """Line-protocol batches not yet accepted by the time-series store, in order."""

    __tablename__ = "ts_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime]
    line_count: Mapped[int] = mapped_column(Integer)
    lines: Mapped[str] = mapped_column(Text)


class GatewayStatus(Base):
    """Each gateway's newest status message, upserted in the ingest batch it came in."""

    __tablename__ = "gateway_status"

    gateway: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # online | offline
    # When the hub received it; `status_ts` is the gateway's own clock.
    last_seen: Mapped[datetime]
    status_ts: Mapped[datetime]
    version: Mapped[str] = mapped_column(String(64), default="")
    outbox_depth: Mapped[int] = mapped_column(BigInteger, default=0)
    outbox_dropped: Mapped[int] = mapped_column(BigInteger, default=0)
    # Per device: {"state", "ok_count", "timeout_count", "error_count", "last_success",
    # "last_error"}, as on the wire.
    devices: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Per serial scanner: its `ScannerHealth` as on the wire (port, connected, mode ...).
    scanners: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


class AppliedSettings(Base):
    """What a gateway applies to one of its sensors (device profile, calibration offset
    per quantity), as its status says: one row per change, with when it was first
    reported, so a report can say which offset applied when (docs/reports.md)."""

    __tablename__ = "sensor_applied_settings"
    __table_args__ = (Index("ix_sensor_applied_settings_sensor_since", "sensor", "since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor: Mapped[str] = mapped_column(String(64))
    gateway: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str | None] = mapped_column(String(64))
    calibration: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    since: Mapped[datetime]  # the status's own ts: the gateway applied it from then
    received_at: Mapped[datetime]


class Calibration(Base):
    """A calibration of one sensor, as its certificate says, entered by a supervisor:
    errors found and left per quantity, the offset applied, when the next is due."""

    __tablename__ = "sensor_calibrations"
    __table_args__ = (Index("ix_sensor_calibrations_sensor_on", "sensor", "calibrated_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor: Mapped[str] = mapped_column(String(64))
    calibrated_on: Mapped[date] = mapped_column(Date)
    certificate: Mapped[str] = mapped_column(String(64))
    laboratory: Mapped[str] = mapped_column(String(128))
    as_found_error: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    as_left_error: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    offset: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    next_due: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime]


class ReadingImport(Base):
    """One historical import of readings from a data logger's CSV (ingest/history.py):
    who, when, which file (name, SHA-256), its time zone and reason, and the outcome."""

    __tablename__ = "reading_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    time_zone: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    # Values (one per sensor, quantity and time) newly stored, and those already stored
    # (by live ingest or an earlier import): importing a file again stores nothing.
    stored: Mapped[int] = mapped_column(Integer, default=0)
    already_stored: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)


class ReadingImportRefusal(Base):
    """A row of an import's file that was refused, with the reason."""

    __tablename__ = "reading_import_refusals"

    import_id: Mapped[int] = mapped_column(ForeignKey("reading_imports.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(Text)
