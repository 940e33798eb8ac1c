"""Every report as rows of text: the one formatting, so that the CSV and the PDF of a
period carry the very same numbers. Values to two decimals, durations in hours
to two decimals, times in UTC (day rows: the report's days, UTC or the site's)."""

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
from kernel.signatures import SignaturePublic
from kernel.uow import jsonable

Row = list[str]


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


SUMMARY_HEAD = ["sensor", "quantity", "readings", "min", "max", "mean", "hours above",
                "hours below"]
ZONE_TIME_HEAD = ["quantity", "hours above (any sensor)", "hours below (any sensor)"]
DAY_HEAD = ["day", "sensor", "quantity", "readings", "min", "max", "mean", "hours above",
            "hours below", "MKT", "MKT window", "MKT flags"]
# An excursion's true start and end, and beside them the part inside the period.
EXCURSION_HEAD = ["sensor", "quantity", "side", "start", "end", "peak", "hours out",
                  "in period", "hours in period", "cut", "source"]
GAP_HEAD = ["sensor", "from", "to", "minutes", "allowed minutes", "where"]


def summary_rows(report: ZoneReport) -> list[Row]:
    return [[s.sensor, s.quantity, str(s.readings), num(s.min), num(s.max), num(s.mean),
             between(hours(s.above_s_min), hours(s.above_s_max)),
             between(hours(s.below_s_min), hours(s.below_s_max))] for s in report.summaries]


def day_rows(report: ZoneReport) -> list[Row]:
    rows = []
    for d in report.days:
        kinetic, flags = d.mkt, []
        if kinetic is not None:
            if not kinetic.complete:
                flags.append(f"incomplete {kinetic.hours_with_data}/{kinetic.hours_expected} h")
            if kinetic.has_excursion:
                flags.append("excursion in window")
            if kinetic.former_delta_h_hours:
                flags.append(f"former dH {len(kinetic.former_delta_h_hours)} h")
            if kinetic.mean_only_hours:
                flags.append(f"mean only {len(kinetic.mean_only_hours)} h")
        rows.append([d.day.strftime("%Y-%m-%d"), d.sensor, d.quantity, str(d.readings),
                     num(d.min), num(d.max), num(d.mean), hours(d.above_s), hours(d.below_s),
                     num(kinetic.mkt_c) if kinetic else "",
                     f"{report.mkt_window_h} h" if kinetic else "", "; ".join(flags)])
    return rows


def zone_time_rows(report: ZoneReport) -> list[Row]:
    return [[z.quantity, between(hours(z.above_s_min), hours(z.above_s_max)),
             between(hours(z.below_s_min), hours(z.below_s_max))] for z in report.zone_time]


def _cut(p: ExcursionPeriod) -> str:
    parts = []
    if p.inside_start is not None and p.start < p.inside_start:
        parts.append("began before the period")
    if p.ongoing:
        parts.append("ongoing")
    elif p.end is not None and p.inside_end is not None and p.end > p.inside_end:
        parts.append("ended after the period")
    return "; ".join(parts)


def excursion_rows(periods: Iterable[ExcursionPeriod]) -> list[Row]:
    rows = []
    for p in periods:
        inside = (f"{when(p.inside_start)} to {when(p.inside_end)}"
                  if p.inside_start is not None else "")
        in_period = ("" if p.inside_s_min is None
                     else between(hours(p.inside_s_min), hours(p.inside_s_max)))
        rows.append([p.sensor, p.quantity, p.side, when(p.start),
                     "ongoing" if p.end is None else when(p.end), num(p.peak),
                     between(hours(p.seconds_min), hours(p.seconds_max)), inside, in_period,
                     _cut(p), p.source])
    return rows


def gap_rows(gaps: Iterable[Gap]) -> list[Row]:
    return [[g.sensor, when(g.start), when(g.end), f"{g.seconds / 60:.1f}",
             f"{g.allowed_s / 60:.0f}",
             "longest gap within the hour" if g.within_hour else "between readings"]
            for g in gaps]


def header_rows(report: ZoneReport) -> list[Row]:
    rows = [["site", report.site], ["zone", f"{report.zone} ({report.zone_name})"],
            ["storage class", report.storage_class or "none"]]
    for quantity, limit in report.limits.items():
        rows.append([f"limits {quantity}", f"{num(limit.low) or '-'} .. {num(limit.high) or '-'}"])
    local = ZoneInfo(report.time_zone) if report.time_zone != "UTC" else None
    period = f"{when(report.start)} to {when(report.end)} UTC"
    if local is not None:
        period += (f" ({when(report.start.astimezone(local))} to "
                   f"{when(report.end.astimezone(local))} {report.time_zone})")
    rows += [
        ["period", period],
        ["days", f"local days of {report.time_zone} (the site's time zone)" if local
         else "UTC days"],
        ["MKT", f"dH {report.delta_h / 1000:.3f} kJ/mol, window {report.mkt_window_h} h"],
        ["record complete", "yes" if report.complete else f"no: {len(report.gaps)} gap(s)"],
        ["excursions from", report.excursion_source],
        ["time out of range", "from readings against the storage class's limits (a value "
         "at a limit is inside); each reading holds until the next, at most "
         f"{report.hold_s / 60:.0f} min; clipped to the period"],
    ]
    for sensor in report.sensors:
        rows.append([f"sensor {sensor.id}",
                     f"{sensor.name or '-'}; gateway {sensor.gateway or '-'}; profile "
                     f"{sensor.profile or 'not reported'}; calibration "
                     f"{sensor.calibration or 'not reported'}"])
        rows.append([f"calibration {sensor.id}", calibration_status(sensor)])
        rows += [[f"offset change {sensor.id}", change] for change in sensor.changes]
    rows += [["generated by", report.generated_by],
             ["generated at", f"{when(report.generated_at)} UTC"]]
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


