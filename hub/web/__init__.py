"""The hub's web pages: one base layout (Jinja2 templates), small plain JavaScript
modules and one CSS file, every file served by the hub itself (no CDN, no build step).

`mount_web(app)` is the one call `hub/app.py` makes. A page is a thin route that
renders a template extending `base.html`; the HTML needs no token, the data comes
from the API with the token the login page stored (docs/web.md)."""

from __future__ import annotations

from fastapi import FastAPI

from hub.web.layout import STATIC_URL, static_files
from hub.web.pages import WEB_ROUTERS

__all__ = ["mount_web"]


def mount_web(app: FastAPI) -> None:
    """Serve /static/web/* and every page router in `WEB_ROUTERS`."""
    app.mount(STATIC_URL, static_files(), name="web-static")
    for router in WEB_ROUTERS:
        app.include_router(router)
