"""The acknowledge dialog follows its alarm (issue 18, item 11): while a supervisor
types the comment to a warning, the cold room gets worse and the alarm turns critical;
the open dialog now says critical (it said the warning's text before), keeps what was
typed, and the acknowledgement goes to the critical alarm, signed as a critical one is.
Real Chromium at 360x740, readings through Mosquitto, ingest and the alarm engine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.test_monitor_pages import (  # noqa: F401
    COOL,
    PASSWORD,
    PHONE,
    SENSOR,
    Api,
    Screen,
    api,
)
from tests.support.hub_server import LiveHubServer
from tests.support.mqtt import wait_until


def warm(server: LiveHubServer, first: float, second: float) -> None:
    server.send({SENSOR: {"temperature_c": first, "humidity_pct": 50.0}})
    time.sleep(1.2)  # past the rules' 1 s delay (and a new second: readings are per second)
    server.send({SENSOR: {"temperature_c": second, "humidity_pct": 50.0}})


def test_the_acknowledge_dialog_follows_its_alarm_turning_critical(
    live_hub_http: LiveHubServer, api: Api, open_page: Any, tmp_path: Path,  # noqa: F811
) -> None:
    live_hub_http.send(COOL)
    time.sleep(1.1)
    warm(live_hub_http, 7.8, 7.9)  # inside the 0.5 °C warning margin of the 8 °C limit
    [alarm] = wait_until(lambda: api.get("/alarms", kind="threshold"), what="the warning")
    assert alarm["severity"] == "warning"
    screen = Screen(open_page(live_hub_http.base_url, **PHONE), tmp_path / "dialog")
    page = screen.page
    screen.log_in("/alarms")
    item = page.locator(f"#alarms li.alarm[data-id='{alarm['id']}']")
    expect(item).to_have_attribute("data-severity", "warning")
    item.locator("button.ack").click()
    question = page.locator("#ask-question")
    expect(question).to_contain_text("Acknowledge (warning)")
    page.keyboard.type("Door open, closing it")
    screen.shot("dialog-warning")

    warm(live_hub_http, 9.4, 9.6)
    expect(question).to_contain_text("Acknowledge (critical)")
    expect(page.locator("#ask-error")).to_have_text(
        "Changed while you were typing: now critical, active.")
    expect(page.locator("#ask-text")).to_have_value("Door open, closing it")
    screen.shot("dialog-now-critical")
    page.keyboard.press("Enter")
    # A critical alarm's acknowledgement is signed (the site's default): the signature
    # dialog follows, with the comment typed kept.
    page.wait_for_selector("dialog#sign[open]")
    expect(page.locator("#sign-text")).to_have_value("Door open, closing it")
    page.fill("#sign-password", PASSWORD)
    screen.shot("dialog-sign")
    page.click("#sign-ok")
    expect(item).to_have_attribute("data-state", "acknowledged")
    expect(item).to_have_attribute("data-severity", "critical")
    done = api.get(f"/alarms/{alarm['id']}")["alarm"]
    assert (done["state"], done["severity"], done["ack_comment"]) == (
        "acknowledged", "critical", "Door open, closing it")
    assert screen.offline_page.foreign_requests() == []
