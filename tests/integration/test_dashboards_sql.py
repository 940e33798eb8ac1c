"""The PostgreSQL side of the dashboards, checked as Grafana would use it.

The hub's PostgreSQL is filled through the real hub: master data, receipts and a
quality hold through the API, readings and a gateway's status through ingest's own
examination and store, an alarm, its acknowledgement, an excursion and a failed
notification as rows of the alarm engine's tables. Then every SQL panel query and
every annotation is expanded as Grafana's PostgreSQL datasource expands its macros
and variables, and run: each must succeed and return rows, the values shown must be
the ones stored, and a misspelt column must fail the check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from alerts.orm import Alarm, Excursion, Notification
from contract import wire
from contract.mqtt_client import Delivery
from ingest.service import IngestService
from ingest.settings import ingest_settings
from kernel.actors import Role
from tests.support.inventory_world import World, build_world
from tests.support.services import Postgres

Json = dict[str, Any]

BOARD_FILES = sorted((Path(__file__).resolve().parents[2] / "dashboards" / "json").glob("*.json"))
PG_UID = "stockwarden-pg"
RANGE = timedelta(hours=6)


def boards() -> dict[str, Json]:
    return {path.name: json.loads(path.read_text()) for path in BOARD_FILES}


def sql_queries(board: Json) -> list[tuple[str, str]]:
    """(where, SQL) of every PostgreSQL panel target and annotation of a board."""
    found = [(f"{p['title']} / {t['refId']}", t["rawSql"])
             for p in board["panels"] for t in p["targets"]
             if t["datasource"]["uid"] == PG_UID]
    found += [(f"annotation {a['name']}", a["target"]["rawSql"])
              for a in board["annotations"]["list"] if a["datasource"]["uid"] == PG_UID]
    return found


def grafana_time(at: datetime) -> str:
    # Grafana's PostgreSQL macros put the range in as RFC 3339 UTC literals.
    return "'" + at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


def expand(sql: str, start: datetime, end: datetime, variables: dict[str, list[str] | None]) -> str:
    """The macros and variables of Grafana's PostgreSQL datasource:
    $__timeFilter(col) -> col BETWEEN from AND to, $__timeFrom() / $__timeTo() ->
    the range's ends, ${var:regex} -> (a|b), or the variable's allValue ".*" for All."""
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)",
                 lambda m: f"{m[1].strip()} BETWEEN {grafana_time(start)} AND {grafana_time(end)}",
                 sql)
    sql = sql.replace("$__timeFrom()", grafana_time(start))
    sql = sql.replace("$__timeTo()", grafana_time(end))
    for name, values in variables.items():
        regex = ".*" if values is None else "(" + "|".join(re.escape(v) for v in values) + ")"
        sql = sql.replace(f"${{{name}:regex}}", regex)
    assert not re.search(r"\$(?:__|\{|\w)", sql), f"unexpanded macro or variable in {sql}"
    return sql


@dataclass
class Filled:
    engine: Engine
    world: World
    now: datetime
    zone: str
    gateway: str
    sensors: list[str]

    def run(self, sql: str, zones: list[str] | None = None) -> list[dict[str, Any]]:
        query = expand(sql, self.now - RANGE, self.now + timedelta(minutes=1), {"zone": zones})
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(query))]

    def panel(self, board: str, title: str, zones: list[str] | None = None) -> list[dict]:
        (found,) = [p for p in boards()[board]["panels"] if p["title"] == title]
        (target,) = found["targets"]
        return self.run(target["rawSql"], zones)

    def annotation(self, name: str, zones: list[str] | None = None) -> list[dict]:
        (found,) = [a for a in boards()["storage-conditions.json"]["annotations"]["list"]
                    if a["name"] == name]
        return self.run(found["target"]["rawSql"], zones)


def ingest_through_the_hub(world: World, now: datetime, gateway: str,
                           sensors: list[str]) -> None:
    """A telemetry and a status message as ingest examines and stores them."""
    service = IngestService(ingest_settings(world.hub.settings), world.hub.sessions,
                            world.hub.registry)
    service.refresh_zones()
    telemetry = wire.Telemetry(gateway=gateway, seq=1, readings=[
        wire.Reading(sensor=sensor, ts=now - timedelta(minutes=2),
                     quantities={"temperature_c": 5.0, "humidity_pct": 50.0})
        for sensor in sensors])
    status = wire.Status(state="online", ts=now - timedelta(minutes=1), version="1.4.0",
                         outbox_depth=12, outbox_dropped=3)
    items = []
    for kind, message in (("telemetry", telemetry), ("status", status)):
        delivery = Delivery(wire.gateway_topic("main", gateway, kind), wire.encode(message),
                            mid=1, qos=1, generation=0)
        items.append(service._examine(delivery, now))
    result = service.store.commit_isolating(items, now, None)
    assert result.readings == len(sensors) and not result.dead


@pytest.fixture(scope="module")
def filled(postgres: Postgres) -> Iterator[Filled]:
    world = next(build_world_gen := build_world(postgres.create_database("dashboards_sql")))
    now = datetime.now(UTC).replace(microsecond=0)
    today = date.today()
    # Sensors in the fridge, registered over the API; readings and status via ingest.
    gateway, sensors = "gw-dash", ["fridge-1", "fridge-2"]
    for sensor in sensors:
        world.ok(world.post("/sensors", {"id": sensor, "zone": "FRIDGE"}, Role.ADMIN))
    ingest_through_the_hub(world, now, gateway, sensors)

    # Stock: one lot expiring in 10 days, one in 60, one in years; an item below its
    # minimum (nothing received) and one above its maximum.
    world.ok(world.post("/items", {"sku": "MASK", "name": "masks", "min_stock": 100},
                        Role.ADMIN))
    world.ok(world.post("/items", {"sku": "SYR", "name": "syringes", "max_stock": 10},
                        Role.ADMIN))
    world.receive("VAC-1", "V-SOON", 5, "F-01", str(today + timedelta(days=10)))
    world.receive("VAC-1", "V-SOON", 3, "F-02", str(today + timedelta(days=10)))
    world.receive("GLOVE", "G-60", 200, "R-01", str(today + timedelta(days=60)))
    world.receive("ETH-1", "E-LATE", 4, "H-01", "2099-12-31")
    world.receive("SYR", "S-1", 50, "R-01", "2099-12-31")
    (lot,) = world.ok(world.get("/lots", item="VAC-1"))
    lot_id = lot["id"]
    world.ok(world.post(f"/lots/{lot_id}/qc-status",
                        {"status": "on_hold", "reason": "fridge excursion"}, Role.SUPERVISOR))

    # The alarm engine's records: one alarm acknowledged after 10 minutes, one still
    # active, a closed excursion with held lots, a failed and a sent notification.
    raised = now - timedelta(hours=1)
    with world.hub.writes() as session, session.begin():
        session.add_all([
            Alarm(rule="fridge-high", subject="fridge-1", open_key="fridge-high/fridge-1",
                  kind="threshold", state="acknowledged", severity="critical", zone="FRIDGE",
                  value=9.5, limit=8.0, message="fridge-1 temperature 9.5 above 8.0",
                  raised_at=raised, updated_at=raised + timedelta(minutes=10),
                  acked_by="supervisor1", acked_at=raised + timedelta(minutes=10)),
            Alarm(rule="gateway-offline", subject=gateway, open_key=f"gateway-offline/{gateway}",
                  kind="gateway", state="active", severity="warning", gateway=gateway,
                  message=f"{gateway} offline", raised_at=now - timedelta(minutes=5),
                  updated_at=now - timedelta(minutes=5)),
            Excursion(sensor="fridge-1", quantity="temperature_c", zone="FRIDGE",
                      start=raised, end=raised + timedelta(minutes=40), peak=9.5, side="above",
                      severity="critical", above_s=2400, critical_s=2400,
                      tolerance_passed=True, held_at=raised + timedelta(minutes=30),
                      held_lots=["V-SOON"]),
            Excursion(sensor="room-1", quantity="temperature_c", zone="ROOM",
                      start=now - timedelta(days=3), end=now - timedelta(days=3, hours=-1),
                      peak=27.0, side="above", severity="warning"),
            Notification(route="on-call", group="pharmacists", target="mailto://…",
                         title="fridge-high", alarm_ids=[1], status="failed", attempts=3,
                         error="SMTP refused", at=raised + timedelta(minutes=1)),
            Notification(route="on-call", group="pharmacists", target="mailto://…",
                         title="fridge-high", alarm_ids=[1], status="sent", attempts=1,
                         at=raised + timedelta(minutes=2)),
        ])
    yield Filled(world.hub.engine, world, now, "FRIDGE", gateway, sensors)
    next(build_world_gen, None)


def problems(filled: Filled, board: Json) -> list[str]:
    found = []
    for where, sql in sql_queries(board):
        try:
            rows = filled.run(sql)
        except Exception as error:  # what Grafana would show as the panel's error
            found.append(f"{board['uid']} / {where}: {str(error).splitlines()[0]}")
            continue
        if not rows:
            found.append(f"{board['uid']} / {where}: no rows")
    return found


SQL_BOARDS = [name for name, board in boards().items() if sql_queries(board)]


def test_the_boards_with_sql_are_the_expected_ones() -> None:
    assert sorted(SQL_BOARDS) == ["alarms.json", "inventory-expiry.json",
                                  "storage-conditions.json"]


@pytest.mark.parametrize("name", SQL_BOARDS)
def test_every_sql_query_runs_and_shows_rows(filled: Filled, name: str) -> None:
    assert problems(filled, boards()[name]) == []


def columns() -> set[str]:
    from kernel.orm import Base

    return {column.name for table in Base.metadata.tables.values() for column in table.columns}


# String literals and captions ("Last seen") are not column names; "end" is.
QUOTED = re.compile(r"""('[^']*'|"[^"]*")""")


