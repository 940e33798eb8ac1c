"""Account lockout against the API on SQLite and PostgreSQL: N wrong passwords in a row
lock the account (the right password refused too, 429 account_locked with
Retry-After), whatever the address; an admin unlocks it; the lock, the unlock and the
logins are on the audit trail; a right password before the limit clears the count."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from kernel.actors import Role
from tests.support.inventory_world import World, build_world

PASSWORD = "correct horse battery"


@pytest.fixture
def world(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """3 wrong passwords lock for 10 minutes; the per-process throttle out of the way."""
    monkeypatch.setenv("STOCKWARDEN_LOGIN_LOCKOUT_FAILURES", "3")
    monkeypatch.setenv("STOCKWARDEN_LOGIN_LOCKOUT_S", "600")
    monkeypatch.setenv("STOCKWARDEN_LOGIN_MAX_FAILURES_PER_USER", "100")
    monkeypatch.setenv("STOCKWARDEN_LOGIN_MAX_FAILURES_PER_ADDRESS", "100")
    for world in build_world(db_url):
        world.ok(world.post("/users", {"username": "pia", "role": "operator",
                                       "password": PASSWORD, "full_name": "Pia Ek"},
                            Role.ADMIN))
        yield world


def login(client: TestClient, password: str, address: str = "10.0.0.1") -> httpx.Response:
    other = TestClient(client.app, client=(address, 40000))
    return other.post("/api/v1/auth/login", json={"username": "pia", "password": password})


def test_wrong_passwords_in_a_row_lock_the_account_until_an_admin_unlocks_it(
    world: World,
) -> None:
    assert login(world.client, "wrong 1").status_code == 401
    assert login(world.client, PASSWORD).status_code == 200  # clears the count
    for n in range(3):
        assert login(world.client, f"wrong {n}", f"10.0.0.{n + 2}").status_code == 401
    refused = login(world.client, PASSWORD, "10.9.9.9")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "account_locked"
    assert "locked after 3 wrong passwords in a row" in refused.json()["detail"]
    assert 500 < int(refused.headers["Retry-After"]) <= 600
    users = {u["username"]: u for u in world.ok(world.get("/users", Role.ADMIN))}
    assert users["pia"]["locked_until"] is not None

    assert world.client.patch("/api/v1/users/pia", json={"unlock": True},
                              headers=world.headers(Role.SUPERVISOR)).status_code == 403
    unlocked = world.client.patch("/api/v1/users/pia", json={"unlock": True},
                                  headers=world.headers(Role.ADMIN))
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert login(world.client, PASSWORD).status_code == 200

    trail = world.ok(world.get("/audit", Role.SUPERVISOR, entity="user", key="pia"))
    assert [(r["action"], r["actor"]) for r in trail] == [
        ("create", "admin1"), ("login", "pia"), ("lock", "system"), ("unlock", "admin1"),
        ("login", "pia")]
    lock = trail[2]
    assert lock["reason"] == "3 wrong passwords in a row"
    assert lock["after"]["failed_logins"] == 3


def test_the_cli_unlocks_an_account(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hub.cli import app

    for n in range(3):
        login(world.client, f"wrong {n}")
    assert login(world.client, PASSWORD).status_code == 429
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL",
                       world.hub.settings.database_url)
    done = CliRunner().invoke(app, ["user", "update", "pia", "--unlock"])
    assert done.exit_code == 0, done.output
    assert login(world.client, PASSWORD).status_code == 200
    unlock = world.ok(world.get("/audit", Role.SUPERVISOR, entity="user", action="unlock"))
    assert [(r["via"], r["actor"].startswith("os:")) for r in unlock] == [("cli", True)]
