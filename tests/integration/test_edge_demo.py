"""The demo gateway publishes every zone's sensors to a broker and stops when told."""

from __future__ import annotations

import threading
from pathlib import Path

from contract.wire import Quality
from firmware_sim.demo import DEMO_ZONES, run_demo_gateway
from tests.support.edge import Subscriber, wait_until
from tests.support.services import Mosquitto


def test_demo_gateway_publishes_every_zone_and_stops(tmp_path: Path, mosquitto: Mosquitto) -> None:
    subscriber = Subscriber(mosquitto.port)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_demo_gateway,
        args=("127.0.0.1", mosquitto.port, tmp_path, stop),
        kwargs={"site": "demo-test"},
        daemon=True,
    )
    thread.start()
    sensors = [s for zone in DEMO_ZONES.values() for s in zone]
    try:
        wait_until(
            lambda: all(subscriber.readings(s) for s in sensors), 15, "a reading of every sensor"
        )
    finally:
        stop.set()
        thread.join(20)
        subscriber.close()
    assert not thread.is_alive()
    assert set(DEMO_ZONES) == {"cold-room", "crt", "haz"}
    cold = [r for r in subscriber.readings("cold-1") if r.quality is Quality.GOOD]
    assert cold and 2 <= cold[0].quantities["temperature_c"] <= 12
    crt = [r for r in subscriber.readings("crt-1") if r.quality is Quality.GOOD]
    assert crt and 15 <= crt[0].quantities["temperature_c"] <= 25
