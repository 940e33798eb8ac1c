"""The wire contract between gateways, the hub and the simulator (version 1).

One module used by all three, so a payload that the edge agent publishes is by
construction one that ingest accepts. Everything here is pure: pydantic models,
topic helpers and a decoder that turns any bad payload into a `WireError` with a
short, human-readable reason (it goes into the dead-letter table as is).

Topics: ``stockwarden/v1/{site}/{gateway}/{telemetry|scan|status|scan-result}`` and
``stockwarden/v1/{site}/alarms/{alarm_id}``; a gateway may therefore not be
called by a word of the hub's own topic tree (`RESERVED_GATEWAY_IDS`). Text
never carries NUL or lone surrogates: no database stores them alike, so they are
refused here, with the field named. See docs/wire-contract.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

VERSION = 1
TOPIC_PREFIX = f"stockwarden/v{VERSION}"
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_READINGS_PER_MESSAGE = 1000
# The longest scan, in characters, on the wire and at the HTTP scan route alike: a
# full GS1 DataMatrix holds 2,335 characters, a QR code up to 4,296.
MAX_SCAN_RAW = 4096

# Identifiers travel in topics and time-series tags: keep them to a safe alphabet.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
QUANTITY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
_ID_RE = re.compile(ID_PATTERN)

# Topic segments the hub publishes under in place of a gateway id: a gateway with
# one of these names would overlap the hub's own topics (and a per-gateway broker
# ACL would let it publish fake alarms). Compared case-insensitively.
RESERVED_GATEWAY_IDS: frozenset[str] = frozenset({"alarms", "results", "hub", "commands"})


def reserved_gateway_problem(gateway: str) -> str | None:
    """Why `gateway` may not be a gateway id, or None."""
    if gateway.lower() in RESERVED_GATEWAY_IDS:
        return (
            f"{gateway!r} is reserved (a word of the hub's topic tree: "
            f"{', '.join(sorted(RESERVED_GATEWAY_IDS))})"
        )
    return None


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None: NUL, or a lone surrogate."""
    if "\x00" in value:
        return f"contains a NUL character at offset {value.index(chr(0))}"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"contains a lone surrogate at offset {exc.start}"
    return None


def _clean_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _gateway_id(value: str) -> str:
    problem = reserved_gateway_problem(value)
    if problem:
        raise ValueError(problem)
    return value

# Physical plausibility of the quantities we know. A value outside is not a
# reading, it is a broken sensor or a bug, and must never reach the records.
QUANTITY_LIMITS: dict[str, tuple[float, float]] = {
    "temperature_c": (-273.15, 1000.0),
    "humidity_pct": (0.0, 100.0),
    "dew_point_c": (-273.15, 1000.0),
    "pressure_hpa": (0.0, 2000.0),
    "co2_ppm": (0.0, 100_000.0),
}


def _to_utc_millis(value: datetime) -> datetime:
    # On the hot path of ingest: do only the work a given value needs.
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("timestamp needs a timezone (UTC, e.g. 2026-01-31T12:00:00.000Z)")
    if offset:
        value = value.astimezone(UTC)
    sub_millis = value.microsecond % 1000
    return value.replace(microsecond=value.microsecond - sub_millis) if sub_millis else value


