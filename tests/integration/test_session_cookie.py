"""The web login's session cookie (issue 18, item 2), over real HTTP: it opens reads
(a report download) without a token, never a write (CSRF: another site's form or
script gets the browser to send the cookie, never an Authorization header); it is
HttpOnly and SameSite=Strict, Secure when the hub is served over TLS; logging out
clears it. And `stockwarden user create --data-dir` writes where the demo's hub reads
and says so."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app
from hub.auth import SESSION_COOKIE
from hub.cli import app as cli
from hub.container import Hub
from hub.settings import load_settings
from tests.support.hub_server import HubServer, hub_http  # noqa: F401

PASSWORD = "quality-password-1"


@pytest.fixture
def browser(hub_http: HubServer) -> Iterator[httpx.Client]:  # noqa: F811
    """A client that keeps cookies as a browser does, logged in as an admin."""
    made = httpx.post(hub_http.url("/api/v1/users"), headers={
        **hub_http.admin_headers, "Idempotency-Key": str(uuid.uuid4())},
        json={"username": "qa", "role": "admin", "password": PASSWORD, "full_name": "Q A"},
        timeout=10)
    assert made.status_code == 201, made.text
    with httpx.Client(base_url=hub_http.base_url, timeout=10) as client:
        login = client.post("/api/v1/auth/login", json={"username": "qa", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}={login.json()['token']};"), cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
        yield client


def test_the_cookie_alone_opens_a_report_download(browser: httpx.Client) -> None:
    csv = browser.get("/api/v1/reports/expiry?format=csv")
    assert csv.status_code == 200, csv.text
    assert csv.headers["content-type"].startswith("text/csv")
    assert browser.get("/api/v1/auth/me").json()["username"] == "qa"
    assert browser.head("/api/v1/reports/expiry?format=csv").status_code in (200, 405)


def test_the_cookie_alone_cannot_write(browser: httpx.Client) -> None:
    for method, path, body in (
        ("POST", "/api/v1/storage-classes", {"code": "X", "name": "forged"}),
        ("POST", "/api/v1/users", {"username": "mallory", "role": "admin",
                                   "password": "forged-password-1",
                                   "full_name": "Mal Lory"}),
        ("PATCH", "/api/v1/users/qa", {"active": False}),
        ("DELETE", "/api/v1/users/qa/tokens/1", None),
    ):
        refused = browser.request(method, path, json=body,
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["error"] == "cookie_not_for_writes"
        assert "Bearer" in refused.json()["detail"]
    # Nothing was changed: the same session, as Bearer, sees it.
    token = browser.cookies[SESSION_COOKIE]
    me = browser.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin"
    assert "mallory" not in {u["username"] for u in browser.get("/api/v1/users").json()}
    classes = browser.get("/api/v1/storage-classes").json()
    assert [c for c in classes if c["code"] == "X"] == []
    # The page's own way, Bearer, still writes.
    made = browser.post("/api/v1/storage-classes", json={"code": "X", "name": "by the page"},
                        headers={"Authorization": f"Bearer {token}",
                                 "Idempotency-Key": str(uuid.uuid4())})
    assert made.status_code == 201, made.text


def test_a_page_with_only_its_token_gets_the_cookie_back(
    hub_http: HubServer, browser: httpx.Client,  # noqa: F811
) -> None:
    token = browser.cookies[SESSION_COOKIE]
    with httpx.Client(base_url=hub_http.base_url, timeout=10) as fresh:  # no cookie yet
        assert fresh.get("/api/v1/reports/expiry?format=csv").status_code == 401
        refused = fresh.post("/api/v1/auth/session")  # no token: nothing to make one of
        assert refused.status_code == 401
        made = fresh.post("/api/v1/auth/session", headers={"Authorization": f"Bearer {token}"})
        assert made.status_code == 204
        assert "HttpOnly" in made.headers["set-cookie"]
        assert fresh.get("/api/v1/reports/expiry?format=csv").status_code == 200
    # A cookie cannot mint itself anew by POST.
    again = browser.post("/api/v1/auth/session")
    assert again.status_code == 403 and again.json()["error"] == "cookie_not_for_writes"


def test_logging_out_clears_the_cookie(browser: httpx.Client) -> None:
    out = browser.post("/api/v1/auth/logout")
    assert out.status_code == 204
    assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers[
        "set-cookie"]
    assert SESSION_COOKIE not in browser.cookies
    after = browser.get("/api/v1/reports/expiry?format=csv")
    assert after.status_code == 401
    assert "log in at /login" in after.json()["detail"]


def test_the_cookie_is_secure_when_the_hub_is_served_over_tls(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'tls.db'}", tsdb_url=None,
                             public_url="https://hub.example")
    hub = Hub.build(settings)
    try:
        runner = CliRunner()
        made = runner.invoke(cli, ["user", "create", "--database-url", settings.database_url,
                                   "--username", "sue", "--role", "supervisor", "--password",
                                   "--full-name", "Sue Example"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
        assert made.exit_code == 0, made.output
        with TestClient(create_app(hub, manage_lifecycle=False)) as client:
            login = client.post("/api/v1/auth/login",
                                json={"username": "sue", "password": PASSWORD})
            assert login.status_code == 200, login.text
            assert "Secure" in login.headers["set-cookie"]
    finally:
        hub.stop()


def test_user_create_with_the_demos_data_dir_writes_where_the_demo_reads(tmp_path: Path) -> None:
    demo_db = tmp_path / "demo.db"
    Hub.build(load_settings(database_url=f"sqlite:///{demo_db}", tsdb_url=None)).stop()
    result = CliRunner().invoke(cli, ["user", "create", "--data-dir", str(tmp_path),
                                      "--username", "sue", "--role", "supervisor",
                                      "--password", "--full-name", "Sue Example"],
                                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert f"database: sqlite:///{demo_db}" in result.output
    hub = Hub.build(load_settings(database_url=f"sqlite:///{demo_db}", tsdb_url=None))
    try:
        with TestClient(create_app(hub, manage_lifecycle=False)) as client:
            login = client.post("/api/v1/auth/login",
                                json={"username": "sue", "password": PASSWORD})
            assert login.status_code == 200, login.text
    finally:
        hub.stop()
    both = CliRunner().invoke(cli, ["user", "tokens", "sue", "--data-dir", str(tmp_path),
                                    "--database-url", "sqlite:///x.db"])
    assert both.exit_code == 2 and "not both" in both.output


def test_the_demos_people_log_in_with_the_passwords_of_the_latest_start(tmp_path: Path) -> None:
    from hub.demo import demo_logins

    hub = Hub.build(load_settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}",
                                  tsdb_url=None))
    try:
        first = demo_logins(hub)
        again = demo_logins(hub)  # a second start over the same --data-dir
        assert [(p.username, p.role) for p in again] == [("sue", "supervisor"),
                                                         ("otto", "operator"),
                                                         ("ada", "admin")]
        with TestClient(create_app(hub, manage_lifecycle=False)) as client:
            for old, new in zip(first, again, strict=True):
                assert old.password != new.password and len(new.password) >= 10
                login = client.post("/api/v1/auth/login",
                                    json={"username": new.username, "password": new.password})
                assert login.status_code == 200 and login.json()["role"] == new.role
                stale = client.post("/api/v1/auth/login",
                                    json={"username": old.username, "password": old.password})
                assert stale.status_code == 401
    finally:
        hub.stop()