def zone_csv(report: ZoneReport) -> str:
    return _csv([
        ("report", ["field", "value"], header_rows(report)),
        ("summary", SUMMARY_HEAD, summary_rows(report)),
        ("zone time out of range", ZONE_TIME_HEAD, zone_time_rows(report)),
        ("days", DAY_HEAD, day_rows(report)),
        ("excursions", EXCURSION_HEAD, excursion_rows(report.excursions)),
        ("gaps", GAP_HEAD, gap_rows(report.gaps)),
        ("imported readings", IMPORTED_HEAD, imported_rows(report.origin)),
        ("readings while calibration overdue", OVERDUE_HEAD, overdue_rows(report.origin)),
        ("notes", ["note"], [[n] for n in report.notes]),
        (CHANGES_SECTION, CHANGE_HEAD, change_rows(report.changes)),
        ("sign-offs", SIGN_OFF_HEAD, sign_off_rows(report)),
    ])


# The audit trail's rows in the reports (hub/reports/changes.py).
CHANGES_SECTION = "changes in the period"
LOT_CHANGES_SECTION = "audit trail"


def flat_csv(columns: list[str], rows: Iterable[object]) -> str:
    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = jsonable(row)
        writer.writerow(["" if values[c] is None else values[c] for c in columns])
    return out.getvalue()


def expiry_csv(rows: list[ExpiryRow]) -> str:
    return flat_csv(EXPIRY_COLUMNS, rows)


def turnover_csv(report: Turnover) -> str:
    return flat_csv([*TURNOVER_COLUMNS, "abc_basis"],
                    [{**jsonable(r), "abc_basis": report.basis} for r in report.rows])


def ledger_csv(report: PeriodLedger) -> str:
    return _csv([
        ("items", ["item", "opening", "received", "dispatched", "other_out", "closing"],
         [[i.item, str(i.opening), str(i.received), str(i.dispatched), str(i.other_out),
           str(i.closing)] for i in report.items]),
        ("moves", LEDGER_COLUMNS, [[str(v) if v is not None else "" for v in
                                    jsonable(m).values()] for m in report.moves]),
    ])


SIGNATURE_HEAD = ["signature", "at", "user", "full_name", "meaning", "action", "sha256"]


def signature_rows(signed: Iterable[SignaturePublic]) -> list[Row]:
    return [[s.text, when(s.at), s.username, s.full_name, s.meaning, s.action,
             s.content_sha256] for s in signed]


def stay_rows(stays: Iterable[ZoneStay]) -> list[Row]:
    return [[s.zone, when(s.start), when(s.end) or "still there"] for s in stays]


def trace_csv(found: LotTrace) -> str:
    lot = found.trace.lot
    return _csv([
        ("lot", ["item", "lot_number", "expiry", "received_at", "qc_status", "on_hand"],
         [[lot.item, lot.lot_number, when(lot.expiry), when(lot.received_at), lot.qc_status,
           str(lot.on_hand)]]),
        ("moves", LEDGER_COLUMNS, [[str(v) if v is not None else "" for v in
                                    jsonable(m).values()] for m in found.trace.moves]),
        ("quality", ["at", "from", "to", "reason", "user"],
         [[when(q.at), q.from_status or "", q.to_status, q.reason or "", q.user]
          for q in found.trace.qc_history]),
        ("signatures", SIGNATURE_HEAD, signature_rows(lot.signatures)),
        ("zones", ["zone", "from", "to"], stay_rows(found.stays)),
        ("excursions", EXCURSION_HEAD, excursion_rows(found.excursions)),
        (LOT_CHANGES_SECTION, CHANGE_HEAD, change_rows(found.changes)),
        *received_sections(found.received_by),
    ])


# The recall's answer (inventory/recall.py): per consignee, then every dispatch.
RECEIVED_TOTAL_HEAD = ["consignee", "name", "GLN", "quantity", "dispatches", "first (UTC)",
                       "last (UTC)", "orders"]
RECEIVED_HEAD = ["at (UTC)", "lot", "consignee", "name", "GLN", "order", "quantity",
                 "booking"]
NOT_RECORDED = "not recorded"


def received_total_rows(found: ReceivedBy | None) -> list[Row]:
    if found is None:
        return []
    return [[t.consignee or NOT_RECORDED, t.consignee_name or "", t.gln or "", str(t.quantity),
             str(t.dispatches), when(t.first), when(t.last), ", ".join(t.orders)]
            for t in found.totals]


def received_rows(found: ReceivedBy | None) -> list[Row]:
    if found is None:
        return []
    return [[when(r.at), r.lot_number, r.consignee or NOT_RECORDED, r.consignee_name or "",
             r.gln or "", r.order or "", str(r.quantity), r.booking] for r in found.receipts]


def received_sections(found: ReceivedBy | None) -> list[tuple[str, Row, list[Row]]]:
    return [("received by (per consignee)", RECEIVED_TOTAL_HEAD, received_total_rows(found)),
            ("dispatches", RECEIVED_HEAD, received_rows(found))]


def recall_csv(found: ReceivedBy, item: str) -> str:
    """An item's recall across its lots: per consignee, then every dispatch."""
    return _csv([("item", ["item", "quantity dispatched"], [[item, str(found.quantity)]]),
                 *received_sections(found)])
