"""The dispatch hot path (issue 10): it locks only the first balances in pick order,
so a pick that needs more of them must still take them all, in FEFO order; and
with no pool pre-ping a connection PostgreSQL dropped costs a retry, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from inventory.services import PICK_PAGE
from tests.support.inventory_world import World, build_world
from tests.support.inventory_world import world as world


def test_a_pick_beyond_the_first_locked_balances_still_takes_them_in_fefo_order(
    world: World,
) -> None:
    lots = PICK_PAGE + 4
    for n in range(lots):  # received latest-expiring first: id order is not pick order
        world.receive("VAC-1", f"P{n:02d}", 1, "F-01", expiry=f"2090-01-{31 - n:02d}")
    wanted = PICK_PAGE + 2
    preview = world.ok(world.post("/moves/dispatch/preview", {"item": "VAC-1",
                                                              "quantity": wanted}))
    booked = world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": wanted}))
    expected = [f"P{n:02d}" for n in range(lots - 1, lots - 1 - wanted, -1)]
    assert [line["lot_number"] for line in booked["lines"]] == expected
    assert [line["lot_number"] for line in preview["lines"]] == expected
    refused = world.post("/moves/dispatch", {"item": "VAC-1", "quantity": lots})
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == f"only {lots - wanted} of {lots} each of VAC-1 " \
                                       "available to dispatch"
    world.assert_ledger_equals_balances()


def test_a_fifo_item_is_picked_by_receipt_whatever_its_expiry(world: World) -> None:
    world.receive("GLOVE", "OLD", 2, "R-01", expiry="2095-01-01")
    world.receive("GLOVE", "NEW", 2, "R-01", expiry="2091-01-01")
    booked = world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 3}))
    assert [(line["lot_number"], line["quantity"]) for line in booked["lines"]] == [
        ("OLD", 2), ("NEW", 1)]


@pytest.fixture
def pg_world(pg_url: str) -> Iterator[World]:
    yield from build_world(pg_url)


def _drop_connections(world: World) -> int:
    """PostgreSQL ends every session of the hub's pool (as on a restart)."""
    outside = create_engine(world.hub.engine.url, poolclass=NullPool)
    with outside.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
        conn.rollback()
    outside.dispose()
    return int(ended)


def test_connections_postgresql_dropped_cost_a_retry_not_a_500(pg_world: World) -> None:
    pg_world.receive("VAC-1", "L1", 10, "F-01")
    pg_world.ok(pg_world.get("/stock"))  # a second pooled connection, maybe
    assert _drop_connections(pg_world) >= 1
    booked = pg_world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 1})
    assert booked.status_code == 201, booked.text  # the unit of work retried it
    _drop_connections(pg_world)
    read = pg_world.get("/stock", item="VAC-1")
    assert read.status_code in (200, 503), read.text
    if read.status_code == 503:
        assert read.json()["error"] == "busy_retry"
        assert read.headers["Retry-After"] == "1"
    assert pg_world.on_hand(item="VAC-1") == 9
