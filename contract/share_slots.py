"""No reading waits for a dead hub process: the share group's client ids as slots.

With Mosquitto 2.0 a member of an MQTT 5 share group whose process died keeps its
place in the group while its session lives (7 days by default), and the broker goes
on queuing its share of the group's messages to that session. A session that ends
with its connection (expiry 0) instead drops what was in flight to the dead process.

So each client id of the group (a hub process's ingest subscriber, its scan
consumer) is a slot with its own lock in the database (`SlotStore`: on PostgreSQL
kernel/share_slots.py, an advisory lock per client id and a table of the ids):

- a process consumes with its own client id only while it holds that id's lock
  (`own`: the subscriber's `start()` asks, the keeper connects it once it holds it)
  and registers the id as a member;
- every `check_s` the keeper tries the locks of the other members. A lock it wins
  is a member that no process consumes with: it connects with that client id and
  clean start off (the broker hands it the session, its queue and its messages in
  flight, sent again), unsubscribes at once (nothing new for that session), gives
  every message to its own part's normal path (committed, then acknowledged; the
  (gateway, seq) records make what the dead process had committed count once),
  and once the session holds nothing more (`quiet_s` without a message, everything
  acknowledged) disconnects with a session expiry of 0, so that the broker drops
  the session and with it the dead member's place in the group; it then removes the
  member's row and releases the lock, in that order;
- a member that comes back takes its lock again (waiting while a survivor empties
  its session), registers again and resumes; its subscriber is told that a missing
  session is expected when a survivor ended it (no false broker-session alarm).

Fencing, as kernel/leader.py's: every lock goes with the keeper's one connection;
a round that fails, or no good round for `fence_s`, stops every consumer of this
process before any other process can win their locks. The server drops a silent
connection 4 s after its last query (kernel/leader.py's DROP_AFTER_S); a good round is
dated from before its query was sent, and `fence_s` is 2 s, not the alarm leader's
3 s: on a machine so loaded that a thread waits a second for the CPU, the fence must
still come first (measured: with 3 s, once on a 2-core machine at load 15, another
process took a cut-off process's session 0.5 s before its fence stopped it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from contract.mqtt_client import MqttSubscriber

log = logging.getLogger(__name__)


class SlotStore(Protocol):
    """One database connection holding the slots' locks."""

    def try_lock(self, client_id: str) -> bool: ...

    def unlock(self, client_id: str) -> None: ...

    def members(self) -> dict[str, str]:
        """Client id → kind of every registered member."""

    def register(self, client_id: str, kind: str) -> bool:
        """True: it was registered already."""

    def forget(self, client_id: str) -> None: ...

    def close(self) -> None: ...


@dataclass
class Adoption:
    client_id: str
    kind: str
    subscriber: MqttSubscriber
    began: float


