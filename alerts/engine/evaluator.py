"""The evaluator: observations in, transitions, excursions and hold decisions out.

The steps in `alerts.engine.conditions` and `alerts.engine.excursions` are pure functions over
frozen per-(rule, subject) state. `Evaluator` routes each observation to them
and keeps the states in dicts, because copying one immutable map of 10,000
sensors per reading would cost more than the rules themselves. It does no IO
and reads no clock: the caller says what time it is (`Tick`) and persists what
it needs (`open_alarms`, `restore`).

Feed it readings after each committed ingest batch, gateway statuses, the
operator's acknowledgements and shelvings, and a `Tick` from a timer, so a
silent sensor or a value that stays out with no new message is caught.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from alerts.engine import conditions as c
from alerts.engine.excursions import (
    QUIET,
    ExcursionEvent,
    ExcursionTrack,
    HoldDecision,
    excursion_step,
)
from alerts.engine.lifecycle import (
    NORMAL,
    AlarmState,
    Subject,
    acknowledge,
    advance,
    shelve,
    unshelve,
)
from alerts.model import Acknowledge as AckObs
from alerts.model import (
    AlarmKey,
    AlarmKind,
    Event,
    Observation,
    Reading,
    SensorRef,
    Severity,
    Tick,
    Transition,
    format_duration,
    said,
)
from alerts.model import GatewayStatus as StatusObs
from alerts.model import Shelve as ShelveObs
from alerts.model import Unshelve as UnshelveObs
from alerts.rules.book import OfflineSpec, RuleBook, ThresholdSpec
from kernel.i18n_text import Text

GATEWAY_OFFLINE = "gateway-offline"
GATEWAY_BACKLOG = "gateway-backlog"
_QUIET_THRESHOLD = c.ThresholdTrack()


@dataclass(frozen=True, slots=True)
class Outcome:
    transitions: list[Transition] = field(default_factory=list)
    excursions: list[ExcursionEvent] = field(default_factory=list)
    holds: list[HoldDecision] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.transitions or self.excursions or self.holds)


@dataclass(frozen=True, slots=True)
class GatewayTrack:
    watched_since: datetime
    offline: AlarmState = NORMAL
    backlog: AlarmState = NORMAL
    last_status: datetime | None = None
    online: bool = True
    depth: int = 0


@dataclass(frozen=True, slots=True)
class ZoneCondition:
    """A zone is out of range while any of its sensors is: the worst one decides."""

    zone: str
    severity: Severity
    sensors: tuple[str, ...]


def zones_out_of_range(alarms: Iterable[tuple[str | None, str, AlarmState]]
                       ) -> dict[str, ZoneCondition]:
    """From (zone, sensor, threshold alarm state) triples: the zones out of range now."""
    worst: dict[str, Severity] = {}
    sensors: dict[str, set[str]] = {}
    for zone, sensor, state in alarms:
        if zone is None or not state.raised:
            continue
        if zone not in worst or state.severity.rank > worst[zone].rank:
            worst[zone] = state.severity
        sensors.setdefault(zone, set()).add(sensor)
    return {z: ZoneCondition(z, worst[z], tuple(sorted(sensors[z]))) for z in worst}


class _Profile(NamedTuple):
    """What the rule book says about one sensor, looked up once."""

    sensor: SensorRef
    zone_label: str
    offline: OfflineSpec
    # Per threshold: the spec, its state key, and the in-range band (lowest and highest
    # level, +/- infinity when absent) for the reading path's one comparison.
    thresholds: tuple[tuple[ThresholdSpec, tuple[str, str], float, float], ...]


class Evaluator:
    def __init__(self, book: RuleBook, *, started: datetime, gateways: Iterable[str] = ()
                 ) -> None:
        self.book = book
        self.started = started
        self.thresholds: dict[tuple[str, str], c.ThresholdTrack] = {}
        self.rates: dict[tuple[str, str], c.RateTrack] = {}
        self.excursions: dict[tuple[str, str], ExcursionTrack] = {}
        # Known sensors are watched from the start: one never heard from is offline too.
        self.sensors: dict[str, c.SensorTrack] = {
            sensor: c.SensorTrack(started) for sensor in book.sensors}
        self.gateways: dict[str, GatewayTrack] = {g: GatewayTrack(started) for g in gateways}
        self._hot: set[tuple[str, str]] = set()  # threshold tracks a tick must look at
        self._profiles: dict[str, _Profile] = {}

    def use_rules(self, book: RuleBook, now: datetime) -> None:
        """A new rule book (a zone, sensor or rule was added): states are kept, and an
        alarm whose rule went away is left to its next tick, which forgets it."""
        self.book = book
        self._profiles.clear()
        for sensor in book.sensors:
            self.sensors.setdefault(sensor, c.SensorTrack(now))

    # --- routing ------------------------------------------------------------------

    def feed(self, observation: Observation) -> Outcome:
        out = Outcome()
        if isinstance(observation, Reading):
            self._reading(observation, out)
        elif isinstance(observation, Tick):
            self._tick(observation.now, out)
        elif isinstance(observation, StatusObs):
            self._status(observation, out)
        elif isinstance(observation, AckObs | ShelveObs | UnshelveObs):
            self._operator(observation, out)
        return out

    def feed_all(self, observations: Iterable[Observation]) -> Outcome:
        out = Outcome()
        for observation in observations:
            one = self.feed(observation)
            out.transitions.extend(one.transitions)
            out.excursions.extend(one.excursions)
            out.holds.extend(one.holds)
        return out

    # --- readings -------------------------------------------------------------------

    def feed_readings(self, readings: Iterable[Reading]) -> Outcome:
        """A committed ingest batch: the hook's entry point, one outcome for all.

        The common reading is taken here, inlined: good, later than its sensor's last
        good one, of a sensor in no offline alarm and no bad run (a rule counts at
        least one bad reading, so there is nothing to judge), each value inside its
        rules' bands with nothing under way. It only teaches the sensor's interval, as
        `conditions.sensor_reading` does. Any other reading goes the whole way
        (`_reading`); so does the rest of a reading that finds a value out of band or
        a rule with state."""
        out = Outcome()
        profiles, tracks = self._profiles, self.sensors
        thresholds, excursions = self.thresholds, self.excursions
        kept = c.GAPS_KEPT - 1
        # A named tuple's own constructor is Python code; tuple.__new__ makes the same
        # SensorTrack in C.
        make, track_type = tuple.__new__, c.SensorTrack
        for reading in readings:
            sensor_id = reading.sensor
            profile = profiles.get(sensor_id) or self._profile(sensor_id)
            track = tracks.get(sensor_id)
            if (track is None or track.alarm is not NORMAL or track.bad_run
                    or track.last_good is None or not reading.good):
                self._reading(reading, out, profile)
                continue
            at = reading.ts
            gap = (at - track.last_good).total_seconds()
            if gap <= 0:  # replayed or reordered: the interval learns nothing
                self._reading(reading, out, profile)
                continue
            tracks[sensor_id] = make(track_type, (
                track.watched_since, NORMAL, at, (*track.gaps[-kept:], gap),
                track.given_interval, 0))
            quantities = reading.quantities
            for spec, key, low, high in profile.thresholds:
                value = quantities.get(spec.quantity)
                if value is not None and (
                        spec.rate_per_min is not None or not low <= value <= high
                        or key in thresholds or key in excursions):
                    self._thresholds(reading, profile, out)
                    break
        return out

    def _profile(self, sensor_id: str) -> _Profile:
        profile = self._profiles.get(sensor_id)
        if profile is None:
            book = self.book
            sensor = book.sensor(sensor_id)
            specs = tuple(
                (spec, (spec.rule, sensor_id),
                 spec.low_first if spec.low_first is not None else -math.inf,
                 spec.high_first if spec.high_first is not None else math.inf)
                for spec in book.thresholds(sensor_id))
            profile = _Profile(sensor, book.zone_label(sensor.zone), book.offline(sensor_id),
                               specs)
            self._profiles[sensor_id] = profile
        return profile

    def _reading(self, reading: Reading, out: Outcome, profile: _Profile | None = None
                 ) -> None:
        sensor_id, at = reading.sensor, reading.ts
        if profile is None:
            profile = self._profiles.get(sensor_id) or self._profile(sensor_id)
        sensor, label, offline, _ = profile
        track = self.sensors.get(sensor_id) or c.SensorTrack(self.started)
        track = c.sensor_reading(track, at, reading.good)
        if track.alarm is not NORMAL or track.bad_run >= offline.bad_readings:
            track, found = c.offline_judge(offline, track, at, sensor_id, sensor.zone, label,
                                           sensor.gateway)
            out.transitions.extend(found)
        self.sensors[sensor_id] = track
        if not reading.good:
            return  # bad quality never raises or clears a threshold alarm
        self._thresholds(reading, profile, out)

    def _thresholds(self, reading: Reading, profile: _Profile, out: Outcome) -> None:
        """A good reading's values against its sensor's threshold rules."""
        sensor_id, at = reading.sensor, reading.ts
        sensor, label, _, specs = profile
        quantities = reading.quantities
        thresholds, excursions = self.thresholds, self.excursions
        for spec, key, low, high in specs:
            value = quantities.get(spec.quantity)
            if value is None:
                continue
            if spec.rate_per_min is not None:
                rate, found = c.rate_value(spec, self.rates.get(key, c.RateTrack()), value, at,
                                           sensor_id, sensor.zone, label)
                self.rates[key] = rate
                out.transitions.extend(found)
            previous = thresholds.get(key, _QUIET_THRESHOLD)
            if previous is _QUIET_THRESHOLD and low <= value <= high and key not in excursions:
                continue  # the common case: in range, nothing under way
            book = self.book
            new, found = c.threshold_value(spec, previous, value, at, sensor_id, sensor.zone,
                                           label)
            self._keep(key, new)
            out.transitions.extend(found)
            excursion, events, holds = excursion_step(
                spec, self.excursions.get(key, QUIET), value, at, sensor=sensor_id,
                zone=sensor.zone, zone_label=label, tolerance_s=book.tolerance(sensor.zone))
            if excursion.quiet:
                self.excursions.pop(key, None)
            else:
                self.excursions[key] = excursion
            out.excursions.extend(events)
            out.holds.extend(holds)

    def _keep(self, key: tuple[str, str], track: c.ThresholdTrack) -> None:
        if track.quiet:
            self.thresholds.pop(key, None)
            self._hot.discard(key)
        else:
            self.thresholds[key] = track
            self._hot.add(key)

    def _spec(self, rule: str, sensor_id: str) -> ThresholdSpec | None:
        return next((s for s in self.book.thresholds(sensor_id) if s.rule == rule), None)

    # --- the timer ------------------------------------------------------------------

    def _tick(self, now: datetime, out: Outcome) -> None:
        book = self.book
        profiles = self._profiles
        for sensor_id, sensor_track in self.sensors.items():
            sensor, label, offline, _ = profiles.get(sensor_id) or self._profile(sensor_id)
            # Inlined `may_be_offline` for the common case: the timer walks every sensor.
            if sensor_track.alarm is NORMAL and sensor_track.bad_run < offline.bad_readings:
                gaps = sensor_track.gaps
                floor = sensor_track.given_interval or (
                    min(gaps) if len(gaps) >= c.GAPS_NEEDED else offline.expected_interval)
                silent = (now - (sensor_track.last_good or sensor_track.watched_since)
                          ).total_seconds()
                if silent < offline.intervals * floor:
                    continue
            judged, found = c.offline_judge(offline, sensor_track, now, sensor_id, sensor.zone,
                                            label, sensor.gateway)
            if judged is not sensor_track:
                self.sensors[sensor_id] = judged
            out.transitions.extend(found)
        for key in sorted(self._hot):
            spec = self._spec(*key)
            if spec is None:  # the rule went away with a rule-book change
                self._keep(key, _QUIET_THRESHOLD)
                continue
            sensor = book.sensor(key[1])
            new, found = c.threshold_time(spec, self.thresholds[key], now, key[1], sensor.zone,
                                          book.zone_label(sensor.zone))
            self._keep(key, new)
            out.transitions.extend(found)
        for key, excursion in list(self.excursions.items()):
            spec = self._spec(*key)
            if spec is None:
                continue
            sensor = book.sensor(key[1])
            new_excursion, events, holds = excursion_step(
                spec, excursion, None, now, sensor=key[1], zone=sensor.zone,
                zone_label=book.zone_label(sensor.zone), tolerance_s=book.tolerance(sensor.zone))
            self.excursions[key] = new_excursion
            out.excursions.extend(events)
            out.holds.extend(holds)
        for gateway, gateway_track in self.gateways.items():
            self._judge_gateway(gateway, gateway_track, now, out)

    # --- gateways -------------------------------------------------------------------

    def _status(self, status: StatusObs, out: Outcome) -> None:
        track = self.gateways.get(status.gateway) or GatewayTrack(self.started)
        track = replace(track, last_status=status.ts, online=status.online,
                        depth=status.outbox_depth)
        for sensor_id, interval in status.intervals.items():
            owner = self.book.sensor(sensor_id).gateway
            if owner is not None and owner != status.gateway:
                continue  # a status speaks for its own gateway's sensors only
            sensor = self.sensors.get(sensor_id) or c.SensorTrack(status.ts)
            if sensor.given_interval != interval:
                self.sensors[sensor_id] = sensor._replace(given_interval=interval)
        self._judge_gateway(status.gateway, track, status.ts, out)

    def _judge_gateway(self, gateway: str, track: GatewayTrack, now: datetime,
                       out: Outcome) -> None:
        rules = self.book.rules.gateways
        limit = rules.offline_intervals * rules.status_interval.total_seconds()
        silent = (now - (track.last_status or track.watched_since)).total_seconds()
        down = not track.online or silent >= limit

        def offline_text(event: Event, alarm: AlarmState, at: datetime) -> str:
            if event is Event.CLEARED:
                return Text("gateway %(gateway)s is back after %(ago)s", gateway=gateway,
                            ago=c._ago(at, alarm.since))
            if not track.online:
                return Text("gateway %(gateway)s reported offline (last will): its sensors "
                            "cannot report", gateway=gateway)
            return Text("gateway %(gateway)s no status for %(silence)s: its sensors cannot "
                        "report", gateway=gateway, silence=format_duration(c._span(silent)))

        subject = Subject(AlarmKey(GATEWAY_OFFLINE, gateway), AlarmKind.GATEWAY_OFFLINE,
                          gateway=gateway, value=round(silent, 3), limit=limit)
        offline, found = advance(track.offline, subject, holding=down,
                                 due=rules.severity if down else None, now=now, text=offline_text)
        out.transitions.extend(found)
        backlog = track.backlog
        if rules.backlog_limit is not None:
            high = track.depth > rules.backlog_limit

            def backlog_text(event: Event, alarm: AlarmState, at: datetime) -> str:
                return Text("gateway %(gateway)s: outbox holds %(n)s messages (limit "
                            "%(limit)s) - %(event)s", gateway=gateway, n=track.depth,
                            limit=rules.backlog_limit, event=said(event))

            subject = Subject(AlarmKey(GATEWAY_BACKLOG, gateway), AlarmKind.BACKLOG,
                              gateway=gateway, value=track.depth, limit=rules.backlog_limit)
            backlog, found = advance(track.backlog, subject, holding=high,
                                     due=rules.backlog_severity if high else None, now=now,
                                     text=backlog_text)
            out.transitions.extend(found)
        self.gateways[gateway] = replace(track, offline=offline, backlog=backlog)

    # --- the operator ---------------------------------------------------------------

    def _locate(self, key: AlarmKey) -> tuple[str, AlarmState, AlarmKind] | None:
        pair = (key.rule, key.subject)
        if pair in self.thresholds:
            return "threshold", self.thresholds[pair].alarm, AlarmKind.THRESHOLD
        if pair in self.rates:
            return "rate", self.rates[pair].alarm, AlarmKind.RATE
        if key.rule in (GATEWAY_OFFLINE, GATEWAY_BACKLOG) and key.subject in self.gateways:
            track = self.gateways[key.subject]
            if key.rule == GATEWAY_OFFLINE:
                return "gateway", track.offline, AlarmKind.GATEWAY_OFFLINE
            return "gateway", track.backlog, AlarmKind.BACKLOG
        sensor = self.sensors.get(key.subject)
        if sensor is not None and self.book.offline(key.subject).rule == key.rule:
            return "offline", sensor.alarm, AlarmKind.OFFLINE
        return None

    def _store(self, where: str, key: AlarmKey, alarm: AlarmState) -> None:
        pair = (key.rule, key.subject)
        if where == "threshold":
            self._keep(pair, replace(self.thresholds.get(pair, _QUIET_THRESHOLD), alarm=alarm))
        elif where == "rate":
            self.rates[pair] = replace(self.rates.get(pair, c.RateTrack()), alarm=alarm)
        elif where == "offline":
            self.sensors[key.subject] = self.sensors[key.subject]._replace(alarm=alarm)
        else:
            track = self.gateways[key.subject]
            self.gateways[key.subject] = (replace(track, offline=alarm)
                                          if key.rule == GATEWAY_OFFLINE
                                          else replace(track, backlog=alarm))

    def _operator(self, obs: AckObs | ShelveObs | UnshelveObs, out: Outcome) -> None:
        found = self._locate(obs.key)
        if found is None:
            return
        where, alarm, kind = found
        sensor = self.book.sensor(obs.key.subject)
        subject = Subject(obs.key, kind, zone=sensor.zone, gateway=sensor.gateway)
        label = self.book.zone_label(sensor.zone) if sensor.zone else obs.key.subject

        def text(event: Event, state: AlarmState, at: datetime) -> str:
            return Text("%(label)s: %(kind)s alarm %(rule)s %(event)s by %(by)s", label=label,
                        kind=said(kind.replace("_", " ")), rule=obs.key.rule,
                        event=said(event), by=obs.by)

        now = obs.at
        if isinstance(obs, AckObs):
            alarm, found_t = acknowledge(alarm, subject, by=obs.by, comment=obs.comment,
                                         now=now, text=text)
        elif isinstance(obs, ShelveObs):
            alarm, found_t = shelve(alarm, subject, until=obs.until, by=obs.by,
                                    reason=obs.reason, now=now, text=text)
        else:
            alarm, found_t = unshelve(alarm, subject, by=obs.by, now=now, text=text)
        self._store(where, obs.key, alarm)
        out.transitions.extend(found_t)

    # --- what the lifecycle store needs -----------------------------------------------

    def open_alarms(self) -> Iterator[tuple[AlarmKey, AlarmState]]:
        """Every alarm that is pending or open, to persist or to show."""
        for (rule, subject), track in self.thresholds.items():
            if track.alarm.phase is not NORMAL.phase:
                yield AlarmKey(rule, subject), track.alarm
        for (rule, subject), rate in self.rates.items():
            if rate.alarm.phase is not NORMAL.phase:
                yield AlarmKey(rule, subject), rate.alarm
        for sensor_id, sensor in self.sensors.items():
            if sensor.alarm.phase is not NORMAL.phase:
                yield AlarmKey(self.book.offline(sensor_id).rule, sensor_id), sensor.alarm
        for gateway, gateway_track in self.gateways.items():
            for rule, alarm in ((GATEWAY_OFFLINE, gateway_track.offline),
                                (GATEWAY_BACKLOG, gateway_track.backlog)):
                if alarm.phase is not NORMAL.phase:
                    yield AlarmKey(rule, gateway), alarm

    def restore(self, key: AlarmKey, kind: AlarmKind, alarm: AlarmState) -> None:
        """Put back an alarm stored before a restart: no transition, so no second message.

        It holds until an observation says otherwise (a value back in range, a reading
        from the silent sensor, a status from the gateway).
        """
        pair = (key.rule, key.subject)
        if kind is AlarmKind.THRESHOLD:  # its clear counts from the stored episode start
            self._keep(pair, c.ThresholdTrack(alarm=alarm, out_since=alarm.since))
        elif kind is AlarmKind.RATE:
            self.rates[pair] = c.RateTrack(alarm=alarm)
        elif kind is AlarmKind.OFFLINE:
            since = alarm.since or self.started
            self.sensors[key.subject] = c.SensorTrack(since, alarm=alarm)
        elif kind in (AlarmKind.GATEWAY_OFFLINE, AlarmKind.BACKLOG):
            # Silent since the alarm began, until its next status says otherwise.
            track = self.gateways.get(key.subject) or GatewayTrack(alarm.since or self.started)
            self.gateways[key.subject] = (replace(track, offline=alarm)
                                          if kind is AlarmKind.GATEWAY_OFFLINE
                                          else replace(track, backlog=alarm))

    def zone_conditions(self) -> dict[str, ZoneCondition]:
        return zones_out_of_range(
            (self.book.sensor(sensor).zone, sensor, track.alarm)
            for (_, sensor), track in self.thresholds.items())
