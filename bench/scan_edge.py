"""Scan latency through the edge path at 20 scans/s on a simulated 115,200-baud line.

A simulated serial scanner (a pty, paced at the line's speed) types GS1 receipts at
their scheduled times; `stockwarden edge` (its own process) reads them, puts each
in its on-disk outbox and publishes it; a subscriber notes when each scan reaches
it through a real Mosquitto. Latency is measured from the moment the simulator
began writing the scan (wall clock, same machine) to its arrival.

Stages:
- scan-to-broker: the scan message at a subscriber of the gateway's scan topic.
- scan-to-result: the hub's answer on the gateway's scan-result topic, which the hub
  sends after booking; that is the scan-to-booked figure (target p99 <= 300 ms).
  It needs the hub's scan consumer: pass a running hub's broker with --broker-url,
  or start one next to this bench, and the stage fills in. Without a hub, no result
  comes and the stage reports none.

    .venv/bin/python -m bench.scan_edge [seconds, default 30] [--broker-url mqtt://host:port]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench._edge_common import percentile, start_agent, stop, table
from contract.wire import Scan, ScanResult, decode, subscription
from firmware_sim.scanner import ScannerSpec, SimScanner
from tests.support.services import Mosquitto

RATE = 20.0  # scans per second
BAUD = 115_200
RECEIPT = "]d2010950110153000317271231{GS}10B{n}{GS}21S{n}"
GATEWAY = "bench-scan"


class Stages:
    """When each scan (by its running number in the lot) reached each stage."""

    def __init__(self, host: str, port: int) -> None:
        self.broker: dict[int, float] = {}
        self.result: dict[int, float] = {}
        self._seq_number: dict[int, int] = {}  # seq -> running number, for the results
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-scan-stages")
        self.client.on_connect = lambda c, *_: c.subscribe(
            [(subscription("scan"), 1), (subscription("scan-result"), 1)]
        )
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.time()
        with self._lock:
            if msg.topic.endswith("/scan"):
                scan = decode(Scan, msg.payload)
                number = int(scan.raw.split("\x1d21S", 1)[1])
                self._seq_number[scan.seq] = number
                self.broker.setdefault(number, now)
            else:
                result = decode(ScanResult, msg.payload)
                number = self._seq_number.get(result.seq)
                if number is not None:
                    self.result.setdefault(number, now)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def row(name: str, written: dict[int, float], arrived: dict[int, float], target: str) -> list:
    latencies = [(arrived[n] - written[n]) * 1000 for n in written if n in arrived]
    if not latencies:
        return [name, f"0/{len(written)}", "-", "-", "-", target]
    return [
        name,
        f"{len(latencies)}/{len(written)}",
        percentile(latencies, 50),
        percentile(latencies, 99),
        max(latencies),
        target,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=30.0)
    parser.add_argument("--broker-url", help="a running broker (with a hub); default: own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = None
        url = args.broker_url
        if url is None:
            broker = Mosquitto(work / "mosquitto")
            broker.start()
            url = broker.url
        parts = urlsplit(url)
        link = work / "scanner0"
        scanner = SimScanner(ScannerSpec(link=link, baud=BAUD, suffix="CR"))
        stages = Stages(parts.hostname or "127.0.0.1", parts.port or 1883)
        agent = start_agent(
            work,
            {
                "gateway": GATEWAY,
                "site": "bench",
                "broker": {"url": url},
                "scanners": [
                    {"id": "dock", "port": str(link), "baud": BAUD, "terminator": "CR",
                     "mode": "receive", "location": "DOCK-1", "operator": "bench"}
                ],
                "outbox": {"path": str(work / "outbox.db")},
            },
        )
        written: dict[int, float] = {}
        try:
            time.sleep(3)  # the agent starts, opens the port and connects
            count = int(args.seconds * RATE)
            start = time.monotonic() + 0.1
            for index in range(count):
                delay = start + index / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                number = scanner.typed
                _, written[number] = scanner.type_scan(RECEIPT)
            deadline = time.monotonic() + 10
            while len(stages.broker) < count and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1 if stages.result else 0)
        finally:
            stop(agent)
            stages.close()
            scanner.stop()
            if broker is not None:
                broker.stop()
        print(
            table(
                f"scan latency, {RATE:g} scans/s for {args.seconds:g}s at {BAUD} baud "
                "(from the simulator's write), ms",
                ["stage", "arrived", "p50", "p99", "max", "target p99"],
                [
                    row("scan-to-broker", written, stages.broker, ""),
                    row("scan-to-result (booked)", written, stages.result, "<= 300 ms"),
                ],
            )
        )
        if not stages.result:
            print("no scan results: no hub scan consumer on this broker (see the docstring)")


if __name__ == "__main__":
    main()