def format_ts(value: datetime) -> str:
    """UTC with milliseconds and a Z, the one timestamp format on the wire."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcMillis = Annotated[
    datetime,
    AfterValidator(_to_utc_millis),
    PlainSerializer(format_ts, return_type=str, when_used="json"),
]
Ident = Annotated[str, Field(pattern=ID_PATTERN)]
GatewayId = Annotated[str, Field(pattern=ID_PATTERN), AfterValidator(_gateway_id)]
# Free text: the pattern-limited identifiers cannot hold NUL or surrogates; these can.
Text = Annotated[str, AfterValidator(_clean_text)]
QuantityName = Annotated[str, Field(pattern=QUANTITY_PATTERN)]
# Finiteness is checked in pydantic-core (fast); plausibility by Reading's validator.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def utc_now() -> datetime:
    return _to_utc_millis(datetime.now(UTC))


class Quality(StrEnum):
    """How far a reading can be trusted. Only `good` values enter statistics."""

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


class _WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Reading(_WireModel):
    sensor: Ident
    ts: UtcMillis
    quantities: dict[QuantityName, FiniteFloat] = Field(default_factory=dict, max_length=32)
    quality: Quality = Quality.GOOD
    # Why the quality is not good: "timeout", "crc", "exception 2", "out of range" ...
    error: Text | None = Field(default=None, max_length=200)

    @field_validator("quantities")
    @classmethod
    def _plausible(cls, quantities: dict[str, float]) -> dict[str, float]:
        for name, value in quantities.items():
            limits = QUANTITY_LIMITS.get(name)
            if limits and not limits[0] <= value <= limits[1]:
                raise ValueError(f"{name}={value} is outside {limits[0]}..{limits[1]}")
        return quantities


class Telemetry(_WireModel):
    """One poll cycle of one gateway: a batch of readings."""

    gateway: GatewayId
    seq: int = Field(ge=0, le=2**63 - 1)
    readings: list[Reading] = Field(min_length=1, max_length=MAX_READINGS_PER_MESSAGE)


class ScanMode(StrEnum):
    """What a scan asks for. The one scan contract: the HTTP route uses it too."""

    RECEIVE = "receive"
    DISPATCH = "dispatch"
    TRANSFER = "transfer"
    COUNT = "count"
    RETURN = "return"
    IDENTIFY = "identify"  # say what was scanned; book nothing


class Scan(_WireModel):
    gateway: GatewayId
    seq: int = Field(ge=0, le=2**63 - 1)
    scanner: Ident
    ts: UtcMillis
    # Exactly what the scanner sent, group separators (ASCII 29) kept.
    raw: Text = Field(min_length=1, max_length=MAX_SCAN_RAW)
    mode: ScanMode | None = None
    location: Text | None = Field(default=None, max_length=64)
    operator: Text | None = Field(default=None, max_length=64)


Count = Annotated[int, Field(ge=0, le=2**63 - 1)]


class ScanOutcome(StrEnum):
    """The outcomes known today; `ScanResult.outcome` takes any such word, so a newer
    hub may add one without breaking older gateways."""

    BOOKED = "booked"
    REFUSED = "refused"  # nothing booked; `message` says why
    IDENTIFIED = "identified"  # identify mode: what the label is, nothing booked
    LABEL = "label"  # a location or command label, understood
    DUPLICATE = "duplicate"  # this (gateway, seq) was booked before: nothing booked again


class ScanLine(_WireModel):
    """One stock line a scan booked (or, for identify, would concern)."""

    item: Text = Field(max_length=64)
    quantity: int | None = None
    lot: Text | None = Field(default=None, max_length=64)
    location: Text | None = Field(default=None, max_length=64)
    to_location: Text | None = Field(default=None, max_length=64)


class ScanResult(_WireModel):
    """What the hub made of one scan, sent back to the gateway that published it."""

    gateway: Ident
    seq: int = Field(ge=0, le=2**63 - 1, description="the seq of the scan")
    scanner: Ident
    ts: UtcMillis
    ok: bool
    outcome: str = Field(pattern=r"^[a-z][a-z_]{0,31}$")
    # Plain words for the operator at the gateway's display: "Booked 12 of lot L42 into A-01-01".
    message: Text = Field(default="", max_length=500)
    lines: list[ScanLine] = Field(default_factory=list, max_length=100)


class ScannerHealth(_WireModel):
    """One serial scanner of a gateway, in its status."""

    port: Text
    connected: bool = False
    mode: ScanMode | None = None
    location: Text | None = None
    operator: Text | None = None
    scans: Count = 0
    rejected: Count = 0
    # Why scans were rejected at the edge (published nothing): reason -> count.
    rejected_by_reason: dict[Text, Count] = Field(default_factory=dict)
    last_scan: UtcMillis | None = None
    last_error: Text | None = None


class DeviceHealth(_WireModel):
    state: Literal["ok", "timeout", "error", "unknown"] = "unknown"
    ok_count: Count = 0
    timeout_count: Count = 0
    error_count: Count = 0
    last_success: UtcMillis | None = None
    last_error: Text | None = None
    # What the gateway applies to this sensor, from its config; optional, so a gateway
    # that does not send them (older agents) is still understood. The hub's offline rule
    # takes the poll interval instead of learning it; the hub keeps each change of the
    # profile or the offsets with its time, for calibration records and reports.
    poll_interval_s: float | None = Field(default=None, gt=0, le=86_400)
    profile: Text | None = Field(default=None, min_length=1, max_length=64)
    # Added to each quantity's decoded value, e.g. {"temperature_c": -0.3}.
    calibration: dict[QuantityName, FiniteFloat] = Field(default_factory=dict, max_length=32)


class Status(_WireModel):
    """Retained per gateway; the broker publishes the offline one as the last will."""

    state: Literal["online", "offline"]
    ts: UtcMillis
    version: Text = ""
    outbox_depth: Count = 0
    outbox_dropped: Count = 0
    devices: dict[Text, DeviceHealth] = Field(default_factory=dict)
    scanners: dict[Text, ScannerHealth] = Field(default_factory=dict)


class AlarmEvent(_WireModel):
    """An alarm state change, published by the hub on `alarm_topic` (retained while the
    alarm is open; an empty retained message clears the topic once it is closed).

    The first eight fields are the original contract; the rest were added with the
    alarm engine and are optional, so an old consumer keeps working."""

    id: int
    rule: Text
    subject: Text
    state: Literal["pending", "active", "acknowledged", "cleared", "closed"]
    severity: Literal["info", "warning", "critical"]
    ts: UtcMillis
    message: Text = ""
    value: float | None = None
    # threshold, rate, offline, gateway_offline, backlog, expiry, expired, low_stock, overstock,
    # broker_session
    kind: Text | None = None
    event: Text | None = None  # the transition: raised, escalated, cleared, acknowledged ...
    zone: Text | None = None
    limit: float | None = None
    raised_at: UtcMillis | None = None
    acknowledged_by: Text | None = None
    acknowledged_at: UtcMillis | None = None
    comment: Text | None = None
    shelved: bool = False
    shelved_until: UtcMillis | None = None
    shelved_by: Text | None = None
    shelve_reason: Text | None = None


# --- topics ------------------------------------------------------------------

Kind = Literal["telemetry", "scan", "status", "scan-result"]
KINDS: tuple[Kind, ...] = ("telemetry", "scan", "status", "scan-result")


def gateway_topic(site: str, gateway: str, kind: Kind) -> str:
    for label, value in (("site", site), ("gateway", gateway)):
        if not _ID_RE.match(value):
            raise ValueError(f"{label} {value!r} is not a valid identifier ({ID_PATTERN})")
    problem = reserved_gateway_problem(gateway)
    if problem:
        raise ValueError(f"gateway {problem}")
    return f"{TOPIC_PREFIX}/{site}/{gateway}/{kind}"


def scan_topic(site: str, gateway: str) -> str:
    return gateway_topic(site, gateway, "scan")


def scan_result_topic(site: str, gateway: str) -> str:
    """Where the hub answers a gateway's scans (QoS 1, not retained)."""
    return gateway_topic(site, gateway, "scan-result")


