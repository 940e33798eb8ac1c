"""Locations: bins and shelf places inside zones (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from hub.auth import CurrentUser, require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from inventory import masterdata, queries
from inventory.schemas import LocationCreate, LocationPublic, LocationUpdate
from kernel.actors import Role

router = APIRouter(tags=["locations"])
admin_only = [Depends(require_role(Role.ADMIN))]


@router.get("/locations", response_model=list[LocationPublic])
def list_locations(session: SessionDep, zone: str | None = None) -> list[LocationPublic]:
    return queries.locations(session, zone)


@router.get("/locations/{code}", response_model=LocationPublic)
def get_location(code: str, session: SessionDep) -> LocationPublic:
    return queries.location(session, code)


@router.post("/locations", response_model=LocationPublic, status_code=201,
             dependencies=admin_only)
def create_location(
    body: LocationCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(LocationPublic)
    done = masterdata.create_location(session, body, answer.keyed(idem),
        actor=user, reason=reason)
    return answer.response(done)


@router.patch("/locations/{code}", response_model=LocationPublic, dependencies=admin_only)
def update_location(
    code: str, body: LocationUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(LocationPublic)
    done = masterdata.update_location(session, code, body, answer.keyed(idem),
        actor=user, reason=reason)
    return answer.response(done)
