"""CSV cells a spreadsheet would run as formulas are quoted (OWASP); numbers are not."""

from __future__ import annotations

import csv
import io

import pytest

from kernel.csv_cells import safe_cell, writer


@pytest.mark.parametrize("text", ["=1+2", "+1+", "-2+3", "@SUM(A1)", "\tx", "\r=1",
                                  "-", "- .. -", "=", "-1-1", "-1e3x", "--1"])
def test_text_that_starts_like_a_formula_gets_a_quote(text: str) -> None:
    assert safe_cell(text) == ("-" if text == "-" else "'" + text)


@pytest.mark.parametrize("value", ["-3.5", "+2", "-1e-3", "-0.50", ".5", "12", "a=1",
                                   "", -3.5, -2, None, "LOT-1"])
def test_numbers_and_plain_text_are_written_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_the_writer_quotes_every_cell_of_every_row() -> None:
    out = io.StringIO()
    csv_out = writer(out, lineterminator="\n")
    csv_out.writerow(["=cmd", -3, "-3.50", "@x"])
    csv_out.writerows([["+1+1", "ok"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=cmd", "-3", "-3.50", "'@x"], ["'+1+1", "ok"]]
