"""Stocktakes: count a zone or a list of bins while the warehouse keeps working.

Opening one lists a line per (lot, bin) with stock in its bins. A count records
the counted quantity and the book quantity of that balance read under its lock
in the same transaction, and books nothing; moves go on as usual. Approval posts
one `count` move per line with a difference (reference `stocktake:<id>`), so the
ledger says who approved what and when. The rules (states, variance, recount)
are plain Python in inventory/stocktakes/domain.py; the reading side is
inventory/stocktakes/queries.py, and what requests say and answers show is
inventory/stocktakes/schemas.py. Every write goes through the one unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory.domain import MoveKind
from inventory.hooks import StockChange, stock_hooks
from inventory.ledger import Leg, LotRef, Place, post
from inventory.orm import Balance, Item, Location, Lot, Stocktake, StocktakeBin, StocktakeCount
from inventory.orm import StocktakeLine as LineRow
from inventory.schemas import BookingPublic
from inventory.stocktakes.domain import (
    ACTIVE,
    LineFigures,
    LineStatus,
    StocktakeStatus,
    adjustment,
    check_approve,
    check_cancel,
    check_count,
    check_recount,
    status_after_counting,
)
from inventory.stocktakes.queries import bin_codes, view
from inventory.stocktakes.schemas import (
    CancelRequest,
    CountEntry,
    OpenStocktake,
    RecountRequest,
    StocktakePublic,
)
from kernel.actors import Actor
from kernel.clock import Clock, utcnow
from kernel.errors import Conflict, Invalid, NotFound
from kernel.orm import Zone
from kernel.uow import Done, Idempotency, run_write


def _key(idem: Idempotency | None) -> str | None:
    return idem.key if idem else None


def _locked(session: Session, stocktake_id: int) -> Stocktake:
    """The stocktake, locked: its counts and steps happen one at a time."""
    found = session.scalar(
        select(Stocktake).where(Stocktake.id == stocktake_id).with_for_update())
    if found is None:
        raise NotFound(f"no stocktake {stocktake_id}", code="stocktake_not_found")
    return found


def _lines(session: Session, stocktake_id: int) -> list[LineRow]:
    return list(session.scalars(
        select(LineRow).where(LineRow.stocktake_id == stocktake_id).order_by(LineRow.id)))


def active_for_bin(session: Session, location_id: int) -> int | None:
    """The active stocktake counting this bin, if any."""
    return session.scalar(
        select(Stocktake.id).join(StocktakeBin, StocktakeBin.stocktake_id == Stocktake.id)
        .where(StocktakeBin.location_id == location_id,
               Stocktake.status.in_([s.value for s in ACTIVE]))
    )


def _scope(session: Session, cmd: OpenStocktake) -> tuple[Zone | None, list[Location]]:
    if cmd.zone is not None:
        zone = session.scalar(select(Zone).where(Zone.code == cmd.zone))
        if zone is None:
            raise NotFound(f"no zone {cmd.zone}", code="zone_not_found")
        bins = list(session.scalars(select(Location).where(
            Location.zone_id == zone.id, Location.active.is_(True)).order_by(Location.code)))
        if not bins:
            raise Invalid(f"zone {cmd.zone} has no active bins to count", code="nothing_to_count")
        return zone, bins
    codes = list(dict.fromkeys(cmd.locations or []))
    return None, [repo.location_by_code(session, code) for code in codes]


def open_stocktake(
    session: Session, cmd: OpenStocktake, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[StocktakePublic]:
    """Open a count; a line for every (lot, bin) with stock in its bins."""

    def work() -> StocktakePublic:
        zone, bins = _scope(session, cmd)
        # Lock the bins (nothing else locks locations), so two supervisors opening
        # overlapping counts at once are taken one after the other and the second
        # sees the first's stocktake.
        session.execute(select(Location.id).where(Location.id.in_([b.id for b in bins]))
                        .order_by(Location.id).with_for_update())
        for location in bins:
            other = active_for_bin(session, location.id)
            if other is not None:
                raise Conflict(f"bin {location.code} is being counted in stocktake {other}",
                               code="bin_in_other_stocktake")
        stocktake = Stocktake(status=StocktakeStatus.OPEN.value, zone_id=zone.id if zone else None,
                              blind=cmd.blind, note=cmd.note, opened_by=actor.user_id,
                              opened_at=clock())
        session.add(stocktake)
        session.flush()
        session.add_all([StocktakeBin(stocktake_id=stocktake.id, location_id=b.id)
                         for b in bins])
        balances = session.execute(
            select(Balance.item_id, Balance.lot_id, Balance.location_id, Balance.quantity)
            .where(Balance.location_id.in_([b.id for b in bins]), Balance.quantity > 0)
            .order_by(Balance.id))
        session.add_all([
            LineRow(stocktake_id=stocktake.id, item_id=item_id, lot_id=lot_id,
                    location_id=location_id, status=LineStatus.PENDING.value,
                    book_at_open=quantity)
            for item_id, lot_id, location_id, quantity in balances
        ])
        session.flush()
        return view(session, stocktake, show_book=True)

    return run_write(session, work, idempotency=idem, creates=True)


def count_locked(
    session: Session, stocktake: Stocktake, item: Item, lot: Lot, location: Location,
    counted: int, actor: Actor, clock: Clock,
) -> LineRow:
    """Record a count in a stocktake the caller has locked, in its transaction."""
    label = f"lot {lot.lot_number} of {item.sku} in {location.code}"
    bins = bin_codes(session, stocktake.id)
    if location.code not in bins:
        raise Invalid(
            f"bin {location.code} is not in stocktake {stocktake.id}, which counts "
            f"{', '.join(sorted(bins)[:10])}{' …' if len(bins) > 10 else ''}",
            code="bin_not_in_stocktake",
        )
    line = session.scalar(select(LineRow).where(
        LineRow.stocktake_id == stocktake.id, LineRow.lot_id == lot.id,
        LineRow.location_id == location.id))
    check_count(stocktake.id, StocktakeStatus(stocktake.status),
                LineStatus(line.status) if line else None, label)
    # The book quantity under the balance's lock: any move is wholly before or
    # after this count (see the variance rule in stocktakes/domain.py).
    repo.ensure_balances(session, [(item.id, lot.id, location.id)])
    book = repo.lock_balances(session, [(lot.id, location.id)])[(lot.id, location.id)].quantity
    now = clock()
    if line is None:  # stock found that the book did not expect here
        line = LineRow(stocktake_id=stocktake.id, item_id=item.id, lot_id=lot.id,
                       location_id=location.id, book_at_open=book)
        session.add(line)
    line.status = LineStatus.COUNTED.value
    line.counted, line.book_at_count = counted, book
    line.counted_by, line.counted_at = actor.user_id, now
    session.flush()
    session.add(StocktakeCount(line_id=line.id, counted=counted, book_at_count=book,
                               user_id=actor.user_id, at=now))
    stocktake.status = status_after_counting(
        LineStatus(row.status) for row in _lines(session, stocktake.id)).value
    session.flush()
    return line


def count_as_booking(
    session: Session, stocktake_id: int, item: Item, lot: Lot, location: Location,
    counted: int, actor: Actor, clock: Clock, reference: str | None = None,
) -> BookingPublic:
    """A count from the moves or scan API inside a stocktake: recorded, nothing booked
    (an answer of the booking's shape with no lines)."""
    stocktake = _locked(session, stocktake_id)
    count_locked(session, stocktake, item, lot, location, counted, actor, clock)
    return BookingPublic.model_construct(
        booking="", kind=MoveKind.COUNT, item=item.sku, at=clock(), user=actor.username,
        reference=reference,
        reason=f"counted {counted} in stocktake {stocktake_id}; booked when approved",
        lines=[], lot_status=None)


def record_count(
    session: Session, stocktake_id: int, cmd: CountEntry, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> Done[StocktakePublic]:
    """A count entered in the stocktake; the answer shows the counted line."""

    def work() -> StocktakePublic:
        stocktake = _locked(session, stocktake_id)
        item = repo.item_by_reference(session, cmd.item)
        lot = repo.lot_of_item(session, item, cmd.lot_number)
        location = repo.location_by_code(session, cmd.location)
        line = count_locked(session, stocktake, item, lot, location, cmd.counted, actor, clock)
        return view(session, stocktake, show_book=False, only_line=line.id)

    return run_write(session, work, idempotency=idem, creates=True)


def request_recount(
    session: Session, stocktake_id: int, cmd: RecountRequest, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> Done[StocktakePublic]:
    """Reopen counted lines; their next count replaces the current one (the
    counts so far stay in the history)."""

    def work() -> StocktakePublic:
        stocktake = _locked(session, stocktake_id)
        lines = {line.id: line for line in _lines(session, stocktake.id)}
        check_recount(stocktake.id, StocktakeStatus(stocktake.status),
                      {n: LineStatus(line.status) for n, line in lines.items()}, cmd.lines)
        now = clock()
        for number in dict.fromkeys(cmd.lines):
            lines[number].status = LineStatus.RECOUNT.value
            latest = session.scalar(select(StocktakeCount).where(
                StocktakeCount.line_id == number).order_by(StocktakeCount.id.desc()).limit(1))
            if latest is not None:
                latest.recount_asked_by, latest.recount_asked_at = actor.user_id, now
        stocktake.status = status_after_counting(
            LineStatus(line.status) for line in lines.values()).value
        session.flush()
        return view(session, stocktake, show_book=True)

    return run_write(session, work, idempotency=idem)


def approve(
    session: Session, stocktake_id: int, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> Done[StocktakePublic]:
    """Post a `count` move for every line with a difference; all or nothing."""
    posted: list[BookingPublic] = []

    def work() -> StocktakePublic:
        posted.clear()  # a retried attempt starts over
        stocktake = _locked(session, stocktake_id)
        lines = _lines(session, stocktake.id)
        check_approve(stocktake.id, StocktakeStatus(stocktake.status),
                      sum(1 for line in lines if line.status != LineStatus.COUNTED))
        balances = repo.lock_balances(session, [(line.lot_id, line.location_id)
                                                for line in lines])
        now = clock()
        for line in lines:
            item = session.get_one(Item, line.item_id)
            lot = session.get_one(Lot, line.lot_id)
            location = session.get_one(Location, line.location_id)
            label = f"lot {lot.lot_number} of {item.sku} in {location.code}"
            book_now = balances[(line.lot_id, line.location_id)].quantity
            delta = adjustment(LineFigures(line.counted, line.book_at_count, book_now), label)
            if delta == 0:
                continue
            place = Place(location.id, location.code)
            ref = LotRef(lot.id, lot.lot_number, lot.expiry)
            leg = Leg(ref, None, place, delta) if delta > 0 else Leg(ref, place, None, -delta)
            posted.append(post(
                session, kind=MoveKind.COUNT, item=item, legs=[leg], actor=actor, at=now,
                reference=f"stocktake:{stocktake.id}",
                reason=(f"stocktake {stocktake.id}: counted {line.counted}, "
                        f"book {line.book_at_count} at the count"),
                idempotency_key=_key(idem),
            ))
        stocktake.status = StocktakeStatus.APPROVED.value
        stocktake.closed_by, stocktake.closed_at = actor.user_id, now
        session.flush()
        return view(session, stocktake, show_book=True)

    done = run_write(session, work, idempotency=idem)
    if done.value is not None:
        stock_hooks.emit([
            StockChange(b.kind.value, b.item, tuple(line.lot_number for line in b.lines),
                        tuple(line.from_location or line.to_location or "" for line in b.lines),
                        b.at, b.booking) for b in posted])
    return done


def cancel(
    session: Session, stocktake_id: int, cmd: CancelRequest, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> Done[StocktakePublic]:
    """Close the stocktake without posting anything; the counts stay on record."""

    def work() -> StocktakePublic:
        stocktake = _locked(session, stocktake_id)
        check_cancel(stocktake.id, StocktakeStatus(stocktake.status))
        stocktake.status = StocktakeStatus.CANCELLED.value
        stocktake.closed_by, stocktake.closed_at = actor.user_id, clock()
        stocktake.close_reason = cmd.reason
        session.flush()
        return view(session, stocktake, show_book=True)

    return run_write(session, work, idempotency=idem)
