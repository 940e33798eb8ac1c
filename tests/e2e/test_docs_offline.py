"""/docs works on a network with no internet: real headless Chromium, every request
outside the hub refused and recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer


def test_swagger_ui_lists_the_operations_with_only_the_hub_reachable(
    hub_http: HubServer, open_page: Callable[[str], OfflinePage], tmp_path: Path
) -> None:
    page = open_page(hub_http.base_url)
    page.goto("/docs")
    zones = page.page.locator(".opblock-get", has=page.page.locator(
        ".opblock-summary-path", has_text="/api/v1/zones")).first
    # The hub builds its OpenAPI document on the first request and Swagger UI renders a
    # few hundred operations: seconds of CPU each, more than the pages' 15 s default
    # allows when the machine runs other tests beside this one.
    zones.wait_for(state="visible", timeout=60_000)
    assert zones.locator(".opblock-summary-method").inner_text() == "GET"
    assert page.page.get_by_text("POST", exact=True).count() > 0
    shot = page.screenshot(tmp_path / "docs.png")
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
    assert page.foreign_requests() == []
    # It did load its scripts and styles, from the hub.
    assert any(url.endswith("/swagger-ui-bundle.js") for url in page.requests), page.requests
    assert any(url.endswith("/openapi.json") for url in page.requests), page.requests

