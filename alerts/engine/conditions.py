"""The conditions of each alarm kind, as pure steps over frozen per-subject state.

A step takes the state of one (rule, subject), an observation and the time and
returns the new state and its transitions; `alerts.engine.evaluator` only routes
observations to steps and keeps the states in a dict.

- threshold: a good value beyond a level starts the delay; the alarm is raised
  when the value stayed beyond it for the whole delay (a shorter spike raises
  nothing) and clears only once back inside the level by the deadband. Bad
  readings never reach this step.
- rate of change: the change per minute between two good readings, same delay.
- offline: no good reading for N expected intervals (learned per sensor or given
  by the gateway), or N bad readings in a row. No further delay: N is the delay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import median
from typing import NamedTuple

from alerts.engine.lifecycle import NORMAL, AlarmState, Describe, Subject, advance
from alerts.model import (
    QUANTITY_LABELS,
    AlarmKey,
    AlarmKind,
    Event,
    Severity,
    Transition,
    format_duration,
    format_value,
    said,
)
from alerts.rules.book import OfflineSpec, ThresholdSpec
from kernel.i18n_text import Text

CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING
GAPS_KEPT = 9  # the interval is the median of the last gaps between good readings
GAPS_NEEDED = 3


def _ago(now: datetime, since: datetime | None) -> str:
    return format_duration(now - since) if since else Text("a while")


# --- threshold -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThresholdTrack:
    alarm: AlarmState = NORMAL
    value: float | None = None  # the last good value
    side: int = 0  # +1 above, -1 below: where the value last was out of range
    warn_since: datetime | None = None  # beyond a warning (or worse) level, without a break
    crit_since: datetime | None = None
    # When the value went out for this episode: kept through a return inside the deadband
    # while the alarm holds, so the clear counts the whole time out of range.
    out_since: datetime | None = None

    @property
    def quiet(self) -> bool:
        """Nothing to watch on a tick: no alarm, no condition under way."""
        return self.alarm is NORMAL and self.warn_since is None


def classify(spec: ThresholdSpec, value: float) -> tuple[int, Severity | None]:
    if spec.high_critical is not None and value > spec.high_critical:
        return 1, CRITICAL
    if spec.high_warning is not None and value > spec.high_warning:
        return 1, WARNING
    if spec.low_critical is not None and value < spec.low_critical:
        return -1, CRITICAL
    if spec.low_warning is not None and value < spec.low_warning:
        return -1, WARNING
    return 0, None


def limit_of(spec: ThresholdSpec, side: int, severity: Severity) -> float | None:
    if side >= 0:
        return spec.high_critical if severity is CRITICAL and spec.high_critical is not None \
            else spec.high_first
    return spec.low_critical if severity is CRITICAL and spec.low_critical is not None \
        else spec.low_first


def _threshold_text(spec: ThresholdSpec, track: ThresholdTrack, sensor: str, zone: str
                    ) -> Describe:
    quantity = QUANTITY_LABELS.get(spec.quantity, spec.quantity)

    def text(event: Event, alarm: AlarmState, now: datetime) -> str:
        value = format_value(spec.quantity, track.value) if track.value is not None else "?"
        limit = limit_of(spec, track.side, alarm.severity)
        limit_text = format_value(spec.quantity, limit) if limit is not None else "?"
        above = track.side >= 0
        values = {"zone": zone, "quantity": quantity, "value": value, "limit": limit_text,
                 "sensor": sensor}
        if event is Event.PENDING:
            delay = format_duration(_span(spec.delay))
            if above:
                return Text("%(zone)s: %(quantity)s %(value)s above %(limit)s; raises after "
                            "%(delay)s unless it returns (sensor %(sensor)s)", delay=delay,
                            **values)
            return Text("%(zone)s: %(quantity)s %(value)s below %(limit)s; raises after "
                        "%(delay)s unless it returns (sensor %(sensor)s)", delay=delay, **values)
        if event is Event.CANCELLED:
            return Text("%(zone)s: %(quantity)s back to %(value)s inside the delay, nothing "
                        "raised (sensor %(sensor)s)", **values)
        if event in (Event.RAISED, Event.ESCALATED):
            since = track.crit_since if alarm.severity is CRITICAL else track.warn_since
            severity, ago = said(alarm.severity), _ago(now, since)
            if above:
                return Text("%(zone)s: %(quantity)s %(value)s above the %(severity)s limit "
                            "%(limit)s for %(ago)s (sensor %(sensor)s)", severity=severity,
                            ago=ago, **values)
            return Text("%(zone)s: %(quantity)s %(value)s below the %(severity)s limit "
                        "%(limit)s for %(ago)s (sensor %(sensor)s)", severity=severity, ago=ago,
                        **values)
        if event is Event.CLEARED:
            return Text("%(zone)s: %(quantity)s back to %(value)s (limit %(limit)s) after "
                        "%(ago)s out of range (sensor %(sensor)s)",
                        ago=_ago(now, track.out_since or alarm.since), **values)
        return Text("%(zone)s: %(quantity)s alarm %(event)s (sensor %(sensor)s)",
                    event=said(event), **values)

    return text


def _span(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _judge(spec: ThresholdSpec, track: ThresholdTrack, now: datetime
           ) -> tuple[bool, Severity | None]:
    if track.alarm.raised and track.value is None:
        holding = True  # restored after a restart: hold until a value says otherwise
    elif track.alarm.raised and track.value is not None:
        # Hysteresis: a raised alarm holds until the value is back inside by the deadband.
        if track.side > 0 and spec.high_first is not None:
            holding = track.value > spec.high_first - spec.deadband
        elif track.side < 0 and spec.low_first is not None:
            holding = track.value < spec.low_first + spec.deadband
        else:
            holding = track.warn_since is not None
    else:
        holding = track.warn_since is not None
    due = None
    if track.crit_since is not None and (now - track.crit_since).total_seconds() >= spec.delay:
        due = CRITICAL
    elif track.warn_since is not None and (now - track.warn_since).total_seconds() >= spec.delay:
        due = WARNING
    return holding, due


def threshold_value(spec: ThresholdSpec, track: ThresholdTrack, value: float, at: datetime,
                    sensor: str, zone: str | None, zone_label: str
                    ) -> tuple[ThresholdTrack, list[Transition]]:
    """A good value of the spec's quantity at `at`."""
    side, severity = classify(spec, value)
    if severity is None:
        track = replace(track, value=value, warn_since=None, crit_since=None)
    else:
        same = side == track.side
        warn = track.warn_since if same and track.warn_since is not None else at
        crit = None
        if severity is CRITICAL:
            crit = track.crit_since if same and track.crit_since is not None else at
        track = replace(track, value=value, side=side, warn_since=warn, crit_since=crit,
                        out_since=track.out_since or warn)
    track, found = threshold_time(spec, track, at, sensor, zone, zone_label)
    if track.out_since is not None and track.warn_since is None and not track.alarm.raised:
        track = replace(track, out_since=None)  # the episode is over (cleared or cancelled)
    return track, found


