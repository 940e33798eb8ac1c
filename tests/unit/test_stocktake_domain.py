"""The stocktake's rules without a database: states, variance, recount, approval."""

from __future__ import annotations

from decimal import Decimal

import pytest

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
    variance,
)
from kernel.errors import Conflict, Invalid

P, C, R = LineStatus.PENDING, LineStatus.COUNTED, LineStatus.RECOUNT


@pytest.mark.parametrize(("lines", "status"), [
    ([], StocktakeStatus.OPEN),
    ([P, P], StocktakeStatus.OPEN),
    ([C, P], StocktakeStatus.COUNTING),
    ([C, C], StocktakeStatus.REVIEW),
    ([C, R], StocktakeStatus.COUNTING),
    ([R], StocktakeStatus.COUNTING),
])
def test_the_status_follows_the_lines(lines: list[LineStatus], status: StocktakeStatus) -> None:
    assert status_after_counting(lines) is status


def test_a_move_after_the_count_makes_no_variance_and_shifts_the_adjustment_base() -> None:
    # Counted 10 with 10 on the book; 4 were dispatched afterwards: no difference.
    line = LineFigures(counted=10, book_at_count=10, book_now=6)
    found = variance(line)
    assert (found.book, found.counted, found.difference, found.moved_since_count) == (
        10, 10, 0, -4)
    assert adjustment(line, "L1 in F-01") == 0


def test_a_real_difference_survives_later_moves_and_is_valued() -> None:
    line = LineFigures(counted=7, book_at_count=10, book_now=15, unit_cost=Decimal("2.505"))
    found = variance(line)
    assert found.difference == -3
    assert found.value == Decimal("-7.52")
    assert adjustment(line, "L1 in F-01") == -3  # the balance becomes 12


def test_no_value_without_a_unit_cost_and_no_variance_while_uncounted() -> None:
    assert variance(LineFigures(5, 4, 4)).value is None
    assert variance(LineFigures(None, None, 4)).difference is None


def test_an_adjustment_that_would_go_below_zero_asks_for_a_recount() -> None:
    with pytest.raises(Conflict) as refused:
        adjustment(LineFigures(counted=2, book_at_count=10, book_now=5), "lot L1 in F-01")
    assert refused.value.code == "adjustment_below_zero"
    assert "ask for a recount" in refused.value.message


def test_a_counted_line_takes_no_second_count_until_a_recount_is_asked() -> None:
    with pytest.raises(Conflict) as refused:
        check_count(1, StocktakeStatus.COUNTING, C, "lot L1 in F-01")
    assert refused.value.code == "line_already_counted"
    check_count(1, StocktakeStatus.COUNTING, R, "lot L1 in F-01")
    check_count(1, StocktakeStatus.OPEN, None, "found stock")


@pytest.mark.parametrize("status", [StocktakeStatus.APPROVED, StocktakeStatus.CANCELLED])
def test_a_closed_stocktake_takes_nothing(status: StocktakeStatus) -> None:
    for attempt in (lambda: check_count(3, status, P, "x"), lambda: check_cancel(3, status),
                    lambda: check_approve(3, status, 0),
                    lambda: check_recount(3, status, {1: C}, [1])):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "stocktake_closed"


def test_approval_needs_every_line_counted() -> None:
    with pytest.raises(Conflict) as refused:
        check_approve(4, StocktakeStatus.COUNTING, 2)
    assert "2 line(s) still to count" in refused.value.message
    check_approve(4, StocktakeStatus.REVIEW, 0)


def test_a_recount_names_counted_lines_of_this_stocktake() -> None:
    lines = {1: C, 2: P}
    check_recount(5, StocktakeStatus.REVIEW, lines, [1])
    with pytest.raises(Invalid, match="no line 9"):
        check_recount(5, StocktakeStatus.REVIEW, lines, [9])
    with pytest.raises(Conflict, match="line 2 is not counted"):
        check_recount(5, StocktakeStatus.COUNTING, lines, [2])
    with pytest.raises(Invalid):
        check_recount(5, StocktakeStatus.REVIEW, lines, [])
