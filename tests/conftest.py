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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--suite-pass", choices=("all", "parallel", "serial"), default="all",
        help="`./run test` runs the suite in two passes: `parallel` (under pytest-xdist) "
             "leaves out the tests marked serial, `serial` runs only them; `all` (the "
             "default) runs everything",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--suite-pass")
    if wanted == "all":
        return
    serial = wanted == "serial"
    keep = [i for i in items if (i.get_closest_marker("serial") is not None) == serial]
    if len(keep) < len(items):
        kept = set(keep)
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = keep


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


# The schema at its head, migrated once per session (per xdist worker) and then copied:
# for tests whose hub migrates its database at start anyway (Hub.build), where the
# migration itself is not what they test. Migrating a new database took 0.1-0.4 s on an
# idle machine and over a second on a busy one; a copy takes milliseconds. The migrations
# insert no rows (DDL only), so a copy is the database a migration would have made; the
# migrations still run, from empty, on both databases, to build these templates (and in
# the tests that migrate step by step, on `sqlite_url`, `pg_url` and `db_url`).


def _migrate_once(url: str) -> None:
    from hub.db import make_engine, migrate

    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()  # a PostgreSQL template must have no one connected


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "head.db"
    _migrate_once(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_at_head(postgres: Postgres) -> str:
    """The name of a PostgreSQL database at the schema's head, to copy (CREATE DATABASE
    ... TEMPLATE), never to use."""
    _migrate_once(postgres.create_database("schema_at_head"))
    return "schema_at_head"


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, sqlite_at_head: Path) -> str:
    """A new SQLite database already at the schema's head, with no rows."""
    import shutil

    path = tmp_path / "stockwarden.db"
    shutil.copyfile(sqlite_at_head, path)
    return f"sqlite:///{path}"


@pytest.fixture
def migrated_pg_url(postgres: Postgres, postgres_at_head: str) -> str:
    """A new PostgreSQL database already at the schema's head, with no rows."""
    return postgres.create_database(f"test_{next(_db_names)}", template=postgres_at_head)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_db_url(request: pytest.FixtureRequest) -> str:
    """As `db_url` (once on SQLite, once on PostgreSQL), each database already at the
    schema's head, with no rows."""
    if request.param == "sqlite":
        return request.getfixturevalue("migrated_sqlite_url")
    return request.getfixturevalue("migrated_pg_url")
