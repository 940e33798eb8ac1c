"""Master data: items, zones, locations and storage classes. The input models and
one service function per change, each in the one unit of work (`run_write`).
Used by the API and by the CSV import.

On a PATCH, a field left out keeps its stored value; an explicit null clears the
fields that may be empty (their descriptions say so) and is refused with the
field named for the others."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory.domain import AllocationPolicy
from inventory.orm import Item, Location
from kernel.errors import Conflict, Invalid, NotFound
from kernel.fields import KEEP_OR_SET, MAX_QUANTITY, NULL_CLEARS, refuse_null
from kernel.orm import Base, StorageClass, Zone
from kernel.uow import Done, Idempotency, run_write

M = TypeVar("M", bound=Base)


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


# --- input models


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=200, description=KEEP_OR_SET)
    gtin: str | None = Field(
        None, description=f"GTIN-8, -12, -13 or -14; stored as 14 digits; {NULL_CLEARS}")
    unit: str | None = Field(None, min_length=1, max_length=16, description=KEEP_OR_SET)
    storage_class: str | None = Field(None, description=f"storage class code; {NULL_CLEARS}")
    min_stock: int | None = Field(None, ge=0, le=MAX_QUANTITY, description=KEEP_OR_SET)
    max_stock: int | None = Field(
        None, ge=0, le=MAX_QUANTITY,
        description=f"above it the item is overstocked (an alarm); {NULL_CLEARS}")
    policy: AllocationPolicy | None = Field(None, description=KEEP_OR_SET)
    hazardous: bool | None = Field(None, description=KEEP_OR_SET)
    abc_class: str | None = Field(None, pattern="^[ABC]$", description=NULL_CLEARS)
    quarantine_on_receipt: bool | None = Field(
        None, description=f"receipts enter quarantine until quality releases them; {KEEP_OR_SET}"
    )
    unit_cost: Decimal | None = Field(
        None, ge=0, max_digits=12, decimal_places=4,
        description=f"value of one unit, for the variance of a stocktake; {NULL_CLEARS}")

    _gtin = field_validator("gtin")(normalise_gtin)
    _not_null = field_validator(
        "name", "unit", "min_stock", "policy", "hazardous", "quarantine_on_receipt",
        mode="before")(refuse_null)


class ItemCreate(ItemUpdate):
    sku: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field("each", min_length=1, max_length=16)
    min_stock: int = Field(0, ge=0, le=MAX_QUANTITY)
    policy: AllocationPolicy = AllocationPolicy.FEFO
    hazardous: bool = False
    quarantine_on_receipt: bool = False


class ZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=128, description=KEEP_OR_SET)
    storage_class: str | None = Field(None, description=f"storage class code; {NULL_CLEARS}")
    hazardous: bool | None = Field(None, description=KEEP_OR_SET)

    _not_null = field_validator("name", "hazardous", mode="before")(refuse_null)


class ZoneCreate(ZoneUpdate):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    name: str = Field(min_length=1, max_length=128)
    hazardous: bool = False


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, max_length=128, description=NULL_CLEARS)
    zone: str | None = Field(None, description=f"zone code; {KEEP_OR_SET}")
    active: bool | None = Field(None, description=KEEP_OR_SET)

    _not_null = field_validator("zone", "active", mode="before")(refuse_null)


class LocationCreate(LocationUpdate):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$", examples=["A-01-02"])
    zone: str = Field(description="zone code")


class StorageClassUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=128, description=KEEP_OR_SET)
    mkt_delta_h: float | None = Field(
        None, gt=0, le=1_000_000, description="ΔH for mean kinetic temperature, J/mol; unset: "
        f"83144 (USP <1079.2>). {NULL_CLEARS}")
    mkt_window_h: int | None = Field(
        None, ge=1, le=24 * 366, description="MKT window in hours; unset: 24 for cold storage "
        f"(upper limit at most 8 °C), 720 (30 days) otherwise. {NULL_CLEARS}")
    temp_min_c: float | None = Field(None, ge=-100, le=100, description=NULL_CLEARS)
    temp_max_c: float | None = Field(None, ge=-100, le=100, description=NULL_CLEARS)
    humidity_min_pct: float | None = Field(None, ge=0, le=100, description=NULL_CLEARS)
    humidity_max_pct: float | None = Field(None, ge=0, le=100, description=NULL_CLEARS)

    _not_null = field_validator("name", mode="before")(refuse_null)

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


# --- lookups


def by_code(session: Session, model: type[M], code: str, what: str) -> M:
    """A master-data row by its code, or NotFound naming what was looked for."""
    # Unchecked below: every master-data model M has a `code` column; a TypeVar bound cannot say
    # so of ORM classes.
    found = session.scalar(select(model).where(model.code == code))  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(f"no {what} {code}", code=f"{what.replace(' ', '_')}_not_found")
    return found


def refuse_duplicate(session: Session, model: type[M], what: str, **unique: Any) -> None:
    for column, value in unique.items():
        if value is not None and session.scalar(
            select(model).where(getattr(model, column) == value)
        ):
            raise Conflict(f"{what} with {column} {value} exists already",
                           code=f"{what.replace(' ', '_')}_exists")


def _storage_class(session: Session, code: str | None) -> StorageClass | None:
    return by_code(session, StorageClass, code, "storage class") if code else None


# --- items


def apply_item_fields(session: Session, item: Item, values: dict[str, Any]) -> None:
    if "storage_class" in values:
        item.storage_class = _storage_class(session, values.pop("storage_class"))
    for name, value in values.items():
        setattr(item, name, value.value if isinstance(value, AllocationPolicy) else value)


def add_item(session: Session, body: ItemCreate) -> Item:
    """A new item in the caller's unit of work (the CSV import adds many in one)."""
    for column, value in (("sku", body.sku), ("gtin", body.gtin)):
        if value and session.scalar(select(Item).where(getattr(Item, column) == value)):
            raise Conflict(f"item with {column} {value} exists already", code="item_exists")
    item = Item(sku=body.sku, name=body.name)
    apply_item_fields(session, item, body.model_dump(exclude={"sku"}))
    session.add(item)
    session.flush()
    return item


