"""Read use cases for sensors and their readings (writes: ingest/sensors.py), and
for gateways: their last stored status, and the gateways known only from their
telemetry (state `unknown`), as GatewayPublic with the scanners the status reports.
Also what an ingest-hook consumer reads at start to rebuild its state."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ingest.compliance import HourStat
from ingest.orm import (
    AppliedSettings,
    Calibration,
    DeadLetter,
    GatewayStatus,
    HourlyStat,
    LatestReading,
    ReadingImport,
    ReadingImportRefusal,
    Sensor,
    StoredReading,
)
from ingest.schemas import (
    DeadLetterPublic,
    GatewayPublic,
    GatewayScannerPublic,
    HourPublic,
    LatestPublic,
    ReadingImportPublic,
    ReadingImportRefusalPublic,
    SensorPublic,
)
from kernel.errors import Invalid, NotFound
from kernel.orm import Zone

_HOUR = timedelta(hours=1)


def zone_by_code(session: Session, code: str) -> Zone:
    zone = session.scalar(select(Zone).where(Zone.code == code))
    if zone is None:
        raise NotFound("no zone %(id)s", code="zone_not_found", id=code)
    return zone


def _view(sensor: Sensor, zone_code: str | None) -> SensorPublic:
    return SensorPublic(
        id=sensor.id, name=sensor.name, zone=zone_code, site=sensor.site,
        gateway=sensor.gateway, first_seen=sensor.first_seen, last_seen=sensor.last_seen,
        last_quality=sensor.last_quality, last_error=sensor.last_error,
    )


def list_sensors(
    session: Session, *, zone: str | None = None, unassigned: bool = False
) -> list[SensorPublic]:
    query = select(Sensor, Zone.code).outerjoin(Zone, Sensor.zone_id == Zone.id)
    if zone is not None:
        query = query.where(Zone.code == zone)
    if unassigned:
        query = query.where(Sensor.zone_id.is_(None))
    return [_view(s, code) for s, code in session.execute(query.order_by(Sensor.id))]


def get_sensor(session: Session, sensor_id: str) -> SensorPublic:
    row = session.execute(
        select(Sensor, Zone.code).outerjoin(Zone, Sensor.zone_id == Zone.id)
        .where(Sensor.id == sensor_id)
    ).first()
    if row is None:
        raise NotFound("no sensor %(sensor_id)s", code="sensor_not_found", sensor_id=sensor_id)
    return _view(*row)


def latest_readings(
    session: Session, *, zone: str | None = None, sensor: str | None = None
) -> list[LatestPublic]:
    query = (
        select(LatestReading, Zone.code)
        .join(Sensor, Sensor.id == LatestReading.sensor_id)
        .outerjoin(Zone, Sensor.zone_id == Zone.id)
    )
    if zone is not None:
        query = query.where(Zone.code == zone)
    if sensor is not None:
        query = query.where(LatestReading.sensor_id == sensor)
    rows = session.execute(query.order_by(LatestReading.sensor_id, LatestReading.quantity))
    return [LatestPublic(sensor=r.sensor_id, zone=code, quantity=r.quantity, ts=r.ts, value=r.value)
            for r, code in rows]


def _check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise Invalid("end must be after start", code="bad_period")


def sensor_hours(
    session: Session, sensor_id: str, start: datetime, end: datetime,
    quantity: str | None = None,
) -> list[HourPublic]:
    _check_period(start, end)
    get_sensor(session, sensor_id)
    query = select(HourlyStat).where(
        HourlyStat.sensor_id == sensor_id, HourlyStat.hour >= start, HourlyStat.hour < end
    )
    if quantity:
        query = query.where(HourlyStat.quantity == quantity)
    return [
        HourPublic(hour=h.hour, quantity=h.quantity, count=h.count, min=h.min, max=h.max,
                   mean=mean_of([(h.count, h.min, h.max, h.sum)]))
        for h in session.scalars(query.order_by(HourlyStat.hour, HourlyStat.quantity))
    ]


def zone_hours(
    session: Session, zone: str, start: datetime, end: datetime, quantity: str | None = None
) -> list[HourPublic]:
    """Every sensor of the zone folded together, hour by hour."""
    _check_period(start, end)
    zone_id = zone_by_code(session, zone).id
    # Folded in Python, not with SQL's sum(): PostgreSQL raises on a float sum
    # that overflows, and the mean must stay finite (see `mean_of`).
    query = (
        select(HourlyStat.hour, HourlyStat.quantity, HourlyStat.count, HourlyStat.min,
               HourlyStat.max, HourlyStat.sum)
        .join(Sensor, Sensor.id == HourlyStat.sensor_id)
        .where(Sensor.zone_id == zone_id, HourlyStat.hour >= start, HourlyStat.hour < end)
        .order_by(HourlyStat.hour, HourlyStat.quantity)
    )
    if quantity:
        query = query.where(HourlyStat.quantity == quantity)
    hours: dict[tuple[datetime, str], list[tuple[int, float, float, float]]] = {}
    for hour, q, count, lo, hi, total in session.execute(query):
        hours.setdefault((hour, q), []).append((count, lo, hi, total))
    return [
        HourPublic(hour=hour, quantity=q, count=sum(p[0] for p in parts),
                   min=min(p[1] for p in parts), max=max(p[2] for p in parts),
                   mean=mean_of(parts))
        for (hour, q), parts in hours.items()
    ]


def mean_of(parts: list[tuple[int, float, float, float]]) -> float:
    """The mean of hourly roll-ups (count, min, max, sum) without overflow.

    Readings near the float limit (1.7e308) make a stored sum infinite; sum/count
    would then be inf, sent as null where the schema says number. Each part
    adds sum/N instead of the sum (finite, at most max·count/N); a part whose sum
    overflowed on ingest adds its midpoint times its share, the best estimate
    left. The result is clamped to [min, max], where a mean always lies."""
    n = sum(p[0] for p in parts)
    lo, hi = min(p[1] for p in parts), max(p[2] for p in parts)
    mean = 0.0
    for count, p_lo, p_hi, total in parts:
        share = total / n
        if not math.isfinite(share):
            share = (p_lo / 2 + p_hi / 2) * (count / n)
        mean += share
    if not math.isfinite(mean):  # shares near the limit with the same sign
        mean = lo / 2 + hi / 2
    return min(max(mean, lo), hi)


def recent_dead_letters(session: Session, limit: int = 100) -> list[DeadLetterPublic]:
    """The newest first; each payload as text (invalid UTF-8 replaced), cut at 2 KiB."""
    return [
        DeadLetterPublic(
            id=d.id, received_at=d.received_at, topic=d.topic, reason=d.reason,
            payload=d.payload[:2048].decode("utf-8", errors="replace"),
        )
        for d in session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit))
    ]


def hour_stats(session: Session, sensor_ids: list[str], start: datetime, end: datetime,
               quantity: str | None = None) -> list[HourStat]:
    """The stored hours of these sensors in [start, end), for compliance reports."""
    if not sensor_ids:
        return []
    query = select(HourlyStat).where(
        HourlyStat.sensor_id.in_(sensor_ids), HourlyStat.hour >= start, HourlyStat.hour < end)
    if quantity:
        query = query.where(HourlyStat.quantity == quantity)
    return [
        HourStat(h.sensor_id, h.quantity, h.hour, h.count, h.min, h.max, h.sum, h.first_ts,
                 h.last_ts, h.max_gap_s, h.exp_sum, h.delta_h)
        for h in session.scalars(query.order_by(HourlyStat.sensor_id, HourlyStat.quantity,
                                                HourlyStat.hour))
    ]


def _inside(low: float | None, high: float | None) -> ColumnElement[bool]:
    value = StoredReading.value
    return and_(value >= low if low is not None else value.is_not(None),
                value <= high if high is not None else value.is_not(None))


def breach_readings(session: Session, sensor: str, quantity: str, low: float | None,
                    high: float | None, start: datetime, end: datetime, *,
                    since: datetime | None = None) -> list[tuple[datetime, float]]:
    """One sensor's stored readings of `quantity` that decide its time out of range in
    [start, end): from its last reading inside the limits before `start` (or before
    `since`, if earlier) to its first inside them at or after `end`, so that an
    excursion overlapping the period (or `since`..end) is read whole, however long
    before or after it began or ended (ingest/out_of_range.py does the arithmetic)."""
    mine = and_(StoredReading.sensor_id == sensor, StoredReading.quantity == quantity)
    inside = _inside(low, high)
    first = min(start, since or start)
    before = session.scalar(select(func.max(StoredReading.ts))
                            .where(mine, inside, StoredReading.ts < first))
    after = session.scalar(select(func.min(StoredReading.ts))
                           .where(mine, inside, StoredReading.ts >= end))
    query = select(StoredReading.ts, StoredReading.value).where(mine)
    if before is not None:
        query = query.where(StoredReading.ts >= before)
    if after is not None:
        query = query.where(StoredReading.ts <= after)
    return [(ts, value) for ts, value in session.execute(query.order_by(StoredReading.ts))]


def first_stored_readings(session: Session, sensor_ids: list[str]) -> dict[str, datetime]:
    """Per sensor, its oldest stored reading: hours before it were kept only as hourly
    statistics (stored before migration 0010)."""
    if not sensor_ids:
        return {}
    return {sensor: ts for sensor, ts in session.execute(
        select(StoredReading.sensor_id, func.min(StoredReading.ts))
        .where(StoredReading.sensor_id.in_(sensor_ids)).group_by(StoredReading.sensor_id))}


def zone_sensors(session: Session, zone_id: int) -> list[SensorPublic]:
    """The sensors assigned to a zone now."""
    return [_view(s, None) for s in session.scalars(
        select(Sensor).where(Sensor.zone_id == zone_id).order_by(Sensor.id))]


def gateway_devices(session: Session, gateways: list[str]) -> dict[str, dict[str, object]]:
    """Per gateway, the devices of its newest stored status (as on the wire)."""
    if not gateways:
        return {}
    return {g: dict(d or {}) for g, d in session.execute(
        select(GatewayStatus.gateway, GatewayStatus.devices)
        .where(GatewayStatus.gateway.in_(gateways)))}


# --- the alarm engine's picture of the sensors (hub/alarm_wiring.py) ------------------


class SensorPlacement(NamedTuple):
    sensor: str
    zone: str | None
    gateway: str | None


def sensor_placements(session: Session) -> list[SensorPlacement]:
    """Every sensor with its zone's code and its gateway. Columns, not ORM entities:
    with 100,000 sensors the entities were the hub's peak memory, every reconcile."""
    return [SensorPlacement(sensor, zone, gateway) for sensor, zone, gateway in session.execute(
        select(Sensor.id, Zone.code, Sensor.gateway).outerjoin(Zone, Sensor.zone_id == Zone.id)
        .order_by(Sensor.id))]


