"""The recall question: who received a lot (or any lot of an item), how many, when and
on which order. Read from the ledger's dispatches and the consignee each one names
(inventory/report_queries.py); the per-consignee totals are summed here, pure.

A dispatch booked without a consignee is listed as such (consignee None): a recall
must see that some units went to nobody on record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from inventory import report_queries
from inventory import repository as repo


@dataclass(frozen=True, slots=True)
class Receipt:
    """One dispatch of one lot: a booking's legs of the lot summed."""
    lot_number: str
    at: datetime
    consignee: str | None  # code; None: no consignee recorded
    consignee_name: str | None
    gln: str | None
    order: str | None  # the dispatch's reference (order, delivery note)
    quantity: int
    booking: str


@dataclass(frozen=True, slots=True)
class ConsigneeTotal:
    consignee: str | None
    consignee_name: str | None
    gln: str | None
    quantity: int
    dispatches: int
    first: datetime
    last: datetime
    orders: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReceivedBy:
    receipts: list[Receipt]
    totals: list[ConsigneeTotal]  # by quantity, largest first
    quantity: int  # all dispatched


RECEIPT_COLUMNS = ["lot_number", "at", "consignee", "consignee_name", "gln", "order",
                   "quantity", "booking"]
TOTAL_COLUMNS = ["consignee", "consignee_name", "gln", "quantity", "dispatches", "first",
                 "last", "orders"]


# (booking, lot number, at, kind, consignee code, name, GLN, reference, quantity)
DispatchRow = tuple[str, str, datetime, str, str | None, str | None, str | None, str | None, int]


def receipts(rows: Iterable[DispatchRow]) -> list[Receipt]:
    """Ledger rows (booking, lot, at, kind, code, name, GLN, reference, quantity) as one
    receipt per booking and lot, in booking order."""
    found: dict[tuple[str, str], Receipt] = {}
    for booking, lot, at, _kind, code, name, gln, reference, quantity in rows:
        before = found.get((booking, lot))
        total = quantity + (before.quantity if before else 0)
        found[(booking, lot)] = Receipt(lot, at, code, name, gln, reference, total, booking)
    return list(found.values())


def totals(found: Iterable[Receipt]) -> list[ConsigneeTotal]:
    """Per consignee (None: not recorded): units, dispatches, first and last, orders."""
    by: dict[str | None, list[Receipt]] = {}
    for receipt in found:
        by.setdefault(receipt.consignee, []).append(receipt)
    out = []
    for code, group in by.items():
        orders = list(dict.fromkeys(r.order for r in group if r.order))
        out.append(ConsigneeTotal(code, group[0].consignee_name, group[0].gln,
                                  sum(r.quantity for r in group), len(group),
                                  min(r.at for r in group), max(r.at for r in group), orders))
    return sorted(out, key=lambda t: (-t.quantity, t.consignee or "\uffff"))


def received_by(rows: Iterable[DispatchRow]) -> ReceivedBy:
    found = receipts(rows)
    return ReceivedBy(found, totals(found), sum(r.quantity for r in found))


def lot_received_by(session: Session, lot_id: int) -> ReceivedBy:
    return received_by(report_queries.dispatches_to_consignees(session, lot_id=lot_id))


def item_received_by(session: Session, reference: str) -> ReceivedBy:
    """Every lot of an item (by SKU or GTIN): a recall across lots."""
    item = repo.item_by_reference(session, reference)
    return received_by(report_queries.dispatches_to_consignees(session, item_id=item.id))
