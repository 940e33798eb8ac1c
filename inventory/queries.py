"""Read side of the stock: balances by item, lot, location or zone; lots; a lot's
trace; the ledger for export; the master data as the API shows it (items, zones,
locations, storage classes). Plain queries, no locks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from inventory import repository as repo
from inventory.domain import HoldStatus
from inventory.orm import Balance, Consignee, Item, Location, Lot, Move, QcEvent, ReturnHold
from inventory.schemas import (
    ConsigneePublic,
    ItemPublic,
    LedgerRowPublic,
    LocationPublic,
    LotDetailPublic,
    LotPublic,
    QcChangePublic,
    ReturnPublic,
    StockRowPublic,
    StorageClassPublic,
    TracePublic,
    ZonePublic,
)
from kernel import signatures
from kernel.errors import NotFound
from kernel.orm import StorageClass, User, Zone

M = TypeVar("M", bound=BaseModel)


def _model(model: type[M], row: Sequence[object]) -> M:
    """A query's row as the API model whose fields its columns are, in order."""
    return model.model_validate(dict(zip(model.model_fields, row, strict=True)))


def _models(model: type[M], rows: Iterable[Sequence[object]]) -> list[M]:
    return [_model(model, row) for row in rows]


@dataclass(frozen=True, slots=True)
class StockFilter:
    item: str | None = None  # SKU or GTIN
    lot_number: str | None = None
    location: str | None = None
    zone: str | None = None


def stock(
    session: Session, where: StockFilter, limit: int = 1000, offset: int = 0
) -> list[StockRowPublic]:
    query = (
        select(Item.sku, Item.name, Lot.id, Lot.lot_number, Lot.expiry, Lot.qc_status,
               Location.code, Zone.code, Balance.quantity)
        .select_from(Balance)
        .join(Item, Item.id == Balance.item_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Location, Location.id == Balance.location_id)
        .join(Zone, Zone.id == Location.zone_id)
        .where(Balance.quantity > 0)
        .order_by(Item.sku, Lot.expiry, Lot.lot_number, Location.code)
        .limit(limit).offset(offset)
    )
    if where.item:
        query = query.where((Item.sku == where.item) | (Item.gtin == where.item.zfill(14)))
    if where.lot_number:
        query = query.where(Lot.lot_number == where.lot_number)
    if where.location:
        query = query.where(Location.code == where.location)
    if where.zone:
        query = query.where(Zone.code == where.zone)
    return _models(StockRowPublic, session.execute(query))


def _lots_query() -> Select:
    on_hand = (
        select(func.coalesce(func.sum(Balance.quantity), 0))
        .where(Balance.lot_id == Lot.id).scalar_subquery()
    )
    return (
        select(Lot.id, Item.sku, Lot.lot_number, Lot.expiry, Lot.production_date,
               Lot.received_at, Lot.qc_status, Lot.qc_reason, on_hand)
        .join(Item, Item.id == Lot.item_id)
    )


def lots(
    session: Session, item: str | None = None, qc_status: str | None = None,
    expiring_before: date | None = None, limit: int = 500, offset: int = 0,
) -> list[LotPublic]:
    query = _lots_query().order_by(Item.sku, Lot.expiry, Lot.id).limit(limit).offset(offset)
    if item:
        query = query.where((Item.sku == item) | (Item.gtin == item.zfill(14)))
    if qc_status:
        query = query.where(Lot.qc_status == qc_status)
    if expiring_before:
        query = query.where(Lot.expiry < expiring_before)
    return _models(LotPublic, session.execute(query))


def lot(session: Session, lot_id: int) -> LotDetailPublic:
    row = session.execute(_lots_query().where(Lot.id == lot_id)).first()
    if row is None:
        raise NotFound("no lot with id %(lot_id)s", code="lot_not_found", lot_id=lot_id)
    found = _model(LotPublic, row)
    # Its releases and rejects, signed (inventory/qc_signing.py).
    return LotDetailPublic(**dict(found), signatures=signatures.of(
        session, "lot", [f"{found.item}/{found.lot_number}"]))