class LatestValues(NamedTuple):
    sensor: str
    ts: datetime
    quantities: dict[str, float]


def latest_values(session: Session) -> list[LatestValues]:
    """Each registered sensor's latest values, one entry per (sensor, time), oldest first."""
    grouped: dict[tuple[str, datetime], dict[str, float]] = defaultdict(dict)
    for sensor, ts, quantity, value in session.execute(
            select(LatestReading.sensor_id, LatestReading.ts, LatestReading.quantity,
                   LatestReading.value)
            .join(Sensor, Sensor.id == LatestReading.sensor_id)
            .order_by(LatestReading.sensor_id, LatestReading.quantity)):
        grouped[(sensor, ts)][quantity] = value
    return [LatestValues(sensor, ts, quantities) for (sensor, ts), quantities in
            sorted(grouped.items(), key=lambda item: item[0][1])]


# --- gateways (hub/gateway_status.py adds inventory's scanner registry) ----------


def unknown_gateway(gateway: str, site: str | None = None, last_seen: datetime | None = None,
                    sensors: int = 0) -> GatewayPublic:
    """A gateway without a stored status: seen only through its telemetry, or known
    only to another part (its registered scanners)."""
    return GatewayPublic(id=gateway, site=site, state="unknown", last_seen=last_seen,
                         status_ts=None, version=None, outbox_depth=None, outbox_dropped=None,
                         devices={}, sensors=sensors)


