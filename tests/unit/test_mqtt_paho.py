"""paho's small reads served from one large read, over a real socket pair."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from contract.mqtt_paho import READ_SIZE, BufferedSocket


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
