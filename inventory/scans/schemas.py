"""The scanner registry and the journal of MQTT scans as the API shows them, one
family: what an admin says about a scanner (the registration) and what every answer
shows (a registered scanner, a journal entry). inventory/scans/registry.py returns
the Public models; the routes declare them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.wire import ScanMode


class ScannerRegistration(BaseModel):
    """What an admin says about one scanner of a gateway."""

    model_config = ConfigDict(extra="forbid")
    operator: str = Field(min_length=1, max_length=64,
                          description="the user account its scans book as (an active user)")
    modes: list[ScanMode] = Field(min_length=1, max_length=len(ScanMode),
                                  description="the modes its scans may use; others are refused")
    location: str | None = Field(None, max_length=64,
                                 description="the bin a scan books at when it names none")

    @field_validator("modes")
    @classmethod
    def _distinct(cls, modes: list[ScanMode]) -> list[ScanMode]:
        return list(dict.fromkeys(modes))


class ScannerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    gateway: str
    scanner: str
    operator: str = Field(description="the account its scans book as")
    operator_active: bool
    modes: list[ScanMode] = Field(description="modes its scans may use; others are refused")
    location: str | None = Field(description="the bin a scan books at when it names none")
    updated_at: datetime


class ScanRecordPublic(BaseModel):
    # Read straight from a scan_records row.
    model_config = ConfigDict(from_attributes=True)
    id: int
    received_at: datetime
    site: str
    gateway: str
    seq: int | None = Field(description="none when the message could not be read")
    scanner: str | None
    scanned_at: datetime | None
    mode: str | None
    raw: str | None
    outcome: str = Field(description="booked, refused, identified, label")
    ok: bool
    code: str | None = Field(description="why it was refused, as a stable word")
    message: str = Field(description="what the gateway was told, in plain words")
    lines: list[dict[str, object]]
    booking: str | None
    username: str | None = Field(description="the account it booked as")

    @field_validator("lines", mode="before")
    @classmethod
    def _no_lines(cls, lines: Any) -> Any:
        return [] if lines is None else lines
