"""The one service layer over HTTP: lock conflicts that persist answer 503
busy_retry, sensors are admin master data, explicit nulls on PATCH are refused
with the field named or clear the field, master-data replays answer the first
answer, and the inventory's stock hooks run after each committed change only."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from inventory.hooks import StockChange, stock_hooks
from inventory.orm import Move
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.auth import signature
from tests.support.inventory_world import World, build_world

world = inventory_world.world


def patch(world: World, path: str, body: dict[str, Any], role: Role = Role.ADMIN) -> Any:
    # A reason, for the changes of limits that need one (docs/compliance.md).
    # And a signature: a change of limits is signed (kernel/signatures.py).
    if path.startswith(("/zones/", "/storage-classes/")):
        body = {**body, "signature": signature("approved")}
    return world.client.patch(f"/api/v1{path}", json=body, params={"reason": "test"},
                              headers=world.headers(role))


# --- busy


@pytest.fixture
def sqlite_world(sqlite_url: str) -> Iterator[World]:
    yield from build_world(sqlite_url)


def test_a_lock_that_persists_is_answered_503_busy_retry_with_retry_after(
    sqlite_world: World, sqlite_url: str,
) -> None:
    # Each attempt waits 20 ms for SQLite's write lock instead of 30 s.
    engine = sqlite_world.hub.engine
    event.listen(engine, "connect",
                 lambda conn, _rec: conn.execute("PRAGMA busy_timeout=20"))
    engine.dispose()
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
    try:
        answer = sqlite_world.post("/zones", {"code": "LOCKED", "name": "locked"}, Role.ADMIN)
        sensor = sqlite_world.post("/sensors", {"id": "s-locked"}, Role.ADMIN)
    finally:
        blocker.rollback()
        blocker.close()
    for refused in (answer, sensor):
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "busy_retry"
        assert refused.headers["Retry-After"] == "1"
    again = sqlite_world.post("/zones", {"code": "LOCKED", "name": "locked"}, Role.ADMIN)
    assert again.status_code == 201, again.text


# --- sensors are admin master data


def test_operators_and_supervisors_cannot_register_name_or_move_sensors(world: World) -> None:
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        refused = world.post("/sensors", {"id": f"s-{role.value}", "zone": "FRIDGE"}, role)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "role_required"
    created = world.post("/sensors", {"id": "s-1", "name": "door", "zone": "FRIDGE"}, Role.ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["zone"] == "FRIDGE"
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        moved = patch(world, "/sensors/s-1", {"zone": "ROOM"}, role)
        assert moved.status_code == 403
    assert world.ok(world.get("/sensors/s-1"))["zone"] == "FRIDGE"
    moved = patch(world, "/sensors/s-1", {"zone": "ROOM", "name": "back wall"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["zone"], moved.json()["name"]) == ("ROOM", "back wall")


def test_a_sensor_zone_of_null_unassigns_and_a_name_of_null_is_refused(world: World) -> None:
    world.ok(world.post("/sensors", {"id": "s-2", "zone": "ROOM"}, Role.ADMIN))
    refused = patch(world, "/sensors/s-2", {"name": None})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "body.name"
    assert world.ok(patch(world, "/sensors/s-2", {"zone": None}))["zone"] is None


def test_a_sensor_registered_twice_is_a_conflict(world: World) -> None:
    world.ok(world.post("/sensors", {"id": "s-3"}, Role.ADMIN))
    again = world.post("/sensors", {"id": "s-3"}, Role.ADMIN)
    assert again.status_code == 409
    assert again.json()["error"] == "sensor_exists"


# --- explicit null on PATCH


@pytest.mark.parametrize(("path", "field"), [
    ("/items/VAC-1", "name"), ("/items/VAC-1", "unit"), ("/items/VAC-1", "policy"),
    ("/items/VAC-1", "min_stock"), ("/zones/FRIDGE", "name"), ("/zones/FRIDGE", "hazardous"),
    ("/locations/F-01", "zone"), ("/locations/F-01", "active"),
    ("/storage-classes/2-8C", "name"),
])
def test_a_null_for_a_field_that_cannot_be_empty_is_refused_naming_it(
    world: World, path: str, field: str,
) -> None:
    refused = patch(world, path, {field: None})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "invalid_request"
    assert refused.json()["detail"][0]["field"] == f"body.{field}"
    assert "cannot be null" in refused.json()["detail"][0]["problem"]


def test_a_null_clears_the_fields_that_may_be_empty(world: World) -> None:
    item = world.ok(patch(world, "/items/VAC-1", {"gtin": None, "storage_class": None}))
    assert (item["gtin"], item["storage_class"]) == (None, None)
    zone = world.ok(patch(world, "/zones/ROOM", {"storage_class": None}))
    assert zone["storage_class"] is None
    band = world.ok(patch(world, "/storage-classes/2-8C", {"temp_min_c": None}))
    assert (band["temp_min_c"], band["temp_max_c"]) == (None, 8)


def test_the_openapi_document_says_what_null_means(world: World) -> None:
    schemas = world.client.get("/openapi.json").json()["components"]["schemas"]
    fields = schemas["ItemUpdate"]["properties"]
    assert "null clears it" in fields["gtin"]["description"]
    assert "null is refused" in fields["name"]["description"]


# --- master data answered once per idempotency key


def test_a_master_data_resend_gets_the_first_answer(world: World) -> None:
    key = str(uuid.uuid4())
    body = {"code": "ANNEX", "name": "annex", "storage_class": "15-25C"}
    first = world.post("/zones", body, Role.ADMIN, key=key)
    again = world.post("/zones", body, Role.ADMIN, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


# --- stock hooks


@pytest.fixture
def changes() -> Iterator[list[StockChange]]:
    seen: list[StockChange] = []
    unsubscribe = stock_hooks.subscribe(seen.append)
    yield seen
    unsubscribe()


def test_a_hook_hears_each_committed_move_with_what_changed(
    world: World, changes: list[StockChange],
) -> None:
    booking = world.receive("VAC-1", "L1", 10, "F-01")
    world.ok(world.post("/moves/transfer", {"item": "VAC-1", "lot_number": "L1", "quantity": 4,
                                            "from_location": "F-01", "to_location": "F-02"}))
    assert [(c.kind, c.item, c.lots, c.locations) for c in changes] == [
        ("receive", "VAC-1", ("L1",), ("F-01",)),
        ("transfer", "VAC-1", ("L1",), ("F-01", "F-02")),
    ]
    assert changes[0].booking == booking["booking"]


def test_a_hook_hears_quality_status_changes(world: World, changes: list[StockChange]) -> None:
    lot = world.receive("INS-1", "Q1", 5, "F-01")
    del changes[:]
    lots = world.ok(world.get("/lots", item="INS-1"))
    world.ok(world.post(f"/lots/{lots[0]['id']}/qc-status",
                        {"status": "released", "reason": "assessed",
                         "signature": signature("released")}, Role.SUPERVISOR))
    assert [(c.kind, c.item, c.lots) for c in changes] == [("qc_status", "INS-1", ("Q1",))]
    assert lot["lot_status"] == "quarantine"


def test_a_hook_runs_after_the_commit(world: World) -> None:
    seen_from_outside: list[int] = []

    def look(_change: StockChange) -> None:
        # Another session sees the booking: the hook runs after the commit.
        with world.hub.sessions() as session:
            seen_from_outside.append(
                session.scalar(select(func.count()).select_from(Move)) or 0)

    unsubscribe = stock_hooks.subscribe(look)
    try:
        world.receive("GLOVE", "G9", 1, "R-01")
    finally:
        unsubscribe()
    assert seen_from_outside == [1]


def test_a_hook_hears_nothing_of_a_refused_change_or_a_replay(
    world: World, changes: list[StockChange],
) -> None:
    refused = world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 3})
    assert refused.status_code == 409
    key = str(uuid.uuid4())
    body = {"item": "GLOVE", "lot_number": "G1", "quantity": 2, "location": "R-01"}
    world.ok(world.post("/moves/receive", body, key=key))
    world.ok(world.post("/moves/receive", body, key=key))  # replayed: nothing new happened
    assert [c.kind for c in changes] == ["receive"]


def test_a_raising_hook_is_counted_and_never_fails_the_booking(
    world: World, changes: list[StockChange],
) -> None:
    def broken(_change: StockChange) -> None:
        raise RuntimeError("the alarm engine fell over")

    unsubscribe = stock_hooks.subscribe(broken)
    failures = stock_hooks.failures
    try:
        answer = world.post("/moves/receive", {"item": "GLOVE", "lot_number": "G2",
                                               "quantity": 1, "location": "R-01"})
    finally:
        unsubscribe()
    assert answer.status_code == 201, answer.text
    assert stock_hooks.failures == failures + 1
    metrics = world.client.get("/metrics").text
    assert f"stockwarden_stock_hook_failures {float(failures + 1)}" in metrics
    assert [c.kind for c in changes] == ["receive"]  # the other hooks still ran
    assert world.on_hand(item="GLOVE") == 1
