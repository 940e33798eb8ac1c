"""Ingest end to end: MQTT -> one hub (alarms on) -> PostgreSQL + VictoriaMetrics, beside Node-RED.

    .venv/bin/python -m bench.ingest [--messages 20000] [--batched-messages 2000] ...
    .venv/bin/python -m bench.ingest --smoke        # tiny sizes, a minute at most

The hub does all its work: PostgreSQL, VictoriaMetrics, Mosquitto on this
machine, and the alarm evaluator on with a rules file of `--rules` threshold
rules (one per sensor s0, s1, ...) loaded.

Throughput is measured by draining a backlog: the drainer's persistent session
is created, the drainer stopped, N messages published (the broker queues them),
the drainer started again, and the time from the first sample VictoriaMetrics
takes in to the last one is taken (its `vm_rows_inserted_total{type="influx"}`
counter: three samples per reading, quality + two quantities). PostgreSQL is
durable (fsync, synchronous_commit and full_page_writes on) unless --fast-postgres;
single, batched and Node-RED run in turns (A B A B), --rounds times. CPU per reading
is the drainer's process CPU time (and PostgreSQL's, for the hub) over the same
window, from /proc.

Runs, each with its own database:
  ceiling     mosquitto_sub as the only (persistent, QoS 1) subscriber: the broker alone
  single      1 reading per message over --sensors already-registered sensors
  batched     50 readings per message over --sensors already-registered sensors
  node-red    the same two backlogs drained by a Node-RED 4 flow (mqtt in -> function ->
              join -> influxdb batch, writing to VictoriaMetrics' /api/v2/write), installed
              with npm into .bench/node; skipped with the reason when node/npm are missing
  wide        --wide-sensors sensors: first-seen registration drained and timed on its own,
              then the steady state over them, with --stored-seen x 10 (gateway, seq) rows
              stored beforehand (growth: cost per reading vs `batched`)
  huge        --huge-sensors sensors, first seen then steady: peak hub RSS
  share       two hub processes in one MQTT shared-subscription group, beside one
  hubs        with --hubs 1,2,3: that many hub processes in one share group, each count
              on its own database, the ratio to the first
  latency     live at --rate readings/s for --seconds (a proxy stamps arrival at the store)
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psycopg

from bench._ingest_load import broker_ceiling, live_latency, make_payloads, publish
from bench._ingest_procs import (
    HubGroup,
    HubProcess,
    NodeRed,
    Process,
    Profiler,
    memory_mb,
    node_red_available,
    tree_cpu_seconds,
)
from bench._profiles import profile_top
from bench._tsdb_proxy import CountingProxy
from contract import wire
from tests.support.processes import wait_for
from tests.support.services import Mosquitto, Postgres, VictoriaMetrics

GATEWAY = "gw-bench"
# The tests' PostgreSQL trades durability for speed; these figures are taken on a
# durable one unless --fast-postgres says otherwise (issue 20).
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class DurablePostgres(Postgres):
    """The tests' PostgreSQL with fsync, synchronous commit and full-page writes on:
    a commit returns once its WAL is flushed to disk, as in production."""

    def command(self) -> list[str]:
        return [part.replace("=off", "=on") if part in FAST_SETTINGS else part
                for part in super().command()]
_ids = itertools.count()


@dataclass
class Drain:
    readings: int
    seconds: float
    cpu_s: float  # the drainer's CPU over the drain
    db_cpu_s: float = 0.0  # PostgreSQL's, for the hub
    peak_rss_mb: float = 0.0
    start_rss_mb: float = 0.0  # the drainer's memory once started, before the backlog

    @property
    def rate(self) -> float:
        return self.readings / max(self.seconds, 1e-3)

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / max(self.readings, 1) * 1e6

    @property
    def total_cpu_us(self) -> float:
        return (self.cpu_s + self.db_cpu_s) / max(self.readings, 1) * 1e6


class Bench:
    def __init__(self, workdir: Path, rules: int, profile_dir: Path | None = None,
                 durable: bool = True) -> None:
        self.workdir = workdir
        self.profile_dir = profile_dir
        self.from_start = False  # --from-start: time each drain from the drainer's start
        self.next_seq = 0
        self.broker = Mosquitto(workdir / "mosquitto")
        self.victoria = VictoriaMetrics(workdir / "victoria")
        self._counter: CountingProxy | None = None  # the drainers' way to the store
        self.postgres = (DurablePostgres if durable else Postgres)(workdir / "postgres")
        self.rules_file = workdir / "alarms.yaml"
        self.rules_file.write_text(rules_yaml(rules))

    def __enter__(self) -> Bench:
        for service in (self.broker, self.victoria, self.postgres):
            service.start()
        self._counter = CountingProxy(self.victoria.url)
        return self

    @property
    def counter(self) -> CountingProxy:
        """The proxy the drainers write through: readings stored, and when (VictoriaMetrics'
        own counters move once a second, too coarse for drains of a few seconds)."""
        assert self._counter is not None, "the bench's services are not up"
        return self._counter

    def __exit__(self, failure: object, *_exc: object) -> None:
        if self._counter is not None:
            self._counter.close()
        for service in (self.broker, self.victoria):
            service.stop()
        self.postgres.cleanup()
        if failure is None:  # after a failure the hubs' logs stay, for a look
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            print(f"hub logs and service data kept in {self.workdir}")

    def hub_env(self, name: str, **extra: str) -> dict[str, str]:
        return {
            "STOCKWARDEN_DATABASE_URL": self.postgres.create_database(name),
            "STOCKWARDEN_MQTT_URL": self.broker.url,
            "STOCKWARDEN_MQTT_CLIENT_ID": f"bench-hub-{name}",
            "STOCKWARDEN_TSDB_URL": self.counter.url,
            "STOCKWARDEN_ALARM_RULES": str(self.rules_file),
            **extra,
        }

    # --- draining a backlog

    def prepare(self, drainer: Process) -> None:
        """Start the drainer once (persistent session, schema), prove it stores a probe
        reading, and stop it: what is published next queues at the broker."""
        drainer.start()  # type: ignore[attr-defined]
        before = self.counter.readings
        gateway = f"probe{next(_ids)}"
        probe = make_payloads(1, 1, 1, gateway, sensor_prefix=f"{gateway}-s")
        topic = wire.gateway_topic("bench", gateway, "telemetry")

        def stored() -> bool:
            if self.counter.readings > before:
                return True
            publish(self.broker.port, topic, probe)
            time.sleep(0.5)
            return self.counter.readings > before

        try:
            wait_for(stored, 120, "a probe reading stored")
            time.sleep(1)
        finally:
            drainer.stop()  # type: ignore[attr-defined]

    def backlog(self, make: Callable[[int], list[bytes]]) -> int:
        """Publish the messages `make(first_seq)` returns; returns their readings. One
        gateway, as a site's sensors stay on theirs; seqs go on from the last backlog."""
        payloads = make(self.next_seq)
        self.next_seq += len(payloads)
        publish(self.broker.port, wire.gateway_topic("bench", GATEWAY, "telemetry"), payloads)
        return count_readings(payloads)

    def drain(self, drainer: Process, readings: int, *, database: bool, label: str = "") -> Drain:
        """Start the drainer and time it through the backlog; leaves it running."""
        expected = self.counter.readings + readings
        drainer.start()  # type: ignore[attr-defined]
        start_rss = max(memory_mb(pid)[0] for pid in drainer.pids())
        profiler = None
        if self.profile_dir and label:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profiler = Profiler(drainer.pids()[0], self.profile_dir / f"{label}.txt")
        try:
            drained = self._measure(drainer, expected, readings, database)
            drained.start_rss_mb = start_rss
            return drained
        finally:
            if profiler and self.profile_dir:
                profiler.stop()
                top = profile_top(self.profile_dir / f"{label}.txt")
                print(f"  py-spy, {label}:\n" + "\n".join(top),
                      flush=True)

    def _measure(self, drainer: Process, expected: int, readings: int, database: bool
                 ) -> Drain:
        pg = self.postgres.process.pid if self.postgres.process else 0
        # Should the whole backlog land in one write, time it from the drainer's start;
        # with --from-start always (Node-RED may decode most of a backlog of one-reading
        # messages before its first write lands: the window from that write then holds
        # little of its work, and its rate is overstated).
        start = (time.perf_counter(), expected - readings, drainer.cpu(),
                 tree_cpu_seconds(pg) if database and self.from_start else 0.0)
        first = start if self.from_start else None
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            rows = self.counter.readings
            now = time.perf_counter()
            if first is None and rows > start[1]:
                first = (now, rows, drainer.cpu(), tree_cpu_seconds(pg) if database else 0.0)
            if rows >= expected:
                if first is None or first[1] >= expected:
                    first = start
                counted = expected - first[1]
                # Until the store took the last write, not until this loop saw it.
                return Drain(
                    readings=int(counted), seconds=self.counter.moved_at - first[0],
                    cpu_s=drainer.cpu() - first[2],
                    db_cpu_s=(tree_cpu_seconds(pg) - first[3]) if database else 0.0,
                    peak_rss_mb=drainer.peak_rss_mb())
            time.sleep(0.02)
        raise TimeoutError("the backlog was not drained")

    def run_hub(self, name: str, hubs: int, passes: list[Callable[[int], list[bytes]]],
                stored_seen: int = 0, **env: str) -> list[Drain]:
        """One database; each pass is a backlog drained and timed on its own."""
        base = self.hub_env(name, **env)
        group = HubGroup([HubProcess({**base, "STOCKWARDEN_MQTT_CLIENT_ID": f"bench-{name}-{i}"},
                                     self.workdir / f"hub-{name}-{i}.log")
                          for i in range(hubs)])
        self.prepare(group)
        if stored_seen:
            store_old_seen(base["STOCKWARDEN_DATABASE_URL"], stored_seen)
        results = []
        for index, make in enumerate(passes):
            readings = self.backlog(make)  # made just before: the timestamps look live
            try:
                results.append(self.drain(group, readings, database=True,
                                          label=f"hub-{name}-{index}"))
            finally:
                group.stop()
        return results

    def run_node_red(self, name: str, make: Callable[[int], list[bytes]]) -> Drain:
        node = NodeRed(self.workdir / "node-red", self.broker.port, self.counter.url,
                       f"bench-nr-{name}")
        self.prepare(node)
        readings = self.backlog(make)
        try:
            return self.drain(node, readings, database=False,
                              label="")
        finally:
            node.stop()


