"""Accounts people cannot share or guess, against the API on SQLite and PostgreSQL:
the password policy wherever a password is set (422 password_policy naming the rule,
nothing stored), a person changing their own password, password expiry (the login
refused, the change allowed), the pages' idle timeout ended by the hub, machine
accounts kept apart from people's logins, and the demo's accounts refused in
production. Each change on the audit trail, never a password."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from hub.auth import SESSION_COOKIE
from kernel.actors import Role
from kernel.orm import ApiToken, User
from tests.support.inventory_world import World, build_world

PASSWORD = "cold chain at dawn 42"
NEW_PASSWORD = "frozen aisle nine 17"


@pytest.fixture
def world(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Passwords expire after 30 days, pages after 60 s idle; no token cache (each
    request looks its token up), the throttle out of the way."""
    monkeypatch.setenv("STOCKWARDEN_PASSWORD_MAX_AGE_DAYS", "30")
    monkeypatch.setenv("STOCKWARDEN_SESSION_IDLE_S", "60")
    monkeypatch.setenv("STOCKWARDEN_TOKEN_CACHE_S", "0")
    monkeypatch.setenv("STOCKWARDEN_LOGIN_MAX_FAILURES_PER_USER", "100")
    monkeypatch.setenv("STOCKWARDEN_LOGIN_MAX_FAILURES_PER_ADDRESS", "100")
    yield from build_world(db_url)


def create(world: World, username: str, password: str | None = PASSWORD,
           **more: Any) -> httpx.Response:
    body: dict[str, Any] = {"username": username, "role": "operator", **more}
    if password is not None:
        body["password"] = password
        body.setdefault("full_name", f"{username.title()} Person")  # people sign with it
    return world.post("/users", body, Role.ADMIN)


def login(world: World, username: str, password: str) -> httpx.Response:
    return world.client.post("/api/v1/auth/login",
                             json={"username": username, "password": password})


def change(world: World, username: str, password: str, new: str) -> httpx.Response:
    return world.client.post("/api/v1/auth/password", json={
        "username": username, "password": password, "new_password": new})


def me(world: World, token: str) -> httpx.Response:
    return world.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def users(world: World) -> dict[str, Any]:
    return {u["username"]: u for u in world.ok(world.get("/users", Role.ADMIN))}


