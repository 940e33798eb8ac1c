"""Locations: bins and shelf places inside zones (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, by_code, refuse_duplicate, respond
from inventory.domain import Role
from inventory.orm import Location, Zone
from inventory.uow import run_write

router = APIRouter(tags=["locations"])
admin_only = [Depends(require_role(Role.ADMIN))]


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, max_length=128)
    zone: str | None = Field(None, description="zone code")
    active: bool | None = None


class LocationCreate(LocationUpdate):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$", examples=["A-01-02"])
    zone: str = Field(description="zone code")


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
    body: LocationCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        refuse_duplicate(session, Location, "location", code=body.code)
        location = Location(code=body.code, name=body.name,
                            zone=by_code(session, Zone, body.zone, "zone"),
                            active=True if body.active is None else body.active)
        session.add(location)
        session.flush()
        return location_public(location).model_dump(mode="json")

    return respond(run_write(session, work, status=201, idempotency=idem))


@router.patch("/locations/{code}", response_model=LocationPublic, dependencies=admin_only)
def update_location(
    code: str, body: LocationUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        location = by_code(session, Location, code, "location")
        values = body.model_dump(exclude_unset=True)
        if values.get("zone"):
            location.zone = by_code(session, Zone, values.pop("zone"), "zone")
        for name, value in values.items():
            setattr(location, name, value)
        session.flush()
        return location_public(location).model_dump(mode="json")

    return respond(run_write(session, work, idempotency=idem))
