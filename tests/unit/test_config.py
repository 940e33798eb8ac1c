"""The gateway config: a good file loads, a bad one is refused with file, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contract.errors import ConfigError
from edge.config import load_config

GOOD = {
    "gateway": "gw-1",
    "site": "main",
    "broker": {"url": "mqtt://broker.local:1884", "username": "edge", "password": "secret"},
    "buses": {
        "rs485": {"type": "modbus-rtu", "port": "/dev/ttyUSB0", "baud": 9600, "parity": "E"},
        "lan": {"type": "modbus-tcp", "host": "10.0.0.5"},
    },
    "sensors": [
        {
            "id": "cold-1",
            "bus": "rs485",
            "unit_id": 1,
            "profile": "xy-md02",
            "poll_interval": 5,
            "calibration": {"temperature_c": -0.3},
        },
        {"id": "crt-1", "bus": "lan", "unit_id": 1, "profile": "vaisala-hmp"},
    ],
    "outbox": {"path": "data/outbox.db"},
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def with_change(path: str, value: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is None:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


def test_a_good_config_loads_with_its_profiles(tmp_path: Path) -> None:
    config, profiles = load_config(write(tmp_path, GOOD))
    assert config.broker.host == "broker.local" and config.broker.port == 1884
    assert config.buses["rs485"].parity == "E"  # type: ignore[union-attr]
    assert config.sensors[0].calibration == {"temperature_c": -0.3}
    assert set(profiles) == {"xy-md02", "vaisala-hmp"}
    # Relative paths are relative to the config file.
    assert config.outbox.path == tmp_path / "data" / "outbox.db"
    assert config.batch_window == 0.25  # not the poll interval: a reading must not wait for it


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("sensors.1.unit_id", 300, "gateway.yaml: sensors[1].unit_id: must be 1..247"),
        ("sensors.0.bus", "can", "gateway.yaml: sensors[0].bus: no bus 'can' (buses: lan, rs485)"),
        ("sensors.1.id", "cold-1", "gateway.yaml: sensors[1].id: cold-1 is also sensors[0]"),
        ("buses.rs485.baud", 9601, "gateway.yaml: buses.rs485.baud: Input should be 1200"),
        ("buses.rs485.type", "can", "gateway.yaml: buses.rs485: Input tag 'can' found using"),
        ("buses.lan.host", None, "gateway.yaml: buses.lan.host: Field required"),
        ("broker.url", "http://x", "gateway.yaml: broker.url: must look like mqtt://host:1883"),
        ("gateway", "gw 1", "gateway.yaml: gateway: String should match pattern"),
        (
            "sensors.0.poll_interval",
            0,
            "gateway.yaml: sensors[0].poll_interval: Input should be greater than 0",
        ),
        ("sensors.0.pol_interval", 5, "gateway.yaml: sensors[0].pol_interval: Extra inputs"),
        ("sensors.0.profile", "nope", "profile 'nope' not found"),
        (
            "sensors.0.calibration",
            {"co2_ppm": 1},
            "gateway.yaml: sensors[0].calibration.co2_ppm: profile xy-md02 has no such quantity",
        ),
    ],
)
def test_a_bad_field_is_named_with_the_reason(
    tmp_path: Path, path: str, value: object, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, with_change(path, value)))
    assert message in str(error.value)


def test_a_second_sensor_on_the_same_address_is_refused(tmp_path: Path) -> None:
    data = with_change("sensors.1", {"id": "x", "bus": "rs485", "unit_id": 1, "profile": "xy-md02"})
    with pytest.raises(
        ConfigError, match=r"sensors\[1\].unit_id: 1 on bus rs485 is also sensors\[0\]"
    ):
        load_config(write(tmp_path, data))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = with_change("sensors.0.unit_id", 0)
    data["sensors"][1]["unit_id"] = 999
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, data))
    assert str(error.value).splitlines() == [
        "gateway.yaml: sensors[0].unit_id: must be 1..247",
        "gateway.yaml: sensors[1].unit_id: must be 1..247",
    ]


def test_a_missing_file_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gateway\.yaml: cannot read"):
        load_config(tmp_path / "gateway.yaml")
    (tmp_path / "gateway.yaml").write_text("")
    with pytest.raises(ConfigError, match=r"gateway\.yaml: expected a mapping"):
        load_config(tmp_path / "gateway.yaml")
