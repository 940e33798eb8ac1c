"""The inventory over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests import inventory_world
from tests.inventory_world import World

world = inventory_world.world


def test_a_receipt_shows_up_in_stock_and_the_ledger(world: World) -> None:
    booking = world.receive("VAC-1", "L1", 10, "F-01")
    assert booking["kind"] == "receive"
    assert booking["lines"] == [{"lot_number": "L1", "expiry": "2099-12-31",
                                 "from_location": None, "to_location": "F-01", "quantity": 10}]
    assert booking["user"] == "operator1"
    assert world.on_hand(item="VAC-1") == 10
    world.assert_ledger_equals_balances()
