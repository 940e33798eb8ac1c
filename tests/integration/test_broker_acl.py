"""`stockwarden broker-acl`'s files in a real Mosquitto started from the shipped
deploy/mosquitto/mosquitto.conf: each gateway publishes only under its own topics and
reads only its own scan results; the hub reads everything; nobody gets in without an
account. MQTT 5 clients, so a refusal is the broker's own reason code (0x87)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from contract import wire
from hub.accounts.service import create_user_with_token
from hub.app import create_app
from hub.broker_acl import load_accounts, write_broker_files
from hub.container import Hub, assemble
from hub.settings import load_settings
from kernel.actors import Role
from tests.e2e.test_reliability import stats_count
from tests.support.deployed_broker import DeployedMosquitto
from tests.support.mqtt import series_ts, telemetry, wait_until
from tests.support.processes import find_binary

ROOT = Path(__file__).resolve().parents[2]
NOT_AUTHORIZED = 0x87
# A PUBACK of 0x10 "no matching subscribers" is an accepted message too.
ACCEPTED = (0x00, 0x10)
SITE = "site-acl"
PASSWORDS = {"hub": "hub-secret-1", "gw-a": "gw-a-secret", "gw-b": "gw-b-secret",
             "grafana": "grafana-secret"}


class Client:
    """An MQTT 5 client that reports the broker's answers: CONNACK, PUBACK, SUBACK."""

    def __init__(self, port: int, username: str | None, password: str | None = None,
                 client_id: str | None = None) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
                                  client_id=client_id or f"acl-{username}-{time.monotonic_ns()}")
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connack: ReasonCode | None = None
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.pubacks: dict[int, int] = {}
        self.subacks: dict[int, list[int]] = {}
        self.messages: list[tuple[str, bytes]] = []
        self.disconnects: list[int] = []  # the reason codes of the broker's DISCONNECTs
        self.lock = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.answered.wait(10), "no CONNACK"

    def _on_connect(self, _c, _u, _f, reason: ReasonCode, _p) -> None:
        self.connack = reason
        if not reason.is_failure:
            self.connected.set()
        self.answered.set()

    def _on_disconnect(self, _c, _u, _f, reason: ReasonCode, _p) -> None:
        with self.lock:
            self.disconnects.append(reason.value)

    def _on_publish(self, _c, _u, mid: int, reason: ReasonCode, _p) -> None:
        with self.lock:
            self.pubacks[mid] = reason.value
            self.lock.notify_all()

    def _on_subscribe(self, _c, _u, mid: int, reasons: list[ReasonCode], _p) -> None:
        with self.lock:
            self.subacks[mid] = [r.value for r in reasons]
            self.lock.notify_all()

    def _on_message(self, _c, _u, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, message.payload))
            self.lock.notify_all()

    def publish(self, topic: str, payload: bytes = b"{}") -> int:
        """The PUBACK's reason code."""
        info = self.client.publish(topic, payload, qos=1)
        with self.lock:
            assert self.lock.wait_for(lambda: info.mid in self.pubacks, 10), "no PUBACK"
            return self.pubacks[info.mid]

    def subscribe(self, topic: str) -> int:
        """The SUBACK's reason code: the granted QoS, or 0x87 when refused."""
        _, mid = self.client.subscribe(topic, qos=1, properties=Properties(8))
        with self.lock:
            assert self.lock.wait_for(lambda: mid in self.subacks, 10), "no SUBACK"
            return self.subacks[mid][0]

    def topics(self, within: float = 0.0, count: int = 0) -> list[str]:
        """Topics received, after waiting up to `within` s for at least `count` of them."""
        with self.lock:
            self.lock.wait_for(lambda: count and len(self.messages) >= count, within)
            return [topic for topic, _ in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def accounts_file(folder: Path) -> Path:
    path = folder / "accounts.yaml"
    path.write_text(f"""
site: {SITE}
hub: {{username: hub, password: {PASSWORDS['hub']}}}
gateways:
  - {{id: gw-a, password: {PASSWORDS['gw-a']}}}
  - {{id: gw-b, password_env: GW_B_PASSWORD}}
readers:
  - {{username: grafana, password: {PASSWORDS['grafana']}}}
""")
    return path


def start_broker(folder: Path, hasher: str) -> DeployedMosquitto:
    accounts = folder / "accounts"
    write_broker_files(
        load_accounts(accounts_file(folder)), accounts / "passwd", accounts / "acl",
        hasher=hasher, environ={"GW_B_PASSWORD": PASSWORDS["gw-b"]},  # type: ignore[arg-type]
    )
    broker = DeployedMosquitto(folder / "broker", ROOT / "deploy/mosquitto/mosquitto.conf", {
        "/mosquitto/data/": folder / "data",
        "/mosquitto/accounts/": accounts,
        "/mosquitto/config/": ROOT / "deploy/mosquitto",
    })
    (folder / "data").mkdir()
    broker.start()
    return broker


def port_of(broker: DeployedMosquitto, username: str) -> int:
    """The hub logs in on its own listener; gateways and readers on 1883's twin."""
    return broker.hub_port if username == "hub" else broker.port


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedMosquitto]:
    service = start_broker(tmp_path_factory.mktemp("acl"), hasher="mosquitto_passwd")
    yield service
    service.stop()


