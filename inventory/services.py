"""Stock use cases: one function per verb, each owning its transaction (through
`run_write`: retried on lock conflicts, answered once per idempotency key).

After each committed change the inventory's stock hooks are called
(inventory/hooks.py); a replayed request changed nothing and calls none."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory import returns
from inventory.allocation import allocate, allocate_from_lot
from inventory.commands import Adjust, Count, Dispatch, PickPreview, QcChange, Receive, Return
from inventory.commands import Transfer as TransferCommand
from inventory.domain import (
    AllocationPolicy,
    MoveKind,
    PickLine,
    Placement,
    QcStatus,
    check_placement,
    check_qc_transition,
    is_expired,
    receipt_status,
)
from inventory.hooks import QC_STATUS, StockChange, stock_hooks
from inventory.ledger import Booking, Leg, LotRef, Place, StockChanged, post
from inventory.orm import Balance, Item, Location, Lot, QcEvent
from inventory.schemas import LotStatusPublic
from inventory.stocktakes import service as stocktake
from kernel.actors import Actor, Role
from kernel.clock import Clock, utcnow
from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.orm import Zone
from kernel.uow import Done, Idempotency, Retry, run_read, run_write


def _booked(done: Done[Booking]) -> Done[Booking]:
    """Tell the stock hooks what the committed booking changed."""
    booking = done.value
    if booking is not None and booking.lines:
        lots = tuple(dict.fromkeys(line.lot_number for line in booking.lines))
        places = tuple(dict.fromkeys(
            code for line in booking.lines for code in (line.from_location, line.to_location)
            if code is not None))
        stock_hooks.emit([StockChange(booking.kind.value, booking.item, lots, places,
                                      booking.at, booking.booking)])
    return done


def _qc_change(status: LotStatusPublic) -> StockChange:
    return StockChange(QC_STATUS, status.item, (status.lot_number,), (), status.changed_at)


def _key(idem: Idempotency | None) -> str | None:
    return idem.key if idem else None


def _place(location: Location) -> Place:
    return Place(location.id, location.code)


def _lot_ref(lot: Lot) -> LotRef:
    return LotRef(lot.id, lot.lot_number, lot.expiry)


def check_item_fits(item: Item, location: Location) -> None:
    zone = location.zone
    check_placement(Placement(
        item_label=f"{item.sku} ({item.name})",
        item_storage_class=item.storage_class.code if item.storage_class else None,
        item_hazardous=item.hazardous,
        zone_code=zone.code,
        zone_storage_class=repo.zone_storage_class(zone),
        zone_hazardous=zone.hazardous,
    ))


def _lot_for_receipt(
    session: Session, item: Item, lot_number: str, expiry: date | None,
    production_date: date | None, now: datetime, status: QcStatus,
) -> Lot:
    lot = repo.find_lot(session, item.id, lot_number)
    if lot is None:
        lot = Lot(item_id=item.id, lot_number=lot_number, expiry=expiry,
                  production_date=production_date, received_at=now, qc_status=status.value)
        session.add(lot)
        session.flush()  # a concurrent creator makes this fail; run_write retries
    else:
        _check_expiry(item.sku, lot_number, lot.expiry, expiry)
    return lot


def _check_expiry(sku: str, lot_number: str, on_record: date | None,
                  labelled: date | None) -> None:
    if labelled is not None and on_record is not None and labelled != on_record:
        raise Conflict(
            f"lot {lot_number} of {sku} is on record with expiry {on_record}, "
            f"not {labelled}; check the label",
            code="lot_expiry_mismatch",
        )


def receive(
    session: Session, cmd: Receive, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[Booking]:
    """Goods in: create the lot if new (in quarantine when the item asks for it)."""

    def work() -> Booking:
        now = clock()
        found = repo.receipt_context(session, cmd.item, cmd.location, cmd.lot_number)
        item = found.item
        check_placement(Placement(
            item_label=f"{item.sku} ({found.item_name})",
            item_storage_class=found.item_storage_class, item_hazardous=found.item_hazardous,
            zone_code=found.zone_code, zone_storage_class=found.zone_storage_class,
            zone_hazardous=found.zone_hazardous,
        ))
        if is_expired(cmd.expiry, now.date()):
            raise Invalid(
                f"lot {cmd.lot_number} expired on {cmd.expiry}; expired goods are not received",
                code="expired_at_receipt",
            )
        if found.lot is None:
            status = receipt_status(found.quarantine_on_receipt).value
            lot = LotRef(repo.add_lot(session, {
                "item_id": item.id, "lot_number": cmd.lot_number, "expiry": cmd.expiry,
                "production_date": cmd.production_date, "received_at": now,
                "qc_status": status}), cmd.lot_number, cmd.expiry)
        else:
            _check_expiry(item.sku, cmd.lot_number, found.lot_expiry, cmd.expiry)
            lot, status = LotRef(found.lot, cmd.lot_number, found.lot_expiry), found.lot_status
        booking = post(session, kind=MoveKind.RECEIVE, item=item,
                       legs=[Leg(lot, None, Place(found.location, found.location_code),
                                 cmd.quantity)],
                       actor=actor, at=now, reference=cmd.reference, idempotency_key=_key(idem))
        booking.lot_status = status
        return booking

    return _booked(run_write(session, work, idempotency=idem, creates=True))


# Balances a plain dispatch locks first, in pick order: enough for nearly every pick.
# When they do not hold the quantity, the dispatch starts over and locks all of them.
PICK_PAGE = 16


def _pick(
    session: Session, item: Item | repo.ItemRef, quantity: int, today: date, *, lock: bool,
    location: str | None = None, lot_number: str | None = None, reason: str | None = None,
    page: int | None = None, locked: dict[repo.BalanceKey, repo.LockedBalance] | None = None,
) -> list[PickLine]:
    """The pick list; with `page`, allocated from the first `page` balances in pick
    order (raises `Retry` when they are locked and too few: the next attempt locks
    all, in a fresh transaction, so locks are still taken in the global order)."""
    policy = AllocationPolicy(item.policy)
    if location is not None or lot_number is not None:
        page = None
    stock = repo.stock_on_hand(session, item.id, today=today, lock=lock,
                               usable_only=lot_number is None, policy=policy, limit=page,
                               locked=locked)
    if page is not None and len(stock) == page and sum(s.quantity for s in stock) < quantity:
        if lock:
            raise Retry("the first balances in pick order hold too little")
        stock = repo.stock_on_hand(session, item.id, today=today, lock=False, policy=policy)
    if location is not None:
        place = repo.location_by_code(session, location)
        stock = [s for s in stock if s.location_id == place.id]
    label = f"{item.unit} of {item.sku}"
    if lot_number is None:
        return allocate(stock, quantity, policy, today, item_label=label)
    suggested = allocate(stock, quantity, policy, today, item_label=label)
    if lot_number != suggested[0].lot_number and not reason:
        raise Invalid(
            f"lot {suggested[0].lot_number} is next to pick for {item.sku}; "
            f"picking lot {lot_number} instead needs a reason",
            code="reason_required",
        )
    return allocate_from_lot(stock, lot_number, quantity, today, item_label=label)


@dataclass(slots=True)
class PickList:
    item: str
    policy: AllocationPolicy
    quantity: int
    lines: list[PickLine]


def preview_pick(session: Session, cmd: PickPreview, clock: Clock = utcnow) -> PickList:
    """The pick list a dispatch would book now, booking nothing."""

    def work() -> PickList:
        item = repo.item_ref(session, cmd.item)
        lines = _pick(session, item, cmd.quantity, clock().date(), lock=False,
                      location=cmd.location, page=PICK_PAGE)
        return PickList(item.sku, AllocationPolicy(item.policy), cmd.quantity, lines)

    return run_read(session, work)


def dispatch(
    session: Session, cmd: Dispatch, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[Booking]:
    """Goods out, FEFO/FIFO; another lot than suggested only with a reason (recorded).

    The item's usable balances are locked in pick order, the first PICK_PAGE of
    them (all of them on a second attempt, or when a lot or bin is named), and the
    pick is allocated from what is locked: a concurrent dispatch of the same item
    waits for the first row instead of allocating from a stale read and retrying."""

    attempts = itertools.count()

    def work() -> Booking:
        now = clock()
        today = now.date()
        locked: dict[repo.BalanceKey, repo.LockedBalance] = {}
        page = PICK_PAGE if next(attempts) == 0 else None
        item: repo.ItemRef
        if cmd.location is None and cmd.lot_number is None:
            item, stock = repo.lock_usable_stock(session, cmd.item, today=today, limit=page,
                                                 locked=locked)
            if page is not None and len(stock) == page and (
                    sum(s.quantity for s in stock) < cmd.quantity):
                raise Retry("the first balances in pick order hold too little")
            picks = allocate(stock, cmd.quantity, AllocationPolicy(item.policy), today,
                             item_label=f"{item.unit} of {item.sku}")
        else:
            item = repo.item_ref(session, cmd.item)
            picks = _pick(session, item, cmd.quantity, today, lock=True,
                          location=cmd.location, lot_number=cmd.lot_number, reason=cmd.reason,
                          locked=locked)
        legs = [Leg(LotRef(p.lot_id, p.lot_number, p.expiry),
                    Place(p.location_id, p.location_code), None, p.quantity) for p in picks]
        try:
            return post(session, kind=MoveKind.DISPATCH, item=item, legs=legs, actor=actor,
                        at=now, reference=cmd.reference, reason=cmd.reason,
                        idempotency_key=_key(idem), locked=locked)
        except StockChanged as exc:  # cannot happen under the lock; kept as a guard
            raise Retry("stock changed under the allocation") from exc

    return _booked(run_write(session, work, idempotency=idem, creates=True))


def transfer(
    session: Session, cmd: TransferCommand, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[Booking]:
    """Move a lot between bins; the destination must suit the item."""

    def work() -> Booking:
        if cmd.from_location == cmd.to_location:
            raise Invalid("from and to are the same location", code="same_location")
        item = repo.item_by_reference(session, cmd.item)
        lot = repo.lot_of_item(session, item, cmd.lot_number)
        source = repo.location_by_code(session, cmd.from_location)
        target = repo.location_by_code(session, cmd.to_location)
        check_item_fits(item, target)
        leg = Leg(_lot_ref(lot), _place(source), _place(target), cmd.quantity)
        return post(session, kind=MoveKind.TRANSFER, item=item, legs=[leg], actor=actor,
                    at=clock(), reference=cmd.reference, idempotency_key=_key(idem))

    return _booked(run_write(session, work, idempotency=idem, creates=True))


def _signed_leg(lot: Lot, location: Location, delta: int) -> list[Leg]:
    if delta == 0:
        return []
    place = _place(location)
    if delta > 0:
        return [Leg(_lot_ref(lot), None, place, delta)]
    return [Leg(_lot_ref(lot), place, None, -delta)]


def adjust(
    session: Session, cmd: Adjust, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[Booking]:
    """Correct a balance by a signed amount, with a reason (supervisors)."""

    def work() -> Booking:
        if cmd.delta == 0:
            raise Invalid("an adjustment of 0 changes nothing", code="zero_adjustment")
        item = repo.item_by_reference(session, cmd.item)
        lot = repo.lot_of_item(session, item, cmd.lot_number)
        location = repo.location_by_code(session, cmd.location)
        if cmd.delta > 0:
            check_item_fits(item, location)
        return post(session, kind=MoveKind.ADJUST, item=item,
                    legs=_signed_leg(lot, location, cmd.delta), actor=actor, at=clock(),
                    reference=cmd.reference, reason=cmd.reason, idempotency_key=_key(idem))

    return _booked(run_write(session, work, idempotency=idem, creates=True))


def count(
    session: Session, cmd: Count, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[Booking]:
    """Book a physical count: the difference to the balance becomes a count move.
    Inside a stocktake (named, or the bin's active one) the count is recorded
    there and nothing is booked until the stocktake is approved."""

    def work() -> Booking:
        item = repo.item_by_reference(session, cmd.item)
        lot = repo.lot_of_item(session, item, cmd.lot_number)
        location = repo.location_by_code(session, cmd.location)
        stocktake_id = cmd.stocktake or stocktake.active_for_bin(session, location.id)
        if stocktake_id is not None:
            return stocktake.count_as_booking(session, stocktake_id, item, lot, location,
                                              cmd.counted, actor, clock, cmd.reference)
        repo.ensure_balances(session, [(item.id, lot.id, location.id)])
        balance = repo.lock_balances(session, [(lot.id, location.id)])[(lot.id, location.id)]
        delta = cmd.counted - balance.quantity
        return post(session, kind=MoveKind.COUNT, item=item,
                    legs=_signed_leg(lot, location, delta), actor=actor, at=clock(),
                    reference=cmd.reference, reason=f"counted {cmd.counted}",
                    idempotency_key=_key(idem))

    return _booked(run_write(session, work, idempotency=idem, creates=True))


def _set_qc(lot: Lot, status: QcStatus, reason: str, actor: Actor, now: datetime) -> QcEvent:
    event = QcEvent(lot_id=lot.id, from_status=lot.qc_status, to_status=status.value,
                    reason=reason, user_id=actor.user_id, at=now)
    lot.qc_status, lot.qc_reason = status.value, reason
    lot.qc_changed_by, lot.qc_changed_at = actor.user_id, now
    return event


def return_goods(
    session: Session, cmd: Return, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[Booking]:
    """Goods back from a customer, into the given bin. By default the returned
    units are held there until a supervisor inspects them (inventory/returns.py):
    the rest of the lot stays available and its QC status is not touched. Skipping
    the inspection (`quarantine` false) is the inspector's decision: a supervisor's
    or an admin's; an operator asking for it is refused, nothing booked."""
    if not cmd.quarantine and not actor.role.allows(Role.SUPERVISOR):
        raise Forbidden(
            f"{actor.username} is {actor.role.value}: returned goods go to inspection; "
            "only a supervisor or admin may book them as available at once "
            "(quarantine false). Send the return without quarantine false.",
            code="return_inspection_required")

    def work() -> Booking:
        now = clock()
        item = repo.item_by_reference(session, cmd.item)
        location = repo.location_by_code(session, cmd.location)
        check_item_fits(item, location)
        lot = _lot_for_receipt(session, item, cmd.lot_number, cmd.expiry, None, now,
                               receipt_status(item.quarantine_on_receipt))
        booking = post(session, kind=MoveKind.RETURN, item=item,
                       legs=[Leg(_lot_ref(lot), None, _place(location), cmd.quantity)],
                       actor=actor, at=now, reference=cmd.reference, reason=cmd.reason,
                       idempotency_key=_key(idem))
        if cmd.quarantine:
            booking.return_id = returns.hold_returned(
                session, item=item, lot=lot, location=location, quantity=cmd.quantity,
                booking=booking, reason=cmd.reason, reference=cmd.reference, actor=actor,
                at=now).id
        booking.lot_status = lot.qc_status
        return booking

    return _booked(run_write(session, work, idempotency=idem, creates=True))


def _lot_status(lot: Lot, status: QcStatus, reason: str | None, actor: Actor,
                at: datetime) -> LotStatusPublic:
    return LotStatusPublic(lot_id=lot.id, item=lot.item.sku, lot_number=lot.lot_number,
                           expiry=lot.expiry, qc_status=status, reason=reason,
                           changed_by=actor.username, changed_at=at)


def change_qc_status(
    session: Session, lot_id: int, cmd: QcChange, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> Done[LotStatusPublic]:
    """Quality releases, holds, rejects or recalls a lot, with a reason."""

    def work() -> LotStatusPublic:
        lot = session.scalar(select(Lot).where(Lot.id == lot_id).with_for_update(of=Lot))
        if lot is None:
            raise NotFound(f"no lot with id {lot_id}", code="lot_not_found")
        check_qc_transition(lot.lot_number, QcStatus(lot.qc_status), cmd.status)
        now = clock()
        session.add(_set_qc(lot, cmd.status, cmd.reason, actor, now))
        return _lot_status(lot, cmd.status, cmd.reason, actor, now)

    done = run_write(session, work, idempotency=idem)
    if done.value is not None:
        stock_hooks.emit([_qc_change(done.value)])
    return done


def hold_lots_in_zone(
    session: Session, zone_code: str, reason: str, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> Done[list[LotStatusPublic]]:
    """After a critical excursion: every released lot with stock in the zone goes
    on hold for quality review (for supervisors, and for the alarm engine)."""

    def work() -> list[LotStatusPublic]:
        zone = session.scalar(select(Zone).where(Zone.code == zone_code))
        if zone is None:
            raise NotFound(f"no zone {zone_code}", code="zone_not_found")
        lots = session.scalars(
            select(Lot).where(
                Lot.qc_status == QcStatus.RELEASED.value,
                Lot.id.in_(
                    select(Balance.lot_id).join(Location, Location.id == Balance.location_id)
                    .where(Location.zone_id == zone.id, Balance.quantity > 0)
                ),
            ).order_by(Lot.id).with_for_update(of=Lot)
        ).all()
        now = clock()
        held = []
        for lot in lots:
            session.add(_set_qc(lot, QcStatus.ON_HOLD, reason, actor, now))
            held.append(_lot_status(lot, QcStatus.ON_HOLD, reason, actor, now))
        return held

    done = run_write(session, work, idempotency=idem)
    if done.value is not None:
        stock_hooks.emit([_qc_change(held) for held in done.value])
    return done
