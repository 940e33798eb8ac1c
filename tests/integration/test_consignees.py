"""Consignees as master data (supervisor writes, everyone reads, each change audited),
a dispatch naming its consignee by code, GLN or a scanned (410)/(413) barcode, and the
lot trace answering the recall question in JSON, CSV and PDF (docs/inventory.md,
docs/reports.md)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from inventory import consignees as consignee_rules
from kernel.actors import Role
from tests.support.inventory_world import World, build_world

ACME_GLN = "4012345000009"
NORTH_GLN = "9506000134352"


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    yield from build_world(sqlite_url)


def _consignees(world: World) -> None:
    for body in ({"code": "ACME", "name": "Acme Pharmacy", "gln": ACME_GLN},
                 {"code": "NORTH", "name": "North site", "kind": "site", "gln": NORTH_GLN,
                  "address": "1 Harbour Road"}):
        world.ok(world.post("/consignees", body, Role.SUPERVISOR))


def _dispatch(world: World, quantity: int, **fields: Any) -> Any:
    return world.post("/moves/dispatch", {"item": "VAC-1", "quantity": quantity, **fields})


def test_supervisors_keep_the_list_operators_read_it_and_every_change_is_audited(
        world: World) -> None:
    refused = world.post("/consignees", {"code": "X", "name": "x"}, Role.OPERATOR)
    assert refused.status_code == 403
    _consignees(world)
    listed = world.ok(world.get("/consignees"))
    assert [(c["code"], c["kind"], c["gln"], c["active"]) for c in listed] == [
        ("ACME", "customer", ACME_GLN, True), ("NORTH", "site", NORTH_GLN, True)]
    changed = world.client.patch("/api/v1/consignees/ACME", json={"active": False,
                                                                 "contact": "Ms Lee"},
                                 headers=world.headers(Role.SUPERVISOR))
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False
    assert [c["code"] for c in world.ok(world.get("/consignees", active="true"))] == ["NORTH"]
    trail = world.ok(world.get("/audit", Role.ADMIN, entity="consignee"))
    rows = trail["rows"] if isinstance(trail, dict) else trail
    assert {(r["action"], r["key"]) for r in rows} >= {
        ("create", "ACME"), ("create", "NORTH"), ("update", "ACME")}


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"code": "BAD", "name": "b", "gln": "4012345000008"}, 422, "bad_gln"),
    ({"code": "BAD", "name": "b", "gln": "40123"}, 422, "invalid_request"),
    ({"code": "BAD", "name": "b", "kind": "planet"}, 422, "invalid_request"),
    ({"code": "ACME", "name": "again"}, 409, "consignee_exists"),
    ({"code": "DUP", "name": "same GLN", "gln": ACME_GLN}, 409, "consignee_exists"),
])
def test_bad_consignees_are_refused_with_the_problem_named(
        world: World, body: dict[str, Any], status: int, code: str) -> None:
    _consignees(world)
    answer = world.post("/consignees", body, Role.SUPERVISOR)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code
    missing = world.client.patch("/api/v1/consignees/NOPE", json={"name": "x"},
                                 headers=world.headers(Role.SUPERVISOR))
    assert missing.status_code == 404


def test_a_dispatch_names_its_consignee_and_the_trace_says_who_received_the_lot(
        world: World, tmp_path: Any) -> None:
    _consignees(world)
    world.receive("VAC-1", "REC-1", 20, "F-01")
    first = world.ok(_dispatch(world, 3, consignee="ACME", reference="SO-1"))
    assert first["consignee"] == "ACME"
    world.ok(_dispatch(world, 2, consignee=f"(410){NORTH_GLN}", reference="SO-2"))
    world.ok(_dispatch(world, 4, consignee=ACME_GLN, reference="SO-3"))
    world.ok(_dispatch(world, 1))  # no consignee: optional by default
    for named, code in (("NOBODY", "unknown_consignee"), ("4012345000008", "bad_gln"),
                        ("4104012345000008", "bad_gln")):
        refused = _dispatch(world, 1, consignee=named)
        assert (refused.status_code, refused.json()["error"]) == (422, code), refused.text
    world.client.patch("/api/v1/consignees/NORTH", json={"active": False},
                       headers=world.headers(Role.SUPERVISOR))
    inactive = _dispatch(world, 1, consignee="NORTH")
    assert (inactive.status_code, inactive.json()["error"]) == (422, "consignee_inactive")
    assert world.on_hand(item="VAC-1") == 10  # nothing refused was booked

    lot = world.ok(world.get("/lots", item="VAC-1"))[0]["id"]
    found = world.ok(world.get(f"/reports/lots/{lot}/trace"))
    totals = {t["consignee"]: (t["quantity"], t["dispatches"], t["orders"])
              for t in found["received_by"]["totals"]}
    assert totals == {"ACME": (7, 2, ["SO-1", "SO-3"]), "NORTH": (2, 1, ["SO-2"]),
                      None: (1, 1, [])}
    assert [(r["consignee"], r["order"], r["quantity"])
            for r in found["received_by"]["receipts"]] == [
        ("ACME", "SO-1", 3), ("NORTH", "SO-2", 2), ("ACME", "SO-3", 4), (None, None, 1)]
    assert {m["consignee"] for m in found["trace"]["moves"] if m["kind"] == "dispatch"} == {
        "ACME", "NORTH", None}

    csv = world.get(f"/reports/lots/{lot}/trace", format="csv").text
    assert "# received by (per consignee)" in csv
    assert f"ACME,Acme Pharmacy,{ACME_GLN},7,2," in csv
    assert "SO-1, SO-3" in csv and "not recorded" in csv
    pdf = world.get(f"/reports/lots/{lot}/trace", format="pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "trace.pdf"
    path.write_bytes(pdf.content)
    words = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Received by" in words and "Acme Pharmacy" in words and "North site" in words
    assert "SO-2" in words and NORTH_GLN in words

    across = world.ok(world.get("/reports/items/VAC-1/received-by"))
    assert across["quantity"] == 10
    assert "ACME" in world.get("/reports/items/VAC-1/received-by", format="csv").text


def test_a_site_can_require_a_consignee_on_every_dispatch(world: World) -> None:
    _consignees(world)
    world.receive("VAC-1", "REQ-1", 5, "F-01")
    consignee_rules.require(True)
    try:
        refused = _dispatch(world, 1)
        assert (refused.status_code, refused.json()["error"]) == (422, "consignee_required")
        assert world.ok(_dispatch(world, 1, consignee="ACME"))["consignee"] == "ACME"
    finally:
        consignee_rules.require(False)


def test_the_handhelds_dispatch_scan_carries_the_consignee(world: World) -> None:
    _consignees(world)
    world.receive("VAC-1", "SCN-1", 5, "F-01")
    raw = "]d2010400638133393117291200" + "10SCN-1"
    booked = world.ok(world.post("/scan", {"raw": raw, "mode": "dispatch", "quantity": 2,
                                           "reference": "SO-9", "consignee": NORTH_GLN}))
    assert booked["booking"]["consignee"] == "NORTH"
    assert booked["booking"]["reference"] == "SO-9"
