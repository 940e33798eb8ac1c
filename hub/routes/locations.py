"""Locations: bins and shelf places inside zones (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, recorded, reply
from inventory import masterdata
from inventory.masterdata import LocationCreate, LocationUpdate, by_code
from inventory.orm import Location
from kernel.actors import Role
from kernel.orm import Zone

router = APIRouter(tags=["locations"])
admin_only = [Depends(require_role(Role.ADMIN))]


class LocationPublic(BaseModel):
    id: int
    code: str
    name: str | None
    zone: str
    active: bool


def location_public(location: Location) -> LocationPublic:
    return LocationPublic(id=location.id, code=location.code, name=location.name,
                          zone=location.zone.code, active=location.active)


@router.get("/locations", response_model=list[LocationPublic])
def list_locations(session: SessionDep, zone: str | None = None) -> list[LocationPublic]:
    query = select(Location).order_by(Location.code)
    if zone:
        query = query.join(Zone).where(Zone.code == zone)
    return [location_public(loc) for loc in session.scalars(query)]


@router.get("/locations/{code}", response_model=LocationPublic)
def get_location(code: str, session: SessionDep) -> LocationPublic:
    return location_public(by_code(session, Location, code, "location"))


@router.post("/locations", response_model=LocationPublic, status_code=201,
             dependencies=admin_only)
def create_location(
    body: LocationCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    response: Response,
) -> LocationPublic:
    done = masterdata.create_location(session, body,
                                      recorded(idem, LocationPublic, location_public))
    return reply(done, LocationPublic, response, location_public)


@router.patch("/locations/{code}", response_model=LocationPublic, dependencies=admin_only)
def update_location(
    code: str, body: LocationUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    response: Response,
) -> LocationPublic:
    done = masterdata.update_location(session, code, body,
                                      recorded(idem, LocationPublic, location_public))
    return reply(done, LocationPublic, response, location_public)
