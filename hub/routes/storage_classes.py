"""Storage classes: bands of temperature and humidity (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from hub.accounts.signing import SIGNED, signer_for
from hub.auth import CurrentUser, require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from inventory import masterdata, queries
from inventory.schemas import StorageClassCreate, StorageClassPublic, StorageClassUpdate
from kernel.actors import Role
from kernel.signatures import LIMITS

router = APIRouter(tags=["storage classes"])
admin_only = [Depends(require_role(Role.ADMIN))]


@router.get("/storage-classes", response_model=list[StorageClassPublic])
def list_storage_classes(session: SessionDep) -> list[StorageClassPublic]:
    return queries.storage_classes(session)


@router.get("/storage-classes/{code}", response_model=StorageClassPublic)
def get_storage_class(code: str, session: SessionDep) -> StorageClassPublic:
    return queries.storage_class(session, code)


@router.post("/storage-classes", response_model=StorageClassPublic, status_code=201,
             dependencies=admin_only)
def create_storage_class(
    body: StorageClassCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(StorageClassPublic)
    done = masterdata.create_storage_class(session, body, answer.keyed(idem),
        actor=user, reason=reason)
    return answer.response(done)


@router.patch("/storage-classes/{code}", response_model=StorageClassPublic,
              dependencies=admin_only, responses=SIGNED)
def update_storage_class(
    code: str, body: StorageClassUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(StorageClassPublic)
    # A change of limits or tolerance is signed: proven here, required by the use case
    # when the change turns out to touch them (kernel/signatures.py).
    signer = signer_for(session, user, body.signature, LIMITS, needed=False)
    done = masterdata.update_storage_class(session, code, body, answer.keyed(idem),
        actor=user, reason=reason, signer=signer)
    return answer.response(done)
