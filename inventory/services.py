"""Stock use cases: every stock verb in this one module, each one unit of work
(`@unit_of_work`: one transaction, run again from the start on a lock conflict,
answered once per idempotency key). Locks are taken in one global order: lots,
then balances in pick order (inventory/repository.py).

After each committed change the inventory's stock hooks are called
(inventory/hooks.py); a replayed request changed nothing and calls none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from inventory import consignees, returns
from inventory import repository as repo
from inventory.allocation import (
    InsufficientStock,
    allocate,
    allocate_from_lot,
    held_stock_refusal,
)
from inventory.commands import (
    Adjust,
    Count,
    Dispatch,
    PickPreview,
    QcChange,
    QcChangeMany,
    Receive,
    Return,
)
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
from inventory.ledger import Leg, LotRef, Place, StockChanged, post
from inventory.orm import Item, Location, Lot, QcEvent
from inventory.qc_signing import sign_lots
from inventory.schemas import (
    BookingPublic,
    CountResultPublic,
    LotStatusesPublic,
    LotStatusPublic,
    PickLinePublic,
    PickListPublic,
    ReturnBookingPublic,
)
from inventory.stocktakes import repository as stocktakes
from inventory.stocktakes import service as stocktake
from kernel import audit, signatures
from kernel.actors import Actor, Role
from kernel.audit_chain import QC_STATUS as QC_STATUS_CHANGE
from kernel.clock import Clock, utcnow
from kernel.errors import Conflict, Forbidden, Invalid
from kernel.orm import SignatureRecord
from kernel.signatures import Signer
from kernel.uow import Done, Idempotency, Retry, attempt, consistent_read, unit_of_work


def _booked(booking: BookingPublic) -> None:
    """Tell the stock hooks what the committed booking changed."""
    if booking.lines:
        lots = tuple(dict.fromkeys(line.lot_number for line in booking.lines))
        places = tuple(dict.fromkeys(
            code for line in booking.lines for code in (line.from_location, line.to_location)
            if code is not None))
        stock_hooks.emit([StockChange(booking.kind.value, booking.item, lots, places,
                                      booking.at, booking.booking)])


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
        session.flush()  # a concurrent creator makes this fail; the unit of work reruns
    else:
        _check_expiry(item.sku, lot_number, lot.expiry, expiry)
    return lot


def _check_expiry(sku: str, lot_number: str, on_record: date | None,
                  labelled: date | None) -> None:
    if labelled is not None and on_record is not None and labelled != on_record:
        raise Conflict(
            "lot %(lot)s of %(sku)s is on record with expiry %(on_record)s, "
            "not %(labelled)s; check the label",
            code="lot_expiry_mismatch", lot=lot_number, sku=sku, on_record=on_record,
            labelled=labelled,
        )


@unit_of_work(creates=True, after=_booked)
def receive(
    session: Session, cmd: Receive, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> BookingPublic:
    """Goods in: create the lot if new (in quarantine when the item asks for it)."""
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
            "lot %(lot)s expired on %(expiry)s; expired goods are not received",
            code="expired_at_receipt", lot=cmd.lot_number, expiry=cmd.expiry,
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


# Balances a pick reads (or locks) first, in pick order: enough for nearly every pick.
# When they do not hold the quantity, the pick reads all of them.
PICK_PAGE = 16


def _pick(
    session: Session, reference: str, quantity: int, today: date, *, lock: bool,
    location: str | None = None, lot_number: str | None = None, reason: str | None = None,
    locked: dict[repo.BalanceKey, repo.LockedBalance] | None = None,
) -> tuple[repo.ItemRef, list[PickLine]]:
    """The one pick routine: the item and its pick list, FEFO/FIFO, from a bin or a
    lot when named (another lot than suggested needs a reason). With `lock`, the
    balances are locked in pick order (and entered in `locked`).

    Without a bin or lot named, the first run of a unit of work reads only the
    first PICK_PAGE balances. When they hold too little, a locking pick raises
    `Retry` (the one retry site: the rerun locks all of them in a fresh
    transaction, so locks are still taken in the global order); a preview reads
    the rest at once."""
    paged = location is None and lot_number is None
    page = PICK_PAGE if paged and attempt() == 0 else None
    if lock and paged:
        item, stock = repo.lock_usable_stock(session, reference, today=today, limit=page,
                                             locked=locked if locked is not None else {})
    else:
        item = repo.item_ref(session, reference)
        stock = repo.stock_on_hand(session, item.id, today=today, lock=lock,
                                   usable_only=lot_number is None,
                                   policy=AllocationPolicy(item.policy), limit=page,
                                   locked=locked)
    policy = AllocationPolicy(item.policy)
    if page is not None and len(stock) == page and sum(s.quantity for s in stock) < quantity:
        if lock:
            raise Retry("the first balances in pick order hold too little")
        stock = repo.stock_on_hand(session, item.id, today=today, lock=False, policy=policy)
    if location is not None:
        place = repo.location_by_code(session, location)
        stock = [s for s in stock if s.location_id == place.id]
    label = f"{item.unit} of {item.sku}"
    try:
        suggested = allocate(stock, quantity, policy, today, item_label=label)
    except InsufficientStock as refused:  # held by quality? say so, and why
        held = repo.unusable_lots(session, item.id, lot_number)
        raise held_stock_refusal(refused, item.sku, lot_number, held) from refused
    if lot_number is None:
        return item, suggested
    if lot_number != suggested[0].lot_number and not reason:
        raise Invalid(
            "lot %(next)s is next to pick for %(sku)s; "
            "picking lot %(lot)s instead needs a reason",
            code="reason_required", next=suggested[0].lot_number, sku=item.sku,
            lot=lot_number,
        )
    try:
        return item, allocate_from_lot(stock, lot_number, quantity, today, item_label=label)
    except Conflict as refused:
        if refused.code != "lot_not_allocatable":
            raise
        held = repo.unusable_lots(session, item.id, lot_number)
        raise held_stock_refusal(refused, item.sku, lot_number, held) from refused


@consistent_read
def preview_pick(session: Session, cmd: PickPreview, clock: Clock = utcnow) -> PickListPublic:
    """The pick list a dispatch would book now, booking nothing."""
    item, lines = _pick(session, cmd.item, cmd.quantity, clock().date(), lock=False,
                        location=cmd.location)
    return PickListPublic(item=item.sku, policy=AllocationPolicy(item.policy),
                          quantity=cmd.quantity,
                          lines=[PickLinePublic.model_validate(line) for line in lines])


@unit_of_work(creates=True, after=_booked)
def dispatch(
    session: Session, cmd: Dispatch, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> BookingPublic:
    """Goods out, FEFO/FIFO; another lot than suggested only with a reason (recorded).

    The item's usable balances are locked in pick order and the pick is allocated
    from what is locked: a concurrent dispatch of the same item waits for the
    first row instead of allocating from a stale read and retrying."""
    now = clock()
    receiver = _consignee(session, cmd.consignee)
    locked: dict[repo.BalanceKey, repo.LockedBalance] = {}
    item, picks = _pick(session, cmd.item, cmd.quantity, now.date(), lock=True,
                        location=cmd.location, lot_number=cmd.lot_number, reason=cmd.reason,
                        locked=locked)
    legs = [Leg(LotRef(p.lot_id, p.lot_number, p.expiry),
                Place(p.location_id, p.location_code), None, p.quantity) for p in picks]
    try:
        return post(session, kind=MoveKind.DISPATCH, item=item, legs=legs, actor=actor,
                    at=now, reference=cmd.reference, reason=cmd.reason,
                    idempotency_key=_key(idem), locked=locked, consignee=receiver)
    except StockChanged as exc:  # cannot happen under the lock; kept as a guard
        raise Retry("stock changed under the allocation") from exc


def _consignee(session: Session, named: str | None) -> tuple[int, str] | None:
    """A dispatch's receiver (id, code): by code, else by GLN (typed, or scanned as a
    GS1 barcode with AI 410 or 413); refused when unknown or deactivated, or missing
    where the site requires one (inventory/consignees.py)."""
    if not named:
        if consignees.required():
            raise Invalid("this site records who receives each dispatch: name the "
                          "consignee (its code or GLN)", code="consignee_required")
        return None
    found = repo.find_consignee(session, code=named)
    if found is None:
        gln = consignees.gln_named(named)
        found = repo.find_consignee(session, gln=gln) if gln else None
    if found is None:
        raise Invalid("no consignee with the code or GLN %(named)s; choose one from the "
                      "list (/settings/consignees)", code="unknown_consignee", named=named)
    if not found.active:
        raise Invalid("consignee %(consignee)s (%(name)s) is deactivated; nothing is "
                      "dispatched to it", code="consignee_inactive", consignee=found.code,
                      name=found.name)
    return found.id, found.code


@unit_of_work(creates=True, after=_booked)
def transfer(
    session: Session, cmd: TransferCommand, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> BookingPublic:
    """Move a lot between bins; the destination must suit the item."""
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


def _signed_leg(lot: Lot, location: Location, delta: int) -> list[Leg]:
    if delta == 0:
        return []
    place = _place(location)
    if delta > 0:
        return [Leg(_lot_ref(lot), None, place, delta)]
    return [Leg(_lot_ref(lot), place, None, -delta)]


@unit_of_work(creates=True, after=_booked)
def adjust(
    session: Session, cmd: Adjust, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> BookingPublic:
    """Correct a balance by a signed amount, with a reason (supervisors)."""
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


@unit_of_work(creates=True, after=_booked)
def count(
    session: Session, cmd: Count, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> BookingPublic:
    """Book a physical count: the difference to the balance becomes a count move.
    Inside a stocktake (named, or the bin's active one) the count is recorded
    there and nothing is booked until the stocktake is approved."""
    item = repo.item_by_reference(session, cmd.item)
    lot = repo.lot_of_item(session, item, cmd.lot_number)
    location = repo.location_by_code(session, cmd.location)
    stocktake_id = cmd.stocktake or stocktakes.active_for_bin(session, location.id)
    if stocktake_id is not None:
        return stocktake.count_as_booking(session, stocktake_id, item, lot, location,
                                          cmd.counted, actor, clock, cmd.reference)
    repo.ensure_balances(session, [(item.id, lot.id, location.id)])
    balance = repo.lock_balances(session, [(lot.id, location.id)])[(lot.id, location.id)]
    delta = cmd.counted - balance.quantity
    booking = post(session, kind=MoveKind.COUNT, item=item,
                   legs=_signed_leg(lot, location, delta), actor=actor, at=clock(),
                   reference=cmd.reference, reason=f"counted {cmd.counted}",
                   idempotency_key=_key(idem))
    booking.count = CountResultPublic(counted=cmd.counted, book=balance.quantity,
                                      difference=delta, lot_number=lot.lot_number,
                                      location=location.code)
    return booking


def _set_qc(lot: Lot, status: QcStatus, reason: str, actor: Actor, now: datetime) -> QcEvent:
    event = QcEvent(lot_id=lot.id, from_status=lot.qc_status, to_status=status.value,
                    reason=reason, user_id=actor.user_id, at=now)
    lot.qc_status, lot.qc_reason = status.value, reason
    lot.qc_changed_by, lot.qc_changed_at = actor.user_id, now
    return event


def return_goods(
    session: Session, cmd: Return, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[ReturnBookingPublic]:
    """Goods back from a customer, into the given bin. By default the returned
    units are held there until a supervisor inspects them (inventory/returns.py):
    the rest of the lot stays available and its QC status is not touched. Skipping
    the inspection (`quarantine` false) is the inspector's decision: a supervisor's
    or an admin's; an operator asking for it is refused, nothing booked."""
    if not cmd.quarantine and not actor.role.allows(Role.SUPERVISOR):
        raise Forbidden(
            "%(user)s is %(role)s: returned goods go to inspection; "
            "only a supervisor or admin may book them as available at once "
            "(quarantine false). Send the return without quarantine false.",
            code="return_inspection_required", user=actor.username, role=actor.role.value)
    return _book_return(session, cmd, actor, idem, clock)


@unit_of_work(creates=True, after=_booked)
def _book_return(
    session: Session, cmd: Return, actor: Actor, idem: Idempotency | None, clock: Clock,
) -> ReturnBookingPublic:
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
    return_id = returns.hold_returned(
        session, item=item, lot=lot, location=location, quantity=cmd.quantity,
        booking=booking, reason=cmd.reason, reference=cmd.reference, actor=actor,
        at=now).id if cmd.quarantine else None
    booking.lot_status = lot.qc_status
    return ReturnBookingPublic.model_construct(**dict(booking), return_id=return_id)


def _lot_status(lot: Lot, status: QcStatus, reason: str | None, actor: Actor,
                at: datetime) -> LotStatusPublic:
    return LotStatusPublic(lot_id=lot.id, item=lot.item.sku, lot_number=lot.lot_number,
                           expiry=lot.expiry, qc_status=status, reason=reason,
                           changed_by=actor.username, changed_at=at)


@unit_of_work(after=lambda status: stock_hooks.emit([_qc_change(status)]))
def change_qc_status(
    session: Session, lot_id: int, cmd: QcChange, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow, *, signer: Signer | None = None,
) -> LotStatusPublic:
    """Quality releases, holds, rejects or recalls a lot, with a reason; a release or
    a reject signed by `signer` (inventory/qc_signing.py)."""
    return decide_lots(session, [lot_id], cmd, actor, clock(), signer)[0]


@unit_of_work(after=lambda done: stock_hooks.emit([_qc_change(s) for s in done.lots]))
def change_qc_status_many(
    session: Session, cmd: QcChangeMany, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow, *, signer: Signer | None = None,
) -> LotStatusesPublic:
    """One decision for many lots (an excursion's held lots): all or none, a release
    or a reject signed once for the whole list."""
    done = decide_lots(session, cmd.lot_ids, cmd, actor, clock(), signer)
    return LotStatusesPublic(changed=len(done), lots=done)


def decide_lots(session: Session, lot_ids: Sequence[int], cmd: QcChange, actor: Actor,
                now: datetime, signer: Signer | None) -> list[LotStatusPublic]:
    """The one QC-status step, for one lot or many: each lot locked (in id order, so
    two bulk decisions cannot deadlock) and its transition checked; then one signature
    over the whole list where the decision is signed; then each lot audited and set."""
    lots = []
    for lot_id in sorted(set(lot_ids)):
        lot = repo.lock_lot(session, lot_id)
        check_qc_transition(lot.lot_number, QcStatus(lot.qc_status), cmd.status)
        lots.append(lot)
    signed = sign_lots(session, lots, cmd.status, cmd.reason, signer, now)
    changed = {}
    for lot in lots:
        _audit_qc(session, lot, cmd.status, cmd.reason, actor, now, signed.get(lot.id))
        session.add(_set_qc(lot, cmd.status, cmd.reason, actor, now))
        changed[lot.id] = _lot_status(lot, cmd.status, cmd.reason, actor, now)
    return [changed[lot_id] for lot_id in dict.fromkeys(lot_ids)]


def _audit_qc(session: Session, lot: Lot, status: QcStatus, reason: str, actor: Actor,
              now: datetime, signed: SignatureRecord | None = None) -> None:
    audit.record(session, actor, "qc_status", "lot", f"{lot.item.sku}/{lot.lot_number}",
                 {"qc_status": lot.qc_status},
                 {"qc_status": status.value}, reason, kinds=[QC_STATUS_CHANGE],
                 clock=lambda: now, signature=signatures.ref(signed))


@unit_of_work(after=lambda held: stock_hooks.emit([_qc_change(lot) for lot in held]))
def hold_lots_in_zone(
    session: Session, zone_code: str, reason: str, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> list[LotStatusPublic]:
    """After a critical excursion: every released lot with stock in the zone goes
    on hold for quality review (for supervisors, and for the alarm engine)."""
    lots = repo.lock_released_lots_in_zone(session, zone_code)
    now = clock()
    held = []
    for lot in lots:
        _audit_qc(session, lot, QcStatus.ON_HOLD, reason, actor, now)
        session.add(_set_qc(lot, QcStatus.ON_HOLD, reason, actor, now))
        held.append(_lot_status(lot, QcStatus.ON_HOLD, reason, actor, now))
    return held
