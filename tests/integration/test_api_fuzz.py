"""Schemathesis against the real API on SQLite and PostgreSQL, with real data:
every operation with generated valid and invalid requests (examples, coverage
and fuzzing phases), then chains of calls along the document's links (the
stateful phase). All response checks are on: no 5xx, no status the document
does not declare, no body that breaks its schema, no undeclared content type
or missing declared header.

The budget is bounded (each database's run well under two minutes on two
cores); the seed is fixed so a failure can be run again."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for

from hub.container import build_alarms
from ingest.orm import HourlyStat, LatestReading
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world

EXAMPLES = int(os.environ.get("STOCKWARDEN_FUZZ_EXAMPLES", "12"))
STEPS = int(os.environ.get("STOCKWARDEN_FUZZ_STEPS", "12"))
SEED = int(os.environ.get("STOCKWARDEN_FUZZ_SEED", "7"))

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance"]


def _stock_and_readings(world: World) -> None:
    """Lots with stock and sensors with readings, besides the world's master data."""
    world.receive("VAC-1", "L-100", 40, "F-01")
    world.receive("VAC-1", "L-101", 10, "F-02", expiry="2098-01-31")
    world.receive("GLOVE", "G-1", 500, "R-01", expiry=None)
    for sensor, zone in (("fridge-1", "FRIDGE"), ("room-1", "ROOM")):
        answer = world.post("/sensors", {"id": sensor, "name": sensor, "zone": zone}, Role.ADMIN)
        assert answer.status_code == 201, answer.text
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with world.hub.writes() as session, session.begin():
        for sensor, value in (("fridge-1", 5.0), ("room-1", 21.0)):
            session.add(LatestReading(sensor_id=sensor, quantity="temperature", ts=hour,
                                      value=value))
            for back in range(3):
                session.add(HourlyStat(sensor_id=sensor, quantity="temperature",
                                       hour=hour - timedelta(hours=back), count=60,
                                       min=value - 1, max=value + 1, sum=60 * value))


def _config(token: str) -> SchemathesisConfig:
    checks: dict[str, Any] = {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "continue-on-failure": True,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"mode": "all", "max-examples": EXAMPLES, "no-shrink": True,
                       "database": "none", "allow-x00": True},
        "checks": checks,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": STEPS},
        },
    })


def _run(world: World) -> tuple[list[str], set[str], Counter[str]]:
    config = _config(world.tokens[Role.ADMIN])
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app, config=config)
    failures: list[str] = []
    phases: set[str] = set()
    statuses: Counter[str] = Counter()  # answers by status, for -s
    for event in engine_for(schema).execute():
        if isinstance(event, events.PhaseFinished):
            phases.add(f"{event.phase.name.value}:{event.status.value}")
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            for check in _failed_checks(event.recorder):
                failures.append(check)
            statuses.update(str(i.response.status_code)
                            for i in event.recorder.interactions.values() if i.response)
        if isinstance(event, events.NonFatalError):
            failures.append(f"error in {event.label}: {event.info.message}")
        if isinstance(event, events.FatalError):
            raise event.exception
    return failures, phases, statuses


def _failed_checks(recorder: Any) -> Iterator[str]:
    for case_id, node in recorder.checks.items():
        for check in node:
            if check.status.name == "FAILURE" and check.failure_info is not None:
                case = recorder.cases[case_id].value
                info = check.failure_info
                yield (f"{check.name}: {case.method} {case.formatted_path} "
                       f"query={case.query} body={str(case.body)[:200]!r}: "
                       f"{info.failure.title} {str(info.failure.message)[:300]}")


@pytest.fixture
def alarm_engine(world: World) -> Iterator[None]:
    """The alarm engine runs, as in `stockwarden hub`, so its routes are fuzzed too
    (publishing to no broker: an unreachable one is retried in the background)."""
    hub = world.hub
    # The live feed answers within 0.5 s instead of 25: the fuzzer waits for every answer.
    hub.settings = hub.settings.model_copy(
        update={"mqtt_url": "mqtt://127.0.0.1:1", "alarm_feed_wait_s": 0.5})
    hub.alarms = build_alarms(hub)
    hub.alarms.start()
    yield
    hub.alarms.stop()


def test_the_api_keeps_its_openapi_promise(world: World, alarm_engine: None) -> None:
    _stock_and_readings(world)
    failures, phases, statuses = _run(world)
    print(sorted(phases), dict(statuses))
    assert not failures, "\n".join(sorted(set(failures))[:60])
    assert {"examples", "coverage", "fuzzing", "stateful"} <= {p.split(":")[0] for p in phases}
