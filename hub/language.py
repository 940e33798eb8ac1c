"""Which language a request is answered in: for the texts the hub writes for people
outside the pages' templates (API `detail`s, report PDFs and CSV headings, labels).

One resolver for every route and page, `language_for(request, user)`, first found wins:
1. `?lang=zh-CN` (or `en`) on the request: a link or a program asks for it;
2. the user's own language (`user.language`, the per-user setting; read by name so
   this works before and after that column exists);
3. the browser's `Accept-Language`;
4. the site's default, setting `language` (`STOCKWARDEN_LANGUAGE`, en or zh-CN).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from kernel.i18n import ENGLISH, from_accept_language, normalise


def site_language(request: HTTPConnection) -> str:
    hub = getattr(request.app.state, "hub", None)
    settings = getattr(hub, "settings", None)
    return normalise(getattr(settings, "language", None)) or ENGLISH


def language_for(request: HTTPConnection, user: object | None = None) -> str:
    """`en` or `zh-CN` for this request (see the module's docstring for the order)."""
    asked = normalise(request.query_params.get("lang"))
    if asked:
        return asked
    # Hook for the per-user language (i18nweb's users.language): None or unset falls through.
    own = normalise(getattr(user, "language", None)) if user is not None else None
    if own:
        return own
    return from_accept_language(request.headers.get("accept-language")) or site_language(request)
