"""Printable labels as a PDF: bins (Code 128 of the location label), scanner
commands (Code 128 of the command label) and lots (GS1 DataMatrix and GS1-128
with GTIN, expiry and lot). What goes on a label is decided here from plain
values; the barcodes are drawn as vectors (pystrich's marks into fpdf2), so they
stay sharp on any printer. The labels fit an A4 sheet of 3 x 8 labels of 70 x 37 mm.

A label's own words ("location", "LOT …", "exp") are `Text`s (kernel/i18n_text.py):
`render_pdf(labels, language)` prints them in the reader's language; what a scanner
reads never changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from pystrich.code128 import Code128Data, Code128Encoder
from pystrich.datamatrix import DataMatrixData, DataMatrixEncoder
from pystrich.gs1 import GS1Fixed, GS1Variable
from pystrich.marks import SymbolMarks

from kernel.fonts import cjk_font, latin1
from kernel.i18n_text import Text, render

if TYPE_CHECKING:
    from fpdf import FPDF

# The scan modes a command label switches to (inventory/scans/actions.py ScanMode).
MODE_COMMANDS = ("RECEIVE", "DISPATCH", "TRANSFER", "COUNT", "RETURN", "IDENTIFY")

COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70.0, 37.125  # mm: A4 (210 x 297) in 3 x 8
MARGIN = 3.0  # mm inside each label
CJK_FAMILY = "stockwarden-cjk"


class Symbology(StrEnum):
    CODE128 = "code128"
    GS1_DATAMATRIX = "gs1-datamatrix"


@dataclass(frozen=True, slots=True)
class Label:
    title: str  # large text under or beside the code
    subtitle: str
    symbology: Symbology
    data: str  # what a scanner reads (GS1: element string in brackets, for people)
    gs1: tuple[tuple[str, str, bool], ...] = ()  # (AI, value, fixed length) for GS1 codes


def location_label(code: str, prefix: str = "LOC:", name: str | None = None) -> Label:
    return Label(code, name or Text("location"), Symbology.CODE128, f"{prefix}{code}")


def command_label(command: str, prefix: str = "CMD:") -> Label:
    command = command.strip().upper()
    return Label(command, Text("scanner command"), Symbology.CODE128, f"{prefix}{command}")


def lot_label(gtin: str, sku: str, lot_number: str, expiry: date | None) -> Label:
    """GS1 DataMatrix of (01) GTIN, (17) expiry, (10) lot; the lot goes last, as it
    is of variable length."""
    fields: list[tuple[str, str, bool]] = [("01", gtin.zfill(14), True)]
    if expiry is not None:
        fields.append(("17", expiry.strftime("%y%m%d"), True))
    fields.append(("10", lot_number, False))
    readable = "".join(f"({ai}){value}" for ai, value, _ in fields)
    subtitle = Text("%(sku)s · exp %(expiry)s", sku=sku, expiry=expiry.isoformat()) \
        if expiry else sku
    return Label(Text("LOT %(lot)s", lot=lot_number), subtitle, Symbology.GS1_DATAMATRIX,
                 readable, tuple(fields))


def _marks(label: Label) -> SymbolMarks:
    if label.symbology is Symbology.GS1_DATAMATRIX:
        fields = [GS1Fixed(ai, v) if fixed else GS1Variable(ai, v) for ai, v, fixed in label.gs1]
        return DataMatrixEncoder(DataMatrixData.gs1(*fields)).get_rect_marks()
    return Code128Encoder(Code128Data(label.data, encoding="ascii"),
                          options={"show_label": False}).get_rect_marks()


def _draw(pdf: FPDF, marks: SymbolMarks, x: float, y: float, w: float, h: float) -> None:
    sx, sy = w / marks.width, h / marks.height
    for mx, my, mw, mh in marks.marks:
        pdf.rect(x + mx * sx, y + my * sy, mw * sx, mh * sy, style="F")


def render_pdf(labels: Iterable[Label], language: str | None = None, *,
               compress: bool = True) -> bytes:
    """The labels on as many A4 pages as they need, left to right, top to bottom; their
    words in `language` (English by default)."""
    # Imported here: fpdf2 and Pillow are ~20 MB of the hub's memory, for label sheets only.
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_compression(compress)
    pdf.set_title("Stockwarden labels")
    pdf.set_creator("Stockwarden")
    font = cjk_font()
    if font is not None:  # bin and item names in Chinese print; see kernel/fonts.py
        pdf.add_font(CJK_FAMILY, "", str(font.path), collection_font_number=font.index)
        # A glyph the font lacks (an emoji) is left out with a warning, not an error.
        look = _Look(CJK_FAMILY, "", lambda text: render(text, language))
    else:  # the built-in font prints Latin-1 only: the rest becomes "?"
        look = _Look("Helvetica", "B", lambda text: latin1(render(text, language)))
    placed = 0
    for label in labels:
        if placed % (COLUMNS * ROWS) == 0:
            pdf.add_page()
        slot = placed % (COLUMNS * ROWS)
        x0, y0 = (slot % COLUMNS) * LABEL_W, (slot // COLUMNS) * LABEL_H
        _label(pdf, label, look, x0 + MARGIN, y0 + MARGIN, LABEL_W - 2 * MARGIN,
               LABEL_H - 2 * MARGIN)
        placed += 1
    if placed == 0:
        pdf.add_page()
    return bytes(pdf.output())


@dataclass(frozen=True, slots=True)
class _Look:
    family: str
    bold: str  # the style of titles: "B", or "" for a font without a bold face
    printable: Callable[[str], str]  # what the font can print of a text


def _label(pdf: FPDF, label: Label, look: _Look, x: float, y: float, w: float, h: float
           ) -> None:
    marks = _marks(label)
    text = look.printable
    if label.symbology is Symbology.GS1_DATAMATRIX:
        side = h - 2
        _draw(pdf, marks, x, y, side, side)
        text_x, text_w = x + side + 2, w - side - 2
        pdf.set_xy(text_x, y + 2)
        pdf.set_font(look.family, look.bold, 11)
        pdf.multi_cell(text_w, 5, text(label.title))
        pdf.set_font(look.family, "", 7)
        pdf.set_x(text_x)
        pdf.multi_cell(text_w, 3.5, f"{text(label.subtitle)}\n{text(label.data)}")
        return
    _draw(pdf, marks, x, y, w, h - 12)
    pdf.set_xy(x, y + h - 11)
    pdf.set_font(look.family, look.bold, 12)
    pdf.cell(w, 6, text(label.title), align="C")
    pdf.set_xy(x, y + h - 5)
    pdf.set_font(look.family, "", 7)
    pdf.cell(w, 4, f"{text(label.subtitle)} · {text(label.data)}", align="C")
