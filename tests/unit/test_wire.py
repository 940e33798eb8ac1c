"""The wire contract: what passes, what is refused and why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contract import wire


def reading(**overrides: object) -> dict[str, object]:
    return {"sensor": "s1", "ts": "2026-03-01T10:00:00.123456+01:00",
            "quantities": {"temperature_c": -18.5}, **overrides}


def test_a_telemetry_batch_round_trips_with_utc_milliseconds() -> None:
    message = wire.decode(wire.Telemetry, b'{"gateway": "gw", "seq": 7, "readings": [%s]}'
                          % wire.Reading.model_validate(reading()).model_dump_json().encode())
    assert message.readings[0].ts == datetime(2026, 3, 1, 9, 0, 0, 123000, tzinfo=UTC)
    encoded = wire.encode(message)
    assert b'"ts":"2026-03-01T09:00:00.123Z"' in encoded
    assert wire.decode(wire.Telemetry, encoded) == message


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{", "not valid JSON"),
        (b'"text"', "payload must be a JSON object"),
        (b'{"gateway": "gw", "seq": -1, "readings": [{}]}', "seq"),
        (b'{"gateway": "g w", "seq": 1, "readings": []}', "gateway"),
        (b'{"gateway": "gw", "seq": 1, "readings": []}', "readings"),
        (b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00",'
         b' "quantities": {}}]}', "timezone"),
        (b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00Z",'
         b' "quantities": {"temperature_c": Infinity}}]}', "finite"),
        (b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00Z",'
         b' "quantities": {"temperature_c": "warm"}}]}', "temperature_c"),
        (b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s", "ts": "2026-01-01T00:00:00Z",'
         b' "quantities": {"Temp C": 1}}]}', "quantities"),
    ],
)
def test_a_payload_that_breaks_the_contract_is_refused_with_its_reason(
    payload: bytes, reason: str
) -> None:
    with pytest.raises(wire.WireError, match=reason):
        wire.decode(wire.Telemetry, payload)


def test_an_oversized_payload_is_refused_before_parsing() -> None:
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.decode(wire.Telemetry, b" " * (wire.MAX_PAYLOAD_BYTES + 1))


def test_topics_are_built_and_parsed_symmetrically() -> None:
    topic = wire.gateway_topic("site-1", "gw-1", "telemetry")
    assert topic == "stockwarden/v1/site-1/gw-1/telemetry"
    assert wire.parse_topic(topic) == wire.TopicParts("site-1", "gw-1", "telemetry")
    assert wire.subscription("status") == "stockwarden/v1/+/+/status"
    assert wire.alarm_topic("site-1", 12) == "stockwarden/v1/site-1/alarms/12"


@pytest.mark.parametrize("topic", ["stockwarden/v2/a/b/telemetry", "stockwarden/v1/a/b/c/telemetry",
                                   "stockwarden/v1/a/b/other", "stockwarden/v1/a/b c/telemetry"])
def test_a_foreign_topic_is_refused(topic: str) -> None:
    with pytest.raises(wire.WireError):
        wire.parse_topic(topic)


def test_a_scan_keeps_the_group_separator() -> None:
    raw = "]d2010950600013435217271231\x1d10ABC"
    scan = wire.Scan(gateway="gw", seq=1, scanner="sc1", ts=wire.utc_now(), raw=raw)
    assert wire.decode(wire.Scan, wire.encode(scan)).raw == raw


def test_a_status_carries_each_sensors_poll_interval_profile_and_calibration() -> None:
    # Issue 17 (defects 4 and 8): defined in the contract, so none is dropped on the way.
    payload = (b'{"state": "online", "ts": "2026-01-31T12:00:00Z", "devices": {"cold-1": '
               b'{"state": "ok", "poll_interval_s": 20, "profile": "xy-md02", '
               b'"calibration": {"temperature_c": -0.3}}, "cold-2": {"state": "ok"}}}')
    status = wire.decode(wire.Status, payload)
    cold = status.devices["cold-1"]
    assert (cold.poll_interval_s, cold.profile, cold.calibration) == (
        20.0, "xy-md02", {"temperature_c": -0.3})
    older = status.devices["cold-2"]  # a gateway that does not say: nothing assumed
    assert (older.poll_interval_s, older.profile, older.calibration) == (None, None, {})
    assert wire.decode(wire.Status, wire.encode(status)) == status


@pytest.mark.parametrize(("device", "reason"), [
    ('{"poll_interval_s": 0}', "devices.cold-1.poll_interval_s"),
    ('{"poll_interval_s": 86401}', "devices.cold-1.poll_interval_s"),
    ('{"calibration": {"Temperature": 1}}', "devices.cold-1.calibration"),
    ('{"calibration": {"temperature_c": "x"}}', "devices.cold-1.calibration.temperature_c"),
])
def test_a_bad_applied_setting_is_refused_with_its_field(device: str, reason: str) -> None:
    payload = ('{"state": "online", "ts": "2026-01-31T12:00:00Z", "devices": {"cold-1": '
               + device + "}}")
    with pytest.raises(wire.WireError, match=reason.replace(".", r"\.")):
        wire.decode(wire.Status, payload)
