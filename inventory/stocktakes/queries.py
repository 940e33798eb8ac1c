"""What a stocktake looks like to its readers: the stocktake with its lines
(book quantities only for those allowed to see them: blind counting), the list,
and the variance report per lot and bin. Plain queries, no locks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from inventory.orm import Balance, Item, Location, Lot, Stocktake, StocktakeBin, StocktakeCount
from inventory.orm import StocktakeLine as LineRow
from inventory.stocktakes.domain import LineFigures, StocktakeStatus, variance
from kernel.actors import Actor, Role
from kernel.errors import NotFound
from kernel.orm import User, Zone
from kernel.uow import run_read


@dataclass(frozen=True, slots=True)
class CountRecord:
    counted: int
    book: int | None  # None when the reader may not see it
    user: str
    at: datetime
    recount_asked_by: str | None


@dataclass(slots=True)
class LineView:
    id: int
    item: str
    lot_number: str
    expiry: date | None
    location: str
    status: str
    counted: int | None
    counted_by: str | None
    counted_at: datetime | None
    book: int | None  # the book quantity at the count (at opening while uncounted)
    counts: list[CountRecord] = field(default_factory=list)


@dataclass(slots=True)
class StocktakeView:
    id: int
    status: StocktakeStatus
    zone: str | None
    bins: list[str]
    blind: bool
    note: str | None
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    lines_total: int
    lines_counted: int
    lines: list[LineView] = field(default_factory=list)


def bin_codes(session: Session, stocktake_id: int) -> list[str]:
    return list(session.scalars(
        select(Location.code).join(StocktakeBin, StocktakeBin.location_id == Location.id)
        .where(StocktakeBin.stocktake_id == stocktake_id).order_by(Location.code)))


def _username(session: Session, user_id: int | None) -> str | None:
    return None if user_id is None else session.scalar(
        select(User.username).where(User.id == user_id))


def _line_views(session: Session, stocktake_id: int, show_book: bool,
                only_line: int | None = None) -> list[LineView]:
    counter = aliased(User)
    query = (
        select(LineRow.id, Item.sku, Lot.lot_number, Lot.expiry, Location.code, LineRow.status,
               LineRow.counted, counter.username, LineRow.counted_at, LineRow.book_at_count,
               LineRow.book_at_open)
        .join(Item, Item.id == LineRow.item_id).join(Lot, Lot.id == LineRow.lot_id)
        .join(Location, Location.id == LineRow.location_id)
        .outerjoin(counter, counter.id == LineRow.counted_by)
        .where(LineRow.stocktake_id == stocktake_id)
        .order_by(Location.code, Item.sku, Lot.lot_number)
    )
    if only_line is not None:
        query = query.where(LineRow.id == only_line)
    lines = []
    for (line_id, sku, lot_number, expiry, code, status, counted, by, at, book_at_count,
         book_at_open) in session.execute(query):
        book = book_at_count if book_at_count is not None else book_at_open
        lines.append(LineView(line_id, sku, lot_number, expiry, code, status, counted, by, at,
                              book if show_book else None))
    history = _history(session, [line.id for line in lines], show_book)
    for line in lines:
        line.counts = history.get(line.id, [])
    return lines


def _history(session: Session, line_ids: list[int],
             show_book: bool) -> dict[int, list[CountRecord]]:
    counter, asker = aliased(User), aliased(User)
    found: dict[int, list[CountRecord]] = {}
    if not line_ids:
        return found
    for line_id, counted, book, user, at, asked in session.execute(
        select(StocktakeCount.line_id, StocktakeCount.counted, StocktakeCount.book_at_count,
               counter.username, StocktakeCount.at, asker.username)
        .join(counter, counter.id == StocktakeCount.user_id)
        .outerjoin(asker, asker.id == StocktakeCount.recount_asked_by)
        .where(StocktakeCount.line_id.in_(line_ids)).order_by(StocktakeCount.id)
    ):
        found.setdefault(line_id, []).append(
            CountRecord(counted, book if show_book else None, user, at, asked))
    return found


def view(session: Session, stocktake: Stocktake, *, show_book: bool,
         only_line: int | None = None) -> StocktakeView:
    """The stocktake and its lines (or only one line, as a count's answer)."""
    statuses = list(session.scalars(
        select(LineRow.status).where(LineRow.stocktake_id == stocktake.id)))
    zone = None if stocktake.zone_id is None else session.scalar(
        select(Zone.code).where(Zone.id == stocktake.zone_id))
    return StocktakeView(
        id=stocktake.id, status=StocktakeStatus(stocktake.status), zone=zone,
        bins=bin_codes(session, stocktake.id), blind=stocktake.blind, note=stocktake.note,
        opened_by=_username(session, stocktake.opened_by) or "",
        opened_at=stocktake.opened_at, closed_by=_username(session, stocktake.closed_by),
        closed_at=stocktake.closed_at, close_reason=stocktake.close_reason,
        lines_total=len(statuses), lines_counted=statuses.count("counted"),
        lines=_line_views(session, stocktake.id, show_book, only_line),
    )


def sees_book(actor: Actor, stocktake: Stocktake) -> bool:
    """Blind counting: operators see book quantities only in a stocktake that is not blind."""
    return actor.role.allows(Role.SUPERVISOR) or not stocktake.blind


def _find(session: Session, stocktake_id: int) -> Stocktake:
    found = session.get(Stocktake, stocktake_id)
    if found is None:
        raise NotFound(f"no stocktake {stocktake_id}", code="stocktake_not_found")
    return found


def get(session: Session, stocktake_id: int, actor: Actor) -> StocktakeView:
    def work() -> StocktakeView:
        stocktake = _find(session, stocktake_id)
        return view(session, stocktake, show_book=sees_book(actor, stocktake))

    return run_read(session, work)


def list_stocktakes(session: Session, status: StocktakeStatus | None = None,
                    limit: int = 100) -> list[StocktakeView]:
    """Newest first, without their lines."""

    def work() -> list[StocktakeView]:
        query = select(Stocktake).order_by(Stocktake.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Stocktake.status == status.value)
        found = []
        for stocktake in session.scalars(query).all():
            one = view(session, stocktake, show_book=False)
            one.lines = []
            found.append(one)
        return found

    return run_read(session, work)


@dataclass(frozen=True, slots=True)
class VarianceLine:
    line: int
    item: str
    lot_number: str
    location: str
    status: str
    book: int | None  # as of the count
    counted: int | None
    difference: int | None
    moved_since_count: int | None
    book_now: int
    unit_cost: Decimal | None
    value: Decimal | None


@dataclass(slots=True)
class VarianceReport:
    stocktake: int
    status: StocktakeStatus
    lines: list[VarianceLine]
    lines_with_difference: int
    total_value: Decimal | None  # of the lines whose item has a unit cost


def variance_report(session: Session, stocktake_id: int) -> VarianceReport:
    def work() -> VarianceReport:
        stocktake = _find(session, stocktake_id)
        rows = session.execute(
            select(LineRow.id, Item.sku, Lot.lot_number, Location.code, LineRow.status,
                   LineRow.counted, LineRow.book_at_count, Balance.quantity, Item.unit_cost)
            .join(Item, Item.id == LineRow.item_id).join(Lot, Lot.id == LineRow.lot_id)
            .join(Location, Location.id == LineRow.location_id)
            .outerjoin(Balance, (Balance.lot_id == LineRow.lot_id)
                       & (Balance.location_id == LineRow.location_id))
            .where(LineRow.stocktake_id == stocktake.id)
            .order_by(Location.code, Item.sku, Lot.lot_number))
        lines = []
        for line_id, sku, lot_number, code, status, counted, book, now, cost in rows:
            unit_cost = Decimal(str(cost)) if cost is not None else None
            found = variance(LineFigures(counted, book, now or 0, unit_cost))
            lines.append(VarianceLine(line_id, sku, lot_number, code, status, found.book,
                                      found.counted, found.difference, found.moved_since_count,
                                      now or 0, unit_cost, found.value))
        values = [line.value for line in lines if line.value is not None]
        return VarianceReport(stocktake.id, StocktakeStatus(stocktake.status), lines,
                              sum(1 for line in lines if line.difference),
                              sum(values, Decimal(0)) if values else None)

    return run_read(session, work)
