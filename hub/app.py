"""The FastAPI app factory. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub import __version__
from hub.auth import authenticated
from hub.container import Hub
from hub.docs import mount_docs
from hub.errors import error_body, http_headers, http_status
from hub.routes import (
    gateways,
    health,
    items,
    locations,
    lots,
    moves,
    scan,
    scanners,
    sensors,
    stock,
    storage_classes,
    users,
    zones,
)
from kernel.errors import DomainError

log = logging.getLogger(__name__)


def create_app(hub: Hub, *, manage_lifecycle: bool = True) -> FastAPI:
    """The HTTP API over a built `Hub`. With `manage_lifecycle`, the app starts the
    hub's parts (ingest ...) on startup and stops them on shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            hub.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                hub.stop()

    app = FastAPI(
        title="Stockwarden",
        version=__version__,
        description="Warehouse monitoring and inventory for regulated goods.",
        lifespan=lifespan,
        docs_url=None,  # mount_docs serves them from the hub's own files
        redoc_url=None,
    )
    app.state.hub = hub
    mount_docs(app)

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=http_status(exc),
                            headers=http_headers(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid_body(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid_request", "detail": problems}, status_code=422
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Never a stack trace to the user; the log has it.
        log.exception("unhandled error")
        return JSONResponse(
            {"error": "internal", "detail": "internal error; see the hub's log"}, status_code=500
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(hub.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(health.router)
    app.include_router(users.login_router, prefix="/api/v1")
    # Every other API router requires a token: attach it here, never per route,
    # so that no router can be added without it.
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(authenticated)])
    return app


API_ROUTERS = [
    users.router, storage_classes.router, zones.router, locations.router, items.router,
    lots.router, stock.router, moves.router, scan.router, sensors.router,
    gateways.router, scanners.router,
]
