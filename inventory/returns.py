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
inventory/schemas.py's Inspection and ReturnPublic; the SQL is in
inventory/repository.py (the hold's lock, `balances.held`) and inventory/queries.py
(the returns as shown)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from inventory import queries
from inventory import repository as repo
from inventory.domain import Decision, HoldStatus, MoveKind
from inventory.hooks import StockChange, stock_hooks
from inventory.ledger import Leg, LotRef, Place, post
from inventory.orm import Item, Location, Lot, ReturnHold
from inventory.schemas import BookingPublic, Inspection, ReturnPublic
from kernel.actors import Actor
from kernel.clock import Clock, utcnow
from kernel.errors import Conflict, NotFound
from kernel.uow import Idempotency, consistent_read, unit_of_work

RELEASED_KIND = "return_released"  # the stock hooks' kind for held units made available


def hold_returned(
    session: Session, *, item: Item, lot: Lot, location: Location, quantity: int,
    booking: BookingPublic, reason: str, reference: str | None, actor: Actor, at: datetime,
) -> ReturnHold:
    """Hold the units a return just booked (in the return's transaction)."""
    repo.change_held(session, lot.id, location.id, quantity)
    hold = ReturnHold(
        item_id=item.id, lot_id=lot.id, location_id=location.id, quantity=quantity,
        status=HoldStatus.PENDING.value, booking=booking.booking, reason=reason,
        reference=reference, returned_by=actor.user_id, returned_at=at,
    )
    session.add(hold)
    session.flush()
    return hold


@consistent_read
def pending(session: Session) -> list[ReturnPublic]:
    """Returns awaiting inspection, oldest first."""
    return queries.returns(session, pending=True)


@consistent_read
def get(session: Session, return_id: int) -> ReturnPublic:
    found = queries.returns(session, return_id=return_id)
    if not found:
        raise NotFound("no return with id %(return_id)s", code="return_not_found",
            return_id=return_id)
    return found[0]


def _inspected(row: ReturnPublic) -> None:
    """Tell the stock hooks: units made available, or written off (by an adjust move)."""
    rejected = row.status is HoldStatus.REJECTED
    stock_hooks.emit([StockChange(MoveKind.ADJUST.value if rejected else RELEASED_KIND,
                                  row.item, (row.lot_number,), (row.location,),
                                  row.inspected_at or utcnow(), row.reject_booking)])


@unit_of_work(after=_inspected)
def inspect(
    session: Session, return_id: int, cmd: Inspection, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> ReturnPublic:
    """Release the held units into stock, or reject them (written off by a move)."""
    hold = repo.lock_return(session, return_id)
    if hold.status != HoldStatus.PENDING:
        raise Conflict("return %(id)s was %(status)s already",
                       code="return_already_inspected", id=return_id, status=hold.status)
    now = clock()
    repo.lock_balances(session, [(hold.lot_id, hold.location_id)])
    repo.change_held(session, hold.lot_id, hold.location_id, -hold.quantity)
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
    hold.status = (HoldStatus.REJECTED if cmd.decision is Decision.REJECT
                   else HoldStatus.RELEASED).value
    hold.inspected_by, hold.inspected_at = actor.user_id, now
    hold.inspection_reason = cmd.reason
    session.flush()
    return queries.returns(session, return_id=hold.id)[0]
