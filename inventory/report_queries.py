"""The SQL of the stock reports (inventory/reports.py, which does their arithmetic):
balances near expiry, opening stock, the signed moves of a period, item costs and the
zones a lot passed through. Read models like inventory/queries.py, kept apart so that
each stays a readable size. Plain queries, no locks.

Quantities entering from outside (receive, positive adjust/count, return) have no
source location; quantities leaving (dispatch, negative adjust/count) have no
target; a transfer has both and changes no item total."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from inventory.orm import Balance, Consignee, Item, Location, Lot, Move
from kernel.orm import Zone


def expiring_balances(
    session: Session, horizon: date,
) -> list[tuple[str, str, int, str, date, str, str, int]]:
    """(sku, item name, lot id, lot number, expiry, QC status, bin, quantity) of every
    balance with stock whose lot expires by `horizon`, soonest first."""
    # Unchecked below: the query selects exactly these columns; Row tuples are typed
    # tuple[object, ...].
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(Item.sku, Item.name, Lot.id, Lot.lot_number, Lot.expiry, Lot.qc_status,
               Location.code, Balance.quantity)
        .join(Lot, Lot.id == Balance.lot_id).join(Item, Item.id == Balance.item_id)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.quantity > 0, Lot.expiry.is_not(None), Lot.expiry <= horizon)
        .order_by(Lot.expiry, Item.sku, Lot.lot_number, Location.code)
    )]


def _signed():
    """+quantity for a move from outside, -quantity for one to outside, 0 otherwise."""
    return case(
        (Move.from_location_id.is_(None), Move.quantity),
        (Move.to_location_id.is_(None), -Move.quantity),
        else_=0,
    )


def openings(session: Session, before: datetime) -> dict[str, int]:
    """Each item's stock before a moment, by SKU."""
    return {sku: int(total) for sku, total in session.execute(
        select(Item.sku, func.sum(_signed())).join(Item, Item.id == Move.item_id)
        .where(Move.at < before).group_by(Item.sku)
    )}


def signed_moves(
    session: Session, start: datetime, end: datetime,
) -> list[tuple[str, datetime, int, str, int]]:
    """(sku, at, signed change of the item's stock, kind, quantity) of every move in
    [start, end), in booking order."""
    return [tuple(row) for row in session.execute(
        select(Item.sku, Move.at, _signed(), Move.kind, Move.quantity)
        .join(Item, Item.id == Move.item_id)
        .where(Move.at >= start, Move.at < end).order_by(Move.id)
    )]


def items_with_cost(session: Session) -> list[tuple[Any, ...]]:
    """(sku, name[, unit cost]) of every item by SKU; the cost where the table has it."""
    cost_column = getattr(Item, "unit_cost", None)
    columns = [Item.sku, Item.name] + ([cost_column] if cost_column is not None else [])
    return [tuple(row) for row in session.execute(select(*columns).order_by(Item.sku))]


def lot_zone_legs(
    session: Session, lot_id: int,
) -> list[tuple[datetime, str | None, str | None, int]]:
    """A lot's moves as (at, from zone, to zone, quantity) in booking order."""
    source, target = aliased(Location), aliased(Location)
    source_zone, target_zone = aliased(Zone), aliased(Zone)
    legs = session.execute(
        select(Move.at, source_zone.code, target_zone.code, Move.quantity)
        .outerjoin(source, source.id == Move.from_location_id)
        .outerjoin(source_zone, source_zone.id == source.zone_id)
        .outerjoin(target, target.id == Move.to_location_id)
        .outerjoin(target_zone, target_zone.id == target.zone_id)
        .where(Move.lot_id == lot_id).order_by(Move.id)
    )
    # Unchecked below: the query selects exactly (at, zone, zone, quantity); Row tuples are
    # typed tuple[object, ...].
    return [tuple(row) for row in legs]  # type: ignore[misc]


def dispatches_to_consignees(
    session: Session, *, lot_id: int | None = None, item_id: int | None = None,
) -> list[tuple[str, str, datetime, str, str | None, str | None, str | None, str | None, int]]:
    """(booking, lot number, at, kind, consignee code, name, GLN, reference, quantity) of
    every dispatch of a lot (or of every lot of an item), in booking order; a dispatch
    with no consignee recorded has None for code, name and GLN."""
    query = (
        select(Move.booking, Lot.lot_number, Move.at, Move.kind, Consignee.code,
               Consignee.name, Consignee.gln, Move.reference, Move.quantity)
        .join(Lot, Lot.id == Move.lot_id)
        .outerjoin(Consignee, Consignee.id == Move.consignee_id)
        .where(Move.kind == "dispatch").order_by(Move.id)
    )
    if lot_id is not None:
        query = query.where(Move.lot_id == lot_id)
    if item_id is not None:
        query = query.where(Move.item_id == item_id)
    # Unchecked below: the query selects exactly these columns.
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
