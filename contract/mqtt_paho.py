"""paho-mqtt's client with buffered reads and acknowledgements sent together.

paho reads each incoming packet with at least three `recv` calls: one byte of
packet type, one per byte of remaining length, then the rest. Each call releases
the GIL, and getting it back waits for whichever thread holds it (up to Python's
5 ms switch interval when that thread computes). In the hub the ingest worker
and the alarm evaluator compute while paho's thread reads, so three waits per
packet capped one-reading messages at ~2,400/s with the hub using 0.4 of a core.

`BufferedClient` hands paho a socket that reads up to 64 KiB at once and serves
the small reads from that buffer; `pending()` tells paho's loop that more is
buffered (it already asks TLS sockets the same), so it reads on without waiting
in `select`. Nothing else about the socket changes.

The hub acknowledges a batch's messages after committing them; paho's `ack()`
queues a 4-byte PUBACK per message, pokes its loop through a socket pair and
sends each packet with its own `send`: two system calls (and two GIL waits) per
message. `ack_many` queues one write holding every PUBACK of the batch.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK

READ_SIZE = 64 * 1024


class BufferedSocket:
    """A socket (plain or TLS) whose `recv` is served from one large read."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buffer = b""
        self._at = 0

    def recv(self, size: int) -> bytes:
        if self._at >= len(self._buffer):
            # May raise BlockingIOError / SSLWantReadError: paho handles both.
            data: bytes = self._sock.recv(max(size, READ_SIZE))
            if len(data) <= size:
                return data  # all of it asked for, or b"" at the end of the stream
            self._buffer, self._at = data, 0
        chunk = self._buffer[self._at : self._at + size]
        self._at += len(chunk)
        if self._at >= len(self._buffer):
            self._buffer, self._at = b"", 0
        return chunk

    def pending(self) -> int:
        """Bytes readable without waiting: ours, and a TLS socket's own."""
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._buffer) - self._at + inner

    def fileno(self) -> int:
        number: int = self._sock.fileno()
        return number

    def __getattr__(self, name: str) -> Any:
        # send, setblocking, close, ...: the socket's own.
        return getattr(self._sock, name)


class PahoClient(mqtt.Client):
    """paho's client reading through a `BufferedSocket`, acknowledging in bulk."""

    def _create_socket(self) -> Any:
        return BufferedSocket(super()._create_socket())

    def ack_many(self, mids: Sequence[int]) -> None:
        """PUBACK each QoS 1 message id (manual acknowledgement), in one write.

        The packets are paho's own (`_send_command_with_mid`: type, length 2, id;
        MQTT 5 allows leaving out a success reason code), queued as one out-packet."""
        if not mids:
            return
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        self._packet_queue(PUBACK, packet, mids[0], 1)
