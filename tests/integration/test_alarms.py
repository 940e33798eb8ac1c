"""The alarm engine against real parts: readings through a real Mosquitto into a hub
on SQLite and PostgreSQL, messages through real apprise to a real webhook
receiver and a real SMTP server. The clock is the real one shifted by what the
test says, so a 30-second delay or a 60-second escalation takes no waiting."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from contract import wire
from hub.accounts.service import create_user_with_token
from hub.app import create_app
from hub.container import Hub, assemble
from hub.settings import load_settings
from ingest.orm import Sensor
from kernel.actors import Role
from kernel.orm import Zone
from kernel.uow import run_write
from tests.support.auth import SIGN_PASSWORD, bearer_headers, signature
from tests.support.mqtt import publish_raw, wait_until
from tests.support.receivers import Smtp, Webhook
from tests.support.services import Mosquitto

_ids = itertools.count()
pytestmark = pytest.mark.timeout(120)


class ShiftedClock:
    """The real clock plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self()


def cold_rules(webhook: Webhook, smtp: Smtp | None, **extra: object) -> dict[str, object]:
    duty = [webhook.url("duty")] + ([smtp.url()] if smtp else [])
    rules: dict[str, object] = {
        "defaults": {"expected_interval": "10m"},
        "gateways": {"status_interval": "1h"},
        "thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                        "low_critical": 2, "delay": "30s", "deadband": 0.3}],
        "recipients": {"duty": {"urls": duty}, "quality": {"urls": [webhook.url("quality")]}},
        "routes": [{"name": "cold-chain", "match": {"zone": ["COLD"]},
                    "groups": ["duty", "quality"], "escalate_after": "60s"}],
        "grouping": {"window": "1s"},
    }
    rules.update(extra)
    return rules


@dataclass
class Site:
    db_url: str
    mosquitto: Mosquitto
    rules_file: Path
    clock: ShiftedClock = field(default_factory=ShiftedClock)
    hub: Hub | None = None
    client: TestClient | None = None
    gateway: str = field(default_factory=lambda: f"gw-al-{next(_ids)}")
    site: str = field(default_factory=lambda: f"site-al-{next(_ids)}")  # alarm topics
    seq: itertools.count = field(default_factory=itertools.count)  # type: ignore[type-arg]
    tokens: dict[Role, str] = field(default_factory=dict)

    def start(self) -> Hub:
        settings = load_settings(
            database_url=self.db_url, mqtt_url=self.mosquitto.url, tsdb_url=None,
            mqtt_client_id=f"hub-al-{next(_ids)}", ingest_batch_ms=20, site=self.site,
            mqtt_site=self.site,  # this site only: other tests leave retained statuses
            alarm_rules=self.rules_file, alarm_tick_s=0.1, alarm_reconcile_s=1,
            excursion_tolerance_s=60, public_url="https://hub.example.com",
            alarm_notify_backoff_s=0.1, alarm_notify_attempts=2)
        self.hub = assemble(settings, alarm_clock=self.clock)
        self.hub.start()
        wait_until(self.hub.ingest.subscriber.connected.is_set, what="hub connected")
        self.client = TestClient(create_app(self.hub, manage_lifecycle=False),
                                 headers=bearer_headers(self.hub))
        return self.hub

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.hub is not None:
            self.hub.stop()

    def api(self, method: str, path: str, role: Role | None = None, **kw: object) -> object:
        assert self.client is not None
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        headers.update(kw.pop("headers", None) or {})  # type: ignore[call-overload]
        answer = self.client.request(method, f"/api/v1{path}", headers=headers, **kw)  # type: ignore[arg-type]
        assert answer.status_code < 300, answer.text
        return answer.json()

    def send(self, values: dict[str, float | None], at: datetime | None = None) -> None:
        """One telemetry message; a None value is a bad-quality reading."""
        ts = at or self.clock()
        ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)  # the wire keeps ms
        readings = [wire.Reading(sensor=s, ts=ts, quantities={"temperature_c": v})
                    if v is not None else
                    wire.Reading(sensor=s, ts=ts, quality=wire.Quality.BAD, error="timeout")
                    for s, v in values.items()]
        payload = wire.encode(wire.Telemetry(gateway=self.gateway, seq=next(self.seq),
                                             readings=readings))
        publish_raw(self.mosquitto.port, wire.gateway_topic(self.site, self.gateway, "telemetry"),
                    [payload])
        assert self.hub is not None and self.hub.alarms is not None
        seen = self.hub.alarms._seen
        wait_until(lambda: all(seen.get(s) == ts for s in values), what="readings evaluated")

    def alarms(self, state: str = "open", kind: str = "threshold") -> list[dict[str, object]]:
        return self.api("GET", "/alarms", params={  # type: ignore[return-value]
            "state": state, "kind": kind})


