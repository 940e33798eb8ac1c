"""Alarm rules as data: a YAML or TOML file, validated once at start.

Every problem is one ``file: field: reason`` line, all of them at once, like the
gateway config: ``alarms.yaml: thresholds[2].high_critical: must be at or above
high_warning (9.0)``. Types, unknown keys and bad values are pydantic's job; the
relations between fields (bands, escalation chains, duplicates) are checked in a
second pass that knows each field's path. A rule naming a zone, sensor or
storage class that does not exist (yet) is not an error: `check_references`
returns warnings and the ids of the rules that stay inactive until it exists.
See examples/alarms.yaml and docs/alerts.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from alerts.model import AlarmKind, Severity
from contract.errors import ConfigError, describe, read_yaml
from contract.wire import ID_PATTERN, QUANTITY_PATTERN
from kernel.i18n import normalise

Ident = Annotated[str, Field(pattern=ID_PATTERN)]
Quantity = Annotated[str, Field(pattern=QUANTITY_PATTERN)]
Code = Annotated[str, Field(min_length=1, max_length=64)]

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?"
                       r"(?:(\d+(?:\.\d+)?)s)?$")
_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://\S+$")


_ISO_DURATION = TypeAdapter(timedelta)


def parse_duration(value: object) -> timedelta:
    """'90s', '5m', '1h30m', '2d', a number of seconds, or ISO 8601 ('PT90S', 'P1DT2H')
    as other tools write it."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError("must be a duration such as 30s, 5m or 1h")
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if text.startswith("-"):
            raise ValueError("must not be negative")
        if text[:1] in ("P", "p"):
            try:
                seconds = _ISO_DURATION.validate_python(text.upper()).total_seconds()
            except ValidationError:
                raise ValueError(f"{value!r} is not a duration such as 30s, 5m, 1h30m, 2d "
                                 "or PT30S") from None
            if seconds < 0:
                raise ValueError("must not be negative")
            return timedelta(seconds=seconds)
        match = _DURATION.match(text)
        if not text or not match:
            raise ValueError(f"{value!r} is not a duration such as 30s, 5m, 1h30m or 2d")
        d, h, m, s = (float(g) if g else 0.0 for g in match.groups())
        seconds = d * 86_400 + h * 3600 + m * 60 + s
    else:
        raise ValueError("must be a duration such as 30s, 5m or 1h")
    if seconds < 0:
        raise ValueError("must not be negative")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The file's own notation, so that what the API shows can be sent back:
    '90s' -> '1m30s', 5400 s -> '1h30m', 0 -> '0s'."""
    rest = value.total_seconds()
    parts = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        whole = int(rest // size)
        if whole:
            parts.append(f"{whole}{unit}")
            rest -= whole * size
    if rest or not parts:
        parts.append(f"{round(rest, 6):g}s")
    return "".join(parts)


def _parse_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 22:00 as the base-60 number 1320.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration),
                     PlainSerializer(format_duration, return_type=str, when_used="json")]
LocalTime = Annotated[time, BeforeValidator(_parse_time)]


class _Model(BaseModel):
    # A misspelt key is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Model):
    delay: Duration = timedelta(minutes=5)
    deadband: dict[Quantity, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {"temperature_c": 0.3, "humidity_pct": 2.0})
    # Storage-class defaults warn this far inside the class's limits; the limits are critical.
    warning_margin: dict[Quantity, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {"temperature_c": 0.5, "humidity_pct": 3.0})
    excursion_tolerance: Duration = timedelta(minutes=30)
    offline_intervals: Annotated[int, Field(ge=1, le=1000)] = 3
    bad_readings: Annotated[int, Field(ge=1, le=10_000)] = 5
    expected_interval: Duration = timedelta(seconds=60)


class _Scoped(_Model):
    id: Ident | None = None
    sensor: Ident | None = None
    zone: Code | None = None
    storage_class: Code | None = None

    @property
    def scope(self) -> tuple[str, str] | None:
        for kind in ("sensor", "zone", "storage_class"):
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        return None

    def _scope_count(self) -> int:
        return sum(v is not None for v in (self.sensor, self.zone, self.storage_class))


class ThresholdRule(_Scoped):
    quantity: Quantity
    low_critical: float | None = None
    low_warning: float | None = None
    high_warning: float | None = None
    high_critical: float | None = None
    delay: Duration | None = None  # default: defaults.delay
    deadband: Annotated[float, Field(ge=0)] | None = None  # default: defaults.deadband
    rate_per_min: Annotated[float, Field(gt=0)] | None = None

    @property
    def rule_id(self) -> str:
        if self.id:
            return self.id
        kind, value = self.scope or ("site", "all")
        return f"{kind}:{value}:{self.quantity}"


class OfflineRule(_Scoped):
    intervals: Annotated[int, Field(ge=1, le=1000)] | None = None
    bad_readings: Annotated[int, Field(ge=1, le=10_000)] | None = None
    expected_interval: Duration | None = None
    severity: Severity = Severity.WARNING

    @property
    def rule_id(self) -> str:
        if self.id:
            return self.id
        kind, value = self.scope or ("site", "all")
        return f"offline:{kind}:{value}"


class GatewayRules(_Model):
    status_interval: Duration = timedelta(seconds=30)
    offline_intervals: Annotated[int, Field(ge=1, le=1000)] = 3
    severity: Severity = Severity.CRITICAL
    backlog_limit: Annotated[int, Field(ge=1)] | None = 1000
    backlog_severity: Severity = Severity.WARNING


class ExpiryTier(_Model):
    days: Annotated[int, Field(ge=0, le=3650)]
    severity: Severity


def _default_tiers() -> list[ExpiryTier]:
    return [ExpiryTier(days=90, severity=Severity.INFO),
            ExpiryTier(days=30, severity=Severity.WARNING),
            ExpiryTier(days=7, severity=Severity.CRITICAL)]


class ExpiryRules(_Model):
    enabled: bool = True
    tiers: list[ExpiryTier] = Field(default_factory=_default_tiers)
    expired_severity: Severity = Severity.CRITICAL


class StockRules(_Model):
    low_stock: bool = True
    overstock: bool = True
    low_severity: Severity = Severity.WARNING
    over_severity: Severity = Severity.INFO


class CalibrationRules(_Model):
    """Calibration alarms (issue 17): a calibration coming due (`due_days` ahead, and
    on the day: a second alarm), and a gateway applying another offset than the one
    on record."""

    enabled: bool = True
    due_days: Annotated[int, Field(ge=1, le=365)] = 30
    due_severity: Severity = Severity.WARNING
    overdue_severity: Severity = Severity.CRITICAL  # on the due day and after
    mismatch_severity: Severity = Severity.WARNING


class RecipientGroup(_Model):
    description: str = ""
    urls: Annotated[list[str], Field(min_length=1)]
    # The language its messages are written in (en, zh-CN); unset: the site's
    # (setting `language`). WeCom and DingTalk groups are usually zh-CN.
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        known = normalise(value)
        if known is None:
            raise ValueError(f"unknown language {value!r} (en or zh-CN)")
        return known

    @field_validator("urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            # Never echo the URL: it usually carries a token or a password.
            if not _URL.match(url):
                raise ValueError("each URL must look like scheme://... (an apprise URL)")
        return urls


class RouteMatch(_Model):
    """Empty lists match everything."""

    severity: list[Severity] = Field(default_factory=list)
    zone: list[Code] = Field(default_factory=list)
    kind: list[AlarmKind] = Field(default_factory=list)


class Route(_Model):
    name: Ident
    match: RouteMatch = RouteMatch()
    # The escalation chain: the first group at once, the next after each escalate_after.
    groups: Annotated[list[Ident], Field(min_length=1)]
    escalate_after: Duration | None = None
    notify_clear: bool = True


class QuietHours(_Model):
    start: LocalTime
    end: LocalTime
    # Severities held until the end of quiet hours; critical always goes.
    hold: list[Severity] = Field(default_factory=lambda: [Severity.INFO, Severity.WARNING])


class Digest(_Model):
    at: LocalTime = time(8, 0)


class Grouping(_Model):
    window: Duration = timedelta(seconds=30)
    max_per_alarm_per_hour: Annotated[int, Field(ge=1, le=1000)] = 4


class AlarmRules(_Model):
    site_timezone: str = "UTC"
    defaults: Defaults = Defaults()
    thresholds: list[ThresholdRule] = Field(default_factory=list)
    offline: list[OfflineRule] = Field(default_factory=list)
    gateways: GatewayRules = GatewayRules()
    expiry: ExpiryRules = ExpiryRules()
    stock: StockRules = StockRules()
    calibration: CalibrationRules = CalibrationRules()
    recipients: dict[Ident, RecipientGroup] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    digest: Digest = Digest()
    grouping: Grouping = Grouping()

    @field_validator("site_timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (e.g. Asia/Shanghai, UTC)") from None
        return name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site_timezone)


# --- the second pass: relations between fields -----------------------------------

_LEVELS = ("low_critical", "low_warning", "high_warning", "high_critical")


def _band_errors(rule: ThresholdRule, where: str) -> list[str]:
    errors = []
    levels = [(name, getattr(rule, name)) for name in _LEVELS if getattr(rule, name) is not None]
    if not levels and rule.rate_per_min is None:
        errors.append(f"{where}: needs at least one of {', '.join(_LEVELS)} or rate_per_min")
    for (lower, low_value), (upper, high_value) in pairwise(levels):
        strict = lower.startswith("low") and upper.startswith("high")
        if high_value < low_value or (strict and high_value == low_value):
            relation = "above" if strict else "at or above"
            errors.append(f"{where}.{upper}: must be {relation} {lower} ({low_value:g})")
    return errors


def _scope_errors(rule: _Scoped, where: str, required: bool) -> list[str]:
    count = rule._scope_count()
    if count > 1:
        return [f"{where}: name only one of sensor, zone, storage_class"]
    if required and count == 0:
        return [f"{where}: needs one of sensor, zone or storage_class"]
    return []


def _semantic_errors(rules: AlarmRules, name: str,
                     known_schemes: Collection[str] | None) -> list[str]:
    errors: list[str] = []
    ids: dict[str, str] = {}

    def unique(rule_id: str, where: str) -> None:
        if rule_id in ids:
            errors.append(f"{where}: rule {rule_id} is also {ids[rule_id]}")
        else:
            ids[rule_id] = where

    for index, rule in enumerate(rules.thresholds):
        where = f"thresholds[{index}]"
        errors += _scope_errors(rule, where, required=True) or _band_errors(rule, where)
        unique(rule.rule_id, where)
    for index, offline in enumerate(rules.offline):
        where = f"offline[{index}]"
        errors += _scope_errors(offline, where, required=False)
        unique(offline.rule_id, where)
    days = [tier.days for tier in rules.expiry.tiers]
    if len(set(days)) != len(days):
        errors.append("expiry.tiers: each tier needs its own number of days")
    for group_name, group in rules.recipients.items():
        for url_index, url in enumerate(group.urls):
            scheme = url.split("://", 1)[0]
            if known_schemes is not None and scheme not in known_schemes:
                errors.append(f"recipients.{group_name}.urls[{url_index}]: "
                              f"unknown notification scheme {scheme!r}")
    names: dict[str, int] = {}
    for index, route in enumerate(rules.routes):
        where = f"routes[{index}]"
        if route.name in names:
            errors.append(f"{where}.name: {route.name} is also routes[{names[route.name]}]")
        names.setdefault(route.name, index)
        for group_index, routed_group in enumerate(route.groups):
            if routed_group not in rules.recipients:
                known = ", ".join(rules.recipients) or "none"
                errors.append(f"{where}.groups[{group_index}]: no recipient group "
                              f"{routed_group!r} "
                              f"(recipients: {known})")
        if route.escalate_after is not None and len(route.groups) < 2:
            errors.append(f"{where}.escalate_after: needs a second group to escalate to")
        if route.escalate_after is not None and not route.escalate_after:
            errors.append(f"{where}.escalate_after: must be longer than 0s")
    return [f"{name}: {line}" for line in errors]


def parse_rules(data: object, name: str = "alarms.yaml", *,
                known_schemes: Collection[str] | None = None) -> AlarmRules:
    """The validated rules, or ConfigError with one ``file: field: reason`` line per problem.

    `known_schemes` are the notification URL schemes the sender supports (apprise's,
    injected by the hub); without it only the ``scheme://`` syntax is checked.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping (thresholds, offline, routes, ...)")
    try:
        rules = AlarmRules.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(name, exc)) from None
    errors = _semantic_errors(rules, name, known_schemes)
    if errors:
        raise ConfigError("\n".join(errors))
    return rules


