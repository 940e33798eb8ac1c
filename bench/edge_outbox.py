"""Outbox replay after a simulated 10-minute outage of 100 sensors at 1 s.

The outbox is filled as the agent would have filled it while the broker was away:
600 telemetry batches (one per second) of 100 readings, 60,000 readings in all.
Then the publisher starts against a real Mosquitto and a subscriber counts what
arrives. Target: at least 2,000 readings/s, and no loss.

    .venv/bin/python -m bench.edge_outbox [sensors, default 100] [outage seconds, default 600]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench._edge_common import Counter, table
from contract.mqtt_settings import MqttSettings
from contract.wire import Reading, Status, Telemetry, encode, gateway_topic, utc_now
from edge.outbox import Outbox
from edge.publisher import Publisher
from tests.support.edge import merge_of_two_ordered_lanes
from tests.support.services import Mosquitto


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.edge_outbox", description=__doc__.splitlines()[0])
    parser.add_argument("sensors", type=int, nargs="?", default=100)
    parser.add_argument("outage", type=int, nargs="?", default=600, help="outage in seconds")
    args = parser.parse_args()
    sensors, outage = args.sensors, args.outage
    total = sensors * outage
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = Mosquitto(work / "mosquitto")
        broker.start()
        outbox = Outbox(work / "outbox.db")
        topic = gateway_topic("bench", "bench-outbox", "telemetry")
        start = utc_now() - timedelta(seconds=outage)
        filled = time.monotonic()
        for second in range(outage):
            ts = start + timedelta(seconds=second)
            readings = [
                Reading(
                    sensor=f"s{i}",
                    ts=ts,
                    quantities={"temperature_c": 5.0 + i / 100, "humidity_pct": 50.0},
                )
                for i in range(sensors)
            ]
            outbox.put(
                topic,
                lambda seq, r=readings: encode(
                    Telemetry(gateway="bench-outbox", seq=seq, readings=r)
                ),
            )
        fill_seconds = time.monotonic() - filled
        size_mb = sum(p.stat().st_size for p in work.glob("outbox.db*")) / 1e6
        counter = Counter(broker.port)
        time.sleep(0.5)
        publisher = Publisher(
            MqttSettings(url=broker.url),
            "bench-outbox",
            outbox,
            gateway_topic("bench", "bench-outbox", "status"),
            lambda: Status(state="online", ts=utc_now()),
        )
        began = time.monotonic()
        publisher.start()
        deadline = began + 120
        while counter.readings() < total and time.monotonic() < deadline:
            time.sleep(0.01)
        replay_seconds = time.monotonic() - began
        time.sleep(0.5)
        publisher.stop()
        counter.close()
        broker.stop()
        depth = outbox.depth
    seqs = [t.seq for _, t in counter.arrivals]
    received = {(r.sensor, r.ts) for _, t in counter.arrivals for r in t.readings}
    rate = counter.readings() / replay_seconds
    print(
        table(
            f"Outbox replay: {sensors} sensors x {outage} s outage = {total} readings "
            f"in {outage} messages",
            ["figure", "value", "anchor", "ratio"],
            [
                ["replay, readings/s (incl. connect)", rate, ">= 2000", f"{rate / 2000:.1f}x"],
                ["replay, messages/s", len(seqs) / replay_seconds, "", ""],
                ["replay time, s", replay_seconds, "", ""],
                [
                    "distinct readings received / sent",
                    f"{len(received)} / {total}",
                    "all",
                    "no loss" if len(received) == total else "LOSS",
                ],
                ["messages received once each", sorted(seqs) == list(range(outage)), "True", ""],
                [
                    "order: newest first (live lane), then the backlog oldest first",
                    merge_of_two_ordered_lanes(seqs),
                    "True",
                    "",
                ],
                ["outbox left after replay", depth, "0", ""],
                ["filling the outbox, readings/s", total / fill_seconds, "", ""],
                ["outbox file, MB", size_mb, "", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
