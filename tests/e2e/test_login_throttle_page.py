"""The login page, in real headless Chromium, says in words that logins are refused
for a while after too many wrong passwords (issue 15, item 8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.accounts.service import create_user_with_token
from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from kernel.actors import Role
from tests.support.browser import OfflinePage
from tests.support.http_server import serve_in_thread

PASSWORD = "correct horse battery"


@pytest.fixture
def hub_url(tmp_path: Path) -> Iterator[str]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", tsdb_url=None,
                             login_max_failures_per_user=2, login_failure_window_s=60)
    hub = Hub.build(settings)
    with hub.writes() as session:
        create_user_with_token(session, "picker", Role.OPERATOR, PASSWORD, "Pat Picker")
    try:
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            yield base_url
    finally:
        hub.stop()


def test_the_login_page_says_when_too_many_wrong_passwords_refuse_even_the_right_one(
    hub_url: str, open_page: Callable[..., OfflinePage],
) -> None:
    page = open_page(hub_url)
    page.goto("/login")
    error = page.page.locator("#login-error")
    for password in ("wrong password 1", "wrong password 2", PASSWORD):
        page.page.fill("#username", "picker")
        page.page.fill("#password", password)
        page.page.click("button[type=submit]")
        expect(error).to_be_visible()
        expected = "Wrong user name or password." if password != PASSWORD else "too many"
        expect(error).to_contain_text(expected)
        expect(page.page.locator("#login-form button[type=submit]")).to_be_enabled()
    expect(error).to_contain_text("too many failed logins for this user; try again in ")
    expect(page.page).to_have_url(f"{hub_url}/login")
