"""One endpoint for handheld scanners: the raw scan, a mode, a bin, a quantity."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from hub.auth import CurrentUser, IdempotencyDep
from hub.deps import HubDep, WriteSessionDep
from hub.routes.common import recorded, reply
from hub.routes.moves import PROBLEMS, BookingPublic
from inventory.scan_actions import ScanRequest, book_scan
from inventory.scanning import ScanSettings
from kernel.uow import jsonable

router = APIRouter(tags=["scan"])


class ScanPublic(BaseModel):
    kind: str
    scan: dict[str, object]
    item: str | None
    booking: BookingPublic | None


def scan_settings(hub: HubDep) -> ScanSettings:
    settings = hub.settings
    return ScanSettings(separator_standins=tuple(settings.scan_separator_standins),
                        location_prefix=settings.scan_location_prefix,
                        command_prefix=settings.scan_command_prefix)


@router.post("/scan", response_model=ScanPublic, responses=PROBLEMS)
def scan(body: ScanRequest, hub: HubDep, session: WriteSessionDep, user: CurrentUser,
         idem: IdempotencyDep, response: Response) -> ScanPublic:
    """Interpret a raw scan (GS1-128, DataMatrix, QR, Digital Link, EAN/UPC, our
    location and command labels) and, in a booking mode, book it. A scan that
    cannot be read or used is answered 422 with the problem named; nothing is booked."""
    outcome = book_scan(session, body, user, recorded(idem, BookingPublic),
                        scan_settings(hub), lambda: datetime.now(UTC).date())
    booking = None
    if outcome.booked is not None:
        booking = reply(outcome.booked, BookingPublic, response)
    return ScanPublic(kind=outcome.kind, scan=jsonable(outcome.scan), item=outcome.item,
                      booking=booking)
