"""Admins and tokens (issue 7, item 5): the last active admin stays an admin;
a token is listed and revoked on its own, over the API and the CLI, and stops
working at once in this hub; deactivation revokes a user's tokens for good."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hub.cli import app as cli
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def patch_user(world: World, name: str, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> httpx.Response:
    return world.client.patch(f"/api/v1/users/{name}", json=body,
                              headers=headers or world.headers(Role.ADMIN))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(world: World) -> None:
    for body in ({"active": False}, {"role": "supervisor"}, {"role": "operator",
                                                             "active": False}):
        refused = patch_user(world, "admin1", body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "last_admin"
        assert "last active admin" in refused.json()["detail"]
    assert world.ok(world.get("/auth/me", Role.ADMIN))["role"] == "admin"
    # With a second admin, the first may step down; then the second is the last.
    world.ok(patch_user(world, "supervisor1", {"role": "admin"}))
    assert world.ok(patch_user(world, "admin1", {"role": "operator"}))["role"] == "operator"
    refused = patch_user(world, "supervisor1", {"active": False}, second(world))
    assert refused.status_code == 409
    # An inactive admin does not count.
    world.ok(patch_user(world, "admin1", {"role": "admin"}, second(world)))
    world.ok(patch_user(world, "admin1", {"active": False}, second(world)))
    assert patch_user(world, "supervisor1", {"role": "operator"},
                      second(world)).status_code == 409


def second(world: World) -> dict[str, str]:
    """supervisor1's headers (an admin by then), with a new Idempotency-Key."""
    return world.headers(Role.SUPERVISOR)


def test_tokens_are_listed_without_their_secret_and_revoked_one_by_one(world: World) -> None:
    issued = world.ok(world.client.post("/api/v1/users/operator1/tokens",
                                        headers=world.headers(Role.ADMIN)))
    second = issued["token"]
    assert world.client.get("/api/v1/auth/me", headers=bearer(second)).status_code == 200
    listed = world.ok(world.get("/users/operator1/tokens", Role.ADMIN))
    assert [t["revoked"] for t in listed] == [False, False]
    assert set(listed[0]) == {"id", "label", "created_at", "expires_at", "revoked"}
    assert second not in str(listed) and world.tokens[Role.OPERATOR] not in str(listed)
    # The user may see and revoke their own tokens, not another user's.
    own = world.ok(world.get("/users/operator1/tokens", Role.OPERATOR))
    assert [t["id"] for t in own] == [t["id"] for t in listed]
    other = world.get("/users/supervisor1/tokens", Role.OPERATOR)
    assert other.status_code == 403
    refused = world.client.delete(f"/api/v1/users/admin1/tokens/{listed[0]['id']}",
                                  headers=world.headers(Role.OPERATOR))
    assert refused.status_code == 403
    wrong_owner = world.client.delete(f"/api/v1/users/supervisor1/tokens/{listed[1]['id']}",
                                      headers=world.headers(Role.ADMIN))
    assert wrong_owner.status_code == 404
    assert wrong_owner.json()["error"] == "token_not_found"

    revoked = world.ok(world.client.delete(f"/api/v1/users/operator1/tokens/{listed[1]['id']}",
                                           headers=world.headers(Role.OPERATOR)))
    assert revoked["revoked"] is True
    # At once, although the token was checked (and cached) a moment ago.
    gone = world.client.get("/api/v1/auth/me", headers=bearer(second))
    assert gone.status_code == 401
    assert gone.json()["error"] == "invalid_token"
    assert world.get("/auth/me", Role.OPERATOR).status_code == 200  # the other still works


def test_deactivation_revokes_tokens_and_reactivation_brings_none_back(world: World) -> None:
    token = world.tokens[Role.SUPERVISOR]
    assert world.client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    world.ok(patch_user(world, "supervisor1", {"active": False}))
    assert world.client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    world.ok(patch_user(world, "supervisor1", {"active": True}))
    assert world.client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert all(t["revoked"] for t in world.ok(world.get("/users/supervisor1/tokens",
                                                        Role.ADMIN)))
    fresh = world.ok(world.client.post("/api/v1/users/supervisor1/tokens",
                                       headers=world.headers(Role.ADMIN)))["token"]
    assert world.client.get("/api/v1/auth/me", headers=bearer(fresh)).status_code == 200


def test_a_demotion_takes_effect_at_once(world: World) -> None:
    world.ok(patch_user(world, "supervisor1", {"role": "admin"}))
    assert world.get("/users", Role.SUPERVISOR).status_code == 200
    world.ok(patch_user(world, "supervisor1", {"role": "operator"}))
    assert world.get("/users", Role.SUPERVISOR).status_code == 403