@pytest.fixture
def clients(broker: DeployedMosquitto) -> Iterator[dict[str, Client]]:
    made = {name: Client(port_of(broker, name), name, PASSWORDS[name]) for name in PASSWORDS}
    for name, client in made.items():
        assert client.connected.is_set(), f"{name} refused: {client.connack}"
    yield made
    for client in made.values():
        client.close()


def topic(gateway: str, kind: str) -> str:
    return f"{wire.TOPIC_PREFIX}/{SITE}/{gateway}/{kind}"


def test_a_gateway_publishes_its_own_telemetry_and_the_hub_receives_it(
    clients: dict[str, Client]
) -> None:
    hub, gw_a = clients["hub"], clients["gw-a"]
    assert hub.subscribe(f"{wire.TOPIC_PREFIX}/#") == 1
    payload = telemetry("gw-a", 1, ["a-1"], wire.utc_now())
    for kind in ("telemetry", "scan", "status"):
        assert gw_a.publish(topic("gw-a", kind), payload) in ACCEPTED, kind
    assert hub.topics(within=5, count=3) == [topic("gw-a", k) for k in
                                             ("telemetry", "scan", "status")]


def test_a_gateway_cannot_publish_under_another_gateways_topics(
    clients: dict[str, Client]
) -> None:
    hub, gw_a = clients["hub"], clients["gw-a"]
    assert hub.subscribe(f"{wire.TOPIC_PREFIX}/#") == 1
    forged = telemetry("gw-b", 7, ["b-1"], wire.utc_now())
    for kind in ("telemetry", "scan", "status", "scan-result"):
        assert gw_a.publish(topic("gw-b", kind), forged) == NOT_AUTHORIZED, kind
    # Nor the hub's topics, nor its own result topic, nor outside the tree.
    assert gw_a.publish(wire.alarm_topic(SITE, 1)) == NOT_AUTHORIZED
    assert gw_a.publish(topic("gw-a", "scan-result")) == NOT_AUTHORIZED
    assert gw_a.publish(f"{wire.TOPIC_PREFIX}/other-site/gw-a/telemetry") == NOT_AUTHORIZED
    assert gw_a.publish("anything/else") == NOT_AUTHORIZED
    assert hub.topics(within=1.0) == []


def test_a_gateway_reads_its_own_scan_results_and_not_another_gateways(
    clients: dict[str, Client]
) -> None:
    hub, gw_a, gw_b = clients["hub"], clients["gw-a"], clients["gw-b"]
    assert gw_a.subscribe(topic("gw-a", "scan-result")) == 1
    # Mosquitto 2.0 grants a subscription its ACL does not cover and then withholds
    # every message the subscriber may not read; a broker may refuse it (0x87) instead.
    # Either way, what counts is what arrives.
    for other in (topic("gw-b", "scan-result"), topic("gw-b", "telemetry"),
                  f"{wire.TOPIC_PREFIX}/{SITE}/+/scan-result", f"{wire.TOPIC_PREFIX}/#"):
        assert gw_a.subscribe(other) in (1, NOT_AUTHORIZED), other
    assert gw_b.subscribe(topic("gw-b", "scan-result")) == 1
    assert gw_b.publish(topic("gw-b", "telemetry")) in ACCEPTED
    for gateway in ("gw-a", "gw-b"):
        assert hub.publish(topic(gateway, "scan-result"), gateway.encode()) in ACCEPTED
    assert hub.publish(wire.alarm_topic(SITE, 3)) in ACCEPTED
    assert topic("gw-a", "scan-result") in gw_a.topics(within=5, count=1)
    assert topic("gw-b", "scan-result") in gw_b.topics(within=5, count=1)
    time.sleep(0.5)  # anything more would have arrived by now
    assert set(gw_a.topics()) == {topic("gw-a", "scan-result")}
    assert set(gw_b.topics()) == {topic("gw-b", "scan-result")}


