"""Reports over the stock ledger: expiry, the ledger of a period, turnover with the
ABC class, and where a lot has been (its zone stays, for the lot trace). The SQL
is inventory/report_queries.py; the arithmetic is here, in small pure functions.

Quantities entering from outside (receive, positive adjust/count, return) have no
source location; quantities leaving (dispatch, negative adjust/count) have no
target; a transfer has both and changes no item total."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from inventory import report_queries
from inventory.abc import abc_classes
from inventory.domain import MoveKind
from inventory.queries import ledger
from inventory.schemas import LedgerRowPublic
from kernel.errors import Invalid

DAY_S = 86_400.0


def _check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise Invalid("the period's end must be after its start", code="bad_period")


# --- expiry --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpiryRow:
    item: str
    item_name: str
    lot_id: int
    lot_number: str
    expiry: date
    days_left: int  # negative: expired that many days ago
    state: str  # expired | expiring
    qc_status: str
    on_hand: int
    locations: str  # "A-01-1 (4), B-02-3 (2)"


EXPIRY_COLUMNS = ["item", "item_name", "lot_id", "lot_number", "expiry", "days_left", "state",
                  "qc_status", "on_hand", "locations"]


def expiry_report(session: Session, today: date, within_days: int = 90) -> list[ExpiryRow]:
    """Lots with stock that expire within `within_days` of `today`, and those already
    expired with stock, soonest first."""
    if within_days < 0:
        raise Invalid("within_days must be 0 or more", code="bad_within_days")
    # Capped at the calendar's end: a date near 9999-12-31 plus the days would overflow.
    horizon = today + timedelta(days=min(within_days, (date.max - today).days))
    rows = report_queries.expiring_balances(session, horizon)
    lots: dict[int, tuple[tuple[str, str, int, str, date, str], list[tuple[str, int]]]] = {}
    for sku, name, lot_id, number, expiry, qc, location, quantity in rows:
        entry = lots.setdefault(lot_id, ((sku, name, lot_id, number, expiry, qc), []))
        entry[1].append((location, quantity))
    report = []
    for (sku, name, lot_id, number, expiry, qc), places in lots.values():
        left = (expiry - today).days
        report.append(ExpiryRow(
            sku, name, lot_id, number, expiry, left, "expired" if left < 0 else "expiring", qc,
            sum(q for _, q in places), ", ".join(f"{code} ({q})" for code, q in places)))
    return report


# --- the ledger of a period ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemMovement:
    item: str
    opening: int
    received: int  # everything that came in from outside
    dispatched: int  # dispatch moves
    other_out: int  # adjust/count down and other outgoing
    closing: int


@dataclass(frozen=True, slots=True)
class PeriodLedger:
    start: datetime
    end: datetime
    items: list[ItemMovement]
    moves: list[LedgerRowPublic]


def period_ledger(session: Session, start: datetime, end: datetime,
                  item: str | None = None) -> PeriodLedger:
    """Every move booked in [start, end), and per item its opening, ins, outs and
    closing stock."""
    _check_period(start, end)
    moves = list(ledger(session, item=item, since=start, until=end))
    opening = report_queries.openings(session, start)
    figures: dict[str, list[int]] = {}
    for move in moves:
        row = figures.setdefault(move.item, [0, 0, 0])
        if move.from_location is None:
            row[0] += move.quantity
        elif move.to_location is None:
            row[1 if move.kind == MoveKind.DISPATCH.value else 2] += move.quantity
    carried = {sku for sku, quantity in opening.items() if quantity}
    skus = sorted({*figures, *(carried if item is None else carried & {item})})
    items = []
    for sku in skus:
        received, dispatched, other = figures.get(sku, [0, 0, 0])
        first = opening.get(sku, 0)
        items.append(ItemMovement(sku, first, received, dispatched, other,
                                  first + received - dispatched - other))
    return PeriodLedger(start, end, items, moves)


# --- turnover and ABC ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnoverRow:
    item: str
    item_name: str
    dispatched: int
    average_stock: float
    closing_stock: int
    turnover: float | None  # dispatched / average stock over the period
    days_of_cover: float | None  # closing stock / average daily dispatch
    dispatch_value: float | None  # dispatched x unit cost, where the item has a cost
    abc: str


TURNOVER_COLUMNS = ["item", "item_name", "dispatched", "average_stock", "closing_stock",
                    "turnover", "days_of_cover", "dispatch_value", "abc"]


@dataclass(frozen=True, slots=True)
class Turnover:
    start: datetime
    end: datetime
    basis: str  # value | volume: what the ABC classes were computed from
    rows: list[TurnoverRow] = field(default_factory=list)


def time_weighted_stock(opening: float, changes: Iterable[tuple[datetime, float]],
                        start: datetime, end: datetime) -> tuple[float, float]:
    """(average, closing) of a stock that starts at `opening` and changes by each
    (at, delta) within [start, end)."""
    level, weighted, since = opening, 0.0, start
    for at, delta in sorted(changes):
        weighted += level * (at - since).total_seconds()
        level += delta
        since = at
    weighted += level * (end - since).total_seconds()
    return weighted / (end - start).total_seconds(), level


def turnover_report(session: Session, start: datetime, end: datetime,
                    basis: str = "value") -> Turnover:
    """Per item: dispatched quantity, time-weighted average stock, turnover, days of
    cover and the ABC class by dispatch value (where items carry a unit cost: the
    `unit_cost` field, once present) or by volume."""
    _check_period(start, end)
    if basis not in ("value", "volume"):
        raise Invalid("basis must be value or volume", code="bad_basis")
    opening = report_queries.openings(session, start)
    changes: dict[str, list[tuple[datetime, float]]] = {}
    dispatched: dict[str, int] = {}
    for sku, at, delta, kind, quantity in report_queries.signed_moves(session, start, end):
        if delta:
            changes.setdefault(sku, []).append((at, float(delta)))
        if kind == MoveKind.DISPATCH.value:
            dispatched[sku] = dispatched.get(sku, 0) + int(quantity)
    items = {row[0]: row for row in report_queries.items_with_cost(session)}
    days = (end - start).total_seconds() / DAY_S
    built: list[tuple[str, str, int, float, int, float | None, float | None, float | None]] = []
    for sku, row in items.items():
        out = dispatched.get(sku, 0)
        average, closing = time_weighted_stock(opening.get(sku, 0), changes.get(sku, []),
                                               start, end)
        if not out and not average and not closing:
            continue
        cost = float(row[2]) if len(row) > 2 and row[2] is not None else None
        turnover = out / average if average > 0 else None
        cover = closing / (out / days) if out else None
        built.append((sku, row[1], out, average, int(closing), turnover, cover,
                      out * cost if cost is not None else None))
    by_value = basis == "value" and built and all(b[7] is not None for b in built)
    classes = abc_classes({b[0]: (b[7] if by_value else b[2]) or 0.0 for b in built})
    rows = [TurnoverRow(*b, abc=classes[b[0]]) for b in built]
    return Turnover(start, end, "value" if by_value else "volume", rows)


# --- where a lot has been --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZoneStay:
    zone: str
    start: datetime
    end: datetime | None  # None: still there


def zone_stays(legs: Sequence[tuple[datetime, str | None, str | None, int]]) -> list[ZoneStay]:
    """From a lot's moves as (at, from zone, to zone, quantity) in booking order, the
    periods during which some of it was in each zone."""
    held: dict[str, int] = {}
    since: dict[str, datetime] = {}
    stays: list[ZoneStay] = []
    for at, source, target, quantity in legs:
        if source is not None and source == target:
            continue  # a transfer within the zone
        if source is not None:
            held[source] = held.get(source, 0) - quantity
            if held[source] <= 0 and source in since:
                stays.append(ZoneStay(source, since.pop(source), at))
        if target is not None:
            if held.get(target, 0) <= 0:
                since[target] = at
            held[target] = held.get(target, 0) + quantity
    stays.extend(ZoneStay(zone, start, None) for zone, start in since.items())
    return sorted(stays, key=lambda s: (s.start, s.zone))


def lot_zone_stays(session: Session, lot_id: int) -> list[ZoneStay]:
    return zone_stays(report_queries.lot_zone_legs(session, lot_id))
