"""The processes `bench.ingest` drives: hub processes, a Node-RED flow, and what it
reads from outside (CPU time and memory from /proc, VictoriaMetrics' row counter)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.processes import free_port, wait_for

TICKS = os.sysconf("SC_CLK_TCK")
# Where `npm install` puts Node-RED for the comparison (ignored by git).
NODE_DIR = Path(__file__).resolve().parent.parent / ".bench" / "node"
NODE_PACKAGES = ("node-red", "node-red-contrib-influxdb")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU time of `root` and its children (PostgreSQL: the postmaster and its backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except (OSError, ValueError):
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS now, peak RSS) in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


class Process:
    """Something that drains the backlog: its pid(s) for CPU and memory."""

    def pids(self) -> list[int]:
        raise NotImplementedError

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def peak_rss_mb(self) -> float:
        return max(memory_mb(pid)[1] for pid in self.pids())


class HubProcess(Process):
    # Another checkout's code for the hub (a before/after comparison), else this one.
    source: Path | None = None

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.env = {**os.environ, **env, "STOCKWARDEN_HTTP_PORT": str(self.port),
                    "STOCKWARDEN_LOG_LEVEL": "WARNING"}
        if self.source:
            self.env["PYTHONPATH"] = str(self.source)
        self.process: subprocess.Popen[bytes] | None = None

    def pids(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid]

    def start(self) -> None:
        self.launch()
        wait_for(self._broker_ok, 120, "hub connected")

    def launch(self) -> None:
        """Start the process, not waiting for it."""
        # A port free now: the one of an earlier start may have been taken meanwhile by
        # another process on this shared machine.
        self.port = free_port()
        self.env["STOCKWARDEN_HTTP_PORT"] = str(self.port)
        # To a file, never a pipe nobody reads: a full pipe would stall the hub.
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "hub"], env=self.env,
                stdout=subprocess.DEVNULL, stderr=log, cwd=self.source,
            )

    def _broker_ok(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the hub exited: {self.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                return bool(json.load(r)["checks"]["broker"]["ok"])
        except urllib.error.HTTPError as exc:
            return bool(json.load(exc)["checks"]["broker"]["ok"])

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            values = {}
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#") and " " in line:
                    name, value = line.rsplit(" ", 1)
                    values[name] = float(value)
            return values

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)


class HubGroup(Process):
    """One or more hub processes started and stopped together."""

    def __init__(self, hubs: list[HubProcess]) -> None:
        self.hubs = hubs
        self.sessions_made = False

    def pids(self) -> list[int]:
        return [pid for hub in self.hubs for pid in hub.pids()]

    def start(self) -> None:
        """Launch every process at once and return when the first is on the broker: the
        drain's window (from the first reading stored) then holds the others' start,
        as it would in service. Waiting for all of them would let the first drain the
        backlog alone meanwhile, the others' queued shares included (it adopts the
        sessions of members that are not up: contract/share_slots.py). The first start
        (`Bench.prepare`) waits for all: it makes their sessions at the broker."""
        for hub in self.hubs:
            hub.launch()
        wanted = all if not self.sessions_made else any
        wait_for(lambda: wanted([hub._broker_ok() for hub in self.hubs]), 120, "hubs connected")
        self.sessions_made = True

    def stop(self) -> None:
        for hub in self.hubs:
            hub.stop()


# --- Node-RED ------------------------------------------------------------------------

# mqtt-in -> function (payload -> one point per reading, the hub's fields) -> join
# (up to 5,000 points or 50 ms, the hub's own batch bounds) -> influxdb batch (v2 API).
TO_POINTS = """
const out = [];
for (const r of msg.payload.readings) {
    const fields = {quality: r.quality === 'bad' ? 2 : (r.quality === 'uncertain' ? 1 : 0)};
    for (const [name, value] of Object.entries(r.quantities || {})) fields[name] = value;
    out.push({payload: {measurement: 'reading', fields: fields,
        tags: {site: msg.topic.split('/')[2], gateway: msg.payload.gateway, sensor: r.sensor},
        timestamp: Date.parse(r.ts)}});
}
return [out];
"""


def node_red_available() -> str | None:
    """None when Node-RED can run, else why not (installing it into .bench/node if npm
    exists)."""
    if shutil.which("node") is None:
        return "node is not installed (Debian: nodejs, npm)"
    if not (NODE_DIR / "node_modules" / "node-red-contrib-influxdb").exists():
        npm = shutil.which("npm")
        if npm is None:
            return "npm is not installed (Debian: npm)"
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR),
             *NODE_PACKAGES], capture_output=True, text=True)
        if result.returncode != 0:
            return f"npm install {' '.join(NODE_PACKAGES)} failed: {result.stderr[-500:]}"
    return None


class NodeRed(Process):
    def __init__(self, workdir: Path, broker_port: int, victoria_url: str,
                 client_id: str) -> None:
        self.userdir = workdir / client_id
        self.userdir.mkdir(parents=True, exist_ok=True)
        flow = [
            {"id": "bench-tab", "type": "tab", "label": "bench"},
            {"id": "bench-broker", "type": "mqtt-broker", "broker": "127.0.0.1",
             "port": str(broker_port), "clientid": client_id, "autoConnect": True,
             "usetls": False, "protocolVersion": "4", "keepalive": "60",
             "cleansession": False, "autoUnsubscribe": False, "birthTopic": "",
             "closeTopic": "", "willTopic": ""},
            {"id": "bench-in", "type": "mqtt in", "z": "bench-tab",
             "topic": "stockwarden/v1/+/+/telemetry",
             "qos": "1", "datatype": "json", "broker": "bench-broker", "nl": False, "rap": True,
             "rh": 0, "inputs": 0, "wires": [["bench-fn"]]},
            {"id": "bench-fn", "type": "function", "z": "bench-tab", "name": "to points",
             "func": TO_POINTS, "outputs": 1, "wires": [["bench-join"]]},
            {"id": "bench-join", "type": "join", "z": "bench-tab",
             "mode": "custom", "build": "array",
             "property": "payload", "propertyType": "msg", "key": "topic", "joiner": "\\n",
             "joinerType": "str", "accumulate": False, "timeout": "0.05", "count": "5000",
             "wires": [["bench-out"]]},
            {"id": "bench-out", "type": "influxdb batch", "z": "bench-tab", "influxdb": "bench-vm",
             "precision": "ms", "precisionV18FluxV20": "ms", "org": "stockwarden",
             "bucket": "stockwarden", "wires": []},
            {"id": "bench-vm", "type": "influxdb", "hostname": "127.0.0.1", "port": "8086",
             "protocol": "http", "database": "", "name": "vm", "usetls": False,
             "influxdbVersion": "2.0", "url": victoria_url, "rejectUnauthorized": False},
        ]
        (self.userdir / "flows.json").write_text(json.dumps(flow))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def pids(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid]

    def start(self) -> None:
        red = NODE_DIR / "node_modules" / "node-red" / "red.js"
        self.process = subprocess.Popen(
            ["node", str(red), "--userDir", str(self.userdir), "--port", str(self.port),
             str(self.userdir / "flows.json")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._up, 120, "Node-RED started")

    def _up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError("Node-RED exited")
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/flows", timeout=2) as r:
            return r.status == 200

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)


def settle(seconds: float = 0.5) -> None:
    time.sleep(seconds)


# --- profiles ------------------------------------------------------------------------


class Profiler:
    """`py-spy record` attached to one process until stopped; the collapsed stacks are
    kept, and `top` gives the functions with the most samples on their own (self) and
    under them (total)."""

    def __init__(self, pid: int, output: Path) -> None:
        self.output = output
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.process = subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--rate", "100", "--nonblocking",
             "--format", "raw", "--threads", "--output", str(output)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(60)
