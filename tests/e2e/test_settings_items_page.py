"""The items on /settings/items, in real headless Chromium against the hub over HTTP, at
desktop and phone size: an admin finds an item by search, creates one and edits its
reorder level and picking policy (Enter saves, Escape cancels, the reason goes to the
audit trail); a GTIN with a wrong check digit and a GTIN another item has are refused in
plain words and nothing changes. A supervisor and an operator read the page and are
offered no change (the API's item writes are admin-only); the operator gets no link."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.settings_support import SIZES, add_people, call, fits_the_width, log_in, token_of
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PAGE = "/settings/items"


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    """A storage class, one item with a GTIN, and three people."""
    call(hub_http, "POST", "/storage-classes", {"code": "2-8C", "name": "refrigerated",
                                                 "temp_min_c": 2, "temp_max_c": 8})
    call(hub_http, "POST", "/items", {"sku": "VAC-1", "name": "flu vaccine",
                                      "gtin": "4006381333931", "storage_class": "2-8C"})
    add_people(hub_http)
    return hub_http


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_creates_and_edits_an_item_and_a_wrong_gtin_changes_nothing(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    page, load_s = log_in(offline, "ada", PAGE)
    print(f"load {PAGE} {load_s:.2f} s ({size})")
    vac = page.locator("#items tr[data-key=VAC-1]")
    expect(vac).to_contain_text("4006381333931")
    expect(vac).to_contain_text("FEFO")
    expect(page.locator("nav.pages a[href='/settings/zones']")).to_have_text("Settings")
    expect(page.locator("nav.settings-nav a[aria-current=page]")).to_have_text("Items")
    assert fits_the_width(page)
    offline.screenshot(shots / f"01-{size}-list.png", full_page=True)
    status = page.locator("#md-status")

    # A GTIN with a wrong check digit: said in plain words before anything is sent.
    page.click("#new-item")
    page.fill("#edit-sku", "SYR-5")
    page.fill("#edit-name", "syringe 5 ml")
    page.fill("#edit-gtin", "4006381333932")
    offline.screenshot(shots / f"02-{size}-new-form.png")
    page.keyboard.press("Enter")
    # The form stays, with what was typed and what is wrong with it.
    expect(page.locator("#edit-error")).to_have_text(
        "GTIN 4006381333932 has a wrong check digit: its last digit should be 1, not 2. "
        "Check for a mistyped digit.")
    expect(page.locator("#edit-name")).to_have_value("syringe 5 ml")
    offline.screenshot(shots / f"03-{size}-check-digit.png")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    assert [i["sku"] for i in call(site, "GET", "/items")] == ["VAC-1"]

    # Created with a good GTIN (EAN-13), FIFO and a reorder level.
    page.click("#new-item")
    page.fill("#edit-sku", "SYR-5")
    page.fill("#edit-name", "syringe 5 ml")
    page.fill("#edit-gtin", "5901234123457")
    page.fill("#edit-unit", "box")
    page.select_option("#edit-policy", "fifo")
    page.fill("#edit-min_stock", "20")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Created item SYR-5")
    syr = page.locator("#items tr[data-key=SYR-5]")
    expect(syr).to_contain_text("5901234123457")
    expect(syr).to_contain_text("FIFO")
    expect(syr).to_contain_text("below 20")

    # The search finds by name, SKU or GTIN digits.
    page.fill("#item-search", "vaccine")
    expect(page.locator("#items tbody tr")).to_have_count(1)
    page.fill("#item-search", "590123")
    expect(page.locator("#items tbody tr")).to_have_count(1)
    expect(page.locator("#item-count")).to_have_text("1 of 2 items")
    page.fill("#item-search", "")
    page.select_option("#item-class", "2-8C")
    expect(page.locator("#items tbody tr")).to_have_count(1)
    page.select_option("#item-class", "")

    # A GTIN another item has: the hub refuses it, the page says so, nothing changes.
    syr.locator("button.edit").click()
    page.fill("#edit-gtin", "4006381333931")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Item SYR-5 not saved: Another item already has GTIN "
                                "4006381333931: a GTIN belongs to one item only.")
    expect(syr).to_contain_text("5901234123457")
    assert call(site, "GET", "/items/SYR-5")["gtin"] == "05901234123457"
    offline.screenshot(shots / f"04-{size}-duplicate-gtin.png", full_page=True)

    # Escape cancels: nothing sent.
    vac.locator("button.edit").click()
    page.fill("#edit-min_stock", "99")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    expect(vac).not_to_contain_text("below 99")

    # The reorder level and picking, with a reason for the audit trail.
    vac.locator("button.edit").click()
    page.fill("#edit-min_stock", "50")
    page.fill("#edit-max_stock", "500")
    page.select_option("#edit-policy", "fifo")
    page.fill("#edit-reason", "new supply contract")
    offline.screenshot(shots / f"05-{size}-edit-form.png")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Saved item VAC-1")
    expect(vac).to_contain_text("below 50, above 500")
    expect(vac).to_contain_text("FIFO")
    offline.screenshot(shots / f"06-{size}-saved.png", full_page=True)
    saved = call(site, "GET", "/items/VAC-1")
    assert (saved["min_stock"], saved["max_stock"], saved["policy"]) == (50, 500, "fifo")
    [changed] = call(site, "GET", "/audit", entity="item", key="VAC-1", action="update")
    assert changed["actor"] == "ada" and changed["reason"] == "new supply contract"
    assert offline.foreign_requests() == []


@pytest.mark.parametrize("username", ["otto", "sue"])
def test_a_supervisor_or_an_operator_reads_the_items_and_changes_nothing(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, username: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page, load_s = log_in(offline, username, PAGE)
    print(f"load {PAGE} {load_s:.2f} s ({username})")
    expect(page.locator("#items tr[data-key=VAC-1]")).to_contain_text("flu vaccine")
    expect(page.locator("#who-edits")).to_contain_text("an admin changes it")
    assert page.locator("button.edit").count() == 0
    expect(page.locator("#new-item")).to_be_hidden()
    # An operator is not offered the settings (the page opens by its address all the same).
    expect(page.locator("nav.pages a[href='/settings/zones']")).to_have_count(
        0 if username == "otto" else 1)
    offline.screenshot(shots / f"read-only-{username}.png", full_page=True)
    refused = httpx.patch(site.url("/api/v1/items/VAC-1"), json={"min_stock": 5},
                          headers={"Authorization": f"Bearer {token_of(page)}"}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "role_required"
    assert offline.foreign_requests() == []


def test_the_pages_gtin_check_agrees_with_gs1(
    hub_http: HubServer, open_page: Callable[..., OfflinePage],
) -> None:
    """gtin.js, run in the browser: every length GS1 allows, and each kind of mistake in
    words (the hub's own check, biip, takes the same GTINs)."""
    offline = open_page(hub_http.base_url)
    offline.goto("/login")
    found = offline.page.evaluate("""async () => {
        const m = await import('/static/web/gtin.js');
        return ['96385074', '036000291452', '5901234123457', '10012345678902',
                '5901234123458', '12345', '59012341234x'].map((g) => m.gtinProblem(g));
    }""")
    assert found[:4] == [None, None, None, None]
    assert found[4:] == [
        "GTIN 5901234123458 has a wrong check digit: its last digit should be 7, not 8. "
        "Check for a mistyped digit.",
        "A GTIN has 8, 12, 13 or 14 digits; 12345 has 5.",
        "A GTIN is digits only; “59012341234x” is not.",
    ]
