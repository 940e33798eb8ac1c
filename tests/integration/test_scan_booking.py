"""The scanner registry and the booking of MQTT scan messages, on SQLite and
PostgreSQL: each (gateway, seq) books once; what cannot be booked is refused with
its reason, recorded, and books nothing. (The MQTT path end to end:
tests/e2e/test_scan_to_ledger.py.)"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import DataError

from contract import wire
from contract.wire import Scan, ScanMode, scan_topic
from inventory import services
from inventory.scans.booking import ScanBooker
from inventory.scans.interpret import ScanSettings
from inventory.scans.orm import ScanRecord
from kernel.actors import Role
from kernel.orm import IdempotencyRecord
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world

GW = "gw-dock"
# VAC-1's GTIN, expiry 2029-12-31, a lot per test, quantity (AI 30) 12.
RECEIPT = "]d2010400638133393117291200\x1d10{lot}\x1d3012"
_seqs = itertools.count(100)


def register(world: World, scanner: str = "dock", gateway: str = GW,
             **body: Any) -> dict[str, Any]:
    body = {"operator": "operator1", "modes": ["receive", "identify"], "location": "F-01",
            **body}
    answer = world.client.put(f"/api/v1/gateways/{gateway}/scanners/{scanner}", json=body,
                              headers=world.headers(Role.ADMIN))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def payload(raw: str, *, seq: int | None = None, mode: str | None = "receive",
            scanner: str = "dock", gateway: str = GW, location: str | None = None) -> bytes:
    return wire.encode(Scan(gateway=gateway, seq=next(_seqs) if seq is None else seq,
                            scanner=scanner, ts=datetime.now(UTC), raw=raw,
                            mode=ScanMode(mode) if mode else None, location=location))


@pytest.fixture
def booker(world: World) -> ScanBooker:
    return ScanBooker(world.hub.writes, ScanSettings())


def topic(gateway: str = GW) -> str:
    return scan_topic("site-1", gateway)


def refusals(world: World) -> list[dict[str, Any]]:
    return world.ok(world.get("/scans", Role.SUPERVISOR, outcome="refused"))


def test_an_admin_registers_lists_changes_and_deletes_a_gateways_scanners(world: World) -> None:
    first = world.client.put(f"/api/v1/gateways/{GW}/scanners/dock",
                             json={"operator": "operator1", "modes": ["receive"]},
                             headers=world.headers(Role.ADMIN))
    assert first.status_code == 201
    assert first.json()["modes"] == ["receive"] and first.json()["location"] is None
    changed = register(world, modes=["receive", "count"], location="F-02")
    assert (changed["operator"], changed["modes"], changed["location"]) == (
        "operator1", ["receive", "count"], "F-02")
    listed = world.ok(world.get(f"/gateways/{GW}/scanners", Role.ADMIN))
    assert [s["scanner"] for s in listed] == ["dock"]
    # Only admins; the account and bin must exist; ids follow the wire's alphabet.
    put = world.client.put
    assert put(f"/api/v1/gateways/{GW}/scanners/x", json={"operator": "operator1",
               "modes": ["receive"]}, headers=world.headers(Role.SUPERVISOR)).status_code == 403
    nobody = put(f"/api/v1/gateways/{GW}/scanners/x", json={"operator": "nobody",
                 "modes": ["receive"]}, headers=world.headers(Role.ADMIN))
    assert nobody.status_code == 404 and nobody.json()["error"] == "user_not_found"
    no_bin = put(f"/api/v1/gateways/{GW}/scanners/x", json={"operator": "operator1",
                 "modes": ["receive"], "location": "Z-99"}, headers=world.headers(Role.ADMIN))
    assert no_bin.status_code == 404 and no_bin.json()["error"] == "location_not_found"
    reserved = put("/api/v1/gateways/alarms/scanners/x", json={"operator": "operator1",
                   "modes": ["receive"]}, headers=world.headers(Role.ADMIN))
    assert reserved.status_code == 422 and "reserved" in reserved.json()["detail"]
    no_mode = put(f"/api/v1/gateways/{GW}/scanners/x", json={"operator": "operator1",
                  "modes": []}, headers=world.headers(Role.ADMIN))
    assert no_mode.status_code == 422
    # A registered scanner the gateway never reported shows, flagged.
    [gateway] = [g for g in world.ok(world.get("/gateways")) if g["id"] == GW]
    [row] = gateway["scanners"]
    assert (row["id"], row["registered"], row["reported"], row["operator"]) == (
        "dock", True, False, "operator1")
    assert "does not list it" in row["problem"]
    gone = world.client.delete(f"/api/v1/gateways/{GW}/scanners/dock",
                               headers=world.headers(Role.ADMIN))
    assert gone.status_code == 204
    assert world.ok(world.get(f"/gateways/{GW}/scanners", Role.ADMIN)) == []
    again = world.client.delete(f"/api/v1/gateways/{GW}/scanners/dock",
                                headers=world.headers(Role.ADMIN))
    assert again.status_code == 404


def test_a_receipt_books_once_and_its_redelivery_answers_duplicate(
    world: World, booker: ScanBooker
) -> None:
    register(world)
    message = payload(RECEIPT.format(lot="R1"), seq=7)
    first = booker.handle(topic(), message)
    assert first.result is not None
    assert (first.outcome, first.result.ok, first.result.seq) == ("booked", True, 7)
    assert first.result.message == "Received 12 of VAC-1, lot R1, into F-01"
    [line] = first.result.lines
    assert (line.item, line.quantity, line.lot, line.to_location) == ("VAC-1", 12, "R1", "F-01")
    again = booker.handle(topic(), message)
    assert again.result is not None
    assert (again.outcome, again.result.outcome, again.result.ok) == (
        "duplicate", "duplicate", True)
    assert again.result.message.startswith("Already booked: Received 12")
    assert world.on_hand(item="VAC-1", lot_number="R1") == 12
    # Booked as the scanner's account, referring to the scan.
    [record] = world.ok(world.get("/scans", Role.SUPERVISOR, gateway=GW))
    assert (record["seq"], record["outcome"], record["username"]) == (7, "booked", "operator1")
    moves = world.ok(world.get("/moves", Role.SUPERVISOR))
    assert [(m["user"], m["reference"]) for m in moves] == [("operator1", f"scan {GW}#7")]
    # As if the hub died after the booking's commit, before the journal's: the
    # idempotency record answers, nothing is booked again.
    with world.hub.writes() as session, session.begin():
        session.execute(delete(ScanRecord))
    after_crash = booker.handle(topic(), message)
    assert after_crash.result is not None and after_crash.result.outcome == "duplicate"
    assert [line.lot for line in after_crash.result.lines] == ["R1"]
    [record] = world.ok(world.get("/scans", Role.SUPERVISOR, gateway=GW))
    assert (record["outcome"], record["message"]) == (
        "booked", "Received 12 of VAC-1, lot R1, into F-01")
    assert world.on_hand(item="VAC-1", lot_number="R1") == 12
    # The same seq with other content is not a redelivery: refused, recorded.
    other = booker.handle(topic(), payload(RECEIPT.format(lot="R2"), seq=7))
    assert other.outcome == "refused" and "other content" in other.result.message
    assert world.on_hand(item="VAC-1", lot_number="R2") == 0
    world.assert_ledger_equals_balances()


REFUSALS = [
    ("unknown gateway", "gateway gw-ghost has no registered scanners"),
    ("unknown scanner", "scanner hand-9 of gateway gw-dock is not registered"),
    ("mode not allowed", "scanner dock may not dispatch (allowed: identify, receive)"),
    ("unknown GTIN", "GTIN 00000000000000 is not a known item"),
    ("bad check digit", "check digit"),
    ("no bin", "a receive scan needs a location"),
]


def test_a_scan_that_cannot_be_booked_is_refused_with_its_reason_and_recorded(
    world: World, booker: ScanBooker
) -> None:
    register(world)
    register(world, scanner="bare", location=None)
    messages = {
        "unknown gateway": payload(RECEIPT.format(lot="U1"), gateway="gw-ghost"),
        "unknown scanner": payload(RECEIPT.format(lot="U1"), scanner="hand-9"),
        "mode not allowed": payload(RECEIPT.format(lot="U1"), mode="dispatch"),
        "unknown GTIN": payload("]d2010000000000000017291200\x1d10X"),
        "bad check digit": payload("]d2010400638133393217291200\x1d10X"),
        "no bin": payload(RECEIPT.format(lot="U1"), scanner="bare"),
    }
    for count, (case, expected) in enumerate(REFUSALS, start=1):
        gateway = "gw-ghost" if case == "unknown gateway" else GW
        handled = booker.handle(topic(gateway), messages[case])
        assert handled.result is not None, case
        assert (handled.outcome, handled.result.ok, handled.result.outcome) == (
            "refused", False, "refused"), case
        assert expected in handled.result.message, case
        newest = refusals(world)[0]
        assert expected in newest["message"] and newest["code"], case
        # The redelivery answers the same refusal and records nothing more.
        again = booker.handle(topic(gateway), messages[case])
        assert again.result is not None and expected in again.result.message, case
        assert len(refusals(world)) == count, case
    assert world.on_hand(item="VAC-1") == 0


def test_garbage_a_wrong_gateway_and_a_database_refusal_are_refused_and_kept(
    world: World, booker: ScanBooker, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(world)
    garbage = booker.handle(topic(), b"\xff{not json")
    assert garbage.outcome == "refused" and garbage.result is None
    wrong = booker.handle(topic("gw-other"), payload(RECEIPT.format(lot="W1"), seq=3))
    assert wrong.result is not None and "differs from the topic's" in wrong.result.message
    no_raw = booker.handle(topic(), b'{"gateway": "gw-dock", "seq": 4, "scanner": "dock"}')
    assert no_raw.result is not None and no_raw.result.seq == 4  # told why, all the same
    records = refusals(world)
    assert len(records) == 3
    assert all(r["seq"] is None and r["code"] == "invalid_message" for r in records)
    assert "not valid JSON" in records[-1]["message"]
    assert world.on_hand(item="VAC-1") == 0
    # A scan the database refuses (not for a passing reason) is refused, the next books.
    receive = services.receive

    def poison(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(services, "receive", receive)
        raise DataError("INSERT ...", {}, Exception("value too long for type character(64)"))

    monkeypatch.setattr(services, "receive", poison)
    refused = booker.handle(topic(), payload(RECEIPT.format(lot="P1")))
    assert refused.outcome == "refused"
    assert refused.result.message.startswith("database refused: value too long")
    booked = booker.handle(topic(), payload(RECEIPT.format(lot="P2")))
    assert booked.outcome == "booked"
    assert world.on_hand(item="VAC-1") == 12
    with world.hub.sessions() as session:
        keys = [key for (key,) in session.query(IdempotencyRecord.key) if key.startswith("scan:")]
    assert len(keys) == 1


def test_identify_labels_a_count_and_a_fefo_dispatch(world: World, booker: ScanBooker) -> None:
    register(world, modes=["receive", "identify", "count", "dispatch"])
    world.receive("VAC-1", "EARLY", 10, "F-01", expiry="2029-06-30")
    world.receive("VAC-1", "LATE", 10, "F-01", expiry="2029-12-31")
    identified = booker.handle(topic(), payload(RECEIPT.format(lot="LATE"), mode="identify"))
    assert identified.outcome == "identified"
    assert identified.result.message.startswith("VAC-1 (GTIN 04006381333931), lot LATE")
    label = booker.handle(topic(), payload("LOC:F-02", mode="receive", location="F-02"))
    assert (label.outcome, label.result.message) == (
        "label", "Label understood: mode receive, location F-02")
    # A count: the label's quantity (AI 30) is what was counted; the difference is booked.
    counted = booker.handle(topic(), payload(
        "]d2010400638133393117291231\x1d10LATE\x1d307", mode="count"))
    assert counted.outcome == "booked", counted.result.message
    assert world.on_hand(item="VAC-1", lot_number="LATE") == 7
    # FEFO: scanning the later lot to dispatch is refused with the lot to pick instead.
    wrong_lot = booker.handle(topic(), payload(
        "]d2010400638133393117291231\x1d10LATE\x1d302", mode="dispatch"))
    assert wrong_lot.outcome == "refused"
    assert "lot EARLY is next to pick" in wrong_lot.result.message
    right_lot = booker.handle(topic(), payload(
        "]d2010400638133393117290630\x1d10EARLY\x1d302", mode="dispatch"))
    assert right_lot.outcome == "booked"
    assert right_lot.result.message == "Dispatched 2 of VAC-1, lot EARLY, from F-01"
    # A plain EAN names no lot: FEFO picks the earliest expiry.
    plain = booker.handle(topic(), payload("4006381333931", mode="dispatch"))
    assert plain.outcome == "booked" and plain.result.lines[0].lot == "EARLY"
    assert world.on_hand(item="VAC-1", lot_number="EARLY") == 7
    world.assert_ledger_equals_balances()
