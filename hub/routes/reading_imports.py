"""Historical import of a data logger's readings (supervisor): upload the CSV, list the
imports, download an import's refused rows. The work is ingest/history.py's; the
format is docs/reports.md's "Historical import"."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import IO, Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hub.auth import Supervisor
from hub.container import Hub
from hub.deps import HubDep, SessionDep
from hub.routes.common import PathId
from ingest import history, queries
from ingest.schemas import ReadingImportPublic, ReadingImportRefusalPublic
from ingest.store import IngestStore
from kernel import csv_cells
from kernel.actors import Actor
from kernel.errors import Invalid

router = APIRouter(tags=["readings import"])

# Kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 4 * 1024 * 1024


async def _spool(request: Request) -> tuple[IO[bytes], str | None]:
    """The CSV of a `text/csv` body or of the multipart form's `file` field, in a
    temporary file (read in chunks), and the file name a multipart form gives."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("send the CSV as the form's `file` field", code="bad_csv")
        while block := await upload.read(1 << 20):
            spool.write(block)
        name = upload.filename
    elif kind in ("text/csv", "text/plain", "application/octet-stream", ""):
        async for block in request.stream():
            spool.write(block)
        name = None
    else:
        raise Invalid("send the CSV as text/csv or multipart/form-data, not %(kind)s",
                      code="bad_csv", kind=kind)
    spool.seek(0)
    return spool, name


@router.post("/readings/imports", response_model=ReadingImportPublic, status_code=201)
async def import_readings(
    request: Request, user: Supervisor, hub: HubDep,
    file_name: Annotated[str | None, Query(max_length=255, description=(
        "The file's name, kept with the import (a multipart upload gives its own)"))] = None,
    timezone: Annotated[str | None, Query(max_length=64, description=(
        "IANA time zone of timestamps written without an offset; required for them"))] = None,
    reason: Annotated[str | None, Query(max_length=1000)] = None,
) -> JSONResponse:
    """Import a data logger's CSV (supervisor): the body as `text/csv`, or a multipart
    form with the file as `file`. Rows that cannot be imported are refused with their
    line and reason (`GET .../refused`), the rest stored; the same file again stores
    nothing. A body larger than the route's limit is a 413: raise it with
    `http_body_limits` or use `stockwarden import readings`."""
    spool, given = await _spool(request)
    try:
        done = await run_in_threadpool(_run, hub, spool, file_name or given or "upload.csv",
                                       user, timezone, reason)
    finally:
        spool.close()
    return JSONResponse(done.model_dump(mode="json"), status_code=201)


def _run(hub: Hub, spool: IO[bytes], name: str, user: Actor, timezone: str | None,
         reason: str | None) -> ReadingImportPublic:
    settings = hub.settings
    options = history.ImportOptions(
        retention=timedelta(days=settings.retention_days),
        max_future=timedelta(seconds=settings.ingest_max_future_s),
        tsdb=settings.tsdb_url is not None)
    return history.import_readings(IngestStore(hub.writes), spool, name, user, options,
                                   time_zone=timezone, reason=reason)


@router.get("/readings/imports", response_model=list[ReadingImportPublic])
def list_imports(session: SessionDep, _user: Supervisor) -> list[ReadingImportPublic]:
    """Every import of readings, newest first (supervisor)."""
    return queries.reading_imports(session)


@router.get("/readings/imports/{import_id}", response_model=ReadingImportPublic)
def one_import(import_id: PathId, session: SessionDep, _user: Supervisor) -> ReadingImportPublic:
    return queries.reading_import(session, import_id)


@router.get("/readings/imports/{import_id}/refused",
            response_model=list[ReadingImportRefusalPublic],
            responses={200: {"content": {"text/csv": {}}}})
def refused_rows(import_id: PathId, session: SessionDep, _user: Supervisor,
                 format: str = Query("json", pattern="^(json|csv)$")) -> Response:
    """The import's refused rows: line (the header is line 1) and reason; `format=csv`
    downloads them."""
    rows = queries.reading_import_refusals(session, import_id)
    if format == "csv":
        import io

        out = io.StringIO()
        writer = csv_cells.writer(out)
        writer.writerow(["line", "reason"])
        writer.writerows((r.line, r.reason) for r in rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="import-{import_id}-refused.csv"'})
    return JSONResponse([r.model_dump(mode="json") for r in rows])
