"""Calibration findings from plain inputs, as pure functions (issue 17).

The hub gives, per sensor with a calibration record or an applied offset, the
offset on record, the offset its gateway applies and the next due date; these say
which are worth an alarm:

- a calibration due within `due_days` (default 30) is one alarm (`calibration_due:30`),
  due today or overdue another (`calibration_due:0`), with the rules' severities;
- a gateway applying another offset than the one on record is a mismatch.

They run through `FindingAlarms` like the stock findings, but go to the routes as
they happen, like sensor alarms (not in the digest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from alerts.engine.stock_findings import Finding
from alerts.model import AlarmKind
from alerts.rules.document import CalibrationRules
from kernel.i18n_text import Text


@dataclass(frozen=True, slots=True)
class SensorCalibration:
    sensor: str
    zone: str | None = None
    certificate: str | None = None
    next_due: date | None = None
    recorded: Mapping[str, float] | None = None  # the offset on record; None: no record
    applied: Mapping[str, float] | None = None  # as the gateway says; None: not reported
    mismatch: bool = False


def _offsets(offsets: Mapping[str, float] | None) -> str:
    return ", ".join(f"{q} {v:+.2f}" for q, v in sorted((offsets or {}).items())) or Text("none")


def _days(count: int) -> Text:
    return Text("%(n)s day", n=count) if count == 1 else Text("%(n)s days", n=count)


def calibration_findings(rules: CalibrationRules, sensors: Iterable[SensorCalibration],
                         today: date) -> list[Finding]:
    if not rules.enabled:
        return []
    findings = []
    for s in sensors:
        if s.next_due is not None:
            days = (s.next_due - today).days
            what = {"sensor": s.sensor, "certificate": s.certificate or "-",
                    "due": f"{s.next_due:%Y-%m-%d}"}
            if days <= 0:
                findings.append(Finding(
                    AlarmKind.CALIBRATION_DUE, s.sensor, rules.overdue_severity,
                    Text("sensor %(sensor)s (certificate %(certificate)s): calibration due "
                         "today (%(due)s); readings from now on are taken with an overdue "
                         "calibration", **what) if days == 0 else
                    Text("sensor %(sensor)s (certificate %(certificate)s): calibration due "
                         "%(days)s ago (%(due)s); readings from now on are taken with an "
                         "overdue calibration", days=_days(-days), **what), s.zone, 0))
            elif days <= rules.due_days:
                findings.append(Finding(
                    AlarmKind.CALIBRATION_DUE, s.sensor, rules.due_severity,
                    Text("sensor %(sensor)s (certificate %(certificate)s): calibration due in "
                         "%(days)s (%(due)s)", days=_days(days), **what), s.zone,
                    rules.due_days))
        if s.mismatch:
            findings.append(Finding(
                AlarmKind.CALIBRATION_MISMATCH, s.sensor, rules.mismatch_severity,
                Text("sensor %(sensor)s: its gateway applies the offset %(applied)s, the "
                     "calibration on record (%(certificate)s) says %(recorded)s",
                     sensor=s.sensor, applied=_offsets(s.applied),
                     certificate=s.certificate or "-", recorded=_offsets(s.recorded)),
                s.zone))
    return findings
