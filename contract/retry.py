"""One retry-with-backoff helper for the hub and the edge.

Pure: the waiting is injected (`wait(seconds) -> stop_requested`), so a test
runs a schedule in microseconds, and a thread passes its stop event's `wait`
so a shutdown interrupts the backoff at once. Lives beside the wire module
because the edge may import nothing of the hub, while the hub imports edge's
contract modules already.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff: `initial`, doubling (times `factor`) up to `maximum`,
    back to `initial` after a success."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    current: float = 0.0

    def __post_init__(self) -> None:
        self.current = self.initial

    def next(self) -> float:
        """The pause to take now; the following one is longer."""
        pause = self.current
        self.current = min(self.current * self.factor, self.maximum)
        return pause

    def reset(self) -> None:
        self.current = self.initial


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message`, short enough for a health check or a log."""
    text = str(exc)
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


class Stopped(Exception):
    """The retry loop was asked to stop before the operation succeeded."""


def retry(
    operation: Callable[[], T],
    *,
    wait: Callable[[float], bool],
    backoff: Backoff | None = None,
    retryable: Callable[[BaseException], bool] = lambda _exc: True,
    on_error: Callable[[BaseException, float], None] | None = None,
) -> T:
    """Call `operation` until it returns; between failures, `wait(pause)`.

    An exception that `retryable` refuses propagates at once. `on_error(exc, pause)`
    hears each retried failure (log, count, remember for health). `wait` returns
    True when a stop is requested: then `Stopped` is raised.
    """
    backoff = backoff or Backoff()
    while True:
        try:
            return operation()
        except Exception as exc:
            if not retryable(exc):
                raise
            pause = backoff.next()
            if on_error is not None:
                on_error(exc, pause)
            if wait(pause):
                raise Stopped from exc
