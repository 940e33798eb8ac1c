"""A sensor belongs to one gateway: the one that first reported it, or the one an
admin assigned. Through a real Mosquitto into a real hub, on SQLite and PostgreSQL:
another gateway's reading for it is a dead letter naming both gateways and changes
nothing stored; moving it is the admin's PATCH, after which the roles swap."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from contract import wire
from hub.container import Hub
from hub.settings import load_settings
from ingest.orm import DeadLetter, HourlyStat, LatestReading, Sensor
from ingest.store import Accepted, IngestStore
from kernel.actors import Role
from tests.support.auth import bearer_headers
from tests.support.mqtt import publish_raw, series_ts, telemetry, wait_until
from tests.support.running_hub import api_client, running_hub
from tests.support.services import Mosquitto, VictoriaMetrics

_ids = itertools.count()
SITE = "site-own"


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto, victoria: VictoriaMetrics) -> Iterator[Hub]:
    with running_hub(
        database_url=db_url,
        mqtt_url=mosquitto.url,
        mqtt_client_id=f"hub-owner-{next(_ids)}",
        tsdb_url=victoria.url,
        ingest_batch_ms=20,
    ) as hub:
        yield hub


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with api_client(hub) as client:
        yield client


def _latest(client: TestClient, sensor: str) -> float | None:
    rows = client.get("/api/v1/readings/latest", params={"sensor": sensor}).json()
    values = {r["quantity"]: r["value"] for r in rows}
    return values.get("temperature_c")


def _reasons(client: TestClient, gateway: str) -> list[str]:
    letters = client.get("/api/v1/dead-letters", params={"limit": 1000}).json()
    return [d["reason"] for d in letters if f"/{gateway}/" in d["topic"]]


def test_a_gateway_cannot_report_another_gateways_sensor_until_an_admin_moves_it(
    hub: Hub, client: TestClient, mosquitto: Mosquitto, victoria: VictoriaMetrics,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = next(_ids)
    gw_a, gw_b = f"gw-a{run}", f"gw-b{run}"
    sensor, own_of_a = f"cold-{run}", f"a-own-{run}"
    topic_a = wire.gateway_topic(SITE, gw_a, "telemetry")
    topic_b = wire.gateway_topic(SITE, gw_b, "telemetry")
    zone = f"cold-room-{run}"

    publish_raw(mosquitto.port, topic_b, [telemetry(gw_b, 1, [sensor], series_ts(0), 4.0)])
    wait_until(lambda: _latest(client, sensor) == 4.0, what="B's first reading")
    assert client.post("/api/v1/zones", json={"code": zone, "name": "Cold"}).status_code == 201
    assert client.patch(f"/api/v1/sensors/{sensor}", json={"zone": zone},
                        params={"reason": "installed"}).status_code == 200

    # Gateway A, on its own topic and under its own name, reports B's sensor (an
    # excursion) and one of its own in the same message; and names it in its status.
    forged = telemetry(gw_a, 1, [own_of_a, sensor], series_ts(10), 31.5)
    publish_raw(mosquitto.port, topic_a, [forged])
    status = {"state": "online", "ts": wire.format_ts(series_ts(11)),
              "devices": {sensor: {"state": "ok", "ok_count": 7}}}
    publish_raw(mosquitto.port, wire.gateway_topic(SITE, gw_a, "status"),
                [json.dumps(status).encode()])
    wait_until(lambda: _reasons(client, gw_a), what="the forged message's dead letter")
    wait_until(lambda: client.get(f"/api/v1/gateways/{gw_a}").status_code == 200,
               what="A's status stored")

    assert _reasons(client, gw_a) == [
        f"readings.1: sensor {sensor} belongs to gateway {gw_b}, not {gw_a}"]
    stored = client.get(f"/api/v1/sensors/{sensor}").json()
    assert (stored["gateway"], stored["zone"]) == (gw_b, zone)
    assert _latest(client, sensor) == 4.0
    start = (series_ts(0) - timedelta(hours=1)).isoformat()
    hours = client.get(f"/api/v1/sensors/{sensor}/hourly",
                       params={"start": start, "quantity": "temperature_c"}).json()
    assert [(h["count"], h["max"]) for h in hours] == [(1, 4.0)]
    # The message is the unit: A's own reading in it is refused with it.
    assert client.get(f"/api/v1/sensors/{own_of_a}").status_code == 404

    # B goes on as before, and the time-series store never saw A's forgery.
    publish_raw(mosquitto.port, topic_b, [telemetry(gw_b, 2, [sensor], series_ts(20), 5.0)])
    wait_until(lambda: _latest(client, sensor) == 5.0, what="B's next reading")
    wait_until(lambda: victoria.sample_count(
        f'{{__name__="reading_temperature_c",sensor="{sensor}"}}') == 2,
        what="B's two readings in the time-series store")
    assert victoria.sample_count(f'{{__name__="reading_temperature_c",gateway="{gw_a}"}}') == 0

    # Moving the sensor is the admin's: not an operator's, nor a supervisor's.
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        refused = client.patch(f"/api/v1/sensors/{sensor}", json={"gateway": gw_a},
                               headers=bearer_headers(hub, role))
        assert refused.status_code == 403, refused.text
    admin = bearer_headers(hub)
    with caplog.at_level(logging.INFO, logger="ingest.sensors"):
        moved = client.patch(f"/api/v1/sensors/{sensor}", json={"gateway": gw_a},
                             headers=admin)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["gateway"], moved.json()["zone"]) == (gw_a, zone)
    # Recorded, until the audit trail does it: who, which sensor, from where to where.
    me = client.get("/api/v1/auth/me", headers=admin).json()["username"]
    [line] = [r for r in caplog.records if r.getMessage() == "sensor moved to another gateway"]
    assert (line.event, line.sensor, line.actor, line.before, line.after) == (  # type: ignore[attr-defined]
        "sensor_gateway_changed", sensor, me, gw_b, gw_a)

    # Now A's readings are taken and B's refused.
    publish_raw(mosquitto.port, topic_a, [telemetry(gw_a, 2, [sensor], series_ts(30), 6.0)])
    wait_until(lambda: _latest(client, sensor) == 6.0, what="A's reading after the move")
    publish_raw(mosquitto.port, topic_b, [telemetry(gw_b, 3, [sensor], series_ts(40), 7.0)])
    wait_until(lambda: _reasons(client, gw_b), what="B's refused reading")
    assert _reasons(client, gw_b) == [
        f"readings.0: sensor {sensor} belongs to gateway {gw_a}, not {gw_b}"]
    assert _latest(client, sensor) == 6.0
    assert client.get(f"/api/v1/sensors/{sensor}").json()["gateway"] == gw_a


def test_moving_a_sensor_names_a_valid_gateway_and_an_existing_sensor(
    client: TestClient,
) -> None:
    missing = client.patch("/api/v1/sensors/no-such-sensor", json={"gateway": "gw-1"})
    assert missing.status_code == 404
    assert client.post("/api/v1/sensors", json={"id": "s-owned", "gateway": "gw-1"}
                       ).json()["gateway"] == "gw-1"
    for bad in (None, "", "gw 1", "alarms"):
        answer = client.patch("/api/v1/sensors/s-owned", json={"gateway": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["detail"][0]["field"] == "body.gateway"
    assert client.get("/api/v1/sensors/s-owned").json()["gateway"] == "gw-1"


# --- the store on its own: the owners it remembers, and SQL's last word -------------


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    hub = Hub.build(load_settings(database_url=db_url))
    yield hub.sessions
    hub.engine.dispose()


def _message(gateway: str, seq: int, *readings: tuple[str, float, int]) -> Accepted:
    """(sensor, temperature, seconds after a base time) per reading."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    message = wire.Telemetry(gateway=gateway, seq=seq, readings=[
        wire.Reading(sensor=sensor, ts=base + timedelta(seconds=at),
                     quantities={"temperature_c": value})
        for sensor, value, at in readings])
    return Accepted(wire.TopicParts(SITE, gateway, "telemetry"), message, b"{}")


