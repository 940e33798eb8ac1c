"""Three hub processes on one PostgreSQL and one Mosquitto, every one able to run the
alarm engine: exactly one leads. The cooling-failure story with the leader SIGKILLed
while the alarm is pending and again while it is active: the alarm is raised once,
escalated once, acknowledged through a standby, cleared once, and every message
arrives exactly once at a real SMTP server. Then the same with the leader's database
connection cut (a proxy between it and PostgreSQL that stops forwarding, its sockets
left open): it stops, another takes over, and nothing is told twice."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import yaml

from alerts import repository
from alerts.model import AlarmKey, AlarmKind, Event, Phase, Severity, Transition
from hub.container import Hub
from hub.settings import load_settings
from tests.support.auth import bearer_headers, signature
from tests.support.hub_cluster import Cluster, Feed, HubProcess, hub_env, seed_cold_room, sql
from tests.support.hub_server import LiveHubServer
from tests.support.mqtt import wait_until
from tests.support.receivers import Smtp
from tests.support.services import Mosquitto, Postgres
from tests.support.tcp_proxy import proxy_to

_ids = itertools.count()

SIGNED = signature("reviewed")  # a critical alarm's acknowledgement is signed


def mails(smtp: Smtp) -> list[tuple[str, str]]:
    """(recipient, subject) of every message that arrived, in order."""
    def one(message: Message) -> tuple[str, str]:
        return str(message["To"]), " ".join(str(message["Subject"]).split())
    return [one(m) for m in smtp.messages]


def kill_leader(cluster: Cluster, leader: HubProcess) -> tuple[HubProcess, float]:
    killed = time.monotonic()
    leader.kill()
    successor = cluster.wait_leader(timeout=15)
    took = time.monotonic() - killed
    print(f"failover: {leader.name} killed, {successor.name} leads after {took:.2f} s")
    return successor, took


def write_rules(path: Path, smtp: Smtp) -> Path:
    path.write_text(yaml.safe_dump({
        "thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                        "delay": "3s", "deadband": 0.3}],
        "gateways": {"status_interval": "1h"},
        "recipients": {"duty": {"urls": [smtp.url("duty@example.com")]},
                       "boss": {"urls": [smtp.url("boss@example.com")]}},
        "routes": [{"name": "cold", "match": {"zone": ["COLD"]}, "groups": ["duty", "boss"],
                    "escalate_after": "10s"}],
        "grouping": {"window": "1s"},
    }))
    return path


def expected(sensor: str, *, cleared: bool = True) -> list[tuple[str, str]]:
    told = [("duty@example.com", f"[CRITICAL] threshold alarm raised: {sensor}"),
            ("boss@example.com", f"[CRITICAL] threshold alarm escalated: {sensor}")]
    if cleared:
        told += [("duty@example.com", f"[CRITICAL] threshold alarm cleared: {sensor}"),
                 ("boss@example.com", f"[CRITICAL] threshold alarm cleared: {sensor}")]
    return sorted(told)


def test_three_hubs_one_alarm_engine_leader_killed_twice_every_message_once(
    mosquitto: Mosquitto, pg_url: str, smtp: Smtp, tmp_path: Path,
) -> None:
    n = next(_ids)
    sensor, site = f"cold-f{n}", f"fo{n}"
    seed_cold_room(pg_url, sensor)
    rules = write_rules(tmp_path / "alarms.yaml", smtp)
    cluster = Cluster(tmp_path, 3, hub_env(pg_url, mosquitto.url, rules, f"hub-fo-{n}", site))
    feed = Feed(mosquitto.port, site, f"gw-fo{n}", sensor)
    try:
        cluster.start()
        first = cluster.wait_leader()
        assert sorted(p.role() or "" for p in cluster.processes) == [
            "leader", "standby", "standby"]
        _status, metrics = first.get("/metrics")
        assert "stockwarden_alarm_leader 1.0" in metrics
        _status, metrics = next(p for p in cluster.processes if p is not first).get("/metrics")
        assert "stockwarden_alarm_leader 0.0" in metrics

        feed.start()
        time.sleep(1.5)
        feed.value = 12.0  # the compressor fails: above 8 °C, inside the 3 s delay
        time.sleep(1.5)
        assert smtp.messages == []
        second, took_pending = kill_leader(cluster, first)  # while the alarm is pending
        assert took_pending < 10

        wait_until(lambda: mails(smtp), timeout=20, what="the raised message")
        raised_at = time.monotonic()
        [(alarm_id, state)] = sql(pg_url, "SELECT id, state FROM alarms WHERE kind = 'threshold'")
        assert state == "active"
        time.sleep(1.0)  # its send recorded; the escalation is due 10 s after the raise
        _third, took_active = kill_leader(cluster, second)  # while the alarm is active
        assert took_active < 10

        wait_until(lambda: len(mails(smtp)) >= 2, timeout=20, what="the escalation")
        assert time.monotonic() - raised_at > 8

        # Back as a standby; an acknowledgement given through it reaches the leader.
        standby = first
        standby.start()
        wait_until(lambda: standby.role() == "standby", timeout=20, what="standby")
        api = Hub.build(load_settings(database_url=pg_url), migrate_schema=False)
        headers = bearer_headers(api)
        api.engine.dispose()
        status, body = standby.post(f"/api/v1/alarms/{alarm_id}/acknowledge",
                                    {"comment": "door closed", "signature": SIGNED}, headers)
        assert (status, body["state"], body["acked_by"]) == (200, "acknowledged",
                                                             body["acked_by"]), body
        # Signed through the standby: the signature and its audit row are kept once.
        assert sql(pg_url, "SELECT action, meaning, entity_key FROM signatures") == [
            ("alarm_ack", "reviewed", str(alarm_id))]
        status, body = standby.post(f"/api/v1/alarms/{alarm_id}/acknowledge",
                                    {"comment": "again", "signature": SIGNED}, headers)
        assert (status, body.get("error")) == (409, "alarm_state"), body

        feed.value = 5.0  # cooling back: the leader knew of the acknowledgement: closed
        wait_until(lambda: len(mails(smtp)) >= 4, timeout=20, what="the clear messages")
        time.sleep(2.5)  # anything sent twice would be here by now
        got = mails(smtp)
        assert sorted(got) == expected(sensor), got
        events = sql(pg_url, "SELECT event, to_state FROM alarm_events "
                             f"WHERE alarm_id = {alarm_id} ORDER BY id")
        assert events == [("raised", "active"), ("acknowledged", "acknowledged"),
                          ("cleared", "closed")], events
        assert sql(pg_url, "SELECT state FROM alarms") == [("closed",)]
        assert len(cluster.leaders()) == 1
        print(json.dumps({"failover_s": [round(took_pending, 2), round(took_active, 2)]}))
    finally:
        feed.stop()
        cluster.stop()
    logs = cluster.logs()
    assert "Traceback" not in logs, logs


def test_the_leader_cut_off_from_the_database_stops_and_another_takes_over(
    mosquitto: Mosquitto, postgres: Postgres, pg_url: str, smtp: Smtp, tmp_path: Path,
) -> None:
    n = next(_ids)
    sensor, site = f"cold-c{n}", f"cut{n}"
    seed_cold_room(pg_url, sensor)
    rules = write_rules(tmp_path / "alarms.yaml", smtp)
    with proxy_to(postgres.port) as proxy:
        through_proxy = pg_url.replace(f":{postgres.port}/", f":{proxy.port}/")
        # h0 starts first, alone, so it leads; its every connection goes through the proxy.
        cluster = Cluster(tmp_path, 3, hub_env(pg_url, mosquitto.url, rules, f"hub-cut-{n}",
                                               site),
                          own={0: {"STOCKWARDEN_DATABASE_URL": through_proxy}})
        feed = Feed(mosquitto.port, site, f"gw-cut{n}", sensor)
        try:
            cluster.start()
            cut_off = cluster.wait_leader()
            assert cut_off is cluster.processes[0]
            feed.start()
            time.sleep(1.0)
            feed.value = 12.0
            wait_until(lambda: mails(smtp), timeout=20, what="the raised message")
            raised_at = time.monotonic()
            time.sleep(1.0)

            proxy.freeze()  # neither end sees the connection go: no FIN, no RST
            frozen = time.monotonic()
            successor = cluster.wait_leader(timeout=15)
            took = time.monotonic() - frozen
            print(f"failover after the leader's database was cut off: {successor.name} "
                  f"leads after {took:.2f} s")
            assert successor is not cut_off and took < 10

            wait_until(lambda: len(mails(smtp)) >= 2, timeout=20, what="the escalation")
            assert time.monotonic() - raised_at > 8
            proxy.thaw()  # back: the old leader finds its lock gone and stands by
            wait_until(lambda: cut_off.role() == "standby", timeout=20,
                       what="the old leader standing by")
            assert cluster.leaders() == [successor]

            feed.value = 5.0
            wait_until(lambda: len(mails(smtp)) >= 4, timeout=20, what="the clear messages")
            time.sleep(2.5)
            got = mails(smtp)
            assert sorted(got) == expected(sensor), got
            [(alarm_id,)] = sql(pg_url, "SELECT id FROM alarms")
            events = sql(pg_url, f"SELECT event FROM alarm_events WHERE alarm_id = {alarm_id}"
                                 " ORDER BY id")
            assert [e for (e,) in events] == ["raised", "cleared"], events
            print(json.dumps({"failover_cut_s": round(took, 2)}))
        finally:
            feed.stop()
            cluster.stop()


def test_on_sqlite_the_hub_runs_the_engine_alone_and_says_so(
    live_hub_http: LiveHubServer,
) -> None:
    with urllib.request.urlopen(live_hub_http.url("/health"), timeout=5) as response:
        alarms = json.loads(response.read())["checks"]["alarms"]
    assert (alarms["role"], alarms["leader"], alarms["ok"]) == ("single", True, True)
    with urllib.request.urlopen(live_hub_http.url("/metrics"), timeout=5) as response:
        assert "stockwarden_alarm_leader 1.0" in response.read().decode()


def test_a_notice_is_claimed_once_and_an_unsent_one_by_the_next_leader_only(
    db_url: str,
) -> None:
    hub = Hub.build(load_settings(database_url=db_url))
    at = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    try:
        with hub.writes() as session:
            stored = repository.record(session, [Transition(
                AlarmKey("zone:COLD:temperature_c", "s1"), AlarmKind.THRESHOLD, Event.RAISED,
                Phase.PENDING, Phase.ACTIVE, Severity.CRITICAL, at, "9 °C", zone="COLD")]).value
        assert stored
        alarm = stored[0].alarm
        claim = repository.NoticeClaim(f"{alarm.id}/cold/0/raised/{at.isoformat()}", alarm.id,
                                       "cold", 0, "raised", at)

        def claim_as(term: str) -> set[str]:
            with hub.writes() as session:
                return repository.claim_notices(session, [claim], term, at).value or set()

        assert claim_as("term-1") == {claim.key}
        assert claim_as("term-1") == set()  # the same leader planned it twice: once
        assert claim_as("term-2") == {claim.key}  # never sent: its successor takes it
        with hub.writes() as session:
            repository.notices_sent(session, [claim.key], "term-1", at)  # the old term: no
        assert claim_as("term-3") == {claim.key}
        with hub.writes() as session:
            repository.notices_sent(session, [claim.key], "term-3", at)
        assert claim_as("term-4") == set()  # sent: nobody sends it again
        with hub.sessions() as session:
            [told] = repository.told(session, [alarm.id])
        assert (told.what, told.at, told.sent) == ("raised", at, True)
    finally:
        hub.engine.dispose()
