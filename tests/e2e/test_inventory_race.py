"""Concurrent dispatches over real HTTP never sell more than there is."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx

from tests.support import inventory_world
from tests.support.http_server import serve_in_thread
from tests.support.inventory_world import World

world = inventory_world.world
CLIENTS = 64


def _concurrently(base_url: str, requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    """Send all requests at once, one thread each; answers in request order."""
    answers: list[httpx.Response | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(n: int) -> None:
        path, headers, body = requests[n]
        with httpx.Client(base_url=base_url, timeout=60) as client:
            start.wait()
            answers[n] = client.post(path, headers=headers, json=body)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return [a for a in answers if a is not None]


def test_concurrent_receipts_of_one_new_lot_create_it_once_and_book_them_all(
    world: World,
) -> None:
    body = {"item": "GLOVE", "lot_number": "NEW", "quantity": 2, "location": "R-01"}
    with serve_in_thread(world.client.app) as base_url:
        answers = _concurrently(base_url, [("/api/v1/moves/receive", world.headers(), body)
                                           for _ in range(16)])
    assert [a.status_code for a in answers] == [201] * 16
    assert len(world.ok(world.get("/lots", item="GLOVE"))) == 1
    assert world.on_hand(item="GLOVE") == 32
    world.assert_ledger_equals_balances()


def test_one_request_sent_eight_times_at_once_with_one_key_books_once(world: World) -> None:
    world.receive("GLOVE", "G1", 10, "R-01")
    headers = world.headers(key="same-key-sent-eight-times")
    body = {"item": "GLOVE", "quantity": 3}
    with serve_in_thread(world.client.app) as base_url:
        answers = _concurrently(base_url, [("/api/v1/moves/dispatch", headers, body)] * 8)
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["booking"] for a in answers}) == 1
    assert world.on_hand(item="GLOVE") == 7


def test_64_concurrent_dispatches_of_one_unit_against_10_in_stock_book_exactly_10(
    world: World,
) -> None:
    world.receive("VAC-1", "A", 3, "F-01", expiry="2098-01-01")
    world.receive("VAC-1", "B", 3, "F-02", expiry="2098-06-01")
    world.receive("VAC-1", "C", 4, "F-01", expiry="2099-01-01")
    requests = [("/api/v1/moves/dispatch", world.headers(),
                 {"item": "VAC-1", "quantity": 1, "reference": str(uuid.uuid4())})
                for _ in range(CLIENTS)]
    with serve_in_thread(world.client.app) as base_url:
        answers = [(a.status_code, a.json().get("error", ""))
                   for a in _concurrently(base_url, requests)]

    assert Counter(answers) == {(201, ""): 10, (409, "insufficient_stock"): CLIENTS - 10}
    assert world.on_hand(item="VAC-1") == 0
    world.assert_ledger_equals_balances()
