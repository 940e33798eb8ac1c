"""The inventory reports' arithmetic: ABC classes, time-weighted stock, zone stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory.abc import abc_classes
from inventory.reports import ZoneStay, time_weighted_stock, zone_stays

T0 = datetime(2026, 3, 1, tzinfo=UTC)
D = timedelta(days=1)


def test_abc_classes_by_share_of_the_total() -> None:
    # 70 + 15 + 10 + 5 = 100: A while the share before is under 80 %, B under 95 %.
    amounts = {"x": 70.0, "y": 15.0, "z": 10.0, "w": 5.0, "idle": 0.0}
    assert abc_classes(amounts) == {"x": "A", "y": "A", "z": "B", "w": "C", "idle": "C"}
    assert abc_classes({}) == {}


def test_time_weighted_stock_over_a_period() -> None:
    # 10 for 2 days, then 4 for 2 days (6 dispatched): average 7, closing 4.
    average, closing = time_weighted_stock(10, [(T0 + 2 * D, -6)], T0, T0 + 4 * D)
    assert (average, closing) == (7.0, 4)


def test_zone_stays_follow_the_moves_of_a_lot() -> None:
    legs = [
        (T0, None, "FRIDGE", 10),  # received
        (T0 + D, "FRIDGE", "FRIDGE", 10),  # a transfer within the zone: no new stay
        (T0 + 2 * D, "FRIDGE", "DOCK", 4),  # part moves on
        (T0 + 3 * D, "FRIDGE", None, 6),  # the rest dispatched: the fridge stay ends
    ]
    assert zone_stays(legs) == [
        ZoneStay("FRIDGE", T0, T0 + 3 * D),
        ZoneStay("DOCK", T0 + 2 * D, None),
    ]
