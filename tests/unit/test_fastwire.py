"""ingest.fastwire decodes telemetry exactly as the wire contract's pydantic models:
the same values for what they accept, the same reason for what they refuse."""

from __future__ import annotations

import json

import pytest

from contract import wire
from ingest.fastwire import LeanTelemetry, decode_telemetry
from ingest.lineproto import LineBuilder, reading_line

TS = "2026-01-31T12:00:00.123Z"


def _reading(**fields: object) -> dict[str, object]:
    return {"sensor": "s1", "ts": TS, "quantities": {"temperature_c": 5.0}, **fields}


def _message(*readings: dict[str, object], **fields: object) -> bytes:
    body = {"gateway": "gw", "seq": 7, "readings": list(readings) or [_reading()], **fields}
    return json.dumps(body).encode()


def _values(message: object) -> tuple[object, ...]:
    return (message.gateway, message.seq, [  # type: ignore[attr-defined]
        (r.sensor, r.ts, r.ts.utcoffset(), dict(r.quantities), r.quality, r.error)
        for r in message.readings])  # type: ignore[attr-defined]


def _outcome(decode: object, payload: bytes) -> object:
    try:
        return _values(decode(payload))  # type: ignore[operator]
    except wire.WireError as exc:
        return ("refused", str(exc))


PAYLOADS = [
    _message(),
    _message(_reading(ts="2026-01-31T12:00:00Z")),
    _message(_reading(ts="2026-01-31T12:00:00.1234567Z")),  # 7 fraction digits
    _message(_reading(ts="2026-01-31T12:00:00.123456Z")),
    _message(_reading(ts="2026-01-31T14:00:00.5+02:00")),
    _message(_reading(ts="2026-01-31T12:00:00.000-00:00")),
    _message(_reading(ts="2026-01-31 12:00:00Z")),  # another ISO form: pydantic's call
    _message(_reading(ts="2026-01-31T12:00:00")),  # no zone
    _message(_reading(ts="2026-02-30T12:00:00Z")),
    _message(_reading(ts="2026-01-31T24:00:00Z")),
    _message(_reading(ts="2026-01-31T12:00:00+24:00")),
    _message(_reading(ts=1_769_860_800)),
    _message(_reading(ts="٢٠٢٦-01-31T12:00:00Z")),  # non-ASCII digits
    # 24 characters, the common shape's length, not its content:
    _message(_reading(ts="2026-01-31T12:00:00.12aZ")),
    _message(_reading(ts="2026-01-31T12:00:00,123Z")),
    _message(_reading(ts="2026-01-31t12:00:00.123z")),
    _message(_reading(ts="2026-01-31T12:0 :00.123Z")),
    _message(_reading(ts="+026-01-31T12:00:00.123Z")),
    _message(_reading(ts="0000-01-31T12:00:00.123Z")),
    _message(_reading(ts="2026-13-31T12:00:00.123Z")),
    _message(_reading(ts="2026-01-31T12:00:60.123Z")),
    _message(_reading(ts="2026-01-31T12:00:00.1٢3Z")),
    _message(_reading(quality="bad", error="timeout", quantities={})),
    _message(_reading(quality="Bad")),
    _message(_reading(error="x" * 201)),
    _message(_reading(error="nul \x00 here")),
    _message(_reading(quantities={"temperature_c": 1001})),
    _message(_reading(quantities={"humidity_pct": -0.5})),
    _message(_reading(quantities={"Temp": 1.0})),
    _message(_reading(quantities={"weight_kg": 1e400})),
    _message(_reading(quantities={f"q{i}": 1.0 for i in range(33)})),
    _message(_reading(quantities={"temperature_c": "5"})),
    _message(_reading(quantities={"temperature_c": True})),
    _message(_reading(sensor="s1\n")),
    _message(_reading(sensor="-s1")),
    _message(_reading(sensor="s" * 65)),
    _message(_reading(extra={"ignored": [1, 2]})),
    _message(seq="7"),
    _message(seq=7.0),
    _message(seq=-1),
    _message(seq=2**63),
    _message(seq=True),
    _message(gateway="alarms"),
    _message(gateway="gw/1"),
    _message(*[_reading()] * 1001),
    json.dumps({"gateway": "gw", "seq": 1, "readings": []}).encode(),
    b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s1", "ts": "' + TS.encode()
    + b'", "quantities": {"temperature_c": NaN}}]}',
    b'{"gateway": "gw", "seq": 1, "gateway": "gw2", "readings": [{"sensor": "s1", "ts": "'
    + TS.encode() + b'"}]}',
    b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s1", "ts": "' + TS.encode()
    + b'", "error": "\\ud800"}]}',
    b"[]",
    b"not json",
    b'{"gateway": "gw"',
    b"\xff\xfe",
    b" " * (wire.MAX_PAYLOAD_BYTES + 1),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_same_verdict_as_the_wire_contract(payload: bytes) -> None:
    assert _outcome(decode_telemetry, payload) == _outcome(
        lambda p: wire.decode(wire.Telemetry, p), payload)


def test_the_common_shape_takes_the_fast_path() -> None:
    message = decode_telemetry(_message(_reading(), _reading(sensor="s2", quality="uncertain")))
    assert isinstance(message, LeanTelemetry)
    assert message.readings[1].quality is wire.Quality.UNCERTAIN
    assert message.readings[0].ts.microsecond == 123_000


def test_timestamps_are_utc_milliseconds() -> None:
    message = decode_telemetry(_message(_reading(ts="2026-01-31T14:00:00.123987+02:00")))
    assert isinstance(message, LeanTelemetry)
    ts = message.readings[0].ts
    assert ts.utcoffset().total_seconds() == 0 and (ts.hour, ts.microsecond) == (12, 123_000)


@pytest.mark.parametrize("quality", ["good", "uncertain", "bad"])
def test_the_line_builder_writes_what_reading_line_writes(quality: str) -> None:
    reading = wire.Reading(sensor="s1", ts=TS, quality=quality,
                           quantities={"temperature_c": 5.25, "humidity_pct": 1e-20})
    builder = LineBuilder()
    for zone in ("COLD 1,a=b", "COLD 1,a=b", "unassigned"):
        expected = reading_line(reading, site="site", gateway="gw", zone=zone)
        assert builder.line(reading, "site", "gw", zone) == expected
        many: list[str] = []
        builder.lines([reading, reading], "site", "gw", {}, zone, many)
        assert many == [expected, expected]
