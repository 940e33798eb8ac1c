"""The audit trail in a PDF, built as the zone report's is (reportlab, the look and
the CJK font of hub/reports/pdf.py): the /audit page's export (`GET /audit.pdf`), and
the "Changes in the period" section of the zone report's PDF.

One line per changed field, the value before beside the value after; the row's
time, actor, action and key on its first line. Every cell is a Paragraph of escaped
text (names may hold markup characters), wrapped to its column; a very long value
(a whole rules document) is cut with a note, so that one row never outgrows a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from hub.reports.changes import field_changes
from hub.reports.pdf import build_document, look
from kernel.audit import AuditRowPublic
from kernel.i18n_text import N_, Translate, translator

HEAD = [N_("seq"), N_("at (UTC)"), N_("actor (via)"), N_("action"), N_("entity / key"),
        N_("field"), N_("from"), N_("to"), N_("reason")]
WIDTHS_MM = [10, 22, 27, 16, 34, 30, 46, 46, 36]  # 267 mm: landscape A4 less margins
MAX_CELL = 1200  # characters of one value in a cell; the CSV holds the whole value
CHANGED = colors.HexColor("#fff3bf")  # the new value's cell, as the page marks it
# The widest a character of the 7-point text may be, in mm (the CJK font's Latin is
# wider than Helvetica's): a value this short fits its column on one line.
CHAR_MM = 2.0


def _cell_style() -> ParagraphStyle:
    return ParagraphStyle("audit-cell", parent=look().body, fontName=look().regular,
                          fontSize=7, leading=8.5, splitLongWords=1)


def _cut(value: str) -> str:
    if len(value) <= MAX_CELL:
        return value
    return f"{value[:MAX_CELL]} … ({len(value) - MAX_CELL} characters more: see the CSV)"


def _para(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_cut(value)), style)


def _cell(value: str, width_mm: float, style: ParagraphStyle) -> object:
    """A short value as a plain string (fast to lay out, never read as markup), a longer
    one as a Paragraph that wraps: a row of Paragraphs costs ten times as much, and a
    long trail has thousands of cells."""
    if max(len(line) for line in value.split("\n")) * CHAR_MM <= width_mm - 2:
        return value
    return _para(value, style)


def changes_table(rows: Sequence[AuditRowPublic], empty: str,
                  tr: Translate | None = None) -> Flowable:
    """The rows as one table (head repeated on every page), or `empty` in italics; the
    head in the reader's language (`tr`)."""
    if not rows:
        return Paragraph(f"<i>{escape(empty)}</i>", look().body)
    style = _cell_style()
    data: list[list[object]] = [[tr(word) for word in HEAD] if tr else list(HEAD)]
    marks: list[tuple[object, ...]] = [("FONTSIZE", (0, 1), (-1, -1), 7),
                                       ("LEADING", (0, 1), (-1, -1), 8.5)]
    for row in rows:
        first = [str(row.seq), row.at.strftime("%Y-%m-%d\n%H:%M:%S"),
                 f"{row.actor}\n({row.via})" if row.via else row.actor, row.action,
                 f"{row.entity}\n{row.key}"]
        # A line above each audit row: its fields belong together.
        marks.append(("LINEABOVE", (0, len(data)), (-1, len(data)), 0.8, colors.black))
        for index, (name, old, new) in enumerate(field_changes(row) or [("", "", "")]):
            lead = first if index == 0 else [""] * len(first)
            reason = (row.reason or "") if index == 0 else ""
            data.append([_cell(v, w, style) for v, w in
                         zip([*lead, name, old, new, reason], WIDTHS_MM, strict=True)])
            if new:
                marks.append(("BACKGROUND", (7, len(data) - 1), (7, len(data) - 1), CHANGED))
    table = Table(data, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1, hAlign="LEFT")
    table.setStyle(look().table)
    table.setStyle(TableStyle(marks))
    return table


@dataclass(frozen=True, slots=True)
class AuditDocument:
    rows: list[AuditRowPublic]
    filters: list[tuple[str, str]]  # what the page asked for, in words
    chain: str  # the chain's state, in words
    generated_by: str
    generated_at: datetime
    more: bool = False  # rows beyond those printed matched too


def audit_pdf(document: AuditDocument, limit: int, language: str | None = None) -> bytes:
    """The filtered trail as a PDF for an inspector, its words in `language`."""
    tr = translator(language)
    at = f"{document.generated_at:%Y-%m-%d %H:%M} UTC"
    count = str(len(document.rows))
    if document.more:
        count = tr("%(n)s (the first %(limit)s: more rows match; narrow the filters or export "
                   "the CSV, which holds them all)", n=len(document.rows), limit=limit)
    facts = [*[(tr(name), value) for name, value in document.filters],
             (tr("chain"), document.chain), (tr("rows"), count),
             (tr("generated by"), document.generated_by), (tr("generated at"), at)]
    header = Table([[k, _para(v, _cell_style())] for k, v in facts],
                   colWidths=[40 * mm, 227 * mm], hAlign="LEFT")
    header.setStyle(look().header)
    story: list[Flowable] = [
        Paragraph(escape(tr("Audit trail")), look().title), header, Spacer(0, 4 * mm),
        changes_table(document.rows, tr("no row matches these filters"), tr),
    ]
    return build_document(story, title=tr("Audit trail"), author=document.generated_by,
                          footer=tr("Stockwarden audit trail; generated by %(user)s at %(at)s",
                                    user=document.generated_by, at=at), tr=tr)
