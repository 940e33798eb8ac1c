"""The stocktake pages (/stocktakes, /stocktakes/{id}) in real headless Chromium against
the hub over HTTP, at desktop and phone size: a supervisor opens a stocktake of a zone
on the page; an operator counts through the API as the handheld does, one lot short;
the page follows the counts (progress by bin, the variance with its value and the
total); she asks for a recount of that line, the recount comes in, a wrong signature
password is refused in plain words and changes nothing, her signature approves it, and
the ledger and the stock show the adjustment. An operator follows the counts without a
book quantity (blind) and is offered neither opening, recounting nor approving."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from kernel.actors import Role
from tests.support.auth import bearer_headers
from tests.support.browser import OfflinePage
from tests.support.http_server import serve_in_thread
from tests.support.hub_server import HubServer

PASSWORD = "supervisor-password-1"
MINUS = "\u2212"
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 360, "height": 740}}


def _call(server: HubServer, method: str, path: str, body: Any = None,
          headers: dict[str, str] | None = None, **params: Any) -> Any:
    answer = httpx.request(method, server.url(f"/api/v1{path}"), json=body, params=params,
                           headers={**(headers or server.admin_headers),
                                    "Idempotency-Key": str(uuid.uuid4())}, timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json()


def _token(server: HubServer, username: str) -> dict[str, str]:
    answer = httpx.post(server.url("/api/v1/auth/login"),
                        json={"username": username, "password": PASSWORD}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _seed(server: HubServer) -> HubServer:
    """A cold room of three bins (one empty), a vaccine worth 12.50 a unit in two lots,
    a supervisor and an operator."""
    for path, body in (
        ("/zones", {"code": "COLD", "name": "cold room"}),
        ("/locations", {"code": "C-01", "zone": "COLD"}),
        ("/locations", {"code": "C-02", "zone": "COLD"}),
        ("/locations", {"code": "C-03", "zone": "COLD"}),
        ("/items", {"sku": "VAC-1", "name": "vaccine", "unit_cost": "12.50"}),
        ("/moves/receive", {"item": "VAC-1", "lot_number": "L1", "expiry": "2030-05-31",
                            "quantity": 10, "location": "C-01"}),
        ("/moves/receive", {"item": "VAC-1", "lot_number": "L2", "expiry": "2030-06-30",
                            "quantity": 5, "location": "C-02"}),
        ("/users", {"username": "sue", "role": "supervisor", "password": PASSWORD,
                    "full_name": "Sue Supervisor"}),
        ("/users", {"username": "otto", "role": "operator", "password": PASSWORD,
                    "full_name": "Otto Operator"}),
    ):
        _call(server, "POST", path, body)
    return server


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    return _seed(hub_http)


@pytest.fixture
def unsigned_site(tmp_path: Path) -> Iterator[HubServer]:
    """The same, on a hub whose site signs no stocktake approval."""
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", tsdb_url=None,
                             signature_required=[])
    hub = Hub.build(settings)
    try:
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            yield _seed(HubServer(hub, base_url, bearer_headers(hub, Role.ADMIN)))
    finally:
        hub.stop()


def log_in(offline: OfflinePage, username: str, path: str = "/stocktakes") -> Page:
    offline.goto(f"/login?next={path}")
    page = offline.page
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    started = time.monotonic()
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    print(f"load {path} {time.monotonic() - started:.2f} s (after the login)")
    return page


def count(server: HubServer, stocktake: int, lot: str, bin_code: str, counted: int) -> None:
    """A count as the handheld sends it, by the operator."""
    answer = _call(server, "POST", f"/stocktakes/{stocktake}/counts",
                   {"item": "VAC-1", "lot_number": lot, "location": bin_code, "counted": counted},
                   headers=_token(server, "otto"))
    assert answer["lines"][0]["book"] is None  # blind: the operator is not told the book


def sign(page: Page, password: str) -> None:
    page.wait_for_selector("dialog#sign[open]")
    assert page.locator("#sign-meaning option").all_text_contents() == ["approved", "reviewed"]
    page.fill("#sign-password", password)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_supervisor_runs_a_stocktake_of_a_zone_on_the_page(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    page = log_in(offline, "sue")
    link = page.locator("nav.pages a[href='/stocktakes']")
    expect(link).to_have_attribute("aria-current", "page")
    expect(page.locator("#st-empty")).to_be_visible()

    # Open a count of the zone: the dialog, Enter opens it, the page of the new count.
    page.click("#open-stocktake")
    page.wait_for_selector("dialog#open[open]")
    page.select_option("#open-zone", "COLD")
    offline.screenshot(shots / f"01-open-{size}.png")
    started = time.monotonic()
    page.keyboard.press("Enter")
    page.wait_for_url("**/stocktakes/1")
    page.wait_for_selector("body[data-ready=true]")
    print(f"load /stocktakes/1 {time.monotonic() - started:.2f} s")
    expect(page.locator("#st-state")).to_have_text("Open: nothing counted yet")
    progress = page.locator("#progress-words")
    expect(progress).to_have_text(
        "0 of 2 bins counted · 0 of 2 lines counted · bins empty on the book: 1")
    expect(page.locator("#bins tr[data-bin=C-03]")).to_contain_text("empty on the book")
    expect(page.locator("#approve")).to_be_disabled()

    # The operator counts: L1 right, L2 one short. The page follows without a reload.
    count(site, 1, "L1", "C-01", 10)
    expect(progress).to_contain_text("1 of 2 bins counted · 1 of 2 lines counted")
    expect(page.locator("#bins tr[data-bin=C-01]")).to_have_attribute("data-state", "counted")
    expect(page.locator("#bins tr[data-bin=C-02]")).to_contain_text("not counted")
    count(site, 1, "L2", "C-02", 4)
    expect(progress).to_contain_text("2 of 2 bins counted · 2 of 2 lines counted")
    expect(page.locator("#st-state")).to_have_text("Awaiting approval")
    short = page.locator("#lines tr[data-line]", has_text="L2")
    expect(short.locator("td")).to_have_text(
        ["", "C-02", "VAC-1", "L2", "counted", "5", "4", f"{MINUS}1", f"{MINUS}12.50", "otto"])
    right = page.locator("#lines tr[data-line]", has_text="L1")
    expect(right.locator("td").nth(7)).to_have_text("0")
    expect(page.locator("#total-value")).to_have_text(f"{MINUS}12.50")
    expect(page.locator("#approve")).to_be_enabled()
    offline.screenshot(shots / f"02-variance-{size}.png", full_page=True)

    # A recount of the short line: it goes back to counting, approval waits for it.
    short.locator("input[type=checkbox]").check()
    expect(page.locator("#recount-lines")).to_have_text("Ask for a recount of the chosen lines (1)")
    page.click("#recount-lines")
    status = page.locator("#st-status")
    expect(status).to_have_text("Recount asked: 1 line(s)")
    expect(short).to_contain_text("recount asked")
    expect(page.locator("#st-state")).to_have_text("Counting")
    expect(page.locator("#approve")).to_be_disabled()
    expect(page.locator("#bins tr[data-bin=C-02]")).to_contain_text("recount asked")

    count(site, 1, "L2", "C-02", 3)  # the recount: two short after all
    expect(short.locator("td").nth(7)).to_have_text(f"{MINUS}2")
    expect(short.locator("td").nth(8)).to_have_text(f"{MINUS}25.00")
    expect(page.locator("#total-value")).to_have_text(f"{MINUS}25.00")
    expect(page.locator("#approve")).to_be_enabled()

    # A wrong password: refused in plain words, nothing changes.
    page.click("#approve")
    offline.screenshot(shots / f"03-sign-{size}.png")
    sign(page, "not-her-password")
    expect(status).to_contain_text("Not approved: wrong password for sue")
    expect(status).to_have_attribute("data-tone", "error")
    expect(page.locator("#st-state")).to_have_text("Awaiting approval")
    assert _call(site, "GET", "/stocktakes/1")["status"] == "review"
    assert not [m for m in _call(site, "GET", "/moves", item="VAC-1") if m["kind"] == "count"]

    # Signed: approved, the adjustment is in the ledger and the stock.
    page.click("#approve")
    sign(page, PASSWORD)
    expect(status).to_contain_text("Approved stocktake 1: ")
    expect(status).to_contain_text("Sue Supervisor (sue)")
    expect(page.locator("#st-state")).to_have_text("Approved")
    expect(page.locator("#st-signatures")).to_contain_text("Sue Supervisor (sue)")
    expect(page.locator("#decide-panel")).to_be_hidden()
    expect(page.locator("#recount-bar")).to_be_hidden()
    offline.screenshot(shots / f"04-approved-{size}.png", full_page=True)
    [adjusted] = [m for m in _call(site, "GET", "/moves", item="VAC-1") if m["kind"] == "count"]
    assert adjusted["reference"] == "stocktake:1" and adjusted["user"] == "sue"
    assert adjusted["from_location"] == "C-02" and abs(adjusted["quantity"]) == 2
    stock = {row["lot_number"]: row["quantity"] for row in _call(site, "GET", "/stock")}
    assert stock == {"L1": 10, "L2": 3}

    # The list shows it approved.
    offline.goto("/stocktakes")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#st-filter", "approved")
    expect(page.locator("#stocktakes tr[data-id='1']")).to_contain_text("Approved")
    offline.screenshot(shots / f"05-list-{size}.png", full_page=True)


def test_bad_input_is_said_in_plain_words_and_a_bin_recounted_and_a_count_cancelled(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page = log_in(offline, "sue")
    page.click("#open-stocktake")
    page.check("#scope-bins")
    page.keyboard.press("Enter")
    error = page.locator("#open-error")
    expect(error).to_have_text("Choose at least one bin to count.")
    page.fill("#bin-filter", "c-02")
    expect(page.locator("#open-bins label:visible")).to_have_count(1)
    page.locator("#open-bins label[data-code='c-02'] input").check()
    page.click("#open-ok")
    page.wait_for_url("**/stocktakes/1")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#progress-words")).to_contain_text("0 of 1 bins counted")

    # The zone again: C-02 is being counted already; the dialog says so and stays open.
    offline.goto("/stocktakes")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#stocktakes tr[data-id='1']")).to_contain_text("bins C-02")
    page.click("#open-stocktake")
    page.select_option("#open-zone", "COLD")
    page.keyboard.press("Enter")
    expect(error).to_have_text("Not opened: bin C-02 is being counted in stocktake 1")
    offline.screenshot(shots / "01-refused.png")
    page.keyboard.press("Escape")  # cancels: nothing opened
    expect(page.locator("dialog#open")).not_to_be_visible()
    assert [s["id"] for s in _call(site, "GET", "/stocktakes")] == [1]

    # A bin counted, then a recount of the whole bin; then the stocktake is cancelled
    # (a reason too short is refused in the dialog), and nothing is posted.
    page.click("#stocktakes tr[data-id='1'] a")
    page.wait_for_selector("body[data-ready=true]")
    count(site, 1, "L2", "C-02", 4)
    page.locator("#bins tr[data-bin=C-02] button.recount-bin").click()
    status = page.locator("#st-status")
    expect(status).to_have_text("Recount asked: bin C-02")
    expect(page.locator("#bins tr[data-bin=C-02]")).to_contain_text("recount asked")
    page.click("#cancel-stocktake")
    page.fill("#ask-text", "no")
    page.keyboard.press("Enter")
    expect(page.locator("#ask-error")).to_contain_text("3 characters or more")
    page.fill("#ask-text", "opened by mistake")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Stocktake 1 cancelled: nothing posted")
    expect(page.locator("#st-state")).to_have_text("Cancelled")
    expect(page.locator("#st-facts")).to_contain_text("opened by mistake")
    expect(page.locator("#decide-panel")).to_be_hidden()
    offline.screenshot(shots / "02-cancelled.png", full_page=True)
    assert not [m for m in _call(site, "GET", "/moves", item="VAC-1") if m["kind"] == "count"]

    # A stocktake that does not exist: said in words, no stack trace.
    offline.goto("/stocktakes/99")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#st-status")).to_have_text("no stocktake 99")
    expect(page.locator("#st-live")).to_have_text("not found")


@pytest.mark.parametrize("size", list(SIZES))
def test_an_operator_follows_a_blind_count_and_is_offered_no_decision(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    _call(site, "POST", "/stocktakes", {"zone": "COLD"}, headers=_token(site, "sue"))
    count(site, 1, "L2", "C-02", 4)
    offline = open_page(site.base_url, viewport=SIZES[size])
    page = log_in(offline, "otto")
    expect(page.locator("nav.pages a[href='/stocktakes']")).to_be_visible()
    expect(page.locator("#stocktakes tr[data-id='1']")).to_contain_text("Counting")
    expect(page.locator("#open-stocktake")).to_be_hidden()
    offline.screenshot(shots / f"01-list-{size}.png", full_page=True)

    started = time.monotonic()
    page.click("#stocktakes tr[data-id='1'] a")
    page.wait_for_url("**/stocktakes/1")
    page.wait_for_selector("body[data-ready=true]")
    print(f"load /stocktakes/1 {time.monotonic() - started:.2f} s ({size}, operator)")
    expect(page.locator("#progress-words")).to_contain_text("1 of 2 bins counted")
    heads = page.locator("#lines thead th").all_text_contents()
    assert heads == ["Bin", "Item", "Lot", "State", "Counted", "Counted by"]  # no book, no value
    expect(page.locator("#lines tr[data-line]", has_text="L2")).to_contain_text("4")
    expect(page.locator("#lines-note")).to_contain_text("Blind count")
    expect(page.locator("#decide-panel")).to_be_hidden()
    expect(page.locator("#recount-bar")).to_be_hidden()
    expect(page.locator("#lines input[type=checkbox]")).to_have_count(0)
    expect(page.locator("button.recount-bin")).to_have_count(0)
    expect(page.locator("#st-handheld a")).to_be_visible()
    offline.screenshot(shots / f"02-blind-{size}.png", full_page=True)


def test_where_the_site_signs_no_approval_a_confirm_approves_and_escape_keeps_it_open(
    unsigned_site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    site = unsigned_site
    _call(site, "POST", "/stocktakes", {"locations": ["C-02"], "blind": False},
          headers=_token(site, "sue"))
    _call(site, "POST", "/stocktakes/1/counts", {"item": "VAC-1", "lot_number": "L2",
          "location": "C-02", "counted": 6}, headers=_token(site, "otto"))
    offline = open_page(site.base_url, viewport=SIZES["desktop"])
    page = log_in(offline, "sue", "/stocktakes/1")
    expect(page.locator("#total-value")).to_have_text("+12.50")
    page.click("#approve")
    page.wait_for_selector("dialog#confirm[open]")
    expect(page.locator("#confirm-question")).to_have_text(
        "Approve stocktake 1? 1 adjustment(s) will be posted to the ledger, worth +12.50 in all.")
    page.keyboard.press("Escape")  # cancels: nothing approved
    expect(page.locator("#st-status")).to_have_text("Not approved: cancelled")
    assert _call(site, "GET", "/stocktakes/1")["status"] == "review"
    page.click("#approve")
    page.wait_for_selector("dialog#confirm[open]")
    offline.screenshot(shots / "01-confirm.png")
    page.keyboard.press("Enter")
    expect(page.locator("#st-status")).to_have_text("Approved stocktake 1")
    expect(page.locator("#st-state")).to_have_text("Approved")
    stock = {row["lot_number"]: row["quantity"] for row in _call(site, "GET", "/stock")}
    assert stock == {"L1": 10, "L2": 6}
