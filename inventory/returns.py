"""Returns held per lot and bin until inspected, so that five units back from a
customer do not block the hundreds of the same lot still on the shelf.

A return books the units into its bin (a `return` move) and holds them there:
`balances.held` grows by the returned quantity and a `return_holds` row records
who returned what, when and why. Held units are in the ledger and on the shelf,
but allocation never sees them (repository.stock_on_hand counts `quantity -
held`) and no move may take them (ledger.post). The lot's QC status is not
touched. A supervisor's inspection releases them (the hold ends, the units are
available) or rejects them (the hold ends and an `adjust` move writes them off),
with who, when and why. The inspection request and the return as shown are
inventory/schemas.py's Inspection and ReturnPublic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from inventory import repository as repo
from inventory.domain import Decision, HoldStatus, MoveKind
from inventory.hooks import StockChange, stock_hooks
from inventory.ledger import Leg, LotRef, Place, post
from inventory.orm import Balance, Item, Location, Lot, ReturnHold
from inventory.schemas import BookingPublic, Inspection, ReturnPublic
from kernel.actors import Actor
from kernel.clock import Clock, utcnow
from kernel.errors import Conflict, NotFound
from kernel.orm import User
from kernel.uow import Done, Idempotency, run_read, run_write

RELEASED_KIND = "return_released"  # the stock hooks' kind for held units made available


def _change_held(session: Session, lot_id: int, location_id: int, by: int) -> None:
    session.execute(
        update(Balance).where(Balance.lot_id == lot_id, Balance.location_id == location_id)
        .values(held=Balance.held + by)
    )


def hold_returned(
    session: Session, *, item: Item, lot: Lot, location: Location, quantity: int,
    booking: BookingPublic, reason: str, reference: str | None, actor: Actor, at: datetime,
) -> ReturnHold:
    """Hold the units a return just booked (in the return's transaction)."""
    _change_held(session, lot.id, location.id, quantity)
    hold = ReturnHold(
        item_id=item.id, lot_id=lot.id, location_id=location.id, quantity=quantity,
        status=HoldStatus.PENDING.value, booking=booking.booking, reason=reason,
        reference=reference, returned_by=actor.user_id, returned_at=at,
    )
    session.add(hold)
    session.flush()
    return hold


def _rows(session: Session, *where: object) -> list[ReturnPublic]:
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
        # Unchecked below: the filters are SQL conditions built above; the list holding them is
        # typed list[object].
        .where(*where)  # type: ignore[arg-type]
        .order_by(ReturnHold.id)
    )
    return [ReturnPublic(
        id=hold_id, item=sku, lot_number=lot_number, expiry=expiry, location=code,
        quantity=quantity, status=HoldStatus(status), reason=reason, reference=reference,
        booking=booking, returned_by=returned_by, returned_at=returned_at,
        inspected_by=inspected_by, inspected_at=inspected_at,
        inspection_reason=inspection_reason, reject_booking=reject_booking,
    ) for (hold_id, sku, lot_number, expiry, code, quantity, status, reason, reference, booking,
           returned_by, returned_at, inspected_by, inspected_at, inspection_reason,
           reject_booking) in session.execute(query)]


def pending(session: Session) -> list[ReturnPublic]:
    """Returns awaiting inspection, oldest first."""
    return run_read(session, lambda: _rows(session, ReturnHold.status == HoldStatus.PENDING))


def get(session: Session, return_id: int) -> ReturnPublic:
    found = run_read(session, lambda: _rows(session, ReturnHold.id == return_id))
    if not found:
        raise NotFound(f"no return with id {return_id}", code="return_not_found")
    return found[0]


def inspect(
    session: Session, return_id: int, cmd: Inspection, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> Done[ReturnPublic]:
    """Release the held units into stock, or reject them (written off by a move)."""
    written_off: list[BookingPublic] = []

    def work() -> ReturnPublic:
        written_off.clear()  # a retried attempt starts over
        hold = session.scalar(
            select(ReturnHold).where(ReturnHold.id == return_id).with_for_update())
        if hold is None:
            raise NotFound(f"no return with id {return_id}", code="return_not_found")
        if hold.status != HoldStatus.PENDING:
            raise Conflict(f"return {return_id} was {hold.status} already",
                           code="return_already_inspected")
        now = clock()
        repo.lock_balances(session, [(hold.lot_id, hold.location_id)])
        _change_held(session, hold.lot_id, hold.location_id, -hold.quantity)
        if cmd.decision is Decision.REJECT:
            item = session.get_one(Item, hold.item_id)
            lot = session.get_one(Lot, hold.lot_id)
            location = session.get_one(Location, hold.location_id)
            booking = post(
                session, kind=MoveKind.ADJUST, item=item,
                legs=[Leg(LotRef(lot.id, lot.lot_number, lot.expiry),
                          Place(location.id, location.code), None, hold.quantity)],
                actor=actor, at=now, reference=f"return:{hold.id}",
                reason=f"return {hold.id} rejected: {cmd.reason}",
                idempotency_key=idem.key if idem else None,
            )
            hold.reject_booking = booking.booking
            written_off.append(booking)
        hold.status = (HoldStatus.REJECTED if cmd.decision is Decision.REJECT
                       else HoldStatus.RELEASED).value
        hold.inspected_by, hold.inspected_at = actor.user_id, now
        hold.inspection_reason = cmd.reason
        session.flush()
        return _rows(session, ReturnHold.id == hold.id)[0]

    done = run_write(session, work, idempotency=idem)
    row = done.value
    if row is not None:
        kind = MoveKind.ADJUST.value if written_off else RELEASED_KIND
        stock_hooks.emit([StockChange(kind, row.item, (row.lot_number,), (row.location,),
                                      row.inspected_at or clock(),
                                      written_off[0].booking if written_off else None)])
    return done