def count_readings(payloads: list[bytes]) -> int:
    return sum(p.count(b'"sensor"') for p in payloads)


def store_old_seen(url: str, rows: int) -> None:
    """(gateway, seq) pairs of an earlier day: the stored rows a long-running hub has."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO seen_messages (gateway, seq, received_at) "
                     "SELECT 'old', g, now() - interval '1 day' FROM generate_series(1, %s) g",
                     (rows,))
        conn.execute("VACUUM ANALYZE seen_messages")


def rules_yaml(count: int) -> str:
    """`count` threshold rules, one per sensor s0..s{count-1}: the cold-room band."""
    lines = ["thresholds:"]
    for i in range(count):
        lines += [f"  - sensor: s{i}", "    quantity: temperature_c", "    low_critical: 2",
                  "    low_warning: 2.5", "    high_warning: 7.5", "    high_critical: 8",
                  "    delay: 2m", "    deadband: 0.3"]
    return "\n".join(lines) + "\n"


def payloads(messages: int, per_message: int, sensors: int) -> Callable[[int], list[bytes]]:
    return partial(make_payloads, messages, per_message, sensors, GATEWAY)


def passes(sensors: int, messages: int, per_message: int) -> list[Callable[[int], list[bytes]]]:
    """A first pass that registers every sensor, then the measured backlog."""
    return [payloads(math.ceil(sensors / per_message), per_message, sensors),
            payloads(messages, per_message, sensors)]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="bench.ingest", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 3)[3], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000,
                        help="backlog of the 1-reading run (messages)")
    parser.add_argument("--batched-messages", type=int, default=2_000,
                        help="backlog of the 50-readings runs (messages)")
    parser.add_argument("--sensors", type=int, default=1_000, help="sensors of the default runs")
    parser.add_argument("--rules", type=int, default=1_000, help="alarm threshold rules loaded")
    parser.add_argument("--wide-sensors", type=int, default=10_000,
                        help="sensors of the steady-state/growth run (0: skip)")
    parser.add_argument("--stored-seen", type=int, default=100_000,
                        help="(gateway, seq) rows stored before the default runs; x10 in wide")
    parser.add_argument("--huge-sensors", type=int, default=100_000,
                        help="sensors of the memory run (0: skip)")
    parser.add_argument("--no-node-red", action="store_true", help="skip the Node-RED runs")
    parser.add_argument("--no-share", action="store_true", help="skip the two-hub run")
    parser.add_argument("--seconds", type=int, default=10, help="live latency run (0: skip)")
    parser.add_argument("--rate", type=int, default=2_000, help="readings/s of the live run")
    parser.add_argument("--only", default="",
                        help="comma-separated runs: single,batched,node-red,wide,huge,share")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder: py-spy records each hub drain there and prints its top")
    parser.add_argument("--hub-source", type=Path, default=None,
                        help="run the hub from this checkout (e.g. a `git archive` of the "
                        "commit before), for a before/after comparison in one bench")
    parser.add_argument("--hubs", default="",
                        help="comma-separated process counts (e.g. 1,2,3): each drains the "
                        "50-readings backlog in one share group; the ratio to the first")
    parser.add_argument("--rounds", type=int, default=2,
                        help="single, batched and Node-RED in turns (A B A B), this many times")
    parser.add_argument("--fast-postgres", action="store_true",
                        help="PostgreSQL as the tests run it (fsync, synchronous_commit and "
                        "full_page_writes off); the default is durable (all three on)")
    parser.add_argument("--from-start", action="store_true",
                        help="time each drain from the drainer's start (once it is ready), "
                        "not from the first write that reaches the store")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it still runs")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.batched_messages, args.sensors, args.rules = 2000, 100, 100, 50
        args.wide_sensors, args.stored_seen, args.huge_sensors = 500, 1000, 0
        args.seconds, args.rate, args.no_share, args.rounds = 0, 100, True, 1
    only = set(filter(None, args.only.split(",")))
    HubProcess.source = args.hub_source

    def wanted(name: str) -> bool:
        return not only or name in only

    why_no_node = "--no-node-red" if args.no_node_red else node_red_available()
    rows: list[tuple[str, float, str, str]] = []

    def row(name: str, value: float, target: str = "", note: str = "") -> None:
        rows.append((name, value, target, note))
        print(f"  {name}: {value:,.1f} {note}", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="stockwarden-bench-"))
    with Bench(workdir, args.rules, args.profile, durable=not args.fast_postgres) as bench:
        bench.from_start = args.from_start
        pg_mode = ("fsync, synchronous_commit, full_page_writes off" if args.fast_postgres
                   else "fsync, synchronous_commit, full_page_writes on (durable)")
        print(f"  PostgreSQL: {pg_mode}", flush=True)
        ceiling = broker_ceiling(bench.broker, make_payloads(args.messages, 1, args.sensors,
                                                             "ceiling"))
        row("broker pass-through, mosquitto_sub QoS 1 (msg/s)", ceiling)
        single = batched = None
        # A B A B: the hub and the Node-RED flow in turns, per shape, `--rounds` times;
        # the first round's hub figures are the baseline of the later runs' ratios.
        node = wanted("node-red") and not why_no_node
        if wanted("node-red") and why_no_node:
            print(f"  Node-RED comparison skipped: {why_no_node}", flush=True)
        for round_ in range(1, args.rounds + 1):
            tag = f" [round {round_}]" if args.rounds > 1 else ""
            if wanted("single"):
                hub = bench.run_hub(f"single{round_}", 1, passes(args.sensors, args.messages, 1),
                                    args.stored_seen)[1]
                single = single or hub
                row(f"hub, 1 reading/message (msg/s){tag}", hub.rate, ">= 20,000",
                    f"{hub.cpu_us:.0f} us CPU/reading, {hub.total_cpu_us:.0f} with PostgreSQL;"
                    f" {hub.rate / ceiling:.3f} x broker")
                if node:
                    nr = bench.run_node_red(f"single{round_}",
                                            payloads(args.messages, 1, args.sensors))
                    row(f"Node-RED, 1 reading/message (msg/s){tag}", nr.rate, "",
                        f"{nr.cpu_us:.0f} us CPU/reading; hub/Node-RED {hub.rate / nr.rate:.2f}"
                        f", CPU {hub.total_cpu_us / max(nr.cpu_us, 1e-9):.2f}")
            if wanted("batched"):
                hub = bench.run_hub(f"batched{round_}", 1,
                                    passes(args.sensors, args.batched_messages, 50),
                                    args.stored_seen)[1]
                batched = batched or hub
                row(f"hub, 50 readings/message (readings/s){tag}", hub.rate, ">= 100,000",
                    f"{hub.cpu_us:.1f} us CPU/reading, {hub.total_cpu_us:.1f} with "
                    f"PostgreSQL; peak RSS {hub.peak_rss_mb:.0f} MB")
                if node:
                    nr = bench.run_node_red(
                        f"batched{round_}", payloads(args.batched_messages, 50, args.sensors))
                    row(f"Node-RED, 50 readings/message (readings/s){tag}", nr.rate, "",
                        f"{nr.cpu_us:.1f} us CPU/reading; hub/Node-RED "
                        f"{hub.rate / nr.rate:.2f}, "
                        f"CPU {hub.total_cpu_us / max(nr.cpu_us, 1e-9):.2f}")
        if args.wide_sensors and wanted("wide"):
            sensors = args.wide_sensors
            messages = max(args.batched_messages, math.ceil(sensors / 50))
            first, steady = bench.run_hub("wide", 1, passes(sensors, messages, 50),
                                          args.stored_seen * 10)
            row(f"hub, first-seen registration of {sensors:,} sensors (readings/s)", first.rate)
            row(f"hub, steady state over {sensors:,} registered sensors (readings/s)",
                steady.rate, ">= 0.8 x batched",
                f"x{steady.rate / batched.rate:.2f} of batched" if batched else "")
            if batched:
                row("growth: CPU per reading, 10x sensors and stored rows / default (ratio)",
                    steady.total_cpu_us / batched.total_cpu_us, "<= 1.3",
                    f"{steady.total_cpu_us:.1f} vs {batched.total_cpu_us:.1f} us with PostgreSQL;"
                    f" hub alone {steady.cpu_us / batched.cpu_us:.2f}")
            row(f"hub peak RSS with {sensors:,} sensors (MB)",
                max(first.peak_rss_mb, steady.peak_rss_mb), "<= 150",
                f"{steady.start_rss_mb:.0f} MB at start (sensors known, before the backlog)")
        if args.huge_sensors and wanted("huge"):
            sensors = args.huge_sensors
            first, steady = bench.run_hub("huge", 1, passes(sensors, math.ceil(sensors / 50), 50))
            row(f"hub, first-seen registration of {sensors:,} sensors (readings/s)", first.rate)
            row(f"hub, steady state over {sensors:,} sensors (readings/s)", steady.rate)
            row(f"hub peak RSS with {sensors:,} sensors (MB)",
                max(first.peak_rss_mb, steady.peak_rss_mb), "<= 400",
                f"{steady.start_rss_mb:.0f} MB at start (sensors known, before the backlog)")
        if not args.no_share and wanted("share"):
            shared = bench.run_hub("share", 2, passes(args.sensors, args.batched_messages, 50),
                                   args.stored_seen, STOCKWARDEN_MQTT_SHARE_GROUP="bench")[1]
            row("two hubs in a share group, 50 readings/message (readings/s)", shared.rate, "",
                f"x{shared.rate / batched.rate:.2f} of one hub" if batched else "")
        if args.hubs:
            # 1, 2, 3 … hub processes in one share group on one PostgreSQL, 50 readings a
            # message; each count on its own database, the ratio to the first.
            counts = [int(n) for n in args.hubs.split(",")]
            base_rate = 0.0
            for count in counts:
                drained = bench.run_hub(f"hubs{count}", count,
                                        passes(args.sensors, args.batched_messages, 50),
                                        args.stored_seen,
                                        # A group of its own: the sessions of an earlier
                                        # count's members, offline now, would hold a share.
                                        STOCKWARDEN_MQTT_SHARE_GROUP=f"bench{count}")[1]
                base_rate = base_rate or drained.rate
                row(f"{count} hub process(es) in a share group, 50 readings/message "
                    "(readings/s)", drained.rate, "",
                    f"x{drained.rate / base_rate:.2f} of {counts[0]}; "
                    f"{drained.total_cpu_us:.1f} us CPU/reading with PostgreSQL")
        if args.seconds:
            latency = live_latency(bench.broker, bench.hub_env("live"), bench.victoria,
                                   args.rate, args.seconds, workdir / "hub-live.log")
            row(f"latency p50 at {latency['rate']:.0f} readings/s (ms)", latency["p50_ms"])
            row(f"latency p99 at {latency['rate']:.0f} readings/s (ms)", latency["p99_ms"],
                "<= 1000")
    report(rows, pg_mode)


def report(rows: list[tuple[str, float, str, str]], pg_mode: str) -> None:
    print("\nStockwarden ingest benchmark (hub: alarms on, PostgreSQL, VictoriaMetrics, "
          f"Mosquitto; {os.cpu_count()} cores; PostgreSQL {pg_mode})\n")
    width = max(len(name) for name, *_ in rows)
    for name, value, target, note in rows:
        print(f"{name:<{width}} {value:>12,.1f} {target:>18}  {note}")



if __name__ == "__main__":
    main()
