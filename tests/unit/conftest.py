"""Unit tests start no service and open no browser: they run in seconds on any machine.
A unit test that asks for a service fixture fails before the service starts; move it to
tests/integration/ (tests/unit/test_test_shape.py checks the imports the same way)."""

from __future__ import annotations

import pytest

# The fixtures of tests/conftest.py that start a real Mosquitto, VictoriaMetrics or
# PostgreSQL (db_url runs once on PostgreSQL).
SERVICE_FIXTURES = frozenset({
    "mosquitto", "fresh_mosquitto", "victoria", "fresh_victoria", "postgres", "pg_url", "db_url",
    "postgres_at_head", "migrated_pg_url", "migrated_db_url",
})


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    wanted = SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if wanted:
        pytest.fail(f"{item.nodeid}: a unit test starts no service ({', '.join(sorted(wanted))}); "
                    f"move it to tests/integration/", pytrace=False)
