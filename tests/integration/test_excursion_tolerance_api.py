"""The excursion tolerance of a zone and of a storage class over the API (issue 17,
defect 7): settable with PATCH (and at creation), checked against its bounds, shown
by GET, cleared with null. Its use by the alarm engine: test_excursion_identity.py."""

from __future__ import annotations

import httpx

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.auth import signature
from tests.support.inventory_world import World

world = inventory_world.world


def patch(world: World, path: str, body: dict[str, object]) -> httpx.Response:
    # A reason: a tolerance is a limit, whose change needs one (docs/compliance.md).
    # And a signature: a change of limits is signed (kernel/signatures.py).
    body = {**body, "signature": signature("approved")}
    return world.client.patch(f"/api/v1{path}", json=body, params={"reason": "test"},
                              headers=world.headers(Role.ADMIN))


def test_a_zone_and_a_storage_class_take_their_excursion_tolerance_over_the_api(
    world: World,
) -> None:
    changed = world.ok(patch(world, "/storage-classes/2-8C", {"excursion_tolerance_s": 2700}))
    assert changed["excursion_tolerance_s"] == 2700
    assert world.ok(world.get("/storage-classes/2-8C"))["excursion_tolerance_s"] == 2700
    assert world.ok(world.get("/zones/FRIDGE"))["excursion_tolerance_s"] is None

    zone = world.ok(patch(world, "/zones/FRIDGE", {"excursion_tolerance_s": 600}))
    assert (zone["excursion_tolerance_s"], zone["storage_class"]) == (600, "2-8C")
    listed = {z["code"]: z for z in world.ok(world.get("/zones"))}
    assert listed["FRIDGE"]["excursion_tolerance_s"] == 600
    assert listed["ROOM"]["excursion_tolerance_s"] is None

    # Other fields left out keep their values; null gives the zone back its class's.
    world.ok(patch(world, "/zones/FRIDGE", {"name": "walk-in fridge"}))
    assert world.ok(world.get("/zones/FRIDGE"))["excursion_tolerance_s"] == 600
    assert world.ok(patch(world, "/zones/FRIDGE", {"excursion_tolerance_s": None})
                    )["excursion_tolerance_s"] is None

    created = world.client.post("/api/v1/zones", json={
        "code": "FREEZER", "name": "freezer", "storage_class": "2-8C",
        "excursion_tolerance_s": 0}, headers=world.headers(Role.ADMIN))
    assert created.status_code == 201, created.text
    assert created.json()["excursion_tolerance_s"] == 0


def test_an_excursion_tolerance_out_of_bounds_is_refused_and_changes_nothing(
    world: World,
) -> None:
    world.ok(patch(world, "/zones/FRIDGE", {"excursion_tolerance_s": 900}))
    for path in ("/zones/FRIDGE", "/storage-classes/2-8C"):
        for bad in (-1, 30 * 24 * 3600 + 1, "half an hour", 1.5):
            refused = patch(world, path, {"excursion_tolerance_s": bad})
            assert refused.status_code == 422, (path, bad, refused.text)
            assert "excursion_tolerance_s" in refused.text
    assert world.ok(world.get("/zones/FRIDGE"))["excursion_tolerance_s"] == 900
    assert world.ok(world.get("/storage-classes/2-8C"))["excursion_tolerance_s"] is None
    # Setting it is the admin's, like the rest of the master data.
    denied = world.client.patch("/api/v1/zones/FRIDGE", json={"excursion_tolerance_s": 60},
                                headers=world.headers(Role.SUPERVISOR))
    assert denied.status_code == 403
