"""Device profiles beyond the cases of tests/unit/profile_cases/ (known register values
and refused profiles are there): what is shipped, the round trip of every shipped profile
through its own encoding, users' profile folders and an unknown profile's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.errors import ConfigError
from edge.profiles import SHIPPED_DIR, load_profile, load_profiles, profile_files


def decode(name: str, registers: dict[tuple[str, int], int]) -> tuple[dict[str, float], list[str]]:
    profile = load_profile(SHIPPED_DIR / f"{name}.yaml")
    blocks = [
        [registers.get((r.kind, r.address + i), 0) for i in range(r.count)]
        for r in profile.requests
    ]
    return profile.decode(blocks)


def test_at_least_three_transmitters_and_a_generic_one_are_shipped() -> None:
    assert {"xy-md02", "renke-th", "vaisala-hmp", "generic-th"} <= set(profile_files())


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


def test_a_users_folder_adds_and_overrides_profiles(tmp_path: Path) -> None:
    (tmp_path / "xy-md02.yaml").write_text(
        "points:\n  - {quantity: temperature_c, kind: holding, address: 7, range: [-40, 60]}\n"
    )
    profile = load_profiles(["xy-md02"], [tmp_path])["xy-md02"]
    assert profile.points[0].address == 7


def test_an_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"profile 'nope' not found \(known: .*xy-md02"):
        load_profiles(["nope"])
