"""Serial scanner logic without a port: framing, labels, config, results."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from contract.errors import ConfigError
from contract.wire import (
    MAX_SCAN_RAW,
    Scan,
    ScanLine,
    ScanMode,
    ScanResult,
    Status,
    WireError,
    decode,
    encode,
    parse_topic,
    scan_result_topic,
    utc_now,
)
from edge.config import ScannerConfig, parse_config
from edge.scan_results import ResultHandler, result_environment, run_command
from edge.scanframe import Frame, Framer, Rejected
from edge.scanner import ScannerState, label_body

GS1 = "]d2010950110153000317271231\x1d10LOT1\x1d21S1"


def texts(events: list[Frame | Rejected]) -> list[str]:
    return [e.text if isinstance(e, Frame) else f"!{e.reason}" for e in events]


@pytest.mark.parametrize(
    ("terminator", "stream"),
    [(b"\r", b"A1\rB2\r"), (b"\n", b"A1\nB2\n"), (b"\r\n", b"A1\r\nB2\r\n")],
)
def test_each_terminator_ends_a_scan(terminator: bytes, stream: bytes) -> None:
    framer = Framer(terminator, 0.2, 100)
    assert texts(framer.feed(stream, 0.0)) == ["A1", "B2"]
    assert not framer.pending


def test_a_scan_split_over_reads_and_a_crlf_split_in_two_are_one_scan() -> None:
    framer = Framer(b"\r\n", 0.2, 100)
    assert framer.feed(b"0109", 0.0) == []
    assert framer.feed(b"5011\r", 0.01) == []
    assert texts(framer.feed(b"\nNEXT", 0.02)) == ["01095011"]
    assert framer.pending


def test_group_separators_and_the_aim_prefix_are_kept() -> None:
    framer = Framer(b"\r", 0.2, 100)
    assert texts(framer.feed(GS1.encode() + b"\r", 0.0)) == [GS1]


def test_without_a_terminator_a_pause_ends_the_scan() -> None:
    framer = Framer(b"", 0.1, 100)
    assert framer.feed(b"0109501", 0.0) == []
    assert framer.feed(b"1015300", 0.05) == []
    assert framer.deadline() == pytest.approx(0.15)
    assert framer.expire(0.1) == []
    assert texts(framer.expire(0.16)) == ["01095011015300"]
    # The next burst after a pause is the next scan, even before expire is called.
    framer.feed(b"AAA", 1.0)
    assert texts(framer.feed(b"BBB", 1.5)) == ["AAA"]


def test_a_pause_inside_a_terminated_scan_cuts_it_and_it_is_rejected() -> None:
    framer = Framer(b"\r", 0.1, 100)
    framer.feed(b"01095011", 0.0)
    [event] = framer.expire(0.2)
    assert isinstance(event, Rejected) and event.reason == "partial"
    assert event.data == b"01095011"
    # The rest, arriving later, is a piece on its own and is not glued to the first.
    assert texts(framer.feed(b"OK\r", 0.3)) == ["OK"]


def test_a_port_closing_mid_scan_rejects_the_piece() -> None:
    framer = Framer(b"\r", 0.1, 100)
    framer.feed(b"0109", 0.0)
    assert texts(framer.flush()) == ["!partial"]
    assert framer.flush() == []


@pytest.mark.parametrize(
    "garbage", [b"\x00\x01\x02", b"AB\x07C", b"\xff\xfe", b"A\x1bB", b"\x7f"]
)
def test_garbage_is_rejected_and_the_next_scan_is_fine(garbage: bytes) -> None:
    framer = Framer(b"\r", 0.2, 100)
    events = framer.feed(garbage + b"\rGOOD\r", 0.0)
    assert texts(events) == ["!garbage", "GOOD"]


def test_an_over_long_scan_is_rejected_once_and_the_next_is_read() -> None:
    framer = Framer(b"\r", 0.2, 10)
    events = framer.feed(b"X" * 8, 0.0) + framer.feed(b"X" * 8, 0.01)
    events += framer.feed(b"X" * 50, 0.02) + framer.feed(b"X\rNEXT\r", 0.03)
    assert texts(events) == ["!too_long", "NEXT"]
    free = Framer(b"", 0.1, 10)
    events = free.feed(b"Y" * 30, 0.0) + free.expire(0.2) + free.feed(b"Z", 0.3)
    assert texts(events + free.expire(0.5)) == ["!too_long", "Z"]


def test_an_empty_line_is_nothing() -> None:
    assert Framer(b"\n", 0.2, 10).feed(b"\n\nA\n", 0.0) == [Frame("A")]


@pytest.mark.parametrize(
    ("raw", "prefix", "body"),
    [
        ("CMD:RECEIVE", "CMD:", "RECEIVE"),
        ("cmd:dispatch ", "CMD:", "dispatch"),
        ("]C0LOC:A-01-01", "LOC:", "A-01-01"),
        ("LOC:", "LOC:", None),
        (GS1, "LOC:", None),
    ],
)
def test_labels_read_like_the_hub_reads_them(raw: str, prefix: str, body: str | None) -> None:
    assert label_body(raw, prefix) == body


def test_command_and_location_labels_switch_the_state() -> None:
    state = ScannerState(ScannerConfig(id="dock", port="/dev/null", mode="receive",
                                       location="DOCK-1"))
    assert (state.mode, state.location) == (ScanMode.RECEIVE, "DOCK-1")
    assert state.apply_labels("CMD:COUNT") == "mode count"
    assert state.apply_labels("]C0LOC:B-02-03") == "location B-02-03"
    assert state.apply_labels("CMD:QTY:12") is None  # not a mode: the hub's business
    assert state.apply_labels(GS1) is None
    assert (state.mode, state.location) == (ScanMode.COUNT, "B-02-03")
    assert state.apply_labels("cmd:identify") == "mode identify"


GATEWAY = {"gateway": "gw-dock", "site": "s1"}


def test_a_scanner_only_gateway_is_valid() -> None:
    config = parse_config({**GATEWAY, "scanners": [
        {"id": "dock", "port": "/dev/ttyACM0", "baud": 115200, "terminator": "CRLF",
         "mode": "receive", "location": "DOCK", "operator": "dock-1", "group_separator": "|"}
    ]})
    scanner = config.scanners[0]
    assert (scanner.baud, scanner.terminator, scanner.mode) == (115200, "CRLF", ScanMode.RECEIVE)
    assert config.batch_window == 0.25


@pytest.mark.parametrize(
    ("scanner", "message"),
    [
        ({"baud": 14400}, "gateway.yaml: scanners[0].baud: Input should be 1200, 2400"),
        ({"terminator": "ETX"}, "gateway.yaml: scanners[0].terminator: Input should be 'CR'"),
        ({"mode": "lookup"}, "gateway.yaml: scanners[0].mode: Input should be 'receive'"),
        ({"group_separator": "A"}, "scanners[0].group_separator: must be one printable"),
        ({"max_length": MAX_SCAN_RAW + 1}, "scanners[0].max_length: Input should be less"),
        ({"bytesize": 9}, "scanners[0].bytesize: Input should be 7 or 8"),
        ({"speed": 9600}, "scanners[0].speed: Extra inputs are not permitted"),
    ],
)
def test_bad_scanner_config_names_file_field_and_reason(scanner: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({**GATEWAY, "scanners": [{"id": "a", "port": "/dev/x", **scanner}]})
    assert message in str(error.value)


def test_duplicate_scanners_and_an_empty_gateway_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"scanners\[1\].port: /dev/x is also scanners\[0\]"):
        parse_config({**GATEWAY, "scanners": [{"id": "a", "port": "/dev/x"},
                                              {"id": "b", "port": "/dev/x"}]})
    with pytest.raises(ConfigError, match="at least one sensor or scanner"):
        parse_config(GATEWAY)


def test_one_scan_contract() -> None:
    from inventory.scans.actions import ScanMode as InventoryMode
    from inventory.scans.actions import ScanRequest

    assert InventoryMode is ScanMode
    assert {m.value for m in ScanMode} == {
        "receive", "dispatch", "transfer", "count", "return", "identify"}
    limit = ScanRequest.model_fields["raw"].metadata
    assert any(getattr(m, "max_length", None) == MAX_SCAN_RAW for m in limit)
    scan = Scan(gateway="g", seq=1, scanner="s", ts=utc_now(), raw="x" * MAX_SCAN_RAW)
    assert decode(Scan, encode(scan)) == scan
    too_long = scan.model_dump(mode="json") | {"raw": "x" * (MAX_SCAN_RAW + 1)}
    with pytest.raises(WireError, match="raw"):
        decode(Scan, json.dumps(too_long))
    assert ScanRequest(raw="x" * MAX_SCAN_RAW).mode is ScanMode.IDENTIFY
    with pytest.raises(ValidationError):
        ScanRequest(raw="x" * (MAX_SCAN_RAW + 1))


def test_scan_result_round_trip_and_topic() -> None:
    topic = scan_result_topic("s1", "gw-dock")
    assert topic == "stockwarden/v1/s1/gw-dock/scan-result"
    assert parse_topic(topic).kind == "scan-result"
    result = ScanResult(gateway="gw-dock", seq=7, scanner="dock", ts=utc_now(), ok=True,
                        outcome="booked", message="Booked 12 of lot L1 into A-01-01",
                        lines=[ScanLine(item="SKU-1", quantity=12, lot="L1", location="A-01-01")])
    assert decode(ScanResult, encode(result)) == result
    with pytest.raises(WireError, match="outcome"):
        decode(ScanResult, encode(result).replace(b'"booked"', b'"Booked!"'))
    # An older status (no scanners) still decodes, and a newer one carries them.
    assert decode(Status, b'{"state": "online", "ts": "2026-01-01T00:00:00Z"}').scanners == {}


def test_result_environment_and_command(tmp_path) -> None:
    result = ScanResult(gateway="gw", seq=3, scanner="dock", ts=utc_now(), ok=False,
                        outcome="refused", message="Lot L9 expired on 2026-01-01",
                        lines=[ScanLine(item="A", quantity=1)])
    env = result_environment(result)
    assert env["STOCKWARDEN_SCAN_OK"] == "0"
    assert env["STOCKWARDEN_SCAN_LINES"] == '[{"item": "A", "quantity": 1}]'
    out = tmp_path / "out"
    assert run_command(f'echo "$STOCKWARDEN_SCAN_OUTCOME:$STOCKWARDEN_SCAN_MESSAGE" > {out}',
                       env, 5) is None
    assert out.read_text() == "refused:Lot L9 expired on 2026-01-01\n"
    assert run_command("echo oops; exit 3", env, 5) == "exit status 3: oops"
    assert run_command("sleep 30", env, 0.2) == "killed after 0.2s"


def test_results_for_others_or_unreadable_are_ignored() -> None:
    handler = ResultHandler("gw", [ScannerConfig(id="dock", port="/dev/x")])
    handler.handle(b"{not json")
    handler.handle(encode(ScanResult(gateway="other", seq=1, scanner="dock", ts=utc_now(),
                                     ok=True, outcome="booked")))
    assert handler.received == 0
    handler.handle(encode(ScanResult(gateway="gw", seq=1, scanner="dock", ts=utc_now(),
                                     ok=True, outcome="booked")))
    assert handler.received == 1


def test_an_answer_is_acknowledged_only_after_its_result_command_ran(tmp_path: Path) -> None:
    # Acknowledged earlier, an agent killed before its command ran would lose the answer.
    shown = tmp_path / "shown"
    handler = ResultHandler("gw", [
        ScannerConfig(id="dock", port="/dev/x", result_command=f"sleep 0.3; echo x >> {shown}"),
        ScannerConfig(id="hand", port="/dev/y"),
    ])
    seen_at_done: list[bool] = []
    done = threading.Event()

    def acknowledge() -> None:
        seen_at_done.append(shown.exists())
        done.set()

    handler.start()
    try:
        handler.handle(encode(ScanResult(gateway="gw", seq=1, scanner="dock", ts=utc_now(),
                                         ok=True, outcome="booked")), acknowledge)
        assert not done.is_set()
        assert done.wait(10)
        assert seen_at_done == [True]
        # Nothing to run (no command, unreadable, not ours): acknowledged at once.
        quick: list[str] = []
        handler.handle(encode(ScanResult(gateway="gw", seq=2, scanner="hand", ts=utc_now(),
                                         ok=True, outcome="booked")), lambda: quick.append("a"))
        handler.handle(b"{not json", lambda: quick.append("b"))
        assert quick == ["a", "b"]
    finally:
        handler.stop()


class FakePort:
    """Serves scripted reads, then fails like an unplugged adapter."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.in_waiting = 0
        self.closed = False

    def read(self, size: int) -> bytes:
        import serial

        if not self.chunks:
            raise serial.SerialException("device disconnected")
        return self.chunks.pop(0)

    def close(self) -> None:
        self.closed = True


