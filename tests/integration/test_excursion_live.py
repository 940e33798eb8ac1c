"""An excursion under way shows its figures as the readings arrive (issue 18, item 5):
for 30 minutes at 12.0 °C the API said "peak 7.6, beyond critical 0 s" (the figures of
its first reading, stored only when it started and ended). Now the peak, the time
beyond the critical level, the last value and the tolerance left move with every
reading and tick, through a real Mosquitto into the hub, and the excursion's page
data names the lots it will hold, then those it held."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.test_alarms import Site, make_site  # noqa: F401 (the fixture)
from tests.support.auth import signature
from tests.support.mqtt import wait_until

pytestmark = pytest.mark.timeout(120)

RULES = {
    "defaults": {"expected_interval": "10m"},
    "gateways": {"status_interval": "1h"},
    "thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                    "low_critical": 2, "delay": "30s", "deadband": 0.3}],
}


def test_an_excursion_in_progress_shows_live_figures_and_the_lots_it_will_hold(
    make_site: Callable[..., Site],  # noqa: F811
) -> None:
    site = make_site(RULES, ["cold-1"])
    site.api("PATCH", "/storage-classes/2-8C", json={"excursion_tolerance_s": 120,
                                                        "signature": signature("approved")},
             params={"reason": "stability data"})
    assert site.hub is not None and site.hub.alarms is not None
    alarms = site.hub.alarms
    wait_until(lambda: alarms.evaluator is not None
               and alarms.evaluator.book.tolerance("COLD") == 120, what="tolerance in use")
    site.send({"cold-1": 5.0})
    site.send({"cold-1": 8.6}, site.clock.advance(10))
    [first] = wait_until(lambda: site.api("GET", "/alarms/excursions",
                                          params={"zone": "COLD"}), what="an excursion")
    assert (first["peak"], first["end"], first["last_value"]) == (8.6, None, 8.6)

    site.send({"cold-1": 12.0}, site.clock.advance(60))

    def detail() -> dict[str, Any]:
        return site.api("GET", f"/alarms/excursions/{first['id']}")  # type: ignore[return-value]

    now = wait_until(lambda: (d := detail())["excursion"]["peak"] == 12.0 and d,
                     what="the peak of the reading just in")
    x = now["excursion"]
    assert x["last_value"] == 12.0 and x["severity"] == "critical" and x["end"] is None
    assert x["critical_s"] >= 60 and x["tolerance_s"] == 120
    assert x["tolerance_left_s"] == pytest.approx(120 - x["critical_s"])
    assert now["zone_name"] == "Cold room"
    assert [lot["lot_number"] for lot in now["to_hold"]] == ["L1"] and now["held"] == []
    # The list agrees with the page's figures (the alarms page reads it).
    [listed] = site.api("GET", "/alarms/excursions", params={"zone": "COLD"})  # type: ignore[misc]
    assert listed["peak"] == 12.0

    # (The hub refuses readings stamped far ahead of its clock: the test's clock stays
    # within minutes of the real one.)
    # No new reading: the ticks carry 12.0 on, the time beyond grows, the time left shrinks.
    site.clock.advance(30)
    later = wait_until(lambda: (d := detail())["excursion"]["critical_s"] >= 90 and d,
                       what="time beyond the limit growing with the ticks")
    assert later["excursion"]["tolerance_left_s"] <= 30
    assert later["excursion"]["peak"] == 12.0

    # Past the tolerance: the lots are held, named as held, none left to hold.
    site.clock.advance(60)
    held = wait_until(lambda: (d := detail())["held"] and d, what="the zone's lots held")
    assert held["excursion"]["tolerance_left_s"] == 0
    assert [(lot["lot_number"], lot["qc_status"]) for lot in held["held"]] == [("L1", "on_hold")]
    assert held["to_hold"] == []
    assert held["excursion"]["hold_reason"].startswith("excursion in Cold room (COLD) since ")

    site.send({"cold-1": 5.0}, site.clock.advance(5))
    ended = wait_until(lambda: (d := detail())["excursion"]["end"] and d, what="ended")
    assert ended["excursion"]["peak"] == 12.0 and ended["excursion"]["last_value"] == 5.0


def test_an_unknown_excursion_is_a_404(make_site: Callable[..., Site]) -> None:  # noqa: F811
    site = make_site(RULES, ["cold-1"])
    assert site.client is not None
    missing = site.client.get("/api/v1/alarms/excursions/424242")
    assert missing.status_code == 404 and missing.json()["error"] == "excursion_not_found"
