"""A gateway with a serial scanner, killed with SIGKILL mid-flow and while the broker is
away, then started again: every scan arrives, none under two seqs."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from firmware_sim.scanner import ScannerSpec, SimScanner
from tests.e2e.test_edge_kill import start_agent
from tests.support.edge import Subscriber, gateway_config, wait_until
from tests.support.services import Mosquitto

RECEIPT = "]d2010950110153000317271231{GS}10LOT{n}{GS}21S{n}"


def next_seq(outbox: Path) -> int:
    """What the agent has committed so far, read from its outbox file."""
    try:
        with sqlite3.connect(outbox) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0


def scanner_connected(subscriber: Subscriber, since: float) -> bool:
    return any(
        s.get("scanners", {}).get("dock", {}).get("connected")
        for s in subscriber.status[int(since):]
    )


@pytest.mark.slow
def test_sigkill_with_scans_in_flight_and_in_the_outbox_loses_and_doubles_nothing(
    tmp_path: Path, fresh_mosquitto: Mosquitto
) -> None:
    link = tmp_path / "scanner0"
    sim = SimScanner(ScannerSpec(link=link, baud=115200))
    config = gateway_config(
        tmp_path / "gateway.yaml", mqtt_port=fresh_mosquitto.port, gateway="gw-scan-kill",
        scanners=[{"id": "dock", "port": str(link), "baud": 115200, "mode": "receive",
                   "location": "DOCK-1", "operator": "dock-op", "reconnect_max": 0.5}],
    )
    outbox = tmp_path / "outbox.db"
    subscriber = Subscriber(fresh_mosquitto.port)
    log = tmp_path / "agent.log"
    agent = start_agent(config, log)
    typed: list[str] = []

    def type_scans(count: int) -> None:
        typed.extend(sim.type_scan(RECEIPT)[0] for _ in range(count))

    try:
        wait_until(lambda: scanner_connected(subscriber, 0), 20, "the scanner open")
        type_scans(10)
        wait_until(lambda: len(subscriber.scans) >= 10, 20, "the first ten scans")
        # Killed while scans are being sent: some are handed to the broker, not yet acked.
        type_scans(10)
        wait_until(lambda: next_seq(outbox) >= 20, 10, "twenty scans committed")
        agent.send_signal(signal.SIGKILL)
        agent.wait(5)
        marker = len(subscriber.status)
        agent = start_agent(config, log)
        wait_until(lambda: scanner_connected(subscriber, marker), 20, "the scanner open again")
        # Killed while the broker is away: the outbox alone holds these.
        fresh_mosquitto.stop()
        type_scans(10)
        wait_until(lambda: next_seq(outbox) >= 30, 10, "thirty scans committed")
        agent.send_signal(signal.SIGKILL)
        agent.wait(5)
        fresh_mosquitto.start()
        agent = start_agent(config, log)
        wait_until(lambda: len({s.seq for s in subscriber.scans}) >= 30, 40,
                   "all thirty scans after the restarts")
        time.sleep(1)  # anything doubled would arrive by now
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0, log.read_text()[-2000:]
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        sim.stop()

    by_seq = {}
    for scan in subscriber.scans:
        # A scan in flight at the kill may come twice: then as the same message, same seq,
        # which the hub de-duplicates by (gateway, seq).
        assert by_seq.setdefault(scan.seq, scan) == scan
    assert sorted(by_seq) == list(range(30))
    raws = [scan.raw for scan in by_seq.values()]
    assert sorted(raws) == sorted(typed), "every scan once, none lost, none under two seqs"
    assert "Traceback" not in log.read_text()
