"""Zones: rooms or areas with one storage class, hazardous or not (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.auth import IdempotencyDep, Supervisor, require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, by_code, refuse_duplicate, respond
from hub.routes.lots import LotStatusPublic
from inventory import services
from inventory.domain import Role
from inventory.orm import StorageClass, Zone
from inventory.uow import run_write

router = APIRouter(tags=["zones"])
admin_only = [Depends(require_role(Role.ADMIN))]


class ZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=128)
    storage_class: str | None = Field(None, description="storage class code")
    hazardous: bool | None = None


class ZoneCreate(ZoneUpdate):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    name: str = Field(min_length=1, max_length=128)
    hazardous: bool = False


class ZonePublic(BaseModel):
    id: int
    code: str
    name: str
    storage_class: str | None
    hazardous: bool


def zone_public(zone: Zone) -> ZonePublic:
    return ZonePublic(
        id=zone.id, code=zone.code, name=zone.name, hazardous=zone.hazardous,
        storage_class=zone.storage_class.code if zone.storage_class else None,
    )


def _apply(session: WriteSessionDep, zone: Zone, body: ZoneUpdate) -> None:
    values = body.model_dump(exclude_unset=True)
    if "storage_class" in values:
        code = values.pop("storage_class")
        zone.storage_class = (
            by_code(session, StorageClass, code, "storage class") if code else None
        )
    for name, value in values.items():
        setattr(zone, name, value)


@router.get("/zones", response_model=list[ZonePublic])
def list_zones(session: SessionDep) -> list[ZonePublic]:
    return [zone_public(z) for z in session.scalars(select(Zone).order_by(Zone.code))]


@router.get("/zones/{code}", response_model=ZonePublic)
def get_zone(code: str, session: SessionDep) -> ZonePublic:
    return zone_public(by_code(session, Zone, code, "zone"))


@router.post("/zones", response_model=ZonePublic, status_code=201, dependencies=admin_only)
def create_zone(
    body: ZoneCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        refuse_duplicate(session, Zone, "zone", code=body.code)
        zone = Zone(code=body.code, name=body.name, hazardous=body.hazardous)
        _apply(session, zone, ZoneUpdate(storage_class=body.storage_class))
        session.add(zone)
        session.flush()
        return zone_public(zone).model_dump(mode="json")

    return respond(run_write(session, work, status=201, idempotency=idem))


class HoldLots(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500, examples=["excursion to 14 °C for 3 h"])


@router.post("/zones/{code}/hold-lots", response_model=list[LotStatusPublic])
def hold_lots(code: str, body: HoldLots, session: WriteSessionDep, user: Supervisor,
              idem: IdempotencyDep) -> JSONResponse:
    """Put every released lot with stock in the zone on hold (supervisor), e.g. after
    a critical temperature excursion; quality then releases or rejects each lot."""
    return respond(services.hold_lots_in_zone(session, code, body.reason, user, idem))


@router.patch("/zones/{code}", response_model=ZonePublic, dependencies=admin_only)
def update_zone(
    code: str, body: ZoneUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        zone = by_code(session, Zone, code, "zone")
        _apply(session, zone, body)
        session.flush()
        return zone_public(zone).model_dump(mode="json")

    return respond(run_write(session, work, idempotency=idem))
