"""Regression tests of the handheld defects of issue 18, item 9, in real Chromium on a
phone-sized screen: identify on an unknown GTIN is an error (not green with the OK
beep); the queue's badge counts what waits to be sent, never refused entries; one
label read twice within 100 ms books once and says so; the buttons "Clear", "Send
now", "Seen" and "Log out" are at least 48 px high; the dialog's input has a label;
an operator lands on the handheld page after the login. Screenshots under tmp_path."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.test_handheld_page import (  # fixtures and helpers of the handheld tests
    ABC123,
    PASSWORD,
    PHONE,
    Api,
    Handheld,
    api,  # noqa: F401
    handheld,  # noqa: F401
)
from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

# A well-formed GS1 label of a GTIN no item has (the check digit is right).
UNKNOWN = "]d2010401234567890117291130" + "10LOT-X"
TOUCH_PX = 48


def read_twice(page: Page, text: str, gap_ms: float = 5) -> None:
    """`text` + Enter twice, every key `gap_ms` after the one before by its own time
    stamp, as a scanner that reads one label twice types it: the second read starts
    5 ms after the first one's Enter, however busy the test machine is. The stamps end
    now, not in the future: a read typed after this one must not start within 100 ms of
    a stamped Enter that has not happened yet."""
    cdp = page.context.new_cdp_session(page)
    try:
        at = time.time() - 2 * (len(text) + 1) * gap_ms / 1000
        for _ in range(2):
            for char in text:
                at += gap_ms / 1000
                cdp.send("Input.dispatchKeyEvent",
                         {"type": "keyDown", "key": char, "text": char, "timestamp": at})
                cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": char, "timestamp": at})
            at += gap_ms / 1000
            enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "timestamp": at}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **enter})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **enter})
    finally:
        cdp.detach()


def height(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["height"]


def test_identify_on_an_unknown_gtin_is_an_error_not_a_green_ok(
    handheld: Handheld,  # noqa: F811
) -> None:
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=identify]")
    handheld.scan(UNKNOWN)
    handheld.expect_said("error", "Unknown product")
    expect(handheld.feedback()).to_contain_text("GTIN 04012345678901 is not on file")
    assert page.evaluate("document.body.dataset.lastBeep") == "error"
    handheld.shot("identify-unknown")
    handheld.scan(ABC123)  # a known one is still green
    handheld.expect_said("ok", "VAC-1")
    assert page.evaluate("document.body.dataset.lastBeep") == "ok"


def test_the_badge_counts_no_refused_entry_and_the_buttons_are_48_px(
    handheld: Handheld,  # noqa: F811
) -> None:
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=receive]")
    handheld.scan("LOC:F-01")
    handheld.scan(UNKNOWN)  # the hub refuses it: no item has this GTIN
    refused = handheld.queue("refused")
    expect(refused).to_have_count(1, timeout=20_000)
    expect(page.locator("#queue-count")).to_have_text("0")  # nothing waits to be sent
    handheld.shot("refused-badge-zero")
    for selector in ("#qty-clear", "#sync-now", "#queue li[data-state=refused] button",
                     "#logout"):
        assert height(page, selector) >= TOUCH_PX, selector
    handheld.tap("[data-mode=dispatch]")
    assert height(page, "#pick-clear") >= TOUCH_PX


def test_one_label_read_twice_within_100_ms_books_once_and_says_so(
    handheld: Handheld, api: Api,  # noqa: F811
) -> None:
    page = handheld.page
    handheld.login()
    handheld.tap("[data-mode=receive]")
    handheld.scan("LOC:F-01")
    handheld.tap("#qty")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    handheld.wait_until("() => document.activeElement.id === 'scan'", timeout_s=2)
    read_twice(page, ABC123)
    handheld.expect_said("warn", "read twice within 100 ms")
    expect(handheld.feedback()).to_contain_text("Received VAC-1: 5")
    handheld.shot("read-twice")
    assert api.on_hand("ABC123") == 5
    assert len(api.moves("receive")) == 1
    # The same label scanned again on purpose, later, is a second receipt.
    handheld.tap("#qty")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    handheld.scan(ABC123)
    handheld.expect_said("ok", "Received VAC-1: 5")
    assert api.on_hand("ABC123") == 10


def test_the_dialogs_input_has_a_label(handheld: Handheld) -> None:  # noqa: F811
    page = handheld.page
    handheld.login()
    handheld.tap("#location")
    expect(page.locator("#ask")).to_be_visible()
    expect(page.get_by_label("Bin code")).to_have_id("ask-text")
    handheld.shot("dialog-labelled")
    page.click("#ask button[value=cancel]")


def test_an_operator_lands_on_the_handheld_page_after_the_login(
    hub_http: HubServer, api: Api,  # noqa: F811
    open_page: Callable[..., OfflinePage],
) -> None:
    page = open_page(hub_http.base_url, **PHONE)
    page.goto("/login")
    page.page.fill("#username", "picker")
    page.page.fill("#password", PASSWORD)
    page.page.click("button[type=submit]")
    expect(page.page).to_have_url(f"{page.origin}/handheld")


def test_every_pages_link_is_in_sight_on_a_360_px_phone(handheld: Handheld) -> None:  # noqa: F811
    page = handheld.page
    handheld.login()
    links = page.locator("header.site nav.pages a")
    expect(links).to_have_count(5)  # Overview, Alarms, Handheld, Reports, Stocktakes
    for index in range(5):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (
            links.nth(index).text_content(), box)
    handheld.shot("nav-in-sight")
