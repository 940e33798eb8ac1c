"""The page routes: thin, out of the API schema, no token (the data comes from the
API with the token the page holds). A new page module adds its router to WEB_ROUTERS."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.deps import HubDep
from hub.web.confirm import router as confirm_router
from hub.web.consignees import router as consignees_router
from hub.web.excursions import router as excursions_router
from hub.web.language import router as language_router
from hub.web.layout import STATIC_DIR, _, assets_version, render, static_url
from hub.web.masterdata import router as masterdata_router
from hub.web.monitoring import router as monitoring_router
from hub.web.people import router as people_router
from hub.web.review import router as review_router
from hub.web.settings_pages import router as settings_router
from hub.web.stocktakes import router as stocktakes_router

router = APIRouter(include_in_schema=False)

# What the handheld's service worker keeps for offline use: the page and every file it loads.
HANDHELD_FILES = ["app.css", "api.js", "layout.js", "handheld.js", "queue.js", "queueview.js",
                  "picklist.js", "gs1.js", "sound.js", "labels.js", "dialog.js", "reads.js",
                  "i18n.js", "langswitch.js"]
HANDHELD_SCOPE = "/handheld"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", title=_("Log in"), bare=True,
                  password_min_length=request.app.state.hub.settings.password_min_length)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> HTMLResponse:
    """Zone report (figures, chart, PDF, CSV), expiry, ledger and lot trace."""
    return render(request, "reports.html", title=_("Reports"))


@router.get("/handheld", response_class=HTMLResponse)
def handheld_page(request: Request, hub: HubDep) -> HTMLResponse:
    settings = hub.settings
    return render(request, "handheld.html", title=_("Handheld"), page_config={
        "separatorStandins": list(settings.scan_separator_standins),
        "locationPrefix": settings.scan_location_prefix,
        "commandPrefix": settings.scan_command_prefix,
        "serviceWorker": f"{HANDHELD_SCOPE}/sw.js",
        "serviceWorkerScope": HANDHELD_SCOPE,
    })


@router.get(f"{HANDHELD_SCOPE}/sw.js")
def handheld_service_worker() -> Response:
    """The service worker, with its cache list and a version that changes with the files."""
    script = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    urls = [HANDHELD_SCOPE, *(static_url(name) for name in HANDHELD_FILES)]
    script = (script.replace("__VERSION__", assets_version())
              .replace("__URLS__", json.dumps(urls)))
    return Response(script, media_type="text/javascript", headers={
        # The script lives under /handheld/ but controls the page /handheld itself.
        "Service-Worker-Allowed": HANDHELD_SCOPE,
        "Cache-Control": "no-cache",
    })


WEB_ROUTERS: list[APIRouter] = [
    router, monitoring_router, review_router, confirm_router, excursions_router,
    masterdata_router, people_router, stocktakes_router, settings_router, language_router,
    consignees_router]
