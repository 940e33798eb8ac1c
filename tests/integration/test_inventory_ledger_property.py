"""Property: whatever sequence of moves is booked, balances equal the ledger and
never go negative, and a dispatch succeeds exactly when there is enough stock
that is not held for return inspection; held units equal the pending returns."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.accounts.service import create_user_with_token
from hub.container import Hub
from hub.settings import load_settings
from inventory import returns, services
from inventory.allocation import InsufficientStock
from inventory.commands import Adjust, Count, Dispatch, Receive, Return, Transfer
from inventory.domain import Decision
from inventory.orm import Balance, Item, Location, Lot
from inventory.queries import ledger_disagreements
from inventory.schemas import Inspection
from kernel.actors import Actor, Role
from kernel.errors import NotFound
from kernel.orm import StorageClass, Zone

LOTS = ["L1", "L2", "L3"]
BINS = ["B1", "B2"]
_items = itertools.count()

move = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(LOTS), st.sampled_from(BINS),
              st.integers(1, 20)),
    st.tuples(st.just("dispatch"), st.integers(1, 30)),
    st.tuples(st.just("transfer"), st.sampled_from(LOTS), st.sampled_from(BINS),
              st.integers(1, 20)),
    st.tuples(st.just("adjust"), st.sampled_from(LOTS), st.sampled_from(BINS),
              st.integers(-10, 10).filter(bool)),
    st.tuples(st.just("count"), st.sampled_from(LOTS), st.sampled_from(BINS),
              st.integers(0, 15)),
    st.tuples(st.just("return"), st.sampled_from(LOTS), st.sampled_from(BINS),
              st.integers(1, 5)),
    st.tuples(st.just("inspect"), st.sampled_from(list(Decision))),
)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Actor]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'stock.db'}"
    hub = Hub.build(load_settings(database_url=url))
    with hub.writes() as session:
        create_user_with_token(session, "prop", Role.SUPERVISOR)
    with hub.writes() as session, session.begin():
        zone = Zone(code="Z", name="z", storage_class=StorageClass(code="C", name="c"))
        session.add_all([Location(code=code, zone=zone) for code in BINS])
    yield hub, Actor(1, "prop", Role.SUPERVISOR)
    hub.engine.dispose()


@settings(max_examples=60, deadline=None)
@given(moves=st.lists(move, max_size=25))
def test_balances_equal_the_ledger_and_never_go_negative(
    hub: tuple[Hub, Actor], moves: list[tuple]
) -> None:
    the_hub, actor = hub
    sku = f"P{next(_items)}"
    with the_hub.writes() as session, session.begin():
        session.add(Item(sku=sku, name="property item", policy="fefo"))
    model: dict[tuple[str, str], int] = {}
    for kind, *args in moves:
        with the_hub.writes() as session:
            try:
                if kind == "receive":
                    lot, where, qty = args
                    services.receive(session, Receive(item=sku, lot_number=lot, quantity=qty,
                                                      location=where), actor)
                    model[(lot, where)] = model.get((lot, where), 0) + qty
                elif kind == "dispatch":
                    (qty,) = args
                    enough = sum(model.values()) >= qty
                    try:
                        services.dispatch(session, Dispatch(item=sku, quantity=qty), actor)
                    except InsufficientStock:
                        assert not enough
                        continue
                    assert enough
                    model = {}  # re-read below: which lots were taken is the allocator's choice
                elif kind == "transfer":
                    lot, where, qty = args
                    target = BINS[1 - BINS.index(where)]
                    services.transfer(session, Transfer(item=sku, lot_number=lot,
                                                        from_location=where,
                                                        to_location=target, quantity=qty), actor)
                elif kind == "adjust":
                    lot, where, delta = args
                    services.adjust(session, Adjust(item=sku, lot_number=lot, location=where,
                                                    delta=delta, reason="property"), actor)
                elif kind == "count":
                    lot, where, counted = args
                    services.count(session, Count(item=sku, lot_number=lot, location=where,
                                                  counted=counted), actor)
                elif kind == "return":
                    lot, where, qty = args
                    services.return_goods(session, Return(
                        item=sku, lot_number=lot, location=where, quantity=qty,
                        reason="property"), actor)
                else:
                    (decision,) = args
                    waiting = [r for r in returns.pending(session) if r.item == sku]
                    if waiting:
                        returns.inspect(session, waiting[0].id,
                                        Inspection(decision=decision, reason="property"), actor)
            except (InsufficientStock, NotFound):
                pass  # refused moves book nothing; the invariant below still holds
        with the_hub.sessions() as session:
            model = _balances(session, sku)
            assert all(q >= 0 for q in model.values())
    with the_hub.sessions() as session:
        pending = sum(r.quantity for r in returns.pending(session) if r.item == sku)
        assert ledger_disagreements(session) == []
        held = dict(session.execute(
            select(Balance.id, Balance.held).join(Item, Item.id == Balance.item_id)
            .where(Item.sku == sku, Balance.held > 0)).all())
        assert sum(held.values()) == pending


def _balances(session: Session, sku: str) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Lot.lot_number, Location.code, func.sum(Balance.quantity - Balance.held))
        .join(Lot, Lot.id == Balance.lot_id).join(Location, Location.id == Balance.location_id)
        .join(Item, Item.id == Balance.item_id).where(Item.sku == sku)
        .group_by(Lot.lot_number, Location.code)
    )
    return {(lot, loc): int(q) for lot, loc, q in rows}
