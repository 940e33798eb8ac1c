"""The zone compliance report: one zone, one period, from the hub's SQL records.

Composition: the zone and its storage class (kernel), the hourly statistics, the
stored readings and the gateways' stored status (ingest). Time out of range and the
excursions are limit breaches computed from the readings against the storage class's
limits (ingest/out_of_range.py), never the alarm engine's warning-level records; hours
stored before readings were kept are estimated from the hours and say so. The other
arithmetic is ingest/compliance.py's; rendering is hub/reports/tables.py (CSV) and
hub/reports/pdf.py. Day rows follow the site's time zone when one is set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hub.reports.calibration import with_calibration
from hub.reports.changes import zone_changes
from hub.reports.clipped import cuts_of, split_hours
from hub.reports.provenance import Provenance, provenance
from hub.reports.provenance import notes as provenance_notes
from ingest.compliance import (
    DAY,
    HOUR,
    OUT_OF_RANGE_INTERVAL_S,
    RECORD_INTERVAL_S,
    DayRow,
    ExcursionPeriod,
    Gap,
    HourStat,
    KineticTemperature,
    Limits,
    Summary,
    day_row,
    days_of,
    hourly_excursions,
    mkt_window_hours,
    record_gaps,
    summarise,
    window_mkt,
)
from ingest.out_of_range import Bounds, Breach, Run, breaches, runs, time_out
from ingest.queries import (
    breach_readings,
    first_stored_readings,
    gateway_devices,
    hour_stats,
    zone_by_code,
    zone_sensors,
)
from ingest.rollup import DEFAULT_DELTA_H, TEMPERATURE
from kernel.audit import AuditRowPublic
from kernel.errors import Invalid
from kernel.i18n_text import Text
from kernel.orm import StorageClass

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
class ZoneTime:
    """The zone's time above and below a quantity's limits: while any of its sensors
    was out, counted once (from readings; estimated hours add a range)."""

    quantity: str
    above_s_min: float
    above_s_max: float
    below_s_min: float
    below_s_max: float


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
    zone_time: list[ZoneTime] = field(default_factory=list)
    time_zone: str = "UTC"  # the zone whose days the day rows are
    hold_s: float = RECORD_INTERVAL_S  # how long a reading holds at most (out_of_range.py)
    # Imported readings and readings while calibration was overdue (hub/reports/provenance.py).
    origin: Provenance = field(default_factory=lambda: Provenance([], []))
    # The audit trail's rows of the period for the zone (hub/reports/changes.py).
    changes: list[AuditRowPublic] = field(default_factory=list)
    # Its sign-offs (hub/reports/signoff.py SignOffPublic), added when it is shown.
    sign_offs: list[Any] = field(default_factory=list)

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


def _period_of(breach: Breach) -> ExcursionPeriod:
    return ExcursionPeriod(
        breach.sensor, breach.quantity, breach.side, breach.start, breach.end, breach.peak,
        breach.seconds, breach.seconds, "readings", breach.inside_start, breach.inside_end,
        breach.inside_s, breach.inside_s, breach.cut, breach.ongoing)


def _estimate(period: ExcursionPeriod) -> ExcursionPeriod:
    # Hourly estimates are made from the period's hours only: wholly inside it.
    return ExcursionPeriod(
        period.sensor, period.quantity, period.side, period.start, period.end, period.peak,
        period.seconds_min, period.seconds_max, period.source, period.start, period.end,
        period.seconds_min, period.seconds_max)


@dataclass(frozen=True, slots=True)
class Breaches:
    found: dict[tuple[str, str], list[Run]]  # per sensor and quantity, from `since`
    shown: list[ExcursionPeriod]  # overlapping the period, with their part inside it
    estimated: list[ExcursionPeriod]  # hours stored before readings were kept


def breach_periods(session: Session, ids: list[str], limits: dict[str, Limits],
                   hours: list[HourStat], start: datetime, end: datetime, *, now: datetime,
                   hold_s: float, since: datetime | None = None) -> Breaches:
    """Limit breaches of these sensors from their stored readings (ingest/out_of_range.py);
    for `hours` (the period's) stored before readings were kept (migration 0010), an
    hourly estimate. `shown` holds both, sorted."""
    first_kept = first_stored_readings(session, ids)
    found: dict[tuple[str, str], list[Run]] = {}
    shown: list[ExcursionPeriod] = []
    estimated: list[ExcursionPeriod] = []
    for quantity, limit in limits.items():
        if not limit.any:
            continue
        bounds = Bounds(limit.low, limit.high)
        for sensor in ids:
            points = breach_readings(session, sensor, quantity, limit.low, limit.high,
                                     start, end, since=since)
            found[(sensor, quantity)] = runs(points, bounds, hold_s=hold_s, now=now)
            shown += [_period_of(b) for b in breaches(
                points, bounds, start, end, sensor=sensor, quantity=quantity, hold_s=hold_s,
                now=now)]
            kept_from = first_kept.get(sensor)
            older = [h for h in hours if h.sensor == sensor and h.quantity == quantity
                     and start <= h.hour < end and (kept_from is None
                                                    or h.hour + HOUR <= kept_from)]
            estimated += [_estimate(p) for p in hourly_excursions(older, limit)]
    shown = sorted(shown + estimated, key=lambda p: (p.start, p.sensor, p.quantity, p.side))
    return Breaches(found, shown, estimated)


def class_limits(klass: StorageClass | None) -> dict[str, Limits]:
    """The limits a storage class sets per quantity (none without a class)."""
    return {
        TEMPERATURE: Limits(klass.temp_min_c, klass.temp_max_c) if klass else Limits(),
        HUMIDITY: Limits(klass.humidity_min_pct, klass.humidity_max_pct) if klass else Limits(),
    }


def _day_bounds(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """Each day row's [start, end) in UTC, clipped to the period."""
    return [(max(day, start).astimezone(UTC),
             min(datetime.combine(day.date() + DAY, day.timetz()), end).astimezone(UTC))
            for day in days_of(start, end, tz)]


def site_zone(name: str | None) -> tzinfo:
    return ZoneInfo(name) if name else UTC


def zone_report(session: Session, code: str, start: datetime, end: datetime, *,
                now: datetime, generated_by: str, time_zone: str | None = None,
                record_interval_s: float = RECORD_INTERVAL_S,
                out_of_range_interval_s: float = OUT_OF_RANGE_INTERVAL_S) -> ZoneReport:
    if end <= start:
        raise Invalid("the period's end must be after its start", code="bad_period")
    if end - start > MAX_PERIOD:
        raise Invalid("a report covers at most 400 days; ask for several", code="bad_period")
    tz = site_zone(time_zone)
    zone = zone_by_code(session, code)
    klass = zone.storage_class
    limits = class_limits(klass)
    delta_h = (klass.mkt_delta_h if klass else None) or DEFAULT_DELTA_H
    window_h = mkt_window_hours(klass.temp_max_c if klass else None,
                                klass.mkt_window_h if klass else None)
    sensors = zone_sensors(session, zone.id)
    devices = gateway_devices(session, sorted({s.gateway for s in sensors if s.gateway}))
    infos = []
    for placed in sensors:
        profile, calibration = _calibration(devices.get(placed.gateway or "", {}).get(placed.id))
        infos.append(SensorInfo(placed.id, placed.name, placed.gateway, profile, calibration))
    infos = with_calibration(session, infos, start, end)
    ids = [s.id for s in sensors]
    lookback = start - timedelta(hours=window_h)
    stored = hour_stats(session, ids, lookback, end)
    # Hours cut where the period, a day or an MKT window begins or ends inside them.
    loaded, unsplit = split_hours(session, stored, cuts_of(
        start, end, _day_bounds(start, end, tz), window_h))
    in_period = [h for h in loaded if start <= h.hour < end]
    notes: list[str] = []

    found_out = breach_periods(session, ids, limits, in_period, start, end, now=now,
                               hold_s=record_interval_s, since=lookback)
    found, shown, estimated = found_out.found, found_out.shown, found_out.estimated
    # Every breach the MKT windows reach (they start before the period), for their flags.
    reached = estimated + [
        ExcursionPeriod(sensor, quantity, r.side, r.start, r.end, r.peak, 0.0, 0.0, "readings")
        for (sensor, quantity), rs in found.items() for r in rs]
    source = "readings against the storage class's limits"
    if estimated:
        source += "; hourly statistics before readings were kept"
        notes.append(Text("Some hours were stored before the hub kept every reading: their "
                          "excursions and time out of range are estimated from hourly "
                          "statistics (hour resolution): between the hours entirely out and "
                          "the hours with any value out, shown as a range."))

    summaries = []
    for sensor in ids:
        # A sensor with no reading in the period can still be out in it: a reading
        # before it holds into it.
        for quantity in sorted({h.quantity for h in in_period if h.sensor == sensor}
                               | {p.quantity for p in shown if p.sensor == sensor
                                  and (p.inside_s_max or 0.0) > 0}):
            mine = [h for h in in_period if h.sensor == sensor and h.quantity == quantity]
            summaries.append(summarise(mine, shown, sensor=sensor, quantity=quantity))
    zone_time = []
    for quantity, limit in limits.items():
        if not limit.any:
            continue
        exact = time_out([r for (_, q), rs in found.items() if q == quantity for r in rs],
                         start, end)
        guess = [p for p in estimated if p.quantity == quantity]
        zone_time.append(ZoneTime(
            quantity,
            exact.above_s + sum(p.seconds_min for p in guess if p.side == "above"),
            exact.above_s + sum(p.seconds_max for p in guess if p.side == "above"),
            exact.below_s + sum(p.seconds_min for p in guess if p.side == "below"),
            exact.below_s + sum(p.seconds_max for p in guess if p.side == "below")))

    until = min(end, now)
    gaps: list[Gap] = []
    for sensor in ids:
        quantities = {h.quantity for h in stored if h.sensor == sensor}
        quantity = TEMPERATURE if TEMPERATURE in quantities or not quantities else min(quantities)
        record = [h for h in stored if h.sensor == sensor and h.quantity == quantity
                  and h.hour >= start - HOUR]
        if until > start:
            gaps += record_gaps(record, start, until, limits.get(quantity, Limits()),
                                sensor=sensor, interval_s=record_interval_s,
                                out_of_range_interval_s=out_of_range_interval_s)

    by_sensor: dict[str, list[HourStat]] = {}
    for h in loaded:
        by_sensor.setdefault(h.sensor, []).append(h)
    days = []
    for day in days_of(start, end, tz):
        # In UTC: arithmetic on a local time is wall-clock arithmetic (a DST day is not
        # 24 hours), and the MKT window is counted in real hours.
        day_start = max(day, start).astimezone(UTC)
        day_end = min(datetime.combine(day.date() + DAY, day.timetz()), end).astimezone(UTC)
        for sensor in ids:
            for quantity in (TEMPERATURE, HUMIDITY):
                mine = [h for h in by_sensor.get(sensor, ()) if h.quantity == quantity
                        and day_start <= h.hour < day_end]
                kinetic = None
                if quantity == TEMPERATURE:
                    kinetic = window_mkt(
                        by_sensor.get(sensor, []), day_end - timedelta(
                            hours=window_h), day_end, delta_h, sensor=sensor, excursions=reached)
                if not mine and (kinetic is None or kinetic.readings == 0):
                    continue
                out = time_out(found.get((sensor, quantity), []), day_start, day_end)
                days.append(day_row(mine, day, sensor=sensor, quantity=quantity, mkt=kinetic,
                                    above_s=out.above_s, below_s=out.below_s))

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
        notes.append(Text("%(n)s hour(s) were summed with a former ΔH and converted through "
                          "their own kinetic temperature (exact for a steady hour), first "
                          "%(first)s UTC.", n=len(former), first=f"{former[0]:%Y-%m-%d %H:00}"))
    if mean_only:
        notes.append(Text("%(n)s hour(s) have no kinetic sum (recorded before it was kept, "
                          "or under two ΔH values): their mean was used, which understates "
                          "MKT; first %(first)s UTC.", n=len(mean_only),
                          first=f"{mean_only[0]:%Y-%m-%d %H:00}"))
    if unsplit:
        notes.append(Text("%(n)s hour(s) that the period, a day or an MKT window begins or "
                          "ends inside were stored before readings were kept: their readings, "
                          "min, max and mean count whole, in the part where the hour begins.",
                          n=unsplit))
    if not any(i.calibration for i in infos):
        notes.append(Text("The gateways' stored status does not report the sensors' profiles "
                          "and calibration offsets; sensors are listed without them."))
    if klass is None:
        notes.append(Text("The zone has no storage class: no limits, nothing is out of range."))
    notes.append(Text("Sensors are those assigned to the zone when the report was made."))
    origin = provenance(session, ids, start, end)
    notes += provenance_notes(origin)
    sites = sorted({s.site for s in sensors if s.site})
    return ZoneReport(
        site=", ".join(sites) or "-", zone=zone.code, zone_name=zone.name,
        storage_class=f"{klass.code} ({klass.name})" if klass else None, limits=limits,
        start=start, end=end, sensors=infos, delta_h=delta_h, mkt_window_h=window_h,
        summaries=summaries, days=days, excursions=shown, gaps=gaps, chart=chart,
        excursion_source=source, generated_at=now, generated_by=generated_by, notes=notes,
        zone_time=zone_time, time_zone=time_zone or "UTC", hold_s=record_interval_s,
        origin=origin,
        changes=zone_changes(session, zone.code, klass.code if klass else None, ids, start, end),
    )
