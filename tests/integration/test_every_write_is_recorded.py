"""Every write operation of the API leaves a record after a successful change: an
audit-trail row, or a ledger row where the stock ledger is already the record (moves,
scans, returns), or, for the operator's side of an alarm (acknowledge, shelve,
unshelve), the alarm's own event journal (`alarm_events`, ISA-18.2).

The test walks the OpenAPI document's POST/PUT/PATCH/DELETE operations and fails
naming any that has no scenario here, or whose scenario succeeded and left no record.
Operations that change nothing stored are listed as such (and checked to leave
nothing); operations not wired to the trail yet are listed in NOT_YET_AUDITED, in the
open, for the lead to see (none today): a listed operation that does leave a record
fails the test too, so the list only shrinks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hub.container import build_alarms
from kernel.actors import Role
from tests.support.auth import SIGN_PASSWORD, signature
from tests.support.inventory_world import World, build_world

DATAMATRIX = "]d2010400638133393117291200" + "10ABC123|21SN1"

# Writes that change nothing stored: their answer is computed, not recorded.
NO_CHANGE = {
    "POST /api/v1/moves/dispatch/preview": "a pick list proposed, nothing booked",
    "POST /api/v1/labels.pdf": "a PDF of labels, nothing stored",
    "POST /api/v1/auth/session": "a cookie set in the browser for the request's token",
    "POST /api/v1/auth/logout": "the browser's cookie cleared",
    "POST /api/v1/auth/activity": "a page session's last activity noted (its idle timeout)",
}

# Writes that change stored data and do not write the audit trail yet (issue 19):
# each is to be wired, then removed from here.
NOT_YET_AUDITED: set[str] = set()

# Tables that count as the record of a change, by kind of operation.
TRAIL, LEDGER, ALARM_JOURNAL = "audit_trail", "moves", "alarm_events"


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    for world in build_world(sqlite_url):
        world.hub.alarms = build_alarms(world.hub)
        world.hub.alarms.start()
        try:
            yield world
        finally:
            world.hub.alarms.stop()


def _counts(world: World) -> dict[str, int]:
    with world.hub.sessions() as session:
        return {table: int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in (TRAIL, LEDGER, ALARM_JOURNAL)}


def _call(world: World, method: str, path: str, role: Role = Role.ADMIN,
          body: Any = None, **params: Any) -> httpx.Response:
    return world.client.request(method, f"/api/v1{path}", json=body, params=params or None,
                                headers=world.headers(role))


Scenario = Callable[[World, dict[str, Any]], httpx.Response]


def _scenarios() -> list[tuple[str, Scenario]]:
    """(operation, a call that succeeds) in an order where each finds what it needs."""
    a, s, o = Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR

    def qc(w: World, c: dict[str, Any]) -> httpx.Response:
        lot = w.ok(w.get("/lots", item="GLOVE"))[0]["id"]
        return _call(w, "POST", f"/lots/{lot}/qc-status", s,
                     {"status": "on_hold", "reason": "deviation 12"})

    def bulk_qc(w: World, c: dict[str, Any]) -> httpx.Response:
        lots = [lot["id"] for lot in w.ok(w.get("/lots")) if lot["qc_status"] == "released"]
        return _call(w, "POST", "/lots/qc-status", s,
                     {"lot_ids": lots[:2], "status": "on_hold", "reason": "deviation 13"})

    def history(w: World, c: dict[str, Any]) -> httpx.Response:
        at = (datetime.now(UTC) - timedelta(days=400)).isoformat()
        return w.client.post("/api/v1/readings/imports", params={"reason": "logger download"},
                             content=f"sensor,timestamp,temperature_c\naud-s1,{at},5.0\n",
                             headers={**w.headers(s), "Content-Type": "text/csv"})

    def stocktake(w: World, c: dict[str, Any]) -> httpx.Response:
        answer = _call(w, "POST", "/stocktakes", s, {"locations": ["R-01"]})
        c["stocktake"] = answer.json().get("id")
        return answer

    def count(w: World, c: dict[str, Any]) -> httpx.Response:
        return _call(w, "POST", f"/stocktakes/{c['stocktake']}/counts", o, {
            "item": "GLOVE", "lot_number": "G1", "location": "R-01", "counted": 40})

    def recount(w: World, c: dict[str, Any]) -> httpx.Response:
        taken = w.ok(w.get(f"/stocktakes/{c['stocktake']}/variances", s))
        return _call(w, "POST", f"/stocktakes/{c['stocktake']}/recount", s,
                     {"lines": [line["line"] for line in taken["lines"]]})

    def alarm(w: World, c: dict[str, Any]) -> int:
        if "alarm" not in c:
            assert w.hub.alarms is not None
            w.hub.alarms.on_broker_session("test-client", "the broker took the session")
            c["alarm"] = w.ok(w.get("/alarms", kind="broker_session"))[0]["id"]
        return int(c["alarm"])

    def returned(w: World, c: dict[str, Any]) -> httpx.Response:
        answer = _call(w, "POST", "/returns", o, {
            "item": "GLOVE", "lot_number": "G1", "location": "R-01", "quantity": 2,
            "reason": "customer return"})
        c["return"] = answer.json().get("return_id")
        return answer

    def token(w: World, c: dict[str, Any]) -> httpx.Response:
        answer = _call(w, "POST", "/users/aud-user/tokens", a, {"label": "integration"})
        c["token"] = answer.json().get("token_id") or w.ok(
            w.get("/users/aud-user/tokens", a))[-1]["id"]
        return answer

    return [
        ("POST /api/v1/moves/receive", lambda w, c: _call(w, "POST", "/moves/receive", o, {
            "item": "GLOVE", "lot_number": "G1", "quantity": 50, "location": "R-01"})),
        ("POST /api/v1/moves/dispatch", lambda w, c: _call(w, "POST", "/moves/dispatch", o, {
            "item": "GLOVE", "quantity": 2})),
        ("POST /api/v1/moves/dispatch/preview", lambda w, c: _call(
            w, "POST", "/moves/dispatch/preview", o, {"item": "GLOVE", "quantity": 1})),
        ("POST /api/v1/moves/transfer", lambda w, c: _call(w, "POST", "/moves/transfer", o, {
            "item": "GLOVE", "lot_number": "G1", "from_location": "R-01",
            "to_location": "H-01", "quantity": 1})),
        ("POST /api/v1/moves/count", lambda w, c: _call(w, "POST", "/moves/count", o, {
            "item": "GLOVE", "lot_number": "G1", "location": "H-01", "counted": 0})),
        ("POST /api/v1/moves/adjust", lambda w, c: _call(w, "POST", "/moves/adjust", s, {
            "item": "GLOVE", "lot_number": "G1", "location": "R-01", "delta": -1,
            "reason": "broken box"})),
        ("POST /api/v1/moves/return", lambda w, c: _call(w, "POST", "/moves/return", o, {
            "item": "GLOVE", "lot_number": "G1", "location": "R-01", "quantity": 1,
            "reason": "customer return"})),
        ("POST /api/v1/scan", lambda w, c: _call(w, "POST", "/scan", o, {
            "raw": DATAMATRIX, "mode": "receive", "location": "F-01", "quantity": 5})),
        ("POST /api/v1/returns", returned),
        ("POST /api/v1/returns/{return_id}/inspect", lambda w, c: _call(
            w, "POST", f"/returns/{c['return']}/inspect", s,
            {"decision": "reject", "reason": "seal broken"})),
        ("POST /api/v1/stocktakes", stocktake),
        ("POST /api/v1/stocktakes/{stocktake_id}/counts", count),
        ("POST /api/v1/stocktakes/{stocktake_id}/recount", recount),
        ("POST /api/v1/stocktakes/{stocktake_id}/cancel", lambda w, c: _call(
            w, "POST", f"/stocktakes/{c['stocktake']}/cancel", s, {"reason": "wrong bins"})),
        ("POST /api/v1/stocktakes/{stocktake_id}/approve", lambda w, c: (
            stocktake(w, c), count(w, c),
            _call(w, "POST", f"/stocktakes/{c['stocktake']}/approve", s,
                  {"signature": signature("approved")}))[-1]),
        ("POST /api/v1/lots/{lot_id}/qc-status", qc),
        ("POST /api/v1/lots/qc-status", bulk_qc),
        ("POST /api/v1/zones/{code}/hold-lots", lambda w, c: (
            w.receive("VAC-1", "HOLD-ME", 3, "F-02"),
            _call(w, "POST", "/zones/FRIDGE/hold-lots", s, {"reason": "excursion 14 C"}))[-1]),
        ("POST /api/v1/labels.pdf", lambda w, c: _call(w, "POST", "/labels.pdf", o, {
            "locations": ["R-01"]})),
        ("POST /api/v1/storage-classes", lambda w, c: _call(w, "POST", "/storage-classes", a, {
            "code": "M20C", "name": "freezer", "temp_min_c": -25, "temp_max_c": -15})),
        ("PATCH /api/v1/storage-classes/{code}", lambda w, c: _call(
            w, "PATCH", "/storage-classes/M20C", a,
            {"temp_max_c": -18, "signature": signature("approved")},
            reason="validated freezer")),
        ("POST /api/v1/zones", lambda w, c: _call(w, "POST", "/zones", a, {
            "code": "FRZ", "name": "freezer", "storage_class": "M20C"})),
        ("PATCH /api/v1/zones/{code}", lambda w, c: _call(w, "PATCH", "/zones/FRZ", a, {
            "name": "freezer room"})),
        ("POST /api/v1/locations", lambda w, c: _call(w, "POST", "/locations", a, {
            "code": "Z-01", "zone": "FRZ"})),
        ("PATCH /api/v1/locations/{code}", lambda w, c: _call(w, "PATCH", "/locations/Z-01", a,
                                                              {"zone": "ROOM"})),
        ("POST /api/v1/items", lambda w, c: _call(w, "POST", "/items", a, {
            "sku": "AUD-1", "name": "plasma", "storage_class": "M20C"})),
        ("PATCH /api/v1/items/{reference}", lambda w, c: _call(w, "PATCH", "/items/AUD-1", a, {
            "min_stock": 5})),
        ("POST /api/v1/consignees", lambda w, c: _call(w, "POST", "/consignees", s, {
            "code": "AUD-C", "name": "Acme Pharmacy", "gln": "4012345000009"})),
        ("PATCH /api/v1/consignees/{code}", lambda w, c: _call(
            w, "PATCH", "/consignees/AUD-C", s, {"active": False})),
        ("POST /api/v1/sensors", lambda w, c: _call(w, "POST", "/sensors", a, {
            "id": "aud-s1", "zone": "FRIDGE"})),
        ("PATCH /api/v1/sensors/{sensor_id}", lambda w, c: _call(
            w, "PATCH", "/sensors/aud-s1", a, {"zone": "ROOM"}, reason="moved")),
        ("POST /api/v1/sensors/{sensor_id}/calibrations", lambda w, c: _call(
            w, "POST", "/sensors/aud-s1/calibrations", s, {
                "calibrated_on": "2026-11-01", "certificate": "CAL-1", "laboratory": "lab",
                "offset": {"temperature_c": -0.2}, "next_due": "2027-11-01"})),
        ("POST /api/v1/readings/imports", history),
        ("POST /api/v1/users", lambda w, c: _call(w, "POST", "/users", a, {
            "username": "aud-user", "role": "operator", "password": "long enough pass",
            "full_name": "Audrey User"})),
        ("PATCH /api/v1/users/{username}", lambda w, c: _call(w, "PATCH", "/users/aud-user", a,
                                                              {"role": "supervisor"})),
        ("PATCH /api/v1/auth/me", lambda w, c: _call(w, "PATCH", "/auth/me", o, {
            "language": "zh-CN"})),
        ("POST /api/v1/users/{username}/tokens", token),
        ("DELETE /api/v1/users/{username}/tokens/{token_id}", lambda w, c: _call(
            w, "DELETE", f"/users/aud-user/tokens/{c['token']}", a)),
        ("POST /api/v1/auth/login", lambda w, c: _page_login(w, c, "long enough pass")),
        ("POST /api/v1/auth/password", lambda w, c: _page_login(
            w, c, "long enough pass", "a longer one this time")),
        ("POST /api/v1/auth/session", lambda w, c: w.client.post(
            "/api/v1/auth/session", headers={"Authorization": f"Bearer {c['web']}"})),
        ("POST /api/v1/auth/activity", lambda w, c: w.client.post(
            "/api/v1/auth/activity", headers={"Authorization": f"Bearer {c['web']}"})),
        ("POST /api/v1/auth/logout", lambda w, c: w.client.post("/api/v1/auth/logout")),
        ("PUT /api/v1/alarms/rules", lambda w, c: _call(
            w, "PUT", "/alarms/rules", a, {"thresholds": [
                {"zone": "FRIDGE", "quantity": "temperature_c", "high_critical": 8}],
                # a route for the test alarm below (nothing listens there: it fails)
                "recipients": {"duty": {"urls": ["json://127.0.0.1:9/duty"]}},
                "routes": [{"name": "duty", "groups": ["duty"]}],
                "signature": signature("approved")},
            reason="validated limits")),
        ("POST /api/v1/alarms/rules/{section}", lambda w, c: _call(
            w, "POST", "/alarms/rules/thresholds", a,
            {"zone": "ROOM", "quantity": "temperature_c", "high_critical": 25,
             "signature": signature("approved")},
            reason="room mapped")),
        ("DELETE /api/v1/alarms/rules/{rule_id}", lambda w, c: w.client.delete(
            "/api/v1/alarms/rules/zone:ROOM:temperature_c", params={"reason": "not needed"},
            headers={**w.headers(a), "Signature-Password": SIGN_PASSWORD,
                     "Signature-Meaning": "approved"})),
        ("POST /api/v1/alarms/test", lambda w, c: _call(
            w, "POST", "/alarms/test", s, {"note": "monthly challenge"})),
        ("POST /api/v1/alarms/{alarm_id}/shelve", lambda w, c: _call(
            w, "POST", f"/alarms/{alarm(w, c)}/shelve", s, {"minutes": 5, "reason": "work"})),
        ("POST /api/v1/alarms/{alarm_id}/unshelve", lambda w, c: _call(
            w, "POST", f"/alarms/{alarm(w, c)}/unshelve", s, {"reason": "done"})),
        ("POST /api/v1/alarms/{alarm_id}/acknowledge", lambda w, c: _call(
            w, "POST", f"/alarms/{alarm(w, c)}/acknowledge", o,
            {"comment": "seen", "signature": signature("reviewed")})),
        ("POST /api/v1/reports/zones/{code}/sign-offs", lambda w, c: _call(
            w, "POST", "/reports/zones/FRIDGE/sign-offs", s, {
                "start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z",
                "signature": signature("reviewed")})),
        ("PUT /api/v1/gateways/{gateway}/scanners/{scanner}", lambda w, c: _call(
            w, "PUT", "/gateways/gw-1/scanners/dock", a,
            {"operator": "operator1", "modes": ["receive"]})),
        ("DELETE /api/v1/gateways/{gateway}/scanners/{scanner}", lambda w, c: _call(
            w, "DELETE", "/gateways/gw-1/scanners/dock", a)),
    ]


def _page_login(world: World, context: dict[str, Any], password: str,
                new_password: str | None = None) -> httpx.Response:
    """aud-user's password login (or password change): its page session in `context`."""
    body = {"username": "aud-user", "password": password}
    if new_password is not None:
        body["new_password"] = new_password
    answer = world.client.post(
        "/api/v1/auth/password" if new_password else "/api/v1/auth/login", json=body)
    if answer.status_code < 300:
        context["web"] = answer.json()["token"]
    return answer


