"""CSV that a spreadsheet opens as data, never as a formula (OWASP "CSV Injection").

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula: a lot number or a reason such as
`=HYPERLINK(...)` would run on the reader's machine. Such a cell is written with a
single quote in front (`'=HYPERLINK(...)`), which the spreadsheet shows as text.

Numbers stay numbers: a cell that is a plain decimal number (`-3.5`, `+2`, `-1e-3`)
is no formula, so it is written as it is, whether it came as a number or as text
formatted from one (the reports format their figures as text); so is a lone `-`,
the reports' "none". A lot number such as `-123` is therefore left as it is: a
spreadsheet shows it as the number it looks like, as it always did, and runs nothing.
Every CSV the hub writes goes through `writer` here."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet should see it: formula-like text quoted."""
    if (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and value != "-" and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose every cell passes `safe_cell`."""

    def __init__(self, out: TextIO, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: TextIO, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)
