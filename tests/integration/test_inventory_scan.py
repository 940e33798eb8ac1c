"""Receiving and dispatching by scanning GS1 labels, over HTTP."""

from __future__ import annotations

from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world

# GS1 DataMatrix: GTIN 04006381333931 (VAC-1), expiry 2029-12-00 (= the 31st), lot ABC123,
# then serial 21 after a group separator sent as the stand-in "|".
DATAMATRIX = "]d2010400638133393117291200" + "10ABC123|21SN1"


def test_receiving_by_scan_takes_gtin_lot_and_expiry_from_the_label(world: World) -> None:
    answer = world.ok(world.post("/scan", {"raw": DATAMATRIX, "mode": "receive",
                                           "location": "F-01", "quantity": 5}))
    assert answer["kind"] == "product"
    assert answer["item"] == "VAC-1"
    assert answer["booking"]["lines"] == [{"lot_number": "ABC123", "expiry": "2029-12-31",
                                           "from_location": None, "to_location": "F-01",
                                           "quantity": 5}]
    assert world.on_hand(item="VAC-1", lot_number="ABC123") == 5


def test_dispatching_by_scan_of_the_suggested_lot_books_it(world: World) -> None:
    world.ok(world.post("/scan", {"raw": DATAMATRIX, "mode": "receive", "location": "F-01",
                                  "quantity": 5}))
    answer = world.ok(world.post("/scan", {"raw": DATAMATRIX, "mode": "dispatch",
                                           "quantity": 2, "reference": "ORDER-1"}))
    assert answer["booking"]["kind"] == "dispatch"
    assert world.on_hand(item="VAC-1") == 3


def test_a_scan_with_a_bad_check_digit_is_refused_by_name_and_books_nothing(
    world: World,
) -> None:
    response = world.post("/scan", {"raw": "]d2010400638133393217291200" + "10ABC123",
                                     "mode": "receive", "location": "F-01"})
    assert response.status_code == 422
    assert "check digit" in response.json()["detail"]
    assert world.on_hand(item="VAC-1") == 0


def test_goods_already_expired_are_refused_at_receipt_by_scan(world: World) -> None:
    response = world.post("/scan", {"raw": "]d2010400638133393117200131" + "10OLD1",
                                     "mode": "receive", "location": "F-01"})
    assert response.status_code == 422
    assert response.json()["error"] == "expired_at_receipt"


def test_an_unknown_gtin_is_named(world: World) -> None:
    response = world.post("/scan", {"raw": "]d2010000000000000017291200" + "10X",
                                     "mode": "receive", "location": "F-01"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_gtin"


def test_a_location_label_is_recognised_and_books_nothing(world: World) -> None:
    answer = world.ok(world.post("/scan", {"raw": "LOC:F-02", "mode": "receive"}))
    assert answer["kind"] == "location"
    assert answer["scan"]["code"] == "F-02"
    assert answer["booking"] is None