def seed(hub: Hub, sensors: list[str], tokens: dict[Role, str]) -> None:
    headers = bearer_headers(hub)
    with TestClient(create_app(hub, manage_lifecycle=False), headers=headers) as client:
        for path, body in (
            ("/storage-classes", {"code": "2-8C", "name": "fridge", "temp_min_c": 2,
                                  "temp_max_c": 8}),
            ("/zones", {"code": "COLD", "name": "Cold room", "storage_class": "2-8C"}),
            ("/locations", {"code": "C-01", "zone": "COLD"}),
            ("/items", {"sku": "VAC", "name": "vaccine", "storage_class": "2-8C",
                        "min_stock": 50}),
        ):
            assert client.post(f"/api/v1{path}", json=body).status_code == 201
        answer = client.post("/api/v1/moves/receive", json={
            "item": "VAC", "lot_number": "L1", "expiry": "2099-12-31", "quantity": 10,
            "location": "C-01"}, headers={**headers, "Idempotency-Key": "seed-receive"})
        assert answer.status_code == 201, answer.text
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        with hub.writes() as session:
            tokens[role] = create_user_with_token(session, f"{role.value}-al", role,
                                                  SIGN_PASSWORD, f"{role.value} al").token

    def work() -> None:
        zone = session.query(Zone).filter_by(code="COLD").one()
        for sensor in sensors:
            session.add(Sensor(id=sensor, name=sensor, zone_id=zone.id))

    with hub.writes() as session:
        run_write(session, work)


@pytest.fixture
def make_site(db_url: str, mosquitto: Mosquitto, tmp_path: Path
              ) -> Iterator[Callable[..., Site]]:
    sites: list[Site] = []

    def make(rules: dict[str, object], sensors: list[str]) -> Site:
        rules_file = tmp_path / f"alarms-{len(sites)}.yaml"
        rules_file.write_text(yaml.safe_dump(rules))
        bootstrap = Hub.build(load_settings(database_url=db_url))
        tokens: dict[Role, str] = {}
        seed(bootstrap, sensors, tokens)
        bootstrap.engine.dispose()
        site = Site(db_url, mosquitto, rules_file, tokens=tokens)
        sites.append(site)
        site.start()
        return site

    yield make
    for site in sites:
        site.stop()


