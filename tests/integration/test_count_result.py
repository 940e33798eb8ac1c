"""A count's answer carries what was counted against the book (issue 18, item 9): the
handheld says "counted 4, book said 3: +1 booked" from it, never the booked difference
as if it were the count; in a stocktake the difference waits for the approval, and
an operator in a blind stocktake is told neither the book nor the difference."""

from __future__ import annotations

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def count(world: World, counted: int, role: Role = Role.OPERATOR) -> dict[str, object]:
    return world.ok(world.post("/moves/count", {"item": "VAC-1", "lot_number": "C1",
                                                "location": "F-01", "counted": counted}, role))


def test_a_count_answers_counted_book_and_difference(world: World) -> None:
    world.receive("VAC-1", "C1", 3, "F-01")
    answer = count(world, 4)
    assert answer["count"] == {"counted": 4, "book": 3, "difference": 1, "lot_number": "C1",
                               "location": "F-01", "stocktake": None}
    assert [line["quantity"] for line in answer["lines"]] == [1]


def test_in_a_stocktake_the_difference_waits_and_a_blind_count_hides_it(world: World) -> None:
    world.receive("VAC-1", "C1", 2, "F-01")
    open_count = world.ok(world.post("/stocktakes", {"locations": ["F-01"], "blind": False},
                                     Role.SUPERVISOR))
    answer = count(world, 1)
    assert answer["lines"] == []
    assert answer["count"] == {"counted": 1, "book": 2, "difference": -1, "lot_number": "C1",
                               "location": "F-01", "stocktake": open_count["id"]}
    world.ok(world.post(f"/stocktakes/{open_count['id']}/cancel", {"reason": "test"},
                        Role.SUPERVISOR))
    blind = world.ok(world.post("/stocktakes", {"locations": ["F-01"]}, Role.SUPERVISOR))
    hidden = count(world, 1)["count"]
    assert (hidden["book"], hidden["difference"], hidden["stocktake"]) == (None, None, blind["id"])
    # A supervisor's own count in the blind stocktake (after asking for a recount) is told.
    lines = world.ok(world.get(f"/stocktakes/{blind['id']}", Role.SUPERVISOR))["lines"]
    world.ok(world.post(f"/stocktakes/{blind['id']}/recount",
                        {"lines": [line["id"] for line in lines]}, Role.SUPERVISOR))
    seen = count(world, 1, Role.SUPERVISOR)["count"]
    assert (seen["book"], seen["difference"]) == (2, -1)
