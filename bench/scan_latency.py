"""Scan-to-booked latency on PostgreSQL: the edge path at 20 scans/s (115,200 baud) and
the HTTP path at 50 scans/s from 20 clients, open loop.

Everything real, on this machine: PostgreSQL and Mosquitto (tests.support.services), the hub
(`stockwarden hub`, its own process, with the MQTT scan consumer), and for the edge
path `stockwarden edge` (its own process) reading a simulated serial scanner on a
pty paced at the line's speed.

- edge path: from the moment the simulator began writing a GS1 receipt to the
  moment the hub's answer (`booked`, sent after the booking committed) arrives on
  the gateway's scan-result topic: pty -> edge outbox -> Mosquitto -> hub ->
  committed booking -> scan-result. Target p99 <= 300 ms.
- HTTP path: POST /api/v1/scan (receive) at 50 requests/s spread over 20 keep-alive
  clients; each request has a scheduled send time, and its latency is measured
  from that time (open loop: a slow answer delays the client's next request, and
  that delay counts). Target p99 <= 100 ms.

    .venv/bin/python -m bench.scan_latency [--seconds 30] [--http-rate 50] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench._edge_common import percentile, start_agent, stop, table
from bench.scan_edge import BAUD, GATEWAY, RATE, RECEIPT, Stages, row
from contract.wire import ScanMode
from firmware_sim.scanner import ScannerSpec, SimScanner
from hub.accounts.service import create_user_with_token
from hub.container import Hub
from hub.settings import load_settings
from inventory.orm import Item, Location
from inventory.scans.registry import put_scanner
from inventory.scans.schemas import ScannerRegistration
from kernel.actors import Role
from kernel.orm import StorageClass, Zone
from tests.support.processes import free_port, port_open, wait_for
from tests.support.services import Mosquitto, Postgres

GTIN = "09501101530003"  # the GTIN of RECEIPT
BIN = "DOCK-1"
HTTP_RECEIPT = "]d201" + GTIN + "17271231\x1d10H{n}\x1d21S{n}"


def prepare(url: str) -> str:
    """Master data, the scanner's registration; returns the operator's API token."""
    hub = Hub.build(load_settings(database_url=url))
    with hub.writes() as session, session.begin():
        zone = Zone(code="Z1", name="hall", storage_class=StorageClass(code="ROOM", name="room"))
        session.add(Location(code=BIN, zone=zone))
        session.add(Item(sku="BENCH-1", gtin=GTIN, name="bench item",
                         storage_class=zone.storage_class))
    with hub.writes() as session:
        token = create_user_with_token(session, "bench-dock", Role.OPERATOR).token
        put_scanner(session, GATEWAY, "dock", ScannerRegistration(
            operator="bench-dock", modes=[ScanMode.RECEIVE], location=BIN))
    hub.engine.dispose()
    return token


def start_hub(work: Path, url: str, mqtt_url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "STOCKWARDEN_DATABASE_URL": url, "STOCKWARDEN_MQTT_URL": mqtt_url,
           "STOCKWARDEN_MQTT_CLIENT_ID": "bench-hub", "STOCKWARDEN_LOG_LEVEL": "WARNING"}
    env.pop("STOCKWARDEN_TSDB_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "--http-port", str(port)], env=env,
        stdout=(work / "hub.log").open("ab"), stderr=subprocess.STDOUT)
    wait_for(lambda: port_open(port), 60, "hub")

    def consumer_ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                return bool(json.load(answer)["checks"]["scan_consumer"]["ok"])
        except Exception:
            return False

    wait_for(consumer_ready, 30, "the scan consumer")
    return process, port


def edge_path(work: Path, mqtt: Mosquitto, seconds: float) -> list:
    link = work / "scanner0"
    scanner = SimScanner(ScannerSpec(link=link, baud=BAUD, suffix="CR"))
    stages = Stages("127.0.0.1", mqtt.port)
    agent = start_agent(work, {
        "gateway": GATEWAY, "site": "bench", "broker": {"url": mqtt.url},
        "scanners": [{"id": "dock", "port": str(link), "baud": BAUD, "terminator": "CR",
                      "mode": "receive", "location": BIN}],
        "outbox": {"path": str(work / "outbox.db")},
    })
    written: dict[int, float] = {}
    try:
        time.sleep(3)  # the agent starts, opens the port and connects
        count = int(seconds * RATE)
        start = time.monotonic() + 0.1
        for index in range(count):
            delay = start + index / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            number = scanner.typed
            _, written[number] = scanner.type_scan(RECEIPT)
        deadline = time.monotonic() + 15
        while len(stages.result) < count and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop(agent)
        stages.close()
        scanner.stop()
    rejected = (work / "agent.log").read_text(errors="replace").count("rejected")
    if rejected:
        print(f"the edge rejected {rejected} scans (a pause of inter_char_timeout inside a "
              f"scan cuts it: the machine starved the agent or the simulator)")
    return [row("scan-to-broker", written, stages.broker, ""),
            row("scan-to-booked (scan-result)", written, stages.result, "<= 300 ms")]


async def _http_client(port: int, token: str, schedule: list[tuple[int, float]],
                       latencies: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for number, send_at in schedule:
        pause = send_at - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        payload = json.dumps({"raw": HTTP_RECEIPT.format(n=number), "mode": "receive",
                              "location": BIN}).encode()
        writer.write((
            f"POST /api/v1/scan HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append((time.monotonic() - send_at) * 1000)
        statuses.append(int(head[9:12]))
    writer.close()


def http_path(port: int, token: str, seconds: float, rate: float, clients: int) -> list:
    count = int(seconds * rate)
    start = time.monotonic() + 0.5
    schedule = [(n, start + n / rate) for n in range(count)]
    latencies: list[float] = []
    statuses: list[int] = []

    async def main() -> None:
        await asyncio.gather(*(
            _http_client(port, token, schedule[c::clients], latencies, statuses)
            for c in range(clients)))

    asyncio.run(main())
    ok = sum(1 for status in statuses if status < 300)
    return [f"POST /scan, {rate:g}/s, {clients} clients", f"{ok}/{count}",
            percentile(latencies, 50), percentile(latencies, 99), max(latencies), "<= 100 ms"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per path")
    parser.add_argument("--http-rate", type=float, default=50.0)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pg = Postgres(work / "pg")
        pg.start()
        mqtt = Mosquitto(work / "mosquitto")
        mqtt.start()
        hub = None
        try:
            url = pg.create_database("scans")
            token = prepare(url)
            hub, port = start_hub(work, url, mqtt.url)
            edge = edge_path(work, mqtt, args.seconds)
            http = http_path(port, token, args.seconds, args.http_rate, args.clients)
        finally:
            if hub is not None:
                stop(hub)
            mqtt.stop()
            pg.cleanup()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(table(
        f"scan-to-booked latency, hub on PostgreSQL; edge: {RATE:g} scans/s at {BAUD} baud, "
        f"HTTP: open loop; {args.seconds:g} s each, ms (load average {load}, "
        f"{os.cpu_count()} cores)",
        ["path", "booked", "p50", "p99", "max", "target p99"], [*edge, http]))


if __name__ == "__main__":
    main()
