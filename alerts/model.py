"""The alarm domain's value types: what the evaluator reads and what it says.

Everything here is a frozen dataclass or an enum, with no IO. The hub's edges
(ingest hook, timer, API, SQL) translate their own objects into these, so the
alarm domain depends on no other part of the hub: a sensor is a `SensorRef`,
not a row of ingest's table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from kernel.i18n_text import N_, Text


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlarmKind(StrEnum):
    THRESHOLD = "threshold"
    RATE = "rate"
    OFFLINE = "offline"
    GATEWAY_OFFLINE = "gateway_offline"
    BACKLOG = "backlog"
    EXPIRY = "expiry"
    EXPIRED = "expired"
    LOW_STOCK = "low_stock"
    OVERSTOCK = "overstock"
    # The hub's own: its broker session was taken over or lost its subscriptions.
    BROKER_SESSION = "broker_session"
    # The audit trail's chain does not verify (kernel/audit.py): never shelvable.
    AUDIT_CHAIN = "audit_chain"
    # A sensor's calibration: coming due or overdue, or the gateway applies another offset.
    CALIBRATION_DUE = "calibration_due"
    CALIBRATION_MISMATCH = "calibration_mismatch"
    # An alarm path test is due (alerts/challenge/): the supervisors' reminder, info.
    ALARM_TEST_DUE = "alarm_test_due"


class Phase(StrEnum):
    """ISA-18.2 states of one alarm of one (rule, subject).

    `normal` is "no open alarm". `closed` appears only as a transition's target:
    once an alarm is both cleared and acknowledged it is closed and the
    (rule, subject) is back to normal, free for the next alarm.
    """

    NORMAL = "normal"
    PENDING = "pending"  # the condition holds, inside the delay
    ACTIVE = "active"  # raised, unacknowledged
    ACKNOWLEDGED = "acknowledged"  # raised, acknowledged
    CLEARED = "cleared"  # condition ended, not yet acknowledged
    CLOSED = "closed"


OPEN_PHASES = frozenset({Phase.ACTIVE, Phase.ACKNOWLEDGED, Phase.CLEARED})


class Event(StrEnum):
    """What a transition means, so consumers need not infer it from (from, to)."""

    PENDING = "pending"
    CANCELLED = "cancelled"  # the condition ended inside the delay: nothing was raised
    RAISED = "raised"
    ESCALATED = "escalated"  # warning -> critical within one alarm
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"


@dataclass(frozen=True, slots=True)
class AlarmKey:
    """One open alarm per (rule, subject): this pair names it while it is open."""

    rule: str
    subject: str

    def __str__(self) -> str:
        return f"{self.rule}/{self.subject}"


# --- the world the rules apply to ------------------------------------------------


@dataclass(frozen=True, slots=True)
class StorageClassLimits:
    """A storage class as the alarm domain needs it, e.g. 2-8C: 2..8 °C."""

    code: str
    temp_min_c: float | None = None
    temp_max_c: float | None = None
    humidity_min_pct: float | None = None
    humidity_max_pct: float | None = None
    # How long a critical excursion may last before the zone's lots go on hold.
    excursion_tolerance: timedelta | None = None


@dataclass(frozen=True, slots=True)
class ZoneRef:
    code: str
    storage_class: str | None = None
    name: str = ""
    # Overrides the storage class's tolerance for this zone.
    excursion_tolerance: timedelta | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.name and self.name != self.code else self.code


@dataclass(frozen=True, slots=True)
class SensorRef:
    id: str
    zone: str | None = None
    storage_class: str | None = None
    gateway: str | None = None


# --- observations: what the evaluator is fed ---------------------------------------


class Reading(NamedTuple):
    """One reading of one sensor. `good` is False for bad or uncertain quality.

    A tuple, not a frozen dataclass: ingest makes one per reading it hands to the
    alarm engine, and a tuple is made in a third of the time."""

    sensor: str
    ts: datetime
    quantities: Mapping[str, float]
    good: bool = True


@dataclass(frozen=True, slots=True)
class Tick:
    """The timer: "it is now `now`", so silence and values that stay out are caught."""

    now: datetime


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    """A gateway's status message; `online=False` is also what its last will says."""

    gateway: str
    ts: datetime
    online: bool
    outbox_depth: int = 0
    # Poll interval per sensor in seconds, when the gateway reports it.
    intervals: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Acknowledge:
    key: AlarmKey
    at: datetime
    by: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Shelve:
    key: AlarmKey
    at: datetime
    until: datetime
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Unshelve:
    key: AlarmKey
    at: datetime
    by: str


Observation = Reading | Tick | GatewayStatus | Acknowledge | Shelve | Unshelve


# --- what the evaluator says -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transition:
    key: AlarmKey
    kind: AlarmKind
    event: Event
    from_phase: Phase
    to_phase: Phase
    severity: Severity
    at: datetime
    message: str
    value: float | None = None
    limit: float | None = None
    zone: str | None = None
    gateway: str | None = None
    # When the alarm (or its pending condition) began: with `key`, names the episode.
    since: datetime | None = None
    shelved: bool = False
    by: str | None = None  # who acknowledged or shelved
    comment: str = ""


def format_duration(span: timedelta) -> Text:
    """'45 s', '12 min', '2 h 5 min', '3 d 4 h' — as a person on duty reads it (a Text:
    the messages that quote it are written again in a recipient's language)."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return Text("%(n)s s", n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return Text("%(n)s min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return Text("%(h)s h %(m)s min", h=hours, m=minutes) if minutes else \
            Text("%(h)s h", h=hours)
    days, hours = divmod(hours, 24)
    return Text("%(d)s d %(h)s h", d=days, h=hours) if hours else Text("%(d)s d", d=days)


# The words an alarm's text quotes, marked for the catalogue (domain messages).
EVENT_NAMES = (N_("pending"), N_("cancelled"), N_("raised"), N_("escalated"), N_("cleared"),
               N_("acknowledged"), N_("closed"), N_("shelved"), N_("unshelved"))


def said(word: str) -> Text:
    """A word of an alarm's text (an event, a severity, a kind) that a reader may read
    in another language."""
    return Text(str(word))


UNITS = {"temperature_c": "°C", "humidity_pct": "%RH", "dew_point_c": "°C",
         "pressure_hpa": "hPa", "co2_ppm": "ppm"}
QUANTITY_LABELS = {"temperature_c": Text(N_("temperature")),
                   "humidity_pct": Text(N_("humidity")), "dew_point_c": Text(N_("dew point")),
                   "pressure_hpa": Text(N_("pressure")), "co2_ppm": Text(N_("CO2"))}


def format_value(quantity: str, value: float) -> str:
    unit = UNITS.get(quantity, "")
    return f"{value:.1f} {unit}".rstrip()
