"""The API docs page, served with files the hub ships: no CDN.

Warehouse networks are often cut off from the internet, and FastAPI's default /docs
loads Swagger UI from a CDN, so it would be blank there. The files come from the
`fastapi-offline` package (Swagger UI 5 and a favicon); we use only its files, not its
FastAPI subclass. There is no /redoc: ReDoc's bundle loads its logo from Redocly's CDN
even when served locally, and Swagger UI already shows every operation and schema."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = "/static/docs"


def docs_files() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def mount_docs(app: FastAPI) -> None:
    """/docs: Swagger UI from the hub's own /static/docs. The app must be built with
    docs_url=None and redoc_url=None."""
    app.mount(DOCS_STATIC, StaticFiles(directory=docs_files()), name="docs-static")
    title = f"{app.title} API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
            # Swagger UI would otherwise fetch a badge from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

