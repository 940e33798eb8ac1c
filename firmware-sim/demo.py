"""The simulated warehouse of `stockwarden demo`: devices plus the real edge agent.

A cold room (2-8 °C) on an RS-485 line (RTU over a pty, 9600 baud with line
timing), a controlled-room-temperature zone (15-25 °C) and a hazardous-goods
store behind a Modbus TCP gateway. Now and then something goes wrong: cold-2
misses answers, and every 5 minutes the cold-room door stays open long enough to
push cold-1 above 8 °C for 40 s (the alarm's delay absorbs it). A few minutes after
start the cold room's compressor fails (`cooling_failure`): cold-1 climbs 1 °C a
minute and crosses 8 °C about 3 minutes later, for good: the demo's alarm. At the
receiving dock a serial scanner (a pty) scans a receipt of the demo's vaccine every
`scan_every_s` seconds, so stock grows.
"""

from __future__ import annotations

import logging
import pathlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from edge.agent import Agent
from edge.config import parse_config
from edge.profiles import load_profiles
from firmware_sim.scanner import ScannerSpec, ScanStep, SimScanner
from firmware_sim.scenario import ScenarioSpec, Simulation

log = logging.getLogger(__name__)

DEMO_GATEWAY = "demo-gw-1"
POLL_INTERVAL = 3.0

# The receiving dock's serial scanner; the hub demo registers it, with its account, the
# item (by this GTIN) and the bin.
DEMO_SCANNER = "dock"
DEMO_SCANNER_OPERATOR = "dock-operator"
DEMO_RECEIVING_BIN = "RCV-01"
DEMO_ITEM_SKU = "FLU-VAC"
DEMO_ITEM_GTIN = "09501101530003"
DEMO_RECEIPT_QUANTITY = 10
DEMO_SCAN_EVERY_S = 20.0


def demo_receipt(now: datetime | None = None) -> str:
    """A GS1 DataMatrix of the demo's vaccine: expiry in a year, a lot per scan
    ({n}, after a prefix of the start time, so a restarted demo makes new lots), and
    the quantity (AI 30)."""
    now = now or datetime.now(UTC)
    expiry = (now + timedelta(days=365)).strftime("%y%m%d")
    return (f"]d201{DEMO_ITEM_GTIN}17{expiry}{{GS}}10D{now:%m%d%H%M}-{{n}}"
            f"{{GS}}30{DEMO_RECEIPT_QUANTITY}")

# Zone code → the sensors in it; the hub demo creates the zones and assigns the sensors.
DEMO_ZONES: dict[str, list[str]] = {
    "cold-room": ["cold-1", "cold-2"],
    "crt": ["crt-1", "crt-2"],
    "haz": ["haz-1"],
}



@dataclass(frozen=True, slots=True)
class DemoTiming:
    """When the cold room's compressor fails and how fast it warms: a test runs it fast."""

    cooling_failure_s: float | None = 180.0  # None: no failure
    cooling_rate_per_min: float = 1.0
    cooling_max_c: float = 12.0


# sensor id → (server, unit id, profile, base values, actions)
_DEVICES: dict[str, tuple[str, int, str, dict[str, float], list[dict[str, object]]]] = {
    "cold-1": (
        "rs485",
        1,
        "xy-md02",
        {"temperature_c": 5.0, "humidity_pct": 55.0},
        [
            {"do": "steady"},
            {"do": "daily_drift", "amplitude": 0.6},
            {"do": "door_open", "every_s": 300, "duration_s": 40, "delta": 4.0},
        ],
    ),
    "cold-2": (
        "rs485",
        2,
        "renke-th",
        {"temperature_c": 4.4, "humidity_pct": 60.0},
        [{"do": "steady"}, {"do": "intermittent_timeouts", "probability": 0.15}],
    ),
    "crt-1": (
        "lan",
        1,
        "vaisala-hmp",
        {"temperature_c": 20.5, "humidity_pct": 45.0, "dew_point_c": 8.2},
        [{"do": "steady"}, {"do": "daily_drift", "amplitude": 1.5}],
    ),
    "crt-2": (
        "lan",
        2,
        "generic-th",
        {"temperature_c": 19.2, "humidity_pct": 47.0},
        [{"do": "steady"}],
    ),
    "haz-1": (
        "lan",
        3,
        "xy-md02",
        {"temperature_c": 17.0, "humidity_pct": 40.0},
        [{"do": "steady"}, {"do": "daily_drift", "amplitude": 2.0}],
    ),
}