def threshold_time(spec: ThresholdSpec, track: ThresholdTrack, now: datetime, sensor: str,
                   zone: str | None, zone_label: str) -> tuple[ThresholdTrack, list[Transition]]:
    """Re-judge at `now` with the last value: catches a value that stays out with no message."""
    holding, due = _judge(spec, track, now)
    severity = track.alarm.severity if track.alarm.is_open else WARNING
    if due is not None and due.rank > severity.rank:
        severity = due
    limit = limit_of(spec, track.side, severity)
    subject = Subject(AlarmKey(spec.rule, sensor), AlarmKind.THRESHOLD, zone=zone,
                      value=track.value, limit=limit)
    alarm, out = advance(track.alarm, subject, holding=holding, due=due, now=now,
                         text=_threshold_text(spec, track, sensor, zone_label),
                         started=track.out_since)
    return (replace(track, alarm=alarm) if alarm is not track.alarm else track), out


# --- rate of change ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateTrack:
    alarm: AlarmState = NORMAL
    value: float | None = None
    at: datetime | None = None
    rate: float = 0.0  # per minute, between the last two good values
    since: datetime | None = None  # too fast, without a break


def rate_value(spec: ThresholdSpec, track: RateTrack, value: float, at: datetime, sensor: str,
               zone: str | None, zone_label: str) -> tuple[RateTrack, list[Transition]]:
    assert spec.rate_per_min is not None
    rate = track.rate
    if track.at is not None and track.value is not None and at > track.at:
        rate = (value - track.value) / ((at - track.at).total_seconds() / 60)
    fast = abs(rate) > spec.rate_per_min
    since = (track.since or at) if fast else None
    track = replace(track, value=value, at=at, rate=rate, since=since)
    due = WARNING if since is not None and (at - since).total_seconds() >= spec.delay else None
    quantity = QUANTITY_LABELS.get(spec.quantity, spec.quantity)

    def text(event: Event, alarm: AlarmState, now: datetime) -> str:
        return Text("%(zone)s: %(quantity)s changes %(rate)s/min, limit %(limit)s/min "
                    "(%(event)s, sensor %(sensor)s)", zone=zone_label, quantity=quantity,
                    rate=f"{rate:+.2f}", limit=f"{spec.rate_per_min:g}", event=said(event),
                    sensor=sensor)

    subject = Subject(AlarmKey(f"{spec.rule}:rate", sensor), AlarmKind.RATE, zone=zone,
                      value=round(rate, 4), limit=spec.rate_per_min)
    alarm, out = advance(track.alarm, subject, holding=fast, due=due, now=at, text=text)
    return (replace(track, alarm=alarm) if alarm is not track.alarm else track), out


