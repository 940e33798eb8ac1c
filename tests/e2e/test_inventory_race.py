"""Concurrent dispatches over real HTTP never sell more than there is."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx

from tests import inventory_world
from tests.http_server import serve_in_thread
from tests.inventory_world import World

world = inventory_world.world
CLIENTS = 64


def test_64_concurrent_dispatches_of_one_unit_against_10_in_stock_book_exactly_10(
    world: World,
) -> None:
    world.receive("VAC-1", "A", 3, "F-01", expiry="2098-01-01")
    world.receive("VAC-1", "B", 3, "F-02", expiry="2098-06-01")
    world.receive("VAC-1", "C", 4, "F-01", expiry="2099-01-01")
    answers: list[tuple[int, str]] = []
    start = threading.Barrier(CLIENTS)

    def dispatch_one(base_url: str) -> None:
        headers = world.headers()
        with httpx.Client(base_url=base_url, timeout=60) as client:
            start.wait()
            response = client.post("/api/v1/moves/dispatch", headers=headers,
                                   json={"item": "VAC-1", "quantity": 1,
                                         "reference": str(uuid.uuid4())})
        answers.append((response.status_code, response.json().get("error", "")))

    with serve_in_thread(world.client.app) as base_url:
        threads = [threading.Thread(target=dispatch_one, args=(base_url,))
                   for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)

    assert Counter(answers) == {(201, ""): 10, (409, "insufficient_stock"): CLIENTS - 10}
    assert world.on_hand(item="VAC-1") == 0
    world.assert_ledger_equals_balances()
