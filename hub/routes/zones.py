"""Zones: rooms or areas with one storage class. (Full master-data CRUD: inventory.)"""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.deps import SessionDep
from inventory.errors import Conflict, NotFound
from inventory.orm import Zone

router = APIRouter(tags=["zones"])


class ZoneCreate(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    name: str = Field(min_length=1, max_length=128)
    hazardous: bool = False


class ZonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    hazardous: bool


@router.get("/zones", response_model=list[ZonePublic])
def list_zones(session: SessionDep) -> list[Zone]:
    return list(session.scalars(select(Zone).order_by(Zone.code)))


@router.post("/zones", response_model=ZonePublic, status_code=status.HTTP_201_CREATED)
def create_zone(body: ZoneCreate, session: SessionDep) -> Zone:
    with session.begin():
        if session.scalar(select(Zone).where(Zone.code == body.code)):
            raise Conflict(f"zone {body.code} exists already", code="zone_exists")
        zone = Zone(code=body.code, name=body.name, hazardous=body.hazardous)
        session.add(zone)
    return zone


@router.get("/zones/{code}", response_model=ZonePublic)
def get_zone(code: str, session: SessionDep) -> Zone:
    zone = session.scalar(select(Zone).where(Zone.code == code))
    if zone is None:
        raise NotFound(f"no zone {code}", code="zone_not_found")
    return zone
