"""A simulated serial barcode scanner on a pseudo-terminal.

It owns the master side of a pty; the edge agent opens the slave side (``path``,
or a stable symlink ``link``) as it would open /dev/ttyACM0. It types scans as a
real scanner does: the characters of one barcode at the line's speed, then a
suffix (CR, LF, CRLF or none). GS1 group separators are typed as ASCII 29 or as a
stand-in character. Scenarios are data: a list of steps, each a scan, garbage
bytes or a partial scan, with the pause before it and an optional burst count.

```yaml
scanners:
  dock:
    link: /tmp/stockwarden-scanner0
    baud: 115200
    suffix: CR
    group_separator: gs        # or a stand-in such as "|"
    repeat: 0                  # 0: loop forever
    steps:
      - {scan: "CMD:RECEIVE"}
      - {scan: "LOC:A-01-01", after_s: 1}
      - {scan: "]d2010950110153000317271231{GS}10L{n}", after_s: 20, burst: 3}
      - {garbage: 12, after_s: 5}
      - {partial: "0109501101530003", after_s: 5}
```
``{GS}`` in a scan is the group separator; ``{n}`` is a running count of the
scans typed, so repeated receipts get distinct lots.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
import tty
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

log = logging.getLogger(__name__)

GS = "\x1d"
SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "none": b""}
BITS_PER_CHARACTER = 10  # start, 8 data, stop: a scanner's usual 8N1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScanStep(_Model):
    """One thing the scanner does; exactly one of scan, garbage, partial."""

    scan: str | None = Field(default=None, min_length=1)
    garbage: Annotated[int, Field(ge=1, le=4096)] | None = None  # that many random bytes
    partial: str | None = Field(default=None, min_length=1)  # typed without its suffix
    after_s: Annotated[float, Field(ge=0)] | None = None  # pause before; default every_s
    burst: Annotated[int, Field(ge=1, le=1000)] = 1
    burst_gap_s: Annotated[float, Field(ge=0)] = 0.05

    @model_validator(mode="after")
    def _one(self) -> ScanStep:
        if sum(x is not None for x in (self.scan, self.garbage, self.partial)) != 1:
            raise ValueError("a step is exactly one of scan, garbage or partial")
        return self


class ScannerSpec(_Model):
    link: Path | None = Field(default=None, description="a symlink to the pty, for the gateway")
    baud: Annotated[int, Field(ge=300, le=921_600)] = 115_200
    suffix: Literal["CR", "LF", "CRLF", "none"] = "CR"
    group_separator: str = Field(default="gs", min_length=1, max_length=2)  # "gs" or a stand-in
    every_s: Annotated[float, Field(ge=0)] = 1.0
    repeat: Annotated[int, Field(ge=0)] = 1  # 0: forever
    steps: list[ScanStep] = Field(default_factory=list)
    seed: int = 0


class SimScanner:
    """Types into a pty until `stop()`; `type_scan` and friends work without a scenario."""

    def __init__(self, spec: ScannerSpec | None = None) -> None:
        self.spec = spec or ScannerSpec()
        self.master, self._slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        if self.spec.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.spec.link.unlink()
            self.spec.link.symlink_to(self.path)
        self.typed = 0  # scans typed, for {n}
        self._random = random.Random(self.spec.seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> str:
        """What the edge agent opens."""
        return str(self.spec.link or self.path)

    def char_time(self) -> float:
        return BITS_PER_CHARACTER / self.spec.baud

    def render(self, text: str) -> str:
        """The characters the scanner sends for a scan written with {GS} and {n}."""
        separator = GS if self.spec.group_separator == "gs" else self.spec.group_separator
        return text.replace("{n}", str(self.typed)).replace("{GS}", GS).replace(GS, separator)

    def write(self, data: bytes) -> float:
        """Put bytes on the line at its speed; return the wall-clock time writing began."""
        with self._lock:
            started = time.time()
            begun = time.monotonic()
            os.write(self.master, data)
            # A real line delivers them over len * char time; keep the pace of one.
            rest = begun + len(data) * self.char_time() - time.monotonic()
            if rest > 0:
                time.sleep(rest)
        return started

    def type_scan(self, text: str, suffix: bool = True) -> tuple[str, float]:
        """Type one scan; return what the scanner sent (without suffix) and when."""
        sent = self.render(text)
        self.typed += 1
        end = SUFFIXES[self.spec.suffix] if suffix else b""
        return sent, self.write(sent.encode() + end)

    def type_garbage(self, count: int) -> bytes:
        noise = bytes(self._random.choice([*range(0, 9), *range(14, 29), 127, 0xFF])
                      for _ in range(count))
        self.write(noise + SUFFIXES[self.spec.suffix])
        return noise

    def do(self, step: ScanStep) -> None:
        for index in range(step.burst):
            if index and step.burst_gap_s:
                self._stop.wait(step.burst_gap_s)
            if step.scan is not None:
                self.type_scan(step.scan)
            elif step.partial is not None:
                self.type_scan(step.partial, suffix=False)
            elif step.garbage is not None:
                self.type_garbage(step.garbage)

    def start(self) -> SimScanner:
        self._thread = threading.Thread(target=self._run, name=f"sim-scanner-{self.path}",
                                        daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        spec, rounds = self.spec, 0
        while spec.steps and not self._stop.is_set() and (not spec.repeat or rounds < spec.repeat):
            for step in spec.steps:
                pause = spec.every_s if step.after_s is None else step.after_s
                if self._stop.wait(pause):
                    return
                try:
                    self.do(step)
                except OSError as exc:
                    log.warning("sim scanner %s: %s", self.port, exc)
                    return
            rounds += 1

    def stop(self) -> None:
        """Unplug: the pty and its link are gone; the edge sees the port vanish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.spec.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.spec.link.unlink()