class ShareSlots:
    """The keeper of one hub process: a part of the hub (start, stop, health)."""

    def __init__(self, connect: Callable[[], SlotStore], *, check_s: float = 0.5,
                 fence_s: float = 2.0, quiet_s: float = 1.0,
                 adopt: Callable[[str, MqttSubscriber], MqttSubscriber] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.connect = connect
        self.check_s, self.fence_s, self.quiet_s = check_s, fence_s, quiet_s
        self.clock = clock
        self.adopt = adopt or adopter
        self.own: dict[str, tuple[str, MqttSubscriber]] = {}  # client id → (kind, sub)
        self.held: set[str] = set()
        self.adoptions: dict[str, Adoption] = {}
        self.adopted = 0  # sessions emptied and ended since start
        self.last_error: str | None = None
        self._store: SlotStore | None = None
        self._checked_at = float("-inf")
        self._fenced = False
        self._round_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def own_subscriber(self, kind: str, subscriber: MqttSubscriber) -> None:
        """`subscriber` consumes only while this process holds its client id's slot."""
        subscriber.gate = self._wake.set
        self.own[subscriber.client_id] = (kind, subscriber)

    # --- lifecycle

    def start(self) -> None:
        self._stop.clear()
        self.round()
        self._threads = [threading.Thread(target=self._run, name="share-slots", daemon=True),
                         threading.Thread(target=self._fence, name="share-slots-fence",
                                          daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """After the parts stopped their own subscribers: leave what is being emptied
        to another process (the session stays), release every lock."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(10)
        self._threads = []
        with self._round_lock:
            self._let_go("stopping")

    def health(self) -> dict[str, dict[str, object]]:
        check: dict[str, object] = {
            "ok": self.last_error is None, "held": sorted(self.held),
            "emptying": sorted(self.adoptions), "emptied": self.adopted}
        if self.last_error:
            check["error"] = self.last_error
        return {"share_slots": check}

    def holds(self) -> bool:
        return self.clock() - self._checked_at < self.fence_s

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.check_s)
            self._wake.clear()
            if not self._stop.is_set():
                self.round()

    def _fence(self) -> None:
        while not self._stop.wait(0.1):
            # A round hangs on a silent database: stop consuming now, before the
            # server drops the connection and another process wins these locks.
            if (self.held or self.adoptions) and not self.holds() and not self._fenced:
                log.error("share slots: no answer from the database; consumers stopped")
                self._fenced = True
                self._stop_consuming()

    # --- one round

    def round(self) -> None:
        """Take own slots, try the others', finish emptied sessions. Public for tests."""
        with self._round_lock:
            try:
                self._round()
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                log.error("share slots: the lock connection failed", extra={
                    "error": self.last_error})
                self._let_go(self.last_error)
            else:
                self.last_error = None

    def _round(self) -> None:
        if self._store is None:
            self._store = self.connect()
        store = self._store
        asked = self.clock()  # the server's silence is counted from after this
        members = store.members()  # also the check that the connection (and locks) live
        self._checked_at = asked
        self._fenced = False
        for client_id, (kind, subscriber) in self.own.items():
            if client_id in self.held:
                if not subscriber.wanted:
                    continue
                subscriber.connect()  # again after a fence, if it had stopped
            elif subscriber.wanted and store.try_lock(client_id):
                self.held.add(client_id)
                if not store.register(client_id, kind):
                    subscriber.expect_fresh_session()
                log.info("share slots: consuming with this process's client id",
                         extra={"client_id": client_id})
                subscriber.connect()
        kinds = {kind: subscriber for kind, subscriber in self.own.values()}
        for client_id, kind in members.items():
            if (client_id in self.own or client_id in self.adoptions or kind not in kinds
                    or not kinds[kind].wanted):
                continue
            if store.try_lock(client_id):
                if client_id not in store.members():
                    # Emptied and forgotten by another process since the list was read.
                    store.unlock(client_id)
                    continue
                log.warning("share slots: no process consumes with a member's client id; "
                            "taking over its session", extra={"client_id": client_id})
                subscriber = self.adopt(client_id, kinds[kind])
                self.adoptions[client_id] = Adoption(client_id, kind, subscriber, self.clock())
                subscriber.connect()
        for client_id, adoption in list(self.adoptions.items()):
            adoption.subscriber.connect()  # again after a fence, if it had stopped
            if adoption.subscriber.drained(self.quiet_s):
                adoption.subscriber.leave()
                store.forget(client_id)
                store.unlock(client_id)
                del self.adoptions[client_id]
                self.adopted += 1
                log.warning("share slots: emptied and ended a dead member's session", extra={
                    "client_id": client_id,
                    "took_s": round(self.clock() - adoption.began, 2)})

    def _stop_consuming(self) -> None:
        for _kind, subscriber in self.own.values():
            subscriber.suspend()
        for adoption in self.adoptions.values():
            adoption.subscriber.suspend()  # its session stays for the next process

    def _let_go(self, why: str) -> None:
        """Stop every consumer, then close the connection: the locks go with it."""
        if self.held or self.adoptions:
            log.warning("share slots: letting go of every slot", extra={"reason": why})
        self._stop_consuming()
        self.held.clear()
        self.adoptions.clear()
        self._checked_at = float("-inf")
        if self._store is not None:
            store, self._store = self._store, None
            store.close()


def adopter(client_id: str, own: MqttSubscriber) -> MqttSubscriber:
    """A subscriber with `client_id` that hands what it receives to `own`'s part."""
    return MqttSubscriber(own.settings.model_copy(update={"client_id": client_id}),
                          filters=own.topic_filters, on_delivery=own.on_delivery,
                          adopting=True)
