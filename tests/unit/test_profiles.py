"""The shipped profiles decode known register values; bad profiles are refused with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.errors import ConfigError
from edge.profiles import SHIPPED_DIR, compile_profile, load_profile, load_profiles, profile_files


def decode(name: str, registers: dict[tuple[str, int], int]) -> tuple[dict[str, float], list[str]]:
    profile = load_profile(SHIPPED_DIR / f"{name}.yaml")
    blocks = [
        [registers.get((r.kind, r.address + i), 0) for i in range(r.count)]
        for r in profile.requests
    ]
    return profile.decode(blocks)


def test_at_least_three_transmitters_and_a_generic_one_are_shipped() -> None:
    assert {"xy-md02", "renke-th", "vaisala-hmp", "generic-th"} <= set(profile_files())


def test_xy_md02_reads_a_negative_temperature_from_input_registers() -> None:
    # -12.5 °C = 0xFF83 as int16 x0.1; 45.6 %RH = 456
    values, problems = decode("xy-md02", {("input", 1): 0xFF83, ("input", 2): 456})
    assert values == {"temperature_c": -12.5, "humidity_pct": 45.6}
    assert problems == []


def test_xy_md02_needs_one_read() -> None:
    profile = load_profile(SHIPPED_DIR / "xy-md02.yaml")
    assert [(r.kind, r.address, r.count) for r in profile.requests] == [("input", 1, 2)]


def test_renke_reads_humidity_first_from_holding_registers() -> None:
    values, _ = decode("renke-th", {("holding", 0): 655, ("holding", 1): 0xFFEC})
    assert values == {"humidity_pct": 65.5, "temperature_c": -2.0}


def test_vaisala_reads_float32_least_significant_word_first() -> None:
    # 30.56 = 0x41F47AE1; 5.25 = 0x40A80000; -3.5 = 0xC0600000
    values, _ = decode(
        "vaisala-hmp",
        {
            ("holding", 0): 0x7AE1,
            ("holding", 1): 0x41F4,
            ("holding", 2): 0x0000,
            ("holding", 3): 0x40A8,
            ("holding", 6): 0x0000,
            ("holding", 7): 0xC060,
        },
    )
    assert values == {
        "humidity_pct": pytest.approx(30.56),
        "temperature_c": 5.25,
        "dew_point_c": -3.5,
    }


def test_generic_profile_scales_by_a_hundredth() -> None:
    values, _ = decode("generic-th", {("holding", 0): 0xFE0C, ("holding", 1): 5012})
    assert values == {"temperature_c": -5.0, "humidity_pct": 50.12}


def test_a_value_outside_the_physical_range_is_a_problem_not_a_value() -> None:
    values, problems = decode("xy-md02", {("input", 1): 250, ("input", 2): 1200})
    assert values == {"temperature_c": 25.0}
    assert problems == ["humidity_pct=120 outside 0..100"]


def test_every_shipped_profile_round_trips_through_its_own_encoding() -> None:
    for name, path in profile_files().items():
        profile = load_profile(path)
        registers: dict[tuple[str, int], int] = {}
        expected = {}
        for point in profile.points:
            value = round((point.range[0] + point.range[1]) / 3, 1)
            expected[point.quantity] = value
            for i, word in enumerate(point.registers(value)):
                registers[(point.kind, point.address + i)] = word
        values, problems = decode(name, registers)
        assert problems == [], name
        assert values == pytest.approx(expected, abs=0.01), name


POINT = {"quantity": "temperature_c", "kind": "input", "address": 1, "range": [-40, 60]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "int8"}, "my.yaml: points[0].type: Input should be 'int16', 'uint16'"),
        ({"byte_order": "ACBD"}, "my.yaml: points[0].byte_order: Input should be 'ABCD'"),
        ({"range": [60, -40]}, "my.yaml: points[0]: range must be [low, high] with low < high"),
        ({"scale": 0}, "my.yaml: points[0]: scale must be a finite number other than 0"),
        ({"address": 70000}, "my.yaml: points[0].address: Input should be less than or equal"),
        ({"kind": "coil"}, "my.yaml: points[0].kind: Input should be 'input' or 'holding'"),
        ({"quantity": "Temp C"}, "my.yaml: points[0].quantity: String should match pattern"),
        ({"range": [0, 200], "quantity": "humidity_pct"}, "outside what is physically possible"),
        ({"registr": 3}, "my.yaml: points[0].registr: Extra inputs are not permitted"),
    ],
)
def test_a_bad_point_is_refused_with_file_field_and_reason(change: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        compile_profile("my", {"points": [{**POINT, **change}]})
    assert message in str(error.value)


def test_overlapping_points_are_refused() -> None:
    points = [
        {**POINT, "type": "float32"},
        {**POINT, "quantity": "humidity_pct", "address": 2, "range": [0, 100]},
    ]
    with pytest.raises(ConfigError, match=r"points\[1\] \(humidity_pct\) overlaps points\[0\]"):
        compile_profile("my", {"points": points})


def test_a_profile_file_that_is_not_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("points:\n  - quantity: [temperature_c\n")
    with pytest.raises(ConfigError, match=r"broken.yaml: not valid YAML \(line 3"):
        load_profile(path)


def test_a_users_folder_adds_and_overrides_profiles(tmp_path: Path) -> None:
    (tmp_path / "xy-md02.yaml").write_text(
        "points:\n  - {quantity: temperature_c, kind: holding, address: 7, range: [-40, 60]}\n"
    )
    profile = load_profiles(["xy-md02"], [tmp_path])["xy-md02"]
    assert profile.points[0].address == 7


def test_an_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"profile 'nope' not found \(known: .*xy-md02"):
        load_profiles(["nope"])
