"""The inventory's master data as the API shows it, stock on hand, lots and their
trace, bookings and pick lists, the ledger, a lot's quality status after a change,
and returns held for inspection: one family per entity, the input models
(Create, Update, an inspection: what a POST or PATCH may say) and the Public model
(what every answer shows). Services and queries return the Public models, read
straight from the rows (`from_attributes`) or built from a query's columns: a field
is written here once.

On a PATCH, a field left out keeps its stored value; an explicit null clears the
fields that may be empty (their descriptions say so) and is refused with the
field named for the others."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from inventory.domain import AllocationPolicy, Decision, HoldStatus, MoveKind, QcStatus
from kernel.fields import KEEP_OR_SET, MAX_QUANTITY, NULL_CLEARS, refuse_null
from kernel.signatures import SignatureIn, SignaturePublic


def code_of(value: Any) -> Any:
    """A related row (a storage class, a zone) as the code the API shows for it."""
    return getattr(value, "code", value)


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


# --- what a POST or PATCH may say


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


# The longest excursion tolerance a zone or storage class may set: a month. Beyond it
# a critical excursion would never hold the lots of a month's report period.
MAX_TOLERANCE_S = 30 * 24 * 3600


def tolerance_field(whose: str) -> Any:
    return Field(
        None, ge=0, le=MAX_TOLERANCE_S, examples=[1800],
        description=f"seconds a critical excursion may last before the zone's lots go on "
        f"hold ({whose}; 0 holds at once, at most {MAX_TOLERANCE_S}); {NULL_CLEARS}")


class ZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=128, description=KEEP_OR_SET)
    storage_class: str | None = Field(None, description=f"storage class code; {NULL_CLEARS}")
    hazardous: bool | None = Field(None, description=KEEP_OR_SET)
    excursion_tolerance_s: int | None = tolerance_field(
        "overrides the storage class's; unset: the class's, else the rules' default")
    signature: SignatureIn | None = Field(
        None, description="an electronic signature (the password again, meaning `approved`) "
        "for a change of limits or tolerance, where the site's `signature_required` says; "
        "ignored on create", exclude=True)

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


class ConsigneeKind(StrEnum):
    CUSTOMER = "customer"
    SITE = "site"  # one of our own receiving sites


class ConsigneeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=200, description=KEEP_OR_SET)
    kind: ConsigneeKind | None = Field(None, description=KEEP_OR_SET)
    address: str | None = Field(None, max_length=500, description=NULL_CLEARS)
    contact: str | None = Field(None, max_length=200, description=NULL_CLEARS)
    gln: str | None = Field(None, pattern=r"^[0-9]{13}$", description="GS1 Global Location "
                            f"Number, 13 digits, check digit verified. {NULL_CLEARS}")
    active: bool | None = Field(None, description=f"false: deactivated (no new dispatches "
                                f"to it; its past ones stay on record). {KEEP_OR_SET}")

    _not_null = field_validator("name", "kind", "active", mode="before")(refuse_null)


class ConsigneeCreate(ConsigneeUpdate):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$", examples=["ACME-BERLIN"])
    name: str = Field(min_length=1, max_length=200)
    kind: ConsigneeKind = ConsigneeKind.CUSTOMER


class ConsigneePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    kind: ConsigneeKind
    address: str | None
    contact: str | None
    gln: str | None
    active: bool


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
    excursion_tolerance_s: int | None = tolerance_field(
        "for every zone of the class without its own; unset: the rules' default")
    signature: SignatureIn | None = Field(
        None, description="an electronic signature (the password again, meaning `approved`) "
        "for a change of limits or tolerance, where the site's `signature_required` says; "
        "ignored on create", exclude=True)

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


class Inspection(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    decision: Decision = Field(description="release into stock, or reject (written off)")
    reason: str = Field(min_length=3, max_length=500)


# --- what the API shows


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
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

    _storage_class = field_validator("storage_class", mode="before")(code_of)


class ZonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    storage_class: str | None
    hazardous: bool
    excursion_tolerance_s: int | None = None

    _storage_class = field_validator("storage_class", mode="before")(code_of)


class LocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str | None
    zone: str
    active: bool

    _zone = field_validator("zone", mode="before")(code_of)


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
    excursion_tolerance_s: int | None = None


class LotStatusPublic(BaseModel):
    # A lot's quality status as a change left it (a release, a hold, a recall).
    lot_id: int
    item: str
    lot_number: str
    expiry: date | None
    qc_status: QcStatus
    reason: str | None
    changed_by: str
    changed_at: datetime


class LotStatusesPublic(BaseModel):
    # One decision for many lots: each lot's status as the change left it.
    changed: int
    lots: list[LotStatusPublic]


class ReturnPublic(BaseModel):
    # A return held for inspection, and what the inspection decided.
    id: int
    item: str
    lot_number: str
    expiry: date | None
    location: str
    quantity: int
    status: HoldStatus
    reason: str
    reference: str | None
    booking: str
    returned_by: str
    returned_at: datetime
    inspected_by: str | None
    inspected_at: datetime | None
    inspection_reason: str | None
    reject_booking: str | None


class StockRowPublic(BaseModel):
    item: str
    item_name: str
    lot_id: int
    lot_number: str
    expiry: date | None
    qc_status: QcStatus
    location: str
    zone: str
    quantity: int


class LotPublic(BaseModel):
    id: int
    item: str
    lot_number: str
    expiry: date | None
    production_date: date | None
    received_at: datetime
    qc_status: QcStatus
    qc_reason: str | None
    on_hand: int


class LotDetailPublic(LotPublic):
    # One lot, with its signed releases and rejects (inventory/qc_signing.py).
    signatures: list[SignaturePublic] = Field(default_factory=list)


class LedgerRowPublic(BaseModel):
    id: int
    at: datetime
    kind: MoveKind
    booking: str
    item: str
    lot_number: str
    from_location: str | None
    to_location: str | None
    quantity: int
    user: str
    reference: str | None
    reason: str | None
    consignee: str | None = None  # a dispatch's receiver (code)


class QcChangePublic(BaseModel):
    at: datetime
    from_status: QcStatus | None
    to_status: QcStatus
    reason: str | None
    user: str


class TracePublic(BaseModel):
    lot: LotDetailPublic
    where_now: list[StockRowPublic]
    moves: list[LedgerRowPublic]
    qc_history: list[QcChangePublic]


class BookingLinePublic(BaseModel):
    lot_number: str
    expiry: date | None
    from_location: str | None
    to_location: str | None
    quantity: int


# What a client is told after a move: the booking id and every line booked. The
# ledger builds it (inventory/ledger.py) from values it has just written, so it
# skips validation there (`model_construct`): this is every booking's path. (A
# comment, not a docstring: a docstring would become the OpenAPI description.)
class CountResultPublic(BaseModel):
    # What a count found: the handheld says "counted 4, book 3: +1 booked", not the
    # booked difference as if it were the count.
    counted: int
    book: int | None = Field(description=(
        "the book quantity when counted; null in a blind stocktake for an operator"))
    difference: int | None = Field(description="counted - book (null when the book is)")
    lot_number: str
    location: str
    stocktake: int | None = Field(None, description=(
        "the stocktake it was recorded in: the difference is booked when it is approved"))


class BookingPublic(BaseModel):

    booking: str
    kind: MoveKind
    item: str
    at: datetime
    user: str
    reference: str | None
    reason: str | None
    lines: list[BookingLinePublic]
    consignee: str | None = None  # a dispatch's receiver (code)
    lot_status: str | None = None
    count: CountResultPublic | None = None  # a count's figures


class ReturnBookingPublic(BookingPublic):
    return_id: int | None = None  # the hold to inspect; null when not held


class PickLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    lot_number: str
    location_code: str
    expiry: date | None
    quantity: int


class PickListPublic(BaseModel):
    item: str
    policy: AllocationPolicy
    quantity: int
    lines: list[PickLinePublic]
