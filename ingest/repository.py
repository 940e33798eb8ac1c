"""Ingest's use-case SQL off the readings' hot path: the sensor master data's
lookups, the zone limits the sampler spools, the store's start-time reads
(zones, ΔH), the dead letters and gateway status upsert of a batch, the (gateway, seq)
housekeeping and the explicit purge.

Read models for the API, pages and other parts are in ingest/queries.py. Named
exceptions with SQL of their own, each for a measured reason: ingest/batch_sql.py
and ingest/store.py (the readings' one transaction per batch), ingest/tsdb.py
(the time-series outbox drain)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Row, Table, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ingest.orm import (
    AppliedSettings,
    DeadLetter,
    GatewayStatus,
    HourlyStat,
    ReadingImport,
    ReadingImportRefusal,
    SeenMessage,
    Sensor,
    StoredReading,
    TsOutbox,
)
from kernel import audit
from kernel.actors import Actor
from kernel.audit_chain import PURGE
from kernel.orm import StorageClass, Zone
from kernel.uow import unit_of_work

# --- sensors ------------------------------------------------------------------


def sensor(session: Session, sensor_id: str) -> Sensor | None:
    return session.get(Sensor, sensor_id)


def add_sensor(session: Session, sensor_id: str, name: str | None, zone_id: int | None,
               gateway: str | None) -> None:
    session.add(Sensor(id=sensor_id, name=name, zone_id=zone_id, gateway=gateway))
    session.flush()


def sensor_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Sensor.id)))


def gateways_of(session: Session, sensors: list[str]) -> dict[str, str | None]:
    """The stored gateway of each of these sensors that is stored."""
    return {sensor: gateway for sensor, gateway in session.execute(
        select(Sensor.id, Sensor.gateway).where(Sensor.id.in_(sensors)))}


def sensor_zones(session: Session) -> dict[str, str]:
    """sensor id -> zone code, for time-series tags."""
    rows = session.execute(select(Sensor.id, Zone.code).join(Zone, Sensor.zone_id == Zone.id))
    return {sensor: zone for sensor, zone in rows}


def sensor_delta_h(session: Session) -> dict[str, float]:
    """sensor id -> the ΔH (J/mol) its zone's storage class sets for mean kinetic
    temperature, for the sensors whose class sets one."""
    rows = session.execute(
        select(Sensor.id, StorageClass.mkt_delta_h)
        .join(Zone, Sensor.zone_id == Zone.id)
        .join(StorageClass, Zone.storage_class_id == StorageClass.id)
        .where(StorageClass.mkt_delta_h.is_not(None))
    )
    return {sensor: delta_h for sensor, delta_h in rows}


def forget_seen_before(session: Session, cutoff: datetime) -> int:
    """Drop (gateway, seq) pairs older than `cutoff` (caller's transaction)."""
    result = session.execute(
        delete(SeenMessage.__table__).where(SeenMessage.received_at < cutoff))
    return result.rowcount or 0


def insert_dead_letters(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(DeadLetter.__table__), rows)


def upsert_gateway_status(session: Session, dialect: str, row: dict[str, Any]) -> None:
    """Store a gateway's status unless the stored one is newer. Exception: `offline`
    replaces `online` whatever its ts (the broker publishes the last will, stamped
    when the connection began, after every status of that connection)."""
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(GatewayStatus)
    table = GatewayStatus.__table__
    session.execute(upsert.values(row).on_conflict_do_update(
        index_elements=[table.c.gateway],
        set_={key: upsert.excluded[key] for key in row if key != "gateway"},
        where=(table.c.status_ts <= upsert.excluded.status_ts)
        | ((table.c.state == "online") & (upsert.excluded.state == "offline")),
    ))


# --- zone limits ----------------------------------------------------------------

# The storage-class bounds in the order `zone_limit_rows` answers them.
LIMIT_COLUMNS = (StorageClass.temp_min_c, StorageClass.temp_max_c,
                 StorageClass.humidity_min_pct, StorageClass.humidity_max_pct)


def zone_limit_rows(session: Session) -> list[Row[Any]]:
    """(zone code, *LIMIT_COLUMNS) of every zone with a storage class, by code."""
    return list(session.execute(
        select(Zone.code, *LIMIT_COLUMNS)
        .join(StorageClass, Zone.storage_class_id == StorageClass.id)
        .order_by(Zone.code)
    ))


def spool_lines(session: Session, at: datetime, lines: list[str]) -> None:
    """Lines for the time-series store, into the outbox (ingest/tsdb.py drains it)."""
    session.add(TsOutbox(created_at=at, line_count=len(lines), lines="\n".join(lines)))


# --- retention: the explicit purge (`stockwarden purge`, docs/reports.md) -------


def _targets() -> list[tuple[str, Table, Column[Any]]]:
    return [
        ("hourly statistics", HourlyStat.__table__, HourlyStat.__table__.c.hour),
        ("dead letters", DeadLetter.__table__, DeadLetter.__table__.c.received_at),
        ("seen messages", SeenMessage.__table__, SeenMessage.__table__.c.received_at),
        ("readings", StoredReading.__table__, StoredReading.__table__.c.ts),
    ]


def count_before(session: Session, cutoff: datetime) -> dict[str, int]:
    """Rows per kind older than `cutoff`: what a purge would delete."""
    return {name: int(session.scalar(select(func.count()).select_from(table)
                                      .where(column < cutoff)) or 0)
            for name, table, column in _targets()}


@unit_of_work()
def purge_before(session: Session, cutoff: datetime, actor: Actor,
                 reason: str | None) -> dict[str, int]:
    """Delete them, in one transaction with the audit row (who, the cutoff, the rows
    deleted per kind, why); the rows deleted per kind."""
    audit.check_reason([PURGE], reason)
    deleted = {name: session.execute(delete(table).where(column < cutoff)).rowcount or 0
               for name, table, column in _targets()}
    audit.record(session, actor, "purge", "records", f"before {cutoff.isoformat()}", None,
                 {"before": cutoff, "deleted": deleted}, reason, kinds=[PURGE])
    return deleted



# --- calibration: what gateways apply (ingest/calibration.py) --------------------------


def applied_settings(session: Session, sensors: list[str]) -> list[AppliedSettings]:
    """Every kept change of these sensors' applied settings, oldest first."""
    return list(session.scalars(
        select(AppliedSettings).where(AppliedSettings.sensor.in_(sensors))
        .order_by(AppliedSettings.since, AppliedSettings.id)))


# --- historical imports (ingest/history.py) --------------------------------------------


def sensor_sites(session: Session) -> dict[str, tuple[str | None, str | None]]:
    """sensor id -> (site, gateway) of every registered sensor: who may be imported,
    and the tags of its time series."""
    return {sensor: (site, gateway) for sensor, site, gateway in session.execute(
        select(Sensor.id, Sensor.site, Sensor.gateway))}


def add_reading_import(session: Session, file_name: str, sha256: str, imported_by: str,
                       started_at: datetime, time_zone: str | None,
                       reason: str | None) -> ReadingImport:
    row = ReadingImport(file_name=file_name, sha256=sha256, imported_by=imported_by,
                        started_at=started_at, time_zone=time_zone, reason=reason, rows=0,
                        stored=0, already_stored=0, refused=0)
    session.add(row)
    session.flush()
    return row


def finish_reading_import(session: Session, import_id: int, finished_at: datetime, *,
                          rows: int, stored: int, already_stored: int,
                          refusals: list[tuple[int, str]]) -> ReadingImport:
    row = session.get(ReadingImport, import_id, with_for_update=True)
    if row is None:
        raise LookupError(f"no reading import {import_id}")
    row.finished_at, row.rows, row.stored = finished_at, rows, stored
    row.already_stored, row.refused = already_stored, len(refusals)
    if refusals:
        session.execute(insert(ReadingImportRefusal.__table__), [
            {"import_id": import_id, "line": line, "reason": reason}
            for line, reason in refusals])
    session.flush()
    return row
