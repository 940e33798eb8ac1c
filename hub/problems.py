"""How every failure looks on the wire: one error body, `{"error", "detail"}`,
for domain errors, invalid requests, unparseable bodies, unknown routes and
unexpected exceptions alike; the check that refuses text no database can store
before any route sees it; and the catch-all that lets no exception escape.

The body is declared once (`ErrorBody`) and hub/openapi.py puts it on every
status a route can answer."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import error_body, http_headers, http_status
from hub.language import language_for
from kernel.dberrors import database_reason, is_transient
from kernel.errors import Busy, DomainError
from kernel.i18n import gettext
from kernel.i18n_text import N_
from kernel.text import bad_text, text_problem
from kernel.uow import BUSY

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    field: str = Field(description="where: body.name, query.end, path.lot_id, header.…")
    problem: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: str = Field(description="a stable code for programs, e.g. not_found, "
                                   "invalid_request, insufficient_stock, busy_retry")
    detail: str | list[FieldProblem] = Field(
        description="a sentence for people; for invalid_request, each field and its problem")


INTERNAL = {"error": "internal", "detail": "internal error; see the hub's log"}
NOT_JSON = N_("the body is not JSON in UTF-8, or is nested too deep")
# Pydantic's fixed sentences people meet most, in the catalogue (`_in_words` translates
# any of its messages the catalogue has; one with values stays English).
PYDANTIC_WORDS = (
    N_("Field required"), N_("Extra inputs are not permitted"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be a valid string"), N_("Input should be a valid list"),
    N_("Input should be a valid dictionary or object to extract fields from"),
    N_("Input should be a finite number"),
)
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _in_words(error: Any, language: str | None = None) -> str:
    """Pydantic's message, in plain words where people read it on a page ("the reason
    needs at least 3 characters", not "String should have at least 3 characters"), in
    the reader's language; pydantic's other messages (and the hub's own plain ones, the
    catalogue's keys) translated where the catalogue has them."""
    ctx = error.get("ctx") or {}
    kind = error.get("type")

    def say(text: str, **params: object) -> str:
        return gettext(language, text, **params)

    if kind == "string_too_short" and "min_length" in ctx:
        n = ctx["min_length"]
        return say("cannot be empty") if n == 1 else say("needs at least %(n)s characters", n=n)
    if kind == "string_too_long" and "max_length" in ctx:
        return say("can be at most %(n)s characters long", n=ctx["max_length"])
    if kind == "too_short" and "min_length" in ctx:
        return say("needs at least %(n)s entries", n=ctx["min_length"])
    if kind == "too_long" and "max_length" in ctx:
        return say("can have at most %(n)s entries", n=ctx["max_length"])
    if kind == "missing":
        return say("Field required")
    return say(str(error["msg"]))


def invalid_request(problems: list[tuple[tuple[Any, ...], str]]) -> RequestValidationError:
    """A RequestValidationError the handler below answers like pydantic's own."""
    return RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": msg, "input": None} for loc, msg in problems]
    )


async def refuse_unstorable_text(request: Request) -> None:
    """App-wide dependency: NUL characters and lone surrogates anywhere in the JSON
    body, the query string or the path are refused with the field named (422),
    before any route or database sees them. FastAPI has already read and parsed
    the body (an unparseable one never gets here), so this reads its cache."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and (problem := text_problem(value)):
            problems.append((("path", name), problem))
    for name, value in request.query_params.multi_items():
        for text in (name, value):
            if problem := text_problem(text):
                problems.append((("query", name.encode("utf-8", "replace").decode()), problem))
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        raw = await request.body()
        if raw and "json" in request.headers.get("content-type", "json"):
            try:
                parsed = await request.json()  # FastAPI's own parse, cached on the request
            except (ValueError, RecursionError):
                parsed = None  # FastAPI answers unparseable bodies itself
            try:
                found = list(bad_text(parsed))
            except RecursionError:  # deeper than the parser allows: never a valid request
                found = [((), "nested too deep")]
            problems.extend((("body", *loc), problem) for loc, problem in found)
    if problems:
        raise invalid_request(problems)


def _language(request: Request) -> str:
    """The reader's language; the user when a dependency left it on `request.state`."""
    return language_for(request, getattr(request.state, "user", None))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc, _language(request)), status_code=http_status(exc),
                            headers=http_headers(exc))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # A dropped connection (PostgreSQL restarted: there is no pre-ping) or a lock
        # timeout in a read: the client may send the request again. Anything else
        # is a fault of ours: the catch-all answers it 500 and logs it.
        if not is_transient(exc):
            raise exc
        log.warning("database busy or reconnecting: %s", database_reason(exc))
        busy = Busy(BUSY)
        return JSONResponse(error_body(busy, _language(request)), status_code=http_status(busy),
                            headers=http_headers(busy))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = "; ".join(
                f"{e.get('ctx', {}).get('error', e['msg'])} at character {e['loc'][-1]}"
                for e in errors)
            return JSONResponse({"error": "invalid_json", "detail": f"the body is not "
                                 f"JSON: {detail}"}, status_code=422)
        language = _language(request)
        problems = [{"field": _field(e["loc"]), "problem": _in_words(e, language)}
                    for e in errors]
        return JSONResponse({"error": "invalid_request", "detail": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        language = _language(request)
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # Not UTF-8, nested too deep for the parser, …: the same answer as bad JSON.
            return JSONResponse({"error": "invalid_json",
                                 "detail": gettext(language, NOT_JSON)}, status_code=422)
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse({"error": code, "detail": gettext(language, str(exc.detail))},
                            status_code=exc.status_code, headers=exc.headers)

    app.add_middleware(CatchAll)


class CatchAll:
    """Pure ASGI middleware: any exception a route, a dependency (its teardown
    included) or an inner middleware raises becomes the JSON 500 and is logged.

    Starlette's own `exception_handler(Exception)` answers the 500 and then
    re-raises it to the server, which drops the keep-alive connection: the
    client's next request on it was reset with no answer at all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if finished:
                return  # e.g. a dependency's teardown after the answer went out
            if started:
                # Half an answer has gone out: end it so the client is not left waiting.
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            body = json.dumps(INTERNAL).encode()
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
