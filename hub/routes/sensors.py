"""Sensors, their latest readings and hourly statistics; dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from hub.auth import Admin, CurrentUser, require_role
from hub.deps import HubDep, SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from ingest import queries, sensors
from ingest.schemas import (
    DeadLetterPublic,
    HourPublic,
    LatestPublic,
    SensorCreate,
    SensorPublic,
    SensorUpdate,
)
from kernel.actors import Role
from kernel.fields import IsoDateTime

router = APIRouter(tags=["sensors"])
admin_only = [Depends(require_role(Role.ADMIN))]


def _invalidate_zones(hub: HubDep) -> None:
    if hub.ingest is not None:
        hub.ingest.refresh_zones()


@router.get("/sensors", response_model=list[SensorPublic])
def list_sensors(
    session: SessionDep,
    zone: Annotated[str | None, Query(description="only this zone")] = None,
    unassigned: Annotated[bool, Query(description="only sensors in no zone")] = False,
) -> list[SensorPublic]:
    return queries.list_sensors(session, zone=zone, unassigned=unassigned)


@router.post("/sensors", response_model=SensorPublic, status_code=status.HTTP_201_CREATED,
             dependencies=admin_only)
def register_sensor(body: SensorCreate, session: WriteSessionDep, hub: HubDep,
                    idem: OptionalIdempotencyDep, user: CurrentUser,
                    reason: ReasonQuery = None) -> Response:
    """Register a sensor, named and (optionally) in a zone (admin: a sensor's zone
    decides which lots an excursion holds)."""
    answer = Answer(SensorPublic)
    done = sensors.register_sensor(session, body, answer.keyed(idem), actor=user,
                                   reason=reason)
    _invalidate_zones(hub)
    return answer.response(done)


@router.get("/sensors/{sensor_id}", response_model=SensorPublic)
def get_sensor(sensor_id: str, session: SessionDep) -> SensorPublic:
    return queries.get_sensor(session, sensor_id)


@router.patch("/sensors/{sensor_id}", response_model=SensorPublic)
def update_sensor(sensor_id: str, body: SensorUpdate, session: WriteSessionDep, hub: HubDep,
                  actor: Admin, idem: OptionalIdempotencyDep,
                  reason: ReasonQuery = None) -> Response:
    """Rename a sensor, move it between zones, or move it to another gateway (admin:
    from then on only that gateway's readings of it are taken)."""
    answer = Answer(SensorPublic)
    done = sensors.update_sensor(session, sensor_id, body, actor, answer.keyed(idem), reason)
    _invalidate_zones(hub)
    return answer.response(done)


@router.get("/readings/latest", response_model=list[LatestPublic])
def latest_readings(
    session: SessionDep,
    zone: Annotated[str | None, Query()] = None,
    sensor: Annotated[str | None, Query()] = None,
) -> list[LatestPublic]:
    return queries.latest_readings(session, zone=zone, sensor=sensor)


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or datetime.now(UTC)
    return start or end - timedelta(hours=24), end


Start = Annotated[IsoDateTime | None, Query(
    description="ISO 8601, UTC unless an offset is given; default: 24 hours before end")]
End = Annotated[IsoDateTime | None, Query(
    description="ISO 8601, UTC unless an offset is given; default: now")]


@router.get("/sensors/{sensor_id}/hourly", response_model=list[HourPublic])
def sensor_hourly(
    sensor_id: str, session: SessionDep, start: Start = None, end: End = None,
    quantity: Annotated[str | None, Query()] = None,
) -> list[HourPublic]:
    return queries.sensor_hours(session, sensor_id, *_period(start, end), quantity)


@router.get("/zones/{code}/hourly", response_model=list[HourPublic])
def zone_hourly(
    code: str, session: SessionDep, start: Start = None, end: End = None,
    quantity: Annotated[str | None, Query()] = None,
) -> list[HourPublic]:
    return queries.zone_hours(session, code, *_period(start, end), quantity)


@router.get("/dead-letters", response_model=list[DeadLetterPublic])
def dead_letters(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[DeadLetterPublic]:
    return queries.recent_dead_letters(session, limit)