def named_columns(sql: str, known: set[str]) -> set[str]:
    words = set()
    for part in QUOTED.split(sql):
        if part.startswith("'") or (part.startswith('"') and not re.fullmatch(r'"[a-z_]+"', part)):
            continue
        words |= set(re.findall(r"\b[a-z_]+\b", part))
    return words & known


def misspell(sql: str, column: str) -> str:
    """`column` spelt `columnx` at its first place outside literals and captions."""
    parts = QUOTED.split(sql)
    for i, part in enumerate(parts):
        if part.startswith("'") or (part.startswith('"') and part != f'"{column}"'):
            continue
        changed = re.sub(rf"\b{column}\b", column + "x", part, count=1)
        if changed != part:
            parts[i] = changed
            return "".join(parts)
    raise AssertionError(f"{column} not in {sql}")


@pytest.mark.parametrize("name", SQL_BOARDS)
def test_a_misspelt_column_fails_the_check(filled: Filled, name: str) -> None:
    """Every column any query names, misspelt in turn at its first place, must make
    that query fail."""
    board = boards()[name]
    known = columns()
    tried = 0
    for where, sql in sql_queries(board):
        named = named_columns(sql, known)
        assert named, sql
        for column in sorted(named):
            wrong = misspell(sql, column)
            broken = {**board, "panels": [], "annotations": {"list": [{
                "name": where, "datasource": {"uid": PG_UID}, "target": {"rawSql": wrong}}]}}
            assert problems(filled, broken), f"{where}: {column} -> {column}x went unnoticed"
            tried += 1
    assert tried >= len(sql_queries(board)) * 2