# --- sensor offline ------------------------------------------------------------


class SensorTrack(NamedTuple):
    """Immutable like the other states; a tuple because one is made per reading."""

    watched_since: datetime  # silence is counted from here until a first good reading
    alarm: AlarmState = NORMAL
    last_good: datetime | None = None
    gaps: tuple[float, ...] = ()
    given_interval: float | None = None  # from the gateway's status
    bad_run: int = 0


def interval_of(spec: OfflineSpec, track: SensorTrack) -> float:
    """Seconds between readings: the gateway's word, else learned, else the rule's guess."""
    if track.given_interval:
        return track.given_interval
    if len(track.gaps) >= GAPS_NEEDED:
        return median(track.gaps)
    return spec.expected_interval


def may_be_offline(spec: OfflineSpec, track: SensorTrack, now: datetime) -> bool:
    """A cheap test for the timer: False means surely not offline (the shortest gap
    bounds the median from below), so most sensors cost one comparison per tick."""
    if track.bad_run >= spec.bad_readings:
        return True
    if track.given_interval:
        floor = track.given_interval
    elif len(track.gaps) >= GAPS_NEEDED:
        floor = min(track.gaps)
    else:
        floor = spec.expected_interval
    last = track.last_good or track.watched_since
    return (now - last).total_seconds() >= spec.intervals * floor


def sensor_reading(track: SensorTrack, at: datetime, good: bool) -> SensorTrack:
    """Record a reading: good ones teach the interval and end a bad run."""
    if not good:
        return track._replace(bad_run=track.bad_run + 1)
    gaps = track.gaps
    if track.last_good is not None:
        gap = (at - track.last_good).total_seconds()
        if gap <= 0:
            return track._replace(bad_run=0) if track.bad_run else track  # replayed or reordered
        gaps = (*gaps[-(GAPS_KEPT - 1):], gap)
    return SensorTrack(track.watched_since, track.alarm, at, gaps, track.given_interval, 0)


def silence_ended(track: SensorTrack, now: datetime) -> float | None:
    """Seconds without a good reading that a good reading at `now` just ended: the gap
    it closed (or the wait since watching began, for a sensor's first reading); None
    when no good reading came at `now` (a tick, or a bad reading)."""
    if track.last_good != now or track.bad_run:
        return None
    return track.gaps[-1] if track.gaps else (now - track.watched_since).total_seconds()


def offline_judge(spec: OfflineSpec, track: SensorTrack, now: datetime, sensor: str,
                  zone: str | None, zone_label: str, gateway: str | None
                  ) -> tuple[SensorTrack, list[Transition]]:
    interval = interval_of(spec, track)
    last = track.last_good or track.watched_since
    silent = (now - last).total_seconds()
    holding = silent >= spec.intervals * interval or track.bad_run >= spec.bad_readings
    ended = silence_ended(track, now)

    def text(event: Event, alarm: AlarmState, at: datetime) -> str:
        if event is Event.CLEARED:
            # The silence this reading ended, not the time since the alarm was first
            # raised (issue 18, item 10: "after 36 min" for a 9 s silence).
            return Text("%(zone)s: sensor %(sensor)s reads again after %(silence)s",
                        zone=zone_label, sensor=sensor,
                        silence=format_duration(_span(ended if ended is not None else silent)))
        if track.bad_run >= spec.bad_readings:
            return Text("%(zone)s: sensor %(sensor)s sent %(n)s bad readings in a row "
                        "(limit %(limit)s)", zone=zone_label, sensor=sensor, n=track.bad_run,
                        limit=spec.bad_readings)
        return Text("%(zone)s: sensor %(sensor)s silent for %(silence)s, expected every "
                    "%(interval)s s (limit %(n)s intervals)", zone=zone_label, sensor=sensor,
                    silence=format_duration(_span(silent)), interval=f"{interval:g}",
                    n=spec.intervals)

    # The value is the silence in seconds: at the clear, the one that just ended
    # (not the 0 s since the reading that ended it).
    subject = Subject(AlarmKey(spec.rule, sensor), AlarmKind.OFFLINE, zone=zone,
                      gateway=gateway, value=round(ended if ended is not None else silent, 3),
                      limit=round(spec.intervals * interval, 3))
    alarm, out = advance(track.alarm, subject, holding=holding,
                         due=spec.severity if holding else None, now=now, text=text)
    return (track._replace(alarm=alarm) if alarm is not track.alarm else track), out
