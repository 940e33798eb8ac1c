"""The login page in real headless Chromium against a real hub: after the login it goes
back to `next` only when that is a path on this hub. Addresses that only look like a
path (a tab, line feed or carriage return the URL parser drops, a backslash it reads
as a slash) or that name another host end on the hub's own home page, and the browser
never asks another host for anything."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PASSWORD = "front-desk-password-1"

# As an attacker would put them in a link: already percent-encoded.
FOREIGN_NEXTS = [
    "/%09/evil.invalid/x",
    "/%0A/evil.invalid/x",
    "/%0D/evil.invalid/x",
    "//evil.invalid",
    "/%5Cevil.invalid",
    "/\\evil.invalid",
    "https://evil.invalid",
    "https:evil.invalid",
    "%09//evil.invalid",
    "javascript:alert(1)",
]


@pytest.fixture
def login_page(hub_http: HubServer, open_page: Callable[..., OfflinePage]) -> OfflinePage:
    # A supervisor: with no `next` (or "/"), an operator would land on /handheld instead.
    response = httpx.post(hub_http.url("/api/v1/users"), headers={
        **hub_http.admin_headers, "Idempotency-Key": str(uuid.uuid4())},
        json={"username": "clerk", "role": "supervisor", "password": PASSWORD,
              "full_name": "Clerk Kent"}, timeout=10)
    assert response.status_code == 201, response.text
    return open_page(hub_http.base_url)


def log_in(page: OfflinePage, next_query: str) -> None:
    page.goto(f"/login?next={next_query}")
    page.page.fill("#username", "clerk")
    page.page.fill("#password", PASSWORD)
    page.page.click("button[type=submit]")


@pytest.mark.parametrize("next_query", FOREIGN_NEXTS)
def test_a_next_address_off_the_hub_ends_on_the_hubs_home_page(
    login_page: OfflinePage, next_query: str
) -> None:
    log_in(login_page, next_query)
    expect(login_page.page).to_have_url(f"{login_page.origin}/")
    assert login_page.foreign_requests() == []


def test_a_next_path_on_the_hub_is_followed_with_its_query(login_page: OfflinePage) -> None:
    log_in(login_page, quote("/alarms?zone=COLD&state=all", safe=""))
    expect(login_page.page).to_have_url(f"{login_page.origin}/alarms?zone=COLD&state=all")
    assert login_page.foreign_requests() == []
