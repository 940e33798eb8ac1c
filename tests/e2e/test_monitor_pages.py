"""The alarms page (/alarms) and the overview (/) in real headless Chromium, against the
whole hub over HTTP: readings go through Mosquitto and ingest to the alarm engine, as in
production. An alarm raised by a cooling failure appears on both pages without a reload;
it is acknowledged with a comment on the alarms page; a held lot is released with a
reason; the overview's zone tile turns red. Screenshots of each step under tmp_path,
at a phone's 360x740 and at a desktop's 1280x900."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from contract import wire
from tests.support.auth import signature
from tests.support.browser import OfflinePage
from tests.support.hub_server import LiveHubServer
from tests.support.mqtt import publish_raw, wait_until

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
PASSWORD = "supervisor-password-1"
SENSOR = "cold-t1"
COOL = {SENSOR: {"temperature_c": 5.0, "humidity_pct": 50.0}}


class Api:
    def __init__(self, server: LiveHubServer) -> None:
        self.client = httpx.Client(base_url=server.base_url, headers=server.admin_headers,
                                   timeout=10)

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.client.request(method, f"/api/v1{path}", json=body, params=params,
                                       headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code < 300, response.text
        return response.json()

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, **params)

    def lot(self, number: str) -> dict[str, Any]:
        [lot] = [lot for lot in self.get("/lots") if lot["lot_number"] == number]
        return lot


@pytest.fixture
def api(live_hub_http: LiveHubServer) -> Api:
    """A 2-8 °C cold room with one sensor, a room-temperature zone, alarm rules with a
    1 s delay (the storage classes' limits give the thresholds), a supervisor, and lots."""
    api = Api(live_hub_http)
    api.post("/storage-classes", {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2,
                                  "temp_max_c": 8, "humidity_min_pct": 35,
                                  "humidity_max_pct": 75})
    api.post("/storage-classes", {"code": "15-25C", "name": "room", "temp_min_c": 15,
                                  "temp_max_c": 25})
    api.post("/zones", {"code": "COLD", "name": "cold room", "storage_class": "2-8C"})
    api.post("/zones", {"code": "DRY", "name": "dry store", "storage_class": "15-25C"})
    api.post("/locations", {"code": "C-01", "zone": "COLD"})
    api.post("/sensors", {"id": SENSOR, "name": "cold room wall", "zone": "COLD"})
    api.post("/items", {"sku": "VAC-1", "name": "vaccine", "storage_class": "2-8C"})
    api.call("PUT", "/alarms/rules", {"defaults": {"delay": "1s"},
                                      "signature": signature("approved")}, reason="e2e")
    api.post("/users", {"username": "sue", "role": "supervisor", "password": PASSWORD,
                        "full_name": "Sue Supervisor"})
    soon = (date.today() + timedelta(days=10)).isoformat()
    for lot, expiry in (("SOON-1", soon), ("LATER-1", "2031-01-31"), ("HOLD-1", "2030-05-31")):
        api.post("/moves/receive", {"item": "VAC-1", "lot_number": lot, "expiry": expiry,
                                    "quantity": 10, "location": "C-01"})
    api.post(f"/lots/{api.lot('HOLD-1')['id']}/qc-status",
             {"status": "on_hold", "reason": "excursion last week, awaiting QA"})
    return api


class Screen:
    def __init__(self, offline_page: OfflinePage, shots: Path) -> None:
        self.offline_page = offline_page
        self.page: Page = offline_page.page
        self.shots = shots
        self.step = 0

    def shot(self, name: str) -> Path:
        self.step += 1
        return self.offline_page.screenshot(self.shots / f"{self.step:02d}-{name}.png",
                                            full_page=True)

    def log_in(self, path: str) -> None:
        self.offline_page.goto(path)
        expect(self.page).to_have_url(f"{self.offline_page.origin}/login?next=%2F"
                                      f"{path.lstrip('/')}")
        self.page.fill("#username", "sue")
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector("body[data-ready=true]")
        self.wait_until("() => document.getElementById('live').dataset.state === 'live'")
        # Any reload from now on would lose this mark: the tests check it stays.
        self.page.evaluate("() => { window.notReloaded = true; }")

    def wait_until(self, predicate: str, timeout_s: float = 15) -> None:
        # Not page.wait_for_function: it evaluates with eval, which the page's CSP refuses.
        deadline = time.monotonic() + timeout_s
        while not self.page.evaluate(predicate):
            assert time.monotonic() < deadline, f"still false after {timeout_s} s: {predicate}"
            self.page.wait_for_timeout(100)

    def assert_not_reloaded(self) -> None:
        assert self.page.evaluate("() => window.notReloaded === true")

    def answer(self, text: str) -> None:
        self.page.wait_for_selector("dialog#ask[open]")
        self.page.fill("#ask-text", text)
        self.page.click("#ask-ok")

    def sign(self, text: str | None, meaning: str, password: str = PASSWORD) -> None:
        """The signature dialog (sign.js): the reason or comment, the meaning, the
        password again."""
        self.page.wait_for_selector("dialog#sign[open]")
        if text is not None:
            self.page.fill("#sign-text", text)
        self.page.select_option("#sign-meaning", meaning)
        self.page.fill("#sign-password", password)
        self.page.click("#sign-ok")


def cooling_failure(server: LiveHubServer) -> None:
    """The cold room warms past its 8 °C limit and stays there past the 1 s delay."""
    server.send({SENSOR: {"temperature_c": 9.4, "humidity_pct": 52.0}})
    time.sleep(1.2)
    server.send({SENSOR: {"temperature_c": 9.8, "humidity_pct": 53.0}})


def test_an_alarm_appears_live_is_acknowledged_and_a_held_lot_released(
    live_hub_http: LiveHubServer, api: Api, open_page: Any, tmp_path: Path,
) -> None:
    live_hub_http.send(COOL)
    screen = Screen(open_page(live_hub_http.base_url, **PHONE), tmp_path / "alarms")
    page = screen.page
    screen.log_in("/alarms")
    # The lot expiring in 10 days is an open alarm from the start; the filter on the
    # kind leaves the threshold alarms, none yet.
    expect(page.locator("#alarms li.alarm")).to_contain_text("lot SOON-1")
    page.select_option("#f-kind", "threshold")
    expect(page.locator("#alarms")).to_contain_text("No alarms match the filter.")
    expect(page.locator("#held li[data-lot=HOLD-1]")).to_contain_text("awaiting QA")
    screen.shot("no-alarms")

    cooling_failure(live_hub_http)
    active = page.locator("#alarms li.alarm[data-state=active]")
    screen.wait_until(
        "() => document.querySelector('#alarms li.alarm[data-state=active]') !== null")
    expect(active).to_contain_text("COLD")
    expect(active).to_contain_text("9.")
    screen.assert_not_reloaded()
    screen.shot("alarm-active")
    [alarm] = api.get("/alarms", kind="threshold")
    assert (alarm["state"], alarm["zone"]) == ("active", "COLD")

    # The filter hides what does not match, and shows it again.
    other = "warning" if alarm["severity"] == "critical" else "critical"
    page.select_option("#f-severity", other)
    expect(page.locator("#alarms")).to_contain_text("No alarms match the filter.")
    page.select_option("#f-severity", alarm["severity"])
    expect(active).to_have_count(1)

    active.locator("button.ack").click()
    screen.shot("acknowledge-dialog")
    if alarm["severity"] == "critical":  # a critical alarm's acknowledgement is signed
        screen.sign("Door left open, closed it", "reviewed")
    else:
        screen.answer("Door left open, closed it")
    acknowledged = page.locator(f"#alarms li.alarm[data-id='{alarm['id']}']")
    expect(acknowledged).to_have_attribute("data-state", "acknowledged")
    expect(acknowledged).to_contain_text("acknowledged by sue: “Door left open, closed it”")
    screen.shot("alarm-acknowledged")
    detail = api.get(f"/alarms/{alarm['id']}")
    assert detail["alarm"]["state"] == "acknowledged"
    assert (detail["events"][-1]["by"], detail["events"][-1]["comment"]) == (
        "sue", "Door left open, closed it")

    # A supervisor shelves it for an hour with a reason.
    acknowledged.locator("button.shelve").click()
    screen.answer("Defrost cycle")
    screen.answer("60")
    expect(acknowledged.locator(".badge.shelved")).to_have_text("shelved")
    expect(acknowledged).to_contain_text("shelved by sue until")
    expect(acknowledged.locator("button.unshelve")).to_be_visible()
    assert api.get(f"/alarms/{alarm['id']}")["alarm"]["shelve_reason"] == "Defrost cycle"

    page.select_option("#excursion-zone", "COLD")
    expect(page.locator("#excursions li.excursion")).to_contain_text(
        f"{SENSOR} · temperature above")  # the quantity in words (monitor.js)

    page.locator("#held li[data-lot=HOLD-1] button.release").click()
    screen.sign("Within tolerance, checked by QA", "released")
    expect(page.locator("#held-status")).to_contain_text(
        "Released lot HOLD-1: Released by Sue Supervisor (sue) on ")
    expect(page.locator("#held li[data-lot=HOLD-1]")).to_have_count(0)
    screen.shot("lot-released")
    lot = api.lot("HOLD-1")
    assert (lot["qc_status"], lot["qc_reason"]) == ("released", "Within tolerance, checked by QA")
    screen.assert_not_reloaded()

    # The link in the alarm's messages: that alarm first and marked, whatever the filter.
    screen.offline_page.goto(f"/alarms/{alarm['id']}?state=closed")
    first = page.locator("#alarms li.alarm").first
    expect(first).to_have_attribute("data-id", str(alarm["id"]))
    expect(first).to_have_class("alarm focus")
    assert screen.offline_page.foreign_requests() == []


def test_enter_in_the_question_dialog_answers_it_and_escape_cancels(
    live_hub_http: LiveHubServer, api: Api, open_page: Any, tmp_path: Path,
) -> None:
    """What a supervisor at a keyboard does: type the comment and press Enter. Enter is
    the dialog's affirmative button (Acknowledge, Next, Shelve), Escape its Cancel; an
    empty answer where one is required keeps the dialog open and says so."""
    screen = Screen(open_page(live_hub_http.base_url, **PHONE), tmp_path / "enter")
    page = screen.page
    screen.log_in("/alarms")
    expect(page.locator("#alarms li.alarm")).to_contain_text("lot SOON-1")
    [alarm] = [a for a in api.get("/alarms") if "SOON-1" in a["message"]]
    assert alarm["state"] == "active"
    item = page.locator(f"#alarms li.alarm[data-id='{alarm['id']}']")
    dialog = page.locator("dialog#ask")

    item.locator("button.ack").click()
    expect(dialog).to_be_visible()
    page.keyboard.type("changed my mind")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(item).to_have_attribute("data-state", "active")
    assert api.get(f"/alarms/{alarm['id']}")["alarm"]["state"] == "active"

    item.locator("button.ack").click()
    expect(dialog).to_be_visible()
    page.keyboard.type("Moving the lot to the front")
    screen.shot("acknowledge-typed")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(item).to_have_attribute("data-state", "acknowledged")
    expect(item).to_contain_text("acknowledged by sue: “Moving the lot to the front”")
    expect(page.locator("#alarms-status")).to_have_text(f"Acknowledged alarm {alarm['id']}")
    screen.shot("acknowledged-by-enter")
    detail = api.get(f"/alarms/{alarm['id']}")
    assert detail["alarm"]["state"] == "acknowledged"
    assert (detail["events"][-1]["by"], detail["events"][-1]["comment"]) == (
        "sue", "Moving the lot to the front")

    # Shelving needs a reason: Enter on an empty one asks for it, the dialog stays.
    item.locator("button.shelve").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#ask-error")).to_contain_text("reason")
    screen.shot("shelve-reason-required")
    page.keyboard.type("Defrost cycle")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("For how many minutes?")
    expect(dialog.locator("#ask-error")).to_be_hidden()
    page.keyboard.press("Enter")  # the 60 it offers
    expect(item.locator(".badge.shelved")).to_have_text("shelved")
    shelved = api.get(f"/alarms/{alarm['id']}")["alarm"]
    assert (shelved["shelve_reason"], shelved["shelved_by"]) == ("Defrost cycle", "sue")
    screen.assert_not_reloaded()
    assert screen.offline_page.foreign_requests() == []


def test_the_overview_turns_a_zone_red_when_its_cooling_fails(
    live_hub_http: LiveHubServer, api: Api, open_page: Any, tmp_path: Path,
) -> None:
    live_hub_http.send(COOL)
    offline = wire.Status(state="offline", ts=datetime.now(UTC))
    publish_raw(live_hub_http.mosquitto.port,  # type: ignore[union-attr]
                wire.gateway_topic(live_hub_http.site, "gw-dock", "status"),
                [wire.encode(offline)])
    wait_until(lambda: any(g["state"] == "offline" for g in api.get("/gateways")),
               what="gateway offline")
    screen = Screen(open_page(live_hub_http.base_url), tmp_path / "overview")
    page = screen.page
    screen.log_in("/")
    cold = page.locator("#zones li.tile[data-zone=COLD]")
    expect(cold).to_have_attribute("data-level", "ok")
    expect(cold).to_contain_text("5.0 °C")
    expect(cold).to_contain_text("50.0 %RH")
    expect(page.locator("#zones li.tile[data-zone=DRY]")).to_have_attribute("data-level", "none")
    expect(page.locator("#expiring")).to_contain_text("lot SOON-1")
    expect(page.locator("#expiring")).not_to_contain_text("LATER-1")
    expect(page.locator("#gateways")).to_contain_text("gw-dock")
    expect(page.locator("#open-alarms")).to_contain_text("lot SOON-1")  # an expiry alarm
    screen.shot("all-green")

    # Within the warning margin (0.5 °C inside the 8 °C limit): amber, no reload.
    live_hub_http.send({SENSOR: {"temperature_c": 7.7, "humidity_pct": 51.0}})
    expect(cold).to_have_attribute("data-level", "warn")
    expect(cold).to_contain_text("7.7 °C")
    screen.shot("cold-room-amber")

    cooling_failure(live_hub_http)
    expect(cold).to_have_attribute("data-level", "bad")
    expect(cold).to_contain_text("9.8 °C")
    expect(page.locator("#open-alarms li.alarm-row[data-state=active]",
                        has_text="cold room (COLD): temperature")).to_have_count(1)
    expect(cold).to_contain_text("1 climate alarm")
    screen.assert_not_reloaded()
    screen.shot("cold-room-red")
    assert screen.offline_page.foreign_requests() == []

    phone = Screen(open_page(live_hub_http.base_url, **PHONE), tmp_path / "overview-phone")
    phone.log_in("/")
    expect(phone.page.locator("#zones li.tile[data-zone=COLD]")).to_have_attribute(
        "data-level", "bad")
    phone.shot("cold-room-red")
    assert phone.offline_page.foreign_requests() == []
