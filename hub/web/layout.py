"""The shared layout: templates, the navigation, the static files and the headers
every page gets. Pages render through `render`; a new page adds a `NavLink`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.types import Scope

from hub import __version__
from hub.web.language import environment, page_language, script_catalogue
from kernel.i18n import LANGUAGE_NAMES, LANGUAGES

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_URL = "/static/web"
SITE_NAME = "Stockwarden"

# Only the hub's own files, no inline script: a stolen-token XSS needs a script to run,
# and this policy lets none run but the hub's (docs/web.md, "The token").
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Revalidate every time (a cheap 304 when unchanged): a page update reaches the
    # handheld at its next load; offline, the service worker answers from its cache.
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class NavLink:
    path: str
    label: str


def _(text: str) -> str:
    """Marks a text for the catalogue (extraction); the template translates it."""
    return text


# The header's navigation, in order (labels in English, marked; base.html translates).
NAV: list[NavLink] = [
    NavLink("/", _("Overview")),
    NavLink("/alarms", _("Alarms")),
    NavLink("/handheld", _("Handheld")),
    NavLink("/reports", _("Reports")),
    NavLink("/audit", _("Audit")),  # supervisors and admins (layout.js hides it for others)
    NavLink("/stocktakes", _("Stocktakes")),  # operators read; supervisors open and approve
    # Zones, items, locations, gateways, users, alarm rules: one link, the settings pages
    # have their own row of links (settings_nav.html). Operators get no link (layout.js).
    NavLink("/settings/zones", _("Settings")),
]


class WebStaticFiles(StaticFiles):
    """Static files that revalidate (ETag) on every load, with the pages' headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def static_files() -> StaticFiles:
    return WebStaticFiles(directory=STATIC_DIR)


@cache
def templates(language: str = "en") -> Jinja2Templates:
    # Words shown to people are marked `{{ _("…") }}` (Jinja2's i18n extension, new-style
    # gettext: `_("%(n)s lots", n=3)`); each language has its environment with its
    # catalogue installed (hub/web/language.py), shared by the threads serving pages.
    return Jinja2Templates(env=environment(language))


@cache
def assets_version() -> str:
    """A digest of the static files and templates: changes whenever one does, so the
    service worker's cache name changes and stale copies are dropped."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*STATIC_DIR.rglob("*"), *(HERE / "templates").rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def static_url(name: str) -> str:
    return f"{STATIC_URL}/{name}"


def render(request: Request, template: str, *, title: str,
           title_params: dict[str, Any] | None = None, **context: Any) -> HTMLResponse:
    """A page in the base layout. `context` goes to the template; `page_config` (a
    dict) is handed to the page's script as JSON in a non-executable data block. The
    page is in the request's language (hub/web/language.py); `title` is English, the
    template translates it."""
    language = page_language(request)
    response = templates(language).TemplateResponse(request, template, {
        "site_name": SITE_NAME,
        "title": title,
        "title_params": title_params or {},
        "nav": NAV,
        # Every settings page is the header's one "Settings" link.
        "current_path": ("/settings/zones" if request.url.path.startswith("/settings/")
                         else request.url.path),
        "static": static_url,
        "version": __version__,
        "page_config": {},
        # The scripts' words in the page's language (static/i18n.js reads it): text → text.
        "js_catalog": script_catalogue(language),
        "language": language,
        "languages": [(tag, LANGUAGE_NAMES[tag]) for tag in LANGUAGES],
        # layout.js asks this often whether the hub ended the session (idle timeout).
        "session_idle_s": request.app.state.hub.settings.session_idle_s,
        **context,
    })
    response.headers.update(PAGE_HEADERS)
    # The same address answers in several languages (a cache must not mix them).
    response.headers["Vary"] = "Cookie, Accept-Language"
    response.headers["Content-Language"] = language
    return response
