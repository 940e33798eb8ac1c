"""The alarm engine's API models, one family per entity: what the store and the
queries return and what the routes answer (hub/routes/alarms.py declares them as
`response_model`), so a new field is written once. Built from the ORM rows
(`from_attributes`); the request bodies of the operator's actions are here too.

Dataclasses stay for what never leaves the part: the evaluator's state, the
transitions, the planner's messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alerts.model import AlarmKey
from kernel.signatures import SignatureIn, SignaturePublic

SeverityName = Literal["info", "warning", "critical"]
AlarmStateName = Literal["active", "acknowledged", "cleared", "closed"]


# An alarm as it stands: the row of one (rule, subject) while open, and after. (Comments,
# not docstrings, above the models: a docstring would become the OpenAPI description.)
class AlarmPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    rule: str
    subject: str
    kind: str
    state: AlarmStateName
    severity: SeverityName
    zone: str | None
    gateway: str | None
    value: float | None
    limit: float | None
    message: str
    raised_at: datetime
    episode_since: datetime | None = Field(
        None, description="when the condition of its latest episode began (e.g. the value "
        "went out of range), before the delay")
    updated_at: datetime
    cleared_at: datetime | None
    closed_at: datetime | None
    acked_by: str | None
    acked_at: datetime | None
    ack_comment: str | None
    shelved: bool
    shelved_until: datetime | None
    shelved_by: str | None
    shelve_reason: str | None

    @property
    def key(self) -> AlarmKey:
        return AlarmKey(self.rule, self.subject)


# One row of an alarm's audit trail: one transition, by whom, when.
class AlarmEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int = Field(description="also the live feed's cursor")
    alarm_id: int
    event: str
    from_state: str
    to_state: str
    severity: SeverityName
    at: datetime
    by: str | None
    comment: str | None
    value: float | None
    message: str


class AlarmDetailPublic(BaseModel):
    alarm: AlarmPublic
    events: list[AlarmEventPublic] = Field(description="the audit trail, oldest first")
    signatures: list[SignaturePublic] = Field(
        default_factory=list, description="signed acknowledgements (kernel/signatures.py)")


class ChangesPublic(BaseModel):
    cursor: int = Field(description="pass it as `since` next time")
    events: list[AlarmEventPublic]
    alarms: list[AlarmPublic] = Field(description="the alarms those events changed, as now")


class PendingPublic(BaseModel):
    rule: str
    subject: str
    since: datetime | None
    severity: SeverityName


class Acknowledge(BaseModel):
    comment: str = Field("", max_length=1000)
    signature: SignatureIn | None = Field(
        None, description="an electronic signature (the password again, meaning `reviewed`); "
        "required for the severities the site's `signature_ack_severities` names (default "
        "critical)")


class ShelveBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    minutes: int = Field(ge=1, le=7 * 24 * 60, description="how long the alarm stays shelved")


class UnshelveBody(BaseModel):
    reason: str = Field("", max_length=500)


# A compliance record: a period one sensor's quantity spent out of range.
class ExcursionPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    sensor: str
    quantity: str
    zone: str | None
    start: datetime
    end: datetime | None
    duration_s: float | None
    peak: float
    side: Literal["above", "below"]
    severity: SeverityName
    above_s: float
    below_s: float
    critical_s: float
    tolerance_passed: bool
    held_at: datetime | None
    held_lots: list[str]
    hold_reason: str | None
    last_value: float | None = Field(None, description="the last value read (live while under way)")
    as_of: datetime | None = Field(None, description="when the figures were counted up to")
    tolerance_s: float | None = Field(
        None, description="critical time the zone tolerates before its lots go on hold")
    tolerance_left_s: float | None = Field(
        None, description="critical time left before the hold (0 once passed)")


class NotificationPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    route: str
    group: str
    target: str = Field(description="the URL's scheme and index in its group, never the URL")
    title: str
    alarm_ids: list[int]
    status: Literal["sent", "failed"]
    attempts: int
    error: str | None
    at: datetime


class RulesPublic(BaseModel):
    source: Literal["file", "api"]
    file: str | None
    rules: dict[str, Any] = Field(description=(
        "as in examples/alarms.yaml (defaults left out, durations as `5m`), recipient URLs "
        "with their passwords and tokens masked as `***`: PUT takes it back unchanged"))
