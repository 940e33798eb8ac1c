"""/api/v1/alarms over HTTP, on SQLite and PostgreSQL: rules edited over the API
(none from a file) or refused (from a file), acknowledge with an idempotency key,
shelve and unshelve (supervisor), and the live feed's cursor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts.model import Reading
from hub.app import create_app
from hub.container import Hub, build_alarms
from hub.settings import load_settings
from ingest.orm import Sensor
from inventory.users import create_user_with_token
from kernel.actors import Role
from kernel.orm import StorageClass, Zone
from kernel.uow import run_write
from tests.support.mqtt import wait_until

RULES = {"thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                         "delay": "10s"}]}


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[Hub, TestClient, dict[Role, dict[str, str]]]]:
    hub = Hub.build(load_settings(database_url=db_url, mqtt_url="mqtt://127.0.0.1:1",
                                  alarm_tick_s=0.1))

    def work() -> None:
        zone = Zone(code="COLD", name="Cold room", storage_class=StorageClass(
            code="2-8C", name="fridge", temp_min_c=2, temp_max_c=8))
        session.add(zone)
        session.flush()
        session.add(Sensor(id="s1", name="s1", zone_id=zone.id))

    with hub.writes() as session:
        run_write(session, work)
    headers = {}
    for role in Role:
        with hub.writes() as session:
            token = create_user_with_token(session, f"{role.value}-api", role).token
        headers[role] = {"Authorization": f"Bearer {token}"}
    hub.alarms = build_alarms(hub)
    hub.alarms.start()
    with TestClient(create_app(hub, manage_lifecycle=False)) as client:
        yield hub, client, headers
    hub.stop()


def test_rules_over_the_api_and_the_alarm_operations(
    api: tuple[Hub, TestClient, dict[Role, dict[str, str]]],
) -> None:
    hub, client, headers = api
    assert client.get("/api/v1/alarms/rules", headers=headers[Role.OPERATOR]).json()[
        "source"] == "api"
    inverted = {"thresholds": [{"zone": "COLD", "quantity": "temperature_c",
                                "high_warning": 9, "high_critical": 8}]}
    refused = client.put("/api/v1/alarms/rules", json=inverted, headers=headers[Role.ADMIN])
    assert refused.status_code == 422
    assert "thresholds[0].high_critical: must be at or above high_warning" in refused.text
    assert client.put("/api/v1/alarms/rules", json=RULES,
                      headers=headers[Role.SUPERVISOR]).status_code == 403
    saved = client.put("/api/v1/alarms/rules", json=RULES, headers=headers[Role.ADMIN])
    assert saved.status_code == 200, saved.text
    assert saved.json()["rules"]["thresholds"][0]["delay"] in ("PT10S", 10.0, "10s")

    cursor = client.get("/api/v1/alarms/changes", headers=headers[Role.OPERATOR]).json()["cursor"]
    assert hub.alarms is not None
    t0 = datetime.now(UTC)
    hub.alarms.on_readings([Reading("s1", t0, {"temperature_c": 9.0})])
    hub.alarms.on_readings([Reading("s1", t0 + timedelta(seconds=11), {"temperature_c": 9.1})])
    feed = client.get("/api/v1/alarms/changes", params={"since": cursor, "wait": 5},
                      headers=headers[Role.OPERATOR]).json()
    [alarm] = feed["alarms"]
    assert [e["event"] for e in feed["events"]] == ["raised"]
    assert (alarm["state"], alarm["zone"], alarm["limit"]) == ("active", "COLD", 8.0)

    path = f"/api/v1/alarms/{alarm['id']}"
    operator = headers[Role.OPERATOR]
    assert client.post(f"{path}/shelve", json={"reason": "maintenance", "minutes": 30},
                       headers=operator).status_code == 403
    shelved = client.post(f"{path}/shelve", json={"reason": "defrost cycle", "minutes": 30},
                          headers=headers[Role.SUPERVISOR])
    assert shelved.status_code == 200, shelved.text
    assert shelved.json()["shelved"] and shelved.json()["shelve_reason"] == "defrost cycle"
    assert shelved.json()["shelved_until"] is not None
    unshelved = client.post(f"{path}/unshelve", json={}, headers=headers[Role.SUPERVISOR])
    assert unshelved.status_code == 200 and not unshelved.json()["shelved"]

    key = {**operator, "Idempotency-Key": "ack-alarm-1"}
    first = client.post(f"{path}/acknowledge", json={"comment": "on it"}, headers=key)
    again = client.post(f"{path}/acknowledge", json={"comment": "on it"}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["state"] == "acknowledged"
    twice = client.post(f"{path}/acknowledge", json={"comment": "me too"},
                        headers={**operator, "Idempotency-Key": "ack-alarm-2"})
    assert twice.status_code == 409 and twice.json()["error"] == "alarm_state"
    detail = client.get(path, headers=operator).json()
    assert [e["event"] for e in detail["events"]] == [
        "raised", "shelved", "unshelved", "acknowledged"]
    assert [e["by"] for e in detail["events"]][1:] == [
        "supervisor-api", "supervisor-api", "operator-api"]
    assert client.get("/api/v1/alarms/999", headers=operator).status_code == 404
    wait_until(lambda: hub.alarms is not None and hub.alarms.notifier.idle(), what="idle")


def test_rules_from_a_file_are_read_only_over_the_api(tmp_path: Path) -> None:
    rules = tmp_path / "alarms.toml"
    rules.write_text('[[thresholds]]\nzone = "COLD"\nquantity = "temperature_c"\n'
                     'high_critical = 8\n')
    hub = Hub.build(load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}",
                                  mqtt_url="mqtt://127.0.0.1:1", alarm_rules=rules))
    with hub.writes() as session:
        token = create_user_with_token(session, "admin-file", Role.ADMIN).token
    hub.alarms = build_alarms(hub)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(hub, manage_lifecycle=False)) as client:
        got = client.get("/api/v1/alarms/rules", headers=headers).json()
        assert (got["source"], got["file"]) == ("file", "alarms.toml")
        refused = client.put("/api/v1/alarms/rules", json=RULES, headers=headers)
        assert refused.status_code == 409 and refused.json()["error"] == "rules_from_file"
    hub.stop()