def test_inventory_and_expiry_show_the_stock(filled: Filled) -> None:
    board = "inventory-expiry.json"
    assert filled.panel(board, "Lots expiring within 30 days") == [{"Lots": 1}]
    assert filled.panel(board, "Lots expiring within 90 days") == [{"Lots": 2}]
    assert filled.panel(board, "Lots on hold") == [{"Lots": 1}]
    soon = filled.panel(board, "Expiring within 30 days")
    assert [(r["Item"], r["Lot"], r["Days left"], r["On hand"], r["Zones"], r["Status"])
            for r in soon] == [("VAC-1", "V-SOON", 10, 8, "FRIDGE", "on_hold")]
    assert [r["Lot"] for r in filled.panel(board, "Expiring within 90 days")] == \
        ["V-SOON", "G-60"]
    (held,) = filled.panel(board, "Held lots")
    stock = {r["Zone"]: (r["On hand"], r["Held"]) for r in filled.panel(board, "Stock by zone")}
    assert stock == {"FRIDGE": (8, 0), "ROOM": (250, 0), "HAZ": (4, 0)}
    assert filled.panel(board, "Items below minimum") == [{"Items": 1}]
    below = filled.panel(board, "Items to reorder")
    assert [(r["Item"], r["On hand"], r["Minimum"]) for r in below] == [("MASK", 0, 100)]
    above = filled.panel(board, "Items above maximum")
    assert [(r["Item"], r["On hand"], r["Maximum"]) for r in above] == [("SYR", 50, 10)]
    assert (held["Lot"], held["Reason"], held["On hand"]) == ("V-SOON", "fridge excursion", 8)


