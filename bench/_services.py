"""The broker and PostgreSQL that the alarm benchmarks start, stopped when `stack` closes."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from tests.support.services import Mosquitto, Postgres


def broker_and_postgres(stack: ExitStack, work: Path) -> tuple[Mosquitto, Postgres]:
    broker, postgres = Mosquitto(work / "mqtt"), Postgres(work / "pg")
    broker.start()
    stack.callback(broker.stop)
    postgres.start()
    stack.callback(postgres.cleanup)
    return broker, postgres
