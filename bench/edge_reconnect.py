"""Edge agent back on the broker after outages of 5 s and 60 s, and its attempts while away.

The agent (`stockwarden edge`, its own process, 20 simulated Modbus TCP sensors at 1 s)
publishes to a real Mosquitto. The broker is stopped; for the outage a plain listener on
its port reads each CONNECT and closes it, counting the agent's attempts (by client id).
The broker comes back just after one of the agent's attempts, the worst moment for it,
and a fresh subscriber notes the first telemetry that arrives: the back-on-broker time.
Targets: back within 2 s of the broker's return, at most one attempt per 2 s while
away, no loss.

    .venv/bin/python -m bench.edge_reconnect [--outages 5 60]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from bench._edge_common import Counter, start_agent, start_sim, table
from bench._edge_common import stop as stop_process
from bench.edge_tcp import free_ports
from tests.support.edge import AttemptCounter, first_telemetry_after, wait_until
from tests.support.services import Mosquitto

SENSORS = 20
GATEWAY = "bench-reconnect"
CLIENT_ID = f"stockwarden-edge-{GATEWAY}"


def outage(broker: Mosquitto, seconds: float, log: Path) -> list[object]:
    """One outage of about `seconds`; its row of the table."""
    log_start = log.stat().st_size
    broker.stop()
    stopped = time.monotonic()
    counter = AttemptCounter(broker.port)
    try:
        time.sleep(max(0.0, seconds - 2.0))
        seen = len(counter.times(CLIENT_ID))
        wait_until(lambda: len(counter.times(CLIENT_ID)) > seen, 10, "an attempt")
    finally:
        counter.close()
    broker.start()
    returned = time.monotonic()
    first = first_telemetry_after(broker.port, 30)
    away = returned - stopped
    attempts = counter.times(CLIENT_ID)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    time.sleep(0.5)
    lines = log.read_bytes()[log_start:].decode(errors="replace").splitlines()
    return [
        f"{away:.0f} s",
        f"{len(attempts)} ({len(attempts) / away * 2:.2f} per 2 s)",
        f"{min(gaps):.2f} / {max(gaps):.2f}" if gaps else "-",
        f"{first - returned:.2f}",
        len(lines),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="bench.edge_reconnect", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--outages", type=float, nargs="+", default=[5.0, 60.0], help="outage lengths, s"
    )
    outages = parser.parse_args().outages
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = Mosquitto(work / "mosquitto")
        broker.start()
        (port,) = free_ports(1)
        sim = start_sim(
            work,
            {
                "servers": {"lan": {"type": "tcp", "port": port}},
                "devices": [
                    {
                        "server": "lan",
                        "unit_id": u,
                        "profile": "xy-md02",
                        "values": {"temperature_c": 5, "humidity_pct": 50},
                        "actions": [{"do": "steady"}],
                    }
                    for u in range(1, SENSORS + 1)
                ],
            },
        )
        counter = Counter(broker.port)
        agent = start_agent(
            work,
            {
                "gateway": GATEWAY,
                "site": "bench",
                "broker": {"url": broker.url},
                "buses": {"lan": {"type": "modbus-tcp", "host": "127.0.0.1", "port": port}},
                "sensors": [
                    {
                        "id": f"s-{u}",
                        "bus": "lan",
                        "unit_id": u,
                        "profile": "xy-md02",
                        "poll_interval": 1.0,
                    }
                    for u in range(1, SENSORS + 1)
                ],
                "outbox": {"path": str(work / "outbox.db")},
            },
            log_level="INFO",
        )
        try:
            wait_until(lambda: counter.readings() >= SENSORS * 2, 30, "telemetry flowing")
            for seconds in outages:
                rows.append(outage(broker, seconds, work / "agent.log"))
                time.sleep(2)
        finally:
            stop_process(agent)  # a clean stop sends what is left
            time.sleep(1)
            with counter.lock:
                seqs = [t.seq for _, t in counter.arrivals]
            counter.close()
            stop_process(sim)
            broker.stop()
    missing = sorted(set(range(max(seqs) + 1)) - set(seqs)) if seqs else []
    print(
        table(
            f"Edge agent reconnect, {SENSORS} sensors at 1 s; the broker returns just after "
            "an attempt",
            [
                "outage",
                "agent's attempts while away",
                "attempt gap min / max, s",
                "back on broker after its return, s",
                "agent log lines, outage + back",
            ],
            rows,
        )
    )
    print(
        f"targets: back <= 2 s, <= 1 attempt per 2 s; messages {len(set(seqs))} "
        f"(seq 0..{max(seqs, default=-1)}), "
        f"missing {len(missing)}, doubled {len(seqs) - len(set(seqs))} (QoS 1, same seq)"
    )


if __name__ == "__main__":
    main()
