"""Label sheets over HTTP: the PDF is rendered (pdfium) and read back with a real
barcode reader (zxing-cpp), and the lot label's scan is read by our
own scan interpreter, as a handheld would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from inventory.scans.interpret import GS1Scan, ScanSettings, interpret
from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def _read_back(pdf: bytes) -> list[tuple[str, str]]:
    """Every code on every page, as (symbology identifier, data), read off a 200 dpi
    rendering of the PDF."""
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 is in the dev extras")
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp is in the dev extras")
    found = []
    for page in pdfium.PdfDocument(pdf):
        image = page.render(scale=200 / 72).to_pil()
        for code in zxingcpp.read_barcodes(image):
            found.append((code.symbology_identifier, code.bytes.decode()))
    return found


def test_a_sheet_of_bin_command_and_lot_labels_scans_back(world: World) -> None:
    world.receive("VAC-1", "ABC123", 5, "F-01", expiry="2029-12-31")
    lot_id = world.ok(world.get("/lots", item="VAC-1"))[0]["id"]
    response = world.post("/labels.pdf", {"locations": ["F-01"], "commands": ["count"],
                                          "lots": [lot_id]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    scanned = _read_back(response.content)
    assert sorted(scanned) == sorted([("]C0", "LOC:F-01"), ("]C0", "CMD:COUNT"),
                                      ("]d2", "01040063813339311729123110ABC123")])
    lot = next(sid + raw for sid, raw in scanned if sid == "]d2")
    read = interpret(lot, ScanSettings())
    assert isinstance(read, GS1Scan)
    assert (read.gtin, read.lot, str(read.expiry)) == ("04006381333931", "ABC123", "2029-12-31")


def test_a_zone_and_the_mode_commands_fill_a_sheet(world: World) -> None:
    response = world.post("/labels.pdf", {"zone": "FRIDGE", "modes": True}, Role.SUPERVISOR)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_what_cannot_be_printed_is_refused_in_words(world: World) -> None:
    nothing = world.post("/labels.pdf", {})
    assert (nothing.status_code, nothing.json()["error"]) == (422, "nothing_to_print")
    assert world.post("/labels.pdf", {"locations": ["NOPE"]}).status_code == 404
    world.receive("GLOVE", "G1", 1, "R-01")
    glove = world.ok(world.get("/lots", item="GLOVE"))[0]["id"]
    no_gtin = world.post("/labels.pdf", {"lots": [glove]})
    assert (no_gtin.status_code, no_gtin.json()["error"]) == (422, "gtin_required")
    assert "GLOVE has no GTIN" in no_gtin.json()["detail"]
    world.receive("VAC-1", "批号-7", 1, "F-01")
    chinese = next(lot["id"] for lot in world.ok(world.get("/lots", item="VAC-1"))
                   if lot["lot_number"] == "批号-7")
    not_gs1 = world.post("/labels.pdf", {"lots": [chinese]})
    assert (not_gs1.status_code, not_gs1.json()["error"]) == (422, "lot_number_not_gs1")


def test_bins_named_in_chinese_and_emoji_print_their_names(world: World,
                                                           tmp_path: Path) -> None:
    names = {"F-01": "冷藏区 一号货架", "F-02": "疫苗 🧊 冷链"}
    for code, name in names.items():
        world.ok(world.client.patch(f"/api/v1/locations/{code}", json={"name": name},
                                    headers=world.headers(Role.ADMIN)))
    response = world.post("/labels.pdf", {"locations": list(names)})
    assert response.status_code == 200, response.text
    path = tmp_path / "labels.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "冷藏区 一号货架" in text
    assert "疫苗" in text and "冷链" in text  # the emoji, which the font lacks, is left out
    assert sorted(_read_back(response.content)) == [("]C0", "LOC:F-01"), ("]C0", "LOC:F-02")]
