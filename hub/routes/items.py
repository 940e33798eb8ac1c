"""Items: what is kept in stock (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, refuse_duplicate, respond
from inventory import repository as repo
from inventory.domain import AllocationPolicy, Role
from inventory.masterdata import ItemCreate, ItemUpdate, apply_item_fields, create_item
from inventory.orm import Item
from inventory.uow import run_write

router = APIRouter(tags=["items"])
admin_only = [Depends(require_role(Role.ADMIN))]


class ItemPublic(BaseModel):
    id: int
    sku: str
    gtin: str | None
    name: str
    unit: str
    storage_class: str | None
    min_stock: int
    policy: AllocationPolicy
    hazardous: bool
    abc_class: str | None
    quarantine_on_receipt: bool


def item_public(item: Item) -> ItemPublic:
    return ItemPublic(
        id=item.id, sku=item.sku, gtin=item.gtin, name=item.name, unit=item.unit,
        storage_class=item.storage_class.code if item.storage_class else None,
        min_stock=item.min_stock, policy=AllocationPolicy(item.policy), hazardous=item.hazardous,
        abc_class=item.abc_class, quarantine_on_receipt=item.quarantine_on_receipt,
    )


@router.get("/items", response_model=list[ItemPublic])
def list_items(session: SessionDep) -> list[ItemPublic]:
    return [item_public(i) for i in session.scalars(select(Item).order_by(Item.sku))]


@router.get("/items/{reference}", response_model=ItemPublic)
def get_item(reference: str, session: SessionDep) -> ItemPublic:
    """By SKU or GTIN."""
    return item_public(repo.item_by_reference(session, reference))


@router.post("/items", response_model=ItemPublic, status_code=201, dependencies=admin_only)
def post_item(
    body: ItemCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        return item_public(create_item(session, body)).model_dump(mode="json")

    return respond(run_write(session, work, status=201, idempotency=idem))


@router.patch("/items/{reference}", response_model=ItemPublic, dependencies=admin_only)
def update_item(
    reference: str, body: ItemUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep
) -> JSONResponse:
    def work() -> object:
        item = repo.item_by_reference(session, reference)
        values = body.model_dump(exclude_unset=True)
        if values.get("gtin") and values["gtin"] != item.gtin:
            refuse_duplicate(session, Item, "item", gtin=values["gtin"])
        apply_item_fields(session, item, values)
        session.flush()
        return item_public(item).model_dump(mode="json")

    return respond(run_write(session, work, idempotency=idem))
