"""The handheld page in real headless Chromium on a phone-sized screen, against a real
hub over HTTP: log in, receive and dispatch by typed scans (as a keyboard-wedge scanner
types them), the FEFO check, and the offline queue: scans while the network is cut, a
reload served by the service worker, and exactly one booking per scan once it is back.
Screenshots of each step are saved under the test's tmp_path."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

GS = "\x1d"
X = "\N{MULTIPLICATION SIGN}"  # the page writes "5 <X> lot ABC123"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
PASSWORD = "dock-scanner-password-1"
# GS1 DataMatrix of VAC-1 (GTIN 04006381333931), expiry 2029-12-00 (= 31st), lot ABC123,
# serial after a group separator typed as the stand-in "|".
ABC123 = "]d2010400638133393117291200" + "10ABC123|21SN1"
# GS1-128 without symbology identifier: expiry 2029-11-30, lot LOT-GS, then a real
# ASCII 29 and the quantity 10 (AI 30).
LOT_GS = "0104006381333931" + "17291130" + "10LOT-GS" + GS + "3010"
LOT_GS_STANDIN = "]d2010400638133393117291130" + "10LOT-GS"
EARLY = "]d2010400638133393117270630" + "10EARLY"


class Api:
    def __init__(self, server: HubServer) -> None:
        self.client = httpx.Client(base_url=server.base_url, headers=server.admin_headers,
                                   timeout=10)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(f"/api/v1{path}", json=body,
                                    headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code < 300, response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"/api/v1{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def moves(self, kind: str) -> list[dict[str, Any]]:
        return [row for row in self.get("/moves") if row["kind"] == kind]

    def on_hand(self, lot: str) -> int:
        return sum(row["quantity"] for row in self.get("/stock", item="VAC-1", lot_number=lot))


@pytest.fixture
def api(hub_http: HubServer) -> Api:
    api = Api(hub_http)
    api.post("/storage-classes", {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2,
                                  "temp_max_c": 8})
    api.post("/zones", {"code": "FRIDGE", "name": "cold room", "storage_class": "2-8C"})
    for code in ("F-01", "F-02"):
        api.post("/locations", {"code": code, "zone": "FRIDGE"})
    api.post("/items", {"sku": "VAC-1", "gtin": "04006381333931", "name": "vaccine",
                        "storage_class": "2-8C"})
    api.post("/users", {"username": "picker", "role": "operator", "password": PASSWORD,
                        "full_name": "Pat Picker"})
    return api


class Handheld:
    """The page as an operator uses it: scans are typed into whatever has the focus,
    as a keyboard-wedge scanner does, then Enter."""

    def __init__(self, offline_page: OfflinePage, shots: Path) -> None:
        self.offline_page = offline_page
        self.page: Page = offline_page.page
        self.shots = shots
        self.step = 0

    def shot(self, name: str) -> Path:
        self.step += 1
        return self.offline_page.screenshot(self.shots / f"{self.step:02d}-{name}.png")

    def login(self) -> None:
        self.offline_page.goto("/handheld")
        self.log_in_again()

    def log_in_again(self) -> None:
        # The queue's next send (on the browser's "online" event, else its retry timer,
        # 1 s after a failure offline) meets the 401 and sends the page to the login: on
        # a loaded 2-core machine that took over 5 s once in a full run.
        expect(self.page).to_have_url(f"{self.offline_page.origin}/login?next=%2Fhandheld",
                                      timeout=15_000)
        self.shot("login")
        self.page.fill("#username", "picker")
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.wait_ready()
        expect(self.page.locator("#whoami")).to_contain_text("picker")

    def wait_ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=true]")

    def wait_until(self, predicate: str, timeout_s: float = 15) -> None:
        # Not page.wait_for_function: it evaluates with eval, which the page's CSP refuses.
        deadline = time.monotonic() + timeout_s
        while not self.page.evaluate(predicate):
            assert time.monotonic() < deadline, f"still false after {timeout_s} s: {predicate}"
            self.page.wait_for_timeout(100)

    def scan(self, raw: str) -> None:
        # The scan input has the focus back (a moment after a tap), as the scanner needs.
        self.wait_until("() => document.activeElement.id === 'scan'", timeout_s=2)
        if GS in raw:
            # A scanner's ASCII 29 reaches the page as a character; keyboard.type has no key for it.
            self.page.keyboard.insert_text(raw)
        else:
            self.page.keyboard.type(raw)
        self.page.keyboard.press("Enter")

    def tap(self, selector: str) -> None:
        self.page.tap(selector)

    def feedback(self) -> Any:
        return self.page.locator("#feedback")

    def expect_said(self, tone: str, text: str) -> None:
        expect(self.feedback()).to_have_attribute("data-tone", tone)
        expect(self.feedback()).to_contain_text(text)

    def queue(self, state: str | None = None) -> Any:
        return self.page.locator(f"#queue li[data-state={state}]" if state else "#queue li")


@pytest.fixture
def handheld(hub_http: HubServer, api: Api, open_page: Callable[..., OfflinePage],
             shots: Path) -> Handheld:
    return Handheld(open_page(hub_http.base_url, **PHONE), shots)


def test_a_picker_logs_in_receives_and_dispatches_by_scanning(
    handheld: Handheld, api: Api
) -> None:
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=receive]")
    handheld.scan("LOC:F-01")
    expect(page.locator("#location .value")).to_have_text("F-01")
    handheld.tap("#qty")
    page.keyboard.type("5")
    page.keyboard.press("Enter")  # back to the scan input

    handheld.scan(ABC123)  # group separator as the stand-in "|"
    handheld.expect_said("ok", f"Received VAC-1: 5 {X} lot ABC123 → F-01")
    assert page.evaluate("document.body.dataset.lastBeep") == "ok"
    handheld.shot("received-with-standin")
    handheld.scan(LOT_GS)  # a real ASCII 29; the quantity comes from the label (AI 30)
    handheld.expect_said("ok", f"Received VAC-1: 10 {X} lot LOT-GS → F-01")
    handheld.shot("received-with-ascii-29")
    assert (api.on_hand("ABC123"), api.on_hand("LOT-GS")) == (5, 10)

    handheld.scan("]d2010400638133393217291200" + "10BAD")  # a wrong check digit
    handheld.expect_said("error", "check digit")
    assert page.evaluate("document.body.dataset.lastBeep") == "error"
    handheld.shot("refused-in-words")

    # FEFO: lot EARLY expires first, so it is the one to pick.
    api.post("/moves/receive", {"item": "VAC-1", "lot_number": "EARLY", "expiry": "2027-06-30",
                                "quantity": 4, "location": "F-02"})
    handheld.tap("[data-mode=dispatch]")
    page.fill("#pick-item", "VAC-1")
    page.fill("#pick-qty", "3")
    handheld.tap("#pick-form button[type=submit]")
    expect(page.locator("#pick-status")).to_contain_text(f"Pick next: 3 {X} lot EARLY from F-02")
    handheld.shot("pick-list")

    handheld.scan("]d2010401234567890117291130" + "10LOT-GS")  # another product (GTIN)
    handheld.expect_said("error", "Not VAC-1")
    handheld.scan(LOT_GS_STANDIN)  # not the lot to pick: the page asks why
    dialog = page.locator("#ask")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Lot LOT-GS is not on the pick list")
    handheld.shot("wrong-lot-asks-for-a-reason")
    page.click("#ask button[value=cancel]")
    handheld.expect_said("idle", "Not picked")
    assert api.moves("dispatch") == []

    handheld.scan(LOT_GS_STANDIN)
    page.fill("#ask-text", "customer asked for a long expiry")
    page.click("#ask-ok")
    handheld.expect_said("ok", f"Dispatched VAC-1: 3 {X} lot LOT-GS from F-01")
    expect(page.locator("#pick-status")).to_contain_text("complete")

    page.fill("#pick-qty", "2")
    handheld.tap("#pick-form button[type=submit]")
    expect(page.locator("#pick-status")).to_contain_text(f"Pick next: 2 {X} lot EARLY from F-02")
    handheld.scan(EARLY)  # the lot to pick: no question
    handheld.expect_said("ok", f"Dispatched VAC-1: 2 {X} lot EARLY from F-02")
    handheld.shot("dispatched-fefo")

    dispatched = {(row["lot_number"], row["quantity"], row["reason"])
                  for row in api.moves("dispatch")}
    assert dispatched == {("LOT-GS", 3, "customer asked for a long expiry"), ("EARLY", 2, None)}
    assert all(row["user"] == "picker" for row in api.moves("dispatch"))
    assert handheld.offline_page.foreign_requests() == []


def start_a_pick_with_a_wrong_lot_scanned(handheld: Handheld, api: Api) -> None:
    """LOT-GS (F-01) and EARLY (F-02) on hand, a pick list of 3 whose next lot is EARLY,
    then LOT-GS scanned: the reason dialog is open, its text box has the focus."""
    api.post("/moves/receive", {"item": "VAC-1", "lot_number": "LOT-GS",
                                "expiry": "2029-11-30", "quantity": 10, "location": "F-01"})
    api.post("/moves/receive", {"item": "VAC-1", "lot_number": "EARLY", "expiry": "2027-06-30",
                                "quantity": 4, "location": "F-02"})
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=dispatch]")
    page.fill("#pick-item", "VAC-1")
    page.fill("#pick-qty", "3")
    handheld.tap("#pick-form button[type=submit]")
    expect(page.locator("#pick-status")).to_contain_text(f"Pick next: 3 {X} lot EARLY from F-02")
    handheld.scan(LOT_GS_STANDIN)
    expect(page.locator("#ask")).to_contain_text("Lot LOT-GS is not on the pick list")
    handheld.wait_until("() => document.activeElement.id === 'ask-text'", timeout_s=2)


def test_a_reason_typed_and_entered_picks_the_other_lot_with_it(
    handheld: Handheld, api: Api
) -> None:
    page = handheld.page
    start_a_pick_with_a_wrong_lot_scanned(handheld, api)
    page.keyboard.press("Enter")  # no reason yet: the dialog says it needs one, and stays
    expect(page.locator("#ask")).to_be_visible()
    expect(page.locator("#ask-error")).to_contain_text("reason")
    handheld.shot("reason-required")
    assert api.moves("dispatch") == []

    # At a person's pace (Playwright types as fast as a scanner unless told otherwise).
    page.keyboard.type("customer asked for a long expiry", delay=60)
    page.keyboard.press("Enter")
    expect(page.locator("#ask")).to_be_hidden()
    handheld.expect_said("ok", f"Dispatched VAC-1: 3 {X} lot LOT-GS from F-01")
    handheld.shot("picked-by-enter")
    assert [(r["lot_number"], r["quantity"], r["reason"]) for r in api.moves("dispatch")] == [
        ("LOT-GS", 3, "customer asked for a long expiry")]
    handheld.wait_until("() => document.activeElement.id === 'scan'", timeout_s=2)


def test_scanning_the_right_lot_while_asked_why_picks_the_right_lot(
    handheld: Handheld, api: Api
) -> None:
    page = handheld.page
    start_a_pick_with_a_wrong_lot_scanned(handheld, api)
    # The picker puts LOT-GS back and scans EARLY: the scanner types into the dialog's
    # box (a keyboard wedge types wherever the focus is), fast, then Enter.
    page.keyboard.type(EARLY, delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#ask")).to_be_hidden()
    handheld.expect_said("ok", f"Dispatched VAC-1: 3 {X} lot EARLY from F-02")
    handheld.shot("right-lot-scanned-into-the-dialog")
    assert [(r["lot_number"], r["quantity"], r["reason"]) for r in api.moves("dispatch")] == [
        ("EARLY", 3, None)]
    expect(page.locator("#pick-status")).to_contain_text("complete")
    handheld.wait_until("() => document.activeElement.id === 'scan'", timeout_s=2)

    # The next scan goes to the scan field again, as usual.
    handheld.scan("LOC:F-01")
    handheld.expect_said("ok", "Bin F-01")


def test_offline_scans_queue_survive_a_reload_and_book_once_when_back(
    handheld: Handheld, api: Api
) -> None:
    page = handheld.page
    context = page.context
    handheld.login()
    # The service worker controls the page once it is installed and has claimed it.
    handheld.wait_until("() => navigator.serviceWorker.controller !== null")
    handheld.tap("[data-mode=receive]")
    handheld.scan("LOC:F-01")

    context.set_offline(True)
    # The cut is real for this page's fetches to the hub on 127.0.0.1.
    assert page.evaluate("fetch('/health').then(() => 'reached', () => 'blocked')") == "blocked"
    for n in range(1, 6):
        handheld.scan("]d2010400638133393117291231" + f"10OFF-{n}|30{n}")
        expect(handheld.queue("queued")).to_have_count(n)
    handheld.expect_said("queued", "Queued")
    assert page.evaluate("document.body.dataset.lastBeep") == "queued"
    handheld.shot("offline-five-queued")
    assert api.moves("receive") == []

    response = page.reload()
    # From the service worker's cache: the hub was not reached (the network is cut).
    assert response is not None and response.from_service_worker
    assert response.headers.get("x-stockwarden-offline-copy"), response.headers
    handheld.wait_ready()
    expect(handheld.queue("queued")).to_have_count(5)
    expect(page.locator("#location .value")).to_have_text("F-01")
    handheld.shot("offline-reloaded-from-service-worker")

    # The first scan to reach the hub is booked there, but its answer is lost on the
    # way back: the page must resend it with the same key and the hub book it once.
    sent: list[str] = []

    def lose_first_answer(route: Route) -> None:
        sent.append(route.request.headers["idempotency-key"])
        handheld.offline_page.requests.append(route.request.url)
        if len(sent) == 1:
            route.fetch()  # the hub books it ...
            route.abort("connectionreset")  # ... and the page never hears
        else:
            route.continue_()

    page.route("**/api/v1/scan", lose_first_answer)
    context.set_offline(False)
    expect(handheld.queue()).to_have_count(0, timeout=20_000)
    expect(page.locator("#done li[data-state=booked]")).to_have_count(5)
    expect(page.locator("#queue-count")).to_have_text("0")
    handheld.expect_said("ok", "queued scan")  # "Sent 5 queued scans" (or in two messages)
    handheld.shot("back-online-all-booked")

    received = sorted((row["lot_number"], row["quantity"]) for row in api.moves("receive"))
    assert received == [(f"OFF-{n}", n) for n in range(1, 6)]
    assert len(sent) == 6 and sent[0] == sent[1]  # resent once, with the same key
    assert handheld.offline_page.foreign_requests() == []


def test_a_pick_checked_offline_is_checked_again_by_the_hub_and_its_refusal_is_shown(
    handheld: Handheld, api: Api
) -> None:
    page = handheld.page
    api.post("/moves/receive", {"item": "VAC-1", "lot_number": "EARLY", "expiry": "2027-06-30",
                                "quantity": 4, "location": "F-02"})
    handheld.login()
    handheld.tap("[data-mode=dispatch]")
    page.fill("#pick-item", "VAC-1")
    page.fill("#pick-qty", "2")
    handheld.tap("#pick-form button[type=submit]")
    expect(page.locator("#pick-status")).to_contain_text("lot EARLY from F-02")

    page.context.set_offline(True)
    # Meanwhile a lot expiring even earlier arrives in the same bin.
    api.post("/moves/receive", {"item": "VAC-1", "lot_number": "EARLIER",
                                "expiry": "2027-01-31", "quantity": 4, "location": "F-02"})
    handheld.scan(EARLY)  # right by the list the handheld has: provisional
    expect(handheld.queue("queued")).to_have_count(1)
    expect(handheld.queue("queued")).to_contain_text("provisional")

    page.context.set_offline(False)
    refused = handheld.queue("refused")
    expect(refused).to_have_count(1, timeout=20_000)
    expect(refused).to_contain_text("lot EARLIER is next to pick")
    handheld.expect_said("error", "lot EARLIER is next to pick for VAC-1")
    handheld.shot("refused-at-sync")
    assert api.moves("dispatch") == []

    page.reload()  # a refusal stays until the operator has seen it
    handheld.wait_ready()
    expect(handheld.queue("refused")).to_have_count(1)
    handheld.tap("#queue li[data-state=refused] button")
    expect(handheld.queue()).to_have_count(0)
    assert handheld.offline_page.foreign_requests() == []


def test_a_scan_queued_when_the_login_expired_is_sent_after_the_next_login(
    handheld: Handheld, api: Api
) -> None:
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=receive]")
    handheld.scan("LOC:F-02")
    page.context.set_offline(True)
    handheld.scan("]d2010400638133393117291231" + "10LATE|307")
    expect(handheld.queue("queued")).to_have_count(1)
    # The token expires (here: is replaced by one the hub does not know) while offline.
    page.evaluate("""() => {
        const stored = JSON.parse(localStorage.getItem('stockwarden.session'));
        localStorage.setItem('stockwarden.session',
                             JSON.stringify({...stored, token: 'expired-token'}));
    }""")
    page.context.set_offline(False)
    handheld.log_in_again()  # the 401 sent the page to the login; the scan waited
    expect(page.locator("#done li[data-state=booked]")).to_have_count(1, timeout=20_000)
    expect(handheld.queue()).to_have_count(0)
    assert [(r["lot_number"], r["quantity"], r["user"]) for r in api.moves("receive")] == [
        ("LATE", 7, "picker")]
    assert handheld.offline_page.foreign_requests() == []
