"""Stocktakes: count a zone or a list of bins while the warehouse keeps working.

Opening one lists a line per (lot, bin) with stock in its bins. A count records
the counted quantity and the book quantity of that balance read under its lock
in the same transaction, and books nothing; moves go on as usual. Approval posts
one `count` move per line with a difference (reference `stocktake:<id>`), so the
ledger says who approved what and when. The rules (states, variance, recount)
are plain Python in inventory/stocktakes/domain.py; the reading side is
inventory/stocktakes/queries.py, and what requests say and answers show is
inventory/stocktakes/schemas.py; the SQL is inventory/stocktakes/repository.py. Every
write is one unit of work (`@unit_of_work`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory.domain import MoveKind
from inventory.hooks import StockChange, stock_hooks
from inventory.ledger import Leg, LotRef, Place, post
from inventory.orm import Item, Location, Lot, Stocktake, StocktakeBin, StocktakeCount
from inventory.orm import StocktakeLine as LineRow
from inventory.schemas import BookingPublic, CountResultPublic
from inventory.stocktakes import repository as stocktakes
from inventory.stocktakes.domain import (
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
from inventory.stocktakes.queries import bin_codes, sees_book, view
from inventory.stocktakes.schemas import (
    CancelRequest,
    CountEntry,
    OpenStocktake,
    RecountRequest,
    StocktakePublic,
)
from kernel import audit, signatures
from kernel.actors import Actor
from kernel.clock import Clock, utcnow
from kernel.errors import Conflict, Invalid
from kernel.orm import Zone
from kernel.signatures import Signer
from kernel.uow import Done, Idempotency, unit_of_work


def _key(idem: Idempotency | None) -> str | None:
    return idem.key if idem else None


def _scope(session: Session, cmd: OpenStocktake) -> tuple[Zone | None, list[Location]]:
    if cmd.zone is not None:
        zone = repo.by_code(session, Zone, cmd.zone, "zone")
        bins = repo.active_bins(session, zone.id)
        if not bins:
            raise Invalid("zone %(zone)s has no active bins to count", code="nothing_to_count",
                zone=cmd.zone)
        return zone, bins
    codes = list(dict.fromkeys(cmd.locations or []))
    return None, [repo.location_by_code(session, code) for code in codes]


@unit_of_work(creates=True)
def open_stocktake(
    session: Session, cmd: OpenStocktake, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow,
) -> StocktakePublic:
    """Open a count; a line for every (lot, bin) with stock in its bins."""
    zone, bins = _scope(session, cmd)
    stocktakes.lock_bins(session, [b.id for b in bins])
    for location in bins:
        other = stocktakes.active_for_bin(session, location.id)
        if other is not None:
            raise Conflict("bin %(bin)s is being counted in stocktake %(id)s",
                           code="bin_in_other_stocktake", bin=location.code, id=other)
    stocktake = Stocktake(status=StocktakeStatus.OPEN.value, zone_id=zone.id if zone else None,
                          blind=cmd.blind, note=cmd.note, opened_by=actor.user_id,
                          opened_at=clock())
    session.add(stocktake)
    session.flush()
    session.add_all([StocktakeBin(stocktake_id=stocktake.id, location_id=b.id)
                     for b in bins])
    session.add_all([
        LineRow(stocktake_id=stocktake.id, item_id=item_id, lot_id=lot_id,
                location_id=location_id, status=LineStatus.PENDING.value,
                book_at_open=quantity)
        for item_id, lot_id, location_id, quantity
        in stocktakes.stocked_balances(session, [b.id for b in bins])
    ])
    session.flush()
    opened = view(session, stocktake, show_book=True)
    audit.record(session, actor, "open", "stocktake", stocktake.id, None, {
        "zone": cmd.zone, "bins": sorted(b.code for b in bins), "blind": cmd.blind,
        "lines": len(opened.lines)}, cmd.note)
    return opened


def count_locked(
    session: Session, stocktake: Stocktake, item: Item, lot: Lot, location: Location,
    counted: int, actor: Actor, clock: Clock,
) -> LineRow:
    """Record a count in a stocktake the caller has locked, in its transaction."""
    label = f"lot {lot.lot_number} of {item.sku} in {location.code}"
    bins = bin_codes(session, stocktake.id)
    if location.code not in bins:
        raise Invalid(
            "bin %(bin)s is not in stocktake %(id)s, which counts %(bins)s",
            code="bin_not_in_stocktake", bin=location.code, id=stocktake.id,
            bins=", ".join(sorted(bins)[:10]) + (" …" if len(bins) > 10 else ""),
        )
    line = stocktakes.line_of(session, stocktake.id, lot.id, location.id)
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
    previous = line.counted
    line.status = LineStatus.COUNTED.value
    line.counted, line.book_at_count = counted, book
    line.counted_by, line.counted_at = actor.user_id, now
    session.flush()
    audit.record(session, actor, "count", "stocktake", stocktake.id,
                 {"line": label, "counted": previous},
                 {"line": label, "counted": counted, "book": book})
    session.add(StocktakeCount(line_id=line.id, counted=counted, book_at_count=book,
                               user_id=actor.user_id, at=now))
    stocktake.status = status_after_counting(
        LineStatus(row.status) for row in stocktakes.lines(session, stocktake.id)).value
    session.flush()
    return line


def count_as_booking(
    session: Session, stocktake_id: int, item: Item, lot: Lot, location: Location,
    counted: int, actor: Actor, clock: Clock, reference: str | None = None,
) -> BookingPublic:
    """A count from the moves or scan API inside a stocktake: recorded, nothing booked
    (an answer of the booking's shape with no lines)."""
    stocktake = stocktakes.lock(session, stocktake_id)
    line = count_locked(session, stocktake, item, lot, location, counted, actor, clock)
    # Blind counting: an operator in a blind stocktake is not told the book (nor so
    # the difference); a supervisor, or anyone in an open count, is.
    book = (line.book_at_count or 0) if sees_book(actor, stocktake) else None
    return BookingPublic.model_construct(
        booking="", kind=MoveKind.COUNT, item=item.sku, at=clock(), user=actor.username,
        reference=reference,
        reason=f"counted {counted} in stocktake {stocktake_id}; booked when approved",
        lines=[], lot_status=None, count=CountResultPublic(
            counted=counted, book=book, difference=None if book is None else counted - book,
            lot_number=lot.lot_number, location=location.code, stocktake=stocktake_id))


@unit_of_work(creates=True)
def record_count(
    session: Session, stocktake_id: int, cmd: CountEntry, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> StocktakePublic:
    """A count entered in the stocktake; the answer shows the counted line."""
    stocktake = stocktakes.lock(session, stocktake_id)
    item = repo.item_by_reference(session, cmd.item)
    lot = repo.lot_of_item(session, item, cmd.lot_number)
    location = repo.location_by_code(session, cmd.location)
    line = count_locked(session, stocktake, item, lot, location, cmd.counted, actor, clock)
    return view(session, stocktake, show_book=False, only_line=line.id)


@unit_of_work()
def request_recount(
    session: Session, stocktake_id: int, cmd: RecountRequest, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> StocktakePublic:
    """Reopen counted lines; their next count replaces the current one (the
    counts so far stay in the history)."""
    stocktake = stocktakes.lock(session, stocktake_id)
    lines = {line.id: line for line in stocktakes.lines(session, stocktake.id)}
    check_recount(stocktake.id, StocktakeStatus(stocktake.status),
                  {n: LineStatus(line.status) for n, line in lines.items()}, cmd.lines)
    now = clock()
    for number in dict.fromkeys(cmd.lines):
        lines[number].status = LineStatus.RECOUNT.value
        latest = stocktakes.latest_count(session, number)
        if latest is not None:
            latest.recount_asked_by, latest.recount_asked_at = actor.user_id, now
    stocktake.status = status_after_counting(
        LineStatus(line.status) for line in lines.values()).value
    session.flush()
    audit.record(session, actor, "recount", "stocktake", stocktake.id, None,
                 {"lines": sorted(dict.fromkeys(cmd.lines))})
    return view(session, stocktake, show_book=True)


def approve(
    session: Session, stocktake_id: int, actor: Actor, idem: Idempotency | None = None,
    clock: Clock = utcnow, *, signer: Signer | None = None,
) -> Done[StocktakePublic]:
    """Post a `count` move for every line with a difference; all or nothing. Signed
    by `signer` where the site requires it."""
    posted: list[BookingPublic] = []
    done = _approve(session, stocktake_id, actor, posted, idem, clock, signer)
    if done.value is not None:
        stock_hooks.emit([
            StockChange(b.kind.value, b.item, tuple(line.lot_number for line in b.lines),
                        tuple(line.from_location or line.to_location or "" for line in b.lines),
                        b.at, b.booking) for b in posted])
    return done


@unit_of_work()
def _approve(
    session: Session, stocktake_id: int, actor: Actor, posted: list[BookingPublic],
    idem: Idempotency | None, clock: Clock, signer: Signer | None = None,
) -> StocktakePublic:
    """The approval's transaction. It fills `posted` with its bookings for the stock
    hooks: the answer (and the recorded replay) is the stocktake, which does not carry
    them."""
    posted.clear()  # a retried attempt starts over
    signatures.need(signatures.STOCKTAKE_APPROVAL, signer)
    stocktake = stocktakes.lock(session, stocktake_id)
    lines = stocktakes.lines(session, stocktake.id)
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
    approved = {"status": StocktakeStatus.APPROVED.value, "adjustments": len(posted)}
    signed = None
    if signer is not None:  # what was approved: each line's book, count and adjustment
        signed = signatures.sign(session, signer, "stocktake", stocktake.id, {
            **approved, "lines": [[line.id, line.book_at_count, line.counted]
                                  for line in lines],
            "bookings": [b.booking for b in posted]}, clock=lambda: now)
    audit.record(session, actor, "approve", "stocktake", stocktake.id,
                 {"status": stocktake.status}, approved, signature=signatures.ref(signed))
    stocktake.status = StocktakeStatus.APPROVED.value
    stocktake.closed_by, stocktake.closed_at = actor.user_id, now
    session.flush()
    return view(session, stocktake, show_book=True)


@unit_of_work()
def cancel(
    session: Session, stocktake_id: int, cmd: CancelRequest, actor: Actor,
    idem: Idempotency | None = None, clock: Clock = utcnow,
) -> StocktakePublic:
    """Close the stocktake without posting anything; the counts stay on record."""
    stocktake = stocktakes.lock(session, stocktake_id)
    check_cancel(stocktake.id, StocktakeStatus(stocktake.status))
    audit.record(session, actor, "cancel", "stocktake", stocktake.id,
                 {"status": stocktake.status}, {"status": StocktakeStatus.CANCELLED.value},
                 cmd.reason)
    stocktake.status = StocktakeStatus.CANCELLED.value
    stocktake.closed_by, stocktake.closed_at = actor.user_id, clock()
    stocktake.close_reason = cmd.reason
    session.flush()
    return view(session, stocktake, show_book=True)
