"""Serial barcode scanners: one reader thread per configured scanner.

A reader opens its port with pyserial, cuts the byte stream into scans
(`edge.scanframe`), and hands each good scan to the agent's sink, which puts it
in the same on-disk outbox as telemetry (same seq counter). A port that is
absent, busy or unplugged is logged with its name and opened again with a
backoff, so a scanner plugged in later is picked up; the sensors' poll loops
run in their own threads and never wait for a scanner.

The reader keeps the scanner's mode and location: from the config at start, then
switched by scanning a command label (``CMD:RECEIVE``) or a location label
(``LOC:A-01-01``). The label itself is forwarded like any scan, with the state
it switched to, so the hub sees what the gateway's display shows.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import serial

from contract.wire import ScanMode, ScannerHealth, utc_now
from edge.config import TERMINATOR_BYTES, ScannerConfig
from edge.scanframe import GS, Frame, Framer, Rejected, preview

log = logging.getLogger(__name__)

_MODES = {mode.value.upper(): mode for mode in ScanMode}


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """A good scan, ready for the wire."""

    scanner: str
    ts: datetime
    raw: str
    mode: ScanMode
    location: str | None
    operator: str | None


ScanSink = Callable[[ScanEvent], None]


def label_body(raw: str, prefix: str) -> str | None:
    """What follows `prefix` in a label (case-insensitive, after an AIM identifier), or None.

    Mirrors the hub's reading (inventory.scans.interpret), so the edge and the hub agree on
    which scans are labels.
    """
    text = raw.strip()
    if text.startswith("]") and len(text) >= 3:
        text = text[3:].strip()
    if text[: len(prefix)].casefold() != prefix.casefold():
        return None
    return text[len(prefix) :].strip() or None


@dataclass
class ScannerState:
    """Mode, location and counters of one scanner; what its status reports."""

    config: ScannerConfig
    mode: ScanMode = ScanMode.IDENTIFY
    location: str | None = None
    connected: bool = False
    scans: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    last_scan: datetime | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        self.mode = self.config.mode
        self.location = self.config.location

    def apply_labels(self, raw: str) -> str | None:
        """Switch mode or location if `raw` is such a label; say what changed, if anything."""
        config = self.config
        command = label_body(raw, config.command_prefix)
        if command is not None:
            mode = _MODES.get(command.partition(":")[0].strip().upper())
            if mode is not None:
                self.mode = mode
                return f"mode {mode.value}"
            return None
        location = label_body(raw, config.location_prefix)
        if location is not None and len(location) <= 64:
            self.location = location
            return f"location {location}"
        return None

    def snapshot(self) -> ScannerHealth:
        return ScannerHealth(
            port=self.config.port,
            connected=self.connected,
            mode=self.mode,
            location=self.location,
            operator=self.config.operator,
            scans=self.scans,
            rejected=self.rejected,
            rejected_by_reason=dict(self.rejected_by_reason),
            last_scan=self.last_scan,
            last_error=self.last_error,
        )


def open_port(config: ScannerConfig, read_timeout: float) -> serial.Serial:
    return serial.Serial(
        port=config.port,
        baudrate=config.baud,
        bytesize=config.bytesize,
        parity=config.parity,
        stopbits=config.stop_bits,
        timeout=read_timeout,
        exclusive=True,  # a second reader of one scanner would split its scans
    )


class ScannerReader:
    """Reads one scanner until `stop` is set; `state` is safe to read from other threads."""

    FIRST_RETRY = 0.5

    def __init__(
        self,
        config: ScannerConfig,
        sink: ScanSink,
        opener: Callable[[ScannerConfig, float], serial.Serial] = open_port,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.sink = sink
        self.opener = opener
        self.clock = clock
        self.state = ScannerState(config)
        self.framer = Framer(
            TERMINATOR_BYTES[config.terminator], config.inter_char_timeout, config.max_length
        )
        # Short reads, so a pause that ends (or cuts) a scan is noticed in time.
        self.read_timeout = min(config.inter_char_timeout / 2, 0.1)
        self._lock = threading.Lock()

    def health(self) -> ScannerHealth:
        with self._lock:
            return self.state.snapshot()

    def run(self, stop: threading.Event) -> None:
        config = self.config
        delay = self.FIRST_RETRY
        failures = 0
        while not stop.is_set():
            try:
                port = self.opener(config, self.read_timeout)
            except (serial.SerialException, OSError, ValueError) as exc:
                failures += 1
                reason = str(exc) or type(exc).__name__
                with self._lock:
                    self.state.last_error = f"cannot open {config.port}: {reason}"
                if failures == 1:
                    log.warning(
                        "scanner %s: cannot open %s: %s; retrying (every %gs at most)",
                        config.id, config.port, reason, config.reconnect_max,
                    )
                else:
                    log.debug("scanner %s: %s still cannot be opened: %s", config.id,
                              config.port, reason)
                stop.wait(delay)
                delay = min(delay * 2, config.reconnect_max)
                continue
            failures, delay = 0, self.FIRST_RETRY
            log.info("scanner %s: reading %s (%d baud, %d%s%d, terminator %s), mode %s%s",
                     config.id, config.port, config.baud, config.bytesize, config.parity,
                     config.stop_bits, config.terminator, self.state.mode.value,
                     f", location {self.state.location}" if self.state.location else "")
            with self._lock:
                self.state.connected = True
            try:
                self._read(port, stop)
            finally:
                with self._lock:
                    self.state.connected = False
                for event in self.framer.flush():
                    self._handle_safely(event)
                with contextlib.suppress(serial.SerialException, OSError):
                    port.close()

    def _read(self, port: serial.Serial, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError) as exc:
                # pyserial raises TypeError from in_waiting on some unplugged USB devices.
                reason = str(exc) or type(exc).__name__
                log.warning("scanner %s: lost %s: %s; opening it again", self.config.id,
                            self.config.port, reason)
                with self._lock:
                    self.state.last_error = f"lost {self.config.port}: {reason}"
                return
            for event in self.framer.feed(data, self.clock()):
                self._handle_safely(event)

    def _handle_safely(self, event: Frame | Rejected) -> None:
        # A bug or a full disk must cost one scan, loudly, not the scanner's thread.
        try:
            self._handle(event)
        except Exception as exc:
            log.exception("scanner %s: a scan could not be handled and is lost", self.config.id)
            with self._lock:
                self.state.last_error = f"a scan was lost: {exc}"

    def _handle(self, event: Frame | Rejected) -> None:
        config = self.config
        if isinstance(event, Rejected):
            with self._lock:
                self.state.rejected += 1
                counts = self.state.rejected_by_reason
                counts[event.reason] = counts.get(event.reason, 0) + 1
                self.state.last_error = event.detail
            log.warning("scanner %s: rejected %d bytes (%s), not published: %s",
                        config.id, len(event.data), event.detail, preview(event.data))
            return
        raw = event.text
        if config.group_separator:
            raw = raw.replace(config.group_separator, GS)
        ts = utc_now()
        with self._lock:
            changed = self.state.apply_labels(raw)
            self.state.scans += 1
            self.state.last_scan = ts
            scan = ScanEvent(config.id, ts, raw, self.state.mode, self.state.location,
                             config.operator)
        if changed:
            log.info("scanner %s: %s (label %s)", config.id, changed, raw)
        self.sink(scan)
