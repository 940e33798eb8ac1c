"""The gateways and their scanners on /settings/gateways, in real headless Chromium
against the hub over HTTP, at desktop and phone size: an admin registers a scanner for
a gateway the hub has not heard from yet (so the gateway is registered with it: it is
listed from then on), then changes which user its scans book as and its modes; a form
without a mode is refused in plain words and nothing changes. A supervisor reads the
gateways and is offered no registration (the scanners API is admin-only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.settings_support import SIZES, add_people, call, fits_the_width, log_in, token_of
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PAGE = "/settings/gateways"


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    """A zone with a bin, and three people."""
    call(hub_http, "POST", "/zones", {"code": "DOCK", "name": "goods in"})
    call(hub_http, "POST", "/locations", {"code": "D-01", "zone": "DOCK"})
    add_people(hub_http)
    return hub_http


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_registers_a_gateway_scanner_and_changes_it(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    page, load_s = log_in(offline, "ada", PAGE)
    print(f"load {PAGE} {load_s:.2f} s ({size})")
    expect(page.locator("#scanners tbody")).to_contain_text("No scanners yet.")
    assert fits_the_width(page)
    offline.screenshot(shots / f"01-{size}-empty.png", full_page=True)
    status = page.locator("#md-status")

    # A scanner of a gateway not heard from yet: booking as Otto at the dock's bin.
    page.click("#new-scanner")
    page.fill("#edit-gateway", "gw-dock")
    page.fill("#edit-scanner", "wedge-1")
    page.select_option("#edit-operator", "otto")
    page.select_option("#edit-location", "D-01")
    page.uncheck("#edit-mode_identify")
    offline.screenshot(shots / f"02-{size}-register-form.png")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Registered scanner wedge-1 of gateway gw-dock")
    gateway = page.locator("#gateways tr[data-key=gw-dock]")
    expect(gateway).to_contain_text("not heard from yet")
    scanner = page.locator("#scanners tr[data-key='gw-dock/wedge-1']")
    expect(scanner).to_contain_text("otto")
    expect(scanner).to_contain_text("D-01")
    expect(scanner).not_to_contain_text("identify")
    offline.screenshot(shots / f"03-{size}-registered.png", full_page=True)

    # No mode allowed: refused in plain words, the registration as it was.
    scanner.locator("button.edit").click()
    for mode in ("receive", "dispatch", "transfer", "count", "return"):
        page.uncheck(f"#edit-mode_{mode}")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Scanner wedge-1 not saved: allow at least one mode.")
    expect(status).to_have_attribute("data-tone", "error")

    # Escape cancels; then it books as Sue, receiving only.
    scanner.locator("button.edit").click()
    page.select_option("#edit-operator", "sue")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    expect(scanner).to_contain_text("otto")
    scanner.locator("button.edit").click()
    page.select_option("#edit-operator", "sue")
    for mode in ("dispatch", "transfer", "count", "return"):
        page.uncheck(f"#edit-mode_{mode}")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Saved scanner wedge-1 of gateway gw-dock")
    expect(scanner).to_contain_text("sue")
    offline.screenshot(shots / f"04-{size}-changed.png", full_page=True)

    # A second scanner from the gateway's own row.
    gateway.locator("button.add-scanner").click()
    expect(page.locator("#edit-gateway")).to_have_value("gw-dock")
    page.fill("#edit-scanner", "wedge-2")
    page.select_option("#edit-operator", "otto")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Registered scanner wedge-2 of gateway gw-dock")

    [first, second] = call(site, "GET", "/gateways/gw-dock/scanners")
    assert (first["scanner"], first["operator"], first["modes"], first["location"]) == (
        "wedge-1", "sue", ["receive"], "D-01")
    assert (second["scanner"], second["location"]) == ("wedge-2", None)
    assert len(second["modes"]) == 6

    # Unregistered: asked first (Enter rests on Cancel), then gone from the list.
    wedge2 = page.locator("#scanners tr[data-key='gw-dock/wedge-2']")
    wedge2.locator("button.unregister").click()
    expect(page.locator("#edit-title")).to_have_text(
        "Unregister scanner wedge-2 of gw-dock? Its scans are refused from then on.")
    page.keyboard.press("Enter")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    expect(wedge2).to_be_visible()
    wedge2.locator("button.unregister").click()
    page.click("#edit-ok")
    expect(status).to_have_text("Unregistered scanner wedge-2 of gateway gw-dock")
    expect(wedge2).to_have_count(0)
    assert [s["scanner"] for s in call(site, "GET", "/gateways/gw-dock/scanners")] == ["wedge-1"]
    assert offline.foreign_requests() == []


@pytest.mark.parametrize("username", ["sue", "otto"])
def test_a_supervisor_or_an_operator_reads_the_gateways_and_registers_nothing(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, username: str,
) -> None:
    call(site, "PUT", "/gateways/gw-dock/scanners/wedge-1",
         {"operator": "otto", "modes": ["receive"], "location": "D-01"})
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page, load_s = log_in(offline, username, PAGE)
    print(f"load {PAGE} {load_s:.2f} s ({username})")
    expect(page.locator("#gateways tr[data-key=gw-dock]")).to_be_visible()
    expect(page.locator("#scanners tr[data-key='gw-dock/wedge-1']")).to_contain_text("otto")
    expect(page.locator("#who-edits")).to_contain_text("an admin registers scanners")
    assert page.locator("button.edit, button.add-scanner, button.unregister").count() == 0
    expect(page.locator("#new-scanner")).to_be_hidden()
    expect(page.locator("nav.pages a[href='/settings/zones']")).to_have_count(
        0 if username == "otto" else 1)
    offline.screenshot(shots / f"read-only-{username}.png", full_page=True)
    refused = httpx.put(site.url("/api/v1/gateways/gw-dock/scanners/wedge-9"),
                        json={"operator": username, "modes": ["receive"]},
                        headers={"Authorization": f"Bearer {token_of(page)}"}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "role_required"
    assert offline.foreign_requests() == []
