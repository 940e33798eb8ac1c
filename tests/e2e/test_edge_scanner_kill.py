"""A gateway with a serial scanner, killed with SIGKILL mid-flow and while the broker is
away, then started again: every scan arrives, none under two seqs."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from contract.wire import ScanResult, encode, scan_result_topic, utc_now
from firmware_sim.scanner import ScannerSpec, SimScanner
from tests.e2e.test_edge_kill import start_agent
from tests.support.edge import Subscriber, gateway_config, wait_until
from tests.support.mqtt import publish_raw
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


@pytest.mark.slow
def test_an_answer_received_but_not_yet_shown_is_shown_after_a_sigkill(
    tmp_path: Path, fresh_mosquitto: Mosquitto
) -> None:
    """The agent is killed after it received an answer and before its result command ran:
    the broker must still hold the answer for it and deliver it after the restart."""
    shown = tmp_path / "display.txt"
    started = tmp_path / "command-started"  # the held command's shell pid
    gate = tmp_path / "gate"
    # Until `gate` exists the command only says it started and waits: the agent is killed
    # with the answer received, its command running, nothing shown yet.
    command = (f'if [ ! -e {gate} ]; then echo $$ > {started}; sleep 30; exit 1; fi; '
               f'printf "%s|%s\\n" "$STOCKWARDEN_SCAN_SEQ" "$STOCKWARDEN_SCAN_OUTCOME" '
               f'>> {shown}')
    link = tmp_path / "scanner0"
    config = gateway_config(
        tmp_path / "gateway.yaml", mqtt_port=fresh_mosquitto.port, gateway="gw-answer-kill",
        scanners=[{"id": "dock", "port": str(link), "result_command": command,
                   "result_timeout": 60}],
    )
    subscriber = Subscriber(fresh_mosquitto.port)
    log = tmp_path / "agent.log"
    agent = start_agent(config, log)
    try:
        # The first status comes after the subscription went out, on the same connection.
        wait_until(lambda: bool(subscriber.status), 20, "the agent connected")
        answer = ScanResult(gateway="gw-answer-kill", seq=7, scanner="dock", ts=utc_now(),
                            ok=True, outcome="booked", message="Booked 3 of VAC-1")
        publish_raw(fresh_mosquitto.port, scan_result_topic("test", "gw-answer-kill"),
                    [encode(answer)])
        wait_until(lambda: started.exists() and started.read_text().strip() != "", 20,
                   "the result command started")
        agent.send_signal(signal.SIGKILL)
        agent.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(started.read_text()), signal.SIGKILL)
        assert "scan 7 from dock: booked" in log.read_text()
        assert not shown.exists()
        gate.touch()
        agent = start_agent(config, log)
        wait_until(lambda: shown.exists() and "7|booked" in shown.read_text(), 20,
                   "the answer shown after the restart")
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0, log.read_text()[-2000:]
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
    assert shown.read_text().splitlines() == ["7|booked"]
    assert "Traceback" not in log.read_text()
