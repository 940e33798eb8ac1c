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

paho then handles each PUBLISH on its own: a dict-kept packet state, an MQTT 5
`Properties` object, an `MQTTMessage`, a debug log line built, the topic matched
against the callback filters: ~24 µs a message here (`bench.mqtt_receive`), as much
as a Node-RED flow spends on the whole message. When `on_publishes` is set, the QoS 0
and 1 PUBLISH packets already buffered whole are split off the buffer in one pass
(`split_publishes`, ~1.1 µs a message) and handed over together; anything else
(CONNACK, SUBACK, PINGRESP, QoS 2, a topic alias, a packet cut at the buffer's end, a
malformed length) goes paho's way.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK, MQTTErrorCode

READ_SIZE = 64 * 1024
PUBLISH = 0x30


class Publish(NamedTuple):
    """One PUBLISH packet as received: its topic still bytes."""

    topic: bytes
    payload: bytes
    mid: int
    qos: int


def split_publishes(buffer: bytes, at: int, v5: bool) -> tuple[list[Publish], int]:
    """The QoS 0/1 PUBLISH packets that lie whole in `buffer` from `at` on, up to the
    first packet that is anything else, and where that one starts. Malformed lengths
    stop the split too: paho then reads that packet and says what is wrong with it."""
    found: list[Publish] = []
    end = len(buffer)
    while at < end:
        header = buffer[at]
        qos = (header >> 1) & 3
        if header & 0xF0 != PUBLISH or qos > 1:
            break
        # Remaining length: 1-4 bytes, 7 bits each, least significant first.
        length = shift = 0
        pos = at + 1
        while True:
            if pos >= end or shift > 21:
                return found, at
            byte = buffer[pos]
            pos += 1
            length |= (byte & 127) << shift
            shift += 7
            if not byte & 128:
                break
        packet_end = pos + length
        if packet_end > end or length < 2:
            break
        topic_end = pos + 2 + (buffer[pos] << 8 | buffer[pos + 1])
        if topic_end == pos + 2:
            break  # an empty topic: a topic alias (MQTT 5), paho's to refuse
        mid = 0
        body = topic_end
        if qos:
            mid = buffer[body] << 8 | buffer[body + 1] if body + 2 <= packet_end else -1
            body += 2
        if v5:
            # Properties: a variable-length size, then skipped (the hub reads none).
            size = shift = 0
            while body < packet_end:
                byte = buffer[body]
                body += 1
                size |= (byte & 127) << shift
                shift += 7
                if not byte & 128:
                    break
            body += size
        if mid < 0 or body > packet_end:
            break
        found.append(Publish(buffer[pos + 2 : topic_end], buffer[body:packet_end], mid, qos))
        at = packet_end
    return found, at


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

    def take_publishes(self, v5: bool) -> list[Publish]:
        """The whole QoS 0/1 PUBLISH packets at the head of the buffer, taken off it."""
        found, self._at = split_publishes(self._buffer, self._at, v5)
        if self._at >= len(self._buffer):
            self._buffer, self._at = b"", 0
        return found

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
    """paho's client reading through a `BufferedSocket`, acknowledging in bulk, and
    (with `on_publishes` set) handing over buffered PUBLISH packets together."""

    # Called on the network thread with the PUBLISH packets split off the buffer, in
    # the order received; `on_message` then sees only what paho itself handled.
    on_publishes: Callable[[list[Publish]], None] | None = None

    def _create_socket(self) -> Any:
        return BufferedSocket(super()._create_socket())

    def _packet_read(self) -> MQTTErrorCode:
        sock = self._sock
        on_publishes = self.on_publishes
        if (on_publishes is None or not isinstance(sock, BufferedSocket)
                or self._in_packet["command"] != 0):
            return super()._packet_read()
        publishes = sock.take_publishes(self._protocol == mqtt.MQTTv5)
        if not publishes:
            # The buffer is empty or starts with another packet: paho reads it (and
            # refills the buffer from the socket when it is empty).
            return super()._packet_read()
        with self._msgtime_mutex:
            self._last_bytes_received = mqtt.time_func()
        with self._in_callback_mutex:
            try:
                on_publishes(publishes)
            except Exception as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_publishes: %s", err)
                if not self.suppress_exceptions:
                    raise
        if not self._manual_ack:
            self.ack_many([publish.mid for publish in publishes if publish.qos == 1])
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Sequence[int]) -> None:
        """PUBACK each QoS 1 message id (manual acknowledgement), in one write.

        The packets are paho's own (`_send_command_with_mid`: type, length 2, id;
        MQTT 5 allows leaving out a success reason code), queued as one out-packet."""
        if not mids:
            return
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        self._packet_queue(PUBACK, packet, mids[0], 1)
