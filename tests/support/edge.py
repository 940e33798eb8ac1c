"""Helpers for the edge tests: a simulation, a gateway config and an MQTT subscriber."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from contract.wire import Scan, Telemetry, decode, subscription
from firmware_sim.scenario import ScenarioSpec, Simulation


def simulate(servers: dict[str, Any], devices: list[dict[str, Any]]) -> Simulation:
    spec = ScenarioSpec.model_validate({"servers": servers, "devices": devices})
    return Simulation(spec).start()


def gateway_config(
    path: Path,
    *,
    mqtt_port: int,
    buses: dict[str, Any] | None = None,
    sensors: list[dict[str, Any]] | None = None,
    gateway: str = "gw-test",
    **extra: Any,
) -> Path:
    data = {
        "gateway": gateway,
        "site": "test",
        "broker": {"url": f"mqtt://127.0.0.1:{mqtt_port}"},
        "buses": buses or {},
        "sensors": sensors or [],
        "outbox": {"path": str(path.parent / "outbox.db")},
        "status_interval": 1,
        **extra,
    }
    path.write_text(yaml.safe_dump(data))
    return path


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached after {timeout}s")


class Subscriber:
    """What a hub would receive: a persistent MQTT session (QoS 1), kept across broker restarts."""

    def __init__(self, port: int, username: str | None = None, password: str | None = None):
        self.telemetry: list[Telemetry] = []
        self.scans: list[Scan] = []
        self.status: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-hub-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        self.client.on_connect = lambda c, *_: c.subscribe(
            [(subscription("telemetry"), 1), (subscription("status"), 1),
             (subscription("scan"), 1)]
        )
        self.client.on_message = self._on_message
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.connected_once = threading.Event()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            if msg.topic.endswith("/telemetry"):
                self.telemetry.append(decode(Telemetry, msg.payload))
            elif msg.topic.endswith("/scan"):
                self.scans.append(decode(Scan, msg.payload))
            else:
                self.status.append(json.loads(msg.payload))

    @property
    def seqs(self) -> list[int]:
        with self._lock:
            return [t.seq for t in self.telemetry]

    def scan_raws(self) -> list[str]:
        with self._lock:
            return [s.raw for s in self.scans]

    def readings(self, sensor: str) -> list[Any]:
        with self._lock:
            return [r for t in self.telemetry for r in t.readings if r.sensor == sensor]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def merge_of_two_ordered_lanes(seqs: list[int]) -> bool:
    """True if `seqs` is the replay lane (all below some T, ascending) interleaved with the
    live lane (T and above, ascending): the order the outbox promises after an outage."""
    for threshold in [*sorted(set(seqs)), max(seqs, default=0) + 1]:
        low = [s for s in seqs if s < threshold]
        high = [s for s in seqs if s >= threshold]
        if low == sorted(low) and high == sorted(high):
            return True
    return False


def connect_client_id(packet: bytes) -> str | None:
    """The client id of an MQTT 3.1.1/5 CONNECT packet's start, or None if it is not one."""
    if not packet or packet[0] != 0x10:
        return None
    at = 1
    while at < len(packet) and packet[at] & 0x80:  # the remaining length's varint
        at += 1
    at += 1
    name_length = int.from_bytes(packet[at : at + 2], "big")
    at += 2 + name_length + 1 + 1 + 2  # protocol name, level, flags, keep-alive
    if packet[at - 4] == 5:  # protocol level 5 (MQTT 5): properties before the payload
        length, shift = 0, 0
        while True:
            byte = packet[at]
            at += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        at += length
    id_length = int.from_bytes(packet[at : at + 2], "big")
    return packet[at + 2 : at + 2 + id_length].decode("utf-8", "replace")


class AttemptCounter:
    """A stand-in on a broker's port while the broker is away: accepts each connection
    attempt, reads its CONNECT, notes when and which client id, and closes it at once
    (as a broker that is not ready would)."""

    def __init__(self, port: int) -> None:
        self.attempts: list[tuple[float, str | None]] = []  # (monotonic, client id)
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._server.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            at = time.monotonic()
            connection.settimeout(1.0)
            try:
                packet = connection.recv(1024)
            except OSError:
                packet = b""
            self.attempts.append((at, connect_client_id(packet)))
            connection.close()

    def times(self, client_id: str) -> list[float]:
        return [at for at, who in self.attempts if who == client_id]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._server.close()


def first_telemetry_after(port: int, timeout: float) -> float:
    """Subscribe (clean session) and return the monotonic time the first telemetry arrives."""
    arrived = threading.Event()
    at: list[float] = []

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if not at:
            at.append(time.monotonic())
            arrived.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe(subscription("telemetry"), 1)
    client.loop_start()
    try:
        if not arrived.wait(timeout):
            raise AssertionError(f"no telemetry within {timeout}s")
        return at[0]
    finally:
        client.loop_stop()
        client.disconnect()
