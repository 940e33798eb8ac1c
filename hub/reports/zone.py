"""The zone compliance report: one zone, one period, from the hub's SQL records.

Composition: the zone and its storage class (kernel), the hourly statistics and
the gateways' stored status (ingest), excursion records (the alarm engine's, via
an injected `ExcursionSource`; without one, estimated from the hours). The
arithmetic is ingest/compliance.py's; rendering is hub/reports/tables.py
(CSV) and hub/reports/pdf.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from hub.reports.calibration import with_calibration
from ingest.compliance import (
    DAY,
    HOUR,
    OUT_OF_RANGE_INTERVAL_S,
    RECORD_INTERVAL_S,
    DayRow,
    ExcursionPeriod,
    ExcursionSource,
    Gap,
    HourStat,
    KineticTemperature,
    Limits,
    Summary,
    combine_excursions,
    day_row,
    days_of,
    from_records,
    hourly_excursions,
    mkt_window_hours,
    record_gaps,
    summarise,
    window_mkt,
)
from ingest.queries import gateway_devices, hour_stats, zone_by_code, zone_sensors
from ingest.rollup import DEFAULT_DELTA_H, TEMPERATURE
from kernel.errors import Invalid

HUMIDITY = "humidity_pct"
MAX_PERIOD = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class SensorInfo:
    id: str
    name: str
    gateway: str | None
    profile: str | None
    calibration: str | None  # "temperature_c -0.30", as the gateway reports it
    # Calibration status in the period (hub/reports/calibration.py): the last record,
    # overdue, the applied offset's changes in the period, recorded offset not applied.
    last_calibrated: date | None = None
    certificate: str | None = None
    laboratory: str | None = None
    recorded_offset: str | None = None
    next_due: date | None = None
    overdue: bool = False
    mismatch: bool = False
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChartPoint:
    hour: datetime
    min: float
    max: float
    mean: float


@dataclass(frozen=True, slots=True)
class ZoneReport:
    site: str
    zone: str
    zone_name: str
    storage_class: str | None
    limits: dict[str, Limits]
    start: datetime
    end: datetime
    sensors: list[SensorInfo]
    delta_h: float
    mkt_window_h: int
    summaries: list[Summary]
    days: list[DayRow]
    excursions: list[ExcursionPeriod]
    gaps: list[Gap]
    chart: dict[str, list[ChartPoint]]
    excursion_source: str
    generated_at: datetime
    generated_by: str
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.gaps

    @property
    def highest_mkt(self) -> KineticTemperature | None:
        found = [d.mkt for d in self.days if d.mkt is not None and d.mkt.mkt_c is not None]
        return max(found, key=lambda k: k.mkt_c or 0.0, default=None)


def _calibration(device: object) -> tuple[str | None, str | None]:
    if not isinstance(device, dict):
        return None, None
    profile = device.get("profile")
    offsets = device.get("calibration") or device.get("offsets")
    text = None
    if isinstance(offsets, dict) and offsets:
        text = ", ".join(f"{q} {float(v):+.2f}" for q, v in sorted(offsets.items()))
    return (str(profile) if profile else None), text


def _fold(hours: list[HourStat]) -> ChartPoint:
    count = sum(h.count for h in hours)
    return ChartPoint(hours[0].hour, min(h.min for h in hours), max(h.max for h in hours),
                      sum(h.sum for h in hours) / count)


def zone_report(session: Session, code: str, start: datetime, end: datetime, *,
                now: datetime, generated_by: str, excursions: ExcursionSource | None = None,
                record_interval_s: float = RECORD_INTERVAL_S,
                out_of_range_interval_s: float = OUT_OF_RANGE_INTERVAL_S) -> ZoneReport:
    if end <= start:
        raise Invalid("the period's end must be after its start", code="bad_period")
    if end - start > MAX_PERIOD:
        raise Invalid("a report covers at most 400 days; ask for several", code="bad_period")
    zone = zone_by_code(session, code)
    klass = zone.storage_class
    limits = {
        TEMPERATURE: Limits(klass.temp_min_c, klass.temp_max_c) if klass else Limits(),
        HUMIDITY: Limits(klass.humidity_min_pct, klass.humidity_max_pct) if klass else Limits(),
    }
    delta_h = (klass.mkt_delta_h if klass else None) or DEFAULT_DELTA_H
    window_h = mkt_window_hours(klass.temp_max_c if klass else None,
                                klass.mkt_window_h if klass else None)
    sensors = zone_sensors(session, zone.id)
    devices = gateway_devices(session, sorted({s.gateway for s in sensors if s.gateway}))
    infos = []
    for sensor in sensors:
        profile, calibration = _calibration(devices.get(sensor.gateway or "", {}).get(sensor.id))
        infos.append(SensorInfo(sensor.id, sensor.name, sensor.gateway, profile, calibration))
    infos = with_calibration(session, infos, start, end)
    ids = [s.id for s in sensors]
    lookback = start - timedelta(hours=window_h)
    loaded = hour_stats(session, ids, lookback, end)
    in_period = [h for h in loaded if start <= h.hour < end]
    notes: list[str] = []

    estimated: list[ExcursionPeriod] = []
    for quantity, limit in limits.items():
        if limit.any:
            estimated += hourly_excursions([h for h in loaded if h.quantity == quantity], limit)
    periods = estimated
    if excursions is not None:
        recorded = from_records(excursions.excursions(code, lookback, end), now)
        periods = combine_excursions(recorded, estimated)
    if periods and all(p.exact for p in periods):
        source = "alarm engine"
    elif any(p.exact for p in periods):
        source = "alarm engine and hourly statistics"
    else:
        source = "hourly statistics"
    if source != "alarm engine" and periods:
        notes.append("Excursions and time out of range are estimated from hourly statistics "
                     "(hour resolution): start and end are hour boundaries and the time out "
                     "of range lies between the hours entirely out and the hours with any "
                     "value out.")
    shown = [p for p in periods if p.overlaps(start, end)]

    summaries = []
    for sensor in ids:
        for quantity in sorted({h.quantity for h in in_period if h.sensor == sensor}):
            mine = [h for h in in_period if h.sensor == sensor and h.quantity == quantity]
            summaries.append(summarise(mine, shown, sensor=sensor, quantity=quantity))

    until = min(end, now)
    gaps: list[Gap] = []
    for sensor in ids:
        quantities = {h.quantity for h in loaded if h.sensor == sensor}
        quantity = TEMPERATURE if TEMPERATURE in quantities or not quantities else min(quantities)
        record = [h for h in loaded if h.sensor == sensor and h.quantity == quantity
                  and h.hour >= start - HOUR]
        if until > start:
            gaps += record_gaps(record, start, until, limits.get(quantity, Limits()),
                                sensor=sensor, interval_s=record_interval_s,
                                out_of_range_interval_s=out_of_range_interval_s)

    by_sensor: dict[str, list[HourStat]] = {}
    for h in loaded:
        by_sensor.setdefault(h.sensor, []).append(h)
    days = []
    for day in days_of(start, end):
        day_end = min(day + DAY, end)
        for sensor in ids:
            for quantity in (TEMPERATURE, HUMIDITY):
                mine = [h for h in by_sensor.get(sensor, ()) if h.quantity == quantity
                        and day <= h.hour < day_end and h.hour >= start]
                kinetic = None
                if quantity == TEMPERATURE:
                    kinetic = window_mkt(
                        by_sensor.get(sensor, []), day_end - timedelta(
                            hours=window_h), day_end, delta_h, sensor=sensor, excursions=periods)
                if not mine and (kinetic is None or kinetic.readings == 0):
                    continue
                days.append(day_row(mine, day, sensor=sensor, quantity=quantity, mkt=kinetic))

    chart: dict[str, list[ChartPoint]] = {}
    for quantity in (TEMPERATURE, HUMIDITY):
        by_hour: dict[datetime, list[HourStat]] = {}
        for h in in_period:
            if h.quantity == quantity:
                by_hour.setdefault(h.hour, []).append(h)
        if by_hour:
            chart[quantity] = [_fold(by_hour[hour]) for hour in sorted(by_hour)]

    former = sorted({h for d in days if d.mkt for h in d.mkt.former_delta_h_hours})
    mean_only = sorted({h for d in days if d.mkt for h in d.mkt.mean_only_hours})
    if former:
        notes.append(f"{len(former)} hour(s) were summed with a former ΔH and converted through "
                     f"their own kinetic temperature (exact for a steady hour), first "
                     f"{former[0]:%Y-%m-%d %H:00} UTC.")
    if mean_only:
        notes.append(f"{len(mean_only)} hour(s) have no kinetic sum (recorded before it was "
                     f"kept, or under two ΔH values): their mean was used, which understates "
                     f"MKT; first {mean_only[0]:%Y-%m-%d %H:00} UTC.")
    if not any(i.calibration for i in infos):
        notes.append("The gateways' stored status does not report the sensors' profiles and "
                     "calibration offsets; sensors are listed without them.")
    if klass is None:
        notes.append("The zone has no storage class: no limits, nothing is out of range.")
    notes.append("Sensors are those assigned to the zone when the report was made.")
    sites = sorted({s.site for s in sensors if s.site})
    return ZoneReport(
        site=", ".join(sites) or "-", zone=zone.code, zone_name=zone.name,
        storage_class=f"{klass.code} ({klass.name})" if klass else None, limits=limits,
        start=start, end=end, sensors=infos, delta_h=delta_h, mkt_window_h=window_h,
        summaries=summaries, days=days, excursions=shown, gaps=gaps, chart=chart,
        excursion_source=source, generated_at=now, generated_by=generated_by, notes=notes,
    )
