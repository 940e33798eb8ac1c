"""Inventory over HTTP on PostgreSQL: receive and dispatch with 32 closed-loop clients,
an open-loop mix at 50 requests/s (latency from each request's scheduled time), the
cost per move with 10x the lots and ledger rows, and pgbench's TPC-B-like tps in
the same run as the database's ceiling.

    .venv/bin/python -m bench.inventory_http [--seconds 20] [--modes closed,open,growth]
    .venv/bin/python -m bench.inventory_http --help

A script, not a test (tests/unit/test_bench_inventory_http.py runs it tiny). It starts
its own PostgreSQL (tests.support.services.Postgres, with pg_stat_statements to count the
statements each request sends) and serves the hub as `stockwarden hub` does: uvicorn,
one process unless --workers says otherwise (setting STOCKWARDEN_HTTP_WORKERS).

Besides throughput and latency it reports, per phase, the CPU each request cost in
the hub's process(es) and in PostgreSQL, and the SQL statements (round trips, BEGIN
and COMMIT included) per request: on a shared machine those barely move with noise.

Modes (--modes, comma separated; all by default):
- closed: receive, then dispatch, `--clients` clients over `--items` items.
- open:   `--rate` requests/s (Poisson) on up to `--connections` connections: identify
          scans, receive, dispatch, dispatch preview and scan bookings (receive by scan).
- growth: dispatch and receive at the preloaded size, then with `--scale` times the
          lots, balances and ledger rows (bulk SQL), the same phases again; ratios.
- allocation (not by default: it loads 1,000,000 lots): a pick preview's time for one
          item with 1,000 lots when the database holds 1,000 vs 1,000,000 lots.
- workers (not by default): the closed-loop phases served by one process and by
          `--compare-workers` processes (uvicorn workers on one socket), A B A B with
          `--rounds` rounds, each on a fresh server; the ratio of moves/s to one.
pgbench runs after the modes, on the same server, with --clients clients."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench._inventory_load import Request, closed_loop, open_loop
from bench._inventory_meter import Meter, profiled
from bench._profiles import profile_top
from hub.accounts.service import create_user_with_token
from hub.container import Hub
from hub.settings import load_settings
from inventory import services
from inventory.commands import PickPreview
from inventory.masterdata import ItemCreate, add_item
from inventory.orm import Location
from kernel.actors import Role
from kernel.orm import StorageClass, Zone
from tests.support.processes import free_port, port_open, wait_for
from tests.support.services import Postgres

BINS = 8


class CountingPostgres(Postgres):
    """The test cluster with pg_stat_statements loaded (statements per request)."""

    def command(self) -> list[str]:
        return [*super().command(), "-c", "shared_preload_libraries=pg_stat_statements",
                "-c", "pg_stat_statements.track_utility=on"]


def make_app():  # type: ignore[no-untyped-def]
    """uvicorn factory for the served process(es) (the schema is migrated beforehand)."""
    from hub.app import create_app
    from hub.server import freeze_startup_objects

    settings = load_settings(database_url=os.environ["STOCKWARDEN_DATABASE_URL"])
    app = create_app(Hub.build(settings, migrate_schema=False), manage_lifecycle=False)
    freeze_startup_objects()  # as `stockwarden hub` does
    return app


def gtin14(n: int) -> str:
    body = f"0950{n:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def prepare(url: str, items: int) -> str:
    """Master data: one zone with 8 bins, `items` items with GTINs; an operator's token."""
    hub = Hub.build(load_settings(database_url=url))
    with hub.writes() as session:
        token = create_user_with_token(session, "bench", Role.OPERATOR).token
    with hub.writes() as session, session.begin():
        zone = Zone(code="Z1", name="hall", storage_class=StorageClass(code="ROOM", name="room"))
        session.add_all([Location(code=f"B{n}", zone=zone) for n in range(BINS)])
        session.flush()
        for n in range(items):
            # add_item joins this transaction (create_item would open its own)
            add_item(session, ItemCreate(sku=f"SKU{n}", gtin=gtin14(n), name=f"item {n}",
                                         storage_class="ROOM"))
    with hub.engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
    hub.engine.dispose()
    return token


