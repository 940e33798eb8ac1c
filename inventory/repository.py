"""SQL adapters for the stock use cases: lookups, row locks and balance updates.

Locking rule (so concurrent writers never deadlock): every transaction locks the
balance rows it changes with `SELECT ... FOR UPDATE` before changing any of them,
in one global order: by item, then in the item's pick order (FEFO: expiry, no
expiry last; FIFO: receipt), then lot id and balance id (`LOCK_ORDER`). A dispatch
locks the first usable balances of its item in exactly that order and allocates
from them, so concurrent dispatches of one item queue on the first row instead of
reading, allocating and retrying; any other writer (transfer, count, stocktake
approval ...) locks its rows in the same order, so no two transactions ever wait
on each other in a cycle. On SQLite the write transaction itself is serialised
(BEGIN IMMEDIATE) and FOR UPDATE is not rendered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    bindparam,
    case,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inventory.domain import AllocationPolicy, QcStatus, StockOnHand
from inventory.orm import Balance, Consignee, Item, Location, Lot, ReturnHold
from kernel.errors import NotFound
from kernel.orm import Base, StorageClass, Zone

M = TypeVar("M", bound=Base)


def item_by_reference(session: Session, reference: str) -> Item:
    """An item by SKU or GTIN (a 14-digit GTIN also matches its 13/12/8-digit form)."""
    found = session.scalar(select(Item).where(Item.sku == reference))
    if found is None and reference.isdigit():
        gtin = reference.zfill(14)
        found = session.scalar(select(Item).where(Item.gtin == gtin))
    if found is None:
        raise NotFound("no item with SKU or GTIN %(reference)s", code="item_not_found",
            reference=reference)
    return found


@dataclass(frozen=True, slots=True)
class ItemRef:
    """What a booking needs of an item (no ORM object, no storage class)."""

    id: int
    sku: str
    unit: str
    policy: str


@cache
def _item_ref_query(by: str) -> Select[tuple[int, str, str, str]]:
    items = Item.__table__
    return select(items.c.id, items.c.sku, items.c.unit, items.c.policy).where(
        items.c[by] == bindparam("ref"))


def item_ref(session: Session, reference: str) -> ItemRef:
    """`item_by_reference` for the hot path: one prebuilt Core statement, plain values."""
    conn = session.connection()
    row = conn.execute(_item_ref_query("sku"), {"ref": reference}).first()
    if row is None and reference.isdigit():
        row = conn.execute(_item_ref_query("gtin"), {"ref": reference.zfill(14)}).first()
    if row is None:
        raise NotFound("no item with SKU or GTIN %(reference)s", code="item_not_found",
            reference=reference)
    return ItemRef(*row)


def find_item_by_gtin(session: Session, gtin: str) -> str | None:
    """The SKU of the item with this GTIN, or None."""
    return session.scalar(select(Item.sku).where(Item.gtin == gtin.zfill(14)))


def item_by_gtin(session: Session, gtin: str) -> Item:
    found = session.scalar(select(Item).where(Item.gtin == gtin.zfill(14)))
    if found is None:
        raise NotFound("GTIN %(gtin)s is not a known item", code="unknown_gtin", gtin=gtin)
    return found


def location_by_code(session: Session, code: str) -> Location:
    found = session.scalar(select(Location).where(Location.code == code))
    if found is None or not found.active:
        raise NotFound("no active location %(id)s", code="location_not_found", id=code)
    return found


def by_code(session: Session, model: type[M], code: str, what: str) -> M:
    """A master-data row by its code, or NotFound naming what was looked for."""
    # Unchecked below: every master-data model M has a `code` column; a TypeVar bound cannot say
    # so of ORM classes.
    found = session.scalar(select(model).where(model.code == code))  # type: ignore[attr-defined]
    if found is None:
        raise NotFound("no %(what)s %(name)s", code=f"{what.replace(' ', '_')}_not_found",
                       what=what, name=code)
    return found


def find_consignee(session: Session, *, code: str | None = None,
                   gln: str | None = None) -> Consignee | None:
    """A consignee by its code or its GLN (either unique), active or not."""
    column, value = (Consignee.code, code) if code is not None else (Consignee.gln, gln)
    return session.scalar(select(Consignee).where(column == value))


def exists(session: Session, model: type[Base], column: str, value: object) -> bool:
    """Whether a row of `model` has `value` in `column` (a unique field taken already)."""
    return session.scalar(select(model).where(getattr(model, column) == value)) is not None


def active_bins(session: Session, zone_id: int) -> list[Location]:
    """The zone's active bins by code."""
    return list(session.scalars(select(Location).where(
        Location.zone_id == zone_id, Location.active.is_(True)).order_by(Location.code)))


def zone_storage_class(zone: Zone) -> str | None:
    return zone.storage_class.code if zone.storage_class else None


