"""An inspector's question, end to end in real headless Chromium: who changed the cold
room's upper limit, when, from what to what and why? The limit is changed with a
reason through the API; a supervisor finds the change on the /audit page (filtered,
old and new value side by side, the chain verified at the top), downloads the PDF
and the CSV from it, pages through a long trail, and sees the same change in the
zone report on /reports and in its PDF (read back through pdftotext). An operator
is not offered the page. The page asks nothing of any other origin."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.auth import signature
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PASSWORD = "supervisor-password-1"
REASON = "temperature mapping study TM-7"


def _call(client: httpx.Client, method: str, path: str, body: Any = None, **params: Any) -> Any:
    answer = client.request(method, f"/api/v1{path}", json=body, params=params,
                            headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code < 300, answer.text
    return answer.json()


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: ./run installs poppler-utils")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _log_in(page: OfflinePage, path: str, username: str) -> None:
    page.goto(path)
    expect(page.page).to_have_url(re.compile(r"/login\?next="))
    page.page.fill("#username", username)
    page.page.fill("#password", PASSWORD)
    page.page.click("button[type=submit]")
    page.page.wait_for_selector("body[data-ready=true]", timeout=20_000)


def _download(page: OfflinePage, selector: str, to: Path) -> Path:
    with page.page.expect_download() as info:
        page.page.click(selector)
    info.value.save_as(to)
    return to


def test_who_changed_the_upper_limit_answered_from_the_page_and_the_report(
    hub_http: HubServer, open_page: Callable[..., OfflinePage], tmp_path: Path, shots: Path,
) -> None:
    api = httpx.Client(base_url=hub_http.base_url, headers=hub_http.admin_headers, timeout=10)
    _call(api, "POST", "/storage-classes", {"code": "2-8C", "name": "refrigerated",
                                            "temp_min_c": 2, "temp_max_c": 8})
    _call(api, "POST", "/zones", {"code": "COLD", "name": "Cold room", "storage_class": "2-8C"})
    _call(api, "POST", "/sensors", {"id": "cold-t1", "name": "wall", "zone": "COLD"})
    _call(api, "POST", "/users", {"username": "sue", "role": "supervisor", "password": PASSWORD,
                                  "full_name": "Sue Supervisor"})
    _call(api, "POST", "/users", {"username": "olaf", "role": "operator", "password": PASSWORD,
                                  "full_name": "Olaf Operator"})
    admin = _call(api, "GET", "/auth/me")["username"]
    before = datetime.now(UTC)
    _call(api, "PATCH", "/storage-classes/2-8C", {"temp_max_c": 6,
                                                  "signature": signature("approved")},
          reason=REASON)
    # A long trail besides: more rows than one page holds.
    for n in range(105):
        _call(api, "PATCH", "/zones/COLD", {"name": f"Cold room {n}"})

    desk = open_page(hub_http.base_url, **DESKTOP)
    _log_in(desk, "/audit", "sue")
    started = time.monotonic()
    desk.goto("/audit")
    desk.page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    print(f"\n/audit (30 days of the trail and the chain's state shown): "
          f"{(time.monotonic() - started) * 1000:.0f} ms")
    page = desk.page
    expect(page.locator("#chain")).to_have_attribute("data-state", "ok")
    expect(page.locator("#chain-state")).to_contain_text("Chain verified")
    expect(page.locator("nav.pages a[href='/audit']")).to_have_attribute("aria-current", "page")

    # Paging: the first page is full, the next holds the rest.
    expect(page.locator("#audit-next")).to_be_enabled()
    expect(page.locator("#audit-table tbody.audit-row")).to_have_count(100)
    page.click("#audit-next")
    expect(page.locator("#audit-page")).to_contain_text("rows 101")
    expect(page.locator("#audit-prev")).to_be_enabled()
    expect(page.locator("#audit-table")).to_contain_text("Cold room 104")

    page.fill("#audit-entity", "storage_class")
    page.fill("#audit-key", "2-8C")
    page.fill("#audit-action", "update")
    page.click("#audit-form button[type=submit]")
    row = page.locator("#audit-table tbody.audit-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(admin)
    expect(row).to_contain_text(REASON)
    # The limit, then the change's electronic signature (kernel/signatures.py).
    expect(row.locator("td.field")).to_have_text(["temp_max_c", "signature"])
    expect(row.locator("td.old").first).to_have_text("8")
    expect(row.locator("td.new").first).to_have_text("6")  # the new value, marked
    at = row.locator("td.at").inner_text()
    assert before.strftime("%Y-%m-%d %H:") in at or before.strftime("%Y-%m-%d") in at, at
    expect(page).to_have_url(re.compile(r"/audit\?.*entity=storage_class"))
    desk.screenshot(shots / "01-audit-filtered.png", full_page=True)

    pdf_text = _pdf_text(_download(desk, "#audit-pdf", tmp_path / "audit.pdf"))
    assert re.search(r"temp_max_c\s+8\.0\s+6\.0", pdf_text), pdf_text
    assert REASON.split()[0] in pdf_text and admin in pdf_text and "verified" in pdf_text
    assert "Cold room 3" not in pdf_text  # the filters hold in the PDF
    csv_text = _download(desk, "#audit-csv", tmp_path / "audit.csv").read_text("utf-8")
    assert REASON in csv_text and "Cold room 3" not in csv_text

    desk.goto("/reports?zone=COLD")
    expect(page.locator("#zone-status")).to_have_attribute("data-tone", "ok", timeout=20_000)
    changes = page.locator("#zone-changes")
    expect(changes).to_contain_text(REASON)
    change = changes.locator("tbody.audit-row", has_text=REASON)
    expect(change.locator("td.old").first).to_have_text("8")
    expect(change.locator("td.new").first).to_have_text("6")
    desk.screenshot(shots / "02-zone-report-changes.png", full_page=True)
    report_text = _pdf_text(_download(desk, "#zone-pdf", tmp_path / "zone.pdf"))
    assert "Changes in the period" in report_text
    assert re.search(r"temp_max_c\s+8\.0\s+6\.0", report_text), report_text
    assert admin in report_text and "TM-7" in report_text
    assert desk.foreign_requests() == []

    floor = open_page(hub_http.base_url, **DESKTOP)
    _log_in(floor, "/audit", "olaf")
    expect(floor.page.locator("#audit-status")).to_contain_text("supervisors and admins")
    expect(floor.page.locator("nav.pages a[href='/audit']")).to_have_count(0)


def test_the_pages_show_each_changed_field_old_beside_new(
    hub_http: HubServer, open_page: Callable[..., OfflinePage],
) -> None:
    """changes.js, the layout /audit and /reports share: one line per field, a list
    narrowed to the entries that changed on each side, nothing for a side that lacks
    the field (a creation)."""
    page = open_page(hub_http.base_url)
    page.goto("/login")
    found = page.page.evaluate("""async () => {
        const m = await import('/static/web/changes.js');
        const kept = {zone: 'DRY', high_critical: 26};
        return [
          m.fieldChanges({before: {temp_max_c: 8, name: 'a'}, after: {temp_max_c: 6, name: 'b'}}),
          m.fieldChanges({before: {thresholds: [kept, {sensor: 't1', high: 8}]},
                          after: {thresholds: [kept, {high: 7, sensor: 't1'}]}}),
          m.fieldChanges({before: null, after: {code: 'COLD', hazardous: false}}),
        ];
    }""")
    assert found == [
        [["temp_max_c", "8", "6"], ["name", "a", "b"]],
        [["thresholds", '[{"high":8,"sensor":"t1"}]', '[{"high":7,"sensor":"t1"}]']],
        [["code", "", "COLD"], ["hazardous", "", "false"]],
    ]