# An excursion page lists its zone's lots: bounded, a page shows them collapsed.
MAX_EXCURSION_LOTS = 2000


def lots_in_zone(session: Session, zone: str, qc_status: str | None = None,
                 limit: int = MAX_EXCURSION_LOTS) -> list[LotPublic]:
    """The lots with stock in a zone's bins (the lots an excursion there will hold)."""
    in_zone = (select(Balance.lot_id).join(Location, Location.id == Balance.location_id)
               .join(Zone, Zone.id == Location.zone_id)
               .where(Zone.code == zone, Balance.quantity > 0))
    query = _lots_query().where(Lot.id.in_(in_zone)).order_by(Item.sku, Lot.lot_number, Lot.id)
    if qc_status:
        query = query.where(Lot.qc_status == qc_status)
    return _models(LotPublic, session.execute(query.limit(limit)))


def lots_by_number(session: Session, numbers: Sequence[str],
                   limit: int = MAX_EXCURSION_LOTS) -> list[LotPublic]:
    """The lots with these lot numbers (of any item): those an excursion held."""
    if not numbers:
        return []
    query = (_lots_query().where(Lot.lot_number.in_(sorted(set(numbers))))
             .order_by(Item.sku, Lot.lot_number, Lot.id).limit(limit))
    return _models(LotPublic, session.execute(query))


LEDGER_COLUMNS = list(LedgerRowPublic.model_fields)


def _ledger_query() -> Select:
    source, target = aliased(Location), aliased(Location)
    return (
        select(Move.id, Move.at, Move.kind, Move.booking, Item.sku, Lot.lot_number,
               source.code, target.code, Move.quantity, User.username, Move.reference,
               Move.reason, Consignee.code)
        .join(Item, Item.id == Move.item_id)
        .join(Lot, Lot.id == Move.lot_id)
        .join(User, User.id == Move.user_id)
        .outerjoin(source, source.id == Move.from_location_id)
        .outerjoin(target, target.id == Move.to_location_id)
        .outerjoin(Consignee, Consignee.id == Move.consignee_id)
        .order_by(Move.id)
    )


def ledger(
    session: Session, *, item: str | None = None, lot_id: int | None = None,
    since: datetime | None = None, until: datetime | None = None,
    after_id: int = 0, limit: int | None = None,
) -> Iterator[LedgerRowPublic]:
    """Moves in booking order; streamed (the export can be large)."""
    query = _ledger_query().where(Move.id > after_id)
    if item:
        query = query.where((Item.sku == item) | (Item.gtin == item.zfill(14)))
    if lot_id is not None:
        query = query.where(Move.lot_id == lot_id)
    if since:
        query = query.where(Move.at >= since)
    if until:
        query = query.where(Move.at < until)
    if limit:
        query = query.limit(limit)
    for row in session.execute(query.execution_options(yield_per=1000)):
        yield _model(LedgerRowPublic, row)


def trace_lot(session: Session, lot_id: int) -> TracePublic:
    """Every move of a lot, its quality history and where it is now."""
    found = lot(session, lot_id)
    lot_number, item = found.lot_number, found.item
    return TracePublic(
        lot=found,
        where_now=stock(session, StockFilter(item=item, lot_number=lot_number)),
        moves=list(ledger(session, lot_id=lot_id)),
        qc_history=_models(
            QcChangePublic, session.execute(
                select(QcEvent.at, QcEvent.from_status, QcEvent.to_status, QcEvent.reason,
                       User.username)
                .join(User, User.id == QcEvent.user_id)
                .where(QcEvent.lot_id == lot_id).order_by(QcEvent.id)
            )
        ),
    )