def find_lot(session: Session, item_id: int, lot_number: str) -> Lot | None:
    return session.scalar(
        select(Lot).where(Lot.item_id == item_id, Lot.lot_number == lot_number)
    )


def lot_of_item(session: Session, item: Item, lot_number: str) -> Lot:
    lot = find_lot(session, item.id, lot_number)
    if lot is None:
        raise NotFound("%(sku)s has no lot %(lot_number)s", code="lot_not_found",
            sku=item.sku, lot_number=lot_number)
    return lot


def lock_lot(session: Session, lot_id: int) -> Lot:
    """A lot, locked for a QC status change."""
    lot = session.scalar(select(Lot).where(Lot.id == lot_id).with_for_update(of=Lot))
    if lot is None:
        raise NotFound("no lot with id %(lot_id)s", code="lot_not_found", lot_id=lot_id)
    return lot


def unusable_lots(session: Session, item_id: int, lot_number: str | None = None
                  ) -> list[tuple[str, str, str | None, int]]:
    """(lot, QC status, its reason, on hand) of the item's lots with stock that may not
    be picked for their QC status: why a dispatch found too little (a refusal's words)."""
    query = (select(Lot.lot_number, Lot.qc_status, Lot.qc_reason, func.sum(Balance.quantity))
             .join(Balance, Balance.lot_id == Lot.id)
             .where(Lot.item_id == item_id, Lot.qc_status != QcStatus.RELEASED.value,
                    Balance.quantity > 0)
             .group_by(Lot.id, Lot.lot_number, Lot.qc_status, Lot.qc_reason)
             .order_by(Lot.id).limit(20))
    if lot_number is not None:
        query = query.where(Lot.lot_number == lot_number)
    return [(n, s, r, int(q)) for n, s, r, q in session.execute(query)]


def lock_released_lots_in_zone(session: Session, zone_code: str) -> list[Lot]:
    """The released lots with stock in a zone, locked in id order (to be held)."""
    zone = session.scalar(select(Zone).where(Zone.code == zone_code))
    if zone is None:
        raise NotFound("no zone %(zone_code)s", code="zone_not_found", zone_code=zone_code)
    return list(session.scalars(
        select(Lot).where(
            Lot.qc_status == QcStatus.RELEASED.value,
            Lot.id.in_(
                select(Balance.lot_id).join(Location, Location.id == Balance.location_id)
                .where(Location.zone_id == zone.id, Balance.quantity > 0)
            ),
        ).order_by(Lot.id).with_for_update(of=Lot)
    ))


def _insert(session: Session):  # -> an insert() of the session's dialect
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def ensure_balances(session: Session, rows: Iterable[tuple[int, int, int]]) -> None:
    """Create missing (item, lot, location) balance rows at zero; concurrent
    creators do not collide (ON CONFLICT DO NOTHING)."""
    values = [{"item_id": i, "lot_id": lot, "location_id": loc, "quantity": 0}
              for i, lot, loc in rows]
    if values:
        session.execute(
            _insert(session)(Balance).values(values).on_conflict_do_nothing(
                index_elements=["lot_id", "location_id"]
            )
        )


@cache
def _add_to_balance(dialect: str):  # -> the dialect's INSERT ... ON CONFLICT DO UPDATE
    table = Balance.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=["lot_id", "location_id"],
        set_={"quantity": table.c.quantity + statement.excluded.quantity})


def add_to_balance(session: Session, item_id: int, lot_id: int, location_id: int,
                   quantity: int) -> None:
    """Add to one balance, creating it if new: one statement (its row stays locked)."""
    conn = session.connection()
    conn.execute(_add_to_balance(conn.dialect.name), {
        "item_id": item_id, "lot_id": lot_id, "location_id": location_id,
        "quantity": quantity, "held": 0})


BalanceKey = tuple[int, int]  # (lot id, location id)


@dataclass(slots=True)
class LockedBalance:
    id: int
    quantity: int
    held: int = 0  # returned units awaiting inspection: not to be moved

    @property
    def available(self) -> int:
        return self.quantity - self.held


def _pick_key(policy: AllocationPolicy | ColumnElement[str]) -> list[ColumnElement[object]]:
    """The item's pick order as SQL (inventory.allocation.pick_order): FEFO by expiry
    (none last) then receipt, FIFO by receipt; lot and balance ids make it total.
    `policy` is the item's, or its column when many items are locked at once."""
    if isinstance(policy, AllocationPolicy):
        expiry = Lot.expiry if policy is AllocationPolicy.FEFO else None
    else:
        expiry = case((policy == AllocationPolicy.FEFO.value, Lot.expiry), else_=None)
    first = [] if expiry is None else [expiry.asc().nulls_last()]
    return [*first, Lot.received_at, Lot.id, Balance.id]


