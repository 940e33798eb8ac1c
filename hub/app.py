"""The FastAPI app factory. Nothing is built at import time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub import __version__
from hub.auth import authenticated
from hub.body_limits import BodyLimits
from hub.container import Hub
from hub.docs import mount_docs
from hub.openapi import install_openapi
from hub.problems import install_error_handlers, refuse_unstorable_text
from hub.routes import (
    alarm_tests,
    alarms,
    audit,
    calibrations,
    consignees,
    gateways,
    health,
    items,
    labels,
    locations,
    lots,
    moves,
    reading_imports,
    reports,
    returns,
    scan,
    scanners,
    sensors,
    stock,
    stocktakes,
    storage_classes,
    users,
    zones,
)
from hub.web import mount_web


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
        # Every route, the public ones included: text no database can store is a 422.
        dependencies=[Depends(refuse_unstorable_text)],
    )
    app.state.hub = hub
    # Set by the server the moment it is asked to stop (hub/server.py, StoppingServer),
    # before it waits for open requests: the alarm feed's long polls answer at once.
    app.state.stopping = threading.Event()
    mount_docs(app)
    mount_web(app)

    install_error_handlers(app)
    install_openapi(app)
    # Added last, so outermost: bodies are bounded before any route, token check or parse.
    app.add_middleware(BodyLimits, max_bytes=hub.settings.http_max_body_bytes,
                       per_path=hub.settings.http_body_limits,
                       timeout_s=hub.settings.http_body_timeout_s)

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


# FastAPI tries routers in this order for every request: the handhelds' hot routes
# (bookings, scans) come first. No two routers share a path, so the order only
# changes the time to match (and the order of the OpenAPI document).
API_ROUTERS = [
    moves.router, scan.router,
    users.router, storage_classes.router, zones.router, locations.router, items.router,
    lots.router, stock.router, sensors.router, calibrations.router, consignees.router,
    gateways.router,
    stocktakes.router, returns.router, labels.router,
    alarm_tests.router, alarms.router,  # /alarms/tests before /alarms/{alarm_id}
    reports.router,
    scanners.router,
    audit.router,
    reading_imports.router,
]
