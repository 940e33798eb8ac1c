"""The zone report as a PDF for an inspector (reportlab): header, the period's chart
with the limits drawn, the tables, generated-by and generated-at on every page.
The numbers are the CSV's (hub/reports/tables.py formats both).

Text is printed in the CJK font kernel/fonts.py finds (zone, sensor and item names
may be Chinese), and every text that goes into a Paragraph is XML-escaped: reportlab
reads Paragraph text as markup, so a zone named `<img src=x>` would otherwise break
the PDF or make reportlab open `x` as a file or URL.

Its words are in the reader's language (`zone_pdf(report, language)`, English by
default; Chinese needs the CJK font, which prints the Latin too); numbers and
times stay ISO. A sign-off hashes the English PDF (hub/routes/reports.py)."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from hub.reports import provenance, tables
from hub.reports.zone import ZoneReport
from ingest.rollup import TEMPERATURE
from kernel.fonts import cjk_font
from kernel.i18n_text import N_, Translate, translator, written

PAGE = landscape(A4)
STYLES = getSampleStyleSheet()
CJK_FONT = "StockwardenCJK"


@dataclass(frozen=True, slots=True)
class Look:
    """The fonts and styles of a report, in the CJK font where one is installed."""
    regular: str
    bold: str
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    table: TableStyle
    header: TableStyle


@functools.cache
def look() -> Look:
    font = cjk_font()
    if font is None:
        regular, bold = "Helvetica", "Helvetica-Bold"
    else:  # registered once per process; the font has no bold face
        pdfmetrics.registerFont(TTFont(CJK_FONT, str(font.path), subfontIndex=font.index))
        # <i> and <b> map to the same face rather than failing.
        pdfmetrics.registerFontFamily(CJK_FONT, normal=CJK_FONT, bold=CJK_FONT, italic=CJK_FONT,
                           boldItalic=CJK_FONT)
        regular = bold = CJK_FONT
    return Look(
        regular, bold,
        title=ParagraphStyle("report-title", parent=STYLES["Title"], fontName=bold),
        heading=ParagraphStyle("section", parent=STYLES["Heading2"], fontName=bold,
                               keepWithNext=1),
        body=ParagraphStyle("body", parent=STYLES["BodyText"], fontName=regular),
        table=TableStyle([
            ("FONT", (0, 0), (-1, -1), regular, 8),
            ("FONT", (0, 0), (-1, 0), bold, 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]),
        header=TableStyle([
            ("FONT", (0, 0), (0, -1), bold, 8),
            ("FONT", (1, 0), (1, -1), regular, 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ]),
    )


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: markup characters print as themselves."""
    return Paragraph(escape(text), style)


QUANTITY_TITLES = {TEMPERATURE: N_("Temperature (°C)"),
                   "humidity_pct": N_("Relative humidity (%)")}


def _table(head: list[str] | None, rows: list[list[str]], empty: str) -> Flowable:
    if not rows:
        return Paragraph(f"<i>{escape(empty)}</i>", look().body)
    # Table cells are plain strings to reportlab (no markup is read in them).
    table = Table([head, *rows] if head else rows, repeatRows=1 if head else 0, hAlign="LEFT")
    table.setStyle(look().table if head else look().header)
    return table


def _chart(report: ZoneReport, quantity: str, tr: Translate = tables.ENGLISH
           ) -> Drawing | None:
    points = report.chart.get(quantity)
    if not points:
        return None
    width, height = PAGE[0] - 40 * mm, 70 * mm
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 35, 25, width - 50, height - 45
    origin = report.start

    def x(hour: datetime) -> float:
        return (hour - origin).total_seconds() / 3600

    span = max(1.0, (report.end - report.start).total_seconds() / 3600)
    series = [
        [(x(p.hour), p.max) for p in points],
        [(x(p.hour), p.mean) for p in points],
        [(x(p.hour), p.min) for p in points],
    ]
    colours = [colors.HexColor("#d62728"), colors.black, colors.HexColor("#1f77b4")]
    limit = report.limits.get(quantity)
    values = [v for s in series for _, v in s]
    for bound in (limit.high, limit.low) if limit else ():
        if bound is not None:
            series.append([(0, bound), (span, bound)])
            colours.append(colors.HexColor("#ff7f0e"))
            values.append(bound)
    plot.data = series
    for index, colour in enumerate(colours):
        plot.lines[index].strokeColor = colour
        plot.lines[index].strokeWidth = 0.8 if index < 3 else 1.2
        if index >= 3:
            plot.lines[index].strokeDashArray = [4, 2]
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, span
    step = 24 if span > 48 else 6 if span > 12 else 1
    if span / step > 16:
        step = 24 * max(1, round(span / 24 / 10))
    plot.xValueAxis.valueSteps = [float(v) for v in range(0, int(span) + 1, step)]
    label = "%m-%d %H:%M" if step < 24 else "%m-%d"
    plot.xValueAxis.labelTextFormat = lambda v: (origin + timedelta(hours=v)).strftime(label)
    plot.xValueAxis.labels.fontSize = 6
    low, high = min(values), max(values)
    pad = max(0.5, (high - low) * 0.1)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low - pad, high + pad
    plot.yValueAxis.labels.fontSize = 7
    drawing.add(plot)
    title = tr(QUANTITY_TITLES[quantity]) if quantity in QUANTITY_TITLES else quantity
    drawing.add(String(35, height - 12, tr("%(quantity)s: hourly max (red), mean (black), min "
                                           "(blue); limits dashed (orange)", quantity=title),
                       fontSize=8, fontName=look().regular))
    return drawing


