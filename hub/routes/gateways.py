"""Gateways: their last status (online/offline, outbox, device health)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hub.deps import SessionDep
from ingest import gateways

router = APIRouter(tags=["gateways"])


class DeviceHealthPublic(BaseModel):
    state: Literal["ok", "timeout", "error", "unknown"] = "unknown"
    ok_count: int = 0
    timeout_count: int = 0
    error_count: int = 0
    last_success: datetime | None = None
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


@router.get("/gateways", response_model=list[GatewayPublic])
def list_gateways(session: SessionDep) -> list[gateways.GatewayView]:
    return gateways.list_gateways(session)


@router.get("/gateways/{gateway_id}", response_model=GatewayPublic)
def get_gateway(gateway_id: str, session: SessionDep) -> gateways.GatewayView:
    return gateways.get_gateway(session, gateway_id)
