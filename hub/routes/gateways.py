"""Gateways: their last status (online/offline, outbox, device health) and their
serial scanners, registered (inventory) beside reported (the gateway's status)."""

from __future__ import annotations

from fastapi import APIRouter

from hub import gateway_status
from hub.deps import SessionDep
from ingest.schemas import GatewayPublic

router = APIRouter(tags=["gateways"])


@router.get("/gateways", response_model=list[GatewayPublic])
def list_gateways(session: SessionDep) -> list[GatewayPublic]:
    """Every gateway seen (status or telemetry) or with registered scanners."""
    return gateway_status.list_gateways(session)


@router.get("/gateways/{gateway_id}", response_model=GatewayPublic)
def get_gateway(gateway_id: str, session: SessionDep) -> GatewayPublic:
    return gateway_status.get_gateway(session, gateway_id)