# Stock with history: every preloaded lot was received with `history` - 1 more than it
# holds and dispatched one at a time since, so balances still equal the ledger.
PRELOAD = """
INSERT INTO lots (item_id, lot_number, expiry, received_at, qc_status)
SELECT it.id, 'P{tag}-' || n, DATE '2029-01-01' + ((n * 7 + it.id) % 700),
       now() - ((n + 1000 * {tag}) || ' minutes')::interval, 'released'
FROM items it CROSS JOIN generate_series(1, :lots) AS n;
INSERT INTO balances (item_id, lot_id, location_id, quantity, held)
SELECT l.item_id, l.id, (SELECT min(id) FROM locations) + (l.id % {bins}), 100, 0
FROM lots l WHERE l.lot_number LIKE 'P{tag}-%';
INSERT INTO moves (booking, kind, item_id, lot_id, from_location_id, to_location_id,
                   quantity, user_id, at, reference)
SELECT md5(b.lot_id || '-' || h), CASE WHEN h = 1 THEN 'receive' ELSE 'dispatch' END,
       b.item_id, b.lot_id, CASE WHEN h = 1 THEN NULL ELSE b.location_id END,
       CASE WHEN h = 1 THEN b.location_id ELSE NULL END,
       CASE WHEN h = 1 THEN 100 + :history - 1 ELSE 1 END,
       (SELECT min(id) FROM users), now() - ((:history - h) || ' minutes')::interval, 'preload'
FROM balances b JOIN lots l ON l.id = b.lot_id
CROSS JOIN generate_series(1, :history) AS h WHERE l.lot_number LIKE 'P{tag}-%';
ANALYZE;
"""


