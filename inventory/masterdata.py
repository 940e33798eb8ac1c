"""Master data shared by the API and the CSV import: items and their fields."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.domain import AllocationPolicy
from inventory.errors import Conflict, NotFound
from inventory.orm import Base, Item, StorageClass


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


M = TypeVar("M", bound=Base)


def by_code(session: Session, model: type[M], code: str, what: str) -> M:
    """A master-data row by its code, or NotFound naming what was looked for."""
    found = session.scalar(select(model).where(model.code == code))  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(f"no {what} {code}", code=f"{what.replace(' ', '_')}_not_found")
    return found


def apply_item_fields(session: Session, item: Item, values: dict[str, Any]) -> None:
    if "storage_class" in values:
        code = values.pop("storage_class")
        item.storage_class = (
            by_code(session, StorageClass, str(code), "storage class") if code else None
        )
    for name, value in values.items():
        setattr(item, name, value.value if isinstance(value, AllocationPolicy) else value)


def create_item(session: Session, body: ItemCreate) -> Item:
    """Used by the route and by the CSV import (caller's transaction)."""
    for column, value in (("sku", body.sku), ("gtin", body.gtin)):
        if value and session.scalar(select(Item).where(getattr(Item, column) == value)):
            raise Conflict(f"item with {column} {value} exists already", code="item_exists")
    item = Item(sku=body.sku, name=body.name)
    apply_item_fields(session, item, body.model_dump(exclude={"sku"}))
    session.add(item)
    session.flush()
    return item


