"""The storage conditions' master data on /settings/zones, in real headless Chromium
against the hub over HTTP, at desktop and phone size: an admin (the API's writes on
storage classes, zones and sensors are admin-only) raises a storage class's upper limit
and a zone's excursion tolerance with a reason and her signature, Enter saving and
Escape cancelling; a wrong signature password is refused in plain words and nothing
changes; a sensor is assigned to the zone with a reason; the audit trail has each change
with its reason. A supervisor and an operator read the page and are offered no change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.settings_support import PASSWORD, SIZES, call, log_in, sign
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    """A cold room of class 2-8C, a sensor not yet in a zone, and three people."""
    for path, body in (
        ("/storage-classes", {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2,
                              "temp_max_c": 8, "excursion_tolerance_s": 1800}),
        ("/zones", {"code": "COLD", "name": "cold room", "storage_class": "2-8C"}),
        ("/sensors", {"id": "cold-1", "name": "probe", "gateway": "gw-1"}),
        ("/users", {"username": "ada", "role": "admin", "password": PASSWORD,
                    "full_name": "Ada Admin"}),
        ("/users", {"username": "sue", "role": "supervisor", "password": PASSWORD,
                    "full_name": "Sue Supervisor"}),
        ("/users", {"username": "otto", "role": "operator", "password": PASSWORD,
                    "full_name": "Otto Operator"}),
    ):
        call(hub_http, "POST", path, body)
    return hub_http


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_changes_a_limit_and_a_tolerance_with_reason_and_signature(
    site: HubServer, open_page: Callable[..., OfflinePage], tmp_path: Path, size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    page, load_s = log_in(offline, "ada", "/settings/zones")
    print(f"/settings/zones ready {load_s * 1000:.0f} ms after the login ({size})")
    cls = page.locator("#classes tr[data-key='2-8C']")
    zone = page.locator("#zones tr[data-key=COLD]")
    expect(cls).to_contain_text("2 to 8 °C")
    expect(zone).to_contain_text("30 min (class's)")
    offline.screenshot(tmp_path / size / "01-list.png", full_page=True)

    # A wrong signature password: refused in plain words, nothing changes.
    cls.locator("button.edit").click()
    page.fill("#edit-temp_max_c", "9")
    offline.screenshot(tmp_path / size / "02-edit-form.png")
    page.keyboard.press("Enter")  # Enter saves the form, then the signature is asked
    page.wait_for_selector("dialog#sign[open]")
    offline.screenshot(tmp_path / size / "03-sign.png")
    sign(page, "new stability data allows 9 °C", password="not-her-password")
    status = page.locator("#md-status")
    expect(status).to_contain_text("Storage class 2-8C not saved: wrong password for ada")
    expect(status).to_have_attribute("data-tone", "error")
    expect(cls).to_contain_text("2 to 8 °C")
    assert call(site, "GET", "/storage-classes/2-8C")["temp_max_c"] == 8
    offline.screenshot(tmp_path / size / "04-wrong-password.png")

    # The upper limit, signed: the class's row and its zone's limits show it.
    cls.locator("button.edit").click()
    page.fill("#edit-temp_max_c", "9")
    page.keyboard.press("Enter")
    sign(page, "new stability data allows 9 °C")
    expect(status).to_have_text("Saved storage class 2-8C")
    expect(cls).to_contain_text("2 to 9 °C")
    expect(zone).to_contain_text("2 to 9 °C")

    # Escape cancels the form: nothing sent, nothing changed.
    zone.locator("button.edit").click()
    page.fill("#edit-tolerance_min", "5")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    expect(zone).to_contain_text("30 min (class's)")

    # The zone's own tolerance, signed.
    zone.locator("button.edit").click()
    page.fill("#edit-tolerance_min", "45")
    page.keyboard.press("Enter")
    sign(page, "door opened often: 45 min validated")
    expect(status).to_have_text("Saved zone COLD")
    expect(zone).to_contain_text("45 min (zone's own)")
    offline.screenshot(tmp_path / size / "05-saved.png", full_page=True)

    # A sensor into the zone: the site asks a reason for it (sensor_zone), no signature.
    sensor = page.locator("#sensors tr[data-key=cold-1]")
    expect(sensor).to_contain_text("unassigned")
    sensor.locator("button.edit").click()
    page.fill("#edit-name", "cold room, door side")
    page.select_option("#edit-zone", "COLD")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog#ask[open]")
    page.fill("#ask-text", "installed in the cold room")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Saved sensor cold-1")
    expect(sensor).to_contain_text("cold room, door side")
    expect(sensor).to_contain_text("COLD")
    offline.screenshot(tmp_path / size / "06-sensor.png", full_page=True)

    assert call(site, "GET", "/zones/COLD")["excursion_tolerance_s"] == 45 * 60
    [changed] = call(site, "GET", "/audit", entity="storage_class", key="2-8C", action="update")
    assert changed["actor"] == "ada" and changed["reason"] == "new stability data allows 9 °C"
    assert (changed["before"]["temp_max_c"], changed["after"]["temp_max_c"]) == (8, 9)
    [changed] = call(site, "GET", "/audit", entity="zone", key="COLD", action="update")
    assert changed["reason"] == "door opened often: 45 min validated"
    assert changed["after"]["excursion_tolerance_s"] == 2700
    [moved] = call(site, "GET", "/audit", entity="sensor", key="cold-1", action="update")
    assert moved["reason"] == "installed in the cold room" and moved["after"]["zone"] == "COLD"
    assert offline.foreign_requests() == []


@pytest.mark.parametrize("username", ["otto", "sue"])
def test_an_operator_or_a_supervisor_reads_the_page_and_changes_nothing(
    site: HubServer, open_page: Callable[..., OfflinePage], tmp_path: Path, username: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page, _ = log_in(offline, username, "/settings/zones")
    expect(page.locator("#zones tr[data-key=COLD]")).to_contain_text("2 to 8 °C")
    expect(page.locator("#who-edits")).to_contain_text("an admin changes it")
    assert page.locator("button.edit").count() == 0
    expect(page.locator("#new-class")).to_be_hidden()
    expect(page.locator("#new-zone")).to_be_hidden()
    # An operator is not offered the link (the page opens by its address all the same).
    expect(page.locator("nav.pages a[href='/settings/zones']")).to_have_count(
        0 if username == "otto" else 1)
    offline.screenshot(tmp_path / f"read-only-{username}.png", full_page=True)
    # The page offers what the API allows: its token cannot change the zone either.
    token = page.evaluate("JSON.parse(localStorage.getItem('stockwarden.session')).token")
    refused = httpx.patch(site.url("/api/v1/zones/COLD"), json={"excursion_tolerance_s": 60},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "role_required"
    assert call(site, "GET", "/zones/COLD")["excursion_tolerance_s"] is None
    assert offline.foreign_requests() == []


def test_an_admin_creates_a_storage_class_and_a_zone_of_it(
    site: HubServer, open_page: Callable[..., OfflinePage], tmp_path: Path,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["desktop"])
    page, _ = log_in(offline, "ada", "/settings/zones")
    page.click("#new-class")
    page.fill("#edit-code", "15-25C")
    page.fill("#edit-name", "room temperature")
    page.fill("#edit-temp_min_c", "15")
    page.fill("#edit-temp_max_c", "25")
    page.keyboard.press("Enter")  # a creation asks no signature (the API ignores one)
    status = page.locator("#md-status")
    expect(status).to_have_text("Created storage class 15-25C")
    expect(page.locator("#classes tr[data-key='15-25C']")).to_contain_text("15 to 25 °C")

    page.click("#new-zone")
    page.fill("#edit-code", "AMB")
    page.fill("#edit-name", "ambient store")
    page.select_option("#edit-storage_class", "15-25C")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Created zone AMB")
    amb = page.locator("#zones tr[data-key=AMB]")
    expect(amb).to_contain_text("15 to 25 °C")
    expect(amb).to_contain_text("the alarm rules' default")

    # A code the API refuses: its words on the page, nothing created.
    page.click("#new-zone")
    page.fill("#edit-code", "AMB")
    page.fill("#edit-name", "again")
    page.keyboard.press("Enter")
    expect(status).to_contain_text("Zone AMB not saved: ")
    expect(status).to_have_attribute("data-tone", "error")
    expect(page.locator("#zones tr[data-key=AMB]")).to_contain_text("ambient store")
    offline.screenshot(tmp_path / "created.png", full_page=True)
    assert [z["code"] for z in call(site, "GET", "/zones")] == ["AMB", "COLD"]
    assert offline.foreign_requests() == []
