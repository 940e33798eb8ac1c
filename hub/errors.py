"""The one table from domain errors to HTTP: status and extra headers per error
class. The domain raises errors that know nothing of HTTP (kernel/errors.py);
this is the only place that decides what they mean on the wire."""

from __future__ import annotations

from kernel.errors import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from kernel.i18n import gettext
from kernel.i18n_text import render

RETRY_AFTER_S = 1

# Most specific first is not needed: the lookup walks the error's class hierarchy.
STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Forbidden: 403,
    Unauthorized: 401,
    Busy: 503,
    TooManyAttempts: 429,
    DomainError: 400,
}

HEADERS: dict[type[DomainError], dict[str, str]] = {
    Unauthorized: {"WWW-Authenticate": "Bearer"},
    Busy: {"Retry-After": str(RETRY_AFTER_S)},
}


def http_status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def http_headers(exc: DomainError) -> dict[str, str] | None:
    if isinstance(exc, TooManyAttempts):
        return {"Retry-After": str(exc.retry_after_s)}
    for cls in type(exc).__mro__:
        if cls in HEADERS:
            return HEADERS[cls]
    return None


def error_body(exc: DomainError, language: str | None = None) -> dict[str, str]:
    """`detail` in the reader's language: the English sentence (or template, its values
    filled) is the catalogue's key; untranslated, it stays English. `error` never changes."""
    template = getattr(exc, "template", exc.message)
    # A value that is itself a Text (a duration) is written in the same language.
    params = {name: render(value, language) if isinstance(value, str) else value
              for name, value in getattr(exc, "params", {}).items()}
    return {"error": exc.code, "detail": gettext(language, template, **params)}
