"""Device profiles, driven by the cases in tests/unit/profile_cases/<case>/: a profile (or a
shipped one by name), the device's registers, and the reads, values and problems expected
— or the configuration error. See the folder's README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.errors import ConfigError
from edge.profiles import SHIPPED_DIR, Profile, load_profile

CASES = Path(__file__).parent / "profile_cases"
FOLDERS = sorted(p for p in CASES.iterdir() if p.is_dir())


def read(path: Path) -> dict[str, Any]:
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def profile_file(folder: Path, inputs: dict[str, Any]) -> Path:
    if "shipped" in inputs:
        return SHIPPED_DIR / f"{inputs['shipped']}.yaml"
    return folder / "profile.yaml"


def decode(profile: Profile, inputs: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    registers = {(kind, int(address)): word
                 for kind, words in inputs.get("registers", {}).items()
                 for address, word in words.items()}
    blocks = [[registers.get((r.kind, r.address + i), 0) for i in range(r.count)]
              for r in profile.requests]
    return profile.decode(blocks, inputs.get("calibration"))


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_profile_case(folder: Path) -> None:
    inputs, expected = read(folder / "input.yaml"), read(folder / "expected.yaml")
    assert expected, f"{folder.name}: expected.yaml is missing or empty"
    path = profile_file(folder, inputs)
    if "error" in expected:
        with pytest.raises(ConfigError) as error:
            load_profile(path)
        assert expected["error"] in str(error.value)
        return
    profile = load_profile(path)
    if "reads" in expected:
        assert [[r.kind, r.address, r.count] for r in profile.requests] == expected["reads"]
    if "values" in expected:
        values, problems = decode(profile, inputs)
        tolerance = expected.get("tolerance", {})
        want = {quantity: pytest.approx(value, abs=tolerance[quantity]) if quantity in tolerance
                else value for quantity, value in expected["values"].items()}
        assert values == want
        assert problems == expected.get("problems", [])


def test_there_are_cases_of_each_kind() -> None:
    outcomes = [read(folder / "expected.yaml") for folder in FOLDERS]
    assert sum("error" in o for o in outcomes) >= 10
    assert sum("values" in o for o in outcomes) >= 6
