"""`stockwarden hub`: the HTTP API with ingest running behind it, under uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from hub.app import create_app
from hub.container import assemble
from hub.settings import HubSettings

log = logging.getLogger(__name__)


def serve(settings: HubSettings) -> None:
    hub = assemble(settings)
    app = create_app(hub)
    scheme = "https" if settings.http_tls_cert else "http"
    log.info("hub starting", extra={
        "http": f"{scheme}://{settings.http_host}:{settings.http_port}",
        "database": hub.engine.url.render_as_string(hide_password=True),
        "broker": settings.mqtt_url,
        "timeseries": settings.tsdb_url or "none (SQL only)",
    })
    # uvicorn turns SIGINT/SIGTERM into the app's shutdown, which stops ingest
    # after committing and acknowledging what it received.
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                access_log=False,
                ssl_certfile=str(settings.http_tls_cert) if settings.http_tls_cert else None,
                ssl_keyfile=str(settings.http_tls_key) if settings.http_tls_key else None)
