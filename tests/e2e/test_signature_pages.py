"""Electronic signatures on the pages, in real headless Chromium against the hub over
HTTP (kernel/signatures.py, hub/web/static/sign.js): a supervisor releases a held lot
on /alarms with her password and a meaning in the one dialog; a wrong password is
refused, nothing changes, and it counts toward the lockout; the lot's trace on /reports
shows "Released by Sue Supervisor (sue) on … UTC — released"; she signs off a zone's
report there, and the report's PDF (through pdftotext) prints the sign-off."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kernel.orm import User
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PASSWORD = "supervisor-password-1"


def _call(server: HubServer, method: str, path: str, body: Any = None, **params: Any) -> Any:
    answer = httpx.request(method, server.url(f"/api/v1{path}"), json=body, params=params,
                           headers={**server.admin_headers, "Idempotency-Key": str(uuid.uuid4())},
                           timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json() if "json" in answer.headers.get("content-type", "") else answer


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    """A cold room, a supervisor with a full name, a lot on hold."""
    for path, body in (
        ("/storage-classes", {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2,
                              "temp_max_c": 8}),
        ("/zones", {"code": "COLD", "name": "cold room", "storage_class": "2-8C"}),
        ("/locations", {"code": "C-01", "zone": "COLD"}),
        ("/items", {"sku": "VAC-1", "name": "vaccine", "storage_class": "2-8C"}),
        ("/users", {"username": "sue", "role": "supervisor", "password": PASSWORD,
                    "full_name": "Sue Supervisor"}),
        ("/moves/receive", {"item": "VAC-1", "lot_number": "HOLD-1", "expiry": "2030-05-31",
                            "quantity": 10, "location": "C-01"}),
    ):
        _call(hub_http, "POST", path, body)
    [lot] = _call(hub_http, "GET", "/lots")
    _call(hub_http, "POST", f"/lots/{lot['id']}/qc-status",
          {"status": "on_hold", "reason": "excursion last week, awaiting QA"})
    return hub_http


def log_in(page: OfflinePage, path: str) -> Page:
    page.goto(f"/login?next=%2F{path.lstrip('/')}")
    page.page.fill("#username", "sue")
    page.page.fill("#password", PASSWORD)
    page.page.click("button[type=submit]")
    page.page.wait_for_selector("body[data-ready=true]")
    return page.page


def sign(page: Page, text: str | None, meaning: str, password: str = PASSWORD) -> None:
    page.wait_for_selector("dialog#sign[open]")
    if text is not None:
        page.fill("#sign-text", text)
    page.select_option("#sign-meaning", meaning)
    page.fill("#sign-password", password)
    page.click("#sign-ok")


def failed_logins(server: HubServer) -> int:
    with server.hub.sessions() as session:
        return int(session.scalar(select(User.failed_logins).where(User.username == "sue")))


def test_a_supervisor_signs_a_release_and_a_zone_report_and_both_show_it(
    site: HubServer, open_page: Callable[..., OfflinePage], tmp_path: Path,
) -> None:
    offline = open_page(site.base_url)
    page = log_in(offline, "/alarms")
    held = page.locator("#held li[data-lot=HOLD-1]")
    expect(held).to_contain_text("awaiting QA")

    held.locator("button.release").click()
    sign(page, "Within tolerance, checked by QA", "released", password="not-her-password")
    expect(page.locator("#held-status")).to_contain_text("wrong password for sue's signature")
    expect(held).to_have_count(1)  # still on hold: nothing changed
    assert failed_logins(site) == 1  # counted toward the lockout
    offline.screenshot(tmp_path / "01-wrong-password.png")

    held.locator("button.release").click()
    page.wait_for_selector("dialog#sign[open]")
    options = page.locator("#sign-meaning option").all_text_contents()
    assert options == ["released", "approved"]  # the meanings a release allows
    sign(page, "Within tolerance, checked by QA", "released")
    status = page.locator("#held-status")
    expect(status).to_contain_text("Released lot HOLD-1: Released by Sue Supervisor (sue) on ")
    expect(status).to_contain_text(" UTC — released")
    expect(held).to_have_count(0)
    assert failed_logins(site) == 0  # the right password ends the count
    offline.screenshot(tmp_path / "02-released.png")

    # The lot's trace on the reports page shows the signature.
    offline.goto("/reports")
    page.wait_for_selector("#trace-lot option[value]", state="attached")
    page.click("#trace-form button[type=submit]")
    expect(page.locator("#trace-signatures")).to_contain_text(
        "Released by Sue Supervisor (sue) on ")

    # The zone report of a day that ended a minute ago, signed off on the page (the
    # presets end at the next whole minute: not ended yet, the button is disabled).
    page.select_option("#zone-code", "COLD")
    page.click("#zone-form button[data-hours='24']")
    expect(page.locator("#zone-sign")).to_be_disabled()
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    page.fill("#zone-start", (end - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#zone-end", end.strftime("%Y-%m-%dT%H:%M"))
    page.click("#zone-form button[type=submit]")
    expect(page.locator("#zone-sign")).to_be_enabled()
    expect(page.locator("#zone-signoffs")).to_contain_text("Not signed off.")
    page.click("#zone-sign")
    page.wait_for_selector("dialog#sign[open]")
    assert page.locator("#sign-text").is_hidden()  # a sign-off asks no reason
    sign(page, None, "approved")
    expect(page.locator("#zone-signoffs")).to_contain_text(
        "Approved by Sue Supervisor (sue) on ")
    expect(page.locator("#zone-sign-status")).to_contain_text("Signed: Approved by")
    offline.screenshot(tmp_path / "03-signed-off.png", full_page=True)

    href = page.locator("#zone-pdf").get_attribute("href")
    assert href is not None
    pdf = httpx.get(site.url(href), headers=site.admin_headers, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "Sign-offs (electronic signatures)" in flat
    assert "Approved by Sue Supervisor (sue) on " in flat
    assert "Signed PDF SHA-256:" in flat
    assert offline.foreign_requests() == []
