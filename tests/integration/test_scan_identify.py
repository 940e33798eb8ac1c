"""Scan preview (issue 7, item 6): `identify` books nothing, needs no
Idempotency-Key and reads the label even when its GTIN is not on file."""

from __future__ import annotations

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world

# GTIN 09506000134352 (not on file), expiry 2030-06-30, lot LOT7, serial S-9, count 12.
UNKNOWN = "]d201" + "09506000134352" + "17300630" + "10LOT7|21S-9|3012"
KNOWN = "]d2010400638133393117291200" + "10ABC123|21SN1"  # VAC-1's GTIN


def scan(world: World, body: dict[str, object], key: bool = False):  # -> httpx.Response
    headers = world.headers(Role.OPERATOR)
    if not key:
        headers.pop("Idempotency-Key")
    return world.client.post("/api/v1/scan", json=body, headers=headers)


def test_identify_reads_a_label_whose_gtin_is_not_on_file(world: World) -> None:
    answer = scan(world, {"raw": UNKNOWN, "mode": "identify"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["kind"], body["item"], body["known"]) == ("product", None, False)
    assert body["message"] == "GTIN 09506000134352 is not on file"
    label = body["scan"]
    assert (label["gtin"], label["lot"], label["expiry"], label["serial"], label["quantity"]) \
        == ("09506000134352", "LOT7", "2030-06-30", "S-9", 12)
    assert label["symbology"] == "GS1 DataMatrix"
    assert label["ais"] == {"01": "09506000134352", "17": "300630", "10": "LOT7",
                            "21": "S-9", "30": "12"}
    assert body["booking"] is None


def test_identify_names_a_known_item_and_books_nothing(world: World) -> None:
    body = scan(world, {"raw": KNOWN}).json()  # identify is the default mode
    assert (body["item"], body["known"], body["message"]) == ("VAC-1", True, None)
    assert world.on_hand(item="VAC-1") == 0


def test_a_booking_scan_still_needs_a_key(world: World) -> None:
    refused = scan(world, {"raw": KNOWN, "mode": "receive", "location": "F-01"})
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["field"] == "header.Idempotency-Key"
    assert world.on_hand(item="VAC-1") == 0
    booked = scan(world, {"raw": KNOWN, "mode": "receive", "location": "F-01"}, key=True)
    assert booked.status_code == 201, booked.text
