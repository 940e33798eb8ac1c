"""The recall from the desk, in real headless Chromium against a hub over HTTP: on the
handheld (phone size) an operator dispatches one lot on two orders to two consignees,
one chosen from the list, the other scanned as its GLN barcode (AI 410, typed as a
keyboard-wedge scanner types it); on /reports (desktop and phone) the lot trace lists
both consignees with their units, dates and orders, and its CSV and PDF say the same.
Also the consignees' page: a supervisor adds one (a wrong GLN is named before anything
is sent), an operator reads the list and is offered no change."""

from __future__ import annotations

import csv
import io
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import OfflinePage, type_as_a_scanner
from tests.support.hub_server import HubServer

X = "\N{MULTIPLICATION SIGN}"
PASSWORD = "recall-desk-password-1"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 850}}
ACME_GLN, NORTH_GLN = "4012345000009", "9506000134352"
# GS1 DataMatrix of VAC-1 (GTIN 04006381333931), expiry 2029-12-31, lot ABC123.
ABC123 = "]d2010400638133393117291200" + "10ABC123"
# GS1-128 (symbology identifier ]C1) with the ship-to GLN (AI 410) of North site.
NORTH_LABEL = "]C1410" + NORTH_GLN


class Api:
    def __init__(self, server: HubServer) -> None:
        self.client = httpx.Client(base_url=server.base_url, headers=server.admin_headers,
                                   timeout=20)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.client.post(f"/api/v1{path}", json=body,
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code < 300, answer.text
        return answer.json()

    def get(self, path: str, **params: Any) -> httpx.Response:
        # params only when given: httpx replaces a link's own query with them.
        answer = self.client.get(path if path.startswith("/api") else f"/api/v1{path}",
                                 params=params or None)
        assert answer.status_code == 200, answer.text
        return answer


@pytest.fixture
def api(hub_http: HubServer) -> Api:
    api = Api(hub_http)
    api.post("/storage-classes", {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2,
                                  "temp_max_c": 8})
    api.post("/zones", {"code": "FRIDGE", "name": "cold room", "storage_class": "2-8C"})
    api.post("/locations", {"code": "F-01", "zone": "FRIDGE"})
    api.post("/items", {"sku": "VAC-1", "gtin": "04006381333931", "name": "vaccine",
                        "storage_class": "2-8C"})
    api.post("/consignees", {"code": "ACME", "name": "Acme Pharmacy", "gln": ACME_GLN})
    api.post("/consignees", {"code": "NORTH", "name": "North site", "kind": "site",
                             "gln": NORTH_GLN})
    for username, role in (("picker", "operator"), ("sue", "supervisor")):
        api.post("/users", {"username": username, "role": role, "password": PASSWORD,
                            "full_name": username.title()})
    api.post("/moves/receive", {"item": "VAC-1", "lot_number": "ABC123",
                                "expiry": "2029-12-31", "quantity": 20, "location": "F-01"})
    return api


def log_in(offline: OfflinePage, path: str, username: str) -> tuple[Page, float]:
    """Logged in as `username` on `path`; the page's load time after the login, s."""
    offline.goto(path)
    page = offline.page
    expect(page).to_have_url(f"{offline.origin}/login?next={path.replace('/', '%2F')}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    started = time.monotonic()
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    return page, time.monotonic() - started


def wait_for_scan_focus(page: Page) -> None:
    deadline = time.monotonic() + 3
    while not page.evaluate("() => document.activeElement.id === 'scan'"):
        assert time.monotonic() < deadline, "the scan input never got the focus back"
        page.wait_for_timeout(50)


def said(page: Page, tone: str, text: str) -> None:
    expect(page.locator("#feedback")).to_have_attribute("data-tone", tone)
    expect(page.locator("#feedback")).to_contain_text(text)


def dispatch_two_orders(offline: OfflinePage, shots: Path) -> None:
    page, seconds = log_in(offline, "/handheld", "picker")
    print(f"load /handheld {seconds:.2f} s")
    page.tap("[data-mode=dispatch]")
    # Order SO-1 to Acme, chosen from the list (the datalist offers the active ones).
    page.fill("#pick-ref", "SO-1")
    page.press("#pick-ref", "Tab")
    assert page.locator("#consignee-list option").evaluate_all(
        "options => options.map(o => o.value)") == ["ACME", "NORTH"]
    page.fill("#pick-consignee", "ACME")
    page.press("#pick-consignee", "Enter")
    expect(page.locator("#consignee-hint")).to_contain_text("Acme Pharmacy (ACME)")
    page.tap("#qty")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    wait_for_scan_focus(page)
    type_as_a_scanner(page, ABC123)
    said(page, "ok", f"Dispatched VAC-1: 3 {X} lot ABC123 from F-01")
    page.screenshot(path=shots / "01-handheld-dispatch-to-acme.png", full_page=True)

    # Order SO-2: the consignee of SO-1 is not kept; North's GLN barcode is scanned.
    page.fill("#pick-ref", "SO-2")
    page.press("#pick-ref", "Tab")
    expect(page.locator("#pick-consignee")).to_have_value("")
    page.tap("#feedback")
    wait_for_scan_focus(page)
    type_as_a_scanner(page, NORTH_LABEL)
    said(page, "ok", "Consignee North site")
    expect(page.locator("#pick-consignee")).to_have_value("NORTH")
    page.screenshot(path=shots / "02-handheld-gln-scanned.png", full_page=True)
    page.tap("#qty")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    wait_for_scan_focus(page)
    type_as_a_scanner(page, ABC123)
    said(page, "ok", f"Dispatched VAC-1: 2 {X} lot ABC123 from F-01")
    # Remembered for the rest of the order: another pick of SO-2 goes to North too (the
    # next box, a moment later: the same label within 100 ms would be a double read).
    page.wait_for_timeout(400)
    wait_for_scan_focus(page)
    type_as_a_scanner(page, ABC123)
    said(page, "ok", f"Dispatched VAC-1: 1 {X} lot ABC123 from F-01")
    page.screenshot(path=shots / "03-handheld-second-order.png", full_page=True)


def test_a_lot_dispatched_to_two_consignees_is_traced_to_both_on_screen_csv_and_pdf(
    hub_http: HubServer, api: Api, open_page: Callable[..., OfflinePage], shots: Path,
    tmp_path: Path,
) -> None:
    dispatch_two_orders(open_page(hub_http.base_url, **PHONE), shots)
    moves = [m for m in api.get("/moves").json() if m["kind"] == "dispatch"]
    assert [(m["quantity"], m["reference"], m["consignee"], m["user"]) for m in moves] == [
        (3, "SO-1", "ACME", "picker"), (2, "SO-2", "NORTH", "picker"),
        (1, "SO-2", "NORTH", "picker")]
    day = moves[0]["at"][:10]

    for size, options in (("desktop", DESKTOP), ("phone", PHONE)):
        offline = open_page(hub_http.base_url, **options)
        page, seconds = log_in(offline, "/reports", "sue")
        print(f"load /reports ({size}) {seconds:.2f} s")
        page.select_option("#trace-lot", label="VAC-1 · lot ABC123")
        page.click("#trace-form button[type=submit]")
        totals = page.locator("#received-totals tbody tr")
        expect(totals).to_have_count(2)
        expect(totals.nth(0)).to_contain_text("ACME")
        expect(totals.nth(0)).to_contain_text("Acme Pharmacy")
        expect(totals.nth(0).locator("td").nth(3)).to_have_text("3")
        expect(totals.nth(0)).to_contain_text("SO-1")
        expect(totals.nth(1)).to_contain_text("North site")
        expect(totals.nth(1).locator("td").nth(3)).to_have_text("3")
        expect(totals.nth(1).locator("td").nth(4)).to_have_text("2")  # two dispatches
        expect(totals.nth(1)).to_contain_text(day)
        dispatches = page.locator("#received-dispatches tbody tr")
        expect(dispatches).to_have_count(3)
        expect(dispatches.nth(1)).to_contain_text("North site (NORTH)")
        expect(dispatches.nth(1)).to_contain_text("SO-2")
        expect(dispatches.nth(1)).to_contain_text(f"{day} ")
        page.locator("#trace-received").scroll_into_view_if_needed()
        page.screenshot(path=shots / f"04-reports-received-by-{size}.png", full_page=True)
        if size == "desktop":  # the recall across lots, and turnover with the ABC class
            page.fill("#recall-item", "VAC-1")
            page.click("#recall-form button[type=submit]")
            expect(page.locator("#recall-status")).to_have_text(
                "VAC-1: 6 unit(s) dispatched to 2 consignee(s)")
            expect(page.locator("#recall-totals tbody tr")).to_have_count(2)
            page.select_option("#turnover-basis", "volume")
            page.click("#turnover-form button[type=submit]")
            row = page.locator("#turnover-table tbody tr")
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(0)).to_have_text("A")
            expect(row.locator("td").nth(1)).to_have_text("VAC-1")
            expect(row.locator("td").nth(3)).to_have_text("6")
            expect(row.locator("td").nth(5)).to_have_text("14")
            expect(page.locator("#turnover-status")).to_contain_text("1 item(s): 1 A, 0 B, 0 C")
            turnover_csv = page.get_attribute("#turnover-csv", "href")
            turnover_pdf = page.get_attribute("#turnover-pdf", "href")
            recall_pdf = page.get_attribute("#recall-pdf", "href")
            page.locator("#turnover-table").scroll_into_view_if_needed()
            page.screenshot(path=shots / "05-reports-recall-and-turnover.png", full_page=True)
        csv_href = page.get_attribute("#trace-csv", "href")
        pdf_href = page.get_attribute("#trace-pdf", "href")
        assert csv_href and csv_href.endswith("format=csv")
        assert pdf_href and pdf_href.endswith("format=pdf")

    text = api.get(csv_href).text
    rows = list(csv.reader(io.StringIO(text)))
    start = rows.index(["# received by (per consignee)"])
    assert rows[start + 2][:5] == ["ACME", "Acme Pharmacy", ACME_GLN, "3", "1"]
    assert rows[start + 3][:5] == ["NORTH", "North site", NORTH_GLN, "3", "2"]
    assert rows[start + 3][7] == "SO-2" and rows[start + 3][5].startswith(day)
    start = rows.index(["# each dispatch"])
    assert [(r[2], r[5], r[6]) for r in rows[start + 2:start + 5]] == [
        ("ACME", "SO-1", "3"), ("NORTH", "SO-2", "2"), ("NORTH", "SO-2", "1")]

    turnover = list(csv.DictReader(io.StringIO(api.get(turnover_csv).text)))
    assert [(r["item"], r["dispatched"], r["closing_stock"], r["abc"], r["abc_basis"])
            for r in turnover] == [("VAC-1", "6", "14", "A", "volume")]

    # Beside each CSV link, its PDF: the same rows (tests/integration/test_table_report_pdfs.py).
    for href, title in ((turnover_pdf, "Turnover and ABC"),
                        (recall_pdf, "Recall: who received item VAC-1")):
        assert href and href.endswith("format=pdf")
        path = tmp_path / "table.pdf"
        path.write_bytes(api.get(href).content)
        printed = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                                 text=True, check=True).stdout
        assert title in printed and "VAC-1" in printed, printed

    pdf = tmp_path / "trace.pdf"
    pdf.write_bytes(api.get(pdf_href).content)
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Received by: units per consignee" in words
    lines = [line.split() for line in words.splitlines()]
    assert any(line[:2] == ["ACME", "Acme"] and "3" in line and "SO-1" in line
               for line in lines), words
    assert any(line[:3] == ["NORTH", "North", "site"] and NORTH_GLN in line and "SO-2" in line
               for line in lines), words
    assert words.count("SO-2") >= 3  # the total's orders, and each of its two dispatches


