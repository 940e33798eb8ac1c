"""Posting to the ledger: each leg of a booking becomes one append-only move and
changes the balances of its locations, in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory.allocation import InsufficientStock
from inventory.domain import MoveKind
from inventory.orm import Item, Move
from inventory.schemas import BookingLinePublic, BookingPublic
from kernel.actors import Actor

_INSERT_MOVE = insert(Move.__table__)


class StockChanged(InsufficientStock):
    """A source balance holds less than the leg takes (it may have changed since
    it was read without a lock); nothing has been written yet."""


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    code: str


@dataclass(frozen=True, slots=True)
class LotRef:
    id: int
    lot_number: str
    expiry: date | None


@dataclass(frozen=True, slots=True)
class Leg:
    lot: LotRef
    source: Place | None
    target: Place | None
    quantity: int


def post(
    session: Session,
    *,
    kind: MoveKind,
    item: Item | repo.ItemRef,
    legs: list[Leg],
    actor: Actor,
    at: datetime,
    reference: str | None = None,
    reason: str | None = None,
    idempotency_key: str | None = None,
    locked: dict[repo.BalanceKey, repo.LockedBalance] | None = None,
    consignee: tuple[int, str] | None = None,
) -> BookingPublic:
    """Book `legs`: lock every balance involved (the global lock order), refuse to go
    below zero, update balances and append the moves. `locked`: balances the caller
    has locked already in this transaction (a dispatch's allocation). `consignee`: a
    dispatch's receiver (id, code), on each of its moves."""
    booking = BookingPublic.model_construct(
        booking=str(uuid.uuid4()), kind=kind, item=item.sku, at=at, user=actor.username,
        reference=reference, reason=reason, lines=[], lot_status=None,
        consignee=consignee[1] if consignee else None)
    if len(legs) == 1 and legs[0].source is None and legs[0].target is not None:
        # Goods in to one bin (a receipt, a return): one statement creates or locks
        # the balance and adds to it. One row, so no lock order to keep.
        leg = legs[0]
        repo.add_to_balance(session, item.id, leg.lot.id, leg.target.id, leg.quantity)
        _append(session, booking, kind, item.id, legs, actor, at, reference, reason,
                idempotency_key)
        return booking
    repo.ensure_balances(
        session, {(item.id, leg.lot.id, leg.target.id) for leg in legs if leg.target}
    )
    pairs = {(leg.lot.id, place.id) for leg in legs for place in (leg.source, leg.target) if place}
    if locked is not None and pairs <= locked.keys():
        balances = {pair: locked[pair] for pair in pairs}
    else:
        balances = repo.lock_balances(session, pairs)
    for leg in legs:
        if leg.source is not None:
            balance = balances.get((leg.lot.id, leg.source.id))
            have = balance.available if balance else 0
            if balance is None or have < leg.quantity:
                held = f" ({balance.held} more held for return inspection)" if (
                    balance and balance.held) else ""
                raise StockChanged(
                    f"{leg.source.code} holds {have} of lot {leg.lot.lot_number}{held}, "
                    f"not {leg.quantity}"
                )
            balance.quantity -= leg.quantity
        if leg.target is not None:
            balances[(leg.lot.id, leg.target.id)].quantity += leg.quantity
    if legs:
        # Core statements, not ORM units of work: this is the hot path of every booking.
        repo.write_balances(session, balances.values())
    _append(session, booking, kind, item.id, legs, actor, at, reference, reason,
            idempotency_key, consignee)
    return booking


def _append(
    session: Session, booking: BookingPublic, kind: MoveKind, item_id: int, legs: list[Leg],
    actor: Actor, at: datetime, reference: str | None, reason: str | None,
    idempotency_key: str | None, consignee: tuple[int, str] | None = None,
) -> None:
    """The legs as moves in the ledger and as lines of the booking."""
    moves = []
    consignee_id = consignee[0] if consignee else None
    for leg in legs:
        moves.append(dict(
            booking=booking.booking, kind=kind.value, item_id=item_id, lot_id=leg.lot.id,
            from_location_id=leg.source.id if leg.source else None,
            to_location_id=leg.target.id if leg.target else None,
            quantity=leg.quantity, user_id=actor.user_id, at=at, reference=reference,
            reason=reason, idempotency_key=idempotency_key, consignee_id=consignee_id,
        ))
        booking.lines.append(BookingLinePublic.model_construct(
            lot_number=leg.lot.lot_number, expiry=leg.lot.expiry,
            from_location=leg.source.code if leg.source else None,
            to_location=leg.target.code if leg.target else None, quantity=leg.quantity,
        ))
    if moves:
        session.connection().execute(_INSERT_MOVE, moves)