def _write_operations(world: World) -> list[str]:
    document = world.client.app.openapi()  # type: ignore[attr-defined]
    return [f"{method.upper()} {path}" for path, operations in document["paths"].items()
            for method in operations if method in ("post", "put", "patch", "delete")]


def test_every_write_operation_leaves_an_audit_or_ledger_row(world: World) -> None:
    operations = _write_operations(world)
    scenarios = _scenarios()
    missing = [op for op in operations if op not in dict(scenarios)]
    assert not missing, f"write operations without a scenario here: {missing}"
    context: dict[str, Any] = {}
    unrecorded, listed_but_recorded = [], []
    for operation, scenario in scenarios:
        before = _counts(world)
        answer = scenario(world, context)
        assert answer.status_code < 300, f"{operation}: {answer.status_code} {answer.text}"
        after = _counts(world)
        grew = {table for table in after if after[table] > before[table]}
        if operation in NO_CHANGE:
            assert not grew, f"{operation} is listed as changing nothing but wrote {grew}"
            continue
        recorded = bool(grew & {TRAIL, LEDGER}) or (
            "/alarms/{alarm_id}/" in operation and ALARM_JOURNAL in grew)
        if operation in NOT_YET_AUDITED:
            if TRAIL in grew:
                listed_but_recorded.append(operation)
        elif not recorded:
            unrecorded.append(operation)
    assert not unrecorded, f"write operations that left no audit or ledger row: {unrecorded}"
    assert not listed_but_recorded, (
        f"audited now: remove from NOT_YET_AUDITED: {listed_but_recorded}")
    assert set(NOT_YET_AUDITED) <= set(operations), "NOT_YET_AUDITED names unknown operations"
