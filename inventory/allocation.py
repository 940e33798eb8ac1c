"""FEFO/FIFO allocation: which lots to pick, from which bins, for a quantity.

A pure function over the stock on hand, so the rule is tested without a database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from inventory.domain import AllocationPolicy, PickLine, QcStatus, StockOnHand, is_expired
from kernel.errors import Conflict
from kernel.i18n_text import Text


class InsufficientStock(Conflict):
    code = "insufficient_stock"


def exclusion_reason(stock: StockOnHand, today: date) -> str | None:
    """Why this stock may not be picked, or None when it may."""
    if stock.qc_status is not QcStatus.RELEASED:
        return f"lot {stock.lot_number} is {stock.qc_status.value.replace('_', ' ')}"
    if is_expired(stock.expiry, today):
        return f"lot {stock.lot_number} expired on {stock.expiry}"
    if stock.quantity <= 0:
        return f"lot {stock.lot_number} has nothing left in {stock.location_code}"
    return None


_NO_EXPIRY = date.max


def pick_order(policy: AllocationPolicy) -> Callable[[StockOnHand], tuple[Any, ...]]:
    """Sort key: FEFO by expiry then receipt; FIFO by receipt. Ids make it total."""

    def fefo(s: StockOnHand) -> tuple[date, datetime, int, int]:
        return (s.expiry or _NO_EXPIRY, s.received_at, s.lot_id, s.balance_id)

    def fifo(s: StockOnHand) -> tuple[datetime, int, int]:
        return (s.received_at, s.lot_id, s.balance_id)

    return fefo if policy is AllocationPolicy.FEFO else fifo


def allocate(
    stock: Iterable[StockOnHand],
    quantity: int,
    policy: AllocationPolicy,
    today: date,
    *,
    item_label: str = "item",
) -> list[PickLine]:
    """The pick list for `quantity`, or InsufficientStock saying how much is available."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    usable = sorted(
        (s for s in stock if exclusion_reason(s, today) is None),
        key=pick_order(policy),
    )
    picks: list[PickLine] = []
    missing = quantity
    for s in usable:
        if missing == 0:
            break
        take = min(s.quantity, missing)
        picks.append(
            PickLine(s.balance_id, s.lot_id, s.lot_number, s.location_id, s.location_code,
                     s.expiry, take)
        )
        missing -= take
    if missing:
        available = quantity - missing
        raise InsufficientStock(
            "only %(available)s of %(quantity)s %(item)s available to dispatch",
            available=available, quantity=quantity, item=item_label)
    return picks


def allocate_from_lot(
    stock: Iterable[StockOnHand],
    lot_number: str,
    quantity: int,
    today: date,
    *,
    item_label: str = "item",
) -> list[PickLine]:
    """Picking a named lot (the operator's choice): same exclusions, any of its bins."""
    chosen = [s for s in stock if s.lot_number == lot_number]
    if not chosen:
        raise InsufficientStock("lot %(lot)s of %(item)s is not in stock", lot=lot_number,
                                item=item_label)
    reasons = {exclusion_reason(s, today) for s in chosen} - {None}
    usable = [s for s in chosen if exclusion_reason(s, today) is None]
    if not usable and reasons:
        raise Conflict(sorted(r for r in reasons if r)[0], code="lot_not_allocatable")
    return allocate(usable, quantity, AllocationPolicy.FIFO, today, item_label=item_label)


def hold_first_clause(reason: str | None) -> str:
    """The short part of a hold's reason, for a refusal on the handheld: "excursion in
    Cold room since 02:10 UTC on 2026-12-07" of the alarm engine's longer reason."""
    words = (reason or "").split(": ", 1)[0].strip()
    return words if 0 < len(words) <= 80 else (reason or "no reason given")[:80]


def held_stock_refusal(refusal: Conflict, sku: str, lot_number: str | None,
                       held: list[tuple[str, str, str | None, int]]) -> Conflict:
    """Why there is too little to dispatch when some of it is held by quality: a
    scan of a held lot says it is on hold and why, not "only 0 of 1 available"."""
    if not held:
        return refusal
    if lot_number is not None:
        _, status, reason, _ = held[0]
        return Conflict("%(sku)s lot %(lot)s is %(status)s (%(reason)s): "
                        "quality must release it first",
                        code="lot_on_hold" if status == QcStatus.ON_HOLD.value
                        else "lot_not_allocatable", sku=sku, lot=lot_number,
                        status=status.replace("_", " "), reason=hold_first_clause(reason))
    parts = [f"{quantity} of lot {number} {status.replace('_', ' ')} "
             f"({hold_first_clause(reason)})" for number, status, reason, quantity in held[:3]]
    # The first lot's refusal, itself a template, is written in the reader's language too.
    return InsufficientStock("%(refusal)s: %(lots)s", lots="; ".join(parts),
                             refusal=Text(refusal.template, **refusal.params))