def preload(url: str, tag: int, lots_per_item: int, history: int) -> dict[str, int]:
    hub = Hub.build(load_settings(database_url=url), migrate_schema=False)
    with hub.engine.begin() as conn:
        for statement in PRELOAD.format(tag=tag, bins=BINS).split(";"):
            if statement.strip():
                conn.execute(text(statement), {"lots": lots_per_item, "history": history})
    with hub.engine.connect() as conn:
        sizes = {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                 for name in ("lots", "balances", "moves")}
    hub.engine.dispose()
    return sizes


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
    """The API as `stockwarden hub` serves it (uvicorn, its default loop and parser:
    uvloop and httptools when installed), without ingest and alarms behind it."""
    port = free_port()
    env = {**os.environ, "STOCKWARDEN_DATABASE_URL": url, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.inventory_http:make_app",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], env=env)
    wait_for(lambda: port_open(port), 60, "hub")
    if workers > 1:
        time.sleep(1.0 * workers)  # the other workers start after the first listens
    return process, port


def pgbench(pg: Postgres, clients: int, seconds: int, scale: int = 10) -> float:
    binary = str(pg.bindir / "pgbench")
    pg.create_database("pgbench")
    conn = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]
    subprocess.run([binary, "-i", "-q", "-s", str(scale), *conn, "pgbench"], check=True,
                   capture_output=True)
    out = subprocess.run([binary, "-c", str(clients), "-j", "2", "-T", str(seconds), *conn,
                          "pgbench"], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


class Requests:
    """The requests a handheld sends, spread over the items and bins."""

    def __init__(self, items: int) -> None:
        self.items = items

    def receive(self, c: int, n: int) -> Request:
        return ("/api/v1/moves/receive", {
            "item": f"SKU{(c * 7919 + n) % self.items}", "lot_number": f"C{c}-{n // 50}",
            "expiry": "2031-01-31", "quantity": 10, "location": f"B{c % BINS}"}, True)

    def dispatch(self, c: int, n: int) -> Request:
        return ("/api/v1/moves/dispatch",
                {"item": f"SKU{(c * 7919 + n) % self.items}", "quantity": 1}, True)

    def preview(self, n: int) -> Request:
        return ("/api/v1/moves/dispatch/preview",
                {"item": f"SKU{(n * 31) % self.items}", "quantity": 3}, False)

    def identify(self, n: int) -> Request:
        raw = f"]d201{gtin14((n * 13) % self.items)}17301231\x1d10L{n}"
        return ("/api/v1/scan", {"raw": raw}, False)

    def scan_receive(self, n: int) -> Request:
        raw = f"]d201{gtin14((n * 17) % self.items)}17311231\x1d10S{n // 20}\x1d21X{n}"
        return ("/api/v1/scan", {"raw": raw, "mode": "receive", "location": "B1",
                                 "quantity": 5}, True)

    def mix(self) -> list[tuple[str, float, object]]:
        return [("identify", 30, self.identify), ("receive", 20, lambda n: self.receive(99, n)),
                ("dispatch", 25, lambda n: self.dispatch(98, n)),
                ("preview", 15, self.preview), ("scan_receive", 10, self.scan_receive)]


def closed_phases(meter: Meter, port: int, token: str, args: argparse.Namespace,
                  label: str = "") -> dict[str, object]:
    requests = Requests(args.items)
    results: dict[str, object] = {}
    phases = []
    for name, make in (("receive", requests.receive), ("dispatch", requests.dispatch)):
        spy = profiled(meter.hub_pid, args.seconds, args.profile) if (
            name == "dispatch" and not label) else None
        phase, cost = meter.measure(lambda name=name, make=make: closed_loop(
            name, port, token, args.clients, args.seconds, make))
        if spy is not None:
            spy.wait(30)
            results["dispatch_profile"] = profile_top(args.profile)
        results[f"{name}{label}"] = {**phase.report(), **cost}
        phases.append(phase)
    moves = sum(p.ok for p in phases) / sum(p.seconds for p in phases)
    results[f"moves_per_s{label}"] = round(moves, 1)
    return results


def growth_ratios(before: dict[str, object], after: dict[str, object]) -> dict[str, float]:
    ratios = {}
    for name in ("receive", "dispatch"):
        b, a = before[name], after[f"{name}_scaled"]
        for measure in ("hub_cpu_ms_per_request", "pg_cpu_ms_per_request", "p50_ms",
                        "statements_per_request"):
            if b[measure]:  # type: ignore[index]
                ratios[f"{name}_{measure}"] = round(a[measure] / b[measure], 2)  # type: ignore[index]
        cpu_b = b["hub_cpu_ms_per_request"] + b["pg_cpu_ms_per_request"]  # type: ignore[index]
        cpu_a = a["hub_cpu_ms_per_request"] + a["pg_cpu_ms_per_request"]  # type: ignore[index]
        ratios[f"{name}_cpu_total"] = round(cpu_a / cpu_b, 2)
    return ratios


def compare_workers(url: str, pg: Postgres, token: str, args: argparse.Namespace
                    ) -> dict[str, object]:
    """Closed-loop phases on 1 and on N processes in turns (A B A B), each on a fresh
    server, so that the machine's other load falls on both alike."""
    results: dict[str, object] = {}
    moves: dict[int, list[float]] = {}
    quiet = argparse.Namespace(**{**vars(args), "profile": None})
    for round_ in range(1, args.rounds + 1):
        for workers in (1, args.compare_workers):
            server, port = serve(url, workers)
            meter = Meter(server.pid, pg, url)
            try:
                closed_loop("warm-up", port, token, args.clients, min(2.0, args.seconds),
                            Requests(args.items).dispatch)
                label = f"_w{workers}_r{round_}"
                results.update(closed_phases(meter, port, token, quiet, label))
                moves.setdefault(workers, []).append(results[f"moves_per_s{label}"])  # type: ignore[arg-type]
            finally:
                meter.close()
                server.terminate()
                server.wait(30)
    one, many = moves[1], moves[args.compare_workers]
    results["workers_ratio_per_round"] = [round(m / o, 2) for o, m in zip(one, many, strict=True)]
    results["workers_ratio"] = round(sum(many) / sum(one), 2)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench.inventory_http", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="per closed-loop phase")
    parser.add_argument("--clients", type=int, default=32, help="closed-loop clients")
    parser.add_argument("--items", type=int, default=256,
                        help="items the clients spread over (fewer: more lock contention)")
    parser.add_argument("--workers", type=int, default=1,
                        help="hub processes (uvicorn workers); the product's default is 1")
    parser.add_argument("--modes", default="closed,open,growth",
                        help="which of closed, open, growth, allocation, workers to run")
    parser.add_argument("--compare-workers", type=int, default=2,
                        help="workers mode: processes served beside one")
    parser.add_argument("--rounds", type=int, default=2,
                        help="workers mode: rounds of (one process, N processes)")
    parser.add_argument("--rate", type=float, default=50, help="open loop: requests/s")
    parser.add_argument("--connections", type=int, default=20, help="open loop: connections")
    parser.add_argument("--open-seconds", type=float, default=30, help="open loop: duration")
    parser.add_argument("--lots-per-item", type=int, default=20,
                        help="preloaded lots per item (each with a balance)")
    parser.add_argument("--history", type=int, default=10,
                        help="preloaded ledger rows per preloaded lot")
    parser.add_argument("--scale", type=int, default=10,
                        help="growth: lots, balances and ledger rows times this")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy the hub during the dispatch phase: collapsed stacks "
                             "into this file, top lines into the results")
    parser.add_argument("--pgbench-seconds", type=int, default=None,
                        help="default: --seconds; 0 skips pgbench")
    parser.add_argument("--pgbench-scale", type=int, default=10,
                        help="pgbench -i -s: 10 is 1,000,000 accounts")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = parse_args(argv)
    modes = {m.strip() for m in args.modes.split(",") if m.strip()}
    unknown = modes - {"closed", "open", "growth", "allocation", "workers"}
    if unknown:
        raise SystemExit(f"unknown modes: {', '.join(sorted(unknown))}")
    pg = CountingPostgres(Path(tempfile.mkdtemp(prefix="bench-pg-")))
    pg.start()
    results: dict[str, object] = {
        "nproc": os.cpu_count(), "clients": args.clients, "workers": args.workers,
        "items": args.items, "seconds": args.seconds}
    try:
        url = pg.create_database("inventory")
        token = prepare(url, args.items)
        results["preloaded"] = preload(url, 1, args.lots_per_item, args.history)
        if "workers" in modes:
            results.update(compare_workers(url, pg, token, args))
        server, port = serve(url, args.workers)
        meter = Meter(server.pid, pg, url)
        requests = Requests(args.items)
        try:  # warm up: connections, caches
            closed_loop("warm-up", port, token, args.clients, min(2.0, args.seconds),
                        requests.dispatch)
            if "closed" in modes or "growth" in modes:
                results.update(closed_phases(meter, port, token, args))
            if "open" in modes:
                phase, cost = meter.measure(lambda: open_loop(
                    "open", port, token, args.connections, args.open_seconds, args.rate,
                    requests.mix()))  # type: ignore[arg-type]
                results["open_loop"] = {"rate": args.rate, "connections": args.connections,
                                        **phase.report(), **cost}
            if "growth" in modes:
                for tag in range(2, args.scale + 1):
                    sizes = preload(url, tag, args.lots_per_item, args.history)
                results["preloaded_scaled"] = sizes
                scaled = closed_phases(meter, port, token, args, "_scaled")
                results.update(scaled)
                results["growth"] = growth_ratios(results, scaled)
        finally:
            meter.close()
            server.terminate()
            server.wait(30)
        pgbench_s = args.seconds if args.pgbench_seconds is None else args.pgbench_seconds
        if pgbench_s and "moves_per_s" in results:
            tps = pgbench(pg, args.clients, int(max(pgbench_s, 1)), args.pgbench_scale)
            results["pgbench_tps"] = round(tps, 1)
            results["ratio_moves_to_pgbench"] = round(
                results["moves_per_s"] / tps, 3)  # type: ignore[operator]
        if "allocation" in modes:
            results["allocation"] = allocation_growth(pg)
    finally:
        pg.cleanup()
    results["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
