"""The audit trail on SQLite and PostgreSQL, over HTTP: an alarm rule edit needs a
reason (422 without), leaves a row with who, via what, before and after; supervisors
page through it and export it as CSV, operators may not. The trail is append-only
for the hub's connection; a row edited or deleted by other means (the trigger
dropped or bypassed, as a superuser could) is named by `stockwarden audit verify`
and raises the critical audit_chain alarm, which cannot be shelved."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hub.app import create_app
from hub.cli import app as cli
from hub.container import Hub, build_alarms
from hub.settings import load_settings
from kernel import audit
from kernel.actors import Actor, Role
from kernel.orm import StorageClass, Zone
from kernel.uow import run_write, unit_of_work
from tests.support.auth import bearer_headers, signature

RULE = {"zone": "COLD", "quantity": "temperature_c", "high_critical": 8, "delay": "10s"}


@pytest.fixture
def trail(db_url: str) -> Iterator[tuple[Hub, TestClient, dict[Role, dict[str, str]], str]]:
    hub = Hub.build(load_settings(database_url=db_url, mqtt_url="mqtt://127.0.0.1:1",
                                  alarm_tick_s=0.1))

    def work() -> None:
        session.add(Zone(code="COLD", name="Cold room", storage_class=StorageClass(
            code="2-8C", name="fridge", temp_min_c=2, temp_max_c=8)))

    with hub.writes() as session:
        run_write(session, work)
    headers = {role: bearer_headers(hub, role) for role in Role}
    hub.alarms = build_alarms(hub)
    hub.alarms.start()
    with TestClient(create_app(hub, manage_lifecycle=False)) as client:
        yield hub, client, headers, db_url
    hub.stop()


def _edits(client: TestClient, admin: dict[str, str], n: int) -> None:
    for i in range(n):
        rule = {**RULE, "high_critical": 8 + i}
        answer = client.put("/api/v1/alarms/rules", params={"reason": f"edit {i}"},
                            json={"thresholds": [rule], "signature": signature("approved")},
                            headers=admin)
        assert answer.status_code == 200, answer.text


def test_a_rule_edit_needs_a_reason_and_is_on_the_trail_for_supervisors(trail) -> None:
    _hub, client, headers, _ = trail
    admin = headers[Role.ADMIN]
    refused = client.put("/api/v1/alarms/rules", headers=admin,
                         json={"thresholds": [RULE], "signature": signature("approved")})
    assert refused.status_code == 422
    assert refused.json()["error"] == "reason_required"
    assert "needs a reason" in refused.text
    assert client.get("/api/v1/alarms/rules", headers=admin).json()["rules"] == {}

    _edits(client, admin, 2)
    assert client.get("/api/v1/audit", headers=headers[Role.OPERATOR]).status_code == 403
    rows = client.get("/api/v1/audit", params={"entity": "alarm_rules"},
                      headers=headers[Role.SUPERVISOR])
    assert rows.status_code == 200, rows.text
    first, second = rows.json()
    admin_name = client.get("/api/v1/auth/me", headers=admin).json()["username"]
    assert (first["actor"], first["action"], first["reason"]) == (admin_name, "update",
                                                                  "edit 0")
    assert first["via"].startswith("token ")
    assert first["before"] == {"thresholds": None}  # no rules before the first edit
    assert first["after"]["thresholds"][0]["high_critical"] == 8
    assert second["before"]["thresholds"][0]["high_critical"] == 8
    assert second["after"]["thresholds"][0]["high_critical"] == 9
    page = client.get("/api/v1/audit", params={"after_seq": first["seq"], "limit": 1,
                                               "user": admin_name},
                      headers=headers[Role.SUPERVISOR]).json()
    assert [r["seq"] for r in page] == [second["seq"]]
    exported = client.get("/api/v1/audit.csv", params={"action": "update"},
                          headers=headers[Role.SUPERVISOR])
    assert exported.status_code == 200 and exported.headers["content-type"].startswith(
        "text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["reason"] for r in table] == ["edit 0", "edit 1"]
    assert '"high_critical":9' in table[1]["after"]


def _config(tmp_path, db_url: str):
    path = tmp_path / "hub.toml"
    path.write_text(f'database_url = "{db_url}"\nmqtt_url = "mqtt://127.0.0.1:1"\n')
    return str(path)


def test_a_tampered_row_is_named_by_verify_and_raises_an_alarm_nobody_can_shelve(
    trail, tmp_path,
) -> None:
    hub, client, headers, db_url = trail
    _edits(client, headers[Role.ADMIN], 4)
    seq = _rule_rows(client, headers)[1]
    config = _config(tmp_path, db_url)
    fine = CliRunner().invoke(cli, ["audit", "verify", "--config", config])
    assert fine.exit_code == 0, fine.output
    assert f"verifies: {seq + 2} rows; head seq {seq + 2}" in fine.output

    # The hub's own connection cannot edit or delete the trail.
    for statement in (f"UPDATE audit_trail SET reason = 'nothing' WHERE seq = {seq}",
                      f"DELETE FROM audit_trail WHERE seq = {seq + 1}"):
        with pytest.raises(DBAPIError, match="append-only"), hub.writes() as session, \
                session.begin():
            session.execute(text(statement))

    _tamper(db_url, f"UPDATE audit_trail SET reason = 'nothing' WHERE seq = {seq}")
    broken = CliRunner().invoke(cli, ["audit", "verify", "--config", config])
    assert broken.exit_code == 1
    assert f"row {seq}: its content does not match its hash" in broken.output

    assert hub.alarms is not None
    hub.alarms.check_audit_chain()
    alarms = client.get("/api/v1/alarms", params={"kind": "audit_chain"},
                        headers=headers[Role.OPERATOR]).json()
    assert len(alarms) == 1
    assert alarms[0]["severity"] == "critical"
    assert f"audit trail row {seq}" in alarms[0]["message"]
    shelved = client.post(f"/api/v1/alarms/{alarms[0]['id']}/shelve",
                          json={"minutes": 30, "reason": "noise"},
                          headers=headers[Role.SUPERVISOR])
    assert shelved.status_code == 409 and shelved.json()["error"] == "not_shelvable"


def test_a_deleted_row_is_named_too(trail, tmp_path) -> None:
    hub, client, headers, db_url = trail
    _edits(client, headers[Role.ADMIN], 3)
    seq = _rule_rows(client, headers)[1]
    _tamper(db_url, f"DELETE FROM audit_trail WHERE seq = {seq}")
    broken = CliRunner().invoke(cli, ["audit", "verify", "--config", _config(tmp_path, db_url)])
    assert broken.exit_code == 1 and f"row {seq}: missing" in broken.output
    assert hub.alarms is not None
    hub.alarms.check_audit_chain()
    alarms = client.get("/api/v1/alarms", params={"kind": "audit_chain"},
                        headers=headers[Role.OPERATOR]).json()
    assert [a["severity"] for a in alarms] == ["critical"]


def _rule_rows(client: TestClient, headers: dict[Role, dict[str, str]]) -> list[int]:
    """The seqs of the rule edits' rows (the users made for the test come first)."""
    rows = client.get("/api/v1/audit", params={"entity": "alarm_rules"},
                      headers=headers[Role.SUPERVISOR]).json()
    return [row["seq"] for row in rows]


