"""Calibration alarms from plain inputs (issue 17): due in 30 days, due on the day
(and overdue), and a gateway applying another offset than the one on record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alerts.engine.calibration_findings import SensorCalibration, calibration_findings
from alerts.engine.findings import FindingAlarms
from alerts.model import AlarmKind, Event, Severity
from alerts.rules.document import CalibrationRules

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 8, tzinfo=UTC)


def sensor(due_in: int | None, recorded: float = -0.3, applied: float = -0.3
           ) -> SensorCalibration:
    due = TODAY + timedelta(days=due_in) if due_in is not None else None
    return SensorCalibration("cold-1", "COLD", "C-17", due, {"temperature_c": recorded},
                             {"temperature_c": applied}, abs(recorded - applied) > 1e-6)


def test_a_calibration_coming_due_raises_30_days_ahead_and_again_on_the_day() -> None:
    rules = CalibrationRules()
    assert calibration_findings(rules, [sensor(31)], TODAY) == []
    [soon] = calibration_findings(rules, [sensor(30)], TODAY)
    assert (soon.kind, soon.severity, str(soon.key)) == (
        AlarmKind.CALIBRATION_DUE, Severity.WARNING, "calibration_due:30/cold-1")
    assert "due in 30 days (2027-01-06)" in soon.message and soon.zone == "COLD"
    [today] = calibration_findings(rules, [sensor(0)], TODAY)
    assert (today.severity, str(today.key)) == (Severity.CRITICAL, "calibration_due:0/cold-1")
    assert "due today" in today.message
    [late] = calibration_findings(rules, [sensor(-3)], TODAY)
    assert "due 3 days ago" in late.message and late.key == today.key
    assert calibration_findings(CalibrationRules(enabled=False), [sensor(0)], TODAY) == []


def test_another_offset_applied_than_on_record_is_a_warning_alarm_until_it_matches() -> None:
    rules = CalibrationRules()
    [mismatch] = calibration_findings(rules, [sensor(None, -0.3, -0.5)], TODAY)
    assert (mismatch.kind, mismatch.severity) == (AlarmKind.CALIBRATION_MISMATCH,
                                                  Severity.WARNING)
    assert "applies the offset temperature_c -0.50" in mismatch.message
    assert "says temperature_c -0.30" in mismatch.message
    alarms = FindingAlarms()
    [raised] = alarms.settle([mismatch], NOW)
    assert (raised.event, raised.kind) == (Event.RAISED, AlarmKind.CALIBRATION_MISMATCH)
    assert alarms.settle([mismatch], NOW + timedelta(hours=1)) == []  # raised once
    [cleared] = alarms.settle(calibration_findings(rules, [sensor(None)], TODAY),
                              NOW + timedelta(hours=2))
    assert cleared.event is Event.CLEARED
