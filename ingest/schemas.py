"""Ingest's API models, one family per entity: a sensor (Create, Update, Public), its
latest readings, its hours, the dead letters, a gateway's last status, and a
sensor's calibration records and the changes of what its gateway applies. The read
models of ingest/queries.py return these; the routes declare
them as their response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.wire import ID_PATTERN, QUANTITY_PATTERN, GatewayId, ScanMode
from kernel.fields import KEEP_OR_SET, NULL_CLEARS, refuse_null

_GATEWAY = ("the gateway whose readings of this sensor are taken; another gateway's "
            "are dead letters")


class SensorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field("", max_length=128)
    zone: str | None = Field(None, description="zone code; null or left out: unassigned")
    gateway: GatewayId | None = Field(
        None, description=f"{_GATEWAY}; null or left out: the first gateway to report it")


class SensorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=128, description=KEEP_OR_SET)
    zone: str | None = Field(None, description=f"assign to this zone code; {NULL_CLEARS} "
                                               "(takes the sensor out of its zone)")
    unassign: bool = Field(False, description="take the sensor out of its zone")
    gateway: GatewayId | None = Field(None, description=f"move the sensor to this gateway: "
                                                        f"{_GATEWAY}; {KEEP_OR_SET}")

    _not_null = field_validator("name", "gateway", mode="before")(refuse_null)


class SensorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    zone: str | None = Field(description="zone code; null while unassigned")
    site: str | None
    gateway: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    last_quality: str | None
    last_error: str | None


class LatestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sensor: str
    zone: str | None
    quantity: str
    ts: datetime
    value: float


class HourPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    hour: datetime
    quantity: str
    count: int
    min: float
    max: float
    mean: float


class DeadLetterPublic(BaseModel):
    id: int
    received_at: datetime
    topic: str
    reason: str
    payload: str = Field(description="the payload as text (invalid UTF-8 replaced), cut at 2 KiB")


class DeviceHealthPublic(BaseModel):
    state: Literal["ok", "timeout", "error", "unknown"] = "unknown"
    ok_count: int = 0
    timeout_count: int = 0
    error_count: int = 0
    last_success: datetime | None = None
    last_error: str | None = None
    poll_interval_s: float | None = Field(
        None, description="seconds between polls, as the gateway's config says (if sent)")
    profile: str | None = Field(None, description="the device profile the gateway decodes with")
    calibration: dict[str, float] = Field(
        default_factory=dict,
        description="offset the gateway adds per quantity, e.g. {\"temperature_c\": -0.3}")


class GatewayScannerPublic(BaseModel):
    # Ingest fills what the gateway reports; the hub's gateway view (hub/gateway_status.py)
    # adds inventory's registration beside it and says what is wrong.
    id: str
    registered: bool = Field(description="an admin registered it: its scans may book")
    reported: bool = Field(description="the gateway's last status lists it")
    problem: str | None = Field(
        None, description="what is wrong, e.g. reported but not registered (scans refused)")
    operator: str | None = Field(None, description="registered: the account it books as")
    modes: list[ScanMode] = Field(default_factory=list, description="registered: allowed modes")
    default_location: str | None = Field(None, description="registered: the default bin")
    port: str | None = None
    connected: bool | None = None
    mode: ScanMode | None = Field(None, description="reported: the mode it scans in now")
    location: str | None = Field(None, description="reported: the bin it scans at now")
    scans: int | None = None
    rejected: int | None = Field(None, description="reported: bad reads the edge dropped")
    last_scan: datetime | None = None
    last_error: str | None = None


class GatewayPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    site: str | None
    state: Literal["online", "offline", "unknown"] = Field(
        description="from the gateway's last status; unknown when only telemetry was seen"
    )
    last_seen: datetime | None = Field(
        description="when the hub received the last status (for unknown: the newest reading)"
    )
    status_ts: datetime | None = Field(description="the status's own timestamp")
    version: str | None
    outbox_depth: int | None = Field(description="messages waiting on the gateway")
    outbox_dropped: int | None = Field(description="messages the gateway's full outbox dropped")
    devices: dict[str, DeviceHealthPublic] = Field(description="per device health")
    sensors: int = Field(description="sensors whose newest reading came through this gateway")
    scanners: list[GatewayScannerPublic] = Field(
        default_factory=list, description="registered and reported serial scanners")


# --- calibration (issue 17): records per sensor, what the gateway applies


Offsets = dict[Annotated[str, Field(pattern=QUANTITY_PATTERN)],
               Annotated[float, Field(ge=-100, le=100, allow_inf_nan=False)]]


class CalibrationCreate(BaseModel):
    """A calibration certificate of one sensor, as a supervisor enters it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    calibrated_on: date = Field(description="the day of the calibration")
    certificate: str = Field(min_length=1, max_length=64, examples=["DKD-K-12345/2026-117"])
    laboratory: str = Field(min_length=1, max_length=128)
    as_found_error: Offsets = Field(
        default_factory=dict, max_length=32,
        description="error found before adjustment, per quantity (reading minus reference)")
    as_left_error: Offsets = Field(
        default_factory=dict, max_length=32, description="error left after adjustment")
    offset: Offsets = Field(
        default_factory=dict, max_length=32,
        description="the offset to apply per quantity, e.g. {\"temperature_c\": -0.3}: the "
        "gateway's config must apply the same (a mismatch is an alarm)")
    next_due: date = Field(description="when the next calibration is due")
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _due_after(self) -> CalibrationCreate:
        if self.next_due <= self.calibrated_on:
            raise ValueError("next_due must be after calibrated_on")
        return self


class CalibrationPublic(CalibrationCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sensor: str
    entered_by: str
    entered_at: datetime


class AppliedSettingsPublic(BaseModel):
    """A change of what the gateway applies to a sensor, as its status said it."""

    model_config = ConfigDict(from_attributes=True)
    sensor: str
    gateway: str
    profile: str | None
    calibration: dict[str, float]
    since: datetime = Field(description="the status's own time: applied from then")
    received_at: datetime


class ReadingImportPublic(BaseModel):
    """One historical import of readings (ingest/history.py): who, when, which file,
    and what came of its rows; `refused` rows are listed by
    `GET /api/v1/readings/imports/{id}/refused`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    file_name: str
    sha256: str
    imported_by: str
    started_at: datetime
    finished_at: datetime | None  # None: the import was stopped before its end
    time_zone: str | None
    reason: str | None
    rows: int
    stored: int  # values (sensor, quantity, time) newly stored
    already_stored: int  # values stored before (live, or an earlier import)
    refused: int


class ReadingImportRefusalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line: int  # in the file, the header being line 1
    reason: str
