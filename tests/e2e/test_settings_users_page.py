"""Users and tokens on /settings/users, in real headless Chromium against the hub over
HTTP, at desktop and phone size: an admin creates a user whose too-short password is
refused in the policy's plain words (the form stays open with what was typed), then a
good one; the new user logs in; the admin deactivates them and their login and token are
refused. A machine account's token and another one are shown once, with a copy button;
a revoked token gets 401. A supervisor and an operator are offered none of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.settings_support import PASSWORD, SIZES, add_people, call, log_in
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

NEW_PASSWORD = "cold-chain-keeper-7"


def _me(server: HubServer, token: str) -> int:
    return httpx.get(server.url("/api/v1/auth/me"), timeout=10,
                     headers={"Authorization": f"Bearer {token}"}).status_code


def _login(server: HubServer, username: str, password: str) -> httpx.Response:
    return httpx.post(server.url("/api/v1/auth/login"), timeout=10,
                      json={"username": username, "password": password})


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    add_people(hub_http)
    return hub_http


def take_secret(page: Page) -> str:
    """The token in its shown-once dialog, copied, then the dialog closed with Enter."""
    page.wait_for_selector("dialog#secret[open]")
    token = page.input_value("#secret-token")
    assert token.startswith("sw_")
    page.click("#secret-copy")
    expect(page.locator("#secret-copied")).to_contain_text("Copied")
    page.focus("#secret-done")
    page.keyboard.press("Enter")
    expect(page.locator("dialog#secret")).not_to_be_visible()
    # Gone from the page once the dialog is closed: shown this once only.
    assert token not in page.content()
    # Emptied by the dialog's close event, which the browser fires a task after it hides it.
    expect(page.locator("#secret-token")).to_have_value("")
    return token


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_creates_a_user_who_logs_in_until_deactivated(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    offline.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page, load_s = log_in(offline, "ada", "/settings/users")
    print(f"load /settings/users {load_s:.2f} s ({size})")
    status = page.locator("#users-status")
    expect(page.locator("#users tr[data-key=sue]")).to_contain_text("supervisor")
    expect(page.locator("#users tr[data-key=ada]")).to_contain_text("does not expire")
    offline.screenshot(shots / f"01-{size}-list.png", full_page=True)

    # A password the policy refuses: its words in the form, which stays with what was typed.
    page.click("#new-user")
    page.fill("#edit-username", "nina")
    page.fill("#edit-full_name", "Nina Newcomer")
    page.select_option("#edit-role", "supervisor")
    page.fill("#edit-password", "short")
    page.keyboard.press("Enter")
    error = page.locator("#edit-error")
    expect(error).to_have_text("the password needs at least 12 characters (it has 5)")
    expect(page.locator("dialog#edit")).to_be_visible()
    assert page.input_value("#edit-username") == "nina"
    assert page.input_value("#edit-role") == "supervisor"
    offline.screenshot(shots / f"02-{size}-weak-password.png")
    page.fill("#edit-password", "password1234")
    page.keyboard.press("Enter")
    expect(error).to_contain_text("the password is on the list of common passwords")
    assert [u["username"] for u in call(site, "GET", "/users")].count("nina") == 0

    page.fill("#edit-password", NEW_PASSWORD)
    page.keyboard.press("Enter")
    first_token = take_secret(page)
    expect(status).to_have_text("Created user nina")
    nina = page.locator("#users tr[data-key=nina]")
    expect(nina).to_contain_text("Nina Newcomer")
    expect(nina).to_contain_text("active")
    expect(page.locator("#tokens tbody tr")).to_have_count(1)
    offline.screenshot(shots / f"03-{size}-created.png", full_page=True)

    # The new user logs in, in a browser of her own.
    hers = open_page(site.base_url, viewport=SIZES[size])
    her_page, _ = log_in(hers, "nina", "/", NEW_PASSWORD)
    expect(her_page.locator("#whoami")).to_have_text("nina · supervisor")
    assert _me(site, first_token) == 200

    # Deactivated: her login and her token are refused.
    nina.locator("button[data-act=deactivate]").click()
    page.wait_for_selector("dialog#edit[open]")
    expect(page.locator("#edit-title")).to_contain_text("Deactivate nina?")
    offline.screenshot(shots / f"04-{size}-deactivate.png")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Deactivated nina")
    expect(nina).to_contain_text("deactivated")
    refused = _login(site, "nina", NEW_PASSWORD)
    assert refused.status_code == 401, refused.text
    assert _me(site, first_token) == 401
    expect(nina.locator("button[data-act=reactivate]")).to_be_visible()
    offline.screenshot(shots / f"05-{size}-deactivated.png", full_page=True)
    [row] = [u for u in call(site, "GET", "/users") if u["username"] == "nina"]
    assert row["active"] is False and row["role"] == "supervisor"
    assert offline.foreign_requests() == []


def test_a_machine_token_is_shown_once_and_a_revoked_one_is_refused(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    offline.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page, load_s = log_in(offline, "ada", "/settings/users")
    print(f"load /settings/users {load_s:.2f} s (phone)")
    page.click("#new-user")
    page.fill("#edit-username", "gw-7")
    page.select_option("#edit-kind", "machine")
    page.keyboard.press("Enter")
    first = take_secret(page)
    assert page.evaluate("navigator.clipboard.readText()") == first
    machine = page.locator("#users tr[data-key=gw-7]")
    expect(machine).to_contain_text("machine")
    expect(machine).to_contain_text("none: tokens only")

    page.click("#new-token")
    second = take_secret(page)
    assert second != first
    expect(page.locator("#users-status")).to_have_text("Made a new token for gw-7")
    rows = page.locator("#tokens tbody tr")
    expect(rows).to_have_count(2)
    assert _me(site, first) == 200 and _me(site, second) == 200
    offline.screenshot(shots / "01-tokens.png", full_page=True)

    [second_id] = [t["id"] for t in call(site, "GET", "/users/gw-7/tokens")
                   if t["id"] != min(t["id"] for t in call(site, "GET", "/users/gw-7/tokens"))]
    revoked = page.locator(f"#tokens tr[data-key='{second_id}']")
    revoked.locator("button[data-act=revoke]").click()
    page.wait_for_selector("dialog#edit[open]")
    page.keyboard.press("Enter")
    expect(page.locator("#users-status")).to_have_text(f"Revoked token {second_id} of gw-7")
    expect(revoked).to_contain_text("revoked")
    expect(revoked.locator("button")).to_have_count(0)
    assert _me(site, second) == 401
    assert _me(site, first) == 200  # the other token stays good
    offline.screenshot(shots / "02-revoked.png", full_page=True)
    [audit] = call(site, "GET", "/audit", entity="token", key=f"gw-7:{second_id}",
                    action="revoke")
    assert audit["actor"] == "ada"
    assert offline.foreign_requests() == []


@pytest.mark.parametrize("username", ["sue", "otto"])
def test_non_admins_are_offered_no_user_management(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, username: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page, _ = log_in(offline, username, "/settings/users")
    expect(page.locator("#who-edits")).to_contain_text("an admin manages users and tokens")
    expect(page.locator("#users tbody tr")).to_have_count(0)
    expect(page.locator("#new-user")).to_be_hidden()
    assert page.locator("button[data-act]").count() == 0
    expect(page.locator("nav.settings-nav a[href='/settings/users']")).to_have_count(0)
    expect(page.locator("nav.settings-nav a[href='/settings/alarms']")).to_have_count(
        0 if username == "otto" else 1)
    offline.screenshot(shots / f"read-only-{username}.png", full_page=True)


def test_an_admin_changes_a_role_sets_a_password_and_unlocks(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    for _ in range(5):  # wrong passwords in a row lock sue's account
        assert _login(site, "sue", "not-her-password").status_code == 401
    assert _login(site, "sue", PASSWORD).status_code == 429
    offline = open_page(site.base_url, viewport=SIZES["desktop"])
    page, _ = log_in(offline, "ada", "/settings/users")
    status = page.locator("#users-status")
    sue = page.locator("#users tr[data-key=sue]")
    expect(sue).to_contain_text("(wrong passwords)")
    sue.locator("button[data-act=unlock]").click()
    expect(status).to_have_text("Unlocked sue")
    expect(sue).not_to_contain_text("locked")
    assert _login(site, "sue", PASSWORD).status_code == 200

    otto = page.locator("#users tr[data-key=otto]")
    otto.locator("button[data-act=edit]").click()
    page.select_option("#edit-role", "supervisor")
    page.fill("#edit-full_name", "Otto Overseer")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Saved user otto")
    expect(otto).to_contain_text("Otto Overseer")
    expect(otto).to_contain_text("supervisor")

    otto.locator("button[data-act=password]").click()
    page.fill("#edit-password", "otto-the-warehouseman")
    page.keyboard.press("Enter")
    expect(page.locator("#edit-error")).to_have_text("the password must not contain the user name")
    page.fill("#edit-password", "frost-and-pallets-9")
    page.keyboard.press("Enter")
    expect(status).to_have_text("New password set for otto")
    assert _login(site, "otto", "frost-and-pallets-9").json()["role"] == "supervisor"
    offline.screenshot(shots / "changed.png", full_page=True)
