"""`stockwarden hub`: the HTTP API with ingest running behind it, under uvicorn."""

from __future__ import annotations

import gc
import logging

import uvicorn

from hub.app import create_app
from hub.container import assemble
from hub.settings import HubSettings
from kernel.fonts import cjk_font
from kernel.urls import masked_url

log = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Put what start-up made (modules, the app, settings: ~170,000 objects) out of
    the cyclic garbage collector's way. A full collection walked them all, a pause
    of 60 to 140 ms in whichever request or batch it fell on; now it walks only what
    came after. Call once, in the serving process, after the app is built."""
    gc.collect()
    gc.freeze()


def serve(settings: HubSettings) -> None:
    hub = assemble(settings)
    app = create_app(hub)
    freeze_startup_objects()
    scheme = "https" if settings.http_tls_cert else "http"
    log.info("hub starting", extra={
        "http": f"{scheme}://{settings.http_host}:{settings.http_port}",
        "database": hub.engine.url.render_as_string(hide_password=True),
        # Passwords and tokens in these URLs are masked like the database's.
        "broker": masked_url(settings.mqtt_url),
        "timeseries": masked_url(settings.tsdb_url) if settings.tsdb_url else "none (SQL only)",
    })
    cjk_font()  # says in the log which font labels and reports print with, or that none
    # uvicorn turns SIGINT/SIGTERM into the app's shutdown, which stops ingest
    # after committing and acknowledging what it received.
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                access_log=False,
                ssl_certfile=str(settings.http_tls_cert) if settings.http_tls_cert else None,
                ssl_keyfile=str(settings.http_tls_key) if settings.http_tls_key else None)
