"""Items: what is kept in stock (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from hub.auth import CurrentUser, require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from inventory import masterdata, queries
from inventory.schemas import ItemCreate, ItemPublic, ItemUpdate
from kernel.actors import Role

router = APIRouter(tags=["items"])
admin_only = [Depends(require_role(Role.ADMIN))]


@router.get("/items", response_model=list[ItemPublic])
def list_items(session: SessionDep) -> list[ItemPublic]:
    return queries.items(session)


@router.get("/items/{reference}", response_model=ItemPublic)
def get_item(reference: str, session: SessionDep) -> ItemPublic:
    """By SKU or GTIN."""
    return queries.item(session, reference)


@router.post("/items", response_model=ItemPublic, status_code=201, dependencies=admin_only)
def post_item(
    body: ItemCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(ItemPublic)
    done = masterdata.create_item(session, body, answer.keyed(idem),
        actor=user, reason=reason)
    return answer.response(done)


@router.patch("/items/{reference}", response_model=ItemPublic, dependencies=admin_only)
def update_item(
    reference: str, body: ItemUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(ItemPublic)
    done = masterdata.update_item(session, reference, body, answer.keyed(idem),
        actor=user, reason=reason)
    return answer.response(done)
