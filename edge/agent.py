"""The edge agent: bus pollers → telemetry batches → outbox → MQTT, and serial
scanners → one scan message per scan → the same outbox.

Threads: one per bus (polling), one per scanner (reading), one collector (puts the
readings into the outbox as they come, at most one message per batch window, and
refreshes the retained status), paho's network thread, the outbox sender, and one
running scan-result commands. `run()` returns when `stop` is set, after a clean shutdown.

Latency: a reading waits in the agent at most one batch window (0.25 s by default), not a
poll cycle: the collector wakes on the first reading of a batch, and the sender wakes on
every message put into the outbox.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from contract.wire import (
    MAX_READINGS_PER_MESSAGE,
    Reading,
    Scan,
    Status,
    Telemetry,
    encode,
    gateway_topic,
    scan_result_topic,
    scan_topic,
    utc_now,
)
from edge.config import GatewayConfig, RtuBus, TcpBus
from edge.modbus import Link, PymodbusLink
from edge.outbox import Outbox
from edge.poller import BusPoller, SensorTask
from edge.profiles import Profile
from edge.publisher import Publisher
from edge.scan_results import ResultHandler
from edge.scanner import ScanEvent, ScannerReader

log = logging.getLogger(__name__)

try:
    from importlib.metadata import version as _version

    VERSION = _version("stockwarden")
except Exception:
    VERSION = "0"

LinkFactory = Callable[[TcpBus | RtuBus], Link]


class Agent:
    def __init__(
        self,
        config: GatewayConfig,
        profiles: Mapping[str, Profile],
        link_factory: LinkFactory = PymodbusLink,
    ) -> None:
        self.config = config
        self.outbox = Outbox(config.outbox.path, config.outbox.max_messages)
        self._pending: list[Reading] = []
        self._lock = threading.Lock()
        self._waiting = threading.Event()  # set while _pending has readings
        self.pollers = [
            BusPoller(
                name,
                link_factory(bus),
                [
                    SensorTask(sensor, profiles[sensor.profile])
                    for sensor in config.sensors
                    if sensor.bus == name
                ],
                self._collect,
                config.max_backoff,
            )
            for name, bus in config.buses.items()
            if any(sensor.bus == name for sensor in config.sensors)
        ]
        self.telemetry_topic = gateway_topic(config.site, config.gateway, "telemetry")
        self.scan_topic = scan_topic(config.site, config.gateway)
        self.scanners = [ScannerReader(scanner, self._scanned) for scanner in config.scanners]
        self.results = ResultHandler(config.gateway, list(config.scanners))
        self.publisher = Publisher(
            config.broker,
            config.broker.client_id or f"stockwarden-edge-{config.gateway}",
            self.outbox,
            gateway_topic(config.site, config.gateway, "status"),
            self.status,
            # The hub's answers to scans sent just before a restart wait at the broker.
            persistent_session=bool(self.scanners),
        )
        if self.scanners:
            self.publisher.subscribe(
                scan_result_topic(config.site, config.gateway), self.results.handle
            )

    def _scanned(self, event: ScanEvent) -> None:
        """A scan goes straight into the outbox: it is committed before the next is read."""

        def build(seq: int) -> bytes:
            return encode(
                Scan(
                    gateway=self.config.gateway,
                    seq=seq,
                    scanner=event.scanner,
                    ts=event.ts,
                    raw=event.raw,
                    mode=event.mode,
                    location=event.location,
                    operator=event.operator,
                )
            )

        seq = self.outbox.put(self.scan_topic, build)
        log.info("scan %d from %s (%s%s): %r", seq, event.scanner, event.mode.value,
                 f" at {event.location}" if event.location else "", event.raw)
        self.publisher.wake()

    def _collect(self, reading: Reading) -> None:
        with self._lock:
            self._pending.append(reading)
            self._waiting.set()

    def status(self, state: str = "online") -> Status:
        devices = {}
        for poller in self.pollers:
            devices.update(poller.health())
        return Status(
            # Unchecked below: state is 'online' or 'offline' (the agent's two callers); typed
            # str to keep the call sites plain.
            state=state,  # type: ignore[arg-type]
            ts=utc_now(),
            version=VERSION,
            outbox_depth=self.outbox.depth,
            outbox_dropped=self.outbox.dropped,
            devices=devices,
            scanners={reader.config.id: reader.health() for reader in self.scanners},
        )

    def flush(self) -> int:
        """Put the readings collected since the last call into the outbox; return how many."""
        with self._lock:
            readings, self._pending = self._pending, []
            self._waiting.clear()
        for start in range(0, len(readings), MAX_READINGS_PER_MESSAGE):
            chunk = readings[start : start + MAX_READINGS_PER_MESSAGE]

            def build(seq: int, chunk: list[Reading] = chunk) -> bytes:
                return encode(Telemetry(gateway=self.config.gateway, seq=seq, readings=chunk))

            self.outbox.put(self.telemetry_topic, build)
        if readings:
            self.publisher.wake()
        return len(readings)

    def run(self, stop: threading.Event) -> None:
        config = self.config
        log.info(
            "edge agent %s/%s: %d sensors on %d buses, %d scanners, batches at most every "
            "%.3gs, "
            "outbox %s (%d waiting)",
            config.site,
            config.gateway,
            len(config.sensors),
            len(self.pollers),
            len(self.scanners),
            config.batch_window,
            config.outbox.path,
            self.outbox.depth,
        )
        self.results.start()
        self.publisher.start()
        threads = [
            threading.Thread(target=p.run, args=(stop,), name=f"bus-{p.name}", daemon=True)
            for p in self.pollers
        ] + [
            threading.Thread(target=r.run, args=(stop,), name=f"scanner-{r.config.id}",
                             daemon=True)
            for r in self.scanners
        ]
        for thread in threads:
            thread.start()
        try:
            self._collect_loop(stop)
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
            self.flush()
            # Answers being shown are acknowledged before the disconnect; the rest wait
            # at the broker for the next start.
            self.results.stop()
            self.publisher.stop()
            self.outbox.close()
            log.info("edge agent stopped")

    # While no reading comes, how often the collector looks at `stop` and the status clock.
    IDLE_CHECK = 0.5

    def _collect_loop(self, stop: threading.Event) -> None:
        window = self.config.batch_window
        status_interval = self.config.status_interval
        next_status = time.monotonic() + status_interval
        last_flush = -window
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_status:
                self.publisher.publish_status()
                next_status = now + status_interval
            if not self._waiting.wait(min(next_status - now, self.IDLE_CHECK)):
                continue
            # The first reading of a batch: it goes when a window has passed since the last
            # batch, with whatever else came meanwhile.
            hold = last_flush + window - time.monotonic()
            if hold > 0 and stop.wait(hold):
                break
            last_flush = time.monotonic()
            self.flush()
