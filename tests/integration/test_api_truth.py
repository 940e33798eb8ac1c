"""The API keeps its OpenAPI promise (issue 7, item 4): one error body for every
failure, declared on every status; unparseable bodies, ids and dates out of range
and text no database can store are a 422 naming the field, on both databases;
an hourly mean never overflows; no exception escapes to the server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Depends

from hub.app import create_app
from ingest.orm import HourlyStat
from inventory import bulk_import
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World
from tests.support.processes import free_port

world = inventory_world.world

BIG = 1.7e308


def problems(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "invalid_request", body
    return {p["field"]: p["problem"] for p in body["detail"]}


# --- the document


def test_the_document_declares_the_error_body_on_every_error_status(world: World) -> None:
    doc = world.client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    detail = schemas["ErrorBody"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]
    assert schemas["FieldProblem"]["required"] == ["field", "problem"]
    assert "HTTPValidationError" not in str(doc)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            statuses = set(op["responses"])
            assert "422" in statuses, (method, path)
            if path.startswith("/api/v1") and path != "/api/v1/auth/login":
                assert {"401", "403"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if method in {"post", "patch", "delete"} and path != "/api/v1/auth/login":
                assert {"404", "409", "503"} <= statuses, (method, path)
                assert "Retry-After" in op["responses"]["503"]["headers"]
            if method in {"post", "put", "patch", "delete"}:  # bodies bounded: issue 15, 10
                assert {"408", "413"} <= statuses, (method, path)
            for status, answer in op["responses"].items():
                if int(status) >= 400 and (path, status) != ("/health", "503"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorBody", (method, path, status)
    lot = doc["paths"]["/api/v1/lots/{lot_id}"]["get"]["parameters"][0]["schema"]
    assert (lot["minimum"], lot["maximum"]) == (1, 2**31 - 1)
    assert "known" in schemas["ScanPublic"]["properties"]
    health = doc["paths"]["/health"]["get"]["responses"]["503"]["content"]
    assert health["application/json"]["schema"]["$ref"].endswith("/HealthPublic")


# --- unparseable bodies, ids and dates


@pytest.mark.parametrize("raw", [b"{bad", b'{"sku": "A"', b"\xff\xfe{}", b"[" * 100_000])
def test_an_unparseable_body_gets_the_error_shape(world: World, raw: bytes) -> None:
    answer = world.client.post("/api/v1/items", content=raw, headers={
        **world.headers(Role.ADMIN), "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "invalid_json"
    assert body["detail"].startswith("the body is not JSON")


def test_ids_out_of_range_are_422_not_500(world: World) -> None:
    huge = "9223372036854775808"
    for path in (f"/lots/{huge}", f"/lots/{huge}/trace", f"/lots/{2**31}"):
        assert "path.lot_id" in problems(world.get(path)), path
    answer = world.post(f"/lots/{huge}/qc-status", {"status": "on_hold", "reason": "test"},
                        Role.SUPERVISOR)
    assert "path.lot_id" in problems(answer)
    assert "query.after_id" in problems(world.get("/moves", after_id=2**31))
    # Found by a 200-example schemathesis run: the report's trace and the scans' page.
    assert "path.lot_id" in problems(world.get(f"/reports/lots/{huge}/trace"))
    assert "query.before_id" in problems(world.get("/scans", Role.SUPERVISOR,
                                                   before_id=-(2**65)))
    assert world.get("/lots/2147483647").status_code == 404


# Every query parameter that takes a time, on every route that has one.
TIME_PARAMETERS = [
    ("/sensors/s-dates/hourly", "end"), ("/zones/FRIDGE/hourly", "end"),
    ("/moves", "since"), ("/moves", "until"), ("/moves.csv", "until"),
    ("/alarms/excursions", "start"), ("/alarms/excursions", "end"),
    ("/reports/zones/FRIDGE", "start"), ("/reports/zones/FRIDGE", "end"),
    ("/reports/ledger", "start"), ("/reports/ledger", "end"),
    ("/reports/turnover", "start"), ("/reports/turnover", "end"),
]
# Numbers (pydantic's lax mode reads them as Unix times), words, and years that leave
# the calendar once a time zone or a period shifts them.
NOT_TIMES = ["0", "0.5", "-1.8e-25", "1700000000", "today", "0001-01-01T00:02:00Z",
             "0001-01-01T00:00:00+00:01", "0001-01-04T00:01:00Z", "9999-12-31T23:59:59Z",
             "9999-12-31T23:59:59-01:00"]
DATE_PARAMETERS = [("/lots", "expiring_before"), ("/reports/expiry", "today")]
NOT_DATES = ["0", "0.5", "20000", "today", "0001-01-01", "9999-12-31",
             "2026-01-31T00:00:00Z"]


@pytest.mark.parametrize("value", NOT_TIMES)
def test_times_out_of_range_or_not_iso_are_422_naming_the_parameter(world: World,
                                                                    value: str) -> None:
    world.ok(world.post("/sensors", {"id": "s-dates", "zone": "FRIDGE"}, Role.ADMIN))
    for path, name in TIME_PARAMETERS:
        answer = world.get(path, Role.SUPERVISOR, **{name: value})
        assert f"query.{name}" in problems(answer), (path, name)


@pytest.mark.parametrize("value", NOT_DATES)
def test_dates_out_of_range_or_not_iso_are_422_naming_the_parameter(world: World,
                                                                    value: str) -> None:
    for path, name in DATE_PARAMETERS:
        answer = world.get(path, Role.SUPERVISOR, **{name: value})
        assert f"query.{name}" in problems(answer), (path, name)


def test_the_last_dates_of_the_calendar_make_a_report_not_an_overflow(world: World) -> None:
    expiry = world.get("/reports/expiry", today="9998-12-31", within_days=3650)
    assert expiry.status_code == 200, expiry.text
    for path in ("/reports/zones/FRIDGE", "/reports/ledger", "/reports/turnover",
                 "/alarms/excursions"):
        for start, end in (("1900-01-01T00:00:00Z", "1900-01-02T00:00:00Z"),
                           ("9998-12-30T00:00:00Z", "9998-12-31T23:59:59Z")):
            answer = world.get(path, Role.SUPERVISOR, start=start, end=end)
            assert answer.status_code == 200, (path, start, answer.text)


def test_iso_dates_in_range_are_accepted(world: World) -> None:
    world.ok(world.post("/sensors", {"id": "s-iso", "zone": "FRIDGE"}, Role.ADMIN))
    for end in ("2026-01-31T12:00:00Z", "2026-01-31T12:00:00+02:00", "2026-01-31"):
        assert world.get("/sensors/s-iso/hourly", end=end).status_code == 200, end


# --- the hourly mean


def test_an_hourly_mean_near_the_float_limit_is_a_number(world: World) -> None:
    for sensor in ("big-1", "big-2"):
        world.ok(world.post("/sensors", {"id": sensor, "zone": "ROOM"}, Role.ADMIN))
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    with world.hub.writes() as session, session.begin():
        # Two readings of 1.7e308 in one hour: the stored sum overflowed to infinity.
        session.add(HourlyStat(sensor_id="big-1", quantity="temperature", hour=hour, count=2,
                               min=BIG, max=BIG, sum=float("inf")))
        # Finite sums whose total overflows (PostgreSQL's sum() raised on it).
        session.add(HourlyStat(sensor_id="big-2", quantity="temperature", hour=hour, count=1,
                               min=BIG, max=BIG, sum=BIG))
    [own] = world.ok(world.get("/sensors/big-1/hourly"))
    assert own["mean"] == BIG
    [zone] = world.ok(world.get("/zones/ROOM/hourly"))
    assert (zone["count"], zone["min"], zone["max"], zone["mean"]) == (3, BIG, BIG, BIG)


# --- text no database can store, on both databases


def test_nul_and_lone_surrogates_are_refused_with_the_field_named(world: World) -> None:
    admin = world.headers(Role.ADMIN)
    cases: list[tuple[str, str, Any, str]] = [
        ("POST", "/items", {"sku": "N1", "name": "nul\u0000name"}, "body.name"),
        ("POST", "/items", {"sku": "N\u00002", "name": "x"}, "body.sku"),
        ("POST", "/zones", {"code": "Z1", "name": "a\ud800b"}, "body.name"),
        ("PATCH", "/zones/FRIDGE", {"name": "cold\u0000"}, "body.name"),
        ("POST", "/moves/receive", {"item": "VAC-1", "lot_number": "L\u00001", "quantity": 1,
                                    "location": "F-01"}, "body.lot_number"),
        ("POST", "/sensors", {"id": "s1", "name": "\udfff"}, "body.name"),
        ("POST", "/scan", {"raw": "]C1\u000001095012345678903"}, "body.raw"),
    ]
    for method, path, body, field in cases:
        # json.dumps escapes as a client would: "\u0000", "\ud800"
        answer = world.client.request(method, f"/api/v1{path}", content=json.dumps(body),
                                      headers={**admin, "Content-Type": "application/json"})
        assert field in problems(answer), (path, body)
    # A lone surrogate as a JSON escape, as a client would send it.
    raw = b'{"sku": "S1", "name": "half \\ud83d pair"}'
    answer = world.client.post("/api/v1/items", content=raw,
                               headers={**admin, "Content-Type": "application/json"})
    assert "body.name" in problems(answer)
    assert "query.item" in problems(world.get("/stock", item="a\u0000"))
    assert "query.zone" in problems(world.get("/sensors", zone="\u0000"))
    for path in ("/items/N%002", "/zones/Z%00/hourly", "/sensors/s%00"):
        assert "path." in next(iter(problems(world.client.get(f"/api/v1{path}",
                                                             headers=admin)))), path
    assert world.ok(world.get("/items/VAC-1"))["name"] == "vaccine"  # nothing stored


def test_the_csv_import_refuses_unstorable_rows_and_takes_the_rest(
    world: World, tmp_path: Path,
) -> None:
    items = tmp_path / "items.csv"
    items.write_bytes(b"sku,name\nC-1,fine\nC-2,nul\x00name\nC-3,bad \xff byte\nC-4,also fine\n")
    report = bulk_import.import_items(world.hub.writes, items, reason="test")
    assert (report.rows, report.imported) == (4, 2)
    refused = {r.line: r.reason for r in report.refused}
    assert refused[3] == "name: must not contain NUL characters (U+0000)"
    assert refused[4] == "name: must not contain bytes that are not UTF-8"
    skus = {i["sku"] for i in world.ok(world.get("/items"))}
    assert {"C-1", "C-4"} <= skus and not {"C-2", "C-3"} & skus


# --- nothing escapes the error handler


@pytest.fixture
def served(world: World) -> Iterator[tuple[httpx.Client, World]]:
    """The real app under uvicorn, with routes that fail in the ways a route can."""
    app = create_app(world.hub, manage_lifecycle=False)

    def raising() -> None:
        raise RuntimeError("a bug")

    async def failing_teardown() -> Iterator[None]:
        yield
        raise RuntimeError("a bug after the answer")

    app.add_api_route("/boom", raising)
    app.add_api_route("/boom-teardown", lambda: {"ok": True},
                      dependencies=[Depends(failing_teardown)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                      headers=world.headers(Role.ADMIN)) as client:
        yield client, world
    server.should_exit = True
    thread.join(5)


def test_no_exception_escapes_and_the_connection_stays_usable(
    served: tuple[httpx.Client, World],
) -> None:
    client, _world = served
    for path in ("/boom", "/boom-teardown", "/boom"):
        answer = client.get(path)
        assert answer.status_code in (200, 500), answer.text
        if answer.status_code == 500:
            assert answer.json() == {"error": "internal",
                                     "detail": "internal error; see the hub's log"}
        # The same keep-alive connection answers the next request (it was reset before).
        assert client.get("/api/v1/zones").status_code == 200
    answer = client.post("/api/v1/items", json={"sku": "N\u00002", "name": "x"})
    assert answer.status_code == 422
    assert client.get("/api/v1/stock", params={"item": "a\u0000"}).status_code == 422
    assert client.get("/api/v1/zones").status_code == 200
