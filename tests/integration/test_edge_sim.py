"""The edge agent against the simulator over Modbus TCP and RTU on a pty, with real Mosquitto."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.wire import Quality, Reading
from edge.agent import Agent
from edge.config import RtuBus, TcpBus, load_config, parse_config
from edge.modbus import PymodbusLink, ReadFailure
from edge.poller import BusPoller, SensorTask
from edge.profiles import load_profiles
from tests.support.edge import Subscriber, gateway_config, simulate, wait_until
from tests.support.services import Mosquitto


@pytest.fixture
def subscriber(mosquitto: Mosquitto) -> Iterator[Subscriber]:
    sub = Subscriber(mosquitto.port)
    yield sub
    sub.close()


def run_agent(config_path: Path) -> tuple[Agent, threading.Event, threading.Thread]:
    agent = Agent(*load_config(config_path))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    return agent, stop, thread


def test_agent_publishes_rtu_and_tcp_sensors_to_the_broker(
    tmp_path: Path, mosquitto: Mosquitto, subscriber: Subscriber
) -> None:
    sim = simulate(
        {"lan": {"type": "tcp", "port": 0}, "line": {"type": "rtu", "baud": 19200}},
        [
            {
                "server": "line",
                "unit_id": 1,
                "profile": "xy-md02",
                "values": {"temperature_c": -18.5, "humidity_pct": 40},
            },
            {
                "server": "line",
                "unit_id": 2,
                "profile": "renke-th",
                "values": {"temperature_c": 4.2, "humidity_pct": 61.5},
            },
            {
                "server": "lan",
                "unit_id": 7,
                "profile": "vaisala-hmp",
                "values": {"temperature_c": 21.25, "humidity_pct": 44.5, "dew_point_c": 8.5},
            },
        ],
    )
    config = gateway_config(
        tmp_path / "gateway.yaml",
        mqtt_port=mosquitto.port,
        gateway="gw-both",
        buses={
            "rs485": {
                "type": "modbus-rtu",
                "port": sim.rtu["line"].port,
                "baud": 19200,
                "timeout": 0.3,
            },
            "lan": {"type": "modbus-tcp", "host": "127.0.0.1", "port": sim.tcp["lan"].port},
        },
        sensors=[
            {
                "id": "freezer-1",
                "bus": "rs485",
                "unit_id": 1,
                "profile": "xy-md02",
                "poll_interval": 0.3,
                "calibration": {"temperature_c": 0.5},
            },
            {
                "id": "cold-1",
                "bus": "rs485",
                "unit_id": 2,
                "profile": "renke-th",
                "poll_interval": 0.3,
            },
            {
                "id": "crt-1",
                "bus": "lan",
                "unit_id": 7,
                "profile": "vaisala-hmp",
                "poll_interval": 0.3,
            },
        ],
    )
    _, stop, thread = run_agent(config)
    try:
        wait_until(lambda: len(subscriber.readings("crt-1")) >= 3, 10, "three readings of crt-1")
        wait_until(
            lambda: any(s["devices"].get("crt-1", {}).get("ok_count") for s in subscriber.status),
            10,
            "a status with crt-1 counted",
        )
    finally:
        stop.set()
        thread.join(15)
        sim.stop()
    freezer = subscriber.readings("freezer-1")[-1]
    assert freezer.quality is Quality.GOOD
    assert freezer.quantities == {"temperature_c": -18.0, "humidity_pct": 40.0}
    assert subscriber.readings("cold-1")[-1].quantities == {
        "temperature_c": 4.2,
        "humidity_pct": 61.5,
    }
    assert subscriber.readings("crt-1")[-1].quantities == pytest.approx(
        {"temperature_c": 21.25, "humidity_pct": 44.5, "dew_point_c": 8.5}
    )
    assert subscriber.seqs == sorted(set(subscriber.seqs))
    # The retained status ends offline (clean stop) and names every sensor.
    assert subscriber.status[-1]["state"] == "offline"
    assert set(subscriber.status[-1]["devices"]) == {"freezer-1", "cold-1", "crt-1"}


def poll_for(
    sim_devices: list[dict], sensors: list[dict], seconds: float, baud: int = 19200
) -> dict[str, list[Reading]]:
    """Run one RTU bus poller against the simulator for `seconds`; readings per sensor."""
    sim = simulate({"line": {"type": "rtu", "baud": baud}}, sim_devices)
    gateway = parse_config(
        {
            "gateway": "gw",
            "site": "s",
            "buses": {
                "rs485": {
                    "type": "modbus-rtu",
                    "port": sim.rtu["line"].port,
                    "baud": baud,
                    "timeout": 0.3,
                }
            },
            "sensors": sensors,
        }
    )
    profiles = load_profiles(s.profile for s in gateway.sensors)
    readings: dict[str, list[Reading]] = {s["id"]: [] for s in sensors}
    poller = BusPoller(
        "rs485",
        PymodbusLink(gateway.buses["rs485"]),
        [SensorTask(s, profiles[s.profile]) for s in gateway.sensors],
        lambda r: readings[r.sensor].append(r),
        max_backoff=60,
    )
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(5)
    sim.stop()
    return readings


def test_a_dead_sensor_does_not_slow_the_others_on_its_bus() -> None:
    values = {"temperature_c": 5, "humidity_pct": 50}
    devices = [
        {"server": "line", "unit_id": u, "profile": "xy-md02", "values": values} for u in (1, 2, 3)
    ]
    devices[1]["actions"] = [{"do": "no_response"}]
    sensors = [
        {"id": f"s{u}", "bus": "rs485", "unit_id": u, "profile": "xy-md02", "poll_interval": 0.5}
        for u in (1, 2, 3)
    ]
    readings = poll_for(devices, sensors, 6.0)
    for live in ("s1", "s3"):
        good = [r for r in readings[live] if r.quality is Quality.GOOD]
        # 6 s at 0.5 s: 12 polls; allow for the start and the end of the run.
        assert len(good) >= 11, (live, len(good))
        gaps = [(b.ts - a.ts).total_seconds() for a, b in itertools.pairwise(good)]
        # At most one timeout of the dead one in between (plus slack for a loaded machine).
        assert max(gaps) < 0.5 + 0.3 + 0.2
    dead = readings["s2"]
    assert dead and all(r.quality is Quality.BAD and r.error == "timeout" for r in dead)
    # Backing off: 1, 2, 4 ... intervals, far fewer tries than the live sensors get.
    assert len(dead) <= 5


def test_crc_errors_exceptions_and_out_of_range_values_become_bad_readings() -> None:
    devices = [
        {
            "server": "line",
            "unit_id": 1,
            "profile": "xy-md02",
            "values": {"temperature_c": 5, "humidity_pct": 50},
            "actions": [{"do": "crc_errors", "probability": 1}],
        },
        # A Renke device read with the XY-MD02 profile: input registers are not mapped.
        {
            "server": "line",
            "unit_id": 2,
            "profile": "renke-th",
            "values": {"temperature_c": 5, "humidity_pct": 50},
        },
        {
            "server": "line",
            "unit_id": 3,
            "profile": "xy-md02",
            "values": {"temperature_c": 95, "humidity_pct": 50},
        },
    ]
    sensors = [
        {"id": f"s{u}", "bus": "rs485", "unit_id": u, "profile": "xy-md02", "poll_interval": 0.5}
        for u in (1, 2, 3)
    ]
    readings = poll_for(devices, sensors, 1.5)
    assert readings["s1"][0].error == "crc error or garbled frame"
    assert readings["s2"][0].error == "exception 2"
    assert readings["s3"][0].error == "temperature_c=95 outside -40..60"
    assert readings["s3"][0].quantities == {"humidity_pct": 50.0}
    for sensor in ("s1", "s2", "s3"):
        assert all(r.quality is Quality.BAD for r in readings[sensor])


def test_a_tcp_link_reconnects_after_the_server_comes_back(tmp_path: Path) -> None:
    sim = simulate(
        {"lan": {"type": "tcp", "port": 0}},
        [
            {
                "server": "lan",
                "unit_id": 1,
                "profile": "generic-th",
                "values": {"temperature_c": 3.0, "humidity_pct": 50},
            },
        ],
    )
    port = sim.tcp["lan"].port
    link = PymodbusLink(TcpBus(type="modbus-tcp", host="127.0.0.1", port=port, timeout=0.5))
    assert link.read("holding", 0, 2, 1) == [300, 5000]
    sim.stop()
    with pytest.raises(ReadFailure):
        link.read("holding", 0, 2, 1)
    sim = simulate(
        {"lan": {"type": "tcp", "port": port}},
        [
            {
                "server": "lan",
                "unit_id": 1,
                "profile": "generic-th",
                "values": {"temperature_c": 4.0, "humidity_pct": 50},
            },
        ],
    )
    try:
        wait_until(lambda: _reads(link) == [400, 5000], 5, "a read after the restart")
    finally:
        link.close()
        sim.stop()


def _reads(link: PymodbusLink) -> list[int] | None:
    try:
        return link.read("holding", 0, 2, 1)
    except ReadFailure:
        return None


def test_an_rtu_link_reopens_the_port_after_the_adapter_comes_back(tmp_path: Path) -> None:
    """Like a USB RS-485 adapter pulled out and plugged in again (a new tty behind one name)."""
    device = {
        "server": "line",
        "unit_id": 1,
        "profile": "xy-md02",
        "values": {"temperature_c": -5.0, "humidity_pct": 40},
    }
    link_path = tmp_path / "ttyRS485"
    servers = {"line": {"type": "rtu", "baud": 19200, "link": str(link_path)}}
    sim = simulate(servers, [device])
    link = PymodbusLink(RtuBus(type="modbus-rtu", port=str(link_path), baud=19200, timeout=0.3))
    assert link.read("input", 1, 2, 1) == [0xFFCE, 400]
    sim.stop()
    with pytest.raises(ReadFailure):
        link.read("input", 1, 2, 1)
    sim = simulate(servers, [{**device, "values": {"temperature_c": 3.0, "humidity_pct": 40}}])
    try:
        wait_until(lambda: _read_rtu(link) == [30, 400], 5, "a read after the adapter is back")
    finally:
        link.close()
        sim.stop()


def _read_rtu(link: PymodbusLink) -> list[int] | None:
    try:
        return link.read("input", 1, 2, 1)
    except ReadFailure:
        return None


@pytest.mark.serial  # s2 polled every 0.5 s beside a 350 ms slave, counted over 4 s
def test_a_slow_slaves_late_answer_is_not_taken_for_the_next_sensors() -> None:
    values = {"temperature_c": 5, "humidity_pct": 50}
    devices = [
        {
            "server": "line",
            "unit_id": 1,
            "profile": "xy-md02",
            "values": values,
            "actions": [{"do": "slow", "delay_ms": 350}],
        },
        {"server": "line", "unit_id": 2, "profile": "xy-md02", "values": values},
    ]
    sensors = [
        {"id": f"s{u}", "bus": "rs485", "unit_id": u, "profile": "xy-md02", "poll_interval": 0.5}
        for u in (1, 2)
    ]
    readings = poll_for(devices, sensors, 4.0)
    assert readings["s1"] and all(r.error == "timeout" for r in readings["s1"])
    assert len(readings["s2"]) >= 7
    assert all(r.quality is Quality.GOOD for r in readings["s2"]), [r.error for r in readings["s2"]]
