"""Every report as rows of text: the one formatting, so that the CSV and the PDF of a
period carry the very same numbers. Values to two decimals, durations in hours
to two decimals, times in UTC (day rows: the report's days, UTC or the site's).

Headings and the report's own words are in the reader's language (`tr`, from
kernel/i18n_text.py; English by default); numbers, dates and the data stay as they are."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hub.reports.calibration import status_text as calibration_status
from hub.reports.changes import CHANGE_HEAD, change_rows
from hub.reports.provenance import IMPORTED_HEAD, OVERDUE_HEAD, imported_rows, overdue_rows
from hub.reports.signoff import SIGN_OFF_HEAD, sign_off_rows
from hub.reports.trace import LotTrace
from hub.reports.zone import ZoneReport
from ingest.compliance import ExcursionPeriod, Gap
from inventory.queries import LEDGER_COLUMNS
from inventory.recall import ReceivedBy
from inventory.reports import (
    EXPIRY_COLUMNS,
    TURNOVER_COLUMNS,
    ExpiryRow,
    PeriodLedger,
    Turnover,
    ZoneStay,
)
from kernel import csv_cells
from kernel.i18n_text import N_, Translate, translator, written
from kernel.signatures import SignaturePublic
from kernel.uow import jsonable

Row = list[str]
ENGLISH = translator(None)


def heads(tr: Translate, head: Sequence[str]) -> Row:
    """A table's heading in the reader's language."""
    return [tr(word) for word in head]


def num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def between(low: str, high: str) -> str:
    return low if low == high else f"{low}-{high}"


SUMMARY_HEAD = [N_("sensor"), N_("quantity"), N_("readings"), N_("min"), N_("max"), N_("mean"),
                N_("hours above"), N_("hours below")]
ZONE_TIME_HEAD = [N_("quantity"), N_("hours above (any sensor)"), N_("hours below (any sensor)")]
DAY_HEAD = [N_("day"), N_("sensor"), N_("quantity"), N_("readings"), N_("min"), N_("max"),
            N_("mean"), N_("hours above"), N_("hours below"), N_("MKT"), N_("MKT window"),
            N_("MKT flags")]
# An excursion's true start and end, and beside them the part inside the period.
EXCURSION_HEAD = [N_("sensor"), N_("quantity"), N_("side"), N_("start"), N_("end"), N_("peak"),
                  N_("hours out"), N_("in period"), N_("hours in period"), N_("cut"), N_("source")]
GAP_HEAD = [N_("sensor"), N_("from"), N_("to"), N_("minutes"), N_("allowed minutes"), N_("where")]


def summary_rows(report: ZoneReport) -> list[Row]:
    return [[s.sensor, s.quantity, str(s.readings), num(s.min), num(s.max), num(s.mean),
             between(hours(s.above_s_min), hours(s.above_s_max)),
             between(hours(s.below_s_min), hours(s.below_s_max))] for s in report.summaries]


def day_rows(report: ZoneReport, tr: Translate = ENGLISH) -> list[Row]:
    rows = []
    for d in report.days:
        kinetic, flags = d.mkt, []
        if kinetic is not None:
            if not kinetic.complete:
                flags.append(tr("incomplete %(n)s/%(of)s h", n=kinetic.hours_with_data,
                                of=kinetic.hours_expected))
            if kinetic.has_excursion:
                flags.append(tr("excursion in window"))
            if kinetic.former_delta_h_hours:
                flags.append(tr("former dH %(n)s h", n=len(kinetic.former_delta_h_hours)))
            if kinetic.mean_only_hours:
                flags.append(tr("mean only %(n)s h", n=len(kinetic.mean_only_hours)))
        rows.append([d.day.strftime("%Y-%m-%d"), d.sensor, d.quantity, str(d.readings),
                     num(d.min), num(d.max), num(d.mean), hours(d.above_s), hours(d.below_s),
                     num(kinetic.mkt_c) if kinetic else "",
                     f"{report.mkt_window_h} h" if kinetic else "", "; ".join(flags)])
    return rows


def zone_time_rows(report: ZoneReport) -> list[Row]:
    return [[z.quantity, between(hours(z.above_s_min), hours(z.above_s_max)),
             between(hours(z.below_s_min), hours(z.below_s_max))] for z in report.zone_time]


def _cut(p: ExcursionPeriod, tr: Translate = ENGLISH) -> str:
    parts = []
    if p.inside_start is not None and p.start < p.inside_start:
        parts.append(tr("began before the period"))
    if p.ongoing:
        parts.append(tr("ongoing"))
    elif p.end is not None and p.inside_end is not None and p.end > p.inside_end:
        parts.append(tr("ended after the period"))
    return "; ".join(parts)


def excursion_rows(periods: Iterable[ExcursionPeriod], tr: Translate = ENGLISH) -> list[Row]:
    rows = []
    for p in periods:
        inside = (tr("%(start)s to %(end)s", start=when(p.inside_start), end=when(p.inside_end))
                  if p.inside_start is not None else "")
        in_period = ("" if p.inside_s_min is None
                     else between(hours(p.inside_s_min), hours(p.inside_s_max)))
        rows.append([p.sensor, p.quantity, p.side, when(p.start),
                     tr("ongoing") if p.end is None else when(p.end), num(p.peak),
                     between(hours(p.seconds_min), hours(p.seconds_max)), inside, in_period,
                     _cut(p, tr), p.source])
    return rows


def gap_rows(gaps: Iterable[Gap], tr: Translate = ENGLISH) -> list[Row]:
    return [[g.sensor, when(g.start), when(g.end), f"{g.seconds / 60:.1f}",
             f"{g.allowed_s / 60:.0f}",
             tr("longest gap within the hour") if g.within_hour else tr("between readings")]
            for g in gaps]


def header_rows(report: ZoneReport, tr: Translate = ENGLISH) -> list[Row]:
    rows = [[tr("site"), report.site], [tr("zone"), f"{report.zone} ({report.zone_name})"],
            [tr("storage class"), report.storage_class or tr("none")]]
    for quantity, limit in report.limits.items():
        rows.append([tr("limits %(quantity)s", quantity=quantity),
                     f"{num(limit.low) or '-'} .. {num(limit.high) or '-'}"])
    local = ZoneInfo(report.time_zone) if report.time_zone != "UTC" else None
    period = tr("%(start)s to %(end)s UTC", start=when(report.start), end=when(report.end))
    if local is not None:
        period += " (" + tr("%(start)s to %(end)s %(zone)s",
                            start=when(report.start.astimezone(local)),
                            end=when(report.end.astimezone(local)), zone=report.time_zone) + ")"
    not_reported = tr("not reported")
    rows += [
        [tr("period"), period],
        [tr("days"), tr("local days of %(zone)s (the site's time zone)", zone=report.time_zone)
         if local else tr("UTC days")],
        ["MKT", tr("dH %(dh)s kJ/mol, window %(n)s h", dh=f"{report.delta_h / 1000:.3f}",
                   n=report.mkt_window_h)],
        [tr("record complete"), tr("yes") if report.complete
         else tr("no: %(n)s gap(s)", n=len(report.gaps))],
        [tr("excursions from"), report.excursion_source],
        [tr("time out of range"), tr(
            "from readings against the storage class's limits (a value at a limit is "
            "inside); each reading holds until the next, at most %(n)s min; clipped to the "
            "period", n=f"{report.hold_s / 60:.0f}")],
    ]
    for sensor in report.sensors:
        rows.append([tr("sensor %(id)s", id=sensor.id),
                     tr("%(name)s; gateway %(gateway)s; profile %(profile)s; calibration "
                        "%(calibration)s", name=sensor.name or "-", gateway=sensor.gateway or "-",
                        profile=sensor.profile or not_reported,
                        calibration=sensor.calibration or not_reported)])
        rows.append([tr("calibration %(id)s", id=sensor.id), calibration_status(sensor, tr)])
        rows += [[tr("offset change %(id)s", id=sensor.id), change] for change in sensor.changes]
    rows += [[tr("generated by"), report.generated_by],
             [tr("generated at"), f"{when(report.generated_at)} UTC"]]
    return rows


def _csv(sections: Sequence[tuple[str, Row, list[Row]]]) -> str:
    """Sections one after another: a row naming the section, its head, its rows."""
    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\n")
    for index, (name, head, rows) in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerow([f"# {name}"])
        writer.writerow(head)
        writer.writerows(rows)
    return out.getvalue()


def zone_csv(report: ZoneReport, language: str | None = None) -> str:
    tr = translator(language)
    return _csv([
        (tr("report"), heads(tr, [N_("field"), N_("value")]), header_rows(report, tr)),
        (tr("summary"), heads(tr, SUMMARY_HEAD), summary_rows(report)),
        (tr("zone time out of range"), heads(tr, ZONE_TIME_HEAD), zone_time_rows(report)),
        (tr("days"), heads(tr, DAY_HEAD), day_rows(report, tr)),
        (tr("excursions"), heads(tr, EXCURSION_HEAD), excursion_rows(report.excursions, tr)),
        (tr("gaps"), heads(tr, GAP_HEAD), gap_rows(report.gaps, tr)),
        (tr("imported readings"), heads(tr, IMPORTED_HEAD), imported_rows(report.origin)),
        (tr("readings while calibration overdue"), heads(tr, OVERDUE_HEAD),
         overdue_rows(report.origin)),
        (tr("notes"), heads(tr, [N_("note")]), [[written(tr, n)] for n in report.notes]),
        (tr(CHANGES_SECTION), heads(tr, CHANGE_HEAD), change_rows(report.changes)),
        (tr("sign-offs"), heads(tr, SIGN_OFF_HEAD), sign_off_rows(report)),
    ])


# The audit trail's rows in the reports (hub/reports/changes.py).
CHANGES_SECTION = N_("changes in the period")
LOT_CHANGES_SECTION = N_("audit trail")
# The flat reports' column names (data keys) as a reader's heading; a name not here
# stays as it is.
COLUMN_WORDS = {name: name for name in (
    N_("item"), N_("item_name"), N_("lot_id"), N_("lot_number"), N_("expiry"), N_("days_left"),
    N_("state"), N_("qc_status"), N_("on_hand"), N_("locations"), N_("dispatched"),
    N_("average_stock"), N_("closing_stock"), N_("turnover"), N_("days_of_cover"),
    N_("dispatch_value"), N_("abc"), N_("abc_basis"), N_("id"), N_("at"), N_("kind"),
    N_("booking"), N_("from_location"), N_("to_location"), N_("quantity"), N_("user"),
    N_("reference"), N_("reason"), N_("received_at"), N_("opening"), N_("received"),
    N_("other_out"), N_("closing"))}


def flat_csv(columns: list[str], rows: Iterable[object], language: str | None = None) -> str:
    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\n")
    tr = translator(language)
    writer.writerow([tr(c) if c in COLUMN_WORDS else c for c in columns])
    for row in rows:
        values = jsonable(row)
        writer.writerow(["" if values[c] is None else values[c] for c in columns])
    return out.getvalue()


def expiry_csv(rows: list[ExpiryRow], language: str | None = None) -> str:
    return flat_csv(EXPIRY_COLUMNS, rows, language)


def turnover_csv(report: Turnover, language: str | None = None) -> str:
    return flat_csv([*TURNOVER_COLUMNS, "abc_basis"],
                    [{**jsonable(r), "abc_basis": report.basis} for r in report.rows], language)


def columns(tr: Translate, columns: Sequence[str]) -> Row:
    return [tr(c) if c in COLUMN_WORDS else c for c in columns]


LEDGER_ITEM_COLUMNS = ["item", "opening", "received", "dispatched", "other_out", "closing"]


def ledger_item_rows(report: PeriodLedger) -> list[Row]:
    return [[i.item, str(i.opening), str(i.received), str(i.dispatched), str(i.other_out),
             str(i.closing)] for i in report.items]


def ledger_move_rows(report: PeriodLedger) -> list[Row]:
    return [[str(v) if v is not None else "" for v in jsonable(m).values()]
            for m in report.moves]


def ledger_csv(report: PeriodLedger, language: str | None = None) -> str:
    tr = translator(language)
    return _csv([
        (tr("items"), columns(tr, LEDGER_ITEM_COLUMNS), ledger_item_rows(report)),
        (tr("moves"), columns(tr, LEDGER_COLUMNS), ledger_move_rows(report)),
    ])


SIGNATURE_HEAD = [N_("signature"), N_("at"), N_("user"), N_("full_name"), N_("meaning"),
                  N_("action"), N_("sha256")]


def signature_rows(signed: Iterable[SignaturePublic]) -> list[Row]:
    return [[s.text, when(s.at), s.username, s.full_name, s.meaning, s.action,
             s.content_sha256] for s in signed]


def stay_rows(stays: Iterable[ZoneStay], tr: Translate = ENGLISH) -> list[Row]:
    return [[s.zone, when(s.start), when(s.end) or tr("still there")] for s in stays]


def trace_csv(found: LotTrace, language: str | None = None) -> str:
    tr = translator(language)
    lot = found.trace.lot
    return _csv([
        (tr("lot"), columns(tr, ["item", "lot_number", "expiry", "received_at", "qc_status",
                                  "on_hand"]),
         [[lot.item, lot.lot_number, when(lot.expiry), when(lot.received_at), lot.qc_status,
           str(lot.on_hand)]]),
        (tr("moves"), columns(tr, LEDGER_COLUMNS), [[str(v) if v is not None else "" for v in
                                                      jsonable(m).values()]
                                                     for m in found.trace.moves]),
        (tr("quality"), heads(tr, [N_("at"), N_("from"), N_("to"), N_("reason"), N_("user")]),
         [[when(q.at), q.from_status or "", q.to_status, q.reason or "", q.user]
          for q in found.trace.qc_history]),
        (tr("signatures"), heads(tr, SIGNATURE_HEAD), signature_rows(lot.signatures)),
        (tr("zones"), heads(tr, [N_("zone"), N_("from"), N_("to")]), stay_rows(found.stays, tr)),
        (tr("excursions"), heads(tr, EXCURSION_HEAD), excursion_rows(found.excursions, tr)),
        (tr(LOT_CHANGES_SECTION), heads(tr, CHANGE_HEAD), change_rows(found.changes)),
        *received_sections(found.received_by, tr),
    ])


# The recall's answer (inventory/recall.py): per consignee, then every dispatch.
RECEIVED_TOTAL_HEAD = [N_("consignee"), N_("name"), N_("GLN"), N_("quantity"),
                       N_("dispatches"), N_("first (UTC)"), N_("last (UTC)"), N_("orders")]
RECEIVED_HEAD = [N_("at (UTC)"), N_("lot"), N_("consignee"), N_("name"), N_("GLN"),
                 N_("order"), N_("quantity"), N_("booking")]
NOT_RECORDED = N_("not recorded")
RECEIVED_SECTION = N_("received by (per consignee)")
DISPATCHES_SECTION = N_("each dispatch")


def received_total_rows(found: ReceivedBy | None, tr: Translate = ENGLISH) -> list[Row]:
    if found is None:
        return []
    return [[t.consignee or tr(NOT_RECORDED), t.consignee_name or "", t.gln or "",
             str(t.quantity), str(t.dispatches), when(t.first), when(t.last),
             ", ".join(t.orders)] for t in found.totals]


def received_rows(found: ReceivedBy | None, tr: Translate = ENGLISH) -> list[Row]:
    if found is None:
        return []
    return [[when(r.at), r.lot_number, r.consignee or tr(NOT_RECORDED), r.consignee_name or "",
             r.gln or "", r.order or "", str(r.quantity), r.booking] for r in found.receipts]


def received_sections(found: ReceivedBy | None, tr: Translate = ENGLISH
                      ) -> list[tuple[str, Row, list[Row]]]:
    return [(tr(RECEIVED_SECTION), heads(tr, RECEIVED_TOTAL_HEAD), received_total_rows(found, tr)),
            (tr(DISPATCHES_SECTION), heads(tr, RECEIVED_HEAD), received_rows(found, tr))]


def recall_csv(found: ReceivedBy, item: str, language: str | None = None) -> str:
    """An item's recall across its lots: per consignee, then every dispatch."""
    tr = translator(language)
    return _csv([(tr("item"), heads(tr, [N_("item"), N_("quantity dispatched")]),
                  [[item, str(found.quantity)]]),
                 *received_sections(found, tr)])
