"""Calibration (issue 17): what each gateway applies to its sensors, and the sensors'
calibration records (SQL in ingest/repository.py and ingest/queries.py).

- Applied settings: a gateway's status carries, per sensor, the device profile and
  the calibration offset per quantity it adds to the decoded value
  (docs/wire-contract.md). Each change is kept with the status's time, in the
  transaction that stores the status (`record_applied`, called by ingest/store.py),
  so a report can say which offset applied when. A status speaks for its own
  gateway's sensors only; one older than the last change kept changes nothing.
- Calibration records: a supervisor enters each certificate (date, number,
  laboratory, as-found and as-left error, offset per quantity, next due date).
- `sensor_status` puts both together for a report period and for the alarm engine:
  the last calibration, the offset recorded against the one applied, due or overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from contract.wire import DeviceHealth
from ingest import queries, repository
from ingest.orm import AppliedSettings, Calibration
from ingest.schemas import AppliedSettingsPublic, CalibrationCreate, CalibrationPublic
from kernel import audit
from kernel.actors import Actor
from kernel.clock import utcnow
from kernel.errors import NotFound
from kernel.uow import Idempotency, unit_of_work

# Offsets that differ by less than this are the same offset (floats from YAML and JSON).
SAME_OFFSET = 1e-6
DUE_SOON_DAYS = 30


def same_offsets(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Equal per quantity; a quantity left out is an offset of 0."""
    return all(abs(a.get(q, 0.0) - b.get(q, 0.0)) < SAME_OFFSET for q in set(a) | set(b))


def format_offsets(offsets: Mapping[str, float]) -> str:
    return ", ".join(f"{q} {v:+.2f}" for q, v in sorted(offsets.items())) or "none"


# --- applied settings, from the gateways' statuses -----------------------------------


def record_applied(session: Session, gateway: str, devices: Mapping[str, DeviceHealth],
                   ts: datetime, received_at: datetime) -> None:
    """Keep each change of profile or offsets the status reports (in the caller's
    transaction). Devices that report neither (older gateways) are left alone."""
    told = {sensor: d for sensor, d in devices.items() if d.profile or d.calibration}
    if not told:
        return
    names = sorted(told)
    owners = repository.gateways_of(session, names)
    last = {row.sensor: row for row in repository.applied_settings(session, names)}
    for sensor, device in sorted(told.items()):
        if owners.get(sensor) not in (None, gateway):
            continue  # another gateway's sensor: this status does not speak for it
        before = last.get(sensor)
        if before is not None and (ts <= before.since or (
                before.gateway == gateway and before.profile == device.profile
                and same_offsets(before.calibration, device.calibration))):
            continue
        session.add(AppliedSettings(sensor=sensor, gateway=gateway, profile=device.profile,
                                    calibration=dict(device.calibration), since=ts,
                                    received_at=received_at))


def applied_history(session: Session, sensor: str) -> list[AppliedSettingsPublic]:
    return [AppliedSettingsPublic.model_validate(r)
            for r in queries.applied_settings(session, [sensor])]


# --- calibration records ------------------------------------------------------------


@unit_of_work(creates=True)
def add_calibration(session: Session, sensor: str, body: CalibrationCreate, actor: Actor,
                    idem: Idempotency | None = None) -> CalibrationPublic:
    """A supervisor enters a calibration certificate of a registered sensor."""
    if repository.sensor(session, sensor) is None:
        raise NotFound("no sensor %(sensor)s", code="sensor_not_found", sensor=sensor)
    row = Calibration(sensor=sensor, **body.model_dump(), entered_by=actor.username,
                      entered_at=utcnow())
    session.add(row)
    session.flush()
    entered = CalibrationPublic.model_validate(row)
    audit.record(session, actor, "create", "calibration", f"{sensor}/{body.certificate}",
                 None, body.model_dump(mode="json"))
    return entered


def calibrations(session: Session, sensor: str) -> list[CalibrationPublic]:
    """A sensor's calibrations, oldest first (NotFound for an unknown sensor)."""
    if repository.sensor(session, sensor) is None:
        raise NotFound("no sensor %(sensor)s", code="sensor_not_found", sensor=sensor)
    return [CalibrationPublic.model_validate(r)
            for r in queries.calibration_records(session, [sensor])]


# --- a sensor's calibration status ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SensorCalibration:
    """One sensor's calibration as of a day, for a report header or an alarm."""

    sensor: str
    last: CalibrationPublic | None  # the newest calibration on or before the day
    applied: AppliedSettingsPublic | None  # what the gateway applied last, up to the day
    changes: tuple[AppliedSettingsPublic, ...]  # changes of what was applied, in the period
    overdue_since: date | None  # the due date, when it fell on or before the day

    @property
    def mismatch(self) -> bool:
        """The offset on record differs from the one the gateway applies."""
        return (self.last is not None and self.applied is not None
                and not same_offsets(self.last.offset, self.applied.calibration))


def sensor_status(session: Session, sensors: Sequence[str], start: datetime, end: datetime
                  ) -> dict[str, SensorCalibration]:
    """Per sensor, its calibration in the period [start, end): the last calibration up
    to the period's last day, the offset applied (and its changes in the period),
    overdue when its due date was reached by then."""
    if not sensors:
        return {}
    if end <= start:  # a moment, not a period: as of then
        end = start + timedelta(microseconds=1)
    last_day = (end - timedelta(microseconds=1)).date()
    records: dict[str, list[Calibration]] = {}
    for row in queries.calibration_records(session, list(sensors)):
        records.setdefault(row.sensor, []).append(row)
    applied: dict[str, list[AppliedSettings]] = {}
    for a in queries.applied_settings(session, list(sensors)):
        applied.setdefault(a.sensor, []).append(a)
    out = {}
    for sensor in sensors:
        done = [c for c in records.get(sensor, []) if c.calibrated_on <= last_day]
        last = CalibrationPublic.model_validate(done[-1]) if done else None
        history = [a for a in applied.get(sensor, []) if a.since < end]
        now_applied = AppliedSettingsPublic.model_validate(history[-1]) if history else None
        changes = tuple(AppliedSettingsPublic.model_validate(a) for a in history
                        if a.since >= start)
        overdue = last.next_due if last is not None and last.next_due <= last_day else None
        out[sensor] = SensorCalibration(sensor, last, now_applied, changes, overdue)
    return out


def all_sensor_status(session: Session, now: datetime) -> Iterable[SensorCalibration]:
    """Every sensor with a calibration record or applied settings, as of `now`."""
    return sensor_status(session, queries.calibrated_sensors(session), now, now).values()


def sensor_zones(session: Session, sensors: Sequence[str]) -> dict[str, str | None]:
    """The zone code of each of these sensors (None: unassigned)."""
    return queries.zones_of_sensors(session, list(sensors))
