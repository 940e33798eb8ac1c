"""A supervisor's walk from `stockwarden demo` to the reports page, in real Chromium,
as the README tells it: log in with the name and password the demo printed, open
/reports, see the cold room's figures and the hub's chart, download the zone PDF
through the page's link (it opens with the login's session cookie, no token), and an
operator lands on the handheld page. Then, with /alarms open in the browser (its long
poll waiting), one Ctrl-C stops the demo at once, without a traceback. Screenshots are
kept under build/screenshots/ (the `shots` fixture); each page's load time is printed
(pytest -s)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from playwright.sync_api import expect

from tests.support.browser import OfflinePage
from tests.support.processes import free_port

DESKTOP = {"viewport": {"width": 1366, "height": 850}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def _lines(stream: IO[str], keep: list[str]) -> Iterator[str]:
    for line in stream:
        keep.append(line)
        yield line


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, dict[str, str], list[str]]]:
    http_port, mqtt_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--http-port", str(http_port),
         "--mqtt-port", str(mqtt_port), "--data-dir", str(tmp_path / "demo"),
         "--duration", "240", "--cooling-failure-after", "-1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    printed: list[str] = []
    logins: dict[str, str] = {}
    try:
        for line in _lines(process.stdout, printed):
            found = re.search(r"log in as\s+(\S+) / (\S+)\s+\((\w+)\)", line)
            if found:
                logins[found[3]] = f"{found[1]}:{found[2]}"
            if "Ctrl-C stops" in line:
                break
        base = f"http://127.0.0.1:{http_port}"
        # The banner comes before the server listens: wait for it, as a person would.
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the demo's hub never answered"
                time.sleep(0.2)
        yield process, base, logins, printed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def log_in(page: OfflinePage, login: str, path: str = "/login") -> float:
    """Log in on the login page; the seconds from the click to the next page's data."""
    username, password = login.split(":", 1)
    page.goto(path)
    page.page.fill("#username", username)
    page.page.fill("#password", password)
    started = time.monotonic()
    page.page.click("button[type=submit]")
    return started


def wait_for_charts(page: OfflinePage) -> None:
    """Every chart image of the zone report loaded (not page.wait_for_function: it
    evaluates with eval, which the pages' policy refuses)."""
    deadline = time.monotonic() + 10
    while not page.page.evaluate(
            "() => [...document.querySelectorAll('#zone-charts img')]"
            ".every((i) => i.complete && i.naturalWidth > 0)"):
        assert time.monotonic() < deadline, "the chart did not load"
        page.page.wait_for_timeout(100)


@pytest.mark.serial  # times the demo's stop: alone on the machine
def test_a_supervisor_goes_from_the_demo_to_a_zone_pdf_and_ctrl_c_stops_it(
    demo: tuple[subprocess.Popen[str], str, dict[str, str], list[str]],
    open_page: Callable[..., OfflinePage], tmp_path: Path, shots: Path,
) -> None:
    process, base, logins, printed = demo
    banner = "".join(printed)
    for page_path in ("/alarms", "/handheld", "/reports", "/audit", "/settings/zones"):
        assert f"{base}{page_path}" in banner, banner
    assert set(logins) == {"supervisor", "operator", "admin"}, banner
    assert "stockwarden user create --data-dir" in banner

    desk = open_page(base, **DESKTOP)
    log_in(desk, logins["supervisor"])
    expect(desk.page).to_have_url(f"{base}/")  # a supervisor lands on the overview
    expect(desk.page.locator("#whoami")).to_contain_text("supervisor")
    started = time.monotonic()
    desk.goto("/")
    expect(desk.page.locator("#zones li").first).to_be_visible(timeout=20_000)
    print(f"\n/ (overview, zone tiles shown): {(time.monotonic() - started) * 1000:.0f} ms")
    desk.screenshot(shots / "00-overview.png")

    started = time.monotonic()
    desk.goto("/reports")
    desk.page.wait_for_selector("body[data-ready=true]")
    status = desk.page.locator("#zone-status")
    expect(status).to_have_attribute("data-tone", "ok", timeout=20_000)
    loaded_s = time.monotonic() - started
    print(f"/reports (the cold room's 24 h report shown): {loaded_s * 1000:.0f} ms")
    expect(desk.page.locator("#zone-code")).to_have_value("cold-room")
    expect(desk.page.locator("#zone-facts")).to_contain_text("Cold room (cold-room)")
    expect(desk.page.locator("#zone-facts")).to_contain_text("2\N{EN DASH}8 °C")
    chart = desk.page.locator("#zone-charts img").first
    expect(chart).to_be_visible()
    # The chart came from the hub through the session cookie: an image that loaded.
    wait_for_charts(desk)
    desk.screenshot(shots / "01-reports-desktop.png", full_page=True)

    with desk.page.expect_download() as download_info:
        desk.page.click("#zone-pdf")
    pdf = tmp_path / "zone.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Cold room" in text and "cold-room" in text, text[:500]
    with desk.page.expect_download() as csv_info:
        desk.page.click("#zone-csv")
    csv_path = tmp_path / "zone.csv"
    csv_info.value.save_as(csv_path)
    assert "cold-room" in csv_path.read_text(encoding="utf-8")
    assert desk.foreign_requests() == []

    phone = open_page(base, **PHONE)
    started = log_in(phone, logins["operator"])
    expect(phone.page).to_have_url(f"{base}/handheld")  # an operator lands on the handheld
    phone.page.wait_for_selector("body[data-ready=true]")
    print(f"/handheld (login to ready, phone): {(time.monotonic() - started) * 1000:.0f} ms")
    phone.screenshot(shots / "02-operator-lands-on-handheld.png")
    phone.goto("/reports")  # the reports page at phone size
    expect(phone.page.locator("#zone-status")).to_have_attribute("data-tone", "ok",
                                                                 timeout=20_000)
    wait_for_charts(phone)
    phone.screenshot(shots / "03-reports-phone.png", full_page=True)

    started = time.monotonic()
    desk.goto("/alarms")
    expect(desk.page.locator("#live")).to_have_attribute("data-state", "live", timeout=20_000)
    print(f"/alarms (feed live): {(time.monotonic() - started) * 1000:.0f} ms")
    desk.page.wait_for_timeout(1500)  # the feed's long poll is now waiting in the hub
    stopped = time.monotonic()
    process.send_signal(signal.SIGINT)  # one Ctrl-C
    rest, _ = process.communicate(timeout=30)
    took = time.monotonic() - stopped
    output = "".join(printed) + rest
    assert took < 10, f"the demo took {took:.1f} s to stop with /alarms open"
    assert process.returncode in (0, 130), output
    assert "Traceback" not in output and "CancelledError" not in output, output
