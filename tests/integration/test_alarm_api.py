"""/api/v1/alarms over HTTP, on SQLite and PostgreSQL: rules edited over the API
(none from a file) or refused (from a file), acknowledge with an idempotency key,
shelve and unshelve (supervisor), and the live feed's cursor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from alerts.model import Reading
from hub.accounts.service import create_user_with_token
from hub.app import create_app
from hub.container import Hub, build_alarms
from hub.settings import load_settings
from ingest.orm import Sensor
from kernel.actors import Role
from kernel.orm import StorageClass, Zone
from kernel.uow import run_write
from tests.support.auth import SIGN_PASSWORD, signature
from tests.support.mqtt import wait_until

# Rule changes are signed (kernel/signatures.py): in the body, or a DELETE's headers;
# a critical alarm's acknowledgement too.
SIGNED_DELETE = {"Signature-Password": SIGN_PASSWORD, "Signature-Meaning": "approved"}
ACK = {"comment": "on it", "signature": signature("reviewed")}


def signed(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "signature": signature("approved")}


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
            token = create_user_with_token(session, f"{role.value}-api", role, SIGN_PASSWORD,
                                           f"{role.value.title()} Api").token
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
    refused = client.put("/api/v1/alarms/rules?reason=test", json=signed(inverted),
                         headers=headers[Role.ADMIN])
    assert refused.status_code == 422
    assert "thresholds[0].high_critical: must be at or above high_warning" in refused.text
    assert client.put("/api/v1/alarms/rules?reason=test", json=signed(RULES),
                      headers=headers[Role.SUPERVISOR]).status_code == 403
    saved = client.put("/api/v1/alarms/rules?reason=test", json=signed(RULES),
                       headers=headers[Role.ADMIN])
    assert saved.status_code == 200, saved.text
    added = client.post("/api/v1/alarms/rules/thresholds?reason=test", json=signed({
        "sensor": "s1", "quantity": "humidity_pct", "high_warning": 80}),
        headers=headers[Role.ADMIN])
    assert added.status_code == 200, added.text
    assert len(added.json()["rules"]["thresholds"]) == 2
    removed = client.delete("/api/v1/alarms/rules/sensor:s1:humidity_pct?reason=test",
                            headers={**headers[Role.ADMIN], **SIGNED_DELETE})
    assert removed.status_code == 200 and len(removed.json()["rules"]["thresholds"]) == 1
    assert client.delete("/api/v1/alarms/rules/sensor:s1:humidity_pct?reason=test",
                         headers={**headers[Role.ADMIN], **SIGNED_DELETE}).status_code == 404
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

    unsigned = client.post(f"{path}/acknowledge", json={"comment": "on it"},
                           headers={**operator, "Idempotency-Key": "ack-alarm-0"})
    assert unsigned.status_code == 422, unsigned.text  # a critical alarm: signed
    assert unsigned.json()["error"] == "signature_required"
    key = {**operator, "Idempotency-Key": "ack-alarm-1"}
    first = client.post(f"{path}/acknowledge", json=ACK, headers=key)
    again = client.post(f"{path}/acknowledge", json=ACK, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["state"] == "acknowledged"
    twice = client.post(f"{path}/acknowledge", json={**ACK, "comment": "me too"},
                        headers={**operator, "Idempotency-Key": "ack-alarm-2"})
    assert twice.status_code == 409 and twice.json()["error"] == "alarm_state"
    detail = client.get(path, headers=operator).json()
    assert [e["event"] for e in detail["events"]] == [
        "raised", "shelved", "unshelved", "acknowledged"]
    assert [e["by"] for e in detail["events"]][1:] == [
        "supervisor-api", "supervisor-api", "operator-api"]
    [ack_signed] = detail["signatures"]
    assert ack_signed["text"].startswith("Reviewed by Operator Api (operator-api) on ")
    assert ack_signed["action"] == "alarm_ack" and ack_signed["key"] == str(alarm["id"])
    assert client.get("/api/v1/alarms/999", headers=operator).status_code == 404
    wait_until(lambda: hub.alarms is not None and hub.alarms.dispatcher.idle(), what="idle")


def test_rules_from_a_file_are_read_only_over_the_api(tmp_path: Path) -> None:
    rules = tmp_path / "alarms.toml"
    rules.write_text('[[thresholds]]\nzone = "COLD"\nquantity = "temperature_c"\n'
                     'high_critical = 8\n')
    hub = Hub.build(load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}",
                                  mqtt_url="mqtt://127.0.0.1:1", alarm_rules=rules))
    with hub.writes() as session:
        token = create_user_with_token(session, "admin-file", Role.ADMIN, SIGN_PASSWORD,
                                       "Admin File").token
    hub.alarms = build_alarms(hub)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(hub, manage_lifecycle=False)) as client:
        got = client.get("/api/v1/alarms/rules", headers=headers).json()
        assert (got["source"], got["file"]) == ("file", "alarms.toml")
        refused = client.put("/api/v1/alarms/rules?reason=test", json=signed(RULES),
                             headers=headers)
        assert refused.status_code == 409 and refused.json()["error"] == "rules_from_file"
        refused = client.post("/api/v1/alarms/rules/thresholds?reason=test",
                              json=signed(RULES["thresholds"][0]), headers=headers)
        assert refused.status_code == 409 and refused.json()["error"] == "rules_from_file"
    hub.stop()


SECRETS = ("s3cretPW", "BOTKEY0123456789", "123456789:AAbbCCdd", "T1JJ3T3L2",
           "B1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ", "QTOKEN99")
RECIPIENTS = {
    "duty": {"urls": ["mailtos://alarms:s3cretPW@smtp.example.com?to=duty@example.com",
                      "wecombot://BOTKEY0123456789", "tgram://123456789:AAbbCCdd/12345"]},
    "quality": {"description": "QA on call",
                "urls": ["slack://T1JJ3T3L2/B1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#qa",
                         "json://hooks.example.com/alarm?token=QTOKEN99&format=json"]},
}
WITH_RECIPIENTS = {
    "defaults": {"delay": "90s", "expected_interval": "2m", "excursion_tolerance": "1h30m"},
    "gateways": {"status_interval": "45s"},
    "thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                    "delay": "1s"},
                   {"sensor": "s1", "quantity": "humidity_pct", "high_warning": 80,
                    "delay": "PT2M"}],  # ISO 8601 is read too; shown as 2m
    "offline": [{"zone": "COLD", "expected_interval": "10m"}],
    "recipients": RECIPIENTS,
    "routes": [{"name": "cold-chain", "groups": ["duty", "quality"], "escalate_after": "15m"}],
    "quiet_hours": {"start": "22:00", "end": "06:00"},
    "grouping": {"window": "30.5s"},
}


def _stored_urls(hub: Hub) -> dict[str, list[str]]:
    from alerts import repository
    from alerts.rules_editing import RULES_KEY

    with hub.sessions() as session:
        document = repository.get_setting(session, RULES_KEY) or {}
    return {name: group["urls"] for name, group in document.get("recipients", {}).items()}


def test_recipient_urls_are_masked_for_every_role_and_kept_through_a_round_trip(
    api: tuple[Hub, TestClient, dict[Role, dict[str, str]]],
) -> None:
    hub, client, headers = api
    admin = headers[Role.ADMIN]
    put = client.put("/api/v1/alarms/rules?reason=test", json=signed(WITH_RECIPIENTS),
                     headers={**admin, "Idempotency-Key": "rules-with-secrets"})
    assert put.status_code == 200, put.text
    with hub.sessions() as session:  # the answer kept for a replay holds no secret either
        kept = " ".join(" ".join(map(str, row)) for row in session.execute(
            text("SELECT * FROM idempotency_records")).all())
    assert "wecombot://***" in kept
    assert not [s for s in SECRETS if s in kept]
    with hub.sessions() as session:  # nor does the audit trail's row of the change
        trail = " ".join(" ".join(map(str, row)) for row in session.execute(
            text("SELECT * FROM audit_trail WHERE entity = 'alarm_rules'")).all())
    assert "wecombot://***" in trail and "test" in trail
    assert not [s for s in SECRETS if s in trail]
    for role in Role:
        got = client.get("/api/v1/alarms/rules", headers=headers[role])
        assert got.status_code == 200
        for secret in SECRETS:
            assert secret not in got.text, (role, secret)
    for answer in (put, got):
        shown = answer.json()["rules"]["recipients"]
        assert shown["duty"]["urls"] == [
            "mailtos://alarms:***@smtp.example.com?to=duty@example.com",
            "wecombot://***", "tgram://***/12345"]
        assert shown["quality"]["urls"] == [
            "slack://***/***/***/#qa", "json://hooks.example.com/***?token=***&format=json"]

    # GET -> PUT with the masked URLs unchanged keeps the real ones, sending included.
    again = client.put("/api/v1/alarms/rules?reason=test", json=signed(got.json()["rules"]),
                       headers=admin)
    assert again.status_code == 200, again.text
    real = {name: group["urls"] for name, group in RECIPIENTS.items()}
    assert _stored_urls(hub) == real
    assert hub.alarms is not None
    assert {n: g.urls for n, g in hub.alarms.rules.recipients.items()} == real

    # A new URL replaces the stored one; the others stay.
    edited = got.json()["rules"]
    edited["recipients"]["duty"]["urls"][1] = "wecombot://NEWBOTKEY987654321"
    assert client.put("/api/v1/alarms/rules?reason=test", json=signed(edited),
                      headers=admin).status_code == 200
    assert _stored_urls(hub)["duty"] == [real["duty"][0], "wecombot://NEWBOTKEY987654321",
                                         real["duty"][2]]
    # A masked URL that was never stored would send to a literal ***: refused.
    edited["recipients"]["duty"]["urls"][1] = "wecombot://***/extra"
    refused = client.put("/api/v1/alarms/rules?reason=test", json=signed(edited), headers=admin)
    assert refused.status_code == 422
    assert "recipients.duty.urls[1]: a masked URL" in refused.json()["detail"]
    assert _stored_urls(hub)["duty"][1] == "wecombot://NEWBOTKEY987654321"


def test_what_get_returns_put_takes_back_unchanged(
    api: tuple[Hub, TestClient, dict[Role, dict[str, str]]],
) -> None:
    hub, client, headers = api
    admin = headers[Role.ADMIN]
    assert client.put("/api/v1/alarms/rules?reason=test", json=signed(WITH_RECIPIENTS),
                      headers=admin).status_code == 200
    before = client.get("/api/v1/alarms/rules", headers=admin).json()["rules"]
    # Durations in the file's notation, as written (the ISO one shown as the file's).
    assert before["thresholds"][0]["delay"] == "1s"
    assert before["thresholds"][1]["delay"] == "2m"
    assert before["defaults"]["excursion_tolerance"] == "1h30m"
    assert before["grouping"]["window"] == "30.5s"
    assert before["routes"][0]["escalate_after"] == "15m"
    assert hub.alarms is not None
    rules_before = hub.alarms.rules
    again = client.put("/api/v1/alarms/rules?reason=test", json=signed(before), headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["rules"] == before
    assert client.get("/api/v1/alarms/rules", headers=admin).json()["rules"] == before
    assert hub.alarms.rules == rules_before


def test_a_long_poll_whose_token_is_revoked_meanwhile_answers_401_and_no_event(
    api: tuple[Hub, TestClient, dict[Role, dict[str, str]]],
) -> None:
    hub, client, headers = api
    admin, operator = headers[Role.ADMIN], headers[Role.OPERATOR]
    assert client.put("/api/v1/alarms/rules?reason=test", json=signed({"thresholds": [
        {"zone": "COLD", "quantity": "temperature_c", "high_critical": 8, "delay": "0s"}]}),
        headers=admin).status_code == 200
    cursor = client.get("/api/v1/alarms/changes", headers=operator).json()["cursor"]
    answers: list[Any] = []
    poll = threading.Thread(target=lambda: answers.append(client.get(
        "/api/v1/alarms/changes", params={"since": cursor, "wait": 20}, headers=operator)))
    poll.start()
    time.sleep(1.0)  # the poll is waiting, its token checked at its start
    [token] = client.get("/api/v1/users/operator-api/tokens", headers=admin).json()
    revoked = client.delete(f"/api/v1/users/operator-api/tokens/{token['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"]
    assert hub.alarms is not None
    hub.alarms.on_readings([Reading("s1", datetime.now(UTC), {"temperature_c": 9.5})])
    poll.join(15)
    [answer] = answers
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_token" and "events" not in answer.text
    # The event was made, and the admin (still valid) sees it.
    feed = client.get("/api/v1/alarms/changes", params={"since": cursor, "wait": 5},
                      headers=admin).json()
    assert [e["event"] for e in feed["events"]] == ["raised"]
