"""What a stocktake looks like to its readers: the stocktake with its lines
(book quantities only for those allowed to see them: blind counting), the list,
and the variance report per lot and bin, as the Public models of
inventory/stocktakes/schemas.py. Plain queries, no locks."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from inventory.orm import Balance, Item, Location, Lot, Stocktake, StocktakeBin, StocktakeCount
from inventory.orm import StocktakeLine as LineRow
from inventory.stocktakes.domain import LineFigures, StocktakeStatus, variance
from inventory.stocktakes.schemas import (
    CountRecordPublic,
    StocktakeLinePublic,
    StocktakePublic,
    VarianceLinePublic,
    VarianceReportPublic,
)
from kernel import signatures
from kernel.actors import Actor, Role
from kernel.errors import NotFound
from kernel.orm import User, Zone
from kernel.uow import consistent_read


def bin_codes(session: Session, stocktake_id: int) -> list[str]:
    return list(session.scalars(
        select(Location.code).join(StocktakeBin, StocktakeBin.location_id == Location.id)
        .where(StocktakeBin.stocktake_id == stocktake_id).order_by(Location.code)))


def _username(session: Session, user_id: int | None) -> str | None:
    return None if user_id is None else session.scalar(
        select(User.username).where(User.id == user_id))


def _lines(session: Session, stocktake_id: int, show_book: bool,
           only_line: int | None = None) -> list[StocktakeLinePublic]:
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
    rows = session.execute(query).all()
    history = _history(session, [row[0] for row in rows], show_book)
    lines = []
    for (line_id, sku, lot_number, expiry, code, status, counted, by, at, book_at_count,
         book_at_open) in rows:
        book = book_at_count if book_at_count is not None else book_at_open
        lines.append(StocktakeLinePublic(
            id=line_id, item=sku, lot_number=lot_number, expiry=expiry, location=code,
            status=status, counted=counted, counted_by=by, counted_at=at,
            book=book if show_book else None, counts=history.get(line_id, [])))
    return lines


def _history(session: Session, line_ids: list[int],
             show_book: bool) -> dict[int, list[CountRecordPublic]]:
    counter, asker = aliased(User), aliased(User)
    found: dict[int, list[CountRecordPublic]] = {}
    if not line_ids:
        return found
    for line_id, counted, book, user, at, asked in session.execute(
        select(StocktakeCount.line_id, StocktakeCount.counted, StocktakeCount.book_at_count,
               counter.username, StocktakeCount.at, asker.username)
        .join(counter, counter.id == StocktakeCount.user_id)
        .outerjoin(asker, asker.id == StocktakeCount.recount_asked_by)
        .where(StocktakeCount.line_id.in_(line_ids)).order_by(StocktakeCount.id)
    ):
        found.setdefault(line_id, []).append(CountRecordPublic(
            counted=counted, book=book if show_book else None, user=user, at=at,
            recount_asked_by=asked))
    return found


def view(session: Session, stocktake: Stocktake, *, show_book: bool,
         only_line: int | None = None, with_lines: bool = True) -> StocktakePublic:
    """The stocktake and its lines (or only one line, as a count's answer; or none,
    in the list)."""
    statuses = list(session.scalars(
        select(LineRow.status).where(LineRow.stocktake_id == stocktake.id)))
    zone = None if stocktake.zone_id is None else session.scalar(
        select(Zone.code).where(Zone.id == stocktake.zone_id))
    return StocktakePublic(
        id=stocktake.id, status=StocktakeStatus(stocktake.status), zone=zone,
        bins=bin_codes(session, stocktake.id), blind=stocktake.blind, note=stocktake.note,
        opened_by=_username(session, stocktake.opened_by) or "",
        opened_at=stocktake.opened_at, closed_by=_username(session, stocktake.closed_by),
        closed_at=stocktake.closed_at, close_reason=stocktake.close_reason,
        lines_total=len(statuses), lines_counted=statuses.count("counted"),
        lines=_lines(session, stocktake.id, show_book, only_line) if with_lines else [],
        signatures=signatures.of(session, "stocktake", [str(stocktake.id)])
        if with_lines else [],
    )


def sees_book(actor: Actor, stocktake: Stocktake) -> bool:
    """Blind counting: operators see book quantities only in a stocktake that is not blind."""
    return actor.role.allows(Role.SUPERVISOR) or not stocktake.blind


def _find(session: Session, stocktake_id: int) -> Stocktake:
    found = session.get(Stocktake, stocktake_id)
    if found is None:
        raise NotFound("no stocktake %(stocktake_id)s", code="stocktake_not_found",
            stocktake_id=stocktake_id)
    return found


@consistent_read
def get(session: Session, stocktake_id: int, actor: Actor) -> StocktakePublic:
    stocktake = _find(session, stocktake_id)
    return view(session, stocktake, show_book=sees_book(actor, stocktake))


@consistent_read
def list_stocktakes(session: Session, status: StocktakeStatus | None = None,
                    limit: int = 100) -> list[StocktakePublic]:
    """Newest first, without their lines."""
    query = select(Stocktake).order_by(Stocktake.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Stocktake.status == status.value)
    return [view(session, stocktake, show_book=False, with_lines=False)
            for stocktake in session.scalars(query).all()]


def _shown(amount: Decimal | None) -> float | None:
    """Money is reckoned in Decimal and shown as a JSON number."""
    return None if amount is None else float(amount)


@consistent_read
def variance_report(session: Session, stocktake_id: int) -> VarianceReportPublic:
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
    lines: list[VarianceLinePublic] = []
    values: list[Decimal] = []
    for line_id, sku, lot_number, code, status, counted, book, now, cost in rows:
        unit_cost = Decimal(str(cost)) if cost is not None else None
        found = variance(LineFigures(counted, book, now or 0, unit_cost))
        lines.append(VarianceLinePublic(
            line=line_id, item=sku, lot_number=lot_number, location=code, status=status,
            book=found.book, counted=found.counted, difference=found.difference,
            moved_since_count=found.moved_since_count, book_now=now or 0,
            unit_cost=_shown(unit_cost), value=_shown(found.value)))
        if found.value is not None:
            values.append(found.value)
    return VarianceReportPublic(
        stocktake=stocktake.id, status=StocktakeStatus(stocktake.status), lines=lines,
        lines_with_difference=sum(1 for line in lines if line.difference),
        total_value=_shown(sum(values, Decimal(0))) if values else None)
