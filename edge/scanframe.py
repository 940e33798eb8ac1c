"""Cutting a serial scanner's byte stream into scans: pure logic, no IO.

A scanner sends each decoded barcode as one burst of characters, usually ended by
a terminator (CR, LF or CRLF); some send none, and the pause after the burst ends
the scan. `Framer` gets bytes with the time they arrived and returns what they
complete: a `Frame` (a scan's text) or a `Rejected` piece with its reason. The
hub must book nothing for a rejected piece, so it is never published.

Rejected: bytes that are not printable text (control characters other than the
GS1 group separator, ASCII 29; bytes that are not UTF-8), a scan longer than
`max_length`, and — when a terminator is expected — a piece cut by a pause of
`inter_char_timeout` before its terminator came (a scanner unplugged mid-scan,
a broken cable, line noise).
"""

from __future__ import annotations

from dataclasses import dataclass

GS = "\x1d"


@dataclass(frozen=True, slots=True)
class Frame:
    text: str


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str  # a short key for the status counters: garbage, too_long, partial
    detail: str  # a sentence for the log
    data: bytes


Event = Frame | Rejected


def preview(data: bytes, limit: int = 40) -> str:
    """The start of a piece of bytes, printable, for a log line."""
    shown = data[:limit].decode("ascii", "backslashreplace")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in shown)
    return text + ("…" if len(data) > limit else "")


def check_text(data: bytes) -> str | Rejected:
    """The scan's text, or why it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected("garbage", f"byte 0x{data[exc.start]:02x} at {exc.start} is not text", data)
    for index, char in enumerate(text):
        if char != GS and not char.isprintable():
            return Rejected(
                "garbage", f"control character 0x{ord(char):02x} at {index} is not text", data
            )
    return text


class Framer:
    def __init__(self, terminator: bytes, inter_char_timeout: float, max_length: int) -> None:
        self.terminator = terminator
        self.timeout = inter_char_timeout
        self.max_length = max_length
        self._buffer = bytearray()
        self._last = 0.0  # when the last byte arrived
        self._overflow = False  # past max_length: drop until the scan ends

    @property
    def pending(self) -> bool:
        return bool(self._buffer) or self._overflow

    def deadline(self) -> float | None:
        """When the bytes waiting now time out, if no more come."""
        return self._last + self.timeout if self.pending else None

    def feed(self, data: bytes, now: float) -> list[Event]:
        events = self.expire(now)
        if not data:
            return events
        self._last = now
        if not self.terminator:
            self._append(data, events)
            return events
        self._buffer += data
        while True:
            end = self._buffer.find(self.terminator)
            if end < 0:
                break
            piece = bytes(self._buffer[:end])
            del self._buffer[: end + len(self.terminator)]
            events.extend(self._finish(piece))
        # A CRLF split across two reads leaves a CR at the end: not yet a problem.
        if len(self._buffer) > self.max_length + len(self.terminator) - 1:
            self._overflow_now(events)
        return events

    def expire(self, now: float) -> list[Event]:
        """Called when no byte came for a while: a pause past the timeout ends what waits."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        piece = bytes(self._buffer)
        self._buffer.clear()
        if self._overflow:
            self._overflow = False
            return []
        if not self.terminator:
            return self._finish(piece)
        return [
            Rejected(
                "partial",
                f"partial scan: no terminator within {self.timeout:g}s of the last byte",
                piece,
            )
        ]

    def flush(self) -> list[Event]:
        """The line is gone (port closed): whatever waits is a partial scan."""
        piece, overflow = bytes(self._buffer), self._overflow
        self._buffer.clear()
        self._overflow = False
        if not piece or overflow:
            return []
        return [Rejected("partial", "partial scan: the port closed before it ended", piece)]

    def _append(self, data: bytes, events: list[Event]) -> None:
        if self._overflow:
            return
        self._buffer += data
        if len(self._buffer) > self.max_length:
            self._overflow_now(events)

    def _overflow_now(self, events: list[Event]) -> None:
        if not self._overflow:
            events.append(
                Rejected(
                    "too_long",
                    f"scan longer than {self.max_length} bytes",
                    bytes(self._buffer[: self.max_length + 1]),
                )
            )
        self._overflow = True
        if self.terminator:
            # Keep only what could be the start of the terminator; the scan ends there.
            keep = len(self.terminator) - 1
            self._buffer = self._buffer[len(self._buffer) - keep :] if keep else bytearray()
        else:
            self._buffer.clear()

    def _finish(self, piece: bytes) -> list[Event]:
        if self._overflow:  # the end of a scan that was already rejected as too long
            self._overflow = False
            return []
        if not piece:
            return []  # an empty line (a stray terminator): nothing was scanned
        if len(piece) > self.max_length:
            return [Rejected("too_long", f"scan longer than {self.max_length} bytes", piece)]
        text = check_text(piece)
        return [text] if isinstance(text, Rejected) else [Frame(text)]