def lock_balances(session: Session, pairs: Iterable[BalanceKey]) -> dict[BalanceKey, LockedBalance]:
    """Lock the balances of these (lot, location) pairs, in the global lock order
    (item, pick order: see the module's docstring); they must exist."""
    wanted = sorted(set(pairs))
    rows = session.connection().execute(
        select(Balance.id, Balance.lot_id, Balance.location_id, Balance.quantity, Balance.held)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Item, Item.id == Balance.item_id)
        .where(tuple_(Balance.lot_id, Balance.location_id).in_(wanted))
        .order_by(Balance.item_id, *_pick_key(Item.policy))
        .with_for_update(of=Balance)
    )
    return {(lot, loc): LockedBalance(bid, qty, held) for bid, lot, loc, qty, held in rows}


_WRITE_BALANCE = update(Balance.__table__).where(
    Balance.__table__.c.id == bindparam("bid")).values(quantity=bindparam("q"))


def write_balances(session: Session, balances: Iterable[LockedBalance]) -> None:
    """Store new quantities of balances the caller has locked."""
    session.connection().execute(
        _WRITE_BALANCE, [{"bid": b.id, "q": b.quantity} for b in balances])


@cache
def _stock_query(policy: AllocationPolicy, usable_only: bool, lock: bool,
                 limited: bool) -> Select[tuple[object, ...]]:
    """Built once per variant: building and keying a statement costs more Python
    than sending it (the hot path of every dispatch and preview)."""
    query = (
        select(Balance.id, Lot.id, Lot.lot_number, Location.id, Location.code, Lot.expiry,
               Lot.received_at, Lot.qc_status, Balance.quantity, Balance.held)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.item_id == bindparam("item_id"), Balance.quantity > Balance.held)
        .order_by(*_pick_key(policy))
    )
    if usable_only:
        query = query.where(
            Lot.qc_status == QcStatus.RELEASED.value,
            (Lot.expiry.is_(None)) | (Lot.expiry >= bindparam("today", type_=Date)),
        )
    if limited:
        query = query.limit(bindparam("limit", type_=Integer))
    if lock:
        query = query.with_for_update(of=Balance)
    return query


def stock_on_hand(
    session: Session, item_id: int, *, today: date, lock: bool, usable_only: bool = True,
    policy: AllocationPolicy = AllocationPolicy.FEFO, limit: int | None = None,
    locked: dict[BalanceKey, LockedBalance] | None = None,
) -> list[StockOnHand]:
    """The item's balances with something to allocate, and what allocation needs,
    in pick order; `limit`: only the first so many. Held returns are left out:
    `quantity` is what is not held. `usable_only` leaves out lots allocation would
    refuse anyway, so they are not locked. With `lock`, the rows are locked in pick
    order (the global lock order) and, given `locked`, entered there for `post`."""
    query = _stock_query(policy, usable_only, lock, limit is not None)
    params = {"item_id": item_id, "today": today, "limit": limit}
    stock = []
    for (bid, lot_id, lot_number, loc_id, loc_code, expiry, received_at, status, quantity,
         held) in session.connection().execute(query, params):
        stock.append(StockOnHand(bid, lot_id, lot_number, loc_id, loc_code, expiry,
                                 received_at, QcStatus(status), quantity - held))
        if locked is not None:
            locked[(lot_id, loc_id)] = LockedBalance(bid, quantity, held)
    return stock


@cache
def _item_stock_query(limited: bool) -> Select[tuple[object, ...]]:
    """FEFO items only, in the lots' own order (not a CASE on the item's policy), the
    item's id a subquery of its SKU: PostgreSQL then walks `ix_lots_item_pick` from
    the item's first lot in pick order and stops after `limit` usable balances,
    however many lots the item has (growth stays flat). A FIFO item finds no row
    here and takes `lock_usable_stock`'s second path."""
    item_id = (select(Item.id)
               .where(Item.sku == bindparam("ref"), Item.policy == AllocationPolicy.FEFO.value)
               .scalar_subquery())
    query = (
        select(Item.id, Item.sku, Item.unit, Item.policy, Balance.id, Lot.id, Lot.lot_number,
               Location.id, Location.code, Lot.expiry, Lot.received_at, Balance.quantity,
               Balance.held)
        .select_from(Lot)
        .join(Balance, Balance.lot_id == Lot.id)
        .join(Location, Location.id == Balance.location_id)
        .join(Item, Item.id == Lot.item_id)
        .where(Lot.item_id == item_id, Balance.quantity > Balance.held,
               Lot.qc_status == QcStatus.RELEASED.value,
               (Lot.expiry.is_(None)) | (Lot.expiry >= bindparam("today", type_=Date)))
        .order_by(*_pick_key(AllocationPolicy.FEFO))
        .with_for_update(of=Balance)
    )
    return query.limit(bindparam("limit", type_=Integer)) if limited else query


