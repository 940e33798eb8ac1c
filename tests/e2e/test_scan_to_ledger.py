"""A serial scanner on a real pseudo-terminal → `stockwarden edge` (its own process)
→ a real Mosquitto → the hub's scan consumer → the ledger, on SQLite and
PostgreSQL: every receipt booked exactly once, also across a broker restart and
an edge SIGKILL; each answer reaches the gateway (its log, its result command); a
redelivered message books nothing; the gateway's status lists its scanners."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from contract import wire
from contract.mqtt_settings import HubMqttSettings
from contract.wire import scan_topic, utc_now
from firmware_sim.scanner import ScannerSpec, SimScanner
from hub.container import Hub
from ingest.service import IngestService
from ingest.settings import IngestSettings
from inventory.scans.consumer import ScanConsumer
from inventory.scans.settings import ScanConsumerSettings
from kernel.actors import Role
from tests.e2e.test_edge_kill import start_agent
from tests.e2e.test_edge_scanner_kill import next_seq
from tests.support.edge import Subscriber, gateway_config, wait_until
from tests.support.inventory_world import World, build_world
from tests.support.mqtt import publish_raw
from tests.support.services import Mosquitto

GATEWAY = "gw-e2e-scan"
# VAC-1 (2-8 °C), a lot per scan, 3 units (AI 30) each.
RECEIPT = "]d2010400638133393117291200{GS}10E2E{n}{GS}303"


@pytest.fixture
def world(db_url: str, fresh_mosquitto: Mosquitto) -> Iterator[World]:
    for world in build_world(db_url):
        hub: Hub = world.hub
        url = fresh_mosquitto.url
        hub.ingest = IngestService(
            IngestSettings(mqtt=HubMqttSettings(url=url, client_id="e2e-ingest"),
                           ingest_batch_ms=20), hub.sessions, hub.registry)
        hub.scans = ScanConsumer(
            ScanConsumerSettings(mqtt=HubMqttSettings(
                url=url, client_id="e2e-scans", receive_maximum=1000)),
            hub.writes, hub.registry)
        hub.start()
        try:
            yield world
        finally:
            for _name, part in reversed(list(hub.parts())):
                part.stop()


def scanner_open(subscriber: Subscriber, since: datetime) -> bool:
    """A status the gateway sent at `since` or later says the dock scanner's port is open
    (one from before a restart does not count)."""
    return any(datetime.fromisoformat(status["ts"]) >= since
               and status.get("scanners", {}).get("dock", {}).get("connected")
               for status in list(subscriber.status))


def results(path: Path) -> dict[int, str]:
    """seq -> outcome, as the gateway's result command wrote them."""
    if not path.exists():
        return {}
    found: dict[int, str] = {}
    for line in path.read_text().splitlines():
        seq, outcome, _message = line.split("|", 2)
        found.setdefault(int(seq), outcome)
    return found


