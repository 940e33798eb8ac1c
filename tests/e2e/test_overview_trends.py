"""The overview's zone tiles (issue 18, item 7) in real headless Chromium against the
whole hub: each sensor named on its tile (not "10.5 / 4.4 °C" unnamed), a 24-hour trend
per zone drawn by the hub as SVG with the allowed band between its limits, the band
moving when the zone's limits are changed over the API (no reload), a click through to
the zone's report, and a link to the excursion under way. At 1366x850 and 360x740."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.test_monitor_pages import COOL, PHONE, SENSOR, Api, Screen, api  # noqa: F401
from tests.support.auth import signature
from tests.support.hub_server import LiveHubServer
from tests.support.mqtt import wait_until

DESKTOP = {"viewport": {"width": 1366, "height": 850}}
DOOR = "cold-door"


def trend_svg(screen: Screen, zone: str) -> str:
    return screen.page.evaluate(
        "async (zone) => { const img = document.querySelector("
        "`#zones li.tile[data-zone=${zone}] img.trend`);"
        " return img && img.complete && img.naturalWidth ? (await fetch(img.src)).text() : ''; }",
        zone)


def test_tiles_name_their_sensors_draw_a_trend_and_follow_a_limit_change(
    live_hub_http: LiveHubServer, api: Api, open_page: Any, tmp_path: Path,  # noqa: F811
) -> None:
    api.post("/sensors", {"id": DOOR, "name": "door", "zone": "COLD"})
    live_hub_http.send(COOL)
    live_hub_http.send({DOOR: {"temperature_c": 4.4}})
    screen = Screen(open_page(live_hub_http.base_url, **DESKTOP), tmp_path / "desktop")
    screen.log_in("/")
    page = screen.page
    started = time.monotonic()
    screen.offline_page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    print(f"load time, overview (desktop): {(time.monotonic() - started) * 1000:.0f} ms")
    page.evaluate("() => { window.notReloaded = true; }")
    cold = page.locator("#zones li.tile[data-zone=COLD]")
    expect(cold.locator(".sensor-value", has_text="cold room wall").first).to_contain_text(
        "5.0 °C")
    expect(cold.locator(".sensor-value", has_text="door")).to_contain_text("4.4 °C")
    screen.wait_until("() => { const i = document.querySelector("
                      "'#zones li.tile[data-zone=COLD] img.trend');"
                      " return i !== null && i.complete && i.naturalWidth > 0; }")
    svg = trend_svg(screen, "COLD")
    assert "limit 8 °C" in svg and "limit 2 °C" in svg and 'class="allowed"' in svg
    band_before = page.evaluate("() => document.querySelector("
                                "'#zones li.tile[data-zone=COLD] a.trend-link').dataset.limits")
    screen.shot("trend")

    # The quality manager widens the class's upper limit: the band follows, no reload.
    api.call("PATCH", "/storage-classes/2-8C", {"temp_max_c": 10,
                                                "signature": signature("approved")},
             reason="stability data")
    screen.wait_until("() => document.querySelector('#zones li.tile[data-zone=COLD] "
                      f"a.trend-link').dataset.limits !== '{band_before}'", timeout_s=20)
    wait_until(lambda: "limit 10 °C" in trend_svg(screen, "COLD"), timeout=15,
               what="the trend's band at the new limit")
    svg = trend_svg(screen, "COLD")
    assert "limit 8 °C" not in svg and "limit 2 °C" in svg
    expect(cold).to_contain_text("Temperature 2\u201310")  # an en dash
    screen.assert_not_reloaded()
    screen.shot("band-moved")

    # An excursion under way: the tile links to its page.
    live_hub_http.send({SENSOR: {"temperature_c": 11.5, "humidity_pct": 50.0}})
    link = cold.locator(".excursion-link a")
    expect(link).to_contain_text("Excursion since")
    screen.shot("excursion-link")

    # A click on the trend opens the zone's report.
    cold.locator("a.trend-link").click()
    page.wait_for_url("**/reports?zone=COLD")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("() => document.querySelector('#zone-form').zone.value") == "COLD"
    assert screen.offline_page.foreign_requests() == []

    phone = Screen(open_page(live_hub_http.base_url, **PHONE), tmp_path / "phone")
    phone.log_in("/")
    tile = phone.page.locator("#zones li.tile[data-zone=COLD]")
    expect(tile.locator(".sensor-value", has_text="door")).to_be_visible()
    phone.wait_until("() => { const i = document.querySelector("
                     "'#zones li.tile[data-zone=COLD] img.trend');"
                     " return i !== null && i.complete && i.naturalWidth > 0; }")
    width = phone.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, width  # nothing wider than the phone
    phone.shot("phone")
    assert phone.offline_page.foreign_requests() == []
