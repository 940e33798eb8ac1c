"""Which labels a sheet holds: bins by code or zone, the scanner's mode commands,
lots by id. Looks them up and hands plain values to inventory/labels/render.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory.labels.render import MODE_COMMANDS, Label, command_label, location_label, lot_label
from inventory.orm import Item, Lot
from kernel.errors import Invalid, NotFound
from kernel.fields import MAX_ID
from kernel.orm import Zone
from kernel.uow import consistent_read

MAX_LABELS = 24 * 20  # twenty sheets
# A command travels as Code 128, which carries ASCII only: a word, as scanners send it.
Command = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$", examples=["RECEIVE"])]
LotId = Annotated[int, Field(ge=1, le=MAX_ID)]


class LabelSheet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locations: list[str] = Field(default_factory=list, max_length=MAX_LABELS)
    zone: str | None = Field(None, max_length=64, description="every active bin of the zone")
    commands: list[Command] = Field(default_factory=list, max_length=100,
                                description="command labels, e.g. RECEIVE; see `modes`")
    modes: bool = Field(False, description="one command label per scan mode")
    lots: list[LotId] = Field(default_factory=list, max_length=MAX_LABELS, description="lot ids")


@consistent_read
def labels_for(session: Session, sheet: LabelSheet, *, location_prefix: str = "LOC:",
               command_prefix: str = "CMD:") -> list[Label]:
    labels: list[Label] = []
    bins = [repo.location_by_code(session, code) for code in sheet.locations]
    if sheet.zone:
        zone = repo.by_code(session, Zone, sheet.zone, "zone")
        bins += repo.active_bins(session, zone.id)
    labels += [location_label(b.code, location_prefix, b.name) for b in bins]
    commands = list(MODE_COMMANDS if sheet.modes else ()) + sheet.commands
    labels += [command_label(c, command_prefix) for c in dict.fromkeys(commands)]
    for lot_id in sheet.lots:
        lot = session.get(Lot, lot_id)
        if lot is None:
            raise NotFound("no lot with id %(lot_id)s", code="lot_not_found", lot_id=lot_id)
        item = session.get_one(Item, lot.item_id)
        if item.gtin is None:
            raise Invalid("%(sku)s has no GTIN; a GS1 lot label needs one",
                          code="gtin_required", sku=item.sku)
        if not (lot.lot_number.isascii() and lot.lot_number.isprintable()):
            raise Invalid("lot %(lot)s: a GS1 barcode carries printable ASCII "
                          "only, so this lot number cannot be printed as one",
                          code="lot_number_not_gs1", lot=lot.lot_number)
        labels.append(lot_label(item.gtin, item.sku, lot.lot_number, lot.expiry))
    if not labels:
        raise Invalid("name bins, a zone, commands, modes or lots to print",
                      code="nothing_to_print")
    if len(labels) > MAX_LABELS:
        raise Invalid("%(n)s labels; at most %(most)s at once", code="too_many_labels",
                      n=len(labels), most=MAX_LABELS)
    return labels
