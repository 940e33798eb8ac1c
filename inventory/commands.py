"""What a client asks the stock to do: validated input for each use case.

Pydantic models (no web framework): the API takes them as request bodies, the scan
endpoint and the CSV import build them, the services take them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from inventory.domain import QcStatus
from kernel.fields import MAX_ID, MAX_QUANTITY
from kernel.signatures import SignatureIn

Code = Field(min_length=1, max_length=64)
Reference = Field(None, max_length=128, description="delivery note, order or other document")

Consignee = Field(
    None, min_length=1, max_length=128,
    description="who receives the goods: a consignee's code, its GLN (13 digits), or a "
    "scanned GS1 barcode with its ship-to (AI 410) or ship-for (AI 413) GLN; unknown: 422 "
    "`unknown_consignee`, deactivated: 422 `consignee_inactive`, missing where the site "
    "requires one (`dispatch_consignee_required`): 422 `consignee_required`")


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Receive(_Command):
    item: str = Field(min_length=1, max_length=64, description="SKU or GTIN")
    lot_number: str = Code
    expiry: date | None = None
    production_date: date | None = None
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    location: str = Field(min_length=1, max_length=64, description="location (bin) code")
    reference: str | None = Reference


class Dispatch(_Command):
    item: str = Field(min_length=1, max_length=64, description="SKU or GTIN")
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    lot_number: str | None = Field(
        None, max_length=64, description="pick this lot instead of the suggested one"
    )
    location: str | None = Field(None, max_length=64, description="pick only from this bin")
    reason: str | None = Field(
        None, max_length=500, description="required when picking another lot than suggested"
    )
    reference: str | None = Reference
    consignee: str | None = Consignee


class PickPreview(_Command):
    item: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    location: str | None = Field(None, max_length=64)


class Transfer(_Command):
    item: str = Field(min_length=1, max_length=64)
    lot_number: str = Code
    from_location: str = Code
    to_location: str = Code
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    reference: str | None = Reference


class Adjust(_Command):
    item: str = Field(min_length=1, max_length=64)
    lot_number: str = Code
    location: str = Code
    delta: int = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY,
                       description="signed change, e.g. -2 for two broken units")
    reason: str = Field(min_length=3, max_length=500)
    reference: str | None = Reference


class Count(_Command):
    item: str = Field(min_length=1, max_length=64)
    lot_number: str = Code
    location: str = Code
    counted: int = Field(ge=0, le=MAX_QUANTITY)
    reference: str | None = Reference
    stocktake: int | None = Field(
        None, ge=1, le=MAX_ID,
        description="record the count in this stocktake (refused for a bin it "
                                "does not count); by default a bin's active stocktake, if any")


class Return(_Command):
    item: str = Field(min_length=1, max_length=64)
    lot_number: str = Code
    expiry: date | None = Field(None, description="needed only if the lot is new to us")
    location: str = Code
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    reason: str = Field(min_length=3, max_length=500)
    quarantine: bool = Field(
        True, description="hold the returned units in their bin until a supervisor "
                          "inspects them; the rest of the lot stays available. Only a "
                          "supervisor or admin may set it false (available at once, no "
                          "inspection): an operator's false is refused with 403 "
                          "`return_inspection_required` and nothing is booked"
    )
    reference: str | None = Reference


class QcChange(_Command):
    status: QcStatus
    reason: str = Field(min_length=3, max_length=500)
    signature: SignatureIn | None = Field(
        None, description="an electronic signature (the password again, meaning `released` "
        "or `approved` for a release, `rejected` for a reject); required for a release or "
        "a reject where the site's `signature_required` says")


# How many lots one bulk decision may name (an excursion holds a zone's lots: hundreds).
MAX_LOTS_PER_DECISION = 1000


class QcChangeMany(QcChange):
    """One decision for many lots (an excursion's held lots): one reason, one
    transaction, each lot audited as its own change."""

    lot_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_LOTS_PER_DECISION,
        description="the lots' ids (as listed by GET /lots)")
