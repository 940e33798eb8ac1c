"""The alarms page's "Send test alarm" in real headless Chromium, against the whole hub
over HTTP with a real webhook receiving through apprise: Escape cancels and sends
nothing, Enter sends (through every route, the dialog's default); the page shows the
recipient delivered; the message's confirm link, opened in the browser, confirms
nothing until its button is pressed, then records who."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.support.auth import signature
from tests.support.hub_server import LiveHubServer
from tests.support.mqtt import wait_until
from tests.support.receivers import Webhook, webhook  # noqa: F401  (the fixture)

PASSWORD = "supervisor-password-1"
LINK = re.compile(r"https?://[^\s/]+(/alarm-tests/confirm/[A-Za-z0-9_-]+)")


def call(server: LiveHubServer, method: str, path: str, body: Any = None, **params: Any
         ) -> Any:
    answer = httpx.request(method, f"{server.base_url}/api/v1{path}", json=body,
                           params=params, timeout=10, headers={
                               **server.admin_headers, "Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code < 300, answer.text
    return answer.json()


def test_a_supervisor_sends_a_test_alarm_with_the_keyboard_and_it_is_confirmed(
    live_hub_http: LiveHubServer, webhook: Webhook, open_page: Any,  # noqa: F811
) -> None:
    server = live_hub_http
    call(server, "PUT", "/alarms/rules", {
        "recipients": {"duty": {"urls": [webhook.url("duty")]}},
        "routes": [{"name": "cold-chain", "groups": ["duty"]}],
        "signature": signature("approved")}, reason="e2e")
    call(server, "POST", "/users", {"username": "sue", "role": "supervisor",
                                    "password": PASSWORD, "full_name": "Sue Supervisor"})
    offline = open_page(server.base_url)
    page = offline.page
    offline.goto("/alarms")
    page.fill("#username", "sue")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    send = page.locator("#send-test")
    expect(send).to_be_visible()
    dialog = page.locator("dialog#ask")

    send.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Through which route?")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    time.sleep(0.5)
    assert call(server, "GET", "/alarms/tests") == []

    send.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")  # "every route", offered in the text box
    expect(dialog).to_be_hidden()
    expect(page.locator("#tests-status")).to_contain_text("sent to 1 recipients (every route)")
    test = page.locator("#tests li.test").first
    expect(test).to_have_attribute("data-finished", "true", timeout=20_000)
    expect(test).to_contain_text("1 delivered, 0 failed, 0 confirmed of 1")
    [stored] = call(server, "GET", "/alarms/tests")
    assert stored["requested_by"] == "sue" and stored["complete"]

    received = wait_until(lambda: webhook.at("duty"), what="the test message")
    link = LINK.search(received[0].body["message"])
    assert link is not None
    offline.goto(link.group(1))
    expect(page.locator("#confirm-route")).to_have_text("cold-chain")
    assert call(server, "GET", f"/alarms/tests/{stored['id']}")["confirmed"] == 0
    page.fill("#confirm-name", "Sue Smith")
    page.click("#confirm-button")
    expect(page.locator("#confirm-done")).to_contain_text("Confirmed by Sue Smith")
    after = call(server, "GET", f"/alarms/tests/{stored['id']}")
    assert after["recipients"][0]["confirmed_by"] == "Sue Smith"
    assert offline.foreign_requests() == []
