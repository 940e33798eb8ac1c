"""Shared parts of the edge benchmarks: the simulator and the agent as child processes,
Mosquitto, a counting subscriber and /proc figures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from contract.wire import Telemetry, decode, subscription

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def start_sim(workdir: Path, scenario: dict[str, Any]) -> subprocess.Popen[bytes]:
    path = workdir / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    log = (workdir / "sim.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "sim", str(path), "--log-level", "WARNING"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    time.sleep(1.5)
    if process.poll() is not None:
        raise RuntimeError((workdir / "sim.log").read_text())
    return process


def start_agent(
    workdir: Path, config: dict[str, Any], log_level: str = "WARNING"
) -> subprocess.Popen[bytes]:
    path = workdir / "gateway.yaml"
    path.write_text(yaml.safe_dump(config))
    log = (workdir / "agent.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "edge", "--config", str(path), "--log-level", log_level],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class Counter:
    """Subscribes to all telemetry and notes when each message arrived: `arrivals` on the
    monotonic clock, and `wall` (the same messages, the same order) on the wall clock, to
    compare with the readings' timestamps."""

    def __init__(self, port: int) -> None:
        self.arrivals: list[tuple[float, Telemetry]] = []
        self.wall: list[float] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-counter", clean_session=False
        )
        self.client.on_connect = lambda c, *_: c.subscribe(subscription("telemetry"), 1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)  # back soon after a broker restart
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        wall, now = time.time(), time.monotonic()
        telemetry = decode(Telemetry, msg.payload)
        with self.lock:
            self.arrivals.append((now, telemetry))
            self.wall.append(wall)

    def readings(self) -> int:
        with self.lock:
            return sum(len(t.readings) for _, t in self.arrivals)

    def latencies_ms(self, first: int = 0) -> list[float]:
        """Reading to broker to here: each reading's poll timestamp to its message's arrival,
        in ms, for the messages from index `first` on."""
        with self.lock:
            pairs = list(zip(self.wall[first:], self.arrivals[first:], strict=True))
        return [
            (wall - reading.ts.timestamp()) * 1000
            for wall, (_, telemetry) in pairs
            for reading in telemetry.readings
        ]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[[_cell(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells[1:]]
    return "\n".join(lines)
