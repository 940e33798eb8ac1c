"""End-to-end ingest benchmark: MQTT -> one hub process -> VictoriaMetrics (+ PostgreSQL).

    .venv/bin/python -m bench.ingest [--messages 50000] [--seconds 20]

Throughput is measured by draining a backlog: the hub's persistent session is
created, the hub stopped, N messages published (the broker queues them), the hub
started again, and the time from its first accepted reading to the last reading
accepted by the time-series store is taken. The ceiling is measured the same way
with `mosquitto_sub` as the only (persistent, QoS 1) subscriber, in the same run.

Latency is measured live at a steady 2,000 readings/s: a small HTTP proxy in
front of VictoriaMetrics stamps each line's arrival, and latency is arrival
minus the reading's timestamp (set at publish time).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge import wire
from tests.services import Mosquitto, Postgres, VictoriaMetrics, find_binary, free_port, wait_for

TOPIC_FILTER = "stockwarden/v1/+/+/telemetry"
_ids = itertools.count()


def make_payloads(count: int, per_message: int, sensors: int, gateway: str) -> list[bytes]:
    base = time.time() - 600
    payloads = []
    for seq in range(count):
        readings = []
        for i in range(per_message):
            index = seq * per_message + i
            sensor = f"s{index % sensors}"
            # A millisecond apart: every reading is its own sample in the store.
            stamp = _iso(base + index * 0.001)
            readings.append(
                f'{{"sensor":"{sensor}","ts":"{stamp}",'
                f'"quantities":{{"temperature_c":{5 + (i % 7) * 0.1:.1f},"humidity_pct":50.0}}}}'
            )
        payloads.append(
            f'{{"gateway":"{gateway}","seq":{seq},"readings":[{",".join(readings)}]}}'.encode()
        )
    return payloads


def _iso(epoch: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{whole}.{int(epoch * 1000) % 1000:03d}Z"


def publish(port: int, topic: str, payloads: list[bytes], rate: float | None = None) -> float:
    """Publish at QoS 1 and wait for every PUBACK. Returns seconds taken."""
    done = threading.Event()
    acked = 0
    total = len(payloads)

    def on_publish(*_args: object) -> None:
        nonlocal acked
        acked += 1
        if acked >= total:
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{next(_ids)}")
    client.max_inflight_messages_set(5000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.perf_counter()
    for index, payload in enumerate(payloads):
        if rate:
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        client.publish(topic, payload, qos=1)
    if not done.wait(300):
        raise RuntimeError(f"only {acked} of {total} messages acknowledged")
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


# --- the ceiling: mosquitto_sub as the only subscriber -------------------------


def broker_ceiling(broker: Mosquitto, payloads: list[bytes]) -> float:
    sub = find_binary("mosquitto_sub", "/usr/bin/mosquitto_sub")
    client_id = f"ceiling-{next(_ids)}"
    base = [sub, "-p", str(broker.port), "-q", "1", "-c", "-i", client_id, "-t", TOPIC_FILTER]
    subprocess.run([*base, "-W", "1"], capture_output=True)  # creates the persistent session
    publish(broker.port, wire.gateway_topic("bench", "ceiling", "telemetry"), payloads)
    started = time.perf_counter()
    subprocess.run([*base, "-C", str(len(payloads))], stdout=subprocess.DEVNULL, check=True)
    return len(payloads) / (time.perf_counter() - started)


# --- the hub as a process --------------------------------------------------------


class HubProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "STOCKWARDEN_HTTP_PORT": str(self.port),
                    "STOCKWARDEN_LOG_LEVEL": "WARNING"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "hub"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        wait_for(self._broker_ok, 60, "hub connected")

    def _broker_ok(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                return json.load(r)["checks"]["broker"]["ok"]
        except urllib.error.HTTPError as exc:
            return json.load(exc)["checks"]["broker"]["ok"]

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            values = {}
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#") and " " in line:
                    name, value = line.rsplit(" ", 1)
                    values[name] = float(value)
            return values

    def rss_mb(self) -> tuple[float, float]:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)


def drain_rate(hub: HubProcess, expected_readings: int) -> tuple[float, float]:
    """Readings/s from the first accepted reading to the last one stored."""
    first = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        values = hub.metrics()
        now = time.perf_counter()
        if first is None and values.get("stockwarden_ingest_readings_total", 0) > 0:
            first = (now, values["stockwarden_ingest_readings_total"])
        if values.get("stockwarden_tsdb_readings_written_total", 0) >= expected_readings:
            assert first is not None
            seconds = now - first[0]
            counted = expected_readings - first[1]
            return counted / seconds, seconds
        time.sleep(0.05)
    raise TimeoutError("the hub did not drain the backlog")


def hub_throughput(
    broker: Mosquitto, env: dict[str, str], messages: int, per_message: int, sensors: int
) -> dict[str, float]:
    hub = HubProcess(env)
    hub.start()  # creates the persistent session and the schema
    hub.stop()
    gateway = f"gw{next(_ids)}"
    payloads = make_payloads(messages, per_message, sensors, gateway)
    publish(broker.port, wire.gateway_topic("bench", gateway, "telemetry"), payloads)
    hub.start()
    try:
        rate, seconds = drain_rate(hub, messages * per_message)
        rss, peak = hub.rss_mb()
    finally:
        hub.stop()
    return {"readings_per_s": rate, "messages_per_s": rate / per_message, "seconds": seconds,
            "rss_mb": rss, "peak_rss_mb": peak}


# --- latency at a steady rate ----------------------------------------------------


class StampingProxy:
    """Forwards writes to the store and records each line's arrival latency."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.latencies: list[float] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, method="POST",
                    headers={k: v for k, v in self.headers.items()
                             if k.lower() in ("content-type", "content-encoding")},
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
                arrived = time.time()
                for line in body.decode().splitlines():
                    proxy.latencies.append(arrived - int(line.rsplit(" ", 1)[1]) / 1000)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def live_latency(broker: Mosquitto, env: dict[str, str], victoria: VictoriaMetrics,
                 rate: int, seconds: int) -> dict[str, float]:
    proxy = StampingProxy(victoria.url)
    hub = HubProcess({**env, "STOCKWARDEN_TSDB_URL": proxy.url})
    hub.start()
    gateway = f"gw{next(_ids)}"
    topic = wire.gateway_topic("bench", gateway, "telemetry")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-live-{next(_ids)}")
    client.max_inflight_messages_set(5000)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    total = rate * seconds
    started = time.perf_counter()
    for seq in range(total):
        delay = started + seq / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        stamp = _iso(time.time())
        payload = (f'{{"gateway":"{gateway}","seq":{seq},"readings":[{{"sensor":"live{seq % 100}",'
                   f'"ts":"{stamp}","quantities":{{"temperature_c":5.0}}}}]}}')
        client.publish(topic, payload.encode(), qos=1)
    wait_for(lambda: len(proxy.latencies) >= total, 60, "all live readings stored")
    achieved = total / (time.perf_counter() - started)
    client.disconnect()
    client.loop_stop()
    hub.stop()
    proxy.close()
    ordered = sorted(proxy.latencies)
    return {
        "rate": achieved,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000,
                        help="backlog size for the one-reading run")
    parser.add_argument("--batched-messages", type=int, default=4_000,
                        help="backlog size for the 50-readings run")
    parser.add_argument("--seconds", type=int, default=20, help="length of the live run")
    parser.add_argument("--rate", type=int, default=2_000, help="readings/s of the live run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="stockwarden-bench-"))
    broker = Mosquitto(workdir / "mosquitto")
    victoria = VictoriaMetrics(workdir / "victoria")
    postgres = Postgres(workdir / "postgres")
    for service in (broker, victoria, postgres):
        service.start()
    try:
        def env(name: str) -> dict[str, str]:
            return {
                "STOCKWARDEN_DATABASE_URL": postgres.create_database(name),
                "STOCKWARDEN_MQTT_URL": broker.url,
                "STOCKWARDEN_MQTT_CLIENT_ID": f"bench-hub-{name}",
                "STOCKWARDEN_TSDB_URL": victoria.url,
            }

        single = make_payloads(args.messages, 1, 100, "ceiling")
        ceiling = broker_ceiling(broker, single)
        one = hub_throughput(broker, env("one"), args.messages, 1, 100)
        # 20 gateways' worth of 50 sensors: a large warehouse.
        batched = hub_throughput(broker, env("batched"), args.batched_messages, 50, 1_000)
        # Memory: the same flow over 10,000 distinct sensors.
        wide = hub_throughput(broker, env("wide"), 1_000, 50, 10_000)
        latency = live_latency(broker, env("live"), victoria, args.rate, args.seconds)
    finally:
        for service in (broker, victoria):
            service.stop()
        postgres.cleanup()

    print("\nStockwarden ingest benchmark (one hub process, PostgreSQL, VictoriaMetrics, "
          f"Mosquitto; {os.cpu_count()} cores)\n")
    print(f"{'measure':<52}{'value':>14}{'target':>12}{'ratio':>10}")
    rows = [
        ("broker pass-through, mosquitto_sub QoS 1 (msg/s)", ceiling, None, None),
        ("hub, 1 reading/message (msg/s)", one["messages_per_s"], 5_000,
         one["messages_per_s"] / ceiling),
        ("hub, 50 readings/message (readings/s)", batched["readings_per_s"], 50_000,
         batched["messages_per_s"] / ceiling),
        (f"latency p50 at {latency['rate']:.0f} readings/s (ms)", latency["p50_ms"], None, None),
        (f"latency p99 at {latency['rate']:.0f} readings/s (ms)", latency["p99_ms"], 1000, None),
        ("hub, 50 readings/message over 10,000 sensors (readings/s)", wide["readings_per_s"],
         None, None),
        ("hub RSS after 10,000 distinct sensors (MB)", wide["rss_mb"], 200, None),
        ("hub peak RSS in that run (MB)", wide["peak_rss_mb"], 200, None),
    ]
    for name, value, target, ratio in rows:
        target_text = f"{target:,}" if target else ""
        ratio_text = f"{ratio:.3f}" if ratio is not None else ""
        print(f"{name:<52}{value:>14,.1f}{target_text:>12}{ratio_text:>10}")
    print("\nratio: hub messages/s over the broker's own pass-through to one subscriber.")


if __name__ == "__main__":
    main()
