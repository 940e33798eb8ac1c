"""Who wants to know when stock changed: a small list of callbacks, called after
each committed stock change (moves and quality status changes).

The expiry and stock-limit alarms subscribe here; the inventory does not know
them. A hook runs on the thread that made the change, after the commit, so it
must be quick (hand work to a queue if it is not). A hook that raises is logged
and counted and never fails the change: the change is committed already. A
subscriber that restarts rebuilds its view from SQL; hooks are a nudge, not a log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

QC_STATUS = "qc_status"  # the kind of a quality status change


@dataclass(frozen=True, slots=True)
class StockChange:
    """What changed: the kind (a move kind such as "receive", or "qc_status"),
    the item's SKU, the lot numbers and the location codes touched."""

    kind: str
    item: str
    lots: tuple[str, ...]
    locations: tuple[str, ...]
    at: datetime
    booking: str | None = None  # the booking id of a move


StockHook = Callable[[StockChange], None]


class StockHooks:
    def __init__(self) -> None:
        self._hooks: list[StockHook] = []
        self._lock = threading.Lock()
        self.failures = 0  # hooks that raised, since start

    def subscribe(self, hook: StockHook) -> Callable[[], None]:
        """Call `hook` after each committed stock change; returns the unsubscribe."""
        with self._lock:
            self._hooks.append(hook)

        def unsubscribe() -> None:
            with self._lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)

        return unsubscribe

    def emit(self, changes: Iterable[StockChange]) -> None:
        hooks = list(self._hooks)
        if not hooks:
            return
        for change in changes:
            for hook in hooks:
                try:
                    hook(change)
                except Exception:
                    self.failures += 1
                    log.exception("stock hook %r failed on %s of %s", hook, change.kind,
                                  change.item)


# The inventory's one registry: services emit here, subscribers register here.
stock_hooks = StockHooks()