def ledger_disagreements(session: Session) -> list[tuple[int, int, int, int]]:
    """(lot, location, balance, ledger sum) wherever they differ: empty when sound."""
    incoming = select(Move.lot_id.label("lot"), Move.to_location_id.label("loc"),
                      Move.quantity.label("q")).where(Move.to_location_id.is_not(None))
    outgoing = select(Move.lot_id, Move.from_location_id,
                      -Move.quantity).where(Move.from_location_id.is_not(None))
    legs = incoming.union_all(outgoing).subquery()
    sums = dict(
        ((lot_id, loc), total) for lot_id, loc, total in session.execute(
            select(legs.c.lot, legs.c.loc, func.sum(legs.c.q)).group_by(legs.c.lot, legs.c.loc)
        )
    )
    balances = {(b.lot_id, b.location_id): b.quantity for b in session.scalars(select(Balance))}
    keys = set(sums) | set(balances)
    return [
        (lot_id, loc, balances.get((lot_id, loc), 0), int(sums.get((lot_id, loc), 0)))
        for lot_id, loc in sorted(keys)
        if balances.get((lot_id, loc), 0) != int(sums.get((lot_id, loc), 0))
    ]


# --- master data


def items(session: Session) -> list[ItemPublic]:
    return [ItemPublic.model_validate(i) for i in session.scalars(select(Item).order_by(Item.sku))]


def item(session: Session, reference: str) -> ItemPublic:
    """By SKU or GTIN."""
    return ItemPublic.model_validate(repo.item_by_reference(session, reference))


def zones(session: Session) -> list[ZonePublic]:
    return [ZonePublic.model_validate(z) for z in session.scalars(select(Zone).order_by(Zone.code))]


def zone(session: Session, code: str) -> ZonePublic:
    return ZonePublic.model_validate(repo.by_code(session, Zone, code, "zone"))


def consignees(session: Session, *, active_only: bool = False) -> list[ConsigneePublic]:
    query = select(Consignee).order_by(Consignee.code)
    if active_only:
        query = query.where(Consignee.active.is_(True))
    return [ConsigneePublic.model_validate(c) for c in session.scalars(query)]


def consignee(session: Session, code: str) -> ConsigneePublic:
    return ConsigneePublic.model_validate(repo.by_code(session, Consignee, code, "consignee"))


def locations(session: Session, zone: str | None = None) -> list[LocationPublic]:
    """All bins, or those of one zone (by its code)."""
    query = select(Location).order_by(Location.code)
    if zone:
        query = query.join(Zone).where(Zone.code == zone)
    return [LocationPublic.model_validate(loc) for loc in session.scalars(query)]


def location(session: Session, code: str) -> LocationPublic:
    return LocationPublic.model_validate(repo.by_code(session, Location, code, "location"))


def storage_classes(session: Session) -> list[StorageClassPublic]:
    return [StorageClassPublic.model_validate(row)
            for row in session.scalars(select(StorageClass).order_by(StorageClass.code))]


def storage_class(session: Session, code: str) -> StorageClassPublic:
    return StorageClassPublic.model_validate(
        repo.by_code(session, StorageClass, code, "storage class"))


# --- the alarm engine's picture of zones and stock (hub/alarm_wiring.py) --------------


class ClassLimits(NamedTuple):
    code: str
    temp_min_c: float | None
    temp_max_c: float | None
    humidity_min_pct: float | None
    humidity_max_pct: float | None
    excursion_tolerance_s: int | None


def storage_class_limits(session: Session) -> list[ClassLimits]:
    return [ClassLimits(c.code, c.temp_min_c, c.temp_max_c, c.humidity_min_pct,
                        c.humidity_max_pct, c.excursion_tolerance_s)
            for c in session.scalars(select(StorageClass).order_by(StorageClass.code))]


class ZoneClass(NamedTuple):
    code: str
    storage_class: str | None
    name: str
    excursion_tolerance_s: int | None