def _devices(timing: DemoTiming
             ) -> dict[str, tuple[str, int, str, dict[str, float], list[dict[str, object]]]]:
    devices = dict(_DEVICES)
    if timing.cooling_failure_s is not None:
        server, unit, profile, values, actions = devices["cold-1"]
        devices["cold-1"] = (server, unit, profile, values, [*actions, {
            "do": "cooling_failure", "start_s": timing.cooling_failure_s,
            "rate_per_min": timing.cooling_rate_per_min, "max": timing.cooling_max_c}])
    return devices


def demo_scenario(timing: DemoTiming | None = None) -> ScenarioSpec:
    devices = _devices(timing or DemoTiming())
    return ScenarioSpec.model_validate(
        {
            "servers": {
                "rs485": {"type": "rtu", "baud": 9600, "line_timing": True},
                "lan": {"type": "tcp", "host": "127.0.0.1", "port": 0},
            },
            "devices": [
                {
                    "server": server,
                    "unit_id": unit,
                    "profile": profile,
                    "values": values,
                    "actions": actions,
                }
                for server, unit, profile, values, actions in devices.values()
            ],
        }
    )


def run_demo_gateway(
    mqtt_host: str,
    mqtt_port: int,
    data_dir: pathlib.Path,
    stop: threading.Event,
    site: str = "demo",
    timing: DemoTiming | None = None,
    scan_every_s: float | None = DEMO_SCAN_EVERY_S,
) -> None:
    """Run the simulated devices and the edge agent until `stop` is set, then shut down.
    With `scan_every_s`, the dock's scanner scans a receipt that often."""
    simulation = Simulation(demo_scenario(timing)).start()
    scanner = None
    scanners = []
    if scan_every_s:
        scanner = SimScanner(ScannerSpec(
            every_s=scan_every_s, repeat=0, steps=[ScanStep(scan=demo_receipt())]))
        scanners.append({
            "id": DEMO_SCANNER, "port": scanner.port, "baud": 115200, "mode": "receive",
            "location": DEMO_RECEIVING_BIN, "operator": DEMO_SCANNER_OPERATOR,
        })
    try:
        config = parse_config(
            {
                "gateway": DEMO_GATEWAY,
                "site": site,
                "broker": {"url": f"mqtt://{mqtt_host}:{mqtt_port}"},
                "buses": {
                    "rs485": {
                        "type": "modbus-rtu",
                        "port": simulation.rtu["rs485"].port,
                        "baud": 9600,
                        "timeout": 0.3,
                    },
                    "lan": {
                        "type": "modbus-tcp",
                        "host": "127.0.0.1",
                        "port": simulation.tcp["lan"].port,
                    },
                },
                "sensors": [
                    {
                        "id": sensor,
                        "bus": server,
                        "unit_id": unit,
                        "profile": profile,
                        "poll_interval": POLL_INTERVAL,
                    }
                    for sensor, (server, unit, profile, _, _) in _DEVICES.items()
                ],
                "scanners": scanners,
                "outbox": {"path": str(data_dir / "edge-outbox.db")},
                "status_interval": 15,
                # A missed answer should not silence a demo sensor for long.
                "max_backoff": 4 * POLL_INTERVAL,
            },
            name="demo gateway",
        )
        profiles = load_profiles(s.profile for s in config.sensors)
        if scanner is not None:
            scanner.start()
        Agent(config, profiles).run(stop)
    finally:
        if scanner is not None:
            scanner.stop()
        simulation.stop()
