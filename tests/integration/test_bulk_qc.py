"""One decision for many held lots (issue 18, item 4): `POST /api/v1/lots/qc-status`
releases or rejects a list of lots with one reason, in one transaction (all or none),
each lot audited as its own QC-status change; a too-short reason is refused in plain
words; scanning held stock says it is on hold and why."""

from __future__ import annotations

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world

REASON = "excursion in cold room since 02:10 UTC on 2026-12-07: critical temperature"


def decision(world: World, ids: list[int], status: str, reason: str) -> dict[str, object]:
    """A bulk decision's body; a release or a reject signed once for the list."""
    return {"lot_ids": ids, "status": status, "reason": reason,
            "signature": world.sign(status)}


def held_world(world: World, lots: int) -> list[int]:
    for n in range(lots):
        world.receive("VAC-1", f"B{n:03d}", 2, "F-01" if n % 2 else "F-02")
    held = world.ok(world.post("/zones/FRIDGE/hold-lots", {"reason": REASON}, Role.SUPERVISOR))
    assert len(held) == lots
    return [lot["lot_id"] for lot in held]


def test_a_hundred_held_lots_are_released_in_one_request_each_audited(world: World) -> None:
    ids = held_world(world, 100)
    body = decision(world, ids, "released", "within stability data, QA")
    answer = world.post("/lots/qc-status", body, Role.SUPERVISOR)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changed"] == 100 and [lot["lot_id"] for lot in body["lots"]] == ids
    assert {lot["qc_status"] for lot in body["lots"]} == {"released"}
    assert world.ok(world.get("/lots", qc_status="on_hold")) == []
    audited = world.ok(world.get("/audit", Role.ADMIN, action="qc_status", limit=1000))
    released = [row for row in audited if row["after"].get("qc_status") == "released"]
    assert all(row["after"].get("signature") for row in released)  # the signature's reference
    assert sorted(row["key"] for row in released) == [f"VAC-1/B{n:03d}" for n in range(100)]
    assert {row["reason"] for row in released} == {"within stability data, QA"}
    # One signature for the list (the password asked once): each lot shows it, signed at
    # one time over the whole list's content (each row's hash binds it to its own lot).
    signed = [world.ok(world.get(f"/lots/{lot_id}"))["signatures"] for lot_id in ids[:3]]
    assert [[sig["meaning"] for sig in sigs] for sigs in signed] == [["released"]] * 3
    assert len({sigs[0]["at"] for sigs in signed}) == 1
    # Released stock is usable again: a dispatch takes it.
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 3}))


def test_a_bulk_decision_is_all_or_none_and_refused_in_plain_words(world: World) -> None:
    ids = held_world(world, 3)
    short = world.post("/lots/qc-status", decision(world, ids, "rejected", "x"),
                       Role.SUPERVISOR)
    assert short.status_code == 422
    assert short.json()["detail"] == [{"field": "body.reason",
                                       "problem": "needs at least 3 characters"}]
    assert world.post("/lots/qc-status", decision(world, [], "rejected", "damaged"), Role.SUPERVISOR
                      ).status_code == 422
    denied = world.post("/lots/qc-status", decision(world, ids, "released", "checked"),
                        Role.OPERATOR)
    assert denied.status_code == 403
    # One lot released on its own first: the list's decision is refused as a whole.
    world.ok(world.post(f"/lots/{ids[1]}/qc-status", {"status": "released",
                                                      "reason": "checked alone",
                                                      "signature": world.sign("released")},
                        Role.SUPERVISOR))
    refused = world.post("/lots/qc-status", decision(world, ids, "released", "checked"),
                         Role.SUPERVISOR)
    assert refused.status_code == 422, refused.text
    assert "B001" in refused.json()["detail"]
    on_hold = {lot["lot_number"] for lot in world.ok(world.get("/lots", qc_status="on_hold"))}
    assert on_hold == {"B000", "B002"}
    # An id no lot can have (found by the OpenAPI fuzz: a 500 from the database driver).
    huge = world.post("/lots/qc-status", decision(world, [ids[0], 2**80], "rejected", "damaged"),
                      Role.SUPERVISOR)
    assert huge.status_code == 422 and huge.json()["detail"][0]["field"] == "body.lot_ids.1"
    missing = world.post("/lots/qc-status",
                         decision(world, [ids[0], 999999], "rejected", "damaged"),
                          Role.SUPERVISOR)
    assert missing.status_code == 404
    assert {lot["lot_number"] for lot in world.ok(world.get("/lots", qc_status="on_hold"))
            } == {"B000", "B002"}


def test_a_resent_bulk_decision_is_answered_from_its_record(world: World) -> None:
    ids = held_world(world, 2)
    body = decision(world, ids, "rejected", "out of tolerance")
    first = world.post("/lots/qc-status", body, Role.SUPERVISOR, key="bulk-decision-1")
    assert first.status_code == 200, first.text
    again = world.post("/lots/qc-status", body, Role.SUPERVISOR, key="bulk-decision-1")
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()


def test_scanning_held_stock_says_it_is_on_hold_and_why(world: World) -> None:
    held_world(world, 1)
    # By the named lot (the handheld's dispatch scan reads the lot from the label).
    named = world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 1, "lot_number": "B000"})
    assert named.status_code == 409
    assert named.json()["error"] == "lot_on_hold"
    assert named.json()["detail"] == (
        "VAC-1 lot B000 is on hold (excursion in cold room since 02:10 UTC on 2026-12-07): "
        "quality must release it first")
    # Without a lot: the shortage says what is held and why.
    plain = world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 1})
    assert plain.status_code == 409
    assert plain.json()["detail"] == (
        "only 0 of 1 each of VAC-1 available to dispatch: 2 of lot B000 on hold "
        "(excursion in cold room since 02:10 UTC on 2026-12-07)")
