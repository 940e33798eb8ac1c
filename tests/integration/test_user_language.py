"""The pages' language per user and for the site (docs/i18n.md), over the API and the
pages' HTML: a user sets their own (PATCH /auth/me), an admin another's (PATCH /users),
null goes back to the site's; the page follows the logged-in user, else the `lang`
cookie, else Accept-Language, else the setting `language`, which refuses a language the
hub does not have."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from hub.settings import SettingsError, load_settings
from kernel.actors import Role
from tests.support.inventory_world import World, build_world

PASSWORD = "cold chain words 42"


@pytest.fixture
def world(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("STOCKWARDEN_TOKEN_CACHE_S", "0")
    yield from build_world(db_url)


def page_language(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    found = re.search(r'<html lang="([^"]+)">', answer.text)
    assert found, answer.text[:200]
    return found.group(1)


def log_in(world: World, username: str) -> str:
    """A page login in the test client (its session cookie kept); the token."""
    world.client.cookies.clear()
    answer = world.client.post("/api/v1/auth/login",
                               json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def patch_me(world: World, token: str, body: object) -> httpx.Response:
    return world.client.patch("/api/v1/auth/me", json=body,
                              headers={"Authorization": f"Bearer {token}"})


def test_a_user_chooses_chinese_and_the_pages_follow_them(world: World) -> None:
    world.ok(world.post("/users", {"username": "ann", "role": "operator", "password": PASSWORD,
                                   "full_name": "Ann Operator"}, Role.ADMIN))
    token = log_in(world, "ann")
    assert world.ok(world.client.get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {token}"}))["language"] is None
    assert page_language(world.client.get("/")) == "en"

    chosen = patch_me(world, token, {"language": "zh-CN"})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["language"] == "zh-CN"
    home = world.client.get("/")
    assert page_language(home) == "zh-CN"
    assert ">总览</a>" in home.text and "退出登录" in home.text
    assert home.headers["content-language"] == "zh-CN"
    assert "Accept-Language" in home.headers["vary"]
    handheld = world.client.get("/handheld")
    assert page_language(handheld) == "zh-CN"
    # The handheld's script gets its words in Chinese (the #i18n-catalog block).
    block = re.search(r'id="i18n-catalog">(.*?)</script>', handheld.text, re.DOTALL)
    assert block and json.loads(block.group(1))["Not booked"] == "未记账"
    # The user's choice wins over the browser's cookie and Accept-Language.
    world.client.cookies.set("lang", "en")
    assert page_language(world.client.get("/", headers={"Accept-Language": "en"})) == "zh-CN"

    for wrong in ({"language": "fr"}, {}, {"language": "zh-CN", "role": "admin"}):
        refused = patch_me(world, token, wrong)
        assert refused.status_code == 422, refused.text
    assert patch_me(world, token, {"language": None}).json()["language"] is None
    assert page_language(world.client.get("/")) == "en"  # the site's again
    trail = world.ok(world.get("/audit", Role.ADMIN, entity="user", key="ann"))
    assert [row["after"]["language"] for row in trail
            if "language" in (row["after"] or {})] == ["zh-CN", None]  # in the order made


def test_an_admin_sets_another_users_language(world: World) -> None:
    world.ok(world.post("/users", {"username": "bo", "role": "operator", "password": PASSWORD,
                                   "full_name": "Bo Operator"}, Role.ADMIN))

    def admin_patch(body: dict[str, object]) -> dict[str, object]:
        answer = world.client.patch("/api/v1/users/bo", json=body,
                                    headers=world.headers(Role.ADMIN))
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    assert admin_patch({"language": "zh-CN"})["language"] == "zh-CN"
    assert admin_patch({"role": "supervisor"})["language"] == "zh-CN"  # absent: kept
    log_in(world, "bo")
    assert page_language(world.client.get("/reports")) == "zh-CN"
    assert admin_patch({"language": None})["language"] is None
    assert page_language(world.client.get("/reports")) == "en"
    listed = {u["username"]: u for u in world.ok(world.get("/users", Role.ADMIN))}
    assert listed["bo"]["language"] is None
    # Only an admin sets someone else's.
    other = world.client.patch("/api/v1/users/bo", json={"language": "zh-CN"},
                               headers=world.headers(Role.SUPERVISOR))
    assert other.status_code == 403


def test_before_login_the_cookie_then_the_browser_then_the_site_decide(world: World) -> None:
    client = world.client
    client.cookies.clear()
    assert page_language(client.get("/login")) == "en"
    login = client.get("/login", headers={"Accept-Language": "de-DE, zh-Hans-CN;q=0.8, en;q=0.5"})
    assert page_language(login) == "zh-CN"
    assert "<h1>登录</h1>" in login.text
    client.cookies.set("lang", "en")
    assert page_language(client.get("/login", headers={"Accept-Language": "zh-CN"})) == "en"
    client.cookies.clear()

    # The switch without a script: the cookie, then back to a path of this hub only.
    switched = client.get("/language/zh-CN", params={"next": "/alarms"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/alarms"
    assert "lang=zh-CN" in switched.headers["set-cookie"]
    assert page_language(client.get("/login")) == "zh-CN"
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil", "/\tx"):
        away = client.get("/language/en", params={"next": elsewhere}, follow_redirects=False)
        assert away.headers["location"] == "/", elsewhere


def test_the_sites_language_is_a_setting(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="language"):
        load_settings(database_url=db_url, language="fr")
    monkeypatch.setenv("STOCKWARDEN_LANGUAGE", "zh-CN")
    monkeypatch.setenv("STOCKWARDEN_TOKEN_CACHE_S", "0")
    for world in build_world(db_url):
        assert world.hub.settings.language == "zh-CN"
        world.client.cookies.clear()
        assert page_language(world.client.get("/login")) == "zh-CN"
        # A user without a language of their own gets the site's.
        world.ok(world.post("/users", {"username": "cy", "role": "operator",
                                       "password": PASSWORD, "full_name": "Cy Operator"},
                            Role.ADMIN))
        log_in(world, "cy")
        assert page_language(world.client.get("/alarms")) == "zh-CN"
