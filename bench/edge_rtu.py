"""RTU throughput with line timing on: transactions per second at 9600 and 19200 baud.

Anchor: the Modbus serial-line specification. A 2-register read is an 8-byte request
and a 9-byte response, each followed by 3.5 characters of silence, 11 bits per
character: 24 characters = 264 bits per transaction, so at most 36.4 tx/s at 9600
baud and 72.7 at 19200 with zero device turnaround. Target: at least 70 % of it.

The simulator runs in its own process on a pty and answers each request only after
the time the exchange takes on a real line; the edge agent's bus poller polls four
XY-MD02 sensors (input registers 1-2) as fast as it can.

    .venv/bin/python -m bench.edge_rtu [seconds per baud rate, default 10]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from bench._edge_common import start_sim, stop, table
from edge.config import parse_config
from edge.modbus import PymodbusLink
from edge.poller import BusPoller, SensorTask
from edge.profiles import load_profiles

UNITS = (1, 2, 3, 4)
BITS_PER_TRANSACTION = (8 + 3.5 + 9 + 3.5) * 11


def measure(baud: int, seconds: float, workdir: Path) -> tuple[float, int, int]:
    link = workdir / f"rtu-{baud}"
    sim = start_sim(
        workdir,
        {
            "servers": {
                "line": {
                    "type": "rtu",
                    "link": str(link),
                    "baud": baud,
                    "line_timing": True,
                    "turnaround_ms": 0,
                }
            },
            "devices": [
                {
                    "server": "line",
                    "unit_id": u,
                    "profile": "xy-md02",
                    "values": {"temperature_c": 5, "humidity_pct": 50},
                }
                for u in UNITS
            ],
        },
    )
    try:
        config = parse_config(
            {
                "gateway": "bench",
                "site": "bench",
                "buses": {
                    "line": {"type": "modbus-rtu", "port": str(link), "baud": baud, "timeout": 0.5}
                },
                "sensors": [
                    {
                        "id": f"s{u}",
                        "bus": "line",
                        "unit_id": u,
                        "profile": "xy-md02",
                        "poll_interval": 0.001,
                    }
                    for u in UNITS
                ],
            }
        )
        profiles = load_profiles(["xy-md02"])
        counts = {"good": 0, "bad": 0}

        def sink(reading: object) -> None:
            counts["good" if reading.quality == "good" else "bad"] += 1  # type: ignore[attr-defined]

        poller = BusPoller(
            "line",
            PymodbusLink(config.buses["line"]),
            [SensorTask(s, profiles["xy-md02"]) for s in config.sensors],
            sink,
        )
        halt = threading.Event()
        thread = threading.Thread(target=poller.run, args=(halt,))
        thread.start()
        time.sleep(1.0)  # warm up
        start_counts, started = dict(counts), time.monotonic()
        time.sleep(seconds)
        good = counts["good"] - start_counts["good"]
        bad = counts["bad"] - start_counts["bad"]
        elapsed = time.monotonic() - started
        halt.set()
        thread.join(5)
        return (good + bad) / elapsed, good, bad
    finally:
        stop(sim)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.edge_rtu", description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=10.0,
                        help="how long each baud rate is measured")
    seconds = parser.parse_args().seconds
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for baud in (9600, 19200):
            rate, good, bad = measure(baud, seconds, Path(tmp))
            theory = baud / BITS_PER_TRANSACTION
            rows.append(
                [
                    baud,
                    rate,
                    theory,
                    f"{rate / theory:.0%}",
                    good,
                    bad,
                    "ok" if rate >= 0.7 * theory else "BELOW 70%",
                ]
            )
    print(
        table(
            f"Modbus RTU, line timing on, 2-register reads, turnaround 0, {seconds:g} s per rate",
            ["baud", "tx/s", "spec max tx/s", "ratio", "good", "bad", "target >= 70%"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
