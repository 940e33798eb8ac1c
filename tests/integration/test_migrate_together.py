"""Hub processes started together on one new PostgreSQL database: each migrates at
start, and they take turns (an advisory lock) instead of racing on CREATE TABLE."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect, text

from hub.db import make_engine

# What a hub does at start, in a process of its own (Alembic's context is one per
# process: threads could not show the race).
MIGRATE = "import sys; from hub.db import make_engine, migrate; migrate(make_engine(sys.argv[1]))"


def test_three_hubs_migrating_a_new_database_at_once_all_succeed(pg_url: str) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, pg_url],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=180)[0].decode() for process in processes]
    failed = [out[-1500:] for process, out in zip(processes, outputs, strict=True)
              if process.returncode != 0]
    assert not failed, failed
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        heads = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert len(heads) == 1
    assert {"readings", "sensors", "lots", "alarms"} <= tables
