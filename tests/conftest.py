"""Shared fixtures: real Mosquitto, VictoriaMetrics and PostgreSQL, plus SQLite.

Session-wide instances serve the ordinary tests; the `fresh_*` fixtures give a
test its own instance to stop, kill or restart. Only integration and end-to-end
tests may use them (tests/unit/conftest.py refuses them). The browser, the served
hub and the alarm receivers are registered by tests/integration/conftest.py and
tests/e2e/conftest.py, so that a unit test imports neither Playwright nor the app."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import Mosquitto, Postgres, VictoriaMetrics

_db_names = itertools.count()


@pytest.fixture(autouse=True)
def site_choices_as_shipped() -> Iterator[None]:
    """The hub sets a few process-wide choices at start (which changes need a reason,
    which a signature: kernel/audit.py, kernel/signatures.py). A test that builds a
    hub with other settings must not leave them to the tests after it: each test
    starts from the shipped defaults, and they are put back after it."""
    from kernel import audit, signatures

    audit.require_reasons_for(audit.DEFAULT_REASON_REQUIRED)
    signatures.configure(signatures.ACTIONS, ("critical",))
    yield
    audit.require_reasons_for(audit.DEFAULT_REASON_REQUIRED)
    signatures.configure(signatures.ACTIONS, ("critical",))


@pytest.fixture(autouse=True)
def logging_as_before() -> Iterator[None]:
    """A command run in-process (hub/logs.py configure_logging) puts its own handler on
    the root logger: taken off again after the test, so that the threads of later tests
    (a mail server's, a paho client's) do not print between tests."""
    import logging

    from hub.logs import StderrHandler

    root = logging.getLogger()
    level = root.level
    yield
    # Only the hub's own: pytest adds and removes its capture handlers per phase.
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    service = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    service.start()
    yield service
    service.stop()


@pytest.fixture
def fresh_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    service = Mosquitto(tmp_path / "mosquitto")
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    service = VictoriaMetrics(tmp_path_factory.mktemp("victoria"))
    service.start()
    yield service
    service.stop()


@pytest.fixture
def fresh_victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    service = VictoriaMetrics(tmp_path / "victoria")
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    service = Postgres(tmp_path_factory.mktemp("postgres"))
    service.start()
    yield service
    service.cleanup()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A new, empty PostgreSQL database for this test."""
    return postgres.create_database(f"test_{next(_db_names)}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'stockwarden.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL, each on an empty database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")