def test_a_read_only_account_reads_the_site_and_publishes_nothing(
    clients: dict[str, Client]
) -> None:
    grafana, gw_b = clients["grafana"], clients["gw-b"]
    assert grafana.subscribe(f"{wire.TOPIC_PREFIX}/{SITE}/#") == 1
    assert gw_b.publish(topic("gw-b", "status")) in ACCEPTED
    assert grafana.topics(within=5, count=1) == [topic("gw-b", "status")]
    assert grafana.publish(topic("gw-b", "telemetry")) == NOT_AUTHORIZED


def test_no_account_no_entry(broker: DeployedMosquitto) -> None:
    for username, password in ((None, None), ("gw-a", "wrong"), ("nobody", "x")):
        client = Client(broker.port, username, password)
        try:
            assert not client.connected.is_set()
            assert client.connack is not None and client.connack.value in (0x86, 0x87), (
                username, client.connack)
        finally:
            client.close()


def test_the_health_listener_answers_anonymously_and_grants_nothing_else(
    broker: DeployedMosquitto
) -> None:
    # The compose file's health check, as the container runs it, against the shipped config.
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    check = [arg.replace("$$", "$") for arg in
             compose["services"]["mosquitto"]["healthcheck"]["test"][1:]]
    assert check[0] == "mosquitto_sub" and check[check.index("-p") + 1] == "1880"
    check[check.index("-p") + 1] = str(broker.health_port)
    check[0] = find_binary("mosquitto_sub", "/usr/bin/mosquitto_sub")
    result = subprocess.run(check, capture_output=True, text=True, timeout=15)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("seconds")
    anonymous = Client(broker.health_port, None)
    try:
        assert anonymous.connected.is_set()
        assert anonymous.subscribe(f"{wire.TOPIC_PREFIX}/#") in (1, NOT_AUTHORIZED)
        assert anonymous.publish(topic("gw-a", "telemetry")) == NOT_AUTHORIZED
        gateway = Client(broker.port, "gw-a", PASSWORDS["gw-a"])
        try:
            assert gateway.publish(topic("gw-a", "telemetry")) in ACCEPTED
        finally:
            gateway.close()
        assert anonymous.topics(within=1.0) == []
    finally:
        anonymous.close()


def test_hashes_written_without_mosquitto_passwd_are_accepted_by_the_broker(
    tmp_path: Path
) -> None:
    broker = start_broker(tmp_path, hasher="python")
    try:
        for name in ("hub", "gw-a", "gw-b"):
            client = Client(port_of(broker, name), name, PASSWORDS[name])
            try:
                assert client.connected.is_set(), (name, client.connack)
            finally:
                client.close()
        wrong = Client(broker.port, "gw-a", PASSWORDS["gw-b"])
        assert not wrong.connected.is_set()
        wrong.close()
    finally:
        broker.stop()


def test_the_real_hub_with_its_account_stores_a_gateways_telemetry_and_not_a_forgery(
    broker: DeployedMosquitto, sqlite_url: str
) -> None:
    """The hub's own subscriptions (shared, as in a scale-out) pass the ACL; a reading
    that gateway A forges in gateway B's name never reaches the records."""
    hub = assemble(load_settings(
        database_url=sqlite_url, env="production",
        mqtt_url=f"mqtt://hub:{PASSWORDS['hub']}@127.0.0.1:{broker.hub_port}",
        mqtt_client_id=f"hub-acl-{time.monotonic_ns()}", mqtt_share_group="hubs",
        ingest_batch_ms=10,
    ))
    hub.start()
    gw_a = Client(broker.port, "gw-a", PASSWORDS["gw-a"])
    try:
        wait_until(hub.ingest.subscriber.connected.is_set, what="hub connected")
        now = wire.utc_now()
        assert gw_a.publish(topic("gw-b", "telemetry"),
                            telemetry("gw-b", 1, ["acl-forged"], now)) == NOT_AUTHORIZED
        for seq in range(5):
            assert gw_a.publish(topic("gw-a", "telemetry"),
                                telemetry("gw-a", seq, ["acl-real"], series_ts(seq))) in ACCEPTED
        wait_until(lambda: stats_count(sqlite_url, "acl-real") == 5, what="5 readings stored")
        assert stats_count(sqlite_url, "acl-forged") == 0
    finally:
        gw_a.close()
        hub.stop()


