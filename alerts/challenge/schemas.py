"""The alarm path challenge's API models: the request, a test with its recipients, and
the report of a period (hub/routes/alarm_tests.py declares them as `response_model`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RecipientStatus = Literal["queued", "sending", "delivered", "failed"]


# What a supervisor asks for: every route by default, or one route, or one group.
class AlarmTestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: str | None = Field(None, max_length=64, description="one route only; default all")
    group: str | None = Field(None, max_length=64,
                              description="one recipient group only (on the routes naming it)")
    note: str | None = Field(None, max_length=500, description="kept with the test")


# One recipient of a test: one URL of a group, on one route; the URL is shown masked.
class AlarmTestRecipientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    route: str
    group: str
    target: str = Field(description="the URL's scheme and index in its group")
    recipient: str = Field(description="the URL with its secrets masked")
    status: RecipientStatus
    attempts: int
    error: str | None = Field(description="why the send failed (URL secrets masked)")
    sent_at: datetime | None = Field(description="when the send was delivered or failed")
    confirmed_at: datetime | None
    confirmed_by: str | None


# A test: who asked, what it covered (`complete`: every route), and each recipient.
class AlarmTestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    requested_by: str
    requested_at: datetime
    route: str | None
    group: str | None
    complete: bool = Field(description="every route was tested: counts for the schedule")
    note: str | None
    finished_at: datetime | None = Field(description="every recipient delivered or failed")
    delivered: int
    failed: int
    confirmed: int
    recipients: list[AlarmTestRecipientPublic]


# The confirm page's view of one recipient, found by its link's token.
class ConfirmView(BaseModel):
    model_config = ConfigDict(frozen=True)

    test_id: int
    requested_by: str
    requested_at: datetime
    route: str
    group: str
    recipient: str
    confirmed_at: datetime | None
    confirmed_by: str | None


# The report of a period: the tests and a summary.
class AlarmTestReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    tests: int
    complete_tests: int
    recipients: int
    delivered: int
    failed: int
    confirmed: int
    last_complete_test: datetime | None
    rows: list[AlarmTestPublic]
