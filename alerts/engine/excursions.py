"""Excursions: the periods a sensor's quantity spent out of range, as compliance records.

An excursion starts with the first good value beyond any level of the rule
(no delay: the record is what happened, the delay only governs the alarm) and
ends when the value is back inside by the deadband, so a value wobbling at the
limit makes one excursion, not many. Between readings the last value is taken
to hold; ticks carry it forward, so an excursion with no new message still grows.

A critical excursion whose time beyond the critical level passes the zone's
tolerance yields one `HoldDecision` ("hold the lots in zone X"), once per
excursion. Several sensors of one zone may each decide it: holding lots already
on hold is the inventory service's no-op.

While an excursion is under way every reading and every tick also yields a
"progress" event with its figures so far (peak, time beyond each level, the last
value), so the stored record, the API and the pages follow it live instead of
showing the figures of its first reading until it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from alerts.engine.conditions import classify
from alerts.model import QUANTITY_LABELS, Severity, format_duration, format_value
from alerts.rules.book import ThresholdSpec

# Time beyond the critical level is a sum of float seconds between readings and ticks:
# 30 one-minute steps may add up to 1799.9999999. Within this, the tolerance is reached.
ROUNDING_S = 1e-6


@dataclass(frozen=True, slots=True)
class Excursion:
    sensor: str
    quantity: str
    zone: str | None
    start: datetime
    peak: float  # the value furthest out of range
    side: int  # +1 above the range, -1 below
    end: datetime | None = None
    above_s: float = 0.0
    below_s: float = 0.0
    critical_s: float = 0.0
    severity: Severity = Severity.WARNING  # the worst level reached
    held: bool = False  # a hold was decided for this excursion

    @property
    def duration(self) -> timedelta | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True, slots=True)
class ExcursionEvent:
    event: Literal["started", "progress", "ended"]
    excursion: Excursion
    value: float | None = None  # the last value read (progress), for the live figures
    at: datetime | None = None  # when the figures were counted up to


@dataclass(frozen=True, slots=True)
class HoldDecision:
    zone: str
    sensor: str
    quantity: str
    excursion_start: datetime
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ExcursionTrack:
    current: Excursion | None = None
    value: float | None = None
    at: datetime | None = None

    @property
    def quiet(self) -> bool:
        return self.current is None


QUIET = ExcursionTrack()


def _further(side: int, peak: float, value: float) -> float:
    return max(peak, value) if side > 0 else min(peak, value)


def _later(accrued: datetime | None, now: datetime) -> datetime:
    """Time is counted up to here. Never back: a tick late for the lock, or a reading
    stamped before the last tick, would otherwise count the same seconds twice."""
    return now if accrued is None or now > accrued else accrued


def _accrue(spec: ThresholdSpec, track: ExcursionTrack, now: datetime) -> Excursion | None:
    """Time since the last value, counted where that value was."""
    current = track.current
    if current is None or track.value is None or track.at is None or now <= track.at:
        return current
    seconds = (now - track.at).total_seconds()
    side, severity = classify(spec, track.value)
    if severity is None:
        return current
    return replace(
        current,
        above_s=current.above_s + (seconds if side > 0 else 0.0),
        below_s=current.below_s + (seconds if side < 0 else 0.0),
        critical_s=current.critical_s + (seconds if severity is Severity.CRITICAL else 0.0))


def _hold(excursion: Excursion, tolerance_s: float, now: datetime, zone_label: str
          ) -> tuple[Excursion, list[HoldDecision]]:
    if (excursion.held or excursion.zone is None or excursion.severity is not Severity.CRITICAL
            or excursion.critical_s < tolerance_s - ROUNDING_S):
        return excursion, []
    quantity = QUANTITY_LABELS.get(excursion.quantity, excursion.quantity)
    beyond = format_duration(timedelta(seconds=excursion.critical_s))
    tolerance = format_duration(timedelta(seconds=tolerance_s))
    peak = format_value(excursion.quantity, excursion.peak)
    # The first clause is what the handheld shows when held stock is scanned
    # ("on hold (excursion in Cold room since 02:10 UTC on 2026-12-07)"): keep it short.
    reason = (f"excursion in {zone_label} since {excursion.start:%H:%M} UTC on "
              f"{excursion.start:%Y-%m-%d}: critical {quantity} on sensor {excursion.sensor}, "
              f"{beyond} beyond the critical limit (tolerance {tolerance}), peak {peak}")
    held = replace(excursion, held=True)
    return held, [HoldDecision(excursion.zone, excursion.sensor, excursion.quantity,
                               excursion.start, now, reason)]


def excursion_step(spec: ThresholdSpec, track: ExcursionTrack, value: float | None,
                   now: datetime, *, sensor: str, zone: str | None, zone_label: str,
                   tolerance_s: float
                   ) -> tuple[ExcursionTrack, list[ExcursionEvent], list[HoldDecision]]:
    """A good value (or None for a tick) at `now`."""
    current = _accrue(spec, track, now)
    events: list[ExcursionEvent] = []
    holds: list[HoldDecision] = []
    if value is None:  # a tick: the last value carries on
        if current is None:
            return track, events, holds
        current, holds = _hold(current, tolerance_s, now, zone_label)
        events.append(ExcursionEvent("progress", current, track.value, now))
        return ExcursionTrack(current, track.value, _later(track.at, now)), events, holds
    side, severity = classify(spec, value)
    if current is not None:
        if current.side > 0 and spec.high_first is not None:
            back = value <= spec.high_first - spec.deadband
        elif current.side < 0 and spec.low_first is not None:
            back = value >= spec.low_first + spec.deadband
        else:
            back = severity is None
        if back:
            current, holds = _hold(current, tolerance_s, now, zone_label)
            events.append(ExcursionEvent("ended", replace(current, end=now), value, now))
            current = None
        elif severity is not None and side == current.side:
            worst = Severity.CRITICAL if Severity.CRITICAL in (severity, current.severity) \
                else Severity.WARNING
            current = replace(current, peak=_further(side, current.peak, value), severity=worst)
    if current is None and severity is not None:
        current = Excursion(sensor, spec.quantity, zone, now, value, side, severity=severity)
        events.append(ExcursionEvent("started", current))
    if current is not None:
        current, more = _hold(current, tolerance_s, now, zone_label)
        holds += more
        events.append(ExcursionEvent("progress", current, value, now))
    return ExcursionTrack(current, value, _later(track.at if current is not None else None, now)
                          ), events, holds
