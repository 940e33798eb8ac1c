"""SQL for the stocktake use cases (inventory/stocktakes/service.py): the stocktake
locked for a step, its lines, the bins it counts and the balances it opens with.
The read models (the stocktake as shown, the list, the variance report) are
inventory/stocktakes/queries.py."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.orm import Balance, Location, Stocktake, StocktakeBin, StocktakeCount
from inventory.orm import StocktakeLine as LineRow
from inventory.stocktakes.domain import ACTIVE
from kernel.errors import NotFound


def lock(session: Session, stocktake_id: int) -> Stocktake:
    """The stocktake, locked: its counts and steps happen one at a time."""
    found = session.scalar(
        select(Stocktake).where(Stocktake.id == stocktake_id).with_for_update())
    if found is None:
        raise NotFound("no stocktake %(stocktake_id)s", code="stocktake_not_found",
            stocktake_id=stocktake_id)
    return found


def lines(session: Session, stocktake_id: int) -> list[LineRow]:
    return list(session.scalars(
        select(LineRow).where(LineRow.stocktake_id == stocktake_id).order_by(LineRow.id)))


def line_of(session: Session, stocktake_id: int, lot_id: int, location_id: int) -> LineRow | None:
    """The stocktake's line of a lot in a bin, if it has one."""
    return session.scalar(select(LineRow).where(
        LineRow.stocktake_id == stocktake_id, LineRow.lot_id == lot_id,
        LineRow.location_id == location_id))


def latest_count(session: Session, line_id: int) -> StocktakeCount | None:
    return session.scalar(select(StocktakeCount).where(
        StocktakeCount.line_id == line_id).order_by(StocktakeCount.id.desc()).limit(1))


def active_for_bin(session: Session, location_id: int) -> int | None:
    """The active stocktake counting this bin, if any."""
    return session.scalar(
        select(Stocktake.id).join(StocktakeBin, StocktakeBin.stocktake_id == Stocktake.id)
        .where(StocktakeBin.location_id == location_id,
               Stocktake.status.in_([s.value for s in ACTIVE]))
    )


def lock_bins(session: Session, location_ids: Iterable[int]) -> None:
    """Lock the bins (nothing else locks locations), so two supervisors opening
    overlapping counts at once are taken one after the other and the second sees the
    first's stocktake."""
    session.execute(select(Location.id).where(Location.id.in_(list(location_ids)))
                    .order_by(Location.id).with_for_update())


def stocked_balances(
    session: Session, location_ids: Iterable[int],
) -> list[tuple[int, int, int, int]]:
    """(item, lot, bin, quantity) of every balance with stock in the bins."""
    return [(item_id, lot_id, location_id, quantity) for item_id, lot_id, location_id, quantity
            in session.execute(
                select(Balance.item_id, Balance.lot_id, Balance.location_id, Balance.quantity)
                .where(Balance.location_id.in_(list(location_ids)), Balance.quantity > 0)
                .order_by(Balance.id))]
