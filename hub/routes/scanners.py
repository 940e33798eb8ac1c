"""The scanners registered per gateway (admin), and the journal of MQTT scans:
what each scan a gateway published became, refusals with their reasons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hub.auth import CurrentUser, require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import http_status
from inventory.scans import registry as service
from inventory.scans.schemas import ScannerPublic, ScannerRegistration, ScanRecordPublic
from kernel.actors import Role
from kernel.fields import MAX_ID

router = APIRouter(tags=["scanners"])
admin_only = [Depends(require_role(Role.ADMIN))]
supervisor_up = [Depends(require_role(Role.SUPERVISOR))]


@router.get("/gateways/{gateway}/scanners", response_model=list[ScannerPublic],
            dependencies=admin_only)
def list_scanners(gateway: str, session: SessionDep) -> list[ScannerPublic]:
    return service.list_scanners(session, gateway)


@router.put("/gateways/{gateway}/scanners/{scanner}", response_model=ScannerPublic,
            dependencies=admin_only, responses={201: {"description": "registered"}})
def put_scanner(gateway: str, scanner: str, body: ScannerRegistration,
                session: WriteSessionDep, response: Response,
                user: CurrentUser) -> ScannerPublic:
    """Register a gateway's scanner (201), or change its registration (200)."""
    done = service.put_scanner(session, gateway, scanner, body, actor=user)
    response.status_code = http_status(done.created)
    return done.get()


@router.delete("/gateways/{gateway}/scanners/{scanner}", status_code=204,
               dependencies=admin_only)
def delete_scanner(gateway: str, scanner: str, session: WriteSessionDep,
                   user: CurrentUser) -> Response:
    """Unregister: its scans are refused from now on (and recorded)."""
    service.delete_scanner(session, gateway, scanner, user)
    return Response(status_code=204)


@router.get("/scans", response_model=list[ScanRecordPublic], dependencies=supervisor_up)
def list_scans(
    session: SessionDep,
    gateway: str | None = None,
    outcome: Annotated[str | None, Query(description="e.g. refused")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                           description="the page before this id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ScanRecordPublic]:
    """The scans gateways published over MQTT, newest first, with what became of each."""
    return service.list_scan_records(session, gateway=gateway, outcome=outcome,
                                     before_id=before_id, limit=limit)