def retained(port: int, topic_filter: str, wait: float = 1.5) -> dict[str, bytes]:
    """What a subscriber connecting now gets: the retained messages, by topic."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got: dict[str, bytes] = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"retained-{next(_ids)}")
    client.on_connect = lambda c, *_: c.subscribe(topic_filter, qos=1)
    client.on_message = lambda _c, _u, m: got.__setitem__(m.topic, m.payload) if m.retain \
        else None
    client.connect("127.0.0.1", port)
    client.loop_start()
    time.sleep(wait)
    client.loop_stop()
    client.disconnect()
    return got


def bodies(hook: Webhook, path: str) -> list[str]:
    return [f"{r.body.get('title')}\n{r.body.get('message')}" for r in hook.at(path)]


def test_a_cooling_failure_raises_one_alarm_escalates_holds_the_lots_and_clears(
    make_site: Callable[..., Site], webhook: Webhook, smtp: Smtp,
) -> None:
    site = make_site(cold_rules(webhook, smtp), ["cold-a"])
    site.send({"cold-a": 5.0})
    site.send({"cold-a": 9.0}, site.clock.advance(1))
    pending = site.api("GET", "/alarms/pending")
    assert [p["subject"] for p in pending] == ["cold-a"]  # type: ignore[index, union-attr]
    assert site.alarms() == []  # inside the delay: nothing raised

    site.send({"cold-a": 9.4}, site.clock.advance(31))
    [alarm] = wait_until(site.alarms, what="the alarm raised")
    assert (alarm["state"], alarm["severity"], alarm["zone"]) == ("active", "critical", "COLD")
    duty = wait_until(lambda: bodies(webhook, "duty"), what="the duty webhook told")
    mail = wait_until(lambda: smtp.messages, what="the duty e-mail")
    assert len(duty) == 1 and len(mail) == 1
    assert "Cold room (COLD)" in duty[0] and "8.0 °C" in duty[0] and "9." in duty[0]
    assert f"https://hub.example.com/alarms/{alarm['id']}" in duty[0]
    text = "".join(part.get_payload(decode=True).decode() for part in mail[0].walk()
                   if not part.is_multipart())
    assert "Cold room (COLD)" in text and mail[0]["To"] == "duty@example.com"
    assert bodies(webhook, "quality") == []
    topic = wire.alarm_topic(site.site, alarm["id"])  # type: ignore[arg-type]
    on_mqtt = retained(site.mosquitto.port, f"stockwarden/v1/{site.site}/alarms/#")
    event = wire.decode(wire.AlarmEvent, on_mqtt[topic])
    assert (event.state, event.kind, event.zone, event.limit) == ("active", "threshold", "COLD", 8)

    # Nobody acknowledges for 60 s: quality is told too. The excursion has been beyond
    # the critical limit longer than the 60 s tolerance: the lot goes on hold.
    site.clock.advance(61)
    quality = wait_until(lambda: bodies(webhook, "quality"), what="the escalation")
    assert "unacknowledged" in quality[0]
    lots = wait_until(lambda: [lot for lot in site.api("GET", "/lots")  # type: ignore[union-attr]
                               if lot["qc_status"] == "on_hold"], what="the lot on hold")
    assert [lot["lot_number"] for lot in lots] == ["L1"]

    acked = site.api("POST", f"/alarms/{alarm['id']}/acknowledge", Role.OPERATOR,
                     json={"comment": "compressor tripped, technician called",
                           "signature": signature("reviewed")})  # critical: signed
    assert acked["state"] == "acknowledged"  # type: ignore[index]
    assert acked["acked_by"] == "operator-al"  # type: ignore[index]

    site.send({"cold-a": 7.8}, site.clock.advance(5))  # inside the deadband: stays raised
    assert site.alarms()[0]["state"] == "acknowledged"
    site.send({"cold-a": 7.5}, site.clock.advance(5))
    detail = wait_until(lambda: (d := site.api("GET", f"/alarms/{alarm['id']}"))
                        ["alarm"]["state"] == "closed" and d, what="closed")  # type: ignore[index]
    assert [e["event"] for e in detail["events"]] == ["raised", "acknowledged", "cleared"]
    assert detail["events"][1]["comment"] == "compressor tripped, technician called"
    assert len(site.alarms("all")) == 1  # exactly one alarm for the whole story
    assert topic not in retained(site.mosquitto.port, f"stockwarden/v1/{site.site}/alarms/#")
    # Acknowledged and then cleared: everyone who was told hears that it cleared.
    wait_until(lambda: len(bodies(webhook, "quality")) == 2, what="quality told of the clear")
    assert "cleared" in bodies(webhook, "quality")[1] and "cleared" in bodies(webhook, "duty")[1]

    [excursion] = site.api("GET", "/alarms/excursions", params={"zone": "COLD"})  # type: ignore[misc]
    assert excursion["end"] is not None and excursion["peak"] == 9.4
    assert excursion["tolerance_passed"] and excursion["held_lots"] == ["L1"]
    assert excursion["critical_s"] >= 60

    # Quality reviews the held lot: release needs a supervisor and a reason.
    lot_id = lots[0]["id"]
    refused = site.client.post(f"/api/v1/lots/{lot_id}/qc-status", json={  # type: ignore[union-attr]
        "status": "released", "reason": "ok"}, headers={
        "Authorization": f"Bearer {site.tokens[Role.OPERATOR]}", "Idempotency-Key": "release-1"})
    assert refused.status_code == 403
    released = site.client.post(f"/api/v1/lots/{lot_id}/qc-status", json={  # type: ignore[union-attr]
        "status": "released", "reason": "stability data covers 95 min at 9.4 °C",
        "signature": signature("released")}, headers={
        "Authorization": f"Bearer {site.tokens[Role.SUPERVISOR]}", "Idempotency-Key": "release-2"})
    assert released.status_code == 200, released.text
    # The audit trail has both: the alarm engine's hold, as `system`, and the release.
    trail = site.api("GET", "/audit", Role.SUPERVISOR, params={"entity": "lot",
                                                              "key": "VAC/L1"})
    held, release = trail  # type: ignore[misc]
    assert (held["actor"], held["via"], held["before"], held["after"]) == (
        "system", "alarm engine", {"qc_status": "released"}, {"qc_status": "on_hold"})
    assert release["reason"] == "stability data covers 95 min at 9.4 °C"
    sent = site.api("GET", "/alarms/notifications", params={"status": "sent"})
    assert {n["target"] for n in sent} >= {"json#0", "mailto#1"}  # type: ignore[index, union-attr]


def test_a_spike_shorter_than_the_delay_and_a_wobble_in_the_deadband_raise_one_alarm_at_most(
    make_site: Callable[..., Site], webhook: Webhook,
) -> None:
    site = make_site(cold_rules(webhook, None), ["cold-b"])
    site.send({"cold-b": 5.0})
    site.send({"cold-b": 9.5}, site.clock.advance(1))  # the door opens
    site.send({"cold-b": 6.0}, site.clock.advance(20))  # and closes within the delay
    site.send({"cold-b": None}, site.clock.advance(20))  # a bad reading raises nothing
    site.clock.advance(60)
    site.send({"cold-b": 6.0})
    assert site.alarms("all") == []

    site.send({"cold-b": 8.5}, site.clock.advance(1))
    site.send({"cold-b": 8.4}, site.clock.advance(31))
    wait_until(site.alarms, what="raised")
    for value in (7.9, 8.2, 7.8, 8.1, 7.75):  # across the limit, never below 7.7
        site.send({"cold-b": value}, site.clock.advance(10))
    site.clock.advance(2)
    wait_until(lambda: bodies(webhook, "duty"), what="told")
    assert [a["state"] for a in site.alarms("all")] == ["active"]
    assert len(bodies(webhook, "duty")) == 1


def test_a_restarted_hub_keeps_the_active_alarm_and_tells_nobody_twice(
    make_site: Callable[..., Site], webhook: Webhook,
) -> None:
    site = make_site(cold_rules(webhook, None), ["cold-c"])
    site.send({"cold-c": 9.0})
    site.send({"cold-c": 9.1}, site.clock.advance(31))
    [alarm] = wait_until(site.alarms, what="raised")
    wait_until(lambda: bodies(webhook, "duty"), what="told")
    site.stop()
    site.start()
    site.send({"cold-c": 9.2}, site.clock.advance(5))
    site.clock.advance(2)
    wait_until(lambda: site.hub.alarms.dispatcher.idle(), what="dispatcher idle")  # type: ignore[union-attr]
    assert [(a["id"], a["state"]) for a in site.alarms()] == [(alarm["id"], "active")]
    assert len(bodies(webhook, "duty")) == 1


def test_silence_raises_offline_and_forty_sensors_make_one_message_per_route(
    make_site: Callable[..., Site], webhook: Webhook,
) -> None:
    sensors = [f"bay-{i:02d}" for i in range(40)]
    rules = cold_rules(webhook, None, defaults={"expected_interval": "30s"},
                       grouping={"window": "2s"})
    rules["routes"] = [{"name": "offline", "match": {"kind": ["offline"]}, "groups": ["duty"]},
                       {"name": "quality", "match": {"kind": ["offline"]},
                        "groups": ["quality"]}]
    site = make_site(rules, sensors)
    site.send(dict.fromkeys(sensors, 5.0))  # the last value stays static: 5.0
    site.clock.advance(95)  # 3 intervals of 30 s without a reading
    offline = wait_until(lambda: len(a := site.alarms(kind="offline")) == 40 and a,
                         what="40 offline alarms")
    assert {a["kind"] for a in offline} == {"offline"}
    site.clock.advance(3)
    wait_until(lambda: bodies(webhook, "duty") and bodies(webhook, "quality"), what="told")
    site.clock.advance(3)
    assert len(bodies(webhook, "duty")) == 1 and len(bodies(webhook, "quality")) == 1
    assert "40 alarm changes" in bodies(webhook, "duty")[0]


def test_the_gateway_offline_alarm_fires_from_the_last_will(
    make_site: Callable[..., Site], webhook: Webhook,
) -> None:
    site = make_site(cold_rules(webhook, None), ["cold-d"])
    topic = wire.gateway_topic(site.site, site.gateway, "status")
    online = wire.Status(state="online", ts=wire.utc_now())
    publish_raw(site.mosquitto.port, topic, [wire.encode(online)])
    will = wire.Status(state="offline", ts=wire.utc_now())
    publish_raw(site.mosquitto.port, topic, [wire.encode(will)])
    [alarm] = wait_until(lambda: site.alarms(kind="gateway_offline"),
                         what="the gateway-offline alarm")
    assert (alarm["kind"], alarm["subject"]) == ("gateway_offline", site.gateway)
    assert "last will" in alarm["message"]


def test_a_failing_route_is_recorded_and_counted_not_a_crash(
    make_site: Callable[..., Site], webhook: Webhook,
) -> None:
    webhook.status = 500
    site = make_site(cold_rules(webhook, None), ["cold-e"])
    site.send({"cold-e": 9.0})
    site.send({"cold-e": 9.1}, site.clock.advance(31))
    failed = wait_until(lambda: site.api("GET", "/alarms/notifications",
                                         params={"status": "failed"}), what="a failed send")
    assert failed[0]["attempts"] == 2 and failed[0]["route"] == "cold-chain"  # type: ignore[index]
    assert "127.0.0.1" not in (failed[0]["target"])  # type: ignore[index]
    metrics = site.client.get("/metrics").text  # type: ignore[union-attr]
    assert 'stockwarden_alarm_notifications_total{route="cold-chain",status="failed"}' in metrics
    assert 'stockwarden_alarms{severity="critical",state="active"} 1.0' in metrics


def test_expiry_and_stock_alarms_come_from_inventory_data_and_expired_lots_never_go_out(
    make_site: Callable[..., Site], webhook: Webhook,
) -> None:
    from sqlalchemy import update

    from inventory.orm import Lot

    rules = cold_rules(webhook, None, site_timezone="Asia/Shanghai", digest={"at": "00:00"})
    rules["routes"] = [*rules["routes"], {  # type: ignore[list-item]
        "name": "stock", "match": {"kind": ["expiry", "expired", "low_stock"]},
        "groups": ["duty"]}]
    site = make_site(rules, ["cold-f"])
    # The seed: 10 vaccines on hand against a minimum of 50.
    [low] = wait_until(lambda: site.alarms(kind="low_stock"), what="the low-stock alarm")
    assert (low["subject"], low["severity"]) == ("VAC", "warning")
    # The day's digest (due since 00:00 Shanghai time) lists it, once a day.
    [digest] = wait_until(lambda: bodies(webhook, "duty"), what="the daily digest")
    assert digest.startswith("Stock digest") and "vaccine (VAC): 10 on hand" in digest

    def receive(lot: str, days: int, quantity: int) -> None:
        expiry = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
        site.api("POST", "/moves/receive", Role.OPERATOR, json={
            "item": "VAC", "lot_number": lot, "expiry": expiry, "quantity": quantity,
            "location": "C-01"}, headers={"Idempotency-Key": f"receive-{lot}"})

    receive("SOON", 5, 5)
    receive("OLD", 1, 5)
    assert site.hub is not None
    with site.hub.writes() as session:  # a day passes for lot OLD
        session.execute(update(Lot).where(Lot.lot_number == "OLD").values(
            expiry=datetime.now(UTC).date() - timedelta(days=1)))
        session.commit()
    receive("FRESH", 400, 100)  # a stock change: the expiry and stock checks run again
    expired = wait_until(lambda: site.alarms(kind="expired"), what="the expired-lot alarm")
    assert [(a["subject"], a["severity"]) for a in expired] == [("OLD", "critical")]
    [expiry] = site.alarms(kind="expiry")
    assert expiry["subject"] == "SOON" and "within 7 days" in expiry["message"]
    wait_until(lambda: [a["state"] for a in site.alarms("all", "low_stock")] == ["cleared"],
               what="low stock cleared by the receipt")

    # FEFO would pick OLD first: an expired lot is never dispatched.
    booking = site.api("POST", "/moves/dispatch", Role.OPERATOR, json={
        "item": "VAC", "quantity": 8}, headers={"Idempotency-Key": "dispatch-fefo"})
    assert "OLD" not in {line["lot_number"] for line in booking["lines"]}  # type: ignore[index]
    refused = site.client.post("/api/v1/moves/dispatch", json={  # type: ignore[union-attr]
        "item": "VAC", "quantity": 1, "lot_number": "OLD", "reason": "customer asked"},
        headers={"Authorization": f"Bearer {site.tokens[Role.OPERATOR]}",
                 "Idempotency-Key": "dispatch-old"})
    assert refused.status_code in (409, 422), refused.text
    assert len(bodies(webhook, "duty")) == 1  # findings go in the digest, not one by one
