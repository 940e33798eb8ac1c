"""Items: what is kept in stock (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, recorded, reply
from inventory import masterdata
from inventory import repository as repo
from inventory.domain import AllocationPolicy
from inventory.masterdata import ItemCreate, ItemUpdate
from inventory.orm import Item
from kernel.actors import Role

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
    max_stock: int | None = None
    policy: AllocationPolicy
    hazardous: bool
    abc_class: str | None
    quarantine_on_receipt: bool
    unit_cost: float | None = None


def item_public(item: Item) -> ItemPublic:
    return ItemPublic(
        id=item.id, sku=item.sku, gtin=item.gtin, name=item.name, unit=item.unit,
        storage_class=item.storage_class.code if item.storage_class else None,
        min_stock=item.min_stock, max_stock=item.max_stock, policy=AllocationPolicy(item.policy),
        hazardous=item.hazardous,
        abc_class=item.abc_class, quarantine_on_receipt=item.quarantine_on_receipt,
        unit_cost=None if item.unit_cost is None else float(item.unit_cost),
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
    body: ItemCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep, response: Response
) -> ItemPublic:
    done = masterdata.create_item(session, body, recorded(idem, ItemPublic, item_public))
    return reply(done, ItemPublic, response, item_public)


@router.patch("/items/{reference}", response_model=ItemPublic, dependencies=admin_only)
def update_item(
    reference: str, body: ItemUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    response: Response,
) -> ItemPublic:
    done = masterdata.update_item(session, reference, body,
                                  recorded(idem, ItemPublic, item_public))
    return reply(done, ItemPublic, response, item_public)
