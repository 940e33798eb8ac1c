"""The MQTT scan consumer: gateways' scans in, bookings committed, answers out.

It subscribes ``stockwarden/v1/{site}/+/scan`` (QoS 1) with its own persistent
session (and the share group, when hub processes split the load), through the
hub's subscriber (`contract.mqtt_client.subscriber`). A few worker threads
(`scan_consumer_workers`) take the messages as they come and hand each to
`ScanBooker`, which books or refuses it exactly once per (gateway, seq); most of a
booking is waiting for the database, so they overlap. Only then is the answer
published on the gateway's ``.../scan-result`` topic (QoS 1, not retained) and the
message acknowledged — acknowledgements go out in the order the messages came, as
MQTT asks: a hub killed before that gets them again, and the booking's idempotency
record turns a second delivery into a replay.

Scans are never put in seq order here and never need to be: the edge may send them
out of order (its outbox's live lane overtakes the replay lane), and each one is
booked on its own, with the mode, bin and scanner it carries.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import partial

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.orm import Session, sessionmaker

from contract import wire
from contract.mqtt_client import Delivery, subscriber
from contract.retry import Backoff, Stopped, first_line, retry
from inventory.scans.booking import Handled, ScanBooker, is_retryable
from inventory.scans.interpret import ScanSettings
from inventory.scans.settings import ScanConsumerSettings

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30)


class ScanMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.scans = Counter(
            "stockwarden_scans", "MQTT scans handled, by outcome (booked, refused, duplicate, "
            "identified, label)", ["outcome"], registry=registry)
        self.booking_seconds = Histogram(
            "stockwarden_scan_booking_seconds",
            "From a scan message's arrival to its booking committed and answered",
            registry=registry, buckets=_LATENCY_BUCKETS)
        self.connected = Gauge(
            "stockwarden_scan_consumer_connected", "1 while the scan consumer has the broker",
            registry=registry)


@dataclass(slots=True)
class _Pending:
    delivery: Delivery
    arrived: float
    done: bool = False


class ScanConsumer:
    def __init__(
        self, settings: ScanConsumerSettings, sessions: sessionmaker[Session],
        registry: CollectorRegistry,
    ) -> None:
        self.settings = settings
        self.metrics = ScanMetrics(registry)
        self.booker = ScanBooker(sessions, ScanSettings(
            separator_standins=tuple(settings.scan_separator_standins),
            location_prefix=settings.scan_location_prefix,
            command_prefix=settings.scan_command_prefix,
        ))
        self.queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        # Received and not yet acknowledged, in the order they came.
        self._pending: deque[_Pending] = deque()
        self._ack_lock = threading.Lock()
        self.subscriber = subscriber(
            settings.mqtt, ("scan",), self._receive,
            on_connection_change=lambda up: self.metrics.connected.set(1 if up else 0),
        )
        self.handled = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- lifecycle (a part of the hub: hub/container.py)

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._run, name=f"scan-consumer-{n}", daemon=True)
            for n in range(self.settings.scan_consumer_workers)
        ]
        for thread in self._threads:
            thread.start()
        self.subscriber.start()

    def stop(self) -> None:
        """Stop taking scans; those being booked are finished and answered."""
        self._stopping.set()
        for _thread in self._threads:
            self.queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)
        self.subscriber.stop()

    def health(self) -> dict[str, dict[str, object]]:
        broker = self.subscriber.health()
        check: dict[str, object] = {"ok": bool(broker["ok"]) and self.last_error is None,
                                    "handled": self.handled}
        error = self.last_error or broker.get("error")
        if error:
            check["error"] = error
        return {"scan_consumer": check}

    # --- the workers

    def _receive(self, delivery: Delivery) -> None:
        """On paho's network thread: note the order, queue the work."""
        pending = _Pending(delivery, time.perf_counter())
        with self._ack_lock:
            self._pending.append(pending)
        if not delivery.topic.endswith("/scan"):
            # Not ours: the demo's broker (amqtt) also hands this session the gateways'
            # retained status. Nothing to book or to refuse; acknowledged in its turn.
            log.debug("ignored a message outside the scan topics", extra={
                "topic": delivery.topic})
            self._acknowledge(pending, counted=False)
            return
        self.queue.put(pending)

    def _acknowledge(self, pending: _Pending, *, counted: bool = True) -> None:
        """Acknowledge every message up to the first one still being booked."""
        with self._ack_lock:
            pending.done = True
            self.handled += counted
            ready = []
            while self._pending and self._pending[0].done:
                ready.append(self._pending.popleft().delivery)
            self.subscriber.ack(ready)

    def _run(self) -> None:
        while (pending := self.queue.get()) is not None:
            delivery = pending.delivery
            try:
                handled = retry(
                    partial(self.booker.handle, delivery.topic, delivery.payload),
                    wait=self._stopping.wait, backoff=Backoff(0.2, 10.0),
                    retryable=is_retryable, on_error=self._failed,
                )
            except Stopped:
                return  # not acknowledged: the broker sends it again after the restart
            except Exception:
                # is_retryable refused it, yet the booker lets only those escape: a bug.
                # Acknowledge anyway; one lost answer beats a consumer stuck on one message.
                log.exception("a scan message could not be handled; acknowledged, not booked")
                self._acknowledge(pending)
                continue
            if self.last_error:
                log.info("database reachable again; scans are booked again")
                self.last_error = None
            self._answer(handled)
            self._acknowledge(pending)
            self.metrics.scans.labels(handled.outcome).inc()
            self.metrics.booking_seconds.observe(time.perf_counter() - pending.arrived)

    def _failed(self, exc: BaseException, pause: float) -> None:
        message = first_line(exc)
        if message != self.last_error:
            log.warning("could not book a scan (the database is away or busy); retrying",
                        extra={"error": message, "retry_in_s": pause})
        self.last_error = message

    def _answer(self, handled: Handled) -> None:
        if handled.result is None or handled.site is None or handled.gateway is None:
            return
        try:
            topic = wire.scan_result_topic(handled.site, handled.gateway)
        except ValueError:
            return  # a topic we could not answer on; the refusal is recorded
        self.subscriber.publish(topic, wire.encode(handled.result), qos=1)
        log.info("scan %s of %s: %s: %s", handled.result.seq, handled.gateway,
                 handled.result.outcome, handled.result.message)
