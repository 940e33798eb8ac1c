"""What no database stores alike (NUL, lone surrogates), numbers beyond float, deep
nesting and gateway ids that are words of the hub's topic tree: refused by the
wire contract with the field named. And the one MQTT client builder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract import wire
from contract.errors import ConfigError
from contract.mqtt_client import BrokerAddress, TlsFiles, build_client
from edge.config import parse_config

NUL = "\u0000"
TS = "2026-03-01T10:00:00Z"


def _reading(**extra: object) -> dict[str, object]:
    return {"sensor": "s1", "ts": TS, "quantities": {"temperature_c": 4.0}, **extra}


def _decode(model: type[wire.M], data: object) -> wire.M:
    return wire.decode(model, json.dumps(data).encode())


@pytest.mark.parametrize(("model", "data", "where"), [
    (wire.Telemetry, {"gateway": "gw", "seq": 1, "readings": [_reading(error=NUL)]},
     "readings.0.error"),
    (wire.Telemetry, {"gateway": "gw" + NUL, "seq": 1, "readings": [_reading()]}, "gateway"),
    (wire.Telemetry, {"gateway": "gw", "seq": 1, "readings": [_reading(sensor="s" + NUL)]},
     "readings.0.sensor"),
    (wire.Status, {"state": "online", "ts": TS, "version": "1" + NUL}, "version"),
    (wire.Status, {"state": "online", "ts": TS, "devices": {"d" + NUL: {}}}, "devices.d\\x00"),
    (wire.Status, {"state": "online", "ts": TS, "devices": {"d": {"last_error": NUL}}},
     "devices.d.last_error"),
    (wire.Scan, {"gateway": "gw", "seq": 1, "scanner": "sc", "ts": TS, "raw": "01" + NUL},
     "raw"),
    (wire.Scan, {"gateway": "gw", "seq": 1, "scanner": "sc", "ts": TS, "raw": "01",
                 "location": NUL}, "location"),
    (wire.Scan, {"gateway": "gw", "seq": 1, "scanner": "sc", "ts": TS, "raw": "01",
                 "operator": NUL}, "operator"),
])
def test_a_nul_in_any_string_field_is_refused_with_the_field_named(
    model: type[wire.M], data: object, where: str
) -> None:
    with pytest.raises(wire.WireError) as error:
        _decode(model, data)
    reason = str(error.value)
    assert reason.startswith(where), reason
    assert NUL not in reason  # the reason itself is storable


def test_one_bad_reading_among_a_thousand_is_named() -> None:
    readings = [_reading(sensor=f"s{i}") for i in range(1000)]
    readings[417]["error"] = f"crc{NUL}"
    with pytest.raises(wire.WireError, match=r"^readings\.417\.error: .*NUL"):
        _decode(wire.Telemetry, {"gateway": "gw", "seq": 1, "readings": readings})


def test_lone_surrogates_are_refused_as_json_escapes_and_as_python_text() -> None:
    payload = b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s", "ts": "%s",' \
              b' "error": "x\\ud800"}]}' % TS.encode()
    with pytest.raises(wire.WireError, match="surrogate"):
        wire.decode(wire.Telemetry, payload)
    with pytest.raises(ValueError, match="lone surrogate"):
        wire.Status.model_validate({"state": "online", "ts": TS, "version": "x\udc00"})
    assert wire.text_problem("fine ünïcode") is None
    assert wire.printable("a\ud800b\x00") == "a\\ud800b\\x00"


def test_numbers_beyond_float_and_deep_nesting_are_refused_not_raised() -> None:
    beyond = b'{"gateway": "gw", "seq": 1, "readings": [{"sensor": "s", "ts": "%s",' \
             b' "quantities": {"co2_ppm": 1e400}}]}' % TS.encode()
    with pytest.raises(wire.WireError, match=r"readings\.0\.quantities\.co2_ppm"):
        wire.decode(wire.Telemetry, beyond)
    with pytest.raises(wire.WireError, match="recursion limit"):
        wire.decode(wire.Telemetry, b"[" * 10_000 + b"]" * 10_000)
    with pytest.raises(wire.WireError, match="outbox_depth"):
        _decode(wire.Status, {"state": "online", "ts": TS, "outbox_depth": 10**30})


@pytest.mark.parametrize("gateway", [*sorted(wire.RESERVED_GATEWAY_IDS), "Alarms"])
def test_a_gateway_named_by_a_word_of_the_hubs_topic_tree_is_refused(gateway: str) -> None:
    with pytest.raises(wire.WireError, match="is reserved"):
        wire.parse_topic(f"stockwarden/v1/site/{gateway}/telemetry")
    with pytest.raises(ValueError, match="is reserved"):
        wire.gateway_topic("site", gateway, "status")
    with pytest.raises(wire.WireError, match=r"^gateway: .*is reserved"):
        _decode(wire.Telemetry, {"gateway": gateway, "seq": 1, "readings": [_reading()]})


def test_the_gateway_config_refuses_a_reserved_gateway_id() -> None:
    data = {"gateway": "alarms", "site": "main", "buses": {"lan": {"type": "modbus-tcp",
            "host": "10.0.0.5"}}, "sensors": [{"id": "s", "bus": "lan", "unit_id": 1,
                                              "profile": "xy-md02"}]}
    with pytest.raises(ConfigError, match=r"^gateway.yaml: gateway: 'alarms' is reserved"):
        parse_config(data)


def test_the_broker_url_carries_credentials_and_tls() -> None:
    client, address = build_client("mqtts://hub%40site:p%3Aw@broker.local", client_id="c",
                                   protocol="5")
    assert address == BrokerAddress("broker.local", 8883, True, "hub@site", "p:w")
    assert str(address) == "mqtts://broker.local:8883"  # never the password
    assert (client.username, client.password) == ("hub@site", "p:w")
    assert client.protocol == 5
    assert client._ssl_context is not None


def test_explicit_credentials_win_and_tls_files_turn_tls_on(tmp_path: Path) -> None:
    client, address = build_client("mqtt://url:user@127.0.0.1:1884", client_id="c",
                                   username="edge", password="secret",
                                   tls=TlsFiles(insecure=True))
    assert (address.host, address.port, address.tls) == ("127.0.0.1", 1884, False)
    assert (client.username, client.password) == ("edge", "secret")
    assert client.protocol == 4  # MQTT 3.1.1
    assert client._ssl_context is not None
    plain, _ = build_client("mqtt://127.0.0.1", client_id="c")
    assert plain.username is None and plain._ssl_context is None
    with pytest.raises(ValueError, match="mqtt://"):
        build_client("http://127.0.0.1", client_id="c")