DEBIAN_MAIN_CONF = Path("/etc/mosquitto/mosquitto.conf")


def test_debians_mosquitto_with_the_shipped_conf_d_file_applies_the_acl(tmp_path: Path) -> None:
    """The Debian-native steps: Debian's own mosquitto.conf, deploy/debian/mosquitto.conf
    as /etc/mosquitto/conf.d/stockwarden.conf, the files of broker-acl --out
    /etc/mosquitto/stockwarden."""
    if not DEBIAN_MAIN_CONF.is_file():
        pytest.skip(reason=f"{DEBIAN_MAIN_CONF} is missing: not Debian's mosquitto package")
    accounts = tmp_path / "stockwarden"
    write_broker_files(load_accounts(accounts_file(tmp_path)), accounts / "passwd",
                       accounts / "acl", environ={"GW_B_PASSWORD": PASSWORDS["gw-b"]})
    for folder in ("data", "log", "run"):
        (tmp_path / folder).mkdir()
    broker = DeployedMosquitto(
        tmp_path / "broker", DEBIAN_MAIN_CONF, {
            "/etc/mosquitto/conf.d": tmp_path / "conf.d",
            "/etc/mosquitto/stockwarden/": accounts,
            "/var/lib/mosquitto/": tmp_path / "data",
            "/var/log/mosquitto/": tmp_path / "log",
            "/run/mosquitto/": tmp_path / "run",
        },
        includes=(ROOT / "deploy/debian/mosquitto.conf",),
    )
    broker.start()
    try:
        anonymous = Client(broker.port, None)
        assert not anonymous.connected.is_set()
        anonymous.close()
        hub, gw_a = (Client(port_of(broker, n), n, PASSWORDS[n]) for n in ("hub", "gw-a"))
        try:
            assert hub.subscribe(f"{wire.TOPIC_PREFIX}/#") == 1
            assert gw_a.publish(topic("gw-b", "telemetry")) == NOT_AUTHORIZED
            assert gw_a.publish(topic("gw-a", "telemetry")) in ACCEPTED
            assert hub.topics(within=5, count=1) == [topic("gw-a", "telemetry")]
        finally:
            hub.close()
            gw_a.close()
    finally:
        broker.stop()


# --- client ids bound to accounts; the hub's broker-session alarm -----------------------
#
# Mosquitto hands a client id's session to the newest connection that names it and
# disconnects the older one. Gateways log in where their client id is their user name,
# the hub on its own listener; a lost session is a critical system alarm.


def running_hub(broker: DeployedMosquitto, db_url: str, client_id: str) -> Hub:
    hub = assemble(load_settings(
        database_url=db_url, env="production",
        mqtt_url=f"mqtt://hub:{PASSWORDS['hub']}@127.0.0.1:{broker.hub_port}",
        mqtt_client_id=client_id, ingest_batch_ms=10, alarm_tick_s=0.2,
    ))
    hub.start()
    assert hub.ingest is not None
    wait_until(hub.ingest.subscriber.connected.is_set, what="hub connected")
    return hub


def session_alarms(hub: Hub) -> list[dict]:
    """GET /api/v1/alarms?kind=broker_session, as an operator sees it, with each
    alarm's audit trail."""
    with hub.writes() as session:
        token = create_user_with_token(session, f"op-{time.monotonic_ns()}", Role.OPERATOR).token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(hub, manage_lifecycle=False)) as api:
        listed = api.get("/api/v1/alarms", params={"kind": "broker_session", "state": "all"},
                         headers=headers)
        assert listed.status_code == 200, listed.text
        return [api.get(f"/api/v1/alarms/{alarm['id']}", headers=headers).json()
                for alarm in listed.json()]


def test_a_gateway_with_the_hubs_client_id_neither_disconnects_the_hub_nor_loses_readings(
    broker: DeployedMosquitto, sqlite_url: str
) -> None:
    client_id = f"stockwarden-hub-{time.monotonic_ns()}"
    hub = running_hub(broker, sqlite_url, client_id)
    gw_b = Client(broker.port, "gw-b", PASSWORDS["gw-b"])
    intruder = None
    try:
        intruder = Client(broker.port, "gw-a", PASSWORDS["gw-a"], client_id=client_id)
        # Gateway B publishes while gateway A holds the hub's client id, if it can.
        for seq in range(40):
            assert gw_b.publish(topic("gw-b", "telemetry"), telemetry(
                "gw-b", seq, ["takeover-b"], series_ts(seq))) in ACCEPTED
        wait_until(lambda: stats_count(sqlite_url, "takeover-b") == 40, timeout=15,
                   what="all 40 readings counted")
        assert intruder.connected.is_set() and intruder.disconnects == []
        assert hub.ingest is not None and hub.ingest.subscriber.connected.is_set()
        assert session_alarms(hub) == []
    finally:
        if intruder is not None:
            intruder.close()
        gw_b.close()
        hub.stop()


