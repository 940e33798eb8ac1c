"""`./run bench --help` lists the benchmarks and `./run bench NAME --help` explains one,
with no traceback (the benchmarks themselves are not run here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.__main__ import benchmarks


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, timeout=60)


def test_help_lists_every_benchmark_with_what_it_measures() -> None:
    done = bench("--help")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for name in ("edge_outbox", "edge_rtu", "edge_tcp", "ingest", "inventory_http"):
        line = next(line for line in done.stdout.splitlines() if line.split()[:1] == [name])
        assert len(line.split()) > 3, line  # the name and what it measures


@pytest.mark.parametrize("name", list(benchmarks()))
def test_each_benchmark_explains_its_options(name: str) -> None:
    done = bench(name, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: bench.{name}"), done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_an_unknown_benchmark_is_refused_with_the_list() -> None:
    done = bench("no_such_bench")
    assert done.returncode == 2
    assert "unknown benchmark: no_such_bench" in done.stderr
    assert "inventory_http" in done.stderr
    assert "Traceback" not in done.stderr
