"""The bins on /settings/locations, in real headless Chromium against the hub over HTTP,
at desktop and phone size: listed by zone; an admin creates a bin and edits another (the
reason goes to the audit trail), a code taken is refused and nothing changes; the bins
ticked, or all of a zone's, come as a label sheet: a PDF download that names each bin
and its barcode's data. A supervisor reads and prints labels but is offered no change
(the API's location writes are admin-only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.settings_support import SIZES, add_people, call, fits_the_width, log_in
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PAGE = "/settings/locations"


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    """Two zones with a bin each, and three people."""
    for path, body in (
        ("/zones", {"code": "COLD", "name": "cold room"}),
        ("/zones", {"code": "AMB", "name": "ambient store"}),
        ("/locations", {"code": "A-01", "zone": "COLD", "name": "rack A"}),
        ("/locations", {"code": "B-01", "zone": "AMB"}),
    ):
        call(hub_http, "POST", path, body)
    add_people(hub_http)
    return hub_http


def pdf_text(path: Path) -> str:
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 is in the dev extras")
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(path))


def download_sheet(page: Page, click: Callable[[], None], folder: Path) -> tuple[str, str]:
    """The label sheet a click downloads: its file name and its text."""
    with page.expect_download() as started:
        click()
    download = started.value
    saved = folder / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    return download.suggested_filename, pdf_text(saved)


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_creates_a_bin_and_downloads_its_label_sheet(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, tmp_path: Path,
    size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    page, load_s = log_in(offline, "ada", PAGE)
    print(f"load {PAGE} {load_s:.2f} s ({size})")
    cold = page.locator("section.zone-group[data-zone=COLD]")
    expect(cold.locator("tr[data-key=A-01]")).to_contain_text("rack A")
    expect(page.locator("section.zone-group[data-zone=AMB] tr[data-key=B-01]")).to_be_visible()
    assert fits_the_width(page)
    offline.screenshot(shots / f"01-{size}-list.png", full_page=True)
    status = page.locator("#md-status")

    # A new bin in the cold room.
    page.click("#new-location")
    page.fill("#edit-code", "C-02-03")
    page.fill("#edit-name", "shelf 2, level 3")
    page.select_option("#edit-zone", "COLD")
    offline.screenshot(shots / f"02-{size}-new-form.png")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Created location C-02-03")
    expect(cold.locator("tr[data-key=C-02-03]")).to_contain_text("shelf 2, level 3")

    # A code taken: refused in plain words, the bin as it was.
    page.click("#new-location")
    page.fill("#edit-code", "A-01")
    page.select_option("#edit-zone", "AMB")
    page.keyboard.press("Enter")
    expect(status).to_have_text(
        "Location A-01 not saved: a location with this code exists already.")
    expect(status).to_have_attribute("data-tone", "error")
    assert call(site, "GET", "/locations/A-01")["zone"] == "COLD"

    # Escape cancels; then B-01 gets a name, with a reason.
    amb = page.locator("section.zone-group[data-zone=AMB]")
    amb.locator("tr[data-key=B-01] button.edit").click()
    page.fill("#edit-name", "not this")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    amb.locator("tr[data-key=B-01] button.edit").click()
    page.fill("#edit-name", "pallet place")
    page.fill("#edit-reason", "labelled on site")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Saved location B-01")
    expect(amb.locator("tr[data-key=B-01]")).to_contain_text("pallet place")
    [changed] = call(site, "GET", "/audit", entity="location", key="B-01", action="update")
    assert changed["reason"] == "labelled on site" and changed["after"]["name"] == "pallet place"

    # The new bin's label sheet: a PDF that names it and carries its barcode's data.
    expect(page.locator("#print-labels")).to_be_disabled()
    cold.locator("tr[data-key=C-02-03] input.pick").check()
    expect(page.locator("#label-count")).to_have_text("Bins chosen for labels: 1")
    offline.screenshot(shots / f"03-{size}-chosen.png", full_page=True)
    name, text = download_sheet(page, lambda: page.click("#print-labels"), tmp_path)
    assert name == "labels-C-02-03.pdf"
    assert "C-02-03" in text and "LOC:C-02-03" in text and "A-01" not in text
    expect(status).to_have_text("Label sheet ready: labels-C-02-03.pdf")
    expect(page.locator("#label-link")).to_be_visible()
    offline.screenshot(shots / f"04-{size}-sheet-ready.png", full_page=True)

    # All of a zone's bins at once.
    name, text = download_sheet(page, lambda: cold.locator("button.zone-labels").click(), tmp_path)
    assert name == "labels-COLD.pdf"
    assert "LOC:A-01" in text and "LOC:C-02-03" in text and "B-01" not in text
    assert offline.foreign_requests() == []


def test_a_bin_out_of_use_gets_no_label_and_the_zone_filter_shows_one_zone(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["desktop"])
    page, _ = log_in(offline, "ada", PAGE)
    page.locator("tr[data-key=B-01] button.edit").click()
    page.uncheck("#edit-active")
    page.keyboard.press("Enter")
    expect(page.locator("#md-status")).to_have_text("Saved location B-01")
    b01 = page.locator("tr[data-key=B-01]")
    expect(b01).to_contain_text("no (no labels, no stock)")
    expect(b01.locator("input.pick")).to_be_disabled()
    page.select_option("#location-zone", "COLD")
    expect(page.locator("section.zone-group")).to_have_count(1)
    page.click("#choose-shown")
    expect(page.locator("#label-count")).to_have_text("Bins chosen for labels: 1")
    offline.screenshot(shots / "filtered.png", full_page=True)
    assert call(site, "GET", "/locations/B-01")["active"] is False


def test_a_supervisor_prints_labels_but_changes_no_bin(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, tmp_path: Path,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page, load_s = log_in(offline, "sue", PAGE)
    print(f"load {PAGE} {load_s:.2f} s (supervisor)")
    expect(page.locator("tr[data-key=A-01]")).to_contain_text("rack A")
    assert page.locator("button.edit").count() == 0
    expect(page.locator("#new-location")).to_be_hidden()
    expect(page.locator("#who-edits")).to_contain_text("an admin changes the bins")
    page.locator("tr[data-key=A-01] input.pick").check()
    name, text = download_sheet(page, lambda: page.click("#print-labels"), tmp_path)
    assert name == "labels-A-01.pdf" and "LOC:A-01" in text
    offline.screenshot(shots / "supervisor.png", full_page=True)
    assert offline.foreign_requests() == []
