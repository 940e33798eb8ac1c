"""Load for `bench.ingest`: payloads, publishing a backlog, the broker's own ceiling,
and the live-latency run."""

from __future__ import annotations

import itertools
import statistics
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench._ingest_procs import HubProcess
from bench._tsdb_proxy import StampingProxy
from contract import wire
from tests.support.processes import find_binary, wait_for
from tests.support.services import Mosquitto, VictoriaMetrics

TOPIC_FILTER = "stockwarden/v1/+/+/telemetry"
_ids = itertools.count()


def make_payloads(count: int, per_message: int, sensors: int, gateway: str,
                  first_seq: int = 0, sensor_prefix: str = "s") -> list[bytes]:
    """`count` messages of `per_message` readings, sensors s0.. in turn (another
    `sensor_prefix` for another gateway: a sensor belongs to the first that reports it).

    Timestamps as a live site's would look when the hub takes them: each sensor's
    readings evenly spaced from 30 s to 290 s ahead of now (the hub accepts up to
    300 s ahead), so a backlog drained within half a minute looks live to the alarm
    engine: no sensor seems silent, none goes offline mid-run."""
    start = time.time() + 30
    rounds = max(1, -(-count * per_message // sensors))
    spacing = 260 / rounds
    payloads = []
    for seq in range(count):
        readings = []
        for i in range(per_message):
            index = seq * per_message + i
            sensor = index % sensors
            # Sensors a millisecond apart within a round: every sample its own timestamp.
            stamp = _iso(start + (index // sensors) * spacing + (sensor % 1000) * 0.001)
            readings.append(
                f'{{"sensor":"{sensor_prefix}{sensor}","ts":"{stamp}",'
                f'"quantities":{{"temperature_c":{5 + (i % 7) * 0.1:.1f},"humidity_pct":50.0}}}}'
            )
        payloads.append(
            f'{{"gateway":"{gateway}","seq":{first_seq + seq},'
            f'"readings":[{",".join(readings)}]}}'.encode()
        )
    return payloads


def _iso(epoch: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{whole}.{int(epoch * 1000) % 1000:03d}Z"


def publish(port: int, topic: str, payloads: list[bytes], rate: float | None = None) -> float:
    """Publish at QoS 1 and wait for every PUBACK. Returns seconds taken."""
    done = threading.Event()
    acked = 0
    total = len(payloads)

    def on_publish(*_args: object) -> None:
        nonlocal acked
        acked += 1
        if acked >= total:
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{next(_ids)}")
    client.max_inflight_messages_set(5000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.perf_counter()
    for index, payload in enumerate(payloads):
        if rate:
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        client.publish(topic, payload, qos=1)
    if not done.wait(300):
        raise RuntimeError(f"only {acked} of {total} messages acknowledged")
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


# --- the ceiling: mosquitto_sub as the only subscriber -------------------------


def broker_ceiling(broker: Mosquitto, payloads: list[bytes]) -> float:
    sub = find_binary("mosquitto_sub", "/usr/bin/mosquitto_sub")
    client_id = f"ceiling-{next(_ids)}"
    base = [sub, "-p", str(broker.port), "-q", "1", "-c", "-i", client_id, "-t", TOPIC_FILTER]
    subprocess.run([*base, "-W", "1"], capture_output=True)  # creates the persistent session
    publish(broker.port, wire.gateway_topic("bench", "ceiling", "telemetry"), payloads)
    started = time.perf_counter()
    subprocess.run([*base, "-C", str(len(payloads))], stdout=subprocess.DEVNULL, check=True)
    return len(payloads) / (time.perf_counter() - started)


# --- latency at a steady rate ----------------------------------------------------


def live_latency(broker: Mosquitto, env: dict[str, str], victoria: VictoriaMetrics,
                 rate: int, seconds: int, log: Path) -> dict[str, float]:
    proxy = StampingProxy(victoria.url)
    hub = HubProcess({**env, "STOCKWARDEN_TSDB_URL": proxy.url}, log)
    hub.start()
    gateway = f"gw{next(_ids)}"
    topic = wire.gateway_topic("bench", gateway, "telemetry")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-live-{next(_ids)}")
    client.max_inflight_messages_set(5000)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    total = rate * seconds
    started = time.perf_counter()
    for seq in range(total):
        delay = started + seq / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        stamp = _iso(time.time())
        # Sensors of this gateway's own: one gateway's sensor is refused from another.
        payload = (f'{{"gateway":"{gateway}","seq":{seq},"readings":[{{'
                   f'"sensor":"{gateway}-live{seq % 100}",'
                   f'"ts":"{stamp}","quantities":{{"temperature_c":5.0}}}}]}}')
        client.publish(topic, payload.encode(), qos=1)
    wait_for(lambda: len(proxy.latencies) >= total, 60, "all live readings stored")
    achieved = total / (time.perf_counter() - started)
    client.disconnect()
    client.loop_stop()
    hub.stop()
    proxy.close()
    ordered = sorted(proxy.latencies)
    return {
        "rate": achieved,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