def test_a_supervisor_adds_a_consignee_and_an_operator_only_reads_the_list(
    hub_http: HubServer, api: Api, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    page, seconds = log_in(open_page(hub_http.base_url, **DESKTOP), "/settings/consignees",
                           "sue")
    print(f"load /settings/consignees {seconds:.2f} s")
    expect(page.locator("#consignees tbody tr")).to_have_count(2)
    page.click("#new-consignee")
    page.fill("#edit-code", "WEST")
    page.fill("#edit-name", "West Clinic")
    page.fill("#edit-gln", "4012345000008")  # a wrong check digit
    page.keyboard.press("Enter")
    expect(page.locator("#md-status")).to_contain_text("wrong check digit (expected 9)")
    expect(page.locator("dialog#edit")).to_be_visible()  # asked again, nothing sent
    page.fill("#edit-gln", "4000000000006")
    page.fill("#edit-address", "7 West Road")
    page.keyboard.press("Enter")
    expect(page.locator("#md-status")).to_have_text("Created consignee WEST")
    expect(page.locator("#consignees tbody tr[data-key=WEST]")).to_contain_text("7 West Road")
    page.screenshot(path=shots / "06-consignees-created.png", full_page=True)
    page.click("#consignees tr[data-key=ACME] button.edit")
    page.uncheck("#edit-active")
    page.keyboard.press("Enter")
    expect(page.locator("#md-status")).to_have_text("Saved consignee ACME")
    expect(page.locator("#consignees tbody tr[data-key=ACME]")).to_have_count(0)
    created = api.get("/consignees/WEST").json()
    assert (created["gln"], created["kind"], created["active"]) == ("4000000000006",
                                                                    "customer", True)
    assert api.get("/consignees/ACME").json()["active"] is False

    page, seconds = log_in(open_page(hub_http.base_url, **PHONE), "/settings/consignees",
                           "picker")
    print(f"load /settings/consignees (phone, operator) {seconds:.2f} s")
    expect(page.locator("#consignees tbody tr")).to_have_count(2)  # the active ones
    expect(page.locator("#new-consignee")).to_be_hidden()
    expect(page.locator("#consignees button.edit")).to_have_count(0)
    page.screenshot(path=shots / "07-consignees-operator-phone.png", full_page=True)
