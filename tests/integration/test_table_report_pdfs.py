"""The table reports as PDFs (expiry, the period's ledger, turnover/ABC, the recall by
item), read back with pdftotext: every row and total of the CSV of the same request
is printed, the facts above them, page numbers; a long table runs over pages with its
head repeated; the words in Chinese for a zh-CN reader."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def _pages(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """The PDF's text per page, one line per printed line, runs of spaces made one."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: ./run installs poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [[" ".join(line.split()) for line in page.splitlines() if line.strip()]
            for page in text.split("\f") if page.strip()]


def _lines(pdf: bytes, tmp_path: Path) -> list[str]:
    return [line for page in _pages(pdf, tmp_path) for line in page]


def _pdf(world: World, path: str, tmp_path: Path, **params: Any) -> list[str]:
    answer = world.get(path, format="pdf", **params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    return _lines(answer.content, tmp_path)


def _csv_rows(world: World, path: str, **params: Any) -> list[list[str]]:
    """The CSV's data rows (no section names, no heads, no blank lines)."""
    answer = world.get(path, format="csv", **params)
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.text)))
    out, head_next = [], True
    for row in rows:
        if not row or row[0].startswith("# "):
            head_next = True
            continue
        if head_next:  # a section's (or the flat report's) head
            head_next = False
            continue
        out.append(row)
    return out


def _printed(row: list[str]) -> str:
    return " ".join(" ".join(cell.split()) for cell in row if cell)


def assert_same_rows(lines: list[str], rows: list[list[str]]) -> None:
    assert rows, "the CSV has rows to compare"
    for row in rows:
        assert _printed(row) in lines, (row, lines)


def _stock(world: World) -> tuple[str, str]:
    today = datetime.now(UTC).date()
    world.receive("VAC-1", "A-SOON", 10, "F-01", (today + timedelta(days=10)).isoformat())
    world.receive("VAC-1", "B-LATE", 5, "F-01", (today + timedelta(days=20)).isoformat())
    world.receive("GLOVE", "G1", 100, "R-01", None)
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 4}))
    world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 60}))
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    return start, end


def test_each_table_report_pdf_holds_the_csvs_rows_and_totals(world: World,
                                                               tmp_path: Path) -> None:
    start, end = _stock(world)

    expiry = _pdf(world, "/reports/expiry", tmp_path, within_days=30)
    assert "Expiry report" in expiry
    assert_same_rows(expiry, _csv_rows(world, "/reports/expiry", within_days=30))
    assert "units on hand 11" in expiry and "lots 2" in expiry  # 6 + 5 units of VAC-1
    assert "site main" in expiry and any(line.startswith("generated at ") for line in expiry)
    assert any(line.endswith("page 1") for line in expiry)

    ledger = _pdf(world, "/reports/ledger", tmp_path, start=start, end=end)
    assert "Stock ledger" in ledger and "item every item" in ledger
    rows = _csv_rows(world, "/reports/ledger", start=start, end=end)
    assert ["GLOVE", "0", "100", "60", "0", "40"] in rows  # the item's totals
    assert_same_rows(ledger, rows)
    assert "moves 5" in ledger

    only = _pdf(world, "/reports/ledger", tmp_path, start=start, end=end, item="GLOVE")
    assert "item GLOVE" in only and "moves 2" in only
    assert not any("VAC-1" in line for line in only)

    turnover = _pdf(world, "/reports/turnover", tmp_path, start=start, end=end)
    assert "Turnover and ABC" in turnover and "ABC basis volume" in turnover
    assert "dispatched 64" in turnover
    assert_same_rows(turnover, [row[:-1] for row in  # the basis is among the facts
                                _csv_rows(world, "/reports/turnover", start=start, end=end)])

    recall = _pdf(world, "/reports/items/VAC-1/received-by", tmp_path)
    assert "Recall: who received item VAC-1" in recall
    assert "quantity dispatched 4" in recall
    assert_same_rows(recall, _csv_rows(world, "/reports/items/VAC-1/received-by")[1:])


def test_a_long_ledger_runs_over_pages_with_its_head_repeated(world: World,
                                                               tmp_path: Path) -> None:
    world.receive("GLOVE", "G1", 500, "R-01", None)
    for _ in range(45):
        world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 1}))
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    answer = world.get("/reports/ledger", format="pdf", start=start, end=end)
    assert answer.status_code == 200, answer.text
    pages = _pages(answer.content, tmp_path)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert page[-1].startswith("Stockwarden Stock ledger, site main")
        assert page[-1].endswith(f"page {number}")
    with_moves = [page for page in pages if any(" dispatch " in line for line in page)]
    assert len(with_moves) >= 2  # the moves' table runs over pages...
    for page in with_moves:  # ...with its head on each
        assert any(line.startswith("id at kind booking item") for line in page), page
    ledger = [line for page in pages for line in page]
    assert_same_rows(ledger, _csv_rows(world, "/reports/ledger", start=start, end=end))


def test_a_chinese_reader_gets_chinese_headings(world: World, tmp_path: Path) -> None:
    start, end = _stock(world)
    expiry = _pdf(world, "/reports/expiry", tmp_path, within_days=30, lang="zh-CN")
    assert "效期报表" in expiry and "站点 main" in expiry
    assert "第1页" in "".join(expiry).replace(" ", "")  # pdftotext drops the spaces
    assert any("批号" in line and "现存量" in line for line in expiry)  # the table's head
    assert_same_rows(expiry, _csv_rows(world, "/reports/expiry", within_days=30,
                                       lang="zh-CN"))
    ledger = _pdf(world, "/reports/ledger", tmp_path, start=start, end=end, lang="zh-CN")
    assert "库存台账" in ledger and "期间内的每次移动" in ledger
    turnover = _pdf(world, "/reports/turnover", tmp_path, start=start, end=end, lang="zh-CN")
    assert "周转与 ABC 分类" in turnover
    recall = _pdf(world, "/reports/items/VAC-1/received-by", tmp_path, lang="zh-CN")
    assert "召回\uff1a物料 VAC-1 的收货方" in recall  # a full-width colon


def test_a_format_not_offered_is_refused_and_the_pdf_is_declared(world: World) -> None:
    for path in ("/reports/expiry", "/reports/ledger", "/reports/turnover",
                 "/reports/items/VAC-1/received-by"):
        answer = world.get(path, format="svg")
        assert answer.status_code == 422, (path, answer.text)
    paths = world.client.get("/openapi.json").json()["paths"]
    for path in ("expiry", "ledger", "turnover", "items/{reference}/received-by"):
        content = paths[f"/api/v1/reports/{path}"]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv", "application/pdf"}, path
