"""The table reports' PDF helper (hub/reports/table_pdf.py): a wide table (the ledger's
thirteen columns with times, bookings and references) is printed smaller so that it
fits the page instead of running off its right edge; a narrow one keeps its size."""

from __future__ import annotations

from reportlab.platypus import Table

from hub.reports.table_pdf import FRAME_WIDTH, _fitted
from inventory.queries import LEDGER_COLUMNS

ROW = ["123", "2026-12-07T07:00:12.345678+00:00", "dispatch",
       "6f1c2a8e-1234-4c7e-9a0b-0123456789ab", "VAC-1", "LOT-2026-0001", "F-01", "", "4",
       "operator1", "SO-2026-000123", "broken in transit", "ACME"]


def test_a_wide_ledger_table_is_made_to_fit_the_page() -> None:
    assert len(LEDGER_COLUMNS) == len(ROW)
    table = _fitted(list(LEDGER_COLUMNS), [ROW] * 3, "none")
    width, _ = table.wrap(FRAME_WIDTH, 10_000)
    assert width <= FRAME_WIDTH + 0.5


def test_a_narrow_table_keeps_its_size() -> None:
    table = _fitted(["item", "quantity"], [["VAC-1", "4"]], "none")
    assert isinstance(table, Table)
    width, _ = table.wrap(FRAME_WIDTH, 10_000)
    assert width < FRAME_WIDTH / 2


def test_no_rows_is_said_in_words() -> None:
    assert not isinstance(_fitted(["item"], [], "No moves."), Table)
