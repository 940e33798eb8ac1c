"""Concurrent dispatches over real HTTP never take units held for return inspection."""

from __future__ import annotations

from collections import Counter

from tests.e2e.test_inventory_race import _concurrently
from tests.support import inventory_world
from tests.support.http_server import serve_in_thread
from tests.support.inventory_world import World

world = inventory_world.world


def test_concurrent_dispatches_take_the_good_stock_and_leave_the_held_return(
    world: World,
) -> None:
    world.receive("GLOVE", "G1", 30, "R-01")
    world.ok(world.post("/returns", {"item": "GLOVE", "lot_number": "G1", "location": "R-01",
                                     "quantity": 10, "reason": "customer return"}))
    body = {"item": "GLOVE", "quantity": 1}
    with serve_in_thread(world.client.app) as base_url:
        answers = _concurrently(base_url, [("/api/v1/moves/dispatch", world.headers(), body)
                                           for _ in range(40)])
    assert Counter(a.status_code for a in answers) == {201: 30, 409: 10}
    assert world.on_hand(item="GLOVE") == 10
    assert [r["quantity"] for r in world.ok(world.get("/returns/pending"))] == [10]
    world.assert_ledger_equals_balances()