def test_alarms_show_the_alarm_records(filled: Filled) -> None:
    board = "alarms.json"
    assert filled.panel(board, "Active, not acknowledged") == [{"Alarms": 1}]
    assert filled.panel(board, "Acknowledged") == [{"Alarms": 1}]
    assert float(filled.panel(board, "Mean time to acknowledge")[0]["Mean"]) == 600
    assert filled.panel(board, "Notifications failed") == [{"Failed": 1}]
    open_alarms = filled.panel(board, "Open alarms")
    assert [(r["Rule"], r["State"]) for r in open_alarms] == [
        ("gateway-offline", "active"), ("fridge-high", "acknowledged")]
    (acked,) = filled.panel(board, "Time to acknowledge")
    assert acked["Acknowledged by"] == "supervisor1"
    assert float(acked["Time to acknowledge"]) == 600
    (failed,) = filled.panel(board, "Failed notifications")
    assert failed["Error"] == "SMTP refused" and failed["Attempts"] == 3


def test_storage_conditions_mark_excursions_and_alarms(filled: Filled) -> None:
    # Within the 6 h range: the fridge's excursion, not the room's of three days ago.
    (excursion,) = filled.annotation("Excursions")
    assert excursion["time"] == filled.now - timedelta(hours=1)
    assert excursion["timeend"] == filled.now - timedelta(minutes=20)
    assert excursion["text"][10:] == "fridge-1 temperature_c above limits, peak 9.5, lots held"
    assert excursion["tags"] == "excursion,FRIDGE,critical"
    assert filled.annotation("Excursions", ["ROOM"]) == []
    alarms = filled.annotation("Alarms", ["FRIDGE"])
    # The zone's alarm and the gateway's (no zone), the open one reaching to the end.
    assert [a["text"].split(":")[0] for a in alarms] == ["CRITICAL fridge-high",
                                                         "WARNING gateway-offline"]
    assert "acknowledged by supervisor1" in alarms[0]["text"]


def test_storage_conditions_show_gateways_and_sensors(filled: Filled) -> None:
    board = "storage-conditions.json"
    (gateway,) = filled.panel(board, "Gateways")
    assert (gateway["Gateway"], gateway["State"], gateway["Outbox depth"],
            gateway["Dropped"], gateway["Version"]) == (filled.gateway, "online", 12, 3, "1.4.0")
    assert gateway["Last seen"] == filled.now
    sensors = filled.panel(board, "Sensors", ["FRIDGE"])
    assert sorted(r["Sensor"] for r in sensors) == filled.sensors
    assert {r["Zone"] for r in sensors} == {"FRIDGE"}
    assert all(r["Quality"] == "good" for r in sensors)
    assert filled.panel(board, "Sensors", ["ROOM"]) == []
