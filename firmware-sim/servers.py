"""The simulator's Modbus servers: TCP on a port, RTU on a pseudo-terminal pair.

Each runs in its own thread until `stop()`. The RTU server owns the master side
of a pty; the edge agent opens the slave side (``path``, or a stable symlink
``link`` to it) as it would open /dev/ttyUSB0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import socketserver
import threading
import time
import tty
from collections.abc import Mapping
from pathlib import Path

from firmware_sim.devices import SimDevice
from firmware_sim.protocol import respond_rtu, respond_tcp, split_rtu_request

log = logging.getLogger(__name__)

BITS_PER_CHARACTER = 11  # start, 8 data, parity or a second stop bit, stop


def char_time(baud: int) -> float:
    return BITS_PER_CHARACTER / baud


def line_time(baud: int, request: int, response: int, turnaround: float = 0.0) -> float:
    """Seconds one transaction occupies a real line: both frames, each followed by
    the 3.5-character silence that ends an RTU frame, plus the device's turnaround."""
    return char_time(baud) * (request + 3.5 + response + 3.5) + turnaround


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _ThreadingServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(conn)
        buffer = b""
        while not self.server.stopping.is_set():
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while len(buffer) >= 7:
                length = int.from_bytes(buffer[4:6], "big")
                if len(buffer) < 6 + length:
                    break
                header, pdu = buffer[:7], buffer[7 : 6 + length]
                buffer = buffer[6 + length :]
                response = respond_tcp(self.server.devices, header, pdu)
                device = self.server.devices.get(header[6])
                if response is not None and device is not None and device.delay():
                    time.sleep(device.delay())
                if response is not None:
                    conn.sendall(response)


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], devices: Mapping[int, SimDevice]) -> None:
        self.devices = devices
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        super().__init__(address, _TcpHandler)


class TcpServer:
    """Modbus TCP, many unit ids behind one port (like a TCP-to-RTU gateway)."""

    def __init__(self, devices: Mapping[int, SimDevice], host: str = "127.0.0.1", port: int = 0):
        self._server = _ThreadingServer((host, port), devices)
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name=f"sim-tcp-{self.port}", daemon=True
        )

    def start(self) -> TcpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        # Like a device that is switched off: the clients' connections drop too.
        for conn in list(self._server.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class RtuServer:
    """Modbus RTU on a pty. With `line_timing`, each answer comes after the time the
    transaction would take at `baud` on a real line, so throughput can be measured."""

    def __init__(
        self,
        devices: Mapping[int, SimDevice],
        baud: int = 9600,
        line_timing: bool = False,
        turnaround: float = 0.0,
        link: Path | None = None,
    ) -> None:
        self.devices = devices
        self.baud = baud
        self.line_timing = line_timing
        self.turnaround = turnaround
        self.master, self._slave = os.openpty()
        # Raw: no echo, no line editing, no CR/LF translation of binary frames.
        tty.setraw(self.master)
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self.link = link
        if link is not None:
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
            link.symlink_to(self.path)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim-rtu-{self.path}", daemon=True)

    @property
    def port(self) -> str:
        """What the edge agent opens."""
        return str(self.link or self.path)

    def start(self) -> RtuServer:
        self._thread.start()
        return self

    def _silence(self) -> float:
        # The end of a frame of an unknown function: 3.5 characters, at least 2 ms on a pty.
        return max(3.5 * char_time(self.baud), 0.002)

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            wait = self._silence() if buffer else 0.1
            ready, _, _ = select.select([self.master], [], [], wait)
            if not ready:
                if buffer:  # silence ends a frame we could not size: answer it or drop it
                    self._answer(buffer, time.monotonic())
                    buffer = b""
                continue
            try:
                buffer += os.read(self.master, 1024)
            except OSError:  # the slave side was closed and reopened: go on
                time.sleep(0.01)
                continue
            received = time.monotonic()
            while buffer:
                frame, used = split_rtu_request(buffer)
                if frame is not None:
                    self._answer(frame, received)
                buffer = buffer[used:]
                if used == 0:
                    break

    def _answer(self, frame: bytes, received: float) -> None:
        response = respond_rtu(self.devices, frame)
        device = self.devices.get(frame[0]) if response is not None else None
        turnaround = self.turnaround + (device.delay() if device else 0.0)
        if self.line_timing:
            due = received + line_time(self.baud, len(frame), len(response or b""), turnaround)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        elif turnaround:
            time.sleep(turnaround)
        if response is not None:
            os.write(self.master, response)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
