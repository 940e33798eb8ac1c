"""Items: what is kept in stock (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, by_code, refuse_duplicate, respond
from inventory import repository as repo
from inventory.domain import AllocationPolicy, Role
from inventory.orm import Item, StorageClass
from inventory.uow import run_write

router = APIRouter(tags=["items"])
admin_only = [Depends(require_role(Role.ADMIN))]


def normalise_gtin(value: str | None) -> str | None:
    """A valid GTIN-8/12/13/14 as 14 digits (biip checks the check digit)."""
    if value is None:
        return None
    from biip import ParseError
    from biip.gtin import Gtin

    try:
        return Gtin.parse(value).as_gtin_14()
    except ParseError as exc:
        raise ValueError(str(exc)) from None


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=200)
    gtin: str | None = Field(None, description="GTIN-8, -12, -13 or -14; stored as 14 digits")
    unit: str | None = Field(None, min_length=1, max_length=16)
    storage_class: str | None = Field(None, description="storage class code")
    min_stock: int | None = Field(None, ge=0)
    policy: AllocationPolicy | None = None
    hazardous: bool | None = None
    abc_class: str | None = Field(None, pattern="^[ABC]$")
    quarantine_on_receipt: bool | None = Field(
        None, description="receipts enter quarantine until quality releases them"
    )

    _gtin = field_validator("gtin")(normalise_gtin)


class ItemCreate(ItemUpdate):
    sku: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field("each", min_length=1, max_length=16)
    min_stock: int = Field(0, ge=0)
    policy: AllocationPolicy = AllocationPolicy.FEFO
    hazardous: bool = False
    quarantine_on_receipt: bool = False


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


def apply_item_fields(session: WriteSessionDep, item: Item, values: dict[str, object]) -> None:
    if "storage_class" in values:
        code = values.pop("storage_class")
        item.storage_class = (
            by_code(session, StorageClass, str(code), "storage class") if code else None
        )
    for name, value in values.items():
        setattr(item, name, value.value if isinstance(value, AllocationPolicy) else value)


def create_item(session: WriteSessionDep, body: ItemCreate) -> Item:
    """Used by the route and by the CSV import (caller's transaction)."""
    refuse_duplicate(session, Item, "item", sku=body.sku, gtin=body.gtin)
    item = Item(sku=body.sku, name=body.name)
    apply_item_fields(session, item, body.model_dump(exclude={"sku"}))
    session.add(item)
    session.flush()
    return item


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