@pytest.mark.slow
def test_serial_scans_book_exactly_once_through_broker_restart_and_edge_kill(
    world: World, fresh_mosquitto: Mosquitto, tmp_path: Path
) -> None:
    admin = world.headers(Role.ADMIN)
    answer = world.client.put(f"/api/v1/gateways/{GATEWAY}/scanners/dock", headers=admin, json={
        "operator": "operator1", "modes": ["receive", "identify"], "location": "F-01"})
    assert answer.status_code == 201, answer.text
    link = tmp_path / "scanner0"
    sim = SimScanner(ScannerSpec(link=link, baud=115200))
    shown = tmp_path / "display.txt"
    command = (f'printf "%s|%s|%s\\n" "$STOCKWARDEN_SCAN_SEQ" "$STOCKWARDEN_SCAN_OUTCOME" '
               f'"$STOCKWARDEN_SCAN_MESSAGE" >> {shown}')
    config = gateway_config(
        tmp_path / "gateway.yaml", mqtt_port=fresh_mosquitto.port, gateway=GATEWAY,
        scanners=[
            {"id": "dock", "port": str(link), "baud": 115200, "mode": "receive",
             "reconnect_max": 0.5, "result_command": command},
            # Reported by the gateway, never registered: flagged in its status.
            {"id": "hand-2", "port": str(tmp_path / "absent"), "reconnect_max": 5},
        ],
    )
    outbox = tmp_path / "outbox.db"
    log = tmp_path / "agent.log"
    subscriber = Subscriber(fresh_mosquitto.port)
    started = utc_now()
    agent = start_agent(config, log)
    typed = 0

    def note(what: str) -> None:
        # The test's steps beside the agent's log lines, for a failure's dump.
        print(datetime.now().isoformat(" ", "milliseconds"), what)

    def type_scans(count: int) -> None:
        nonlocal typed
        for _ in range(count):
            sim.type_scan(RECEIPT)
        typed += count
        note(f"typed {typed} scans")

    try:
        wait_until(lambda: scanner_open(subscriber, since=started), 20, "the scanner open")
        type_scans(5)
        wait_until(lambda: len(results(shown)) >= 5, 20, "five answers at the gateway")
        # Killed with scans in flight: some sent, not all answered.
        type_scans(5)
        wait_until(lambda: next_seq(outbox) >= 10, 10, "ten scans in the outbox")
        agent.send_signal(signal.SIGKILL)
        agent.wait(5)
        restarted = utc_now()
        agent = start_agent(config, log)
        note("agent restarted")
        wait_until(lambda: len(results(shown)) >= 10, 30, "ten answers after the kill")
        # Opening a port drops what arrived before (docs/edge.md), and the restarted agent
        # may answer from the broker before its scanner thread has opened the port.
        wait_until(lambda: scanner_open(subscriber, since=restarted), 20, "the scanner open again")
        # The broker away: scans wait in the outbox, answers wait in the broker's session.
        fresh_mosquitto.stop()
        note("broker stopped")
        type_scans(5)
        wait_until(lambda: next_seq(outbox) >= 15, 10, "fifteen scans in the outbox")
        time.sleep(0.5)
        fresh_mosquitto.start()
        wait_until(lambda: len(results(shown)) >= 15, 40, "fifteen answers after the outage")
        # A redelivery of an answered scan: the same bytes again.
        first = min(subscriber.scans, key=lambda s: s.seq)
        publish_raw(fresh_mosquitto.port, scan_topic("test", GATEWAY), [wire.encode(first)])
        wait_until(lambda: "duplicate" in (tmp_path / "display.txt").read_text(), 20,
                   "the duplicate answered")
        gateway = world.ok(world.get(f"/gateways/{GATEWAY}"))
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0, log.read_text()[-2000:]
    except AssertionError:
        # Where each of the agent's threads is (a stall shows here), what it did and
        # showed, what it still holds, what reached the broker.
        py_spy = Path(sys.executable).parent / "py-spy"
        if agent.poll() is None and py_spy.exists():
            dump = subprocess.run([str(py_spy), "dump", "--pid", str(agent.pid)],
                                  capture_output=True, text=True, timeout=30)
            print("=== agent threads", time.strftime("%H:%M:%S"), dump.stdout, dump.stderr)
        print("=== agent.log\n" + (log.read_text() if log.exists() else "(none)"))
        print("=== display.txt\n" + (shown.read_text() if shown.exists() else "(none)"))
        with sqlite3.connect(outbox) as db:
            print("=== outbox", db.execute("SELECT seq FROM message").fetchall(),
                  db.execute("SELECT key, value FROM meta").fetchall())
        print("=== scans at the broker", sorted(s.seq for s in subscriber.scans))
        raise
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        sim.stop()

    answered = results(shown)
    assert sorted(answered) == list(range(15))
    assert set(answered.values()) == {"booked"}, shown.read_text()
    # Exactly once: fifteen lots of 3, each booked by one receipt, as the scanner's account.
    stock = world.ok(world.get("/stock", item="VAC-1"))
    assert sorted(row["lot_number"] for row in stock) == sorted(f"E2E{n}" for n in range(15))
    assert {row["quantity"] for row in stock} == {3}
    moves = world.ok(world.get("/moves", Role.SUPERVISOR, limit=100))
    assert len(moves) == 15 and {m["user"] for m in moves} == {"operator1"}
    world.assert_ledger_equals_balances()
    records = world.ok(world.get("/scans", Role.SUPERVISOR, gateway=GATEWAY))
    assert sorted(r["seq"] for r in records) == list(range(15))
    # The gateway logged every answer; its status lists its scanners, flagged.
    agent_log = log.read_text()
    assert f"scan {first.seq} from dock: duplicate: Already booked: Received 3 of VAC-1" \
        in agent_log
    assert "Traceback" not in agent_log
    rows = {row["id"]: row for row in gateway["scanners"]}
    assert (rows["dock"]["registered"], rows["dock"]["reported"], rows["dock"]["problem"]) == (
        True, True, None)
    assert rows["dock"]["operator"] == "operator1" and rows["dock"]["port"] == str(link)
    assert (rows["hand-2"]["registered"], rows["hand-2"]["reported"]) == (False, True)
    assert "not registered" in rows["hand-2"]["problem"]
    health = world.client.get("/health").json()["checks"]["scan_consumer"]
    assert health["ok"] and health["handled"] >= 16
    metrics = world.client.get("/metrics").text
    assert 'stockwarden_scans_total{outcome="booked"} 15.0' in metrics
    assert 'stockwarden_scans_total{outcome="duplicate"}' in metrics