def _changes_section(report: ZoneReport, tr: Translate = tables.ENGLISH) -> list[Flowable]:
    """The audit trail's rows of the period for the zone (hub/reports/changes.py)."""
    from hub.reports.audit_pdf import changes_table  # it builds on this module's look

    return [_paragraph(tr("Changes in the period (audit trail: the zone, its storage class, "
                          "its sensors, the alarm rules that apply)"), look().heading),
            changes_table(report.changes, tr("no change recorded in the period"), tr)]


def build_document(story: list[Flowable], *, title: str, author: str, footer: str,
                   tr: Translate = tables.ENGLISH) -> bytes:
    """The hub's PDFs: landscape A4, `footer` and the page number on every page."""
    out = io.BytesIO()

    def decorate(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(look().regular, 7)
        canvas.drawString(15 * mm, 8 * mm, footer)
        canvas.drawRightString(PAGE[0] - 15 * mm, 8 * mm, tr("page %(n)s", n=doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=12 * mm, bottomMargin=15 * mm, title=title,
                            author=author)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


def zone_pdf(report: ZoneReport, language: str | None = None) -> bytes:
    tr = translator(language)
    footer = tr("Stockwarden zone report %(zone)s, %(start)s to %(end)s UTC; generated by "
                "%(user)s at %(at)s UTC", zone=report.zone, start=tables.when(report.start),
                end=tables.when(report.end), user=report.generated_by,
                at=tables.when(report.generated_at))
    story: list[Flowable] = [
        _paragraph(tr("Storage conditions: zone %(zone)s (%(name)s)", zone=report.zone,
                      name=report.zone_name), look().title),
        _table(None, tables.header_rows(report, tr), ""),
        Spacer(0, 4 * mm),
    ]
    for quantity in (TEMPERATURE, "humidity_pct"):
        chart = _chart(report, quantity, tr)
        if chart is not None:
            story += [chart, Spacer(0, 2 * mm)]
    days = "UTC" if report.time_zone == "UTC" else report.time_zone
    heads = functools.partial(tables.heads, tr)
    sections = [
        (tr("Summary over the period"), heads(tables.SUMMARY_HEAD), tables.summary_rows(report),
         tr("no readings in the period")),
        (tr("The zone's time out of range (while any sensor was out)"),
         heads(tables.ZONE_TIME_HEAD), tables.zone_time_rows(report), tr("no limits")),
        (tr("Per day, %(zone)s (MKT: the window ending with the day)", zone=days),
         heads(tables.DAY_HEAD), tables.day_rows(report, tr), tr("no readings in the period")),
        (tr("Excursions beyond the storage class's limits (true start and end; the part in "
            "the period beside them)"), heads(tables.EXCURSION_HEAD),
         tables.excursion_rows(report.excursions, tr), tr("no excursion in the period")),
        (tr("Gaps in the record"), heads(tables.GAP_HEAD), tables.gap_rows(report.gaps, tr),
         tr("no gap: the record is complete")),
        *provenance_sections(report, tr),
    ]
    for title, head, rows, empty in sections:
        story += [_paragraph(title, look().heading), _table(head, rows, empty)]
    story += _changes_section(report, tr)
    story.append(_paragraph(tr("Notes"), look().heading))
    story += [_paragraph(f"- {written(tr, note)}", look().body) for note in report.notes]
    if report.sign_offs:  # hub/reports/signoff.py; the signed PDF itself had none yet
        story.append(_paragraph(tr("Sign-offs (electronic signatures)"), look().heading))
        story += [_paragraph(tr("%(text)s. Signed PDF SHA-256: %(sha)s", text=s.text,
                                sha=s.pdf_sha256), look().body)
                  for s in report.sign_offs]
    return build_document(story, title=tr("Zone report %(zone)s", zone=report.zone),
                          author=report.generated_by, footer=footer, tr=tr)


def provenance_sections(report: ZoneReport, tr: Translate = tables.ENGLISH
                        ) -> list[tuple[str, list[str], list[list[str]], str]]:
    """Imported readings and readings while calibration was overdue (provenance.py)."""
    found = report.origin
    return [
        (tr("Readings brought in by historical import"), tables.heads(tr, provenance.IMPORTED_HEAD),
         provenance.imported_rows(found), tr("none: every reading was received live")),
        (tr("Readings taken while a sensor's calibration was overdue"),
         tables.heads(tr, provenance.OVERDUE_HEAD), provenance.overdue_rows(found), tr("none")),
    ]
