"""ABC classification: the one place items are classed by their share of dispatches.

Items sorted by dispatch value (or volume) from the largest; an item is A while the
share of the items before it is under 80 %, B under 95 %, C after that (and any
item with nothing dispatched). Pure: the turnover report gives it the figures."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
A_SHARE = 0.80
B_SHARE = 0.95


def abc_classes(amounts: Mapping[K, float], a_share: float = A_SHARE,
                b_share: float = B_SHARE) -> dict[K, str]:
    """Class per key; ties keep the order of `amounts`."""
    total = sum(v for v in amounts.values() if v > 0)
    classes: dict[K, str] = {}
    before = 0.0
    for key, amount in sorted(amounts.items(), key=lambda kv: -kv[1]):
        if amount <= 0 or total <= 0:
            classes[key] = "C"
            continue
        share = before / total
        classes[key] = "A" if share < a_share else "B" if share < b_share else "C"
        before += amount
    return classes
