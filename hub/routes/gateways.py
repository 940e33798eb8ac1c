"""Gateways: their last status (online/offline, outbox, device health) and their
serial scanners, registered (inventory) beside reported (the gateway's status)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contract.wire import ScanMode
from hub.deps import SessionDep
from ingest import gateways
from inventory.scans import registry as scanner_registry
from kernel.errors import NotFound

router = APIRouter(tags=["gateways"])


class DeviceHealthPublic(BaseModel):
    state: Literal["ok", "timeout", "error", "unknown"] = "unknown"
    ok_count: int = 0
    timeout_count: int = 0
    error_count: int = 0
    last_success: datetime | None = None
    last_error: str | None = None


class GatewayScannerPublic(BaseModel):
    id: str
    registered: bool = Field(description="an admin registered it: its scans may book")
    reported: bool = Field(description="the gateway's last status lists it")
    problem: str | None = Field(
        None, description="what is wrong, e.g. reported but not registered (scans refused)")
    operator: str | None = Field(None, description="registered: the account it books as")
    modes: list[ScanMode] = Field(default_factory=list, description="registered: allowed modes")
    default_location: str | None = Field(None, description="registered: the default bin")
    port: str | None = None
    connected: bool | None = None
    mode: ScanMode | None = Field(None, description="reported: the mode it scans in now")
    location: str | None = Field(None, description="reported: the bin it scans at now")
    scans: int | None = None
    rejected: int | None = Field(None, description="reported: bad reads the edge dropped")
    last_scan: datetime | None = None
    last_error: str | None = None


class GatewayPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    site: str | None
    state: Literal["online", "offline", "unknown"] = Field(
        description="from the gateway's last status; unknown when only telemetry was seen"
    )
    last_seen: datetime | None = Field(
        description="when the hub received the last status (for unknown: the newest reading)"
    )
    status_ts: datetime | None = Field(description="the status's own timestamp")
    version: str | None
    outbox_depth: int | None = Field(description="messages waiting on the gateway")
    outbox_dropped: int | None = Field(description="messages the gateway's full outbox dropped")
    devices: dict[str, DeviceHealthPublic] = Field(description="per device health")
    sensors: int = Field(description="sensors whose newest reading came through this gateway")
    scanners: list[GatewayScannerPublic] = Field(
        default_factory=list, description="registered and reported serial scanners")


def scanner_rows(
    registered: list[scanner_registry.ScannerView], reported: dict[str, dict[str, object]],
) -> list[GatewayScannerPublic]:
    """One row per scanner id, registered or reported, flagged when only one is true."""
    by_id = {view.scanner: view for view in registered}
    rows = []
    for scanner in sorted(set(by_id) | set(reported)):
        view, health = by_id.get(scanner), reported.get(scanner)
        problem = None
        if view is None:
            problem = "reported by the gateway but not registered: its scans are refused"
        elif health is None:
            problem = "registered, but the gateway's last status does not list it"
        elif not view.operator_active:
            problem = f"its account {view.operator} is deactivated: its scans are refused"
        row = GatewayScannerPublic.model_validate({
            # The gateway's own `operator` is what its config claims; the hub books as
            # the registered one, shown below.
            **{k: v for k, v in (health or {}).items()
               if k in GatewayScannerPublic.model_fields and k != "operator"},
            "id": scanner, "registered": view is not None, "reported": health is not None,
            "problem": problem,
        })
        if view is not None:
            row.operator, row.modes, row.default_location = (
                view.operator, view.modes, view.location)
        rows.append(row)
    return rows


def _public(view: gateways.GatewayView,
            registered: list[scanner_registry.ScannerView]) -> GatewayPublic:
    fields = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    return GatewayPublic.model_validate(
        {**fields, "scanners": scanner_rows(registered, view.scanners)})


@router.get("/gateways", response_model=list[GatewayPublic])
def list_gateways(session: SessionDep) -> list[GatewayPublic]:
    """Every gateway seen (status or telemetry) or with registered scanners."""
    registered: dict[str, list[scanner_registry.ScannerView]] = {}
    for view in scanner_registry.list_scanners(session):
        registered.setdefault(view.gateway, []).append(view)
    seen = {view.id: view for view in gateways.list_gateways(session)}
    for gateway in registered.keys() - seen.keys():
        seen[gateway] = gateways.GatewayView(gateway, None, "unknown", None)
    return [_public(seen[key], registered.get(key, [])) for key in sorted(seen)]


@router.get("/gateways/{gateway_id}", response_model=GatewayPublic)
def get_gateway(gateway_id: str, session: SessionDep) -> GatewayPublic:
    registered = scanner_registry.list_scanners(session, gateway_id)
    try:
        view = gateways.get_gateway(session, gateway_id)
    except NotFound:
        if not registered:
            raise
        view = gateways.GatewayView(gateway_id, None, "unknown", None)
    return _public(view, registered)