def _reported_scanners(health: dict[str, dict[str, object]]) -> list[GatewayScannerPublic]:
    """The serial scanners a status lists (ScannerHealth as on the wire), not yet compared
    with any registration. The gateway's own `operator` is what its config claims; the hub
    books as the registered one, so it is not shown."""
    return [
        GatewayScannerPublic.model_validate({
            **{k: v for k, v in fields.items()
               if k in GatewayScannerPublic.model_fields and k != "operator"},
            "id": scanner, "registered": False, "reported": True,
        })
        for scanner, fields in sorted(health.items())
    ]


def _sensor_counts(session: Session) -> dict[str, tuple[str | None, int, datetime | None]]:
    """gateway -> (site, sensors, newest reading) from the sensors table."""
    rows = session.execute(
        select(Sensor.gateway, func.max(Sensor.site), func.count(), func.max(Sensor.last_seen))
        .where(Sensor.gateway.is_not(None))
        .group_by(Sensor.gateway)
    )
    return {gateway: (site, count, last) for gateway, site, count, last in rows}


def _gateway_view(row: GatewayStatus, sensors: int) -> GatewayPublic:
    return GatewayPublic(
        id=row.gateway, site=row.site, state=row.state, last_seen=row.last_seen,
        status_ts=row.status_ts, version=row.version, outbox_depth=row.outbox_depth,
        outbox_dropped=row.outbox_dropped, devices=row.devices or {}, sensors=sensors,
        # Unchecked below: the JSON column holds ScannerHealth mappings per scanner; SQLAlchemy
        # types it dict[str, object].
        scanners=_reported_scanners(row.scanners or {}),  # type: ignore[arg-type]
    )


