"""Stocktakes over HTTP, on SQLite and PostgreSQL: a zone counted while the
warehouse keeps working, blind counting, recounts, approval and cancellation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inventory.bulk_import import import_items
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.auth import signature
from tests.support.inventory_world import World

world = inventory_world.world

SIGNED = {"signature": signature("approved")}  # an approval is signed (kernel/signatures.py)
VACCINE = "]d20104006381333931"  # GS1 DataMatrix of VAC-1; the lot (AI 10) follows


def _line(stocktake: dict[str, Any], lot: str, location: str) -> dict[str, Any]:
    return next(line for line in stocktake["lines"]
                if (line["lot_number"], line["location"]) == (lot, location))


def _count(world: World, stocktake_id: int, lot: str, location: str, counted: int,
           role: Role = Role.OPERATOR) -> Any:
    return world.post(f"/stocktakes/{stocktake_id}/counts", {
        "item": "VAC-1", "lot_number": lot, "location": location, "counted": counted}, role)


def test_a_zone_counted_during_moves_is_approved_into_adjustments_that_match_the_ledger(
    world: World,
) -> None:
    world.ok(world.client.patch("/api/v1/items/VAC-1", json={"unit_cost": 2.5},
                                headers=world.headers(Role.ADMIN)))
    world.receive("VAC-1", "L1", 10, "F-01")
    world.receive("VAC-1", "L2", 5, "F-02")
    world.receive("GLOVE", "G1", 20, "R-01")

    opened = world.post("/stocktakes", {"zone": "FRIDGE"}, Role.SUPERVISOR)
    assert opened.status_code == 201, opened.text
    stocktake = opened.json()
    sid = stocktake["id"]
    assert (stocktake["status"], stocktake["bins"], stocktake["blind"]) == (
        "open", ["F-01", "F-02"], True)
    assert [(line["lot_number"], line["location"], line["book"], line["status"])
            for line in stocktake["lines"]] == [("L1", "F-01", 10, "pending"),
                                                ("L2", "F-02", 5, "pending")]

    # L1 counted by scan: one unit is missing. Nothing is booked.
    scanned = world.ok(world.post("/scan", {"raw": VACCINE + "10L1", "mode": "count",
                                            "location": "F-01", "counted": 9}))
    assert scanned["booking"]["lines"] == []
    assert "stocktake" in scanned["booking"]["reason"]
    assert world.on_hand(lot_number="L1") == 10
    # The warehouse keeps working: 3 of L1 leave after its count, 4 of L2 arrive before.
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 3, "location": "F-01",
                                            "lot_number": "L1", "reason": "order 1"}))
    world.receive("VAC-1", "L2", 4, "F-02")
    # L2 counted by entry (book now 9): one short.
    world.ok(_count(world, sid, "L2", "F-02", 8))

    report = world.ok(world.get(f"/stocktakes/{sid}/variances", Role.SUPERVISOR))
    assert report["status"] == "review"
    rows = {(r["lot_number"], r["location"]): r for r in report["lines"]}
    l1, l2 = rows[("L1", "F-01")], rows[("L2", "F-02")]
    assert (l1["book"], l1["counted"], l1["difference"], l1["moved_since_count"],
            l1["book_now"], l1["value"]) == (10, 9, -1, -3, 7, -2.5)
    assert (l2["book"], l2["counted"], l2["difference"], l2["moved_since_count"]) == (
        9, 8, -1, 0)
    assert report["lines_with_difference"] == 2
    assert report["total_value"] == -5.0

    # The supervisor asks for a recount of both lines; L1 is confirmed, L2 was miscounted.
    recount = world.ok(world.post(f"/stocktakes/{sid}/recount",
                                  {"lines": [l1["line"], l2["line"]]}, Role.SUPERVISOR))
    assert recount["status"] == "counting"
    early = world.post(f"/stocktakes/{sid}/approve", SIGNED, Role.SUPERVISOR)
    assert early.status_code == 409
    assert early.json()["error"] == "stocktake_not_counted"
    world.ok(_count(world, sid, "L1", "F-01", 6))  # 3 went out since the first count
    world.ok(_count(world, sid, "L2", "F-02", 9))
    again = world.post(f"/stocktakes/{sid}/counts", {
        "item": "VAC-1", "lot_number": "L2", "location": "F-02", "counted": 1})
    assert again.status_code == 409
    assert again.json()["error"] == "line_already_counted"

    seen = world.ok(world.get(f"/stocktakes/{sid}", Role.SUPERVISOR))
    assert [c["counted"] for c in _line(seen, "L2", "F-02")["counts"]] == [8, 9]
    assert _line(seen, "L2", "F-02")["counts"][0]["recount_asked_by"] == "supervisor1"
    report = world.ok(world.get(f"/stocktakes/{sid}/variances", Role.SUPERVISOR))
    assert [(r["lot_number"], r["difference"]) for r in report["lines"]] == [
        ("L1", -1), ("L2", 0)]

    refused = world.post(f"/stocktakes/{sid}/approve", SIGNED, Role.OPERATOR)
    assert refused.status_code == 403
    approved = world.ok(world.post(f"/stocktakes/{sid}/approve", SIGNED, Role.SUPERVISOR))
    assert (approved["status"], approved["closed_by"]) == ("approved", "supervisor1")

    assert world.on_hand(lot_number="L1") == 6
    assert world.on_hand(lot_number="L2") == 9
    posted = [m for m in world.ok(world.get("/moves", item="VAC-1"))
              if m["reference"] == f"stocktake:{sid}"]
    assert [(m["kind"], m["lot_number"], m["from_location"], m["quantity"], m["user"])
            for m in posted] == [("count", "L1", "F-01", 1, "supervisor1")]
    world.assert_ledger_equals_balances()
    # The bin is free again: a count outside any stocktake books at once.
    immediate = world.ok(world.post("/moves/count", {"item": "VAC-1", "lot_number": "L1",
                                                     "location": "F-01", "counted": 5}))
    assert immediate["lines"][0]["quantity"] == 1
    assert world.on_hand(lot_number="L1") == 5


def test_operators_count_blind_and_supervisors_see_the_book(world: World) -> None:
    world.receive("VAC-1", "L1", 12, "F-01")
    sid = world.ok(world.post("/stocktakes", {"locations": ["F-01"]}, Role.SUPERVISOR))["id"]
    as_operator = world.ok(world.get(f"/stocktakes/{sid}"))
    assert _line(as_operator, "L1", "F-01")["book"] is None
    counted = world.ok(_count(world, sid, "L1", "F-01", 11))
    assert counted["lines"][0]["counted"] == 11
    assert counted["lines"][0]["book"] is None
    assert all(c["book"] is None for c in world.ok(world.get(f"/stocktakes/{sid}"))
               ["lines"][0]["counts"])
    assert world.get(f"/stocktakes/{sid}/variances").status_code == 403
    as_supervisor = world.ok(world.get(f"/stocktakes/{sid}", Role.SUPERVISOR))
    assert _line(as_supervisor, "L1", "F-01")["book"] == 12
    open_view = world.ok(world.post("/stocktakes", {"locations": ["F-02"], "blind": False},
                                    Role.SUPERVISOR))
    world.receive("VAC-1", "L2", 3, "F-02")
    assert world.ok(world.get(f"/stocktakes/{open_view['id']}"))["blind"] is False


def test_a_count_for_a_bin_outside_the_stocktake_is_refused_and_books_nothing(
    world: World,
) -> None:
    world.receive("VAC-1", "L1", 4, "F-01")
    world.receive("VAC-1", "L1", 2, "F-02")
    sid = world.ok(world.post("/stocktakes", {"locations": ["F-01"]}, Role.SUPERVISOR))["id"]
    refused = _count(world, sid, "L1", "F-02", 7)
    assert refused.status_code == 422
    assert refused.json()["error"] == "bin_not_in_stocktake"
    assert "bin F-02 is not in stocktake" in refused.json()["detail"]
    by_scan = world.post("/scan", {"raw": VACCINE + "10L1", "mode": "count", "location": "F-02",
                                   "counted": 7, "stocktake": sid})
    assert by_scan.status_code == 422
    assert by_scan.json()["error"] == "bin_not_in_stocktake"
    assert world.on_hand(location="F-02") == 2
    assert world.ok(world.get(f"/stocktakes/{sid}", Role.SUPERVISOR))["lines_counted"] == 0
    # Another stocktake may not count a bin that is being counted.
    overlap = world.post("/stocktakes", {"zone": "FRIDGE"}, Role.SUPERVISOR)
    assert overlap.status_code == 409
    assert overlap.json()["error"] == "bin_in_other_stocktake"
    assert world.post("/stocktakes", {"zone": "FRIDGE"}).status_code == 403


def test_stock_found_where_the_book_has_none_becomes_a_line_and_is_posted(world: World) -> None:
    world.receive("VAC-1", "L1", 4, "F-01")
    world.receive("VAC-1", "L9", 1, "F-02")
    sid = world.ok(world.post("/stocktakes", {"locations": ["F-01"]}, Role.SUPERVISOR))["id"]
    world.ok(_count(world, sid, "L1", "F-01", 4))
    world.ok(_count(world, sid, "L9", "F-01", 2))  # two units of L9 found in F-01
    world.ok(world.post(f"/stocktakes/{sid}/approve", SIGNED, Role.SUPERVISOR))
    assert world.on_hand(lot_number="L9", location="F-01") == 2
    world.assert_ledger_equals_balances()


def test_a_cancelled_stocktake_posts_nothing_and_takes_no_more_counts(world: World) -> None:
    world.receive("VAC-1", "L1", 8, "F-01")
    sid = world.ok(world.post("/stocktakes", {"zone": "FRIDGE"}, Role.SUPERVISOR))["id"]
    world.ok(_count(world, sid, "L1", "F-01", 3))
    cancelled = world.ok(world.post(f"/stocktakes/{sid}/cancel", {"reason": "wrong zone"},
                                    Role.SUPERVISOR))
    assert (cancelled["status"], cancelled["close_reason"]) == ("cancelled", "wrong zone")
    assert world.on_hand(lot_number="L1") == 8
    closed = world.post(f"/stocktakes/{sid}/approve", SIGNED, Role.SUPERVISOR)
    assert closed.status_code == 409
    assert closed.json()["error"] == "stocktake_closed"
    listed = world.ok(world.get("/stocktakes", status="cancelled"))
    assert [s["id"] for s in listed] == [sid]
    # Outside any stocktake the count books at once, as before.
    world.ok(world.post("/moves/count", {"item": "VAC-1", "lot_number": "L1",
                                         "location": "F-01", "counted": 3}))
    assert world.on_hand(lot_number="L1") == 3
    world.assert_ledger_equals_balances()


def test_a_resent_count_is_answered_once(world: World) -> None:
    world.receive("VAC-1", "L1", 8, "F-01")
    sid = world.ok(world.post("/stocktakes", {"locations": ["F-01"]}, Role.SUPERVISOR))["id"]
    body = {"item": "VAC-1", "lot_number": "L1", "location": "F-01", "counted": 7}
    first = world.post(f"/stocktakes/{sid}/counts", body, key="count-key-0001")
    again = world.post(f"/stocktakes/{sid}/counts", body, key="count-key-0001")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    seen = world.ok(world.get(f"/stocktakes/{sid}", Role.SUPERVISOR))
    assert len(seen["lines"][0]["counts"]) == 1


def test_the_unit_cost_is_set_by_csv_import_and_cleared_by_patch_null(
    world: World, tmp_path: Path,
) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("sku,name,storage_class,unit_cost\nPAD-1,pads,15-25C,3.25\n")
    assert import_items(world.hub.writes, csv_file, reason="test").imported == 1
    assert world.ok(world.get("/items/PAD-1"))["unit_cost"] == 3.25
    negative = world.client.patch("/api/v1/items/PAD-1", json={"unit_cost": -1},
                                  headers=world.headers(Role.ADMIN))
    assert negative.status_code == 422
    cleared = world.ok(world.client.patch("/api/v1/items/PAD-1", json={"unit_cost": None},
                                          headers=world.headers(Role.ADMIN)))
    assert cleared["unit_cost"] is None
