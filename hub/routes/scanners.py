"""The scanners registered per gateway (admin), and the journal of MQTT scans:
what each scan a gateway published became, refusals with their reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contract.wire import ScanMode
from hub.auth import require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import http_status
from inventory.scans import registry as service
from inventory.scans.registry import ScannerRegistration
from kernel.actors import Role
from kernel.fields import MAX_ID

router = APIRouter(tags=["scanners"])
admin_only = [Depends(require_role(Role.ADMIN))]
supervisor_up = [Depends(require_role(Role.SUPERVISOR))]


class ScannerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    gateway: str
    scanner: str
    operator: str = Field(description="the account its scans book as")
    operator_active: bool
    modes: list[ScanMode] = Field(description="modes its scans may use; others are refused")
    location: str | None = Field(description="the bin a scan books at when it names none")
    updated_at: datetime


class ScanRecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    received_at: datetime
    site: str
    gateway: str
    seq: int | None = Field(description="none when the message could not be read")
    scanner: str | None
    scanned_at: datetime | None
    mode: str | None
    raw: str | None
    outcome: str = Field(description="booked, refused, identified, label")
    ok: bool
    code: str | None = Field(description="why it was refused, as a stable word")
    message: str = Field(description="what the gateway was told, in plain words")
    lines: list[dict[str, object]]
    booking: str | None
    username: str | None = Field(description="the account it booked as")


@router.get("/gateways/{gateway}/scanners", response_model=list[ScannerPublic],
            dependencies=admin_only)
def list_scanners(gateway: str, session: SessionDep) -> list[service.ScannerView]:
    return service.list_scanners(session, gateway)


@router.put("/gateways/{gateway}/scanners/{scanner}", response_model=ScannerPublic,
            dependencies=admin_only, responses={201: {"description": "registered"}})
def put_scanner(gateway: str, scanner: str, body: ScannerRegistration,
                session: WriteSessionDep, response: Response) -> service.ScannerView:
    """Register a gateway's scanner (201), or change its registration (200)."""
    done = service.put_scanner(session, gateway, scanner, body)
    response.status_code = http_status(done.created)
    return done.get()


@router.delete("/gateways/{gateway}/scanners/{scanner}", status_code=204,
               dependencies=admin_only)
def delete_scanner(gateway: str, scanner: str, session: WriteSessionDep) -> Response:
    """Unregister: its scans are refused from now on (and recorded)."""
    service.delete_scanner(session, gateway, scanner)
    return Response(status_code=204)


@router.get("/scans", response_model=list[ScanRecordPublic], dependencies=supervisor_up)
def list_scans(
    session: SessionDep,
    gateway: str | None = None,
    outcome: Annotated[str | None, Query(description="e.g. refused")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                           description="the page before this id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[service.ScanRecordView]:
    """The scans gateways published over MQTT, newest first, with what became of each."""
    return service.list_scan_records(session, gateway=gateway, outcome=outcome,
                                     before_id=before_id, limit=limit)
