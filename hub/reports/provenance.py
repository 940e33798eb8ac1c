"""Where the zone report's readings come from, beside the figures: the readings a
historical import brought in (per import and sensor, ingest/history.py) and the
readings taken while a sensor's calibration was overdue (per sensor, the intervals).
Kept apart from hub/reports/zone.py, which only calls `provenance`.

Overdue, from the calibration records (`/sensors/{id}/calibrations`): from a record's
`next_due` (00:00 UTC of that date: due on the day counts as overdue, as the header's
mark) until the next calibration's `calibrated_on` (00:00 UTC), or open-ended. A
reading is counted once per time (all its quantities together)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from ingest import calibration
from ingest.queries import ImportedShare, imported_shares, reading_times
from kernel.i18n_text import N_, Text


@dataclass(frozen=True, slots=True)
class OverdueReadings:
    """A sensor's readings taken while its calibration was overdue, in one interval
    (clipped to the period): `due` is the missed due date."""

    sensor: str
    due: date
    start: datetime
    end: datetime | None  # None: still overdue at the period's end
    readings: int


@dataclass(frozen=True, slots=True)
class Provenance:
    imported: list[ImportedShare]
    overdue: list[OverdueReadings]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def overdue_intervals(records: list[tuple[date, date]]) -> list[tuple[date, date | None]]:
    """(due, recalibrated) of each stretch without a valid calibration, from the
    (calibrated_on, next_due) of every record: pure."""
    ordered = sorted(records)
    out: list[tuple[date, date | None]] = []
    for index, (_on, due) in enumerate(ordered):
        following = [on for on, _ in ordered[index + 1:] if on > _on]
        recalibrated = following[0] if following else None
        if recalibrated is None or due < recalibrated:
            out.append((due, recalibrated))
    return out


def provenance(session: Session, sensors: list[str], start: datetime, end: datetime
               ) -> Provenance:
    overdue = []
    for sensor in sensors:
        records = [(c.calibrated_on, c.next_due)
                   for c in calibration.calibrations(session, sensor)]
        for due, recalibrated in overdue_intervals(records):
            since = max(_midnight(due), start)
            until = min(_midnight(recalibrated), end) if recalibrated else end
            if since >= until:
                continue
            overdue.append(OverdueReadings(
                sensor, due, since, until if recalibrated and until < end else None,
                reading_times(session, sensor, since, until)))
    return Provenance(imported_shares(session, sensors, start, end), overdue)


def _when(at: datetime | None) -> str:
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M}"


IMPORTED_HEAD = [N_("import"), N_("file"), N_("sha256"), N_("imported by"), N_("imported at"),
                 N_("sensor"), N_("readings"), N_("first"), N_("last")]
OVERDUE_HEAD = [N_("sensor"), N_("due"), N_("from"), N_("to"), N_("readings")]


def imported_rows(found: Provenance) -> list[list[str]]:
    return [[str(s.import_id), s.file_name, s.sha256, s.imported_by,
             _when(s.imported_at), s.sensor, str(s.readings), _when(s.first), _when(s.last)]
            for s in found.imported]


def overdue_rows(found: Provenance) -> list[list[str]]:
    return [[o.sensor, f"{o.due:%Y-%m-%d}", _when(o.start),
             _when(o.end) if o.end else "still overdue", str(o.readings)]
            for o in found.overdue]


def notes(found: Provenance) -> list[str]:
    """The report's notes on where its readings came from."""
    out = []
    if found.imported:
        total = sum(s.readings for s in found.imported)
        imports = sorted({f"#{s.import_id} {s.file_name}" for s in found.imported})
        out.append(Text("%(n)s value(s) in the period were brought in by historical import "
                        "(%(imports)s), not received live; see the section "
                        "'imported readings'.", n=total, imports=", ".join(imports)))
    for sensor in sorted({o.sensor for o in found.overdue}):
        count = sum(o.readings for o in found.overdue if o.sensor == sensor)
        out.append(Text("%(n)s reading(s) of sensor %(sensor)s were taken while its "
                        "calibration was overdue; see the section 'readings while "
                        "calibration overdue'.", n=count, sensor=sensor))
    return out
