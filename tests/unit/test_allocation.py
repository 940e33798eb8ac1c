"""FEFO/FIFO allocation and the placement rules, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inventory.allocation import InsufficientStock, allocate, allocate_from_lot
from inventory.domain import (
    AllocationPolicy,
    Placement,
    QcStatus,
    StockOnHand,
    check_placement,
    check_qc_transition,
    is_expired,
)
from kernel.actors import Role
from kernel.errors import Conflict, Invalid

TODAY = date(2026, 6, 15)
FEFO, FIFO = AllocationPolicy.FEFO, AllocationPolicy.FIFO
_ids = iter(range(1, 10_000))


def lot(number: str, quantity: int, expiry: date | None = None, received_day: int = 1,
        status: QcStatus = QcStatus.RELEASED, location: str = "A") -> StockOnHand:
    n = next(_ids)
    return StockOnHand(
        balance_id=n, lot_id=n, lot_number=number, location_id=ord(location[0]),
        location_code=location, expiry=expiry,
        received_at=datetime(2026, 1, received_day, tzinfo=UTC), qc_status=status,
        quantity=quantity,
    )


def picked(lines: list) -> list[tuple[str, int]]:
    return [(line.lot_number, line.quantity) for line in lines]


def test_fefo_picks_the_earliest_expiry_first_even_if_received_later() -> None:
    stock = [lot("LATE", 5, date(2027, 1, 1), received_day=1),
             lot("SOON", 5, date(2026, 7, 1), received_day=20)]
    assert picked(allocate(stock, 7, FEFO, TODAY)) == [("SOON", 5), ("LATE", 2)]


def test_fefo_breaks_a_tie_in_expiry_by_the_earlier_receipt() -> None:
    stock = [lot("SECOND", 5, date(2027, 1, 1), received_day=9),
             lot("FIRST", 5, date(2027, 1, 1), received_day=2)]
    assert picked(allocate(stock, 3, FEFO, TODAY)) == [("FIRST", 3)]


def test_fefo_takes_lots_without_expiry_last() -> None:
    stock = [lot("NONE", 5, None, received_day=1), lot("DATED", 5, date(2030, 1, 1))]
    assert picked(allocate(stock, 6, FEFO, TODAY)) == [("DATED", 5), ("NONE", 1)]


def test_fifo_ignores_expiry_and_picks_the_oldest_receipt() -> None:
    stock = [lot("NEW", 5, date(2026, 7, 1), received_day=20),
             lot("OLD", 5, date(2029, 1, 1), received_day=3)]
    assert picked(allocate(stock, 5, FIFO, TODAY)) == [("OLD", 5)]


@pytest.mark.parametrize("status", [QcStatus.QUARANTINE, QcStatus.ON_HOLD, QcStatus.REJECTED,
                                    QcStatus.RECALLED])
def test_lots_not_released_by_quality_are_never_allocated(status: QcStatus) -> None:
    stock = [lot("BLOCKED", 5, date(2026, 7, 1), status=status),
             lot("OK", 5, date(2027, 7, 1))]
    assert picked(allocate(stock, 5, FEFO, TODAY)) == [("OK", 5)]


def test_a_lot_is_usable_on_its_expiry_day_and_expired_the_day_after() -> None:
    assert not is_expired(TODAY, TODAY)
    assert is_expired(date(2026, 6, 14), TODAY)
    assert not is_expired(None, TODAY)
    stock = [lot("YESTERDAY", 5, date(2026, 6, 14)), lot("TODAY", 5, TODAY)]
    assert picked(allocate(stock, 5, FEFO, TODAY)) == [("TODAY", 5)]


def test_not_enough_usable_stock_says_how_much_is_available() -> None:
    stock = [lot("A", 3, date(2027, 1, 1)), lot("EXP", 50, date(2026, 1, 1))]
    with pytest.raises(InsufficientStock, match="only 3 of 4"):
        allocate(stock, 4, FEFO, TODAY)


def test_a_named_lot_is_picked_across_its_bins() -> None:
    stock = [lot("X", 2, location="A"), lot("X", 2, location="B"), lot("Y", 9)]
    assert picked(allocate_from_lot(stock, "X", 3, TODAY)) == [("X", 2), ("X", 1)]


def test_a_named_lot_on_hold_is_refused_with_its_status() -> None:
    stock = [lot("H", 5, status=QcStatus.ON_HOLD)]
    with pytest.raises(Conflict, match="lot H is on hold"):
        allocate_from_lot(stock, "H", 1, TODAY)


def placement(**kw: object) -> Placement:
    base = dict(item_label="VAC-1", item_storage_class="2-8C", item_hazardous=False,
                zone_code="FRIDGE", zone_storage_class="2-8C", zone_hazardous=False)
    return Placement(**{**base, **kw})  # type: ignore[arg-type]


def test_an_item_fits_a_zone_of_its_storage_class() -> None:
    check_placement(placement())


def test_a_refrigerated_item_is_refused_in_a_room_temperature_zone() -> None:
    with pytest.raises(Invalid, match="must be stored at 2-8C, but zone ROOM is 15-25C"):
        check_placement(placement(zone_code="ROOM", zone_storage_class="15-25C"))


def test_a_hazardous_item_goes_only_to_a_hazardous_zone() -> None:
    with pytest.raises(Invalid, match="hazardous") as refused:
        check_placement(placement(item_hazardous=True))
    assert refused.value.code == "hazardous_zone_required"
    check_placement(placement(item_hazardous=True, zone_hazardous=True))


def test_a_recalled_lot_never_becomes_released_again() -> None:
    with pytest.raises(Invalid, match="recalled and cannot become released"):
        check_qc_transition("L1", QcStatus.RECALLED, QcStatus.RELEASED)
    check_qc_transition("L1", QcStatus.QUARANTINE, QcStatus.RELEASED)


def test_roles_are_ordered_operator_supervisor_admin() -> None:
    assert Role.ADMIN.allows(Role.SUPERVISOR)
    assert Role.SUPERVISOR.allows(Role.OPERATOR)
    assert not Role.OPERATOR.allows(Role.SUPERVISOR)
