"""The test suite's shape: unit tests import no browser, no served hub and no service
helpers (tests/unit/conftest.py also refuses the service fixtures at run time), the
suite-wide conftest imports neither Playwright nor the app, and test support lives in
the one package tests/support/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.conftest import SERVICE_FIXTURES, pytest_runtest_setup
from tests.unit.test_architecture import imports

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"

# Support modules that start services, a browser or a served hub: integration and e2e only.
NOT_FOR_UNIT_TESTS = (
    "playwright", "tests.support.services", "tests.support.browser", "tests.support.hub_server",
    "tests.support.receivers", "tests.support.deployed_broker", "tests.support.http_server",
    "tests.support.inventory_world", "tests.support.edge",
)


def unit_test_problems(root: Path) -> list[str]:
    """`file:line: imports module` for every forbidden import under root/tests/unit."""
    problems = []
    for path in sorted((root / "tests" / "unit").rglob("*.py")):
        relative = path.relative_to(root)
        module = ".".join(relative.with_suffix("").parts)
        named: set[int] = set()  # one problem per statement (`from a import b` gives a, a.b)
        for line, target in imports(path, module):
            if line in named:
                continue
            if any(target == m or target.startswith(m + ".") for m in NOT_FOR_UNIT_TESTS):
                problems.append(f"{relative.as_posix()}:{line}: imports {target}")
                named.add(line)
    return problems


def test_unit_tests_import_no_service_browser_or_served_hub() -> None:
    problems = unit_test_problems(ROOT)
    assert not problems, "\n" + "\n".join(problems)


@pytest.mark.parametrize("source", [
    "def test_x():\n    from tests.support.services import Mosquitto\n",
    "import os\nfrom playwright.sync_api import Page\n",
], ids=["services", "playwright"])
def test_a_unit_test_importing_a_service_or_browser_is_named(tmp_path: Path,
                                                             source: str) -> None:
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_bad.py").write_text(source)
    [problem] = unit_test_problems(tmp_path)
    assert problem.startswith("tests/unit/test_bad.py:2: imports ")


def test_a_unit_test_asking_for_a_service_fails_before_it_starts() -> None:
    item = SimpleNamespace(nodeid="tests/unit/test_x.py::test_x",
                           fixturenames=["tmp_path", "pg_url"])
    with pytest.raises(pytest.fail.Exception, match=r"starts no service \(pg_url\)"):
        pytest_runtest_setup(item)  # type: ignore[arg-type]  # a stand-in for a pytest.Item


def test_the_suite_wide_conftest_imports_no_browser_and_no_app() -> None:
    code = ("import sys, tests.conftest, tests.unit.conftest\n"
            "heavy = sorted(m for m in ('playwright', 'hub.app', 'fastapi', 'sqlalchemy')"
            " if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_test_support_is_one_package() -> None:
    loose = sorted(p.name for p in TESTS.glob("*.py") if p.name not in ("__init__.py",
                                                                       "conftest.py"))
    assert not loose, f"test support belongs in tests/support/: {loose}"


@pytest.mark.parametrize("fixture", sorted(SERVICE_FIXTURES))
def test_each_refused_fixture_exists_in_the_suite_wide_conftest(fixture: str) -> None:
    assert f"def {fixture}(" in (TESTS / "conftest.py").read_text(encoding="utf-8")
