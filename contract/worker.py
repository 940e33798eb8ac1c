"""One background-worker thread: start, wake, drain, stop.

The hub's time-series outbox writer (ingest/tsdb.py), the zone-limit sampler
(ingest/zone_limits.py), the alarm timer (alerts/service.py), the alarm notifications'
sender (alerts/notifications/dispatch.py) and the gateway's outbox sender
(edge/publisher.py) each run a round of work on their own daemon thread: when
woken, or when `idle_s` passed without a wake-up. A round that returns True says
more is waiting, and the next round follows at once. `stop` can first let the
rounds drain what is pending for a while, then ends the thread after the round in
progress; a round that waits with `stopping.wait` (`contract.retry.retry`) ends
early, by `Stopped`.

Here, beside the retry, because the gateway agent and the hub's parts both use it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from contract.retry import Stopped


class Worker:
    def __init__(self, name: str, round_of_work: Callable[[], bool | None], *,
                 idle_s: float = 1.0, first_at_once: bool = False) -> None:
        """`round_of_work` returns True when more is waiting; `first_at_once`: the first
        round runs at start, not after the first wake-up or `idle_s`."""
        self.name = name
        self.round_of_work = round_of_work
        self.idle_s = idle_s
        self.first_at_once = first_at_once
        # Set to run a round now (new work); also set by stop, to end the wait.
        self.wakeup = threading.Event()
        # Set once stop began: the thread ends after its round in progress.
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self.stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self, timeout: float, *, pending: Callable[[], bool] | None = None,
             drain_s: float = 0.0, poll_s: float = 0.02) -> bool:
        """While `pending()` says work waits, keep the rounds going for up to `drain_s`;
        then end the thread, waiting `timeout` for it. False: it was not started."""
        if self._thread is None:
            return False
        if pending is not None:
            deadline = time.monotonic() + drain_s
            while time.monotonic() < deadline and pending():
                self.wakeup.set()
                time.sleep(poll_s)
        self.halt(timeout)
        return True

    def halt(self, timeout: float) -> None:
        """End the thread after its round in progress, draining nothing."""
        self.stopping.set()
        self.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        busy = self.first_at_once
        while True:
            if not busy:
                self.wakeup.wait(self.idle_s)
                self.wakeup.clear()
            if self.stopping.is_set():
                return
            try:
                busy = bool(self.round_of_work())
            except Stopped:
                return
