"""mypy, run by the suite: strict on kernel/, contract/ and the pure domain modules
(tests/unit/test_architecture.py's PURE); pyproject.toml's [tool.mypy] says how. Its
cache is .venv/mypy-cache, so a run after the first takes seconds."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.unit.test_architecture import PURE, ROOT

STRICT_PACKAGES = ("kernel", "contract")


def strict_files() -> list[str]:
    """The packages, and the pure modules outside them (mypy refuses a file twice)."""
    return [*STRICT_PACKAGES, *(m for m in PURE if (ROOT / m).exists()
                                and m.split("/")[0] not in STRICT_PACKAGES)]


def test_mypy_finds_nothing_in_the_strict_modules() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", *strict_files()], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_strict_section_names_every_pure_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [strict] = [o for o in config["tool"]["mypy"]["overrides"]
                if o.get("disallow_untyped_defs")]
    named = set(strict["module"])
    wanted = {f"{p}.*" for p in STRICT_PACKAGES} | {
        Path(m).with_suffix("").as_posix().replace("/", ".") for m in PURE
        if m.split("/")[0] not in STRICT_PACKAGES}
    assert wanted <= named, f"add to [[tool.mypy.overrides]] in pyproject.toml: " \
                            f"{sorted(wanted - named)}"
