"""Storage classes: bands of temperature and humidity (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, recorded, reply
from inventory import masterdata
from inventory.masterdata import StorageClassCreate, StorageClassUpdate, by_code
from kernel.actors import Role
from kernel.orm import StorageClass

router = APIRouter(tags=["storage classes"])
admin_only = [Depends(require_role(Role.ADMIN))]


class StorageClassPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    mkt_delta_h: float | None = None
    mkt_window_h: int | None = None
    temp_min_c: float | None
    temp_max_c: float | None
    humidity_min_pct: float | None
    humidity_max_pct: float | None


@router.get("/storage-classes", response_model=list[StorageClassPublic])
def list_storage_classes(session: SessionDep) -> list[StorageClass]:
    return list(session.scalars(select(StorageClass).order_by(StorageClass.code)))


@router.get("/storage-classes/{code}", response_model=StorageClassPublic)
def get_storage_class(code: str, session: SessionDep) -> StorageClass:
    return by_code(session, StorageClass, code, "storage class")


@router.post("/storage-classes", response_model=StorageClassPublic, status_code=201,
             dependencies=admin_only)
def create_storage_class(
    body: StorageClassCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    response: Response,
) -> StorageClassPublic:
    done = masterdata.create_storage_class(
        session, body, recorded(idem, StorageClassPublic, _public))
    return reply(done, StorageClassPublic, response, _public)


@router.patch("/storage-classes/{code}", response_model=StorageClassPublic,
              dependencies=admin_only)
def update_storage_class(
    code: str, body: StorageClassUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    response: Response,
) -> StorageClassPublic:
    done = masterdata.update_storage_class(
        session, code, body, recorded(idem, StorageClassPublic, _public))
    return reply(done, StorageClassPublic, response, _public)


def _public(row: StorageClass) -> StorageClassPublic:
    return StorageClassPublic.model_validate(row)
