"""The README's first command: `stockwarden demo` shows readings over HTTP, stops on Ctrl-C."""

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

from tests.services import free_port


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
         "--mqtt-port", str(mqtt_port), "--data-dir", str(tmp_path), "--duration", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{http_port}"
    assert demo.stdout is not None
    printed: list[str] = []
    try:
        token = read_token(_tee(demo.stdout, printed))
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
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        rest, _ = demo.communicate(timeout=60)
        output = "".join(printed) + rest
    assert demo.returncode in (0, 130), output  # 130: stopped by SIGINT, as a shell reports it
    assert f"{base}/docs" in output
    assert "Traceback" not in output


def _tee(stream: IO[str], keep: list[str]) -> Iterator[str]:
    for line in stream:
        keep.append(line)
        yield line