def zone_classes(session: Session) -> list[ZoneClass]:
    return [ZoneClass(z.code, z.storage_class.code if z.storage_class else None, z.name,
                      z.excursion_tolerance_s)
            for z in session.scalars(select(Zone).order_by(Zone.code))]


class LotOnHand(NamedTuple):
    lot_number: str
    sku: str
    item_name: str
    expiry: date
    on_hand: float
    zone: str  # the first zone (by code) that holds some of it


def lots_on_hand_with_expiry(session: Session) -> list[LotOnHand]:
    """Lots with an expiry date and stock on hand, summed over their locations."""
    rows = session.execute(
        select(Lot.lot_number, Item.sku, Item.name, Lot.expiry, func.sum(Balance.quantity),
               func.min(Zone.code))
        .join(Item, Item.id == Lot.item_id)
        .join(Balance, Balance.lot_id == Lot.id)
        .join(Location, Location.id == Balance.location_id)
        .join(Zone, Zone.id == Location.zone_id)
        .where(Balance.quantity > 0, Lot.expiry.is_not(None))
        .group_by(Lot.id, Lot.lot_number, Item.sku, Item.name, Lot.expiry))
    return [LotOnHand(number, sku, name, expiry, float(on_hand), zone)
            for number, sku, name, expiry, on_hand, zone in rows]


class ItemOnHand(NamedTuple):
    sku: str
    name: str
    on_hand: float
    min_stock: int | None
    max_stock: int | None


def items_with_stock_limits(session: Session) -> list[ItemOnHand]:
    """Items with a minimum or a maximum stock, and their stock on hand."""
    on_hand = dict(session.execute(select(Balance.item_id, func.sum(Balance.quantity))
                                   .group_by(Balance.item_id)).all())
    return [ItemOnHand(i.sku, i.name, float(on_hand.get(i.id) or 0), i.min_stock, i.max_stock)
            for i in session.scalars(select(Item).where(
                (Item.min_stock > 0) | Item.max_stock.is_not(None)))]


def returns(session: Session, *, return_id: int | None = None,
            pending: bool = False) -> list[ReturnPublic]:
    """Returns as shown (inventory/returns.py), in id order: one by id, those awaiting
    inspection, or all."""
    returner, inspector = aliased(User), aliased(User)
    query = (
        select(ReturnHold.id, Item.sku, Lot.lot_number, Lot.expiry, Location.code,
               ReturnHold.quantity, ReturnHold.status, ReturnHold.reason, ReturnHold.reference,
               ReturnHold.booking, returner.username, ReturnHold.returned_at,
               inspector.username, ReturnHold.inspected_at, ReturnHold.inspection_reason,
               ReturnHold.reject_booking)
        .join(Item, Item.id == ReturnHold.item_id)
        .join(Lot, Lot.id == ReturnHold.lot_id)
        .join(Location, Location.id == ReturnHold.location_id)
        .join(returner, returner.id == ReturnHold.returned_by)
        .outerjoin(inspector, inspector.id == ReturnHold.inspected_by)
        .order_by(ReturnHold.id)
    )
    if return_id is not None:
        query = query.where(ReturnHold.id == return_id)
    if pending:
        query = query.where(ReturnHold.status == HoldStatus.PENDING)
    return [ReturnPublic(
        id=hold_id, item=sku, lot_number=lot_number, expiry=expiry, location=code,
        quantity=quantity, status=HoldStatus(status), reason=reason, reference=reference,
        booking=booking, returned_by=returned_by, returned_at=returned_at,
        inspected_by=inspected_by, inspected_at=inspected_at,
        inspection_reason=inspection_reason, reject_booking=reject_booking,
    ) for (hold_id, sku, lot_number, expiry, code, quantity, status, reason, reference, booking,
           returned_by, returned_at, inspected_by, inspected_at, inspection_reason,
           reject_booking) in session.execute(query)]
