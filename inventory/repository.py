"""SQL adapters for the stock use cases: lookups, row locks and balance updates.

Locking rule (so concurrent writers never deadlock): every transaction locks the
balance rows it changes with `SELECT ... FOR UPDATE`, in ascending id order, before
changing any of them. On SQLite the write transaction itself is serialised
(BEGIN IMMEDIATE) and FOR UPDATE is not rendered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inventory.domain import QcStatus, StockOnHand
from inventory.orm import Balance, Item, Location, Lot
from kernel.errors import NotFound
from kernel.orm import Zone


def item_by_reference(session: Session, reference: str) -> Item:
    """An item by SKU or GTIN (a 14-digit GTIN also matches its 13/12/8-digit form)."""
    found = session.scalar(select(Item).where(Item.sku == reference))
    if found is None and reference.isdigit():
        gtin = reference.zfill(14)
        found = session.scalar(select(Item).where(Item.gtin == gtin))
    if found is None:
        raise NotFound(f"no item with SKU or GTIN {reference}", code="item_not_found")
    return found


def find_item_by_gtin(session: Session, gtin: str) -> str | None:
    """The SKU of the item with this GTIN, or None."""
    return session.scalar(select(Item.sku).where(Item.gtin == gtin.zfill(14)))


def item_by_gtin(session: Session, gtin: str) -> Item:
    found = session.scalar(select(Item).where(Item.gtin == gtin.zfill(14)))
    if found is None:
        raise NotFound(f"GTIN {gtin} is not a known item", code="unknown_gtin")
    return found


def location_by_code(session: Session, code: str) -> Location:
    found = session.scalar(select(Location).where(Location.code == code))
    if found is None or not found.active:
        raise NotFound(f"no active location {code}", code="location_not_found")
    return found


def zone_storage_class(zone: Zone) -> str | None:
    return zone.storage_class.code if zone.storage_class else None


def find_lot(session: Session, item_id: int, lot_number: str) -> Lot | None:
    return session.scalar(
        select(Lot).where(Lot.item_id == item_id, Lot.lot_number == lot_number)
    )


def lot_of_item(session: Session, item: Item, lot_number: str) -> Lot:
    lot = find_lot(session, item.id, lot_number)
    if lot is None:
        raise NotFound(f"{item.sku} has no lot {lot_number}", code="lot_not_found")
    return lot


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


BalanceKey = tuple[int, int]  # (lot id, location id)


@dataclass(slots=True)
class LockedBalance:
    id: int
    quantity: int
    held: int = 0  # returned units awaiting inspection: not to be moved

    @property
    def available(self) -> int:
        return self.quantity - self.held


def lock_balances(session: Session, pairs: Iterable[BalanceKey]) -> dict[BalanceKey, LockedBalance]:
    """Lock the balances of these (lot, location) pairs, in id order; they must exist."""
    wanted = sorted(set(pairs))
    rows = session.execute(
        select(Balance.id, Balance.lot_id, Balance.location_id, Balance.quantity, Balance.held)
        .where(tuple_(Balance.lot_id, Balance.location_id).in_(wanted))
        .order_by(Balance.id)
        .with_for_update()
    )
    return {(lot, loc): LockedBalance(bid, qty, held) for bid, lot, loc, qty, held in rows}


def write_balances(session: Session, balances: Iterable[LockedBalance]) -> None:
    """Store new quantities of balances the caller has locked."""
    table = Balance.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("bid")).values(quantity=bindparam("q")),
        [{"bid": b.id, "q": b.quantity} for b in balances],
    )


def stock_on_hand(
    session: Session, item_id: int, *, today: date, lock: bool, usable_only: bool = True
) -> list[StockOnHand]:
    """The item's balances with something to allocate, and what allocation needs;
    with `lock`, the rows are locked in id order (the lock is what makes concurrent
    dispatches safe). Held returns are left out: `quantity` is what is not held.
    `usable_only` leaves out lots allocation would refuse anyway, so they are not locked."""
    query = (
        select(Balance.id, Lot.id, Lot.lot_number, Location.id, Location.code, Lot.expiry,
               Lot.received_at, Lot.qc_status, Balance.quantity - Balance.held)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.item_id == item_id, Balance.quantity > Balance.held)
        .order_by(Balance.id)
    )
    if usable_only:
        query = query.where(
            Lot.qc_status == QcStatus.RELEASED.value,
            (Lot.expiry.is_(None)) | (Lot.expiry >= today),
        )
    if lock:
        query = query.with_for_update(of=Balance)
    return [
        StockOnHand(bid, lot_id, lot_number, loc_id, loc_code, expiry, received_at,
                    QcStatus(status), quantity)
        for bid, lot_id, lot_number, loc_id, loc_code, expiry, received_at, status, quantity
        in session.execute(query)
    ]