def refused(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code, answer.text
    return str(answer.json()["detail"])


def test_the_password_policy_applies_to_create_update_and_the_users_own_change(
    world: World,
) -> None:
    assert "at least 12 characters" in refused(create(world, "pia", "short pass"), 422,
                                               "password_policy")
    assert "user name" in refused(create(world, "pia", "Pia-at-the-dock-7"), 422,
                                  "password_policy")
    assert "common passwords" in refused(create(world, "pia", "qwertyuiop12"), 422,
                                         "password_policy")
    assert "pia" not in users(world)  # nothing stored, no token issued
    world.ok(create(world, "pia"))
    assert users(world)["pia"]["password_changed_at"] is not None
    patch = world.client.patch("/api/v1/users/pia", json={"password": "password1234"},
                               headers=world.headers(Role.ADMIN))
    assert "common passwords" in refused(patch, 422, "password_policy")
    assert login(world, "pia", PASSWORD).status_code == 200  # unchanged

    refused(change(world, "pia", "wrong password", NEW_PASSWORD), 401, "login_failed")
    assert "differ from the current" in refused(change(world, "pia", PASSWORD, PASSWORD),
                                                422, "password_policy")
    assert "user name" in refused(change(world, "pia", PASSWORD, "PIA pia PIA pia"),
                                  422, "password_policy")
    changed = change(world, "pia", PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 200, changed.text
    assert me(world, changed.json()["token"]).json()["username"] == "pia"
    refused(login(world, "pia", PASSWORD), 401, "login_failed")
    assert login(world, "pia", NEW_PASSWORD).status_code == 200

    trail = world.ok(world.get("/audit", Role.SUPERVISOR, entity="user", key="pia"))
    assert [(r["action"], r["actor"]) for r in trail] == [
        ("create", "admin1"), ("login", "pia"), ("password", "pia"), ("login", "pia")]
    assert trail[2]["via"] == "web"
    assert trail[2]["after"]["password"] == "(changed)"
    assert PASSWORD not in str(trail) and NEW_PASSWORD not in str(trail)


def test_the_cli_applies_the_policy(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hub.cli import app

    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", world.hub.settings.database_url)
    done = CliRunner().invoke(app, ["user", "create", "--username", "cli-pia", "--password",
                                    "--full-name", "Pia Cli"],
                              input="cli-pia-2026-x\ncli-pia-2026-x\n")
    assert done.exit_code != 0 and "must not contain the user name" in done.output
    done = CliRunner().invoke(app, ["user", "create", "--username", "cli-pia", "--password",
                                    "--full-name", "Pia Cli"],
                              input=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(app, ["user", "update", "cli-pia", "--password"],
                              input="letmein\nletmein\n")
    assert done.exit_code != 0 and "at least 12 characters" in done.output
    done = CliRunner().invoke(app, ["user", "update", "cli-pia", "--password"],
                              input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert login(world, "cli-pia", NEW_PASSWORD).status_code == 200
    done = CliRunner().invoke(app, ["user", "create", "--username", "cli-gw", "--machine"])
    assert done.exit_code == 0, done.output
    assert users(world)["cli-gw"]["kind"] == "machine"
    listed = CliRunner().invoke(app, ["user", "list"])
    assert listed.exit_code == 0, listed.output
    assert "cli-gw\t-\toperator\tmachine\tactive\t-" in listed.output
    assert "cli-pia\tPia Cli\toperator\tperson\tactive\t20" in listed.output
    done = CliRunner().invoke(app, ["user", "create", "--username", "cli-gw2", "--machine",
                                    "--password"])
    assert done.exit_code != 0 and "has no password" in done.output


def _age_password(world: World, username: str, days: int) -> None:
    with world.hub.writes() as session:
        session.execute(update(User).where(User.username == username).values(
            password_changed_at=datetime.now(UTC) - timedelta(days=days)))
        session.commit()


def test_an_expired_password_logs_in_only_to_change_it(world: World) -> None:
    world.ok(create(world, "pia"))
    _age_password(world, "pia", 29)
    assert login(world, "pia", PASSWORD).status_code == 200
    _age_password(world, "pia", 31)
    detail = refused(login(world, "pia", PASSWORD), 403, "password_expired")
    assert "older than 30 days" in detail and "change it" in detail
    refused(login(world, "pia", "not the password"), 401, "login_failed")  # no hint
    changed = change(world, "pia", PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 200, changed.text
    assert login(world, "pia", NEW_PASSWORD).status_code == 200


def _idle(world: World, token_id: int, seconds: int) -> None:
    with world.hub.writes() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(
            last_active_at=datetime.now(UTC) - timedelta(seconds=seconds)))
        session.commit()


def _last_active(world: World, token_id: int) -> datetime:
    with world.hub.sessions() as session:
        token = session.get(ApiToken, token_id)
        assert token is not None and token.last_active_at is not None
        return token.last_active_at


def test_the_hub_ends_a_page_session_without_activity(world: World) -> None:
    world.ok(create(world, "pia"))
    answer = login(world, "pia", PASSWORD)
    token = answer.json()["token"]
    cookie = answer.cookies[SESSION_COOKIE]
    token_id = world.ok(world.get("/users/pia/tokens", Role.ADMIN))[-1]["id"]
    bearer = {"Authorization": f"Bearer {token}"}

    # Background reads are no activity; the user's ping and a change are.
    _idle(world, token_id, 50)
    assert me(world, token).status_code == 200
    assert datetime.now(UTC) - _last_active(world, token_id) > timedelta(seconds=45)
    assert world.client.post("/api/v1/auth/activity", headers=bearer).status_code == 204
    assert datetime.now(UTC) - _last_active(world, token_id) < timedelta(seconds=10)

    _idle(world, token_id, 61)
    detail = refused(me(world, token), 401, "session_idle")
    assert "logged out after 60 s without activity" in detail
    # The cookie (report links, downloads) is the same session: ended too.
    with TestClient(world.client.app, cookies={SESSION_COOKIE: cookie}) as browser:
        refused(browser.get("/api/v1/auth/me"), 401, "session_idle")
    refused(world.client.post("/api/v1/auth/activity", headers=bearer), 401, "session_idle")
    # API tokens (scripts, machines) have no idle timeout.
    assert world.get("/auth/me", Role.OPERATOR).status_code == 200
    assert login(world, "pia", PASSWORD).status_code == 200


def test_machine_accounts_hold_tokens_only_and_tokens_never_open_a_page_session(
    world: World,
) -> None:
    refused(create(world, "gw-dock", PASSWORD, kind="machine"), 422, "machine_has_no_password")
    machine = world.ok(create(world, "gw-dock", None, kind="machine"))
    listed = users(world)
    assert listed["gw-dock"]["kind"] == "machine" and listed["admin1"]["kind"] == "person"
    assert me(world, machine["token"]).json()["kind"] == "machine"  # the API: yes
    patch = world.client.patch("/api/v1/users/gw-dock", json={"password": PASSWORD},
                               headers=world.headers(Role.ADMIN))
    refused(patch, 422, "machine_has_no_password")
    refused(login(world, "gw-dock", PASSWORD), 401, "login_failed")
    for api_token in (machine["token"], world.tokens[Role.OPERATOR]):  # a machine's, a person's
        opened = world.client.post("/api/v1/auth/session",
                                   headers={"Authorization": f"Bearer {api_token}"})
        refused(opened, 403, "not_a_page_session")
    trail = world.ok(world.get("/audit", Role.SUPERVISOR, entity="user", key="gw-dock"))
    assert trail[0]["after"]["kind"] == "machine"


def test_production_refuses_the_demos_accounts_until_they_have_new_passwords(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from hub.demo import _demo_token, demo_logins
    from hub.server import warn_of_demo_accounts

    monkeypatch.setenv("STOCKWARDEN_ENV", "production")
    monkeypatch.setenv("STOCKWARDEN_MQTT_URL", "mqtt://hub:secret@127.0.0.1:1883")
    monkeypatch.setenv("STOCKWARDEN_TOKEN_CACHE_S", "0")
    for world in build_world(db_url):
        sue = {d.username: d for d in demo_logins(world.hub)}["sue"]
        with world.hub.writes() as session:
            demo_token = _demo_token(session).get()
        with caplog.at_level(logging.WARNING):
            assert warn_of_demo_accounts(world.hub) == ["ada", "demo", "otto", "sue"]
        assert "refused on a production hub" in caplog.text
        assert "stockwarden user update" in refused(login(world, "sue", sue.password), 403,
                                                    "demo_account")
        refused(me(world, demo_token), 401, "demo_account")
        refused(change(world, "sue", sue.password, NEW_PASSWORD), 403, "demo_account")

        patch = world.client.patch("/api/v1/users/sue", json={"password": NEW_PASSWORD},
                                   headers=world.headers(Role.ADMIN))
        assert patch.status_code == 200, patch.text
        assert login(world, "sue", NEW_PASSWORD).status_code == 200
        assert warn_of_demo_accounts(world.hub) == ["ada", "demo", "otto"]
        trail = world.ok(world.get("/audit", Role.SUPERVISOR, entity="user", key="sue"))
        assert [(r["actor"], r["after"]) for r in trail if r["action"] == "update"] == [
            ("admin1", {"password": "(changed)", "demo_credentials": False})]
        # A new password also revokes the tokens the demo issued.
        world.client.patch("/api/v1/users/demo", json={"password": NEW_PASSWORD},
                           headers=world.headers(Role.ADMIN))
        refused(me(world, demo_token), 401, "invalid_token")