def test_a_gateway_cannot_knock_another_gateway_off_the_broker(
    broker: DeployedMosquitto
) -> None:
    # The edge agent's default client id, which anyone who knows the gateway id can guess.
    victim = Client(broker.port, "gw-b", PASSWORDS["gw-b"], client_id="stockwarden-edge-gw-b")
    attacker = Client(broker.port, "gw-a", PASSWORDS["gw-a"], client_id="stockwarden-edge-gw-b")
    try:
        assert attacker.connected.is_set()
        time.sleep(1.0)
        assert victim.disconnects == [] and attacker.disconnects == []
        assert victim.publish(topic("gw-b", "telemetry")) in ACCEPTED
    finally:
        attacker.close()
        victim.close()


def test_the_hub_raises_a_system_alarm_when_its_session_is_taken_over(
    broker: DeployedMosquitto, sqlite_url: str
) -> None:
    """Only the hub's own account can do it now (stolen credentials, or a second hub
    process configured with the same client id). Mosquitto 2.0 closes the hub's
    connection without a reason code (brokers that send 142 "session taken over":
    tests/unit/test_mqtt_session_notice.py); the thief's clean start dropped the hub's
    session, which the hub's reconnect finds missing: a critical alarm, cleared when
    it is subscribed again."""
    client_id = f"stockwarden-hub-{time.monotonic_ns()}"
    hub = running_hub(broker, sqlite_url, client_id)
    try:
        thief = Client(broker.hub_port, "hub", PASSWORDS["hub"], client_id=client_id)
        try:
            raised = wait_until(lambda: session_alarms(hub), timeout=10,
                                what="the broker-session alarm")
        finally:
            thief.close()
        alarm = raised[0]["alarm"]
        assert (alarm["kind"], alarm["subject"], alarm["severity"]) == (
            "broker_session", client_id, "critical")
        assert "another client took the client id" in raised[0]["events"][0]["message"]
        assert raised[0]["events"][0]["event"] == "raised"
        # The hub reconnects, takes its session back and subscribes: the alarm clears and
        # stays on the list, unacknowledged, to say readings may be missing.
        cleared = wait_until(lambda: [a for a in session_alarms(hub)
                                      if a["alarm"]["state"] == "cleared"],
                             timeout=15, what="the alarm cleared")
        assert "subscribed again" in cleared[0]["events"][-1]["message"]
    finally:
        hub.stop()


def test_the_hub_raises_a_system_alarm_when_its_subscriptions_are_gone_on_reconnect(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The broker restarts without its persistence file: the hub's session and the
    messages kept for it are gone, and the reconnect says so (session present: no)."""
    broker = start_broker(tmp_path, hasher="python")
    client_id = f"stockwarden-hub-{time.monotonic_ns()}"
    hub = None
    try:
        hub = running_hub(broker, sqlite_url, client_id)
        assert session_alarms(hub) == []
        broker.stop()
        for saved in (tmp_path / "data").glob("mosquitto.db*"):
            saved.unlink()
        broker.start()
        found = wait_until(lambda: session_alarms(hub), timeout=20,
                           what="the broker-session alarm")
        events = found[0]["events"]
        assert events[0]["event"] == "raised" and events[0]["severity"] == "critical"
        assert "had no session" in events[0]["message"]
        # Subscribed again at once: cleared, and it waits on the list for someone to see it.
        wait_until(lambda: session_alarms(hub)[0]["alarm"]["state"] == "cleared", timeout=10,
                   what="the alarm cleared")
        # Readings flow again.
        gw_a = Client(broker.port, "gw-a", PASSWORDS["gw-a"])
        try:
            assert gw_a.publish(topic("gw-a", "telemetry"), telemetry(
                "gw-a", 1, ["after-restart"], series_ts(1))) in ACCEPTED
        finally:
            gw_a.close()
        wait_until(lambda: stats_count(sqlite_url, "after-restart") == 1, what="counted")
    finally:
        if hub is not None:
            hub.stop()
        broker.stop()
