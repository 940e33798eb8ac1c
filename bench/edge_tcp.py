"""Modbus TCP, 200 sensors at a 1 s interval: the agent's CPU, publish jitter and memory.

The simulator (its own process) serves 4 TCP gateways of 50 sensors each; the agent
runs as `stockwarden edge` (its own process) and publishes to a real Mosquitto.
Targets: at most 15 % of one core; resident memory at most 80 MB.

Latency, reading to broker: from each reading's timestamp (taken when its poll starts) to
the moment a subscriber on the same broker receives the message that carries it.

Jitter is measured two ways: the time between consecutive telemetry messages at the
subscriber against the 1 s cycle, and the time between consecutive polls of each
sensor (reading timestamps) against its 1 s interval.

    .venv/bin/python -m bench.edge_tcp [seconds, default 30] [--publish-interval S]

`--publish-interval 1` batches like the agent before issue 10 did (one message per
second), for a same-run comparison of CPU and latency.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import tempfile
import time
from pathlib import Path

from bench._edge_common import (
    Counter,
    cpu_seconds,
    memory_mb,
    percentile,
    start_agent,
    start_sim,
    table,
)
from bench._edge_common import stop as stop_process
from tests.support.services import Mosquitto

GATEWAYS = 4
PER_GATEWAY = 50


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.edge_tcp", description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=30.0, help="length of the run")
    parser.add_argument(
        "--publish-interval",
        type=float,
        default=None,
        help="the agent's publish_interval (default: the agent's own default)",
    )
    args = parser.parse_args()
    seconds = args.seconds
    extra = {} if args.publish_interval is None else {"publish_interval": args.publish_interval}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = Mosquitto(work / "mosquitto")
        broker.start()
        ports = free_ports(GATEWAYS)
        sim = start_sim(
            work,
            {
                "servers": {f"gw{g}": {"type": "tcp", "port": ports[g]} for g in range(GATEWAYS)},
                "devices": [
                    {
                        "server": f"gw{g}",
                        "unit_id": u,
                        "profile": "xy-md02",
                        "values": {"temperature_c": 5, "humidity_pct": 50},
                        "actions": [{"do": "steady"}],
                    }
                    for g in range(GATEWAYS)
                    for u in range(1, PER_GATEWAY + 1)
                ],
            },
        )
        counter = Counter(broker.port)
        agent = start_agent(
            work,
            {
                "gateway": "bench-tcp",
                "site": "bench",
                "broker": {"url": broker.url},
                "buses": {
                    f"gw{g}": {"type": "modbus-tcp", "host": "127.0.0.1", "port": ports[g]}
                    for g in range(GATEWAYS)
                },
                "sensors": [
                    {
                        "id": f"s{g}-{u}",
                        "bus": f"gw{g}",
                        "unit_id": u,
                        "profile": "xy-md02",
                        "poll_interval": 1.0,
                    }
                    for g in range(GATEWAYS)
                    for u in range(1, PER_GATEWAY + 1)
                ],
                "outbox": {"path": str(work / "outbox.db")},
                **extra,
            },
        )
        try:
            time.sleep(5)  # start-up and first cycles
            cpu0, t0 = cpu_seconds(agent.pid), time.monotonic()
            first = len(counter.arrivals)
            time.sleep(seconds)
            cpu1, t1 = cpu_seconds(agent.pid), time.monotonic()
            rss, peak = memory_mb(agent.pid)
            with counter.lock:
                window = counter.arrivals[first:]
            latencies = counter.latencies_ms(first)
        finally:
            stop_process(agent)
            stop_process(sim)
            counter.close()
            broker.stop()
    cpu = (cpu1 - cpu0) / (t1 - t0)
    message_gaps = [(b[0] - a[0]) * 1000 for a, b in itertools.pairwise(window)]
    per_sensor: dict[str, list] = {}
    for _, telemetry in window:
        for reading in telemetry.readings:
            per_sensor.setdefault(reading.sensor, []).append(reading.ts)
    poll_jitter = [
        abs((b - a).total_seconds() - 1.0) * 1000
        for stamps in per_sensor.values()
        for a, b in itertools.pairwise(sorted(stamps))
    ]
    readings = sum(len(t.readings) for _, t in window)
    bad = sum(1 for _, t in window for r in t.readings if r.quality != "good")
    expected = GATEWAYS * PER_GATEWAY * (t1 - t0)
    print(
        table(
            f"Modbus TCP, {GATEWAYS * PER_GATEWAY} sensors at 1 s, {seconds:g} s measured, "
            f"publish_interval {args.publish_interval or 'default'}",
            ["figure", "value", "anchor", "ratio"],
            [
                [
                    "agent CPU, % of one core",
                    cpu * 100,
                    "<= 15 %",
                    f"{cpu * 100 / 15:.0%} of budget",
                ],
                [
                    "agent RSS now / peak, MB",
                    f"{rss:.1f} / {peak:.1f}",
                    "<= 80 MB",
                    f"{peak / 80:.0%} of budget",
                ],
                [
                    "readings received / expected",
                    f"{readings} / {expected:.0f}",
                    "all",
                    f"{readings / expected:.1%}",
                ],
                ["bad readings", bad, "0", ""],
                [
                    "reading to broker p50 / p99 / max, ms",
                    f"{percentile(latencies, 50):.0f} / {percentile(latencies, 99):.0f}"
                    f" / {max(latencies, default=float('nan')):.0f}",
                    "p99 <= 1000 ms",
                    "",
                ],
                ["telemetry messages", len(window), f"{t1 - t0:.0f} s", ""],
                [
                    "message interval p50 / p99, ms",
                    f"{percentile(message_gaps, 50):.1f} / {percentile(message_gaps, 99):.1f}",
                    f"publish_interval {args.publish_interval or 'default'}",
                    "",
                ],
                [
                    "per-sensor poll jitter p50 / p99, ms",
                    f"{percentile(poll_jitter, 50):.1f} / {percentile(poll_jitter, 99):.1f}",
                    "",
                    "",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
