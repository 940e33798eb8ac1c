"""Storage classes: bands of temperature and humidity (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, by_code, refuse_duplicate, respond
from inventory.domain import Role
from inventory.orm import StorageClass
from inventory.uow import run_write

router = APIRouter(tags=["storage classes"])
admin_only = [Depends(require_role(Role.ADMIN))]


class StorageClassUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=128)
    temp_min_c: float | None = Field(None, ge=-100, le=100)
    temp_max_c: float | None = Field(None, ge=-100, le=100)
    humidity_min_pct: float | None = Field(None, ge=0, le=100)
    humidity_max_pct: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def _ranges_ordered(self) -> StorageClassUpdate:
        for low, high in (("temp_min_c", "temp_max_c"), ("humidity_min_pct", "humidity_max_pct")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} must not be above {high}")
        return self


class StorageClassCreate(StorageClassUpdate):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,31}$", examples=["2-8C"])
    name: str = Field(min_length=1, max_length=128)


class StorageClassPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
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
    body: StorageClassCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        refuse_duplicate(session, StorageClass, "storage class", code=body.code)
        row = StorageClass(**body.model_dump())
        session.add(row)
        session.flush()
        return StorageClassPublic.model_validate(row).model_dump(mode="json")

    return respond(run_write(session, work, status=201, idempotency=idem))


@router.patch("/storage-classes/{code}", response_model=StorageClassPublic,
              dependencies=admin_only)
def update_storage_class(
    code: str, body: StorageClassUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        row = by_code(session, StorageClass, code, "storage class")
        for name, value in body.model_dump(exclude_unset=True).items():
            setattr(row, name, value)
        session.flush()
        return StorageClassPublic.model_validate(row).model_dump(mode="json")

    return respond(run_write(session, work, idempotency=idem))
