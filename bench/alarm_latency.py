"""Alarm latency (reading to notification) under 2,000 readings/s, and the evaluator's CPU.

    .venv/bin/python -m bench.alarm_latency [--rate 2000] [--probes 20] [--sensors 10000]

Real Mosquitto and PostgreSQL; the hub runs in this process (ingest, the alarm
service, apprise), seeded with 1,000 zones of 10 sensors each and one threshold
rule per zone (the 1,000 rules), so every reading of the load is judged.

Load: a separate process publishes 2,000 readings/s (50-reading messages, every
sensor once per 5 s, all in range). Probes: one probe sensor at a time goes from
5 °C to 9 °C (limit 8 °C, delay 2 s, grouping window 1 s) and keeps reporting every
0.25 s; a local webhook receiver (apprise json://) stamps the message's arrival.
Latency beyond the configured delay and window = arrival - (the first reading
beyond the limit + delay + window), p50/p99 over the probes (target p99 <= 1 s).

CPU: the evaluator's own CPU time (stockwarden_alarm_evaluator_seconds, ticks
included) per reading, against the rest of this process's CPU per reading (ingest:
decode, SQL, hooks; the load generator is another process), in the same run
(target: alarms add at most 20 %).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench._services import broker_and_postgres
from contract import wire

DELAY_S = 2.0
WINDOW_S = 1.0
PER_MESSAGE = 50


def feed(port: int, rate: float, sensors: int, seconds: float) -> None:
    """The load (run in its own process): `rate` readings/s, all in range."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-alarm-load")
    client.max_inflight_messages_set(2000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    topic = wire.gateway_topic("bench", "load-gw", "telemetry")
    messages_per_s = rate / PER_MESSAGE
    started = time.perf_counter()
    seq = 0
    while time.perf_counter() - started < seconds:
        now = datetime.now(UTC)
        readings = [wire.Reading(sensor=f"s{(seq * PER_MESSAGE + i) % sensors}", ts=now,
                                 quantities={"temperature_c": 5.0 + (i % 7) * 0.1})
                    for i in range(PER_MESSAGE)]
        client.publish(topic, wire.encode(wire.Telemetry(gateway="load-gw", seq=seq,
                                                         readings=readings)), qos=1)
        seq += 1
        pause = started + seq / messages_per_s - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    client.disconnect()
    client.loop_stop()


def seed(hub: object, sensors: int, zones: int, probes: int) -> None:
    from ingest.orm import Sensor
    from kernel.orm import StorageClass, Zone
    from kernel.uow import run_write

    def work() -> None:
        cls = StorageClass(code="2-8C", name="fridge", temp_min_c=2, temp_max_c=8)
        rows = [Zone(code=f"Z{z}", name=f"zone {z}", storage_class=cls) for z in range(zones)]
        probe_zone = Zone(code="PROBE", name="probe room", storage_class=cls)
        session.add_all([*rows, probe_zone])
        session.flush()
        session.add_all([Sensor(id=f"s{i}", name=f"s{i}", zone_id=rows[i % zones].id)
                         for i in range(sensors)])
        session.add_all([Sensor(id=f"probe-{p}", name="probe", zone_id=probe_zone.id)
                         for p in range(probes)])

    with hub.writes() as session:  # type: ignore[attr-defined]
        run_write(session, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--zones", type=int, default=1_000)
    parser.add_argument("--feed", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.feed:
        port, rate, sensors, seconds = args.feed
        feed(int(port), float(rate), int(sensors), float(seconds))
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    from hub.container import assemble
    from hub.settings import load_settings
    from tests.support.receivers import serve_webhook

    logging.getLogger("alerts").setLevel(logging.ERROR)  # "alarm raised" per probe
    work = Path(tempfile.mkdtemp(prefix="bench-alarms-"))
    with ExitStack() as stack:
        broker, postgres = broker_and_postgres(stack, work)
        receiver = stack.enter_context(serve_webhook())
        rules_file = work / "alarms.yaml"
        rules_file.write_text(yaml.safe_dump(bench_rules(args.zones, receiver.url("probe"))))
        db_url = postgres.create_database("bench_alarms")
        settings = load_settings(database_url=db_url, mqtt_url=broker.url, tsdb_url=None,
                                 alarm_rules=rules_file,
                                 mqtt_client_id="bench-alarm-hub", ingest_batch_ms=20)
        hub = assemble(settings)
        seed(hub, args.sensors, args.zones, args.probes)
        hub.start()
        stack.callback(hub.stop)
        assert hub.alarms is not None
        time.sleep(2)
        load = subprocess.Popen([sys.executable, "-m", "bench.alarm_latency", "--feed",
                                 str(broker.port), str(args.rate), str(args.sensors),
                                 str(60 + args.probes * 25)])
        stack.callback(load.wait)
        stack.callback(load.terminate)
        metrics = hub.alarms.metrics
        time.sleep(8)  # warm: every sensor seen once
        cpu0, eval0 = time.process_time(), metrics.evaluator_seconds._value.get()
        read0 = metrics.readings._value.get()
        wall0 = time.monotonic()
        latencies = probe_all(broker.port, receiver, args.probes)
        cpu = time.process_time() - cpu0
        evaluator = metrics.evaluator_seconds._value.get() - eval0
        readings = metrics.readings._value.get() - read0
        wall = time.monotonic() - wall0
    report(latencies, readings, wall, cpu, evaluator, args)


def bench_rules(zones: int, url: str) -> dict[str, object]:
    return {
        "thresholds": [
            *({"zone": f"Z{z}", "quantity": "temperature_c", "low_critical": 2,
               "high_warning": 7.5, "high_critical": 8, "delay": "2m", "deadband": 0.3}
              for z in range(zones)),
            {"zone": "PROBE", "quantity": "temperature_c", "high_critical": 8,
             "delay": f"{DELAY_S:g}s", "deadband": 0.3}],
        "gateways": {"status_interval": "1h"},
        "recipients": {"probe": {"urls": [url]}},
        # Threshold alarms only: a probe falls silent after its turn (offline, not measured).
        "routes": [{"name": "probe", "match": {"zone": ["PROBE"], "kind": ["threshold"]},
                    "groups": ["probe"], "notify_clear": False}],
        "grouping": {"window": f"{WINDOW_S:g}s", "max_per_alarm_per_hour": 1000},
    }


def probe_all(port: int, receiver: object, probes: int) -> list[float]:
    from tests.support.mqtt import ReliablePublisher

    publisher = ReliablePublisher(port, "bench-probe")
    topic = wire.gateway_topic("bench", "probe-gw", "telemetry")
    seq = iter(range(10**9))
    latencies = []

    def send(sensor: str, value: float) -> datetime:
        now = datetime.now(UTC).replace(microsecond=datetime.now(UTC).microsecond // 1000 * 1000)
        publisher.publish(topic, wire.encode(wire.Telemetry(
            gateway="probe-gw", seq=next(seq),
            readings=[wire.Reading(sensor=sensor, ts=now, quantities={"temperature_c": value})])))
        return now

    for p in range(probes):
        sensor = f"probe-{p}"
        for _ in range(4):
            send(sensor, 5.0)
            time.sleep(0.25)
        before = len(receiver.received)  # type: ignore[attr-defined]
        crossed = send(sensor, 9.0)
        deadline = time.monotonic() + 20
        while len(receiver.received) == before and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.25)
            send(sensor, 9.0)
        if len(receiver.received) == before:  # type: ignore[attr-defined]
            print(f"probe {p}: no message within 20 s", flush=True)
            continue
        arrived = receiver.received[before].at  # type: ignore[attr-defined]
        latencies.append(arrived - crossed.timestamp() - DELAY_S - WINDOW_S)
        for _ in range(4):
            send(sensor, 5.0)
            time.sleep(0.25)
    publisher.close()
    return latencies


def report(latencies: list[float], readings: float, wall: float, cpu: float,
           evaluator: float, args: argparse.Namespace) -> None:
    if not latencies:
        print("no probe got through")
        return
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    ingest_us = (cpu - evaluator) / readings * 1e6
    alarm_us = evaluator / readings * 1e6
    print(f"\nalarm latency beyond delay ({DELAY_S:g} s) and grouping window ({WINDOW_S:g} s), "
          f"{len(latencies)} probes, load {readings / wall:,.0f} readings/s "
          f"(target {args.rate:,.0f}), {args.zones:,} rules, {args.sensors:,} sensors:")
    print(f"  p50 {p50:.3f} s   p99 {p99:.3f} s   max {ordered[-1]:.3f} s   (target p99 <= 1 s)")
    print("  each probe, in order: " + " ".join(f"{x:.2f}" for x in latencies))
    print(f"CPU per reading: evaluator {alarm_us:.1f} us, the rest of the hub "
          f"(ingest) {ingest_us:.1f} us, ratio {alarm_us / ingest_us:.0%} (target <= 20 %)")
    print(f"  ({readings:,.0f} readings in {wall:.0f} s; process CPU {cpu:.1f} s, "
          f"evaluator {evaluator:.2f} s)")


if __name__ == "__main__":
    main()