def test_the_reader_survives_a_failing_sink_an_absent_port_and_an_unplug() -> None:
    import threading

    import serial

    from edge.scanner import ScanEvent, ScannerReader

    stop = threading.Event()
    ports = [FakePort([b"ONE\rTWO\rTHR"]), FakePort([b"FOUR\r"])]
    attempts: list[str] = []

    def opener(config: ScannerConfig, timeout: float) -> FakePort:
        attempts.append("try")
        if len(attempts) == 1:
            raise serial.SerialException("[Errno 2] No such file or directory: '/dev/x'")
        if not ports:
            stop.set()
            raise serial.SerialException("gone")
        return ports.pop(0)

    seen: list[str] = []

    def sink(event: ScanEvent) -> None:
        if event.raw == "TWO":
            raise OSError("disk full")
        seen.append(event.raw)

    reader = ScannerReader(ScannerConfig(id="dock", port="/dev/x", reconnect_max=0.1), sink,
                           opener=opener)  # type: ignore[arg-type]
    reader.FIRST_RETRY = 0.01
    reader.run(stop)
    assert seen == ["ONE", "FOUR"]
    health = reader.health()
    assert health.scans == 3  # TWO was read, then lost while storing it: logged
    assert health.rejected_by_reason == {"partial": 1}  # THR, cut by the unplug
    assert not health.connected
    assert len(attempts) == 4