def _stored(sessions: sessionmaker[Session], sensor: str) -> tuple[str | None, float | None]:
    with sessions() as session:
        gateway = session.scalar(select(Sensor.gateway).where(Sensor.id == sensor))
        value = session.scalar(select(LatestReading.value).where(
            LatestReading.sensor_id == sensor, LatestReading.quantity == "temperature_c"))
    return gateway, value


def test_a_hub_that_knows_no_owner_yet_still_refuses_another_gateways_reading(
    sessions: sessionmaker[Session],
) -> None:
    """A second hub process, or this one after a restart: its memory is empty, the
    sensors upsert refuses to re-file the sensor, and the batch is done again."""
    IngestStore(sessions).commit_batch([_message("gw-b", 1, ("s1", 4.0, 0))], datetime.now(UTC))
    fresh_hub = IngestStore(sessions)
    outcome = fresh_hub.commit_batch(
        [_message("gw-a", 1, ("a1", 20.0, 1), ("s1", 31.5, 1)),
         _message("gw-b", 2, ("s1", 5.0, 2))], datetime.now(UTC))

    assert [d.reason for d in outcome.dead] == [
        "readings.1: sensor s1 belongs to gateway gw-b, not gw-a"]
    assert [item.message.gateway for item in outcome.fresh] == ["gw-b"]
    assert outcome.readings == 1
    assert _stored(sessions, "s1") == ("gw-b", 5.0)
    assert _stored(sessions, "a1") == (None, None)  # the message is the unit
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(HourlyStat)
                              .where(HourlyStat.sensor_id == "s1")) == 1
        assert [d.reason for d in session.scalars(select(DeadLetter))] == [
            d.reason for d in outcome.dead]


