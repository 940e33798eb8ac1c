"""paho's small reads served from one large read, over a real socket pair."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt._packet import decode_publish
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.mqtt_paho import READ_SIZE, BufferedSocket, PahoClient, Publish, split_publishes


@pytest.fixture
def pair() -> Iterator[tuple[BufferedSocket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    yield BufferedSocket(ours), theirs
    ours.close()
    theirs.close()


def test_packets_read_byte_by_byte_come_out_whole_and_in_order(pair) -> None:
    buffered, peer = pair
    packets = [bytes([0x30, n]) + bytes([n]) * n for n in range(1, 100)]
    peer.sendall(b"".join(packets))
    got = []
    for _ in packets:
        head = buffered.recv(1) + buffered.recv(1)
        body = buffered.recv(head[1])
        got.append(head + body)
    assert got == packets
    assert buffered.pending() == 0
    with pytest.raises(BlockingIOError):
        buffered.recv(1)  # nothing left: the socket's own answer


def test_pending_counts_what_is_buffered(pair) -> None:
    buffered, peer = pair
    peer.sendall(b"abcdef")
    assert buffered.pending() == 0  # nothing read yet
    assert buffered.recv(1) == b"a"
    assert buffered.pending() == 5
    assert buffered.recv(10) == b"bcdef"  # a short read, as a socket gives
    assert buffered.pending() == 0


def test_a_large_read_goes_straight_through(pair) -> None:
    buffered, peer = pair
    peer.sendall(b"x" * 100)
    assert buffered.recv(READ_SIZE * 2) == b"x" * 100
    assert buffered.pending() == 0


def test_the_end_of_the_stream_is_an_empty_read(pair) -> None:
    buffered, peer = pair
    peer.sendall(b"ab")
    peer.close()
    assert buffered.recv(1) == b"a"
    assert buffered.recv(1) == b"b"
    assert buffered.recv(1) == b""


def test_everything_else_is_the_sockets_own(pair) -> None:
    buffered, _peer = pair
    assert buffered.fileno() == buffered._sock.fileno()
    assert buffered.getsockname() is not None


# --- PUBLISH packets split off the buffer (`split_publishes`), against paho's own decoder


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, byte = divmod(n, 128)
        out.append(byte | (128 if n else 0))
        if not n:
            return bytes(out)


def _publish(topic: bytes, payload: bytes, *, qos: int = 1, mid: int = 7, v5: bool = True,
             properties: bytes = b"\x00", flags: int = 0) -> bytes:
    body = struct.pack("!H", len(topic)) + topic
    if qos:
        body += struct.pack("!H", mid)
    if v5:
        body += properties
    body += payload
    return bytes([0x30 | qos << 1 | flags]) + _length(len(body)) + body


def _paho(packet: bytes, v5: bool) -> Publish:
    """What paho's own decoder makes of one whole packet."""
    at = 1
    while packet[at] & 128:
        at += 1
    protocol = MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311
    got = decode_publish(packet[0], packet[at + 1 :], protocol)
    return Publish(got.topic, got.payload, got.mid, got.qos)


def _user_properties(pairs: list[tuple[str, str]]) -> bytes:
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    if pairs:
        properties.UserProperty = pairs
    packed: bytes = properties.pack()  # type: ignore[no-untyped-call]
    return packed


# MQTT's UTF-8 strings hold no NUL (paho refuses one).
_PROPERTY_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]),
                         max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.binary(min_size=1, max_size=300), st.binary(max_size=600),
                       st.integers(0, 1), st.integers(1, 65535), st.integers(0, 1),
                       st.lists(st.tuples(_PROPERTY_TEXT, _PROPERTY_TEXT), max_size=3)),
             min_size=1, max_size=12),
    st.booleans(),
)
def test_split_publishes_reads_what_paho_reads(packets, v5: bool) -> None:
    wire = [
        _publish(topic, payload, qos=qos, mid=mid, v5=v5, flags=dup_retain,
                 properties=_user_properties(pairs))
        for topic, payload, qos, mid, dup_retain, pairs in packets
    ]
    found, at = split_publishes(b"".join(wire), 0, v5)
    assert found == [_paho(packet, v5) for packet in wire]
    assert at == sum(map(len, wire))


def test_the_split_stops_at_a_packet_cut_by_the_buffers_end() -> None:
    first, second = _publish(b"a/b", b"1"), _publish(b"a/b", b"2" * 300)
    for cut in range(1, len(second)):
        found, at = split_publishes(first + second[:cut], 0, True)
        assert found == [Publish(b"a/b", b"1", 7, 1)] and at == len(first)


@pytest.mark.parametrize(("other", "why"), [
    (_publish(b"a", b"x", qos=2), "QoS 2: paho keeps its state"),
    (bytes([0xD0, 0]), "PINGRESP"),
    (bytes([0x90, 3, 0, 1, 1]), "SUBACK"),
    (_publish(b"", b"x", properties=b"\x03\x23\x00\x01"), "a topic alias"),
    (bytes([0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), "a remaining length of five bytes"),
    (bytes([0x32, 1, 0]), "shorter than its topic length"),
    (_publish(b"a", b"") [:2] + b"\x00\x09" + b"a", "a topic longer than the packet"),
])
def test_the_split_leaves_every_other_packet_to_paho(other: bytes, why: str) -> None:
    first = _publish(b"t", b"ok")
    found, at = split_publishes(first + other + first, 0, True)
    assert found == [Publish(b"t", b"ok", 7, 1)] and at == len(first), why


def test_the_client_hands_buffered_publishes_over_together_and_paho_the_rest(pair) -> None:
    buffered, peer = pair
    client = PahoClient(CallbackAPIVersion.VERSION2, client_id="t",
                        protocol=MQTTProtocolVersion.MQTTv5, manual_ack=True)
    batches: list[list[Publish]] = []
    by_paho: list[tuple[bytes, bytes]] = []
    client.on_publishes = batches.append
    client.on_message = lambda _c, _u, message: by_paho.append((message._topic, message.payload))
    client._sock = buffered
    peer.sendall(b"".join(_publish(b"s/t", b"%d" % n, mid=n) for n in range(1, 301))
                 + _publish(b"q/2", b"two", qos=2) + _publish(b"s/t", b"last", mid=999))
    deadline = time.monotonic() + 10
    while sum(map(len, batches)) + len(by_paho) < 301 and time.monotonic() < deadline:
        client.loop_read()
    # The first packet of a read is paho's; the rest of what was read comes in one go.
    assert by_paho[0] == (b"s/t", b"1")
    handed = [p.payload for batch in batches for p in batch]
    assert handed[:299] == [b"%d" % n for n in range(2, 301)]
    assert len(batches) <= 3
    # QoS 2 is paho's: it keeps the message until the broker's PUBREL.
    assert client._in_messages[7].payload == b"two"
    every = handed + [payload for _topic, payload in by_paho]
    assert sorted(every) == sorted([b"%d" % n for n in range(1, 301)] + [b"last"])
    client._sock = None
