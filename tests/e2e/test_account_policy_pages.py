"""The account policy in real headless Chromium, against a real hub over HTTP: a desk
page left alone is logged out by the hub (idle timeout) and the login page says why;
the handheld's scan queued offline survives the timeout and is booked after the next
login; an expired password gets the change-password form, which refuses a common
password in words and then logs in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from kernel.actors import Role
from kernel.orm import User
from tests.e2e.test_handheld_page import (  # fixtures and helpers of the handheld tests
    Api,
    Handheld,
    api,  # noqa: F401 (a fixture)
    handheld,  # noqa: F401 (a fixture)
)
from tests.support.auth import bearer_headers
from tests.support.browser import OfflinePage
from tests.support.http_server import serve_in_thread
from tests.support.hub_server import HubServer

IDLE_S = 8
DESK_PASSWORD = "front desk at dawn 42"
NEW_PASSWORD = "frozen aisle nine 17"


@pytest.fixture
def hub_http(tmp_path: Path) -> Iterator[HubServer]:
    """A hub whose pages end after IDLE_S s without activity and whose passwords
    expire after 30 days; every request looks its token up (no cache)."""
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", tsdb_url=None,
                             session_idle_s=IDLE_S, password_max_age_days=30,
                             token_cache_s=0)
    hub = Hub.build(settings)
    try:
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            yield HubServer(hub, base_url, bearer_headers(hub, Role.ADMIN))
    finally:
        hub.stop()


def _log_in(page: OfflinePage, username: str, password: str) -> None:
    page.page.fill("#username", username)
    page.page.fill("#password", password)
    page.page.click("#login-form button[type=submit]")


def test_a_desk_page_left_alone_is_logged_out_by_the_hub(
    hub_http: HubServer, api: Api,  # noqa: F811
    open_page: Callable[..., OfflinePage],
) -> None:
    api.post("/users", {"username": "sue", "role": "supervisor", "password": DESK_PASSWORD,
                        "full_name": "Sue Supervisor"})
    page = open_page(hub_http.base_url)
    page.goto("/reports")
    expect(page.page).to_have_url(f"{hub_http.base_url}/login?next=%2Freports")
    _log_in(page, "sue", DESK_PASSWORD)
    expect(page.page).to_have_url(f"{hub_http.base_url}/reports")
    expect(page.page.locator("#whoami")).to_contain_text("sue")
    # Clicks keep it alive past the timeout; the page's own reads would not.
    for _ in range(6):
        page.page.wait_for_timeout(IDLE_S * 1000 / 4)
        page.page.mouse.click(5, 5)
    expect(page.page).to_have_url(f"{hub_http.base_url}/reports")
    # Left alone: the hub ends the session, the page shows the login and says why.
    expect(page.page).to_have_url(f"{hub_http.base_url}/login?next=%2Freports",
                                  timeout=(IDLE_S + 10) * 1000)
    note = page.page.locator("#login-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text(f"logged out after {IDLE_S} s without activity")
    # The session is over at the hub, not only in this browser: its token is refused.
    token = page.page.evaluate(
        "() => JSON.parse(localStorage.getItem('stockwarden.session') || 'null')")
    assert token is None  # forgotten here; and the hub refused it (the 401 that sent us)
    _log_in(page, "sue", DESK_PASSWORD)
    expect(page.page).to_have_url(f"{hub_http.base_url}/reports")


def test_a_scan_queued_offline_is_booked_after_the_login_that_follows_the_idle_timeout(
    handheld: Handheld, api: Api,  # noqa: F811
) -> None:
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=receive]")
    handheld.scan("LOC:F-02")
    page.context.set_offline(True)
    handheld.scan("]d2010400638133393117291231" + "10IDLE|307")
    expect(handheld.queue("queued")).to_have_count(1)
    page.wait_for_timeout((IDLE_S + 2) * 1000)  # nobody touches it: the session lapses
    page.context.set_offline(False)
    expect(page).to_have_url(f"{handheld.offline_page.origin}/login?next=%2Fhandheld",
                             timeout=15_000)
    expect(page.locator("#login-note")).to_contain_text("without activity")
    handheld.log_in_again()  # the scan waited in the queue
    expect(page.locator("#done li[data-state=booked]")).to_have_count(1, timeout=20_000)
    assert [(r["lot_number"], r["quantity"], r["user"]) for r in api.moves("receive")] == [
        ("IDLE", 7, "picker")]


def test_an_expired_password_is_changed_on_the_login_page(
    hub_http: HubServer, api: Api,  # noqa: F811
    open_page: Callable[..., OfflinePage],
) -> None:
    api.post("/users", {"username": "sue", "role": "supervisor", "password": DESK_PASSWORD,
                        "full_name": "Sue Supervisor"})
    with hub_http.hub.writes() as session:
        session.execute(update(User).where(User.username == "sue").values(
            password_changed_at=datetime.now(UTC) - timedelta(days=31)))
        session.commit()
    page = open_page(hub_http.base_url)
    page.goto("/login?next=%2Freports")
    _log_in(page, "sue", DESK_PASSWORD)
    change = page.page.locator("#change-form")
    expect(change).to_be_visible()
    expect(page.page.locator("#login-form")).to_be_hidden()
    expect(page.page.locator("#change-why")).to_contain_text("older than 30 days")
    expect(change).to_contain_text("At least 12 characters")
    error = page.page.locator("#change-error")
    for first, again, said in (
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two new passwords differ."),
        ("qwertyuiop12", "qwertyuiop12", "list of common passwords"),
        ("short one", "short one", "at least 12 characters"),
    ):
        page.page.fill("#new-password", first)
        page.page.fill("#new-password-again", again)
        page.page.click("#change-form button[type=submit]")
        expect(error).to_contain_text(said)
    page.page.fill("#new-password", NEW_PASSWORD)
    page.page.fill("#new-password-again", NEW_PASSWORD)
    page.page.click("#change-form button[type=submit]")
    expect(page.page).to_have_url(f"{hub_http.base_url}/reports")
    expect(page.page.locator("#whoami")).to_contain_text("sue")
    assert any(r["action"] == "password" and r["actor"] == "sue"
               for r in api.get("/audit", entity="user", key="sue"))
