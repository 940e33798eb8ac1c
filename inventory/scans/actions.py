"""From a scan to a use case: what a scanned label plus the operator's mode,
bin and quantity ask the stock to do. Used by the HTTP scan endpoint and open to
the MQTT scan topic. The GS1 reading is `inventory.scans.interpret` (biip)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from contract.wire import MAX_SCAN_RAW, ScanMode
from inventory import repository as repo
from inventory import services
from inventory.commands import Consignee, Count, Dispatch, Receive, Return, Transfer
from inventory.scans.interpret import (
    GS1Scan,
    LocationLabel,
    ScanResult,
    ScanSettings,
    check_receivable,
    interpret,
)
from inventory.schemas import BookingPublic
from kernel.actors import Actor
from kernel.errors import Invalid
from kernel.fields import MAX_ID, MAX_QUANTITY
from kernel.uow import Done, Idempotency, consistent_read

T = TypeVar("T")


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    raw: str = Field(min_length=1, max_length=MAX_SCAN_RAW,
                     description="exactly what the scanner sent, group separators kept")
    mode: ScanMode = ScanMode.IDENTIFY
    location: str | None = Field(None, max_length=64,
                                 description="the bin: target of receive/return/count, "
                                             "source of dispatch/transfer")
    to_location: str | None = Field(None, max_length=64, description="target of a transfer")
    quantity: int | None = Field(None, gt=0, le=MAX_QUANTITY,
                                 description="default: the label's quantity (AI 30), else 1")
    counted: int | None = Field(None, ge=0, le=MAX_QUANTITY, description="for a count")
    stocktake: int | None = Field(None, ge=1, le=MAX_ID, description="for a count: the stocktake "
                                  "(default: the bin's active stocktake, if any)")
    lot_number: str | None = Field(None, max_length=64,
                                   description="when the label carries no lot (plain EAN)")
    reason: str | None = Field(None, max_length=500)
    reference: str | None = Field(None, max_length=128)
    consignee: str | None = Consignee


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    scan: ScanResult
    kind: str  # product, location or command
    item: str | None
    # The booking made (a product scan in a booking mode), or its first answer
    # when the request is a resend: `booked.replay`.
    booked: Done[BookingPublic] | None = None
    known: bool = True  # false: a product whose GTIN is not on file (identify only)
    message: str | None = None


def _need(value: T | None, what: str, mode: ScanMode) -> T:
    if value is None or value == "":
        raise Invalid("a %(mode)s scan needs %(what)s", code="scan_incomplete",
                      mode=mode.value, what=what)
    return value


@consistent_read
def _sku_on_file(session: Session, gtin: str) -> str | None:
    return repo.find_item_by_gtin(session, gtin)


@consistent_read
def _sku_of(session: Session, gtin: str) -> str:
    """The SKU of the item with this GTIN; unknown_gtin when there is none."""
    return repo.item_by_gtin(session, gtin).sku


def _identify(session: Session, scan: GS1Scan) -> ScanOutcome:
    """The label read, and whether its product is on file: a label can be checked
    before its item exists."""
    if scan.gtin is None:
        return ScanOutcome(scan, "product", None, known=False,
                           message="this barcode has no GTIN, so no item can be looked up")
    found = _sku_on_file(session, scan.gtin)
    if found is None:
        return ScanOutcome(scan, "product", None, known=False,
                           message=f"GTIN {scan.gtin} is not on file")
    return ScanOutcome(scan, "product", found)


def book_scan(
    session: Session, request: ScanRequest, actor: Actor, idem: Idempotency | None,
    settings: ScanSettings, today: Callable[[], date],
) -> ScanOutcome:
    """Interpret the scan and, for a product in a booking mode, book it."""
    scan = interpret(request.raw, settings)
    if not isinstance(scan, GS1Scan):
        kind = "location" if isinstance(scan, LocationLabel) else "command"
        return ScanOutcome(scan, kind, None)
    mode = request.mode
    if mode is ScanMode.IDENTIFY:
        return _identify(session, scan)
    if scan.gtin is None:
        check_receivable(scan, today())  # names the missing GTIN
    item = _sku_of(session, scan.gtin or "")
    lot = scan.lot or request.lot_number
    quantity = request.quantity or scan.quantity or 1
    answer: Done[BookingPublic]
    if mode is ScanMode.RECEIVE:
        check_receivable(scan, today())
        answer = services.receive(session, Receive(
            item=item, lot_number=_need(lot, "a lot number", mode), expiry=scan.expiry,
            production_date=scan.production_date, quantity=quantity,
            location=_need(request.location, "a location", mode), reference=request.reference,
        ), actor, idem)
    elif mode is ScanMode.DISPATCH:
        answer = services.dispatch(session, Dispatch(
            item=item, quantity=quantity, lot_number=lot, location=request.location,
            reason=request.reason, reference=request.reference,
            consignee=request.consignee), actor, idem)
    elif mode is ScanMode.TRANSFER:
        answer = services.transfer(session, Transfer(
            item=item, lot_number=_need(lot, "a lot number", mode), quantity=quantity,
            from_location=_need(request.location, "a location", mode),
            to_location=_need(request.to_location, "a target location", mode),
            reference=request.reference), actor, idem)
    elif mode is ScanMode.COUNT:
        answer = services.count(session, Count(
            item=item, lot_number=_need(lot, "a lot number", mode),
            location=_need(request.location, "a location", mode),
            counted=_need(request.counted, "the counted quantity", mode),
            reference=request.reference, stocktake=request.stocktake), actor, idem)
    else:
        answer = services.return_goods(session, Return(
            item=item, lot_number=_need(lot, "a lot number", mode), expiry=scan.expiry,
            location=_need(request.location, "a location", mode), quantity=quantity,
            reason=_need(request.reason, "a reason", mode), reference=request.reference,
        ), actor, idem)
    return ScanOutcome(scan, "product", item, answer)