def alarm_topic(site: str, alarm_id: int) -> str:
    return f"{TOPIC_PREFIX}/{site}/alarms/{alarm_id}"


def subscription(kind: Kind, site: str = "+") -> str:
    """The filter that matches `kind` messages of every gateway (of one site, or all)."""
    return f"{TOPIC_PREFIX}/{site}/+/{kind}"


@dataclass(frozen=True, slots=True)
class TopicParts:
    site: str
    gateway: str
    kind: Kind


def parse_topic(topic: str) -> TopicParts:
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:2]) != TOPIC_PREFIX:
        raise WireError(f"topic {topic!r} is not {TOPIC_PREFIX}/<site>/<gateway>/<kind>")
    _, _, site, gateway, kind = parts
    if kind not in KINDS:
        raise WireError(f"topic kind {kind!r} is not one of {', '.join(KINDS)}")
    if not _ID_RE.match(site) or not _ID_RE.match(gateway):
        raise WireError(f"topic {topic!r} has an invalid site or gateway identifier")
    problem = reserved_gateway_problem(gateway)
    if problem:
        raise WireError(f"topic {topic!r}: gateway {problem}")
    return TopicParts(site, gateway, kind)


# --- encoding and decoding ---------------------------------------------------


class WireError(ValueError):
    """A payload or topic that breaks the contract; the message is the reason."""


def encode(message: BaseModel) -> bytes:
    return message.model_dump_json(exclude_none=True).encode()


M = TypeVar("M", bound=BaseModel)


def printable(text: str) -> str:
    """`text` with NUL and lone surrogates escaped: safe to store as a reason."""
    if text_problem(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        problem = first["msg"].removeprefix("Invalid JSON: ")
        if "surrogate" in problem or "hex escape" in problem:
            # The parser's words for "\ud800" without its pair: say what it means.
            problem += " (a lone surrogate: \\ud800-\\udfff escapes must come in pairs)"
        return f"not valid JSON: {problem}"
    if first["type"] == "model_type" and not first["loc"]:
        return "payload must be a JSON object"
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    # A dict key with a NUL is part of the location: the reason itself must stay storable.
    return printable(f"{where}: {first['msg']}{more}")


def decode(model: type[M], payload: bytes | str) -> M:
    """Parse and validate a payload, or raise WireError with a one-line reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        # One pass in pydantic-core: JSON parsing and validation together.
        return model.model_validate_json(payload)
    except ValidationError as exc:
        raise WireError(_describe(exc)) from None
