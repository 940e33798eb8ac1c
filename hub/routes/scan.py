"""One endpoint for handheld scanners: the raw scan, a mode, a bin, a quantity."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from hub.auth import CurrentUser
from hub.deps import HubDep
from hub.problems import invalid_request
from hub.routes.common import Answer, OptionalIdempotencyDep, json_response
from hub.routes.moves import PROBLEMS
from inventory.scans.actions import ScanMode, ScanRequest, book_scan
from inventory.scans.interpret import ScanSettings
from inventory.schemas import BookingPublic
from kernel.uow import jsonable

router = APIRouter(tags=["scan"])


class ScanPublic(BaseModel):
    kind: str = Field(description="product, location or command")
    scan: dict[str, object] = Field(
        description="the label read: gtin, lot, expiry, best_before, production_date, serial, "
                    "quantity, symbology, raw and ais (every element string by AI) for a "
                    "product; code or command and argument for our own labels")
    item: str | None = Field(description="the SKU whose GTIN this is; null when not on file")
    known: bool = Field(True, description="false: a product whose GTIN is not on file "
                                          "(identify only; booking modes answer 404)")
    message: str | None = Field(None, description="why `known` is false")
    booking: BookingPublic | None


def scan_settings(hub: HubDep) -> ScanSettings:
    settings = hub.settings
    return ScanSettings(separator_standins=tuple(settings.scan_separator_standins),
                        location_prefix=settings.scan_location_prefix,
                        command_prefix=settings.scan_command_prefix)


@router.post("/scan", response_model=ScanPublic, responses=PROBLEMS)
def scan(body: ScanRequest, hub: HubDep, user: CurrentUser,
         idem: OptionalIdempotencyDep) -> Response:
    """Interpret a raw scan (GS1-128, DataMatrix, QR, Digital Link, EAN/UPC, our
    location and command labels) and, in a booking mode, book it. A scan that
    cannot be read or used is answered 422 with the problem named; nothing is booked.

    `mode=identify` (the default) books nothing and needs no `Idempotency-Key`: it
    answers what the label says even when its GTIN is not on file (`known: false`).
    Every booking mode needs the key."""
    if body.mode is not ScanMode.IDENTIFY and idem is None:
        raise invalid_request([(("header", "Idempotency-Key"),
                                f"a {body.mode.value} scan books stock: send a unique key")])
    answer = Answer(BookingPublic)
    with hub.writes() as session:  # opened here: see hub/routes/moves.py `_book`
        outcome = book_scan(session, body, user, answer.keyed(idem), scan_settings(hub),
                            lambda: datetime.now(UTC).date())
    status, booking, replayed = 200, None, False
    if outcome.booked is not None:
        status, booking, replayed = answer.body_of(outcome.booked)
    reply = ScanPublic(kind=outcome.kind, scan=jsonable(outcome.scan), item=outcome.item,
                       known=outcome.known, message=outcome.message,
                       booking=None).model_dump(mode="json")
    reply["booking"] = booking  # validated once, by `answer`
    return json_response(reply, status, replayed)