def _tamper(db_url: str, statement: str) -> None:
    """Another means than the hub's: on PostgreSQL a superuser session that skips
    triggers (session_replication_role), on SQLite the triggers dropped."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                conn.execute(text("DROP TRIGGER audit_trail_no_update"))
                conn.execute(text("DROP TRIGGER audit_trail_no_delete"))
            conn.execute(text(statement))
    finally:
        engine.dispose()


@unit_of_work()
def _audited(session: Session, actor: Actor, n: int) -> None:
    audit.record(session, actor, "update", "zone", f"Z{n}", {"name": "a"}, {"name": f"b{n}"})


def test_concurrent_writers_make_one_valid_chain(db_url: str) -> None:
    hub = Hub.build(load_settings(database_url=db_url, mqtt_url="mqtt://127.0.0.1:1"))
    actor = Actor(1, "writer", Role.ADMIN, via="test")
    errors: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for n in range(start, start + 15):
                with hub.writes() as session:
                    _audited(session, actor, n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k * 100,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with hub.sessions() as session:
            found = audit.verify(session)
        assert found.ok and (found.checked, found.head_seq) == (90, 90)
    finally:
        hub.stop()


def test_a_role_that_does_not_own_the_trail_can_neither_edit_it_nor_lift_its_trigger(
    pg_url: str,
) -> None:
    """The hub's own role, run as it should be (granted rights on the tables, not their
    owner): UPDATE, DELETE and TRUNCATE are refused by the trigger, and lifting the
    trigger needs the owner."""
    hub = Hub.build(load_settings(database_url=pg_url, mqtt_url="mqtt://127.0.0.1:1"))
    role = f"hub_{uuid.uuid4().hex[:8]}"
    try:
        with hub.writes() as session:
            _audited(session, Actor(1, "writer", Role.ADMIN, via="test"), 1)
        with hub.engine.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_trail "
                              f"TO {role}"))
        engine = create_engine(pg_url.replace("://postgres@", f"://{role}@"))
        try:
            for statement in ("UPDATE audit_trail SET reason = 'x'", "DELETE FROM audit_trail",
                              "TRUNCATE audit_trail",
                              "ALTER TABLE audit_trail DISABLE TRIGGER ALL"):
                with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
                    conn.execute(text(statement))
                assert "append-only" in str(refused.value) or "owner" in str(refused.value)
        finally:
            engine.dispose()
        with hub.sessions() as session:
            assert audit.verify(session).ok
    finally:
        with hub.engine.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON audit_trail FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        hub.stop()
