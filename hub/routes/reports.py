"""Reports as JSON, CSV or PDF (docs/reports.md). Thin: parse, call, render."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from hub.accounts.signing import SIGNED, signer_for
from hub.auth import CurrentUser, Supervisor
from hub.container import Hub
from hub.deps import DbSession, HubDep, SessionDep, WriteSessionDep
from hub.language import language_for
from hub.reports import signoff, tables
from hub.reports.signoff import SignOffPublic, SignOffRequest, check_period_ended, with_sign_offs
from hub.reports.trace import lot_trace
from hub.reports.zone import ZoneReport, zone_report
from hub.routes.common import Answer, OptionalIdempotencyDep, PathId
from inventory import reports
from inventory.recall import item_received_by as item_received_by_query
from kernel.actors import Actor
from kernel.errors import Invalid
from kernel.fields import IsoDate, IsoDateTime
from kernel.signatures import REPORT_SIGNOFF
from kernel.uow import jsonable

router = APIRouter(tags=["reports"], prefix="/reports")


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"
    SVG = "svg"


class Quantity(StrEnum):
    TEMPERATURE = "temperature_c"
    HUMIDITY = "humidity_pct"


class TableFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


def _content(*types: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {t: ({"schema": {"type": "string", "format": "binary"}}
                                  if t != "application/json" else {}) for t in types}}}


ZONE_TYPES = _content("application/json", "text/csv", "application/pdf", "image/svg+xml")
# The chart is shown as an image; opened on its own, nothing in it may run or load.
SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
               "X-Content-Type-Options": "nosniff"}
TABLE_TYPES = _content("application/json", "text/csv", "application/pdf")
# ISO 8601 text only, years 1900 to 9998 (kernel/fields.py): a number is not a date.
Start = Annotated[IsoDateTime | None, Query(description="UTC (a time without zone is UTC); "
                                                        "default: 30 days before end")]
End = Annotated[IsoDateTime | None, Query(description="UTC; default: now")]
# The words of a CSV or PDF (headings, sections); read by hub/language.py's language_for.
Lang = Annotated[str | None, Query(pattern=r"^(en|zh-CN)$", description=(
    "en or zh-CN: the CSV's headings and the PDF's words; default: the user's language, "
    "else the browser's Accept-Language, else the site's (numbers and times stay ISO)"))]


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period(start: datetime | None, end: datetime | None, days: int = 30
           ) -> tuple[datetime, datetime]:
    end = utc(end) if end else datetime.now(UTC)
    start = utc(start) if start else end - timedelta(days=days)
    if end <= start:
        raise Invalid("end must be after start", code="bad_period")
    return start, end


def _file(body: str | bytes, media: str, name: str) -> Response:
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def site_name(hub: Hub) -> str:
    """The site a table report's PDF names: as the alarm topics name it."""
    settings = hub.settings
    return settings.site or (settings.mqtt_site if settings.mqtt_site != "+" else "main")


def zone_json(report: ZoneReport) -> dict[str, Any]:
    body = jsonable(report)
    best = report.highest_mkt
    body.update(complete=report.complete,
                highest_mkt={"sensor": best.sensor, "mkt_c": best.mkt_c,
                             "window_end": best.end.isoformat()} if best else None)
    return body


def _zone_report(session: DbSession, hub: Hub, code: str, start: datetime, end: datetime,
                 user: Actor) -> ZoneReport:
    return zone_report(
        session, code, start, end, now=datetime.now(UTC), generated_by=user.username,
        time_zone=hub.settings.site_timezone,
        record_interval_s=hub.settings.report_record_interval_s,
        out_of_range_interval_s=hub.settings.report_out_of_range_interval_s)


@router.post("/zones/{code}/sign-offs", response_model=SignOffPublic, status_code=201,
             responses={**SIGNED, 422: {"description": "signature_required, period_not_ended, "
                                                       "signature_meaning_not_allowed"}})
def sign_off_zone(code: str, body: SignOffRequest, reading: SessionDep, session: WriteSessionDep,
                  hub: HubDep, user: Supervisor, idem: OptionalIdempotencyDep) -> Response:
    """Sign a zone's report for a period that has ended (supervisor: quality): the
    signature keeps the SHA-256 of the report's PDF as signed; the report (JSON, CSV,
    PDF) shows its sign-offs, superseded when the period's data changed later."""
    start, end = period(body.start, body.end)
    check_period_ended(end, datetime.now(UTC))
    signer = signer_for(session, user, body.signature, REPORT_SIGNOFF)
    report = _zone_report(reading, hub, code, start, end, user)
    from hub.reports.pdf import zone_pdf

    pdf_sha256 = hashlib.sha256(zone_pdf(report)).hexdigest()
    answer = Answer(SignOffPublic)
    done = signoff.sign_off(session, report, pdf_sha256, signer, user, answer.keyed(idem))
    return answer.response(done)