def lock_usable_stock(
    session: Session, reference: str, *, today: date, limit: int | None,
    locked: dict[BalanceKey, LockedBalance],
) -> tuple[ItemRef, list[StockOnHand]]:
    """A dispatch's first statement: the item (by SKU) and its first `limit` usable
    balances, locked in pick order (entered in `locked`). An item found by GTIN, a
    FIFO item, or one with nothing usable, costs a lookup more."""
    rows = session.connection().execute(
        _item_stock_query(limit is not None), {"ref": reference, "today": today, "limit": limit}
    ).all()
    if not rows:
        item = item_ref(session, reference)
        return item, stock_on_hand(session, item.id, today=today, lock=True,
                                   policy=AllocationPolicy(item.policy), limit=limit,
                                   locked=locked)
    item = ItemRef(*rows[0][:4])
    stock = []
    for (_i, _s, _u, _p, bid, lot_id, lot_number, loc_id, loc_code, expiry, received_at,
         quantity, held) in rows:
        stock.append(StockOnHand(bid, lot_id, lot_number, loc_id, loc_code, expiry,
                                 received_at, QcStatus.RELEASED, quantity - held))
        locked[(lot_id, loc_id)] = LockedBalance(bid, quantity, held)
    return item, stock


@dataclass(frozen=True, slots=True)
class ReceiptContext:
    """What a receipt needs to know, read in one statement: the item, the bin and
    its zone (for the placement rules), and the lot if it is on record already."""

    item: ItemRef
    item_name: str
    item_storage_class: str | None
    item_hazardous: bool
    quarantine_on_receipt: bool
    location: int
    location_code: str
    zone_code: str
    zone_storage_class: str | None
    zone_hazardous: bool
    lot: int | None
    lot_expiry: date | None
    lot_status: str | None


@cache
def _receipt_query() -> Select[tuple[object, ...]]:
    items, locations, lots = Item.__table__, Location.__table__, Lot.__table__
    zones, classes = Zone.__table__, StorageClass.__table__
    item_class, zone_class = classes.alias("item_class"), classes.alias("zone_class")
    return (
        select(items.c.id, items.c.sku, items.c.unit, items.c.policy, items.c.name,
               item_class.c.code, items.c.hazardous, items.c.quarantine_on_receipt,
               locations.c.id, locations.c.code, zones.c.code, zone_class.c.code,
               zones.c.hazardous, lots.c.id, lots.c.expiry, lots.c.qc_status)
        .select_from(items)
        .join(locations, locations.c.code == bindparam("location"))
        .join(zones, zones.c.id == locations.c.zone_id)
        .outerjoin(item_class, item_class.c.id == items.c.storage_class_id)
        .outerjoin(zone_class, zone_class.c.id == zones.c.storage_class_id)
        .outerjoin(lots, (lots.c.item_id == items.c.id)
                   & (lots.c.lot_number == bindparam("lot_number")))
        .where(items.c.sku == bindparam("sku"), locations.c.active.is_(True))
    )


def receipt_context(session: Session, item: str, location: str,
                    lot_number: str) -> ReceiptContext:
    """The item (SKU or GTIN), the active bin and the lot for a receipt: one statement
    when the item is named by SKU; NotFound names what is missing."""
    params = {"sku": item, "location": location, "lot_number": lot_number}
    row = session.connection().execute(_receipt_query(), params).first()
    if row is None:  # a GTIN, or something unknown: the lookups name what is missing
        sku = item_by_reference(session, item).sku
        location_by_code(session, location)
        row = session.connection().execute(_receipt_query(), {**params, "sku": sku}).one()
    return ReceiptContext(ItemRef(*row[:4]), *row[4:])


_INSERT_LOT = insert(Lot.__table__).returning(Lot.__table__.c.id)


def add_lot(session: Session, values: dict[str, object]) -> int:
    """A new lot's id; a concurrent creator makes this fail (the unit of work retries)."""
    return session.connection().execute(_INSERT_LOT, values).scalar_one()


def change_held(session: Session, lot_id: int, location_id: int, by: int) -> None:
    """Hold (by > 0) or free (by < 0) returned units of a balance (inventory/returns.py)."""
    session.execute(
        update(Balance).where(Balance.lot_id == lot_id, Balance.location_id == location_id)
        .values(held=Balance.held + by)
    )


def lock_return(session: Session, return_id: int) -> ReturnHold:
    """A held return, locked for its inspection."""
    hold = session.scalar(
        select(ReturnHold).where(ReturnHold.id == return_id).with_for_update())
    if hold is None:
        raise NotFound("no return with id %(return_id)s", code="return_not_found",
            return_id=return_id)
    return hold
