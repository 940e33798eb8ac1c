"""The pages' language: which one a request gets, and its words for templates and scripts.

Which: the logged-in user's (their session cookie's user; their None is the site's),
else the `lang` cookie the language switch sets, else the browser's Accept-Language,
else the site's (setting `language`). The words: one Jinja2 environment per language,
built once with that language's `web` catalogue installed (an environment is shared by
the threads serving requests, so nothing in it changes per request), and the catalogue
of the scripts' texts for static/i18n.js. docs/i18n.md.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from jinja2 import Environment, FileSystemLoader

from hub.accounts.service import language_of_token
from hub.auth import SESSION_COOKIE
from hub.language import site_language
from kernel import i18n

TEMPLATES_DIR = Path(__file__).parent / "templates"
# The switch's cookie: the language before login (the login page) and without a user.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_AGE_S = 365 * 86_400
DOMAIN = "web"


class CatalogueTranslations(stdlib_gettext.NullTranslations):
    """gettext's interface over kernel.i18n's catalogue (English text → translation)."""

    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self._table = table

    def gettext(self, message: str) -> str:
        return self._table.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        # The pages write whole sentences with a count placeholder instead of plurals.
        return self.gettext(msgid1 if n == 1 else msgid2)


@cache
def environment(language: str) -> Environment:
    """The templates' environment for one language (built once, then only read)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    table = i18n.catalogue(language, DOMAIN)
    env.install_gettext_translations(  # type: ignore[attr-defined]
        CatalogueTranslations(table), newstyle=True)
    return env


@cache
def script_catalogue(language: str) -> dict[str, str]:
    """The translations of the texts the scripts show (static/*.js, marked `t("…")`):
    the catalogue's entries whose source is a script, so a page carries only those."""
    if language == i18n.ENGLISH:
        return {}
    path = i18n.LOCALE_DIR / language.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if isinstance(message.id, str) and message.id and message.string
        and not message.fuzzy
        and any(str(where).endswith(".js") for where, _line in message.locations)
    }


def page_language(request: Request) -> str:
    """The language this request's page is shown in."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        hub = request.app.state.hub
        with hub.sessions() as session:
            holds, chosen = language_of_token(session, token)
        if holds:
            return chosen or site_language(request)
    return (i18n.normalise(request.cookies.get(LANGUAGE_COOKIE))
            or i18n.from_accept_language(request.headers.get("accept-language"))
            or site_language(request))


router = APIRouter(include_in_schema=False)


@router.get("/language/{tag}")
def choose_language(tag: str, next: str = "/") -> RedirectResponse:
    """The switch without a script (e.g. the confirm link's page): the cookie, then back.
    A logged-in user's choice is stored by the switch's script (PATCH /auth/me)."""
    language = i18n.normalise(tag) or i18n.ENGLISH
    local = (next.startswith("/") and not next.startswith("//")
             and not any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in next))
    target = next if local else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE_S, path="/",
                        samesite="lax")
    return response
