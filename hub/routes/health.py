"""Liveness and readiness of the hub and what it depends on."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hub.db import ping
from hub.deps import HubDep

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, dict[str, Any]] = Field(
        description="per dependency: ok (bool) and, when not, its error")


@router.get("/health", summary="Liveness and readiness of broker, store and database",
            response_model=HealthPublic,
            responses={503: {"model": HealthPublic, "description": "degraded: a check failed"}})
def health(hub: HubDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        ping(hub.engine)
        checks["database"] = {"ok": True}
    except Exception as exc:  # the check reports, it never raises
        checks["database"] = {"ok": False, "error": str(exc).splitlines()[0]}
    for _name, part in hub.parts():
        checks.update(part.health())
    ready = all(check.get("ok", True) for check in checks.values())
    body = {"status": "ok" if ready else "degraded", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)
