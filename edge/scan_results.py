"""What the hub made of our scans: log it, and run the scanner's result command.

The hub answers each scan on ``stockwarden/v1/{site}/{gateway}/scan-result``. The
agent logs every answer; a scanner with a `result_command` also gets that command
run (through /bin/sh) with the outcome in environment variables, to drive a
beeper, a light or a small display. Commands run one at a time on their own
thread, never on the MQTT network thread, each bounded by `result_timeout`;
a command that fails or hangs is logged and does not stop the next one.

An answer is acknowledged to the broker only after it was logged and its command
ran (`done`): an agent killed before that gets the answer again from its persistent
session after the restart, so the operator sees every answer (rarely one twice).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping

from contract.wire import ScanResult, WireError, decode
from edge.config import ScannerConfig

log = logging.getLogger(__name__)

Done = Callable[[], None]  # acknowledges the answer to the broker


def _nothing() -> None:
    pass


def result_environment(result: ScanResult) -> dict[str, str]:
    return {
        "STOCKWARDEN_SCAN_OK": "1" if result.ok else "0",
        "STOCKWARDEN_SCAN_OUTCOME": result.outcome,
        "STOCKWARDEN_SCAN_MESSAGE": result.message,
        "STOCKWARDEN_SCAN_SCANNER": result.scanner,
        "STOCKWARDEN_SCAN_GATEWAY": result.gateway,
        "STOCKWARDEN_SCAN_SEQ": str(result.seq),
        "STOCKWARDEN_SCAN_TS": result.model_dump(mode="json")["ts"],
        "STOCKWARDEN_SCAN_LINES": json.dumps(
            [line.model_dump(mode="json", exclude_none=True) for line in result.lines]
        ),
    }


def run_command(command: str, env: Mapping[str, str], timeout: float) -> str | None:
    """Run one result command; None if it succeeded, else why not."""
    try:
        process = subprocess.Popen(
            command,
            shell=True,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout ends the shell's children too
        )
    except OSError as exc:
        return f"cannot start: {exc}"
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return f"killed after {timeout:g}s"
    if process.returncode != 0:
        tail = output.decode(errors="replace").strip().splitlines()[-1:] if output else []
        return f"exit status {process.returncode}" + (f": {tail[0][:200]}" if tail else "")
    return None


class ResultHandler:
    """Decodes, logs and acts on scan results; `handle` is called on paho's thread."""

    def __init__(self, gateway: str, scanners: list[ScannerConfig], backlog: int = 100) -> None:
        self.gateway = gateway
        self.scanners = {scanner.id: scanner for scanner in scanners}
        self.received = 0
        self.command_failures = 0
        self._queue: queue.Queue[tuple[ScannerConfig, ScanResult, Done] | None] = queue.Queue(
            backlog)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if any(s.result_command for s in self.scanners.values()):
            self._thread = threading.Thread(target=self._run, name="scan-results", daemon=True)
            self._thread.start()

    def handle(self, payload: bytes, done: Done = _nothing) -> None:
        """`done()` once the answer is logged and, with a result command, shown. (An answer
        without a command may be acknowledged before earlier ones still queued; brokers
        take PUBACKs in any order.)"""
        if not self._act(payload, done):
            done()

    def _act(self, payload: bytes, done: Done) -> bool:
        """True if `done` is called later, after the result command ran."""
        try:
            result = decode(ScanResult, payload)
        except WireError as exc:
            log.warning("scan result not understood, ignored: %s", exc)
            return False
        if result.gateway != self.gateway:
            log.warning("scan result for gateway %s, not us (%s): ignored", result.gateway,
                        self.gateway)
            return False
        self.received += 1
        lines = "; ".join(
            f"{line.item} x{line.quantity}" + (f" lot {line.lot}" if line.lot else "")
            for line in result.lines
        )
        log.log(
            logging.INFO if result.ok else logging.WARNING,
            "scan %s from %s: %s: %s%s", result.seq, result.scanner, result.outcome,
            result.message or "(no message)", f" [{lines}]" if lines else "",
        )
        scanner = self.scanners.get(result.scanner)
        if scanner is None:
            log.warning("scan result names scanner %s, which is not configured", result.scanner)
            return False
        if scanner.result_command and self._thread is not None:
            try:
                self._queue.put_nowait((scanner, result, done))
            except queue.Full:
                log.warning("result command of %s is behind; skipped the result of scan %s",
                            scanner.id, result.seq)
                return False
            return True
        return False

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            scanner, result, done = item
            assert scanner.result_command is not None
            problem = run_command(
                scanner.result_command, result_environment(result), scanner.result_timeout
            )
            if problem:
                self.command_failures += 1
                log.warning("scanner %s: result command for scan %s failed: %s", scanner.id,
                            result.seq, problem)
            done()

    def stop(self) -> None:
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=1)
            self._thread.join(5)
