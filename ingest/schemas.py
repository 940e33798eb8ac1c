"""Ingest's API models, one family per entity: a sensor (Create, Update, Public), its
latest readings, its hours, and the dead letters. The read models of ingest/queries.py
return these; the routes declare them as their response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.wire import ID_PATTERN, GatewayId
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
