"""Real headless Chromium for page tests: Debian's chromium driven by Playwright.

`./run test` installs Debian's `chromium` and the `playwright` package; Playwright's
own browser download (`playwright install`) is never used. Fixtures:

- `chromium`: one browser per test module.
- `open_page(base_url)`: a fresh page whose network is cut to `base_url`'s origin.
  Every request the page makes is recorded; one to any other origin is aborted, so
  a test sees what a warehouse network without internet would show, and can assert
  that the page asked for nothing outside the hub (`page.foreign_requests()`).

    def test_the_alarms_page_lists_alarms(hub_http, open_page, tmp_path):
        page = open_page(hub_http.base_url)
        page.goto("/alarms")
        ...
        assert page.foreign_requests() == []
        page.screenshot(tmp_path / "alarms.png")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright

from tests.support.processes import find_binary

# Quiet, reproducible, and no traffic of the browser's own (updates, sync, safe browsing).
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root, where Chromium's sandbox cannot start
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


def launch_chromium(playwright: Playwright) -> Browser:
    binary = find_binary("chromium", "/usr/bin/chromium")
    return playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS, headless=True)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class OfflinePage:
    """A page that can reach only `origin`; `requests` holds every URL it asked for."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str, **kwargs: object) -> None:
        self.page.goto(urljoin(self.origin + "/", path.lstrip("/")), **kwargs)  # type: ignore[arg-type]

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if origin_of(url) != self.origin]

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def type_as_a_scanner(page: Page, text: str, gap_ms: float = 5) -> None:
    """`text` then Enter as a keyboard-wedge scanner types it: keys `gap_ms` apart by
    their own time stamps (what a page sees as `KeyboardEvent.timeStamp`), however long
    the test machine takes to deliver them. `page.keyboard.type(text, delay=5)` gives
    keys 5 ms apart plus the time each takes to reach the page: tens of ms on a busy
    machine, the pace of a person."""
    cdp = page.context.new_cdp_session(page)
    try:
        start = time.time()
        for n, char in enumerate(text):
            at = start + n * gap_ms / 1000
            cdp.send("Input.dispatchKeyEvent",
                     {"type": "keyDown", "key": char, "text": char, "timestamp": at})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": char, "timestamp": at})
    finally:
        cdp.detach()
    page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium: Browser) -> Iterator[Callable[..., OfflinePage]]:
    contexts = []

    def _open(base_url: str, **context_options: Any) -> OfflinePage:
        """`context_options` go to Playwright's new_context, e.g. a phone's
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True."""
        options: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, **context_options}
        context = chromium.new_context(**options)
        contexts.append(context)
        offline = OfflinePage(context.new_page(), origin_of(base_url))

        def _only_the_hub(route: Route) -> None:
            url = route.request.url
            offline.requests.append(url)
            if origin_of(url) == offline.origin:
                route.continue_()
            else:
                route.abort("internetdisconnected")

        context.route("**/*", _only_the_hub)
        offline.page.set_default_timeout(15_000)
        return offline

    yield _open
    for context in contexts:
        context.close()
