"""Electronic signatures against the API on SQLite and PostgreSQL (kernel/signatures.py,
hub/accounts/signing.py): a lot's release and reject, a stocktake's approval, limit and
alarm-rule changes and a zone report's sign-off are refused without a signature where
the site requires one; a signature is stored with the change and its audit row; a wrong
password is refused and counted toward the lockout; the meaning is validated; a person
without a full name cannot sign; a signed report is superseded when its period's data
changes later."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kernel.actors import Role
from tests.support.inventory_world import World, build_world


@pytest.fixture
def world(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("STOCKWARDEN_LOGIN_LOCKOUT_FAILURES", "3")
    yield from build_world(db_url)


def held_lot(world: World, lot: str = "Q1") -> int:
    world.receive("INS-1", lot, 5, "F-01")  # quarantined on receipt
    return int(next(r["id"] for r in world.ok(world.get("/lots", item="INS-1"))
                    if r["lot_number"] == lot))


def release(world: World, lot_id: int, signature: dict[str, str] | None,
            status: str = "released") -> Any:
    body: dict[str, Any] = {"status": status, "reason": "certificate checked"}
    if signature is not None:
        body["signature"] = signature
    return world.post(f"/lots/{lot_id}/qc-status", body, Role.SUPERVISOR)


def test_a_release_is_signed_and_the_signature_is_on_the_lot_and_its_audit_row(
    world: World,
) -> None:
    lot_id = held_lot(world)
    refused = release(world, lot_id, None)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "signature_required"
    assert world.ok(world.get(f"/lots/{lot_id}"))["qc_status"] == "quarantine"

    world.ok(release(world, lot_id, world.sign("released")))
    lot = world.ok(world.get(f"/lots/{lot_id}"))
    assert lot["qc_status"] == "released"
    [signed] = lot["signatures"]
    assert signed["full_name"] == "Supervisor One" and signed["username"] == "supervisor1"
    assert signed["meaning"] == "released" and signed["action"] == "lot_release"
    assert signed["text"].startswith("Released by Supervisor One (supervisor1) on ")
    assert signed["text"].endswith(" UTC — released")
    assert len(signed["content_sha256"]) == 64

    [row] = world.ok(world.get("/audit", Role.SUPERVISOR, entity="lot", key="INS-1/Q1",
                               action="qc_status"))
    assert row["after"]["signature"] == {"id": signed["id"], "sha256": signed["content_sha256"],
                                         "meaning": "released", "by": "supervisor1"}
    trace = world.ok(world.get(f"/reports/lots/{lot_id}/trace"))
    assert trace["trace"]["lot"]["signatures"][0]["text"] == signed["text"]
    csv = world.get(f"/reports/lots/{lot_id}/trace", format="csv").text
    assert signed["text"] in csv


def test_a_hold_needs_no_signature_and_a_reject_means_rejected(world: World) -> None:
    lot_id = held_lot(world)
    world.ok(release(world, lot_id, world.sign("released")))
    world.ok(release(world, lot_id, None, status="on_hold"))
    wrong = release(world, lot_id, world.sign("released"), status="rejected")
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["error"] == "signature_meaning_not_allowed"
    assert "may mean rejected, not released" in wrong.json()["detail"]
    world.ok(release(world, lot_id, world.sign("rejected"), status="rejected"))
    meanings = [s["meaning"] for s in world.ok(world.get(f"/lots/{lot_id}"))["signatures"]]
    assert meanings == ["released", "rejected"]


def test_a_wrong_password_is_refused_and_counts_toward_the_lockout(world: World) -> None:
    lot_id = held_lot(world)
    for _ in range(2):
        wrong = release(world, lot_id, world.sign("released", "not my password"))
        assert wrong.status_code == 403, wrong.text
        assert wrong.json()["error"] == "signature_password_wrong"
    assert world.ok(world.get(f"/lots/{lot_id}"))["qc_status"] == "quarantine"
    users = {u["username"]: u for u in world.ok(world.get("/users", Role.ADMIN))}
    assert users["supervisor1"]["locked_until"] is None  # 2 of 3
    third = release(world, lot_id, world.sign("released", "still wrong"))
    assert third.status_code == 403
    locked = release(world, lot_id, world.sign("released"))  # the right one, too late
    assert locked.status_code == 429, locked.text
    assert locked.json()["error"] == "account_locked"
    trail = world.ok(world.get("/audit", Role.ADMIN, entity="user", key="supervisor1",
                               action="lock"))
    assert trail[0]["reason"] == "3 wrong passwords in a row"
    assert world.ok(world.get(f"/lots/{lot_id}"))["signatures"] == []


def test_a_person_without_a_full_name_cannot_sign_until_an_admin_gives_one(
    world: World,
) -> None:
    created = world.post("/users", {"username": "kim", "role": "supervisor",
                                    "password": "lantern-orbit-47"}, Role.ADMIN)
    assert created.status_code == 422 and created.json()["error"] == "full_name_required"
    token = world.ok(world.post("/users", {"username": "kim", "role": "supervisor"},
                                Role.ADMIN))["token"]
    world.ok(world.client.patch("/api/v1/users/kim", json={"password": "lantern-orbit-47"},
                                headers=world.headers(Role.ADMIN)))
    lot_id = held_lot(world)
    body = {"status": "released", "reason": "certificate checked", "signature": world.sign(
        "released", "lantern-orbit-47")}
    kim = {"Authorization": f"Bearer {token}", "Idempotency-Key": "kim-release-1"}
    refused = world.client.post(f"/api/v1/lots/{lot_id}/qc-status", json=body, headers=kim)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "full_name_required"
    named = world.ok(world.client.patch("/api/v1/users/kim", json={"full_name": "Kim Lee"},
                                        headers=world.headers(Role.ADMIN)))
    assert named["full_name"] == "Kim Lee"
    kim["Idempotency-Key"] = "kim-release-2"
    assert world.client.post(f"/api/v1/lots/{lot_id}/qc-status", json=body,
                             headers=kim).status_code == 200
    listed = {u["username"]: u["full_name"] for u in world.ok(world.get("/users", Role.ADMIN))}
    assert listed["kim"] == "Kim Lee"


def test_a_stocktake_approval_is_signed(world: World) -> None:
    world.receive("VAC-1", "L1", 4, "F-01")
    sid = world.ok(world.post("/stocktakes", {"locations": ["F-01"]}, Role.SUPERVISOR))["id"]
    world.ok(world.post(f"/stocktakes/{sid}/counts", {
        "item": "VAC-1", "lot_number": "L1", "location": "F-01", "counted": 3}))
    unsigned = world.post(f"/stocktakes/{sid}/approve", {}, Role.SUPERVISOR)
    assert unsigned.status_code == 422 and unsigned.json()["error"] == "signature_required"
    meant = world.post(f"/stocktakes/{sid}/approve", {"signature": world.sign("released")},
                       Role.SUPERVISOR)
    assert meant.status_code == 422
    assert meant.json()["error"] == "signature_meaning_not_allowed"
    assert world.on_hand(lot_number="L1") == 4
    approved = world.ok(world.post(f"/stocktakes/{sid}/approve",
                                   {"signature": world.sign("approved")}, Role.SUPERVISOR))
    [signed] = approved["signatures"]
    assert signed["text"].startswith("Approved by Supervisor One (supervisor1) on ")
    assert world.ok(world.get(f"/stocktakes/{sid}", Role.SUPERVISOR))["signatures"] == [signed]
    [row] = world.ok(world.get("/audit", Role.SUPERVISOR, entity="stocktake", key=str(sid),
                               action="approve"))
    assert row["after"]["signature"]["sha256"] == signed["content_sha256"]
    assert world.on_hand(lot_number="L1") == 3


def test_a_zone_report_is_signed_off_and_superseded_when_its_period_changes(
    world: World,
) -> None:
    period = {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    path = "/reports/zones/FRIDGE/sign-offs"
    unsigned = world.post(path, period, Role.SUPERVISOR)
    assert unsigned.status_code == 422 and unsigned.json()["error"] == "signature_required"
    assert world.post(path, {**period, "signature": world.sign("approved")},
                      Role.OPERATOR).status_code == 403
    future = world.post(path, {"start": "2026-11-01T00:00:00Z", "end": "2099-01-01T00:00:00Z",
                               "signature": world.sign("approved")}, Role.SUPERVISOR)
    assert future.status_code == 422 and future.json()["error"] == "period_not_ended"
    signed = world.ok(world.post(path, {**period, "signature": world.sign("approved")},
                                 Role.SUPERVISOR))
    assert len(signed["pdf_sha256"]) == 64 and not signed["superseded"]
    assert signed["text"].startswith("Approved by Supervisor One (supervisor1) on ")

    report = world.ok(world.get("/reports/zones/FRIDGE", **period))
    [shown] = report["sign_offs"]
    assert (shown["pdf_sha256"], shown["superseded"]) == (signed["pdf_sha256"], False)
    csv = world.get("/reports/zones/FRIDGE", format="csv", **period).text
    assert signed["text"] in csv
    other = world.ok(world.get("/reports/zones/FRIDGE", start=period["start"],
                               end="2026-11-30T00:00:00Z"))
    assert other["sign_offs"] == []  # a sign-off is for its period only
    [row] = world.ok(world.get("/audit", Role.SUPERVISOR, entity="zone_report",
                               action="sign_off"))
    assert row["after"]["pdf_sha256"] == signed["pdf_sha256"]
    assert row["after"]["signature"]["id"] == signed["signature"]["id"]

    # The storage class's limits change afterwards: the report no longer shows what
    # was signed.
    world.ok(world.client.patch("/api/v1/storage-classes/2-8C", params={"reason": "remapped"},
                                json={"temp_max_c": 7.5, "signature": world.sign("approved")},
                                headers=world.headers(Role.ADMIN)))
    [after] = world.ok(world.get("/reports/zones/FRIDGE", **period))["sign_offs"]
    assert after["superseded"] is True
    assert "SUPERSEDED" in after["text"]


def test_a_limit_change_is_signed_but_a_rename_is_not(world: World) -> None:
    def patch(body: dict[str, Any]) -> Any:
        return world.client.patch("/api/v1/zones/FRIDGE", params={"reason": "mapping"},
                                  json=body, headers=world.headers(Role.ADMIN))

    world.ok(patch({"name": "walk-in cold room"}))
    refused = patch({"excursion_tolerance_s": 600})
    assert refused.status_code == 422 and refused.json()["error"] == "signature_required"
    meant = patch({"excursion_tolerance_s": 600, "signature": world.sign("reviewed")})
    assert meant.json()["error"] == "signature_meaning_not_allowed"
    world.ok(patch({"excursion_tolerance_s": 600, "signature": world.sign("approved")}))
    rows = world.ok(world.get("/audit", Role.SUPERVISOR, entity="zone", key="FRIDGE"))
    assert "signature" not in rows[-2]["after"]  # the rename
    assert rows[-1]["after"]["signature"]["meaning"] == "approved"
    assert rows[-1]["after"]["excursion_tolerance_s"] == 600
