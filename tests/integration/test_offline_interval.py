"""The gateway's word on a sensor's poll interval (issue 17, defect 8): its status,
through a real Mosquitto into a hub on SQLite and PostgreSQL, carries each sensor's
`poll_interval_s`; the offline rule uses it instead of learning the interval (here
the rule's guess would be 10 minutes, and one reading teaches nothing)."""

from __future__ import annotations

import time
from collections.abc import Callable

from contract import wire
from tests.integration.test_alarms import Site, make_site  # noqa: F401 (the fixture)
from tests.support.mqtt import publish_raw, wait_until

RULES = {
    "defaults": {"expected_interval": "10m"},
    "gateways": {"status_interval": "1h"},
    "offline": [{"zone": "COLD", "intervals": 3}],
}


def test_the_offline_rule_takes_the_poll_interval_from_the_gateways_status(
    make_site: Callable[..., Site],  # noqa: F811
) -> None:
    site = make_site(RULES, ["cold-p", "cold-q"])
    status = wire.Status(state="online", ts=wire.utc_now(), devices={
        "cold-p": wire.DeviceHealth(state="ok", poll_interval_s=20),
        "cold-q": wire.DeviceHealth(state="ok")})  # says nothing: learned, as before
    publish_raw(site.mosquitto.port, wire.gateway_topic(site.site, site.gateway, "status"),
                [wire.encode(status)])
    assert site.hub is not None and site.hub.alarms is not None
    seen = site.hub.alarms._status_seen
    wait_until(lambda: site.gateway in seen, what="the status evaluated")
    site.send({"cold-p": 5.0, "cold-q": 5.0})

    site.clock.advance(61)  # three 20 s intervals without a reading from cold-p
    [alarm] = wait_until(lambda: site.alarms(kind="offline"), what="cold-p offline")
    assert (alarm["subject"], alarm["limit"]) == ("cold-p", 60)
    assert "expected every 20 s" in str(alarm["message"])
    site.clock.advance(60)  # cold-q's interval is still the rule's 10 minutes
    time.sleep(0.5)  # a few ticks of the alarm timer (0.1 s)
    assert [a["subject"] for a in site.alarms(kind="offline")] == ["cold-p"]