def read_rules_file(path: Path) -> Any:
    if path.suffix.lower() != ".toml":
        return read_yaml(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None


def load_rules(path: Path, *, known_schemes: Collection[str] | None = None) -> AlarmRules:
    """Read and validate a rule file (``.yaml``/``.yml`` or ``.toml``)."""
    return parse_rules(read_rules_file(path), path.name, known_schemes=known_schemes)


# --- references to the world: warnings, not errors --------------------------------


@dataclass(frozen=True, slots=True)
class RuleWarning:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ReferenceCheck:
    warnings: tuple[RuleWarning, ...]
    # Rules whose sensor, zone or storage class does not exist (yet): not evaluated.
    inactive: frozenset[str]


def check_references(rules: AlarmRules, name: str = "alarms.yaml", *,
                     zones: Iterable[str], sensors: Iterable[str],
                     storage_classes: Iterable[str]) -> ReferenceCheck:
    """Warn about rules naming what does not exist; run again when the world changes."""
    known = {"sensor": set(sensors), "zone": set(zones), "storage_class": set(storage_classes)}
    warnings: list[RuleWarning] = []
    inactive: set[str] = set()
    scoped: list[tuple[str, _Scoped, str]] = [
        *((f"thresholds[{i}]", r, r.rule_id) for i, r in enumerate(rules.thresholds)),
        *((f"offline[{i}]", r, r.rule_id) for i, r in enumerate(rules.offline)),
    ]
    for where, rule, rule_id in scoped:
        scope = rule.scope
        if scope and scope[1] not in known[scope[0]]:
            kind, value = scope
            warnings.append(RuleWarning(name, f"{where}.{kind}",
                                        f"no {kind.replace('_', ' ')} {value!r} yet: "
                                        "the rule stays inactive until it exists"))
            inactive.add(rule_id)
    for index, route in enumerate(rules.routes):
        for zone_index, zone in enumerate(route.match.zone):
            if zone not in known["zone"]:
                warnings.append(RuleWarning(name, f"routes[{index}].match.zone[{zone_index}]",
                                            f"no zone {zone!r} yet"))
    return ReferenceCheck(tuple(warnings), frozenset(inactive))
