"""Which rule judges which sensor: storage-class defaults and "most specific wins".

`storage_class_rules` turns each storage class's limits into default threshold
and offline rules, so no zone is unwatched because nobody wrote a rule.
`RuleBook` resolves, once per sensor and quantity, the rule that applies: a rule
for the sensor, else for its zone, else for its storage class (written in the
file, else the default from the class's limits). A rule naming a sensor, zone or
class that does not exist simply matches nothing: it is inactive until it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from alerts.model import SensorRef, Severity, StorageClassLimits, ZoneRef
from alerts.rules.document import AlarmRules, Defaults, OfflineRule, ThresholdRule

_SCOPES = ("sensor", "zone", "storage_class")


@dataclass(frozen=True, slots=True)
class ThresholdSpec:
    """One threshold rule compiled for the evaluator: plain floats, seconds."""

    rule: str
    quantity: str
    low_critical: float | None
    low_warning: float | None
    high_warning: float | None
    high_critical: float | None
    delay: float
    deadband: float
    rate_per_min: float | None = None

    @property
    def high_first(self) -> float | None:
        """The lowest high level: beyond it, the value is out of range."""
        return self.high_warning if self.high_warning is not None else self.high_critical

    @property
    def low_first(self) -> float | None:
        return self.low_warning if self.low_warning is not None else self.low_critical


@dataclass(frozen=True, slots=True)
class OfflineSpec:
    rule: str
    intervals: int
    bad_readings: int
    expected_interval: float
    severity: Severity


def storage_class_rules(classes: Iterable[StorageClassLimits], defaults: Defaults
                        ) -> tuple[list[ThresholdRule], list[OfflineRule]]:
    """Default rules from storage-class limits: the limits are critical, warnings sit
    `defaults.warning_margin` inside them (left out when the band is too narrow)."""
    thresholds: list[ThresholdRule] = []
    offline: list[OfflineRule] = []
    for cls in classes:
        for quantity, low, high in (("temperature_c", cls.temp_min_c, cls.temp_max_c),
                                    ("humidity_pct", cls.humidity_min_pct, cls.humidity_max_pct)):
            if low is None and high is None:
                continue
            margin = defaults.warning_margin.get(quantity, 0.0)
            low_warning = None if low is None or not margin else low + margin
            high_warning = None if high is None or not margin else high - margin
            if (low_warning is not None and high_warning is not None
                    and low_warning >= high_warning):
                low_warning = high_warning = None
            if low_warning is not None and high is not None and low_warning >= high:
                low_warning = None
            if high_warning is not None and low is not None and high_warning <= low:
                high_warning = None
            thresholds.append(ThresholdRule(
                storage_class=cls.code, quantity=quantity, low_critical=low,
                low_warning=low_warning, high_warning=high_warning, high_critical=high))
        offline.append(OfflineRule(storage_class=cls.code))
    return thresholds, offline


def _seconds(span: timedelta) -> float:
    return span.total_seconds()


class RuleBook:
    """The rules that apply to each sensor, resolved once (and again when the world changes)."""

    def __init__(self, rules: AlarmRules, *, sensors: Iterable[SensorRef] = (),
                 zones: Iterable[ZoneRef] = (), storage_classes: Iterable[StorageClassLimits] = ()
                 ) -> None:
        self.rules = rules
        self.zones = {z.code: z for z in zones}
        self.classes = {c.code: c for c in storage_classes}
        self.sensors = {s.id: self._with_class(s) for s in sensors}
        default_thresholds, default_offline = storage_class_rules(
            self.classes.values(), rules.defaults)
        # Written rules come last so they replace a default with the same scope.
        self._thresholds: dict[tuple[str, str], dict[str, ThresholdRule]] = {}
        for rule in (*default_thresholds, *rules.thresholds):
            scope = rule.scope
            assert scope is not None  # validated: a threshold names its scope
            self._thresholds.setdefault(scope, {})[rule.quantity] = rule
        self._offline: dict[tuple[str, str] | None, OfflineRule] = {None: OfflineRule()}
        for offline in (*default_offline, *rules.offline):
            self._offline[offline.scope] = offline
        self._threshold_cache: dict[str, tuple[ThresholdSpec, ...]] = {}
        self._offline_cache: dict[str, OfflineSpec] = {}

    def _with_class(self, sensor: SensorRef) -> SensorRef:
        if sensor.storage_class is None and sensor.zone in self.zones:
            zone_class = self.zones[sensor.zone].storage_class
            if zone_class is not None:
                return SensorRef(sensor.id, sensor.zone, zone_class, sensor.gateway)
        return sensor

    def sensor(self, sensor_id: str) -> SensorRef:
        """A sensor the world does not know yet is judged by sensor and site rules only."""
        return self.sensors.get(sensor_id) or SensorRef(sensor_id)

    def _scopes(self, sensor: SensorRef) -> list[tuple[str, str]]:
        values = (sensor.id, sensor.zone, sensor.storage_class)
        return [(kind, value) for kind, value in zip(_SCOPES, values, strict=True)
                if value is not None]

    def thresholds(self, sensor_id: str) -> tuple[ThresholdSpec, ...]:
        """One spec per quantity: the most specific rule wins."""
        cached = self._threshold_cache.get(sensor_id)
        if cached is not None:
            return cached
        chosen: dict[str, ThresholdRule] = {}
        for scope in reversed(self._scopes(self.sensor(sensor_id))):
            chosen.update(self._thresholds.get(scope, {}))
        defaults = self.rules.defaults
        specs = tuple(
            ThresholdSpec(
                rule=rule.rule_id, quantity=quantity,
                low_critical=rule.low_critical, low_warning=rule.low_warning,
                high_warning=rule.high_warning, high_critical=rule.high_critical,
                delay=_seconds(rule.delay if rule.delay is not None else defaults.delay),
                deadband=(rule.deadband if rule.deadband is not None
                          else defaults.deadband.get(quantity, 0.0)),
                rate_per_min=rule.rate_per_min)
            for quantity, rule in sorted(chosen.items()))
        self._threshold_cache[sensor_id] = specs
        return specs

    def offline(self, sensor_id: str) -> OfflineSpec:
        cached = self._offline_cache.get(sensor_id)
        if cached is not None:
            return cached
        rule = self._offline[None]
        for scope in self._scopes(self.sensor(sensor_id)):
            if scope in self._offline:
                rule = self._offline[scope]
                break
        defaults = self.rules.defaults
        spec = OfflineSpec(
            rule=rule.rule_id,
            intervals=rule.intervals or defaults.offline_intervals,
            bad_readings=rule.bad_readings or defaults.bad_readings,
            expected_interval=_seconds(rule.expected_interval or defaults.expected_interval),
            severity=rule.severity)
        self._offline_cache[sensor_id] = spec
        return spec

    def tolerance(self, zone: str | None) -> float:
        """Seconds a critical excursion may last in the zone before its lots go on hold."""
        ref = self.zones.get(zone) if zone else None
        if ref and ref.excursion_tolerance is not None:
            return _seconds(ref.excursion_tolerance)
        cls = self.classes.get(ref.storage_class) if ref and ref.storage_class else None
        if cls and cls.excursion_tolerance is not None:
            return _seconds(cls.excursion_tolerance)
        return _seconds(self.rules.defaults.excursion_tolerance)

    def zone_label(self, zone: str | None) -> str:
        if zone is None:
            return "no zone"
        ref = self.zones.get(zone)
        return ref.label if ref else zone
