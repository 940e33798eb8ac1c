"""Password logins are throttled per client address and per user name, and take the
same time whether the user exists or not (issue 15, item 8)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.login_throttle import LoginThrottle
from kernel.actors import Role
from tests.support.inventory_world import World, build_world

PASSWORD = "correct horse battery"
# Long enough that no failure leaves the window while a test runs, however slow the
# machine (a 2 s window let a loaded machine's slow logins outlast it); the test of
# the window's end moves a clock instead of waiting.
WINDOW_S = 60.0


@pytest.fixture
def world(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A hub whose throttle forgets failures after 60 s: 3 per user, 5 per address."""
    monkeypatch.setenv("STOCKWARDEN_LOGIN_FAILURE_WINDOW_S", str(WINDOW_S))
    monkeypatch.setenv("STOCKWARDEN_LOGIN_MAX_FAILURES_PER_USER", "3")
    monkeypatch.setenv("STOCKWARDEN_LOGIN_MAX_FAILURES_PER_ADDRESS", "5")
    yield from build_world(db_url)


def with_user(world: World, name: str = "pia") -> World:
    world.ok(world.post("/users", {"username": name, "role": "operator", "password": PASSWORD,
                                   "full_name": f"{name} Person"},
                        Role.ADMIN))
    return world


def client_at(world: World, address: str) -> TestClient:
    """Another client of the same hub, coming from `address`."""
    return TestClient(world.client.app, client=(address, 40000))


def login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_until_the_window_passes(
    world: World,
) -> None:
    now = [1000.0]  # the throttle's clock, moved by the test
    world.client.app.state.login_throttle = LoginThrottle(
        window_s=WINDOW_S, max_per_address=5, max_per_user=3, clock=lambda: now[0])
    with_user(world)
    first, second = client_at(world, "10.0.0.1"), client_at(world, "10.0.0.2")
    for _ in range(3):
        assert login(first, "pia", "wrong password").status_code == 401
    refused = login(first, "pia", PASSWORD)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_attempts"
    assert refused.json()["detail"].startswith("too many failed logins for this user; try "
                                               "again in ")
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW_S
    # The user is refused from any address: the limit is the user's, not the address's.
    assert login(second, "pia", PASSWORD).status_code == 429
    now[0] += int(refused.headers["Retry-After"]) - 1.0
    assert login(first, "pia", PASSWORD).status_code == 429  # not yet
    now[0] += 1.1
    assert login(first, "pia", PASSWORD).status_code == 200


def test_a_successful_login_clears_the_users_count(world: World) -> None:
    with_user(world)
    client = client_at(world, "10.0.0.3")
    for _ in range(2):
        for _ in range(2):
            assert login(client, "pia", "wrong password").status_code == 401
        assert login(client, "pia", PASSWORD).status_code == 200


def test_one_address_trying_many_users_is_limited_by_its_address(world: World) -> None:
    with_user(world)
    guesser, colleague = client_at(world, "10.0.0.4"), client_at(world, "10.0.0.5")
    for name in ("admin1", "supervisor1", "operator1", "nobody", "pia"):
        assert login(guesser, name, "wrong password").status_code == 401
    refused = login(guesser, "pia", PASSWORD)  # pia has one failure: not her limit
    assert refused.status_code == 429
    assert "from this address" in refused.json()["detail"]
    assert "Retry-After" in refused.headers
    assert login(colleague, "pia", PASSWORD).status_code == 200


@pytest.mark.serial  # compares timings: alone on the machine
def test_a_wrong_password_takes_as_long_for_an_unknown_user_as_for_a_known_one(
    world: World,
) -> None:
    with_user(world)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for attempt in range(15):
        for kind, name in (("known", "pia"), ("unknown", f"nobody-{attempt}")):
            # interleaved, so a slower moment of the machine costs both the same
            client = client_at(world, f"10.1.{attempt}.{len(timings[kind])}")
            started = time.perf_counter()
            assert login(client, name, f"wrong password {attempt}").status_code == 401
            timings[kind].append(time.perf_counter() - started)
        if attempt % 2:  # stay below pia's limit (a success clears her count)
            assert login(client_at(world, "10.2.0.1"), "pia", PASSWORD).status_code == 200
    known, unknown = (statistics.median(t) for t in timings.values())
    assert max(known, unknown) / min(known, unknown) < 2, (known, unknown)


def test_the_document_declares_the_429_with_retry_after(world: World) -> None:
    doc = world.client.get("/openapi.json").json()
    refused = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"]
    assert "too_many_attempts" in refused["description"]
    assert "Retry-After" in refused["headers"]
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