def list_gateways(session: Session) -> list[GatewayPublic]:
    """Every gateway with a stored status, and those seen only through telemetry."""
    counts = _sensor_counts(session)
    views = {
        row.gateway: _gateway_view(row, counts.get(row.gateway, (None, 0, None))[1])
        for row in session.scalars(select(GatewayStatus))
    }
    for gateway, (site, count, last) in counts.items():
        if gateway not in views:
            views[gateway] = unknown_gateway(gateway, site, last, count)
    return [views[key] for key in sorted(views)]


def get_gateway(session: Session, gateway: str) -> GatewayPublic:
    row = session.get(GatewayStatus, gateway)
    counts = _sensor_counts(session)
    if row is not None:
        return _gateway_view(row, counts.get(gateway, (None, 0, None))[1])
    if gateway in counts:
        site, count, last = counts[gateway]
        return unknown_gateway(gateway, site, last, count)
    raise NotFound("no gateway %(gateway)s", code="gateway_not_found", gateway=gateway)


# --- calibration (ingest/calibration.py) ---------------------------------------------


def applied_settings(session: Session, sensors: list[str]) -> list[AppliedSettings]:
    """The kept changes of what these sensors' gateways apply, oldest first."""
    return list(session.scalars(
        select(AppliedSettings).where(AppliedSettings.sensor.in_(sensors))
        .order_by(AppliedSettings.since, AppliedSettings.id)))


def calibration_records(session: Session, sensors: list[str]) -> list[Calibration]:
    """These sensors' calibration records, oldest first."""
    return list(session.scalars(
        select(Calibration).where(Calibration.sensor.in_(sensors))
        .order_by(Calibration.calibrated_on, Calibration.id)))


def calibrated_sensors(session: Session) -> list[str]:
    """Every sensor with a calibration record or a kept applied setting."""
    names = set(session.scalars(select(Calibration.sensor).distinct()))
    names |= set(session.scalars(select(AppliedSettings.sensor).distinct()))
    return sorted(names)


