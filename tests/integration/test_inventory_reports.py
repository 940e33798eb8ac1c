"""The inventory's reports over the API on both databases: expiry, the period's
ledger, turnover with the ABC class, and a lot's trace, as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests import inventory_world
from tests.inventory_world import World

world = inventory_world.world


def test_expiry_ledger_turnover_and_trace(world: World) -> None:
    today = datetime.now(UTC).date()
    world.receive("VAC-1", "A-SOON", 10, "F-01", (today + timedelta(days=10)).isoformat())
    world.receive("VAC-1", "B-LATE", 5, "F-01", (today + timedelta(days=200)).isoformat())
    world.receive("GLOVE", "G1", 100, "R-01", None)
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 4}))
    world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 60}))
    world.ok(world.post("/moves/transfer", {"item": "VAC-1", "lot_number": "A-SOON",
                                            "from_location": "F-01", "to_location": "F-02",
                                            "quantity": 6}))

    (expiring,) = world.ok(world.get("/reports/expiry", within_days=30))
    assert (expiring["lot_number"], expiring["state"], expiring["days_left"],
            expiring["on_hand"], expiring["locations"]) == ("A-SOON", "expiring", 10, 6, "F-02 (6)")
    rows = list(csv.DictReader(io.StringIO(
        world.get("/reports/expiry", within_days=30, format="csv").text)))
    assert [(r["lot_number"], r["on_hand"]) for r in rows] == [("A-SOON", "6")]

    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    ledger = world.ok(world.get("/reports/ledger", start=start, end=end))
    items = {i["item"]: i for i in ledger["items"]}
    assert (items["GLOVE"]["received"], items["GLOVE"]["dispatched"],
            items["GLOVE"]["closing"]) == (100, 60, 40)
    assert (items["VAC-1"]["received"], items["VAC-1"]["closing"]) == (15, 11)
    assert len(ledger["moves"]) == 6
    assert "# moves" in world.get("/reports/ledger", start=start, end=end, format="csv").text

    turnover = world.ok(world.get("/reports/turnover", start=start, end=end))
    classes = {r["item"]: (r["dispatched"], r["abc"]) for r in turnover["rows"]}
    assert classes == {"GLOVE": (60, "A"), "VAC-1": (4, "B")}
    assert turnover["basis"] == "volume"  # no unit costs: classed by volume
    glove = next(r for r in turnover["rows"] if r["item"] == "GLOVE")
    assert glove["turnover"] > 0 and glove["days_of_cover"] > 0

    lot_id = next(lot["id"] for lot in world.ok(world.get("/lots", item="VAC-1"))
                  if lot["lot_number"] == "A-SOON")
    trace = world.ok(world.get(f"/reports/lots/{lot_id}/trace"))
    assert [m["kind"] for m in trace["trace"]["moves"]] == ["receive", "dispatch", "transfer"]
    assert [(s["zone"], s["end"]) for s in trace["stays"]] == [("FRIDGE", None)]
    assert trace["excursions"] == []
    text = world.get(f"/reports/lots/{lot_id}/trace", format="csv").text
    assert "# zones" in text and "FRIDGE" in text
    world.assert_ledger_equals_balances()
