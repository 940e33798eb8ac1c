"""The audit trail for review (supervisor and above): `GET /audit` pages through it,
oldest first, filtered by period, user, entity (and key) and action;
`GET /audit.csv` exports the same rows. Nobody can change it through the API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from hub.auth import require_role
from hub.deps import HubDep, SessionDep
from kernel import audit, csv_cells
from kernel.actors import Role
from kernel.audit import AuditFilter, AuditRowPublic
from kernel.fields import MAX_ID, IsoDateTime

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