def zones_of_sensors(session: Session, sensors: list[str]) -> dict[str, str | None]:
    """The zone code of each of these sensors (None: unassigned)."""
    if not sensors:
        return {}
    rows = session.execute(select(Sensor.id, Zone.code).outerjoin(Zone, Sensor.zone_id == Zone.id)
                           .where(Sensor.id.in_(sensors)))
    return {sensor: zone for sensor, zone in rows}


# --- historical imports (ingest/history.py) --------------------------------------------


def reading_imports(session: Session) -> list[ReadingImportPublic]:
    """Every import, newest first."""
    return [ReadingImportPublic.model_validate(row) for row in session.scalars(
        select(ReadingImport).order_by(ReadingImport.id.desc()))]


def reading_import(session: Session, import_id: int) -> ReadingImportPublic:
    row = session.get(ReadingImport, import_id)
    if row is None:
        raise NotFound("no reading import %(import_id)s", code="import_not_found",
            import_id=import_id)
    return ReadingImportPublic.model_validate(row)


def reading_import_refusals(session: Session, import_id: int
                            ) -> list[ReadingImportRefusalPublic]:
    reading_import(session, import_id)
    return [ReadingImportRefusalPublic.model_validate(row) for row in session.scalars(
        select(ReadingImportRefusal).where(ReadingImportRefusal.import_id == import_id)
        .order_by(ReadingImportRefusal.line))]


@dataclass(frozen=True, slots=True)
class ImportedShare:
    """How many of a sensor's readings in a period one import brought in."""

    import_id: int
    file_name: str
    sha256: str
    imported_by: str
    imported_at: datetime
    sensor: str
    readings: int  # values (one per quantity and time)
    first: datetime
    last: datetime


def imported_shares(session: Session, sensors: list[str], start: datetime, end: datetime
                    ) -> list[ImportedShare]:
    """Per import and sensor, the imported readings in [start, end), by import."""
    if not sensors:
        return []
    r = StoredReading
    rows = session.execute(
        select(r.import_id, r.sensor_id, func.count(), func.min(r.ts), func.max(r.ts))
        .where(r.sensor_id.in_(sensors), r.ts >= start, r.ts < end, r.import_id.is_not(None))
        .group_by(r.import_id, r.sensor_id))
    counts = list(rows)
    imports = {row.id: row for row in session.scalars(select(ReadingImport).where(
        ReadingImport.id.in_({c[0] for c in counts})))} if counts else {}
    return sorted((ImportedShare(import_id, imports[import_id].file_name,
                                 imports[import_id].sha256, imports[import_id].imported_by,
                                 imports[import_id].started_at, sensor, count, first, last)
                   for import_id, sensor, count, first, last in counts
                   if import_id in imports), key=lambda s: (s.import_id, s.sensor))


def reading_times(session: Session, sensor: str, start: datetime, end: datetime) -> int:
    """How many times in [start, end) the sensor has stored readings (of any quantity)."""
    r = StoredReading
    return int(session.scalar(select(func.count(func.distinct(r.ts))).where(
        r.sensor_id == sensor, r.ts >= start, r.ts < end)) or 0)


def readings_in_hours(session: Session, sensor: str, quantity: str, hours: list[datetime]
                      ) -> list[tuple[datetime, float]]:
    """One sensor's stored readings of `quantity` inside these UTC hours, by time: what
    the report splits an hour by when a boundary of its falls inside it."""
    r = StoredReading
    found: list[tuple[datetime, float]] = []
    ordered = sorted(hours)
    for at in range(0, len(ordered), 200):  # bind parameters per statement
        chunk = ordered[at:at + 200]
        found += [(ts, value) for ts, value in session.execute(
            select(r.ts, r.value).where(
                r.sensor_id == sensor, r.quantity == quantity,
                or_(*[and_(r.ts >= hour, r.ts < hour + _HOUR) for hour in chunk]))
            .order_by(r.ts))]
    return found
