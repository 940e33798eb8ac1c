"""Ingest's commit path alone: build and commit batches on a durable PostgreSQL.

    .venv/bin/python -m bench.ingest_commit [--per-message 50] [--batches 8] [--profile]

No broker, no hub process, no alarms: `ingest.prepared.prepare` and
`IngestStore.commit_batch` on batches like `bench.ingest`'s (1,000 sensors already
registered, `ingest_batch_readings` readings or `ingest_batch_messages` messages a
batch), one thread. Prints readings/s, the hub's CPU per reading (and the part that
builds the rows), PostgreSQL's (all its processes, from /proc) and the WAL it wrote. `--profile`
prints cProfile's top of the hub side. Take the bench lock (docs/performance.md).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench._ingest_load import make_payloads
from bench._ingest_procs import tree_cpu_seconds
from bench.ingest import DurablePostgres
from contract import wire
from hub.db import make_engine, migrate, write_session_factory
from ingest.fastwire import decode_telemetry
from ingest.lineproto import LineBuilder
from ingest.outcomes import Accepted
from ingest.prepared import prepare
from ingest.settings import IngestSettings
from ingest.store import IngestStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-message", type=int, default=50)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    settings = IngestSettings()
    per_batch = min(settings.ingest_batch_messages,
                    settings.ingest_batch_readings // args.per_message)
    workdir = Path(tempfile.mkdtemp(prefix="ingest-commit-"))
    postgres = DurablePostgres(workdir / "postgres")
    postgres.start()
    try:
        engine = make_engine(postgres.create_database("commit"))
        migrate(engine)
        store = IngestStore(write_session_factory(engine))
        builder = LineBuilder()

        def lines(fresh: list[Accepted]) -> list[str]:
            out: list[str] = []
            for i in fresh:
                builder.lines(i.message.readings, i.topic.site, i.message.gateway, {},
                              "unassigned", out)
            return out

        topic = wire.parse_topic(wire.gateway_topic("bench", "gw", "telemetry"))
        payloads = make_payloads(per_batch * (args.batches + 1), args.per_message,
                                 args.sensors, "gw")
        items = [Accepted(topic, decode_telemetry(p), p) for p in payloads]  # type: ignore[arg-type]
        batches = [items[i:i + per_batch] for i in range(0, len(items), per_batch)]
        now = datetime.now(UTC)
        # The first batch registers the sensors; the others are timed.
        store.commit_batch(batches[0], now, lines, prepare(batches[0], store.sql, {}, lines))
        assert postgres.process is not None
        with engine.connect() as connection:
            wal_at = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
        profiler = cProfile.Profile() if args.profile else None
        cpu, pg, wall = time.process_time(), tree_cpu_seconds(postgres.process.pid), \
            time.perf_counter()
        building = 0.0
        if profiler:
            profiler.enable()
        for batch in batches[1:]:
            started = time.process_time()
            rows = prepare(batch, store.sql, {}, lines)
            building += time.process_time() - started
            store.commit_batch(batch, now, lines, rows)
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
        pg = tree_cpu_seconds(postgres.process.pid) - pg
        wall = time.perf_counter() - wall
        readings = sum(len(i.message.readings) for b in batches[1:] for i in b)
        with engine.connect() as connection:
            wal = connection.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :at)"),
                                     {"at": wal_at}).scalar_one()
        print(f"{args.per_message} readings/message, {readings:,} readings: "
              f"{readings / wall:,.0f} readings/s; hub {cpu / readings * 1e6:.1f} µs CPU/reading "
              f"(building the rows {building / readings * 1e6:.1f}), "
              f"PostgreSQL {pg / readings * 1e6:.1f} µs; WAL {float(wal) / readings:,.0f} "
              f"bytes/reading ({float(wal) / wall / 1e6:.1f} MB/s)")
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        engine.dispose()
    finally:
        postgres.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
