"""Test-side MQTT tools: a publisher that gets every QoS 1 message acknowledged,
across broker restarts, by publishing again what was not acknowledged (the
hub's (gateway, seq) record is what keeps the count exact)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract import wire


def telemetry(
    gateway: str, seq: int, sensors: list[str], ts: datetime, value: float = 5.0
) -> bytes:
    return wire.encode(
        wire.Telemetry(
            gateway=gateway,
            seq=seq,
            readings=[
                wire.Reading(
                    sensor=sensor, ts=ts,
                    quantities={"temperature_c": value, "humidity_pct": 50.0},
                )
                for sensor in sensors
            ],
        )
    )


def series_ts(index: int, base: datetime | None = None) -> datetime:
    """Distinct, recent timestamps (ms apart) so every reading is its own sample."""
    base = base or datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    return base + timedelta(milliseconds=10 * index)


class ReliablePublisher:
    def __init__(self, port: int, client_id: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.2, 2)
        self.unacked: dict[str, tuple[str, bytes]] = {}  # key -> message, until acknowledged
        self.keys: dict[int, str] = {}
        self.early_acks: set[int] = set()  # PUBACKs that beat the bookkeeping
        self.lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_publish(self, _c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
        with self.lock:
            key = self.keys.pop(mid, None)
            if key is None:
                self.early_acks.add(mid)
            else:
                self.unacked.pop(key, None)

    def publish(self, topic: str, payload: bytes, key: str | None = None) -> None:
        key = key or f"{topic}#{len(self.keys)}#{time.monotonic_ns()}"
        with self.lock:
            self.unacked[key] = (topic, payload)
        self._send(key, topic, payload)

    def _send(self, key: str, topic: str, payload: bytes) -> None:
        # Never hold our lock inside paho: its network thread calls _on_publish
        # while holding paho's own locks.
        info = self.client.publish(topic, payload, qos=1)
        with self.lock:
            if info.mid in self.early_acks:
                self.early_acks.discard(info.mid)
                self.unacked.pop(key, None)
            else:
                self.keys[info.mid] = key

    def wait_all_acked(self, timeout: float = 60.0) -> None:
        """Wait for every PUBACK; publish again whatever is still unacknowledged."""
        deadline = time.monotonic() + timeout
        last_retry = time.monotonic()
        while time.monotonic() < deadline:
            with self.lock:
                if not self.unacked:
                    return
            if time.monotonic() - last_retry > 3 and self.client.is_connected():
                with self.lock:
                    retry = list(self.unacked.items())
                for key, (topic, payload) in retry:
                    self._send(key, topic, payload)
                last_retry = time.monotonic()
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.unacked)} messages never acknowledged")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish_raw(port: int, topic: str, payloads: list[bytes]) -> None:
    publisher = ReliablePublisher(port, f"raw-{time.monotonic_ns()}")
    try:
        wait = time.monotonic() + 10
        while not publisher.client.is_connected() and time.monotonic() < wait:
            time.sleep(0.02)
        for payload in payloads:
            publisher.publish(topic, payload)
        publisher.wait_all_acked()
    finally:
        publisher.close()


def wait_until(check, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")
