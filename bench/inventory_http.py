"""Inventory benchmark on PostgreSQL: receive and dispatch over HTTP with 32
concurrent clients, pgbench's TPC-B-like tps as the database's ceiling, and
allocation time for one item with 1,000 lots among 1,000 vs 1,000,000 lots.

    .venv/bin/python -m bench.inventory_http [--seconds 20] [--clients 32] [--workers 2]

A script, not a test. It starts its own PostgreSQL (tests.services.Postgres) and
serves the hub with uvicorn in subprocesses. The load generator speaks minimal
HTTP/1.1 over keep-alive asyncio connections, so it costs little CPU next to the
server and the database on the same machine."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from hub.container import Hub
from hub.settings import load_settings
from inventory import services
from inventory.commands import PickPreview
from inventory.masterdata import ItemCreate, create_item
from inventory.orm import Location
from inventory.users import create_user_with_token
from kernel.actors import Role
from kernel.orm import StorageClass, Zone
from tests.services import Postgres, free_port, port_open, wait_for


def make_app():  # type: ignore[no-untyped-def]
    """uvicorn factory for the worker processes (schema is migrated beforehand)."""
    from hub.app import create_app

    settings = load_settings(database_url=os.environ["STOCKWARDEN_DATABASE_URL"],
                             database_pool_size=int(os.environ.get("BENCH_POOL", "20")))
    return create_app(Hub.build(settings, migrate_schema=False), manage_lifecycle=False)


def prepare(url: str, items: int) -> str:
    """Master data: one zone with 8 bins, `items` items; returns an operator token."""
    hub = Hub.build(load_settings(database_url=url))
    with hub.writes() as session:
        token = create_user_with_token(session, "bench", Role.OPERATOR).token
    with hub.writes() as session, session.begin():
        zone = Zone(code="Z1", name="hall", storage_class=StorageClass(code="ROOM", name="room"))
        session.add_all([Location(code=f"B{n}", zone=zone) for n in range(8)])
        session.flush()
        for n in range(items):
            create_item(session, ItemCreate(sku=f"SKU{n}", name=f"item {n}",
                                            storage_class="ROOM"))
    hub.engine.dispose()
    return token


@dataclass
class Phase:
    name: str
    ok: int
    refused: int
    seconds: float
    latencies_ms: list[float]

    def report(self) -> dict[str, float]:
        lat = sorted(self.latencies_ms)
        pct = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
        return {"requests_per_s": round(self.ok / self.seconds, 1), "ok": self.ok,
                "refused": self.refused, "p50_ms": round(pct[49], 1),
                "p99_ms": round(pct[98], 1)}


async def _client(port: int, token: str, body_for: object, stop_at: float,
                  latencies: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    while time.monotonic() < stop_at:
        path, body = body_for(n)  # type: ignore[operator]
        payload = json.dumps(body).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.append(int(head[9:12]))
        n += 1
    writer.close()


def run_phase(name: str, port: int, token: str, clients: int, seconds: float,
              body_for_client: object) -> Phase:
    latencies: list[float] = []
    statuses: list[int] = []

    async def main() -> None:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(
            _client(port, token, body_for_client(c), stop_at, latencies, statuses)  # type: ignore[operator]
            for c in range(clients)))

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    ok = sum(1 for s in statuses if s < 300)
    return Phase(name, ok, len(statuses) - ok, elapsed, latencies)


def pgbench(pg: Postgres, clients: int, seconds: int) -> float:
    binary = str(pg.bindir / "pgbench")
    pg.create_database("pgbench")
    conn = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]
    subprocess.run([binary, "-i", "-q", "-s", "10", *conn, "pgbench"], check=True,
                   capture_output=True)
    out = subprocess.run([binary, "-c", str(clients), "-j", "2", "-T", str(seconds), *conn,
                          "pgbench"], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def allocation_ms(hub: Hub, sku: str, rounds: int = 30) -> float:
    timings = []
    for _ in range(rounds):
        with hub.sessions() as session:
            started = time.perf_counter()
            services.preview_pick(session, PickPreview(item=sku, quantity=900))
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


BULK_LOTS = """
INSERT INTO items (sku, name, unit, min_stock, policy, hazardous, quarantine_on_receipt)
SELECT 'BULK' || i, 'bulk item ' || i, 'each', 0, 'fefo', false, false
FROM generate_series(1, :items) AS i;
INSERT INTO lots (item_id, lot_number, expiry, received_at, qc_status)
SELECT it.id, 'L' || n, DATE '2030-01-01' + (n % 900), now() - (n || ' minutes')::interval,
       'released'
