"""Alarm engine failover: time from the leading hub process's death (SIGKILL) to
the next alarm transition handled, over N kills (p50, max).

    .venv/bin/python -m bench failover [--kills 10] [--hubs 3]

Real Mosquitto and PostgreSQL; `--hubs` `stockwarden hub` processes started as
programs on them, in one MQTT 5 share group, every one able to lead the alarm engine
(kernel/leader.py). A gateway reports a cold room's sensor every 0.1 s; the rule has
no delay, so a reading beyond 8 °C raises the alarm and one back at 5 °C clears it.

Each round: SIGKILL the leader, and at the same instant turn the sensor's value over
(12 °C if the alarm is clear, 5 °C if raised), so a transition is due at once. Two
times from the kill: until another process says it leads (/health), and until the
transition is stored (a new alarm_events row, polled every 20 ms): the new leader
took the lock, restored the open alarms from SQL, and evaluated a reading that one
of the surviving processes ingested. The killed process is started again (a standby)
before the next round. Prints each round and p50/max of both.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import yaml

from bench._services import broker_and_postgres
from tests.support.hub_cluster import Cluster, Feed, hub_env, seed_cold_room, sql
from tests.support.mqtt import wait_until


def events(db_url: str) -> int:
    [(count,)] = sql(db_url, "SELECT count(*) FROM alarm_events")
    return int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--hubs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    with ExitStack() as stack:
        broker, postgres = broker_and_postgres(stack, work)
        db_url = postgres.create_database("bench_failover")
        seed_cold_room(db_url, "cold-1")
        rules = work / "alarms.yaml"
        rules.write_text(yaml.safe_dump({
            "thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                            "delay": "0s", "deadband": 0.3}],
            "gateways": {"status_interval": "1h"},
        }))
        cluster = Cluster(work, args.hubs, hub_env(db_url, broker.url, rules, "bench-fo",
                                                   "bench"))
        stack.callback(cluster.stop)
        cluster.start()
        feed = Feed(broker.port, "bench", "gw-bench", "cold-1", every_s=0.1)
        feed.start()
        stack.callback(feed.stop)
        time.sleep(2)
        elected: list[float] = []
        handled: list[float] = []
        for round_ in range(args.kills):
            leader = cluster.wait_leader()
            before = events(db_url)
            killed = time.monotonic()
            leader.kill()
            feed.value = 5.0 if feed.value > 8 else 12.0
            successor = cluster.wait_leader(timeout=30)
            elected.append(time.monotonic() - killed)
            wait_until(lambda before=before: events(db_url) > before, timeout=30,
                       interval=0.02, what="the next transition")
            handled.append(time.monotonic() - killed)
            print(f"kill {round_ + 1}: {leader.name} killed; {successor.name} leads after "
                  f"{elected[-1]:.2f} s, transition stored after {handled[-1]:.2f} s",
                  flush=True)
            leader.start()  # back as a standby
            time.sleep(1)
        print(f"\n{args.kills} kills, {args.hubs} hub processes:")
        print(f"  new leader:        p50 {statistics.median(elected):.2f} s, "
              f"max {max(elected):.2f} s")
        print(f"  transition stored: p50 {statistics.median(handled):.2f} s, "
              f"max {max(handled):.2f} s")


if __name__ == "__main__":
    main()
