"""The README's first command: `stockwarden demo` shows readings over HTTP, stops on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.services import free_port


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_the_demo_serves_simulated_readings_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    http_port, mqtt_port = free_port(), free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--http-port", str(http_port),
         "--mqtt-port", str(mqtt_port), "--data-dir", str(tmp_path), "--duration", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        zones: set[str] = set()
        deadline = time.monotonic() + 35
        while time.monotonic() < deadline and not {"cold-room", "crt"} <= zones:
            time.sleep(1)
            try:
                latest = get(f"{base}/api/v1/readings/latest")
            except OSError:
                continue
            zones = {r["zone"] for r in latest if r["quantity"] == "temperature_c"}  # type: ignore[union-attr]
        assert {"cold-room", "crt"} <= zones
        cold = [r for r in latest if r["zone"] == "cold-room"  # type: ignore[union-attr]
                and r["quantity"] == "temperature_c"]
        assert all(-5 < r["value"] < 20 for r in cold)
        assert get(f"{base}/health")["status"] == "ok"  # type: ignore[index]
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode in (0, 130), output  # 130: stopped by SIGINT, as a shell reports it
    assert f"{base}/docs" in output
    assert "Traceback" not in output
