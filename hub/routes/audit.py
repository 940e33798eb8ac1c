"""The audit trail for review (supervisor and above): `GET /audit` pages through it,
oldest first, filtered by period, user, entity (and key) and action;
`GET /audit.csv` and `GET /audit.pdf` export the same rows; `GET /audit/chain` says
whether the hash chain verifies. Nobody can change it through the API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from hub.auth import CurrentUser, require_role
from hub.deps import HubDep, SessionDep
from hub.language import language_for
from kernel import audit, csv_cells
from kernel.actors import Role
from kernel.audit import AuditFilter, AuditRowPublic, ChainPublic
from kernel.fields import MAX_ID, IsoDateTime
from kernel.i18n_text import Text, translator

router = APIRouter(tags=["audit"], dependencies=[Depends(require_role(Role.SUPERVISOR))])


def _filter(
    since: Annotated[IsoDateTime | None, Query(description="from this time (UTC)")] = None,
    until: Annotated[IsoDateTime | None, Query(description="before this time")] = None,
    user: Annotated[str | None, Query(max_length=64, description="who")] = None,
    entity: Annotated[str | None, Query(max_length=64, examples=["zone"])] = None,
    key: Annotated[str | None, Query(max_length=200, description="the entity's key")] = None,
    action: Annotated[str | None, Query(max_length=64, examples=["update"])] = None,
) -> AuditFilter:
    return AuditFilter(since=since, until=until, user=user, entity=entity, key=key,
                       action=action)


FilterDep = Annotated[AuditFilter, Depends(_filter)]


@router.get("/audit", response_model=list[AuditRowPublic])
def list_audit(
    session: SessionDep, where: FilterDep,
    after_seq: Annotated[int, Query(ge=0, le=MAX_ID,
                                    description="page on: the last seq you have")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditRowPublic]:
    """Who changed what, when, from what to what and why; oldest first."""
    return audit.rows(session, where, after_seq=after_seq, limit=limit)


@router.get("/audit.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def export_audit(hub: HubDep, where: FilterDep) -> StreamingResponse:
    """The trail (or the filtered part) as CSV, streamed."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv_cells.writer(buffer)
        writer.writerow(audit.CSV_COLUMNS)
        with hub.sessions() as session:
            for n, row in enumerate(audit.all_rows(session, where), 1):
                writer.writerow(audit.csv_row(row))
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(lines(), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="stockwarden-audit.csv"'})


# The most rows one PDF prints (a table of thousands of pages helps nobody); it says
# when more matched, and the CSV holds them all.
PDF_ROWS = 2000


def _filter_words(where: AuditFilter, language: str | None = None) -> list[tuple[str, str]]:
    """The filters in words (their names translated by the PDF); the period's in `language`."""
    tr = translator(language)

    def at(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""

    period = tr("%(start)s to %(end)s", start=at(where.since) or Text("the beginning"),
                end=at(where.until) or Text("now"))
    words = [("period", period)]
    words += [(name, value) for name, value in (
        ("user", where.user), ("entity", where.entity), ("key", where.key),
        ("action", where.action)) if value]
    return words


@router.get("/audit.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def export_audit_pdf(session: SessionDep, hub: HubDep, user: CurrentUser,
                     where: FilterDep, request: Request) -> Response:
    """The trail (or the filtered part) as a PDF for an inspector: the filters, the
    chain's state, and per row the old and new value of each changed field."""
    # reportlab is loaded when a PDF is asked for, as for the zone report.
    from hub.reports.audit_pdf import AuditDocument, audit_pdf

    language = language_for(request, user)
    found = audit.rows(session, where, limit=PDF_ROWS + 1)
    state = audit.chain_state(session, last=hub.settings.audit_check_rows)
    body = audit_pdf(AuditDocument(
        rows=found[:PDF_ROWS], filters=_filter_words(where, language),
        chain=audit.chain_words(state), generated_by=user.username,
        generated_at=datetime.now(UTC), more=len(found) > PDF_ROWS), PDF_ROWS, language)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="stockwarden-audit.pdf"'})


@router.get("/audit/chain", response_model=ChainPublic)
def audit_chain(
    session: SessionDep, hub: HubDep,
    whole: Annotated[bool, Query(description="walk every row (slower); default: the "
                                             "newest rows the hub checks on its schedule")]
    = False,
) -> ChainPublic:
    """Whether the hash chain verifies: its head, or the first row that does not match."""
    return audit.chain_state(session, last=None if whole else hub.settings.audit_check_rows)
