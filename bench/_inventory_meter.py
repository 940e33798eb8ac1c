"""What bench.inventory_http measures besides its own clock: CPU of the hub and of
PostgreSQL (from /proc), SQL statements sent (pg_stat_statements), and py-spy
profiles of the hub."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bench._inventory_load import Phase
from hub.container import Hub
from hub.settings import load_settings
from tests.support.services import Postgres


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) from /proc/PID/stat, with the CPU of
    children it has reaped (PostgreSQL's ended backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (uvicorn workers, PG backends),
    those that ended included (as far as their parent reaped them)."""
    stats = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit()
             if (s := _stat(int(p.name))) is not None}
    family, total, grew = {pid}, 0.0, True
    while grew:
        grew = False
        for child, (parent, _) in stats.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    for member in family:
        if member in stats:
            total += stats[member][1]
    return total


class Meter:
    """CPU of the hub and of PostgreSQL, and statements sent, over one phase."""

    def __init__(self, hub_pid: int, pg: Postgres, url: str) -> None:
        self.hub_pid, self.pg, self.url = hub_pid, pg, url
        assert pg.process is not None
        self.pg_pid = pg.process.pid
        self.hub = Hub.build(load_settings(database_url=url), migrate_schema=False)

    def _statements(self) -> int:
        with self.hub.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d "
                "ON d.oid = s.dbid WHERE d.datname = current_database() "
                "AND s.query NOT LIKE '%pg_stat_statements%'")).scalar_one())

    def measure(self, run: object) -> tuple[Phase, dict[str, float]]:
        hub0, pg0, st0 = cpu_seconds(self.hub_pid), cpu_seconds(self.pg_pid), self._statements()
        load0 = os.getloadavg()[0]
        phase: Phase = run()  # type: ignore[operator]
        hub1, pg1, st1 = cpu_seconds(self.hub_pid), cpu_seconds(self.pg_pid), self._statements()
        n = max(len(phase.statuses), 1)
        return phase, {
            "hub_cpu_ms_per_request": round((hub1 - hub0) * 1000 / n, 2),
            "pg_cpu_ms_per_request": round((pg1 - pg0) * 1000 / n, 2),
            "statements_per_request": round((st1 - st0 - 1) / n, 1),
            "load_average": round((load0 + os.getloadavg()[0]) / 2, 1)}

    def close(self) -> None:
        self.hub.engine.dispose()


def profiled(pid: int, seconds: float, out: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy recording the hub for `seconds` (collapsed stacks into `out`)."""
    if out is None:
        return None
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
         "--subprocesses", "--nonblocking", "--gil", "--rate", "100", "--format", "raw",
         "--duration", str(max(1, int(seconds) - 1)), "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
