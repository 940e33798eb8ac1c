"""The rules of a stocktake, as plain Python: its states, what each step may do,
and how a count becomes a variance and an adjustment.

The variance rule (why a move during the count makes no false difference): each
count is compared with the book quantity of its (lot, bin) read *in the same
transaction as the count*, under the balance's lock, so every move is either
before the count (in the book figure, and on the shelf the operator counted) or
after it (in neither). Moves after the count change the book and the shelf by
the same amount, so the difference found at count time is still the difference
at approval: the adjustment posted is `counted - book_at_count`, applied to the
balance as it is then. The report shows the moves since the count for each line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kernel.errors import Conflict, Invalid


class StocktakeStatus(StrEnum):
    OPEN = "open"  # created, nothing counted yet
    COUNTING = "counting"  # some lines counted, some to count (or asked to recount)
    REVIEW = "review"  # every line counted: a supervisor looks at the variances
    APPROVED = "approved"  # adjustments posted; final
    CANCELLED = "cancelled"  # closed without posting; final


class LineStatus(StrEnum):
    PENDING = "pending"  # not counted yet
    COUNTED = "counted"
    RECOUNT = "recount"  # a supervisor asked for it to be counted again


ACTIVE = frozenset({StocktakeStatus.OPEN, StocktakeStatus.COUNTING, StocktakeStatus.REVIEW})
FINAL = frozenset({StocktakeStatus.APPROVED, StocktakeStatus.CANCELLED})


def status_after_counting(lines: Iterable[LineStatus]) -> StocktakeStatus:
    """An active stocktake's status from its lines: review once all are counted."""
    states = list(lines)
    if all(s is LineStatus.COUNTED for s in states):
        return StocktakeStatus.REVIEW if states else StocktakeStatus.OPEN
    if any(s is LineStatus.COUNTED for s in states) or LineStatus.RECOUNT in states:
        return StocktakeStatus.COUNTING
    return StocktakeStatus.OPEN


def _refuse_final(stocktake_id: int, status: StocktakeStatus) -> None:
    if status in FINAL:
        raise Conflict("stocktake %(id)s is %(status)s; it takes no more changes",
                       code="stocktake_closed", id=stocktake_id, status=status.value)


def check_count(stocktake_id: int, status: StocktakeStatus, line: LineStatus | None,
                label: str) -> None:
    """May this line (None: a lot found that has no line yet) be counted now?
    Found stock is taken until approval, also in review: it is a new counted line
    in the variance report the supervisor approves."""
    _refuse_final(stocktake_id, status)
    if line is LineStatus.COUNTED:
        raise Conflict(
            "%(label)s is counted already in stocktake %(id)s; "
            "a supervisor can ask for a recount",
            code="line_already_counted", label=label, id=stocktake_id,
        )


def check_recount(stocktake_id: int, status: StocktakeStatus,
                  lines: dict[int, LineStatus], wanted: Iterable[int]) -> None:
    """A recount may be asked for counted lines of an active stocktake."""
    _refuse_final(stocktake_id, status)
    asked = list(wanted)
    if not asked:
        raise Invalid("name at least one line to recount", code="no_lines")
    unknown = [n for n in asked if n not in lines]
    if unknown:
        raise Invalid("stocktake %(id)s has no line %(line)s",
                      code="line_not_in_stocktake", id=stocktake_id, line=unknown[0])
    not_counted = [n for n in asked if lines[n] is not LineStatus.COUNTED]
    if not_counted:
        raise Conflict("line %(line)s is not counted yet; nothing to recount",
                       code="line_not_counted", line=not_counted[0])


def check_approve(stocktake_id: int, status: StocktakeStatus, uncounted: int) -> None:
    _refuse_final(stocktake_id, status)
    if uncounted:
        raise Conflict(
            "stocktake %(id)s has %(n)s line(s) still to count",
            code="stocktake_not_counted", id=stocktake_id, n=uncounted,
        )


def check_cancel(stocktake_id: int, status: StocktakeStatus) -> None:
    _refuse_final(stocktake_id, status)


@dataclass(frozen=True, slots=True)
class LineFigures:
    """What the variance of one (lot, bin) line is computed from."""

    counted: int | None
    book_at_count: int | None  # the balance in the count's transaction
    book_now: int  # the balance now
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Variance:
    book: int | None  # as of the count
    counted: int | None
    difference: int | None  # counted - book; None while not counted
    moved_since_count: int | None  # book_now - book: moves after the count
    value: Decimal | None  # difference x unit cost, where the item has one


def variance(line: LineFigures) -> Variance:
    if line.counted is None or line.book_at_count is None:
        return Variance(line.book_at_count, None, None, None, None)
    difference = line.counted - line.book_at_count
    value = None
    if line.unit_cost is not None:
        value = (line.unit_cost * difference).quantize(Decimal("0.01"))
    return Variance(line.book_at_count, line.counted, difference,
                    line.book_now - line.book_at_count, value)


def adjustment(line: LineFigures, label: str) -> int:
    """The signed quantity approval posts for this line (0: none). The balance
    may not go below zero: a count outrun by later moves must be recounted."""
    found = variance(line)
    if found.difference is None:
        raise Conflict("%(label)s is not counted", code="stocktake_not_counted", label=label)
    if line.book_now + found.difference < 0:
        raise Conflict(
            "%(line)s: counted %(counted)s with %(book)s on the book, but the "
            "book is %(now)s now; the adjustment of %(difference)s would go "
            "below zero; ask for a recount",
            code="adjustment_below_zero", line=label, counted=line.counted,
            book=line.book_at_count, now=line.book_now, difference=found.difference,
        )
    return found.difference
