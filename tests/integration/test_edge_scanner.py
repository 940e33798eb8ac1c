"""Serial scanners on a real pseudo-terminal → the edge agent → a real Mosquitto."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.wire import ScanLine, ScanMode, ScanResult, encode, scan_result_topic, utc_now
from edge.agent import Agent
from edge.config import ScannerConfig, load_config
from edge.scanner import ScanEvent, ScannerReader
from firmware_sim.scanner import ScannerSpec, SimScanner
from firmware_sim.scenario import ScenarioSpec, Simulation
from tests.support.edge import Subscriber, gateway_config, simulate, wait_until
from tests.support.mqtt import publish_raw
from tests.support.services import Mosquitto

GS = "\x1d"
RECEIPT = "]d2010950110153000317271231{GS}10LOT{n}{GS}21S{n}"


def scanner_entry(port: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "dock",
        "port": port,
        "baud": 115200,
        "terminator": "CR",
        "mode": "receive",
        "location": "DOCK-1",
        "operator": "dock-op",
        "inter_char_timeout": 0.15,
        "reconnect_max": 0.5,
        **extra,
    }


class Running:
    """An agent in a thread, stopped at the end."""

    def __init__(self, config: Path) -> None:
        self.agent = Agent(*load_config(config))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.agent.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def scanner(self, index: int = 0):  # -> ScannerHealth
        return self.agent.scanners[index].health()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(20)


@pytest.fixture
def link(tmp_path: Path) -> Path:
    return tmp_path / "scanner0"


@pytest.fixture
def sim(link: Path) -> Iterator[SimScanner]:
    scanner = SimScanner(ScannerSpec(link=link, baud=115200, suffix="CR"))
    yield scanner
    scanner.stop()


@pytest.fixture
def subscriber(mosquitto: Mosquitto) -> Iterator[Subscriber]:
    sub = Subscriber(mosquitto.port)
    yield sub
    sub.close()


def start(tmp_path: Path, port: int, link: Path, gateway: str, **extra: Any) -> Running:
    scanner_extra = extra.pop("scanner", {})
    config = gateway_config(tmp_path / "gateway.yaml", mqtt_port=port, gateway=gateway,
                            scanners=[scanner_entry(str(link), **scanner_extra)], **extra)
    running = Running(config)
    return running


def test_scans_arrive_exactly_once_with_raw_intact_and_labels_switch_state(
    tmp_path: Path, mosquitto: Mosquitto, subscriber: Subscriber, sim: SimScanner, link: Path
) -> None:
    running = start(tmp_path, mosquitto.port, link, "gw-scan-1")
    try:
        wait_until(lambda: running.scanner().connected, 10, "the scanner port open")
        typed = [sim.type_scan(RECEIPT)[0] for _ in range(20)]
        sim.type_scan("CMD:DISPATCH")
        sim.type_scan("LOC:B-02-03")
        typed_after = sim.type_scan(RECEIPT)[0]
        wait_until(lambda: len(subscriber.scans) >= 23, 15, "23 scans at the broker")
        time.sleep(0.5)  # anything doubled would arrive by now
    finally:
        running.close()
    # The outbox sends the newest first (its live lane), so a burst may arrive out of
    # order; each scan carries its own mode and location, and seq gives the order.
    scans = sorted((s for s in subscriber.scans if s.gateway == "gw-scan-1"), key=lambda s: s.seq)
    assert [s.raw for s in scans] == [*typed, "CMD:DISPATCH", "LOC:B-02-03", typed_after]
    assert GS in typed[0] and typed[0].startswith("]d2")
    assert len({s.seq for s in scans}) == len(scans) == 23
    for scan in scans[:20]:
        assert (scan.scanner, scan.mode, scan.location, scan.operator) == (
            "dock", ScanMode.RECEIVE, "DOCK-1", "dock-op")
    # A label is forwarded with the state it switched to, and the state sticks.
    assert (scans[20].mode, scans[20].location) == (ScanMode.DISPATCH, "DOCK-1")
    assert (scans[22].mode, scans[22].location) == (ScanMode.DISPATCH, "B-02-03")
    status = running.agent.status().scanners["dock"]
    assert (status.scans, status.rejected, status.mode, status.location) == (
        23, 0, ScanMode.DISPATCH, "B-02-03")


def test_garbage_partial_and_over_long_scans_are_counted_not_published(
    tmp_path: Path, mosquitto: Mosquitto, subscriber: Subscriber, sim: SimScanner, link: Path
) -> None:
    running = start(tmp_path, mosquitto.port, link, "gw-scan-2", scanner={"max_length": 64})
    try:
        wait_until(lambda: running.scanner().connected, 10, "the scanner port open")
        sim.type_scan("BEFORE")
        sim.type_garbage(12)
        sim.type_scan("0109501101", suffix=False)  # cut: no terminator comes
        time.sleep(0.5)
        sim.type_scan("X" * 200)
        sim.type_scan("AFTER")
        wait_until(lambda: "AFTER" in subscriber.scan_raws(), 10, "the scan after the garbage")
        wait_until(lambda: any(s.get("scanners", {}).get("dock", {}).get("rejected") == 3
                               for s in subscriber.status), 5, "the status with 3 rejected")
    finally:
        running.close()
    raws = [s.raw for s in sorted(subscriber.scans, key=lambda s: s.seq)
            if s.gateway == "gw-scan-2"]
    assert raws == ["BEFORE", "AFTER"]
    health = running.agent.status().scanners["dock"]
    assert health.rejected_by_reason == {"garbage": 1, "partial": 1, "too_long": 1}
    assert health.scans == 2


def test_a_stand_in_is_turned_into_a_group_separator_when_configured(
    tmp_path: Path, mosquitto: Mosquitto, subscriber: Subscriber, link: Path
) -> None:
    sim = SimScanner(ScannerSpec(link=link, suffix="CRLF", group_separator="|"))
    running = start(tmp_path, mosquitto.port, link, "gw-scan-3",
                    scanner={"group_separator": "|", "terminator": "CRLF"})
    try:
        wait_until(lambda: running.scanner().connected, 10, "the scanner port open")
        sent, _ = sim.type_scan(RECEIPT)
        assert "|" in sent and GS not in sent
        wait_until(lambda: subscriber.scan_raws(), 10, "the scan")
    finally:
        running.close()
        sim.stop()
    [scan] = [s for s in subscriber.scans if s.gateway == "gw-scan-3"]
    assert scan.raw == sent.replace("|", GS)


def test_what_the_scanner_sent_before_its_port_was_opened_is_dropped(
    sim: SimScanner, link: Path
) -> None:
    # docs/edge.md: scans made while the agent is stopped are lost. So a restarted agent
    # takes scans once its status says the scanner is connected, not when it is back on
    # the broker (the e2e scan-to-ledger test typed in between and lost five scans).
    sim.type_scan("BEFORE")
    scans: list[ScanEvent] = []
    reader = ScannerReader(ScannerConfig.model_validate(scanner_entry(str(link))), scans.append)
    stop = threading.Event()
    thread = threading.Thread(target=reader.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: reader.health().connected, 10, "the scanner port open")
        sim.type_scan("AFTER")
        wait_until(lambda: scans, 10, "the scan typed after the port opened")
    finally:
        stop.set()
        thread.join(5)
    assert [scan.raw for scan in scans] == ["AFTER"]


def test_a_scanner_absent_at_start_is_picked_up_and_sensors_keep_polling(
    tmp_path: Path, mosquitto: Mosquitto, subscriber: Subscriber, link: Path
) -> None:
    modbus = simulate({"lan": {"type": "tcp", "port": 0}}, [
        {"server": "lan", "unit_id": 1, "profile": "generic-th",
         "values": {"temperature_c": 4, "humidity_pct": 50}, "actions": [{"do": "steady"}]}])
    running = start(
        tmp_path, mosquitto.port, link, "gw-scan-4",
        buses={"lan": {"type": "modbus-tcp", "host": "127.0.0.1",
                       "port": modbus.tcp["lan"].port}},
        sensors=[{"id": "s-1", "bus": "lan", "unit_id": 1, "profile": "generic-th",
                  "poll_interval": 0.2}],
    )
    sim = None
    try:
        wait_until(lambda: len(subscriber.readings("s-1")) >= 10, 15, "readings while absent")
        health = running.scanner()
        assert not health.connected
        assert str(link) in (health.last_error or "")
        sim = SimScanner(ScannerSpec(link=link))
        wait_until(lambda: running.scanner().connected, 10, "the port picked up")
        sim.type_scan("FIRST")
        wait_until(lambda: "FIRST" in subscriber.scan_raws(), 10, "the first scan")
        # Unplugged, then plugged in again (a new pty behind the same path).
        sim.stop()
        wait_until(lambda: not running.scanner().connected, 10, "the loss noticed")
        readings = len(subscriber.readings("s-1"))
        sim = SimScanner(ScannerSpec(link=link))
        wait_until(lambda: running.scanner().connected, 10, "the port picked up again")
        sim.type_scan("SECOND")
        wait_until(lambda: "SECOND" in subscriber.scan_raws(), 10, "the second scan")
        wait_until(lambda: len(subscriber.readings("s-1")) >= readings + 3, 5,
                   "sensors still polled at their rate")
    finally:
        running.close()
        modbus.stop()
        if sim:
            sim.stop()
    assert [s.raw for s in sorted(subscriber.scans, key=lambda s: s.seq)
            if s.gateway == "gw-scan-4"] == ["FIRST", "SECOND"]


@pytest.mark.slow
def test_scans_wait_in_the_outbox_while_the_broker_is_away(
    tmp_path: Path, fresh_mosquitto: Mosquitto, sim: SimScanner, link: Path
) -> None:
    subscriber = Subscriber(fresh_mosquitto.port)
    running = start(tmp_path, fresh_mosquitto.port, link, "gw-scan-5")
    try:
        wait_until(lambda: running.scanner().connected, 10, "the scanner port open")
        wait_until(lambda: running.agent.publisher.connected.is_set(), 10, "the broker")
        typed = [sim.type_scan(RECEIPT)[0] for _ in range(5)]
        wait_until(lambda: len(subscriber.scans) >= 5, 10, "five scans before the outage")
        fresh_mosquitto.stop()
        typed += [sim.type_scan(RECEIPT)[0] for _ in range(10)]
        wait_until(lambda: running.agent.outbox.depth >= 10, 5, "ten scans in the outbox")
        time.sleep(1)
        fresh_mosquitto.start()
        wait_until(lambda: len(subscriber.scans) >= 15, 30, "all scans after the outage")
        time.sleep(0.5)
    finally:
        running.close()
        subscriber.close()
    assert sorted(s.raw for s in subscriber.scans) == sorted(typed)
    assert sorted(s.seq for s in subscriber.scans) == list(range(15))


def test_a_scan_result_is_logged_and_runs_the_result_command(
    tmp_path: Path, mosquitto: Mosquitto, sim: SimScanner, link: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = tmp_path / "display.txt"
    command = (f'printf "%s|%s|%s|%s\\n" "$STOCKWARDEN_SCAN_OK" "$STOCKWARDEN_SCAN_OUTCOME" '
               f'"$STOCKWARDEN_SCAN_MESSAGE" "$STOCKWARDEN_SCAN_SEQ" >> {out}')
    running = start(tmp_path, mosquitto.port, link, "gw-scan-6",
                    scanner={"result_command": command})
    caplog.set_level(logging.INFO, logger="edge.scan_results")
    try:
        wait_until(lambda: running.agent.publisher.connected.is_set(), 10, "the broker")
        time.sleep(0.3)  # the subscription goes out right after the connect
        topic = scan_result_topic("test", "gw-scan-6")
        results = [
            ScanResult(gateway="gw-scan-6", seq=4, scanner="dock", ts=utc_now(), ok=True,
                       outcome="booked", message="Booked 12 of lot L1 into DOCK-1",
                       lines=[ScanLine(item="SKU-1", quantity=12, lot="L1")]),
            ScanResult(gateway="gw-scan-6", seq=5, scanner="dock", ts=utc_now(), ok=False,
                       outcome="refused", message="Lot L9 expired on 2026-01-01"),
        ]
        publish_raw(mosquitto.port, topic, [encode(r) for r in results] + [b"{broken"])
        wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 2, 10,
                   "two result commands run")
    finally:
        running.close()
    assert out.read_text().splitlines() == [
        "1|booked|Booked 12 of lot L1 into DOCK-1|4",
        "0|refused|Lot L9 expired on 2026-01-01|5",
    ]
    logged = caplog.text
    assert "scan 4 from dock: booked: Booked 12 of lot L1 into DOCK-1 [SKU-1 x12 lot L1]" in logged
    assert "scan 5 from dock: refused: Lot L9 expired" in logged
    assert "scan result not understood" in logged
    assert json.loads(encode(results[0]))["seq"] == 4


def test_a_scanner_scenario_runs_as_data_through_the_agent(
    tmp_path: Path, mosquitto: Mosquitto, subscriber: Subscriber, link: Path
) -> None:
    running = start(tmp_path, mosquitto.port, link, "gw-scan-7",
                    scanner={"mode": "identify", "location": None})
    spec = ScenarioSpec.model_validate({"scanners": {"dock": {
        "link": str(link), "suffix": "CR", "every_s": 0.05, "repeat": 2, "steps": [
            {"scan": "CMD:RECEIVE", "after_s": 2.0},  # the agent opens the port first
            {"scan": "LOC:A-01-01"},
            {"scan": RECEIPT, "burst": 3, "burst_gap_s": 0.02},
            {"garbage": 5},
            {"partial": "0109501101", "after_s": 0.05},
            {"scan": "END{n}", "after_s": 0.5},
        ]}}})
    sim = Simulation(spec).start()
    try:
        wait_until(lambda: sum(r.startswith("END") for r in subscriber.scan_raws()) == 2, 15,
                   "two rounds of the scenario")
    finally:
        sim.stop()
        running.close()
    scans = sorted((s for s in subscriber.scans if s.gateway == "gw-scan-7"), key=lambda s: s.seq)
    raws = [s.raw for s in scans]
    assert raws[:5] == ["CMD:RECEIVE", "LOC:A-01-01", *[
        RECEIPT.replace("{GS}", GS).replace("{n}", str(n)) for n in (2, 3, 4)]]
    assert raws[5] == "END6" and len(raws) == 12
    assert all(s.mode is ScanMode.RECEIVE and s.location == "A-01-01" for s in scans[1:])
    health = running.agent.status().scanners["dock"]
    assert health.rejected_by_reason == {"garbage": 2, "partial": 2}