FROM items it CROSS JOIN generate_series(1, :lots_per_item) AS n WHERE it.sku LIKE 'BULK%';
INSERT INTO balances (item_id, lot_id, location_id, quantity)
SELECT l.item_id, l.id, (SELECT min(id) FROM locations), 5
FROM lots l JOIN items it ON it.id = l.item_id WHERE it.sku LIKE 'BULK%';
ANALYZE;
"""


def allocation_growth(pg: Postgres) -> dict[str, float]:
    url = pg.create_database("allocation")
    prepare(url, items=16)
    hub = Hub.build(load_settings(database_url=url), migrate_schema=False)

    def bulk(items: int) -> None:
        with hub.engine.begin() as conn:
            for statement in BULK_LOTS.split(";"):
                if statement.strip():
                    conn.execute(text(statement), {"items": items, "lots_per_item": 1000})

    with hub.engine.begin() as conn:  # the measured item: SKU0 with 1,000 lots
        conn.execute(text("UPDATE items SET sku = 'BULK0' WHERE sku = 'SKU0'"))
    bulk(0)  # lots for BULK0 only (no new items yet)
    small = allocation_ms(hub, "BULK0")
    with hub.engine.begin() as conn:
        conn.execute(text("UPDATE items SET sku = 'TARGET' WHERE sku = 'BULK0'"))
    bulk(999)  # 999 more items x 1,000 lots
    with hub.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM lots")).scalar_one()
    large = allocation_ms(hub, "TARGET")
    hub.engine.dispose()
    return {"lots_small_db": 1000, "ms_small_db": round(small, 2), "lots_large_db": total,
            "ms_large_db": round(large, 2), "growth": round(large / small, 2)}


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "STOCKWARDEN_DATABASE_URL": url, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.inventory_http:make_app",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], env=env)
    wait_for(lambda: port_open(port), 60, "hub")
    time.sleep(1.0 * workers)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--items", type=int, default=256,
                        help="items the clients spread over (fewer: more lock contention)")
    parser.add_argument("--skip-allocation", action="store_true")
    args = parser.parse_args()

    pg = Postgres(Path(tempfile.mkdtemp(prefix="bench-pg-")))
    pg.start()
    results: dict[str, object] = {"clients": args.clients, "workers": args.workers,
                                  "items": args.items}
    try:
        url = pg.create_database("inventory")
        token = prepare(url, args.items)
        server, port = serve(url, args.workers)
        try:
            receive = run_phase("receive", port, token, args.clients, args.seconds,
                                lambda c: lambda n: ("/api/v1/moves/receive", {
                                    "item": f"SKU{(c * 7919 + n) % args.items}",
                                    "lot_number": f"C{c}-{n // 50}",
                                    "expiry": "2031-01-31", "quantity": 10,
                                    "location": f"B{c % 8}"}))
            dispatch = run_phase("dispatch", port, token, args.clients, args.seconds,
                                 lambda c: lambda n: ("/api/v1/moves/dispatch", {
                                     "item": f"SKU{(c * 7919 + n) % args.items}", "quantity": 1}))
        finally:
            server.terminate()
            server.wait(30)
        results["receive"] = receive.report()
        results["dispatch"] = dispatch.report()
        moves_per_s = (receive.ok + dispatch.ok) / (receive.seconds + dispatch.seconds)
        results["moves_per_s"] = round(moves_per_s, 1)
        tps = pgbench(pg, args.clients, int(args.seconds))
        results["pgbench_tps"] = round(tps, 1)
        results["ratio_moves_to_pgbench"] = round(moves_per_s / tps, 3)
        if not args.skip_allocation:
            results["allocation"] = allocation_growth(pg)
    finally:
        pg.cleanup()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
