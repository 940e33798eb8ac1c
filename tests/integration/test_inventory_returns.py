"""Returns held per lot and bin, on SQLite and PostgreSQL: five units back do not
block the hundred of the same lot on the shelf; inspection releases or rejects them."""

from __future__ import annotations

from typing import Any

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world

RETURN = {"item": "VAC-1", "lot_number": "L1", "location": "F-01", "quantity": 5,
          "reason": "customer sent back unopened", "reference": "RMA-1"}


def _returned(world: World, **changes: Any) -> Any:
    answer = world.ok(world.post("/returns", {**RETURN, **changes}))
    assert answer["kind"] == "return"
    return answer


def test_a_return_is_held_while_the_rest_of_the_lot_is_dispatched(world: World) -> None:
    world.receive("VAC-1", "L1", 100, "F-01")
    answer = _returned(world)
    assert answer["lines"][0]["quantity"] == 5
    assert answer["lot_status"] == "released"  # the lot's QC status is untouched
    assert world.on_hand(lot_number="L1") == 105  # on the shelf and in the ledger

    pending = world.ok(world.get("/returns/pending"))
    assert [(p["id"], p["quantity"], p["location"], p["status"], p["returned_by"])
            for p in pending] == [(answer["return_id"], 5, "F-01", "pending", "operator1")]

    preview = world.ok(world.post("/moves/dispatch/preview", {"item": "VAC-1", "quantity": 100}))
    assert preview["lines"][0]["quantity"] == 100
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 100}))
    assert world.on_hand(lot_number="L1") == 5
    held = world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 1})
    assert held.status_code == 409
    assert held.json()["error"] == "insufficient_stock"
    moved = world.post("/moves/transfer", {"item": "VAC-1", "lot_number": "L1",
                                           "from_location": "F-01", "to_location": "F-02",
                                           "quantity": 5})
    assert moved.status_code == 409
    assert "held for return inspection" in moved.json()["detail"]

    assert world.post(f"/returns/{answer['return_id']}/inspect",
                      {"decision": "release", "reason": "seal intact"}).status_code == 403
    released = world.ok(world.post(f"/returns/{answer['return_id']}/inspect",
                                   {"decision": "release", "reason": "seal intact"},
                                   Role.SUPERVISOR))
    assert (released["status"], released["inspected_by"], released["inspection_reason"]) == (
        "released", "supervisor1", "seal intact")
    assert released["inspected_at"] is not None
    assert world.ok(world.get("/returns/pending")) == []
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 5}))
    assert world.on_hand(lot_number="L1") == 0
    world.assert_ledger_equals_balances()


def test_a_rejected_return_is_written_off_with_who_when_and_why(world: World) -> None:
    world.receive("VAC-1", "L1", 20, "F-01")
    answer = _returned(world, quantity=3)
    rejected = world.ok(world.post(f"/returns/{answer['return_id']}/inspect",
                                   {"decision": "reject", "reason": "cold chain broken"},
                                   Role.SUPERVISOR))
    assert rejected["status"] == "rejected"
    assert rejected["reject_booking"]
    assert world.on_hand(lot_number="L1") == 20
    write_off = [m for m in world.ok(world.get("/moves", item="VAC-1"))
                 if m["reference"] == f"return:{answer['return_id']}"]
    assert [(m["kind"], m["from_location"], m["quantity"], m["user"], m["reason"])
            for m in write_off] == [("adjust", "F-01", 3, "supervisor1",
                                     f"return {answer['return_id']} rejected: cold chain broken")]
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 20}))
    twice = world.post(f"/returns/{answer['return_id']}/inspect",
                       {"decision": "release", "reason": "changed my mind"}, Role.SUPERVISOR)
    assert twice.status_code == 409
    assert twice.json()["error"] == "return_already_inspected"
    assert world.post("/returns/999/inspect", {"decision": "release", "reason": "xyz"},
                      Role.SUPERVISOR).status_code == 404
    world.assert_ledger_equals_balances()


def test_a_return_scanned_at_the_returns_desk_is_held_too(world: World) -> None:
    world.receive("VAC-1", "L1", 10, "F-01")
    scanned = world.ok(world.post("/scan", {"raw": "]d20104006381333931" + "10L1",
                                            "mode": "return", "location": "F-02", "quantity": 2,
                                            "reason": "damaged box"}))
    assert scanned["booking"]["kind"] == "return"
    pending = world.ok(world.get("/returns/pending"))
    assert [(p["lot_number"], p["location"], p["quantity"], p["reason"]) for p in pending] == [
        ("L1", "F-02", 2, "damaged box")]
    preview = world.ok(world.post("/moves/dispatch/preview", {"item": "VAC-1", "quantity": 10}))
    assert [line["location_code"] for line in preview["lines"]] == ["F-01"]
    assert world.post("/moves/dispatch/preview",
                      {"item": "VAC-1", "quantity": 11}).status_code == 409


def test_the_moves_route_still_takes_returns_and_quarantine_false_holds_nothing(
    world: World,
) -> None:
    world.receive("GLOVE", "G1", 4, "R-01")
    world.ok(world.post("/moves/return", {**RETURN, "item": "GLOVE", "lot_number": "G1",
                                          "location": "R-01", "quarantine": False},
                        Role.SUPERVISOR))
    assert world.ok(world.get("/returns/pending")) == []
    world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 9}))
    booked = world.ok(world.post("/moves/return", {**RETURN, "item": "GLOVE", "lot_number": "G1",
                                                   "location": "R-01"}))
    assert booked["kind"] == "return"
    assert len(world.ok(world.get("/returns/pending"))) == 1
    world.assert_ledger_equals_balances()


def test_only_a_supervisor_or_admin_may_skip_the_return_inspection(world: World) -> None:
    world.receive("VAC-1", "L1", 10, "F-01")
    for path in ("/returns", "/moves/return"):
        refused = world.post(path, {**RETURN, "quarantine": False})  # an operator
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "return_inspection_required"
        assert "only a supervisor or admin" in refused.json()["detail"]
    assert world.on_hand(lot_number="L1") == 10  # nothing booked
    assert world.ok(world.get("/returns/pending")) == []

    # The operator's default: held for inspection, not available.
    held = _returned(world)
    assert held["return_id"] is not None
    assert world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 11}).status_code == 409

    # A supervisor (and an admin) may book them as available at once.
    for role in (Role.SUPERVISOR, Role.ADMIN):
        booked = world.ok(world.post("/moves/return", {**RETURN, "quarantine": False}, role))
        assert booked["kind"] == "return" and booked.get("return_id") is None
    assert world.on_hand(lot_number="L1") == 25
    assert [p["id"] for p in world.ok(world.get("/returns/pending"))] == [held["return_id"]]
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 20}))
    world.assert_ledger_equals_balances()
