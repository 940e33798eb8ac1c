"""What `stockwarden hub` logs as it starts names its broker, time-series store and
database without their passwords or tokens (issue 15, finding 6)."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import free_port
from tests.support.services import Mosquitto

BROKER_PASSWORD = "br0ker-Pa55"  # test secrets that must not be logged
TSDB_PASSWORD = "tsdb-Pa55"
TSDB_TOKEN = "tsdb-T0ken"


def _start_output(env: dict[str, str], until: str, timeout: float = 30) -> str:
    """The hub's stderr from its start until a line with `until`, then stopped."""
    process = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub"], env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=Path(__file__).parents[2])
    assert process.stderr is not None
    lines: list[str] = []
    watch = selectors.DefaultSelector()
    watch.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not any(until in line for line in lines):
            if watch.select(timeout=0.5):
                line = process.stderr.readline()
                if not line:
                    break
                lines.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return "".join(lines)


def test_the_start_line_masks_broker_and_time_series_secrets(
    tmp_path: Path, mosquitto: Mosquitto,
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "STOCKWARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "STOCKWARDEN_HTTP_PORT": str(free_port()),
        "STOCKWARDEN_MQTT_URL": f"mqtt://hub:{BROKER_PASSWORD}@127.0.0.1:{mosquitto.port}",
        # An unreachable store is fine: the hub spools and logs where it writes.
        "STOCKWARDEN_TSDB_URL":
            f"http://vm:{TSDB_PASSWORD}@127.0.0.1:{free_port()}/?token={TSDB_TOKEN}&db=x",
    }
    # Until the server runs: ingest, the store and the broker have logged by then.
    output = _start_output(env, until="Application startup complete")
    assert "Application startup complete" in output, output
    start = next(line for line in output.splitlines() if "hub starting" in line)
    assert f"broker=mqtt://hub:***@127.0.0.1:{mosquitto.port}" in start
    assert "timeseries=http://vm:***@127.0.0.1:" in start and "token=***&db=x" in start
    # And which font the PDFs print Chinese with (./run installs fonts-wqy-microhei).
    assert "PDF font for labels and reports font=/usr/share/fonts/" in output
    for secret in (BROKER_PASSWORD, TSDB_PASSWORD, TSDB_TOKEN):
        assert secret not in output
