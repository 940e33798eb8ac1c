"""The README's first command: `stockwarden demo` shows readings over HTTP, takes a
message from a client that speaks MQTT 3.1.1 as the README says, stops on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract import wire
from tests.support.processes import free_port
from tests.support.receivers import Webhook


def get(url: str, token: str | None = None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def read_token(output: Iterator[str]) -> str:
    """The demo prints its admin's API token among its URLs."""
    for line in output:
        if "API token" in line:
            return line.split("API token", 1)[1].split()[0]
    raise AssertionError("the demo printed no API token")


def test_the_demo_serves_simulated_readings_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    http_port, mqtt_port = free_port(), free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--http-port", str(http_port),
         "--mqtt-port", str(mqtt_port), "--data-dir", str(tmp_path), "--duration", "120",
         "--scan-every", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{http_port}"
    assert demo.stdout is not None
    printed: list[str] = []
    try:
        lines = _tee(demo.stdout, printed)
        token = read_token(lines)
        # The rest of the banner, read here: communicate() below bypasses the read-ahead.
        next(line for line in lines if "Ctrl-C stops" in line)
        zones: set[str] = set()
        deadline = time.monotonic() + 35
        while time.monotonic() < deadline and not {"cold-room", "crt"} <= zones:
            time.sleep(1)
            try:
                latest = get(f"{base}/api/v1/readings/latest", token)
            except OSError:
                continue
            zones = {r["zone"] for r in latest if r["quantity"] == "temperature_c"}  # type: ignore[union-attr]
        assert {"cold-room", "crt"} <= zones
        cold = [r for r in latest if r["zone"] == "cold-room"  # type: ignore[union-attr]
                and r["quantity"] == "temperature_c"]
        assert all(-5 < r["value"] < 20 for r in cold)
        assert get(f"{base}/health")["status"] == "ok"  # type: ignore[index]
        # The dock's simulated serial scanner receives vaccine: stock grows, by scans.
        deadline = time.monotonic() + 20
        stock: list = []
        while time.monotonic() < deadline and sum(r["quantity"] for r in stock) < 20:
            time.sleep(0.5)
            stock = get(f"{base}/api/v1/stock?item=FLU-VAC", token)  # type: ignore[assignment]
        assert sum(r["quantity"] for r in stock) >= 20 and len(stock) >= 2
        assert {r["location"] for r in stock} == {"RCV-01"}, stock
        scans = get(f"{base}/api/v1/scans", token)
        outcomes = [(s["outcome"], s.get("message")) for s in scans]  # type: ignore[union-attr]
        assert scans and {outcome for outcome, _ in outcomes} == {"booked"}, outcomes
        # A client following the README: MQTT 3.1.1 to the demo's broker.
        publish_as_the_readme_says(mqtt_port)
        deadline = time.monotonic() + 20
        mine: list = []
        while time.monotonic() < deadline and not mine:
            time.sleep(0.5)
            mine = get(f"{base}/api/v1/readings/latest?sensor=readme-t1", token)  # type: ignore[assignment]
        assert [(r["quantity"], r["value"]) for r in mine] == [("temperature_c", 4.5)]
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        rest, _ = demo.communicate(timeout=60)
        output = "".join(printed) + rest
    assert demo.returncode in (0, 130), output  # 130: stopped by SIGINT, as a shell reports it
    assert f"{base}/docs" in output
    assert "the dock's scanner receives 10 of FLU-VAC into RCV-01 every 1 s" in output
    broker_line = next(line for line in output.splitlines() if "MQTT broker" in line)
    assert f"mqtt://127.0.0.1:{mqtt_port} (MQTT 3.1.1;" in broker_line
    assert "Traceback" not in output


def publish_as_the_readme_says(mqtt_port: int) -> None:
    """One telemetry message from a new gateway, QoS 1, over MQTT 3.1.1; returns once
    the broker acknowledged it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="readme-client",
                         protocol=mqtt.MQTTv311)
    client.connect("127.0.0.1", mqtt_port)
    client.loop_start()
    try:
        payload = wire.encode(wire.Telemetry(gateway="readme-gw", seq=1, readings=[
            wire.Reading(sensor="readme-t1", ts=wire.utc_now(), quantities={"temperature_c": 4.5})
        ]))
        sent = client.publish(wire.gateway_topic("demo", "readme-gw", "telemetry"), payload, qos=1)
        sent.wait_for_publish(timeout=10)
        assert sent.is_published()
    finally:
        client.loop_stop()
        client.disconnect()


def _tee(stream: IO[str], keep: list[str]) -> Iterator[str]:
    for line in stream:
        keep.append(line)
        yield line


def test_the_demo_cooling_failure_raises_an_alarm_sent_to_the_notify_url(
    tmp_path: Path, webhook: Webhook,
) -> None:
    """`--notify URL` with the demo's timing made fast: the compressor fails 2 s in,
    the room warms 60 °C/min, the alarm follows 5 s beyond 8 °C."""
    http_port, mqtt_port = free_port(), free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--http-port", str(http_port),
         "--mqtt-port", str(mqtt_port), "--data-dir", str(tmp_path), "--duration", "90",
         "--cooling-failure-after", "2", "--cooling-rate", "60", "--alarm-delay", "5",
         "--notify", webhook.url("demo")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{http_port}"
    assert demo.stdout is not None
    printed: list[str] = []
    try:
        lines = _tee(demo.stdout, printed)
        token = read_token(lines)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not webhook.at("demo"):
            time.sleep(0.5)
        [message] = webhook.at("demo")[:1]
        assert "cold-room" in message.body["message"] and "8.0 °C" in message.body["message"]
        alarms = get(f"{base}/api/v1/alarms?kind=threshold", token)
        assert [(a["zone"], a["subject"]) for a in alarms] == [  # type: ignore[union-attr, index]
            ("cold-room", "cold-1")]
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
        output = "".join(printed) + rest
    assert "raised" in output and "Cold room (cold-room)" in output  # the log says it
    assert "Traceback" not in output
