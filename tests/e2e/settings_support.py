"""What the settings pages' browser tests share (test_settings_*_page.py): the API
called as the admin token, a site with people of each role, and a login that lands
on a settings page and measures how long it took."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PASSWORD = "admin-password-12"
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 360, "height": 740}}
PEOPLE = (("ada", "admin", "Ada Admin"), ("sue", "supervisor", "Sue Supervisor"),
          ("otto", "operator", "Otto Operator"))


def call(server: HubServer, method: str, path: str, body: Any = None, **params: Any) -> Any:
    answer = httpx.request(method, server.url(f"/api/v1{path}"), json=body, params=params,
                           headers={**server.admin_headers, "Idempotency-Key": str(uuid.uuid4())},
                           timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def add_people(server: HubServer) -> None:
    for username, role, full_name in PEOPLE:
        call(server, "POST", "/users", {"username": username, "role": role,
                                        "password": PASSWORD, "full_name": full_name})


def log_in(offline: OfflinePage, username: str, path: str,
           password: str = PASSWORD) -> tuple[Page, float]:
    """Logged in as `username` on `path`; the seconds from the login's click to the page
    being ready (its data loaded), printed by the tests."""
    offline.goto(f"/login?next={path.replace('/', '%2F')}")
    page = offline.page
    page.fill("#username", username)
    page.fill("#password", password)
    started = time.monotonic()
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("body[data-ready=true]")
    return page, time.monotonic() - started


def sign(page: Page, reason: str, password: str = PASSWORD) -> None:
    """Sign the open change with the meaning "approved", `reason` and `password`."""
    page.wait_for_selector("dialog#sign[open]")
    assert page.locator("#sign-meaning option").all_text_contents() == ["approved"]
    page.fill("#sign-text", reason)
    page.fill("#sign-password", password)
    page.keyboard.press("Enter")


def token_of(page: Page) -> str:
    return str(page.evaluate("JSON.parse(localStorage.getItem('stockwarden.session')).token"))


def fits_the_width(page: Page) -> bool:
    """Nothing wider than the viewport (the header and sub-navigation at 360 px)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
