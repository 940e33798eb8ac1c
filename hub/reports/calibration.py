"""The zone report's calibration lines (issue 17): each sensor with its calibration
status in the period, from ingest/calibration.py: the last calibration (date,
certificate, laboratory, the offset on record, next due date, overdue marked) and
the offset its gateway applied, with each change in the period and its time. Kept
apart from hub/reports/zone.py, which only calls `with_calibration`."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ingest import calibration
from kernel.i18n import ENGLISH
from kernel.i18n_text import Translate, translator

if TYPE_CHECKING:
    from hub.reports.zone import SensorInfo


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def with_calibration(session: Session, infos: list[SensorInfo], start: datetime,
                     end: datetime) -> list[SensorInfo]:
    """The sensors, each with its calibration status in [start, end)."""
    status = calibration.sensor_status(session, [i.id for i in infos], start, end)
    out = []
    for info in infos:
        found = status[info.id]
        last, applied = found.last, found.applied
        update: dict[str, object] = {
            "changes": tuple(f"{_when(c.since)}: {calibration.format_offsets(c.calibration)}"
                             for c in found.changes),
            "overdue": found.overdue_since is not None,
            "mismatch": found.mismatch,
        }
        if applied is not None:  # the history says what applied by the period's end
            update["calibration"] = calibration.format_offsets(applied.calibration)
            update["profile"] = applied.profile or info.profile
        if last is not None:
            update |= {"last_calibrated": last.calibrated_on, "certificate": last.certificate,
                       "laboratory": last.laboratory, "next_due": last.next_due,
                       "recorded_offset": calibration.format_offsets(last.offset)}
        out.append(dataclasses.replace(info, **update))
    return out


def status_text(info: SensorInfo, tr: Translate | None = None) -> str:
    """One line for the report header: the calibration on record and its state, in
    the reader's language (`tr`, English without)."""
    tr = tr or translator(ENGLISH)
    if info.last_calibrated is None:
        return tr("no calibration on record")
    text = tr("calibrated %(on)s, certificate %(certificate)s (%(laboratory)s), offset "
              "%(offset)s, due %(due)s", on=f"{info.last_calibrated:%Y-%m-%d}",
              certificate=info.certificate, laboratory=info.laboratory,
              offset=info.recorded_offset, due=f"{info.next_due:%Y-%m-%d}")
    if info.overdue:
        text += " - " + tr("OVERDUE")
    if info.mismatch:
        text += " - " + tr("the gateway applies %(applied)s, not the recorded offset",
                           applied=info.calibration)
    return text
