"""Bulk import of items and opening stock from CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.accounts.service import actor_for_username
from inventory.bulk_import import import_items, import_stock
from kernel import audit
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def test_items_import_takes_good_rows_and_names_the_refused_ones(
    world: World, tmp_path: Path
) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("sku,name,gtin,storage_class\n"
                        "NEW-1,syringes,,15-25C\n"
                        "NEW-2,,,15-25C\n"
                        "NEW-3,swabs,,-80C\n"
                        "NEW-4,plasters,4006381333931,\n")
    report = import_items(world.hub.writes, csv_file, reason="go-live")
    assert report.imported == 1
    assert [(r.line, r.reason) for r in report.refused] == [
        (3, "name: Field required"),
        (4, "no storage class -80C"),
        (5, "item with gtin 04006381333931 exists already"),
    ]
    assert world.ok(world.get("/items/NEW-1"))["storage_class"] == "15-25C"


def test_running_the_same_stock_file_twice_books_it_once(world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "stock.csv"
    csv_file.write_text("item,lot_number,expiry,location,quantity\n"
                        "GLOVE,G1,,R-01,100\n"
                        "VAC-1,V1,2099-01-31,F-01,20\n"
                        "VAC-1,V2,2099-01-31,R-01,20\n")
    with world.hub.sessions() as session:
        actor = actor_for_username(session, f"{Role.ADMIN.value}1")
    first = import_stock(world.hub.writes, csv_file, actor, reason="go-live")
    second = import_stock(world.hub.writes, csv_file, actor, reason="again")
    assert (first.imported, len(first.refused)) == (2, 1)
    assert "must be stored at 2-8C" in first.refused[0].reason
    assert (second.imported, second.already_imported) == (0, 2)
    assert world.on_hand(item="GLOVE") == 100
    assert world.on_hand(item="VAC-1") == 20


def test_an_import_needs_a_reason_and_leaves_an_audit_row(world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("sku,name,storage_class\nAUD-1,gauze,15-25C\n")
    with pytest.raises(audit.ReasonRequired):
        import_items(world.hub.writes, csv_file)
    assert world.get("/items/AUD-1").status_code == 404  # refused before the first row
    import_items(world.hub.writes, csv_file, reason="go-live")
    with world.hub.sessions() as session:
        (row,) = audit.rows(session, audit.AuditFilter(entity="items", action="import"))
    assert (row.key, row.reason, row.via) == ("items.csv", "go-live", "cli")
    assert row.after is not None and (row.after["imported"], row.after["refused"]) == (1, 0)