def test_the_cli_lists_and_revokes_tokens_and_keeps_the_last_admin(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", str(world.hub.engine.url.render_as_string(
        hide_password=False)))
    runner = CliRunner()
    listed = runner.invoke(cli, ["user", "tokens", "operator1"])
    assert listed.exit_code == 0, listed.output
    assert world.tokens[Role.OPERATOR] not in listed.output
    [row] = [line for line in listed.stdout.splitlines()[1:] if line.strip()]
    token_id = row.split("\t")[0]
    assert row.endswith("valid")
    revoked = runner.invoke(cli, ["user", "revoke-token", "operator1", token_id])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(cli, ["user", "tokens", "operator1"]).output.rstrip().endswith(
        "revoked")
    missing = runner.invoke(cli, ["user", "revoke-token", "operator1", "99999"])
    assert missing.exit_code == 2
    assert "operator1 has no token 99999" in missing.output
    last = runner.invoke(cli, ["user", "update", "admin1", "--inactive"])
    assert last.exit_code == 2
    assert "admin1 is the last active admin" in last.output
    demote = runner.invoke(cli, ["user", "update", "admin1", "--role", "operator"])
    assert demote.exit_code == 2
    off = runner.invoke(cli, ["user", "update", "supervisor1", "--inactive"])
    assert off.exit_code == 0, off.output
    assert "inactive (tokens revoked)" in off.output
    for command in (["user", "tokens", "--help"], ["user", "revoke-token", "--help"],
                    ["user", "update", "--help"]):
        assert runner.invoke(cli, command).exit_code == 0


# --- tokens are never kept in clear, not even in an idempotency record (issue 15, item 7)


def raw_idempotency_records(world: World) -> str:
    """Every column of every idempotency record, as the database holds them."""
    with world.hub.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT * FROM idempotency_records").all()
    return "\n".join(repr(tuple(row)) for row in rows)


def test_an_issued_token_is_kept_in_no_idempotency_record_and_a_resend_says_what_to_do(
    world: World,
) -> None:
    password = "correct horse battery"
    created_key, token_key = "create-carol-0001", "token-carol-0001"
    created = world.client.post("/api/v1/users", json={
        "username": "carol", "role": "operator", "password": password, "full_name": "Carol C"},
        headers=world.headers(Role.ADMIN, created_key))
    assert created.status_code == 201, created.text
    issued = world.client.post("/api/v1/users/carol/tokens",
                               headers=world.headers(Role.ADMIN, token_key))
    assert issued.status_code == 201, issued.text
    tokens = [created.json()["token"], issued.json()["token"]]
    stored = raw_idempotency_records(world)
    assert created_key in stored and token_key in stored  # the records are there …
    for token in tokens:  # … but no token, nor any part of one
        assert token not in stored
        assert token.removeprefix("sw_")[:12] not in stored
    assert password not in stored  # nor the password the request carried,
    # nor a fast hash of it: the request's fingerprint takes the password scrypt-hashed.
    canonical = json.dumps({"full_name": "Carol C", "password": password, "role": "operator",
                            "username": "carol"},
                           sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(f"POST /api/v1/users\n{canonical}".encode()).hexdigest() not in stored

    # The resend (the first answer was lost): no second token, and words that say what to do.
    listed = world.ok(world.get("/users/carol/tokens", Role.ADMIN))
    for key, path, body in ((created_key, "/api/v1/users", {
            "username": "carol", "role": "operator", "password": password,
            "full_name": "Carol C"}),
            (token_key, "/api/v1/users/carol/tokens", None)):
        again = world.client.post(path, json=body, headers=world.headers(Role.ADMIN, key))
        assert again.status_code == 409, again.text
        assert again.json()["error"] == "token_not_replayable"
        detail = again.json()["detail"]
        assert "shown only in the first answer" in detail
        assert "revoke token" in detail and "/api/v1/users/carol/tokens/" in detail
        assert not any(token in again.text for token in tokens)
    assert world.ok(world.get("/users/carol/tokens", Role.ADMIN)) == listed
    # The tokens the message names are the ones issued, so revoking them works.
    first_id = listed[0]["id"]
    refusal = world.client.post("/api/v1/users", json={
        "username": "carol", "role": "operator", "password": password, "full_name": "Carol C"},
        headers=world.headers(Role.ADMIN, created_key)).json()["detail"]
    assert f"revoke token {first_id} " in refusal
    for token in tokens:
        assert world.client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