@router.get("/zones/{code}", responses=ZONE_TYPES, response_class=Response)
def zone(code: str, request: Request, session: SessionDep, hub: HubDep, user: CurrentUser,
         start: Start = None,
         end: End = None, format: Format = Format.JSON,
         quantity: Annotated[Quantity, Query(description="the chart's (format=svg)")]
         = Quantity.TEMPERATURE,
         chart: Annotated[Literal["report", "trend"], Query(description=(
             "format=svg: the report's chart, or the overview's small trend with the "
             "allowed band between the limits shaded"))] = "report",
         lang: Lang = None) -> Response:
    """A zone's compliance report for a period: min/max/mean, time above and below the
    limits, excursions, mean kinetic temperature per day (USP <1079.2> window) and every
    gap in the record. PDF for an inspector; CSV with the same numbers; SVG: the chart of
    one quantity with its limits (the reports page shows it)."""
    start, end = period(start, end)
    report = with_sign_offs(session, _zone_report(session, hub, code, start, end, user))
    name = f"zone-{code}-{start:%Y%m%d}-{end:%Y%m%d}"
    if format is Format.CSV:
        return _file(tables.zone_csv(report, language_for(request, user)),
                     "text/csv; charset=utf-8", f"{name}.csv")
    if format is Format.PDF:
        from hub.reports.pdf import zone_pdf

        return _file(zone_pdf(report, language_for(request, user)), "application/pdf",
                     f"{name}.pdf")
    if format is Format.SVG:
        from hub.reports.svg import REPORT, TREND, zone_chart_svg

        frame = TREND if chart == "trend" else REPORT
        return Response(zone_chart_svg(report, quantity.value, frame), media_type="image/svg+xml",
                        headers=SVG_HEADERS)
    return JSONResponse(zone_json(report))  # with its sign-offs


@router.get("/expiry", responses=TABLE_TYPES, response_class=Response)
def expiry(session: SessionDep, request: Request, hub: HubDep, user: CurrentUser,
           within_days: Annotated[int, Query(ge=0, le=3650)] = 90,
           today: Annotated[IsoDate | None, Query(description="default: today (UTC)")] = None,
           format: TableFormat = TableFormat.JSON, lang: Lang = None) -> Response:
    """Lots with stock expiring within `within_days`, and expired lots still in stock.
    CSV and PDF carry the same rows."""
    day = today or datetime.now(UTC).date()
    rows = reports.expiry_report(session, day, within_days)
    if format is TableFormat.CSV:
        return _file(tables.expiry_csv(rows, language_for(request, user)),
                     "text/csv; charset=utf-8", "expiry.csv")
    if format is TableFormat.PDF:
        from hub.reports.table_pdf import expiry_pdf

        return _file(expiry_pdf(rows, day, within_days, site=site_name(hub),
                                generated_by=user.username,
                                language=language_for(request, user)),
                     "application/pdf", "expiry.pdf")
    return JSONResponse(jsonable(rows))


@router.get("/ledger", responses=TABLE_TYPES, response_class=Response)
def ledger(session: SessionDep, request: Request, hub: HubDep, user: CurrentUser,
           start: Start = None, end: End = None,
           item: Annotated[str | None, Query(description="SKU")] = None,
           format: TableFormat = TableFormat.JSON, lang: Lang = None) -> Response:
    """The stock ledger of a period: every move, and per item opening, in, out, closing.
    CSV and PDF carry the same rows."""
    report = reports.period_ledger(session, *period(start, end), item=item)
    if format is TableFormat.CSV:
        return _file(tables.ledger_csv(report, language_for(request, user)),
                     "text/csv; charset=utf-8", "ledger.csv")
    if format is TableFormat.PDF:
        from hub.reports.table_pdf import ledger_pdf

        return _file(ledger_pdf(report, item, site=site_name(hub), generated_by=user.username,
                                language=language_for(request, user)),
                     "application/pdf", "ledger.pdf")
    return JSONResponse(jsonable(report))


