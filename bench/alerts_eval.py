"""The alarm evaluator's cost per reading: 1,000 rules, 10,000 sensors, in process.

    .venv/bin/python -m bench.alerts_eval [--readings 500000] [--sensors 10000] [--zones 1000]

1,000 zones of 10 sensors each, one threshold rule per zone (temperature, with
warning and critical levels, a 2 min delay and a deadband; the 1,000 rules), the site's
default offline rule, and readings of temperature and humidity every 10 s per
sensor. One zone in fifty runs warm for a while, so alarms are pending, raised,
cleared and excursions recorded as in a bad night, and the timer ticks every
10 simulated seconds (one tick walks all 10,000 sensors).

For scale, the same run times ingest's pure per-reading work on the same readings
(decode of 50-reading telemetry batches, hourly roll-up, line protocol). Ingest's
real cost also has SQL and the network, so the ratio printed is an upper bound
of what alarms add to ingest's CPU (target: at most 20 %).
"""

from __future__ import annotations

import argparse
import gc
import time
from datetime import UTC, datetime, timedelta

from alerts.engine.evaluator import Evaluator
from alerts.model import Reading, SensorRef, Tick, ZoneRef
from alerts.rules.book import RuleBook
from alerts.rules.document import parse_rules
from contract import wire
from ingest.lineproto import reading_line
from ingest.rollup import Rollup

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
PER_MESSAGE = 50
STEP = timedelta(seconds=10)


def build(sensors: int, zones: int) -> Evaluator:
    rules = parse_rules({"thresholds": [
        {"zone": f"Z{z}", "quantity": "temperature_c", "low_critical": 2, "low_warning": 2.5,
         "high_warning": 7.5, "high_critical": 8, "delay": "2m", "deadband": 0.3}
        for z in range(zones)]})
    book = RuleBook(rules, zones=[ZoneRef(f"Z{z}") for z in range(zones)],
                    sensors=[SensorRef(f"s{i}", f"Z{i % zones}", gateway=f"gw{i // 40}")
                             for i in range(sensors)])
    return Evaluator(book, started=START)


def temperature(index: int, cycle: int, zones: int) -> float:
    zone = index % zones
    base = 5.0 + (index % 7) * 0.1
    if zone % 50 == 0 and 2 <= cycle % 60 < 40:  # a warm zone for 6 of every 10 minutes
        return base + 4.0
    return base


def make_batches(count: int, sensors: int, zones: int) -> list[tuple[datetime, list[Reading]]]:
    """Readings in rounds: every sensor once per simulated 10 s."""
    rounds = []
    produced = 0
    cycle = 0
    while produced < count:
        at = START + cycle * STEP
        size = min(sensors, count - produced)
        rounds.append((at, [Reading(f"s{i}", at, {"temperature_c": temperature(i, cycle, zones),
                                                   "humidity_pct": 50.0}) for i in range(size)]))
        produced += size
        cycle += 1
    return rounds


def time_alarms(evaluator: Evaluator, rounds: list[tuple[datetime, list[Reading]]]
                ) -> tuple[float, int, int]:
    transitions = ticks = 0
    feed, feed_readings = evaluator.feed, evaluator.feed_readings
    gc.collect()
    started = time.process_time()
    for at, readings in rounds:
        # As the ingest hook does: one call per committed batch.
        for start in range(0, len(readings), PER_MESSAGE):
            transitions += len(feed_readings(readings[start:start + PER_MESSAGE]).transitions)
        transitions += len(feed(Tick(at + STEP)).transitions)
        ticks += 1
    return time.process_time() - started, transitions, ticks


def time_ingest_pure(rounds: list[tuple[datetime, list[Reading]]]) -> float:
    """Decode + roll-up + line protocol for the same readings, in 50-reading batches."""
    payloads = []
    seq = 0
    for _, readings in rounds:
        for start in range(0, len(readings), PER_MESSAGE):
            chunk = readings[start:start + PER_MESSAGE]
            body = ",".join(
                f'{{"sensor":"{r.sensor}","ts":"{wire.format_ts(r.ts)}","quantities":'
                f'{{"temperature_c":{r.quantities["temperature_c"]},"humidity_pct":50.0}}}}'
                for r in chunk)
            payloads.append(f'{{"gateway":"gw","seq":{seq},"readings":[{body}]}}'.encode())
            seq += 1
    gc.collect()
    started = time.process_time()
    for payload in payloads:
        telemetry = wire.decode(wire.Telemetry, payload)
        Rollup.of(telemetry.readings)
        for reading in telemetry.readings:
            reading_line(reading, site="bench", gateway="gw", zone="Z")
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=500_000)
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--zones", type=int, default=1_000)
    args = parser.parse_args()

    evaluator = build(args.sensors, args.zones)
    rounds = make_batches(args.readings, args.sensors, args.zones)
    readings = sum(len(r) for _, r in rounds)
    seconds, transitions, ticks = time_alarms(evaluator, rounds)
    ingest_seconds = time_ingest_pure(rounds)

    per_reading = seconds / readings * 1e6
    ingest_per_reading = ingest_seconds / readings * 1e6
    print(f"rules: {len(evaluator.book.rules.thresholds)} thresholds + offline defaults; "
          f"sensors: {args.sensors}; readings: {readings:,}; ticks: {ticks} "
          f"(each walks every sensor); transitions: {transitions:,}")
    print(f"alarm evaluator: {seconds:.2f} s CPU, {per_reading:.2f} µs/reading "
          f"(ticks included), {readings / seconds:,.0f} readings/s on one core")
    print(f"ingest's pure work on the same readings (decode, roll-up, line protocol): "
          f"{ingest_per_reading:.2f} µs/reading")
    print(f"ratio alarms / ingest pure work: {per_reading / ingest_per_reading:.2f} "
          "(an upper bound: ingest's real cost adds SQL and the network)")


if __name__ == "__main__":
    main()