def test_the_first_gateway_to_report_a_sensor_owns_it_even_within_one_batch(
    sessions: sessionmaker[Session],
) -> None:
    store = IngestStore(sessions)
    outcome = store.commit_batch(
        [_message("gw-b", 1, ("new-1", 4.0, 0)), _message("gw-a", 1, ("new-1", 30.0, 1))],
        datetime.now(UTC))
    assert [d.reason for d in outcome.dead] == [
        "readings.0: sensor new-1 belongs to gateway gw-b, not gw-a"]
    assert _stored(sessions, "new-1") == ("gw-b", 4.0)


def test_a_sensor_registered_without_a_gateway_goes_to_the_first_that_reports_it(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        session.add_all([Sensor(id="free-1", name="Free"),
                         Sensor(id="given-1", name="Given", gateway="gw-b")])
    store = IngestStore(sessions)
    outcome = store.commit_batch(
        [_message("gw-a", 1, ("free-1", 4.0, 0)), _message("gw-a", 2, ("given-1", 4.0, 0))],
        datetime.now(UTC))
    assert [d.reason for d in outcome.dead] == [
        "readings.0: sensor given-1 belongs to gateway gw-b, not gw-a"]
    assert _stored(sessions, "free-1") == ("gw-a", 4.0)
    assert _stored(sessions, "given-1") == ("gw-b", None)


def test_a_move_made_elsewhere_is_followed_without_a_restart(
    sessions: sessionmaker[Session],
) -> None:
    """The admin's PATCH may run in another hub process: this store's memory is stale
    and SQL decides, both ways."""
    store = IngestStore(sessions)
    store.commit_batch([_message("gw-b", 1, ("s1", 4.0, 0))], datetime.now(UTC))
    with sessions() as session, session.begin():
        session.get_one(Sensor, "s1").gateway = "gw-a"
    old = store.commit_batch([_message("gw-b", 2, ("s1", 7.0, 2))], datetime.now(UTC))
    new = store.commit_batch([_message("gw-a", 1, ("s1", 6.0, 1))], datetime.now(UTC))
    assert [d.reason for d in old.dead] == [
        "readings.0: sensor s1 belongs to gateway gw-a, not gw-b"]
    assert (new.readings, new.dead) == (1, [])
    assert _stored(sessions, "s1") == ("gw-a", 6.0)


def test_an_older_reading_of_the_owner_counts_and_leaves_the_sensors_state(
    sessions: sessionmaker[Session],
) -> None:
    store = IngestStore(sessions)
    store.commit_batch([_message("gw-b", 2, ("s1", 5.0, 60))], datetime.now(UTC))
    late = _message("gw-b", 1, ("s1", 4.0, 0))
    late.message.readings[0] = late.message.readings[0].model_copy(
        update={"quality": wire.Quality.BAD, "error": "timeout", "quantities": {}})
    outcome = IngestStore(sessions).commit_batch([late], datetime.now(UTC))
    assert (outcome.readings, outcome.dead) == (1, [])
    with sessions() as session:
        sensor = session.get_one(Sensor, "s1")
        assert (sensor.gateway, sensor.last_quality, sensor.last_error) == ("gw-b", "good", None)
