"""Extension points of ingest: what other parts (the alarm engine, scanning) hear.

Two hooks:

- batch hooks get a `CommittedBatch` after each committed batch: its fresh
  readings (accepted, not duplicates), already in SQL;
- status hooks get each gateway `StatusUpdate` (site, gateway, receive time,
  the decoded status) once the batch it came in is committed.

Hooks run on their own dispatcher thread, fed by a bounded queue, never on the
ingest thread: a slow hook cannot slow ingest. An exception in a hook is logged
and counted (`stockwarden_ingest_hook_errors_total{hook}`) and the next event is
delivered as usual. When the queue is full (a hook far behind), the event is
dropped and counted (`stockwarden_ingest_hook_dropped_total{hook}`).

Hooks are a prompt, not a record: a consumer rebuilds its state from SQL when it
starts (`ingest.queries.latest_readings`, `ingest.queries.list_gateways`), so a
batch committed just before a crash, or an event dropped, is not lost to it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from prometheus_client import CollectorRegistry, Counter

from ingest.store import Accepted, StatusUpdate

log = logging.getLogger(__name__)

HookName = Literal["batch", "status"]


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    committed_at: datetime
    # Fresh messages only; each carries its topic (site, gateway) and its readings.
    messages: tuple[Accepted, ...]


BatchHook = Callable[[CommittedBatch], None]
StatusHook = Callable[[StatusUpdate], None]


class HookDispatcher:
    def __init__(self, registry: CollectorRegistry, *, max_pending: int = 1000) -> None:
        self.batch_hooks: list[BatchHook] = []
        self.status_hooks: list[StatusHook] = []
        self.errors = Counter(
            "stockwarden_ingest_hook_errors", "Exceptions raised by ingest hooks", ["hook"],
            registry=registry,
        )
        self.dropped = Counter(
            "stockwarden_ingest_hook_dropped",
            "Ingest hook events dropped because the hooks fell behind", ["hook"],
            registry=registry,
        )
        self._queue: queue.Queue[tuple[HookName, object] | None] = queue.Queue(max_pending)
        self._thread: threading.Thread | None = None

    # --- registration (before start)

    def on_batch(self, hook: BatchHook) -> None:
        self.batch_hooks.append(hook)

    def on_status(self, hook: StatusHook) -> None:
        self.status_hooks.append(hook)

    # --- from the ingest thread

    def committed(self, batch: CommittedBatch, statuses: list[StatusUpdate]) -> None:
        """Queue the events of one committed batch; never blocks."""
        if self.batch_hooks and batch.messages:
            self._offer("batch", batch)
        if self.status_hooks:
            for status in statuses:
                self._offer("status", status)

    def _offer(self, hook: HookName, event: object) -> None:
        try:
            self._queue.put_nowait((hook, event))
        except queue.Full:
            self.dropped.labels(hook).inc()
            log.warning("ingest hooks fall behind; an event was dropped", extra={"hook": hook})

    # --- lifecycle

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ingest-hooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (for at most `timeout`), then end the thread."""
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.warning("ingest hooks did not drain; pending events dropped")
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            self.deliver(*item)

    def deliver(self, hook: HookName, event: object) -> None:
        hooks: list[Callable[..., None]] = list(
            self.batch_hooks if hook == "batch" else self.status_hooks
        )
        for function in hooks:
            try:
                function(event)
            except Exception:
                self.errors.labels(hook).inc()
                log.exception("an ingest hook failed; ingest goes on", extra={
                    "hook": hook, "function": getattr(function, "__qualname__", repr(function))})