@router.get("/turnover", responses=TABLE_TYPES, response_class=Response)
def turnover(session: SessionDep, request: Request, hub: HubDep, user: CurrentUser,
             start: Start = None, end: End = None,
             basis: Annotated[str, Query(pattern="^(value|volume)$", description=(
                 "ABC by dispatch value (where every item has a unit cost) or volume"))] = "value",
             format: TableFormat = TableFormat.JSON, lang: Lang = None) -> Response:
    """Per item: dispatched quantity, average stock, turnover, days of cover, ABC class.
    CSV and PDF carry the same rows."""
    report = reports.turnover_report(session, *period(start, end), basis=basis)
    if format is TableFormat.CSV:
        return _file(tables.turnover_csv(report, language_for(request, user)),
                     "text/csv; charset=utf-8", "turnover.csv")
    if format is TableFormat.PDF:
        from hub.reports.table_pdf import turnover_pdf

        return _file(turnover_pdf(report, site=site_name(hub), generated_by=user.username,
                                  language=language_for(request, user)),
                     "application/pdf", "turnover.pdf")
    return JSONResponse(jsonable(report))


TRACE_TYPES = _content("application/json", "text/csv", "application/pdf")


class TraceFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


@router.get("/lots/{lot_id}/trace", responses=TRACE_TYPES, response_class=Response)
def trace(lot_id: PathId, session: SessionDep, hub: HubDep, user: CurrentUser,
          request: Request, format: TraceFormat = TraceFormat.JSON,
          lang: Lang = None) -> Response:
    """A lot from receipt to dispatch: moves, who received it (`received_by`: each
    dispatch with its consignee, order and quantity, and totals per consignee: the
    recall's answer), quality history, the zones it stayed in and the excursions
    there while it did. CSV and PDF carry the same rows."""
    found = lot_trace(session, lot_id, now=datetime.now(UTC),
                      hold_s=hub.settings.report_record_interval_s)
    if format is TraceFormat.CSV:
        return _file(tables.trace_csv(found, language_for(request)), "text/csv; charset=utf-8",
                     f"lot-{lot_id}-trace.csv")
    if format is TraceFormat.PDF:
        from hub.reports.trace_pdf import trace_pdf

        return _file(trace_pdf(found, user.username, language_for(request)), "application/pdf",
                     f"lot-{lot_id}-trace.pdf")
    return JSONResponse(jsonable(found))


@router.get("/items/{reference}/received-by", responses=TABLE_TYPES, response_class=Response)
def item_received_by(reference: Annotated[str, Path(max_length=64)], session: SessionDep,
                     request: Request, hub: HubDep, user: CurrentUser,
                     format: TableFormat = TableFormat.JSON, lang: Lang = None) -> Response:
    """A recall across lots: every dispatch of any lot of the item (by SKU or GTIN), with
    its consignee, order and quantity, and the totals per consignee. CSV and PDF carry
    the same rows."""
    found = item_received_by_query(session, reference)
    if format is TableFormat.CSV:
        return _file(tables.recall_csv(found, reference, language_for(request, user)),
                     "text/csv; charset=utf-8",
                     "received-by.csv")
    if format is TableFormat.PDF:
        from hub.reports.table_pdf import recall_pdf

        return _file(recall_pdf(found, reference, site=site_name(hub),
                                generated_by=user.username,
                                language=language_for(request, user)),
                     "application/pdf", "received-by.pdf")
    return JSONResponse(jsonable(found))


@router.get("/alarm-tests", responses=_content("application/json", "text/csv",
                                               "application/pdf"), response_class=Response)
def alarm_tests(session: SessionDep, user: CurrentUser, request: Request,
                start: Annotated[IsoDateTime | None, Query(
                    alias="from", description="UTC; default: 365 days before `to`")] = None,
                end: Annotated[IsoDateTime | None, Query(alias="to",
                                                         description="UTC; default: now")] = None,
                format: Format = Format.JSON, lang: Lang = None) -> Response:
    """The alarm path tests asked for in the period: per test and per recipient,
    delivered or failed (and why), confirmed by whom and when; the last complete test."""
    from alerts.challenge.queries import report as alarm_test_report
    from hub.reports import alarm_tests as tests_table

    start, end = period(start, end, days=365)
    report = alarm_test_report(session, start, end)
    name = f"alarm-tests-{start:%Y%m%d}-{end:%Y%m%d}"
    if format is Format.CSV:
        return _file(tests_table.csv(report, language_for(request, user)),
                     "text/csv; charset=utf-8", f"{name}.csv")
    if format is Format.PDF:
        return _file(tests_table.pdf(report, user.username, language_for(request, user)),
                     "application/pdf", f"{name}.pdf")
    if format is Format.SVG:
        raise Invalid("alarm-tests is JSON, CSV or PDF", code="bad_format")
    return JSONResponse(report.model_dump(mode="json"))