def create_item(session: Session, body: ItemCreate,
                idem: Idempotency | None = None) -> Done[Item]:
    return run_write(session, lambda: add_item(session, body), idempotency=idem,
                     creates=True)


def update_item(session: Session, reference: str, body: ItemUpdate,
                idem: Idempotency | None = None) -> Done[Item]:
    def work() -> Item:
        item = repo.item_by_reference(session, reference)
        values = body.model_dump(exclude_unset=True)
        if values.get("gtin") and values["gtin"] != item.gtin:
            refuse_duplicate(session, Item, "item", gtin=values["gtin"])
        apply_item_fields(session, item, values)
        session.flush()
        return item

    return run_write(session, work, idempotency=idem)


# --- zones


def _apply_zone(session: Session, zone: Zone, values: dict[str, Any]) -> None:
    if "storage_class" in values:
        zone.storage_class = _storage_class(session, values.pop("storage_class"))
    for name, value in values.items():
        setattr(zone, name, value)


def create_zone(session: Session, body: ZoneCreate,
                idem: Idempotency | None = None) -> Done[Zone]:
    def work() -> Zone:
        refuse_duplicate(session, Zone, "zone", code=body.code)
        zone = Zone(code=body.code, name=body.name, hazardous=body.hazardous)
        _apply_zone(session, zone, {"storage_class": body.storage_class})
        session.add(zone)
        session.flush()
        return zone

    return run_write(session, work, idempotency=idem, creates=True)


def update_zone(session: Session, code: str, body: ZoneUpdate,
                idem: Idempotency | None = None) -> Done[Zone]:
    def work() -> Zone:
        zone = by_code(session, Zone, code, "zone")
        _apply_zone(session, zone, body.model_dump(exclude_unset=True))
        session.flush()
        return zone

    return run_write(session, work, idempotency=idem)


# --- locations


def create_location(session: Session, body: LocationCreate,
                    idem: Idempotency | None = None) -> Done[Location]:
    def work() -> Location:
        refuse_duplicate(session, Location, "location", code=body.code)
        location = Location(code=body.code, name=body.name,
                            zone=by_code(session, Zone, body.zone, "zone"),
                            active=True if body.active is None else body.active)
        session.add(location)
        session.flush()
        return location

    return run_write(session, work, idempotency=idem, creates=True)


def update_location(session: Session, code: str, body: LocationUpdate,
                    idem: Idempotency | None = None) -> Done[Location]:
    def work() -> Location:
        location = by_code(session, Location, code, "location")
        values = body.model_dump(exclude_unset=True)
        if "zone" in values:
            location.zone = by_code(session, Zone, values.pop("zone"), "zone")
        for name, value in values.items():
            setattr(location, name, value)
        session.flush()
        return location

    return run_write(session, work, idempotency=idem)


# --- storage classes


def create_storage_class(session: Session, body: StorageClassCreate,
                         idem: Idempotency | None = None) -> Done[StorageClass]:
    def work() -> StorageClass:
        refuse_duplicate(session, StorageClass, "storage class", code=body.code)
        row = StorageClass(**body.model_dump())
        session.add(row)
        session.flush()
        return row

    return run_write(session, work, idempotency=idem, creates=True)


def update_storage_class(session: Session, code: str, body: StorageClassUpdate,
                         idem: Idempotency | None = None) -> Done[StorageClass]:
    def work() -> StorageClass:
        row = by_code(session, StorageClass, code, "storage class")
        changes = body.model_dump(exclude_unset=True)
        for name, value in changes.items():
            setattr(row, name, value)
        _check_bands(row)
        session.flush()
        return row

    return run_write(session, work, idempotency=idem)


def _check_bands(row: StorageClass) -> None:
    """The stored band after a partial change must still be ordered."""
    for low, high in (("temp_min_c", "temp_max_c"), ("humidity_min_pct", "humidity_max_pct")):
        lo, hi = getattr(row, low), getattr(row, high)
        if lo is not None and hi is not None and lo > hi:
            raise Invalid(f"{low} must not be above {high}", code="band_not_ordered")
