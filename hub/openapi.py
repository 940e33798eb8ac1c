"""The OpenAPI document, made to tell the truth about failures.

FastAPI declares only the success answer and its own `HTTPValidationError`. Here
every operation gets, from one set of rules, each error status it can answer,
all with the one error body (`hub.problems.ErrorBody`):

- 422 everywhere: any field, query or path value can be invalid (and text with
  NUL or lone surrogates is refused on every route);
- 401 and 403 on every route behind a token;
- 404 where the path names a resource (and where a route says so for a query);
- 408 and 413 on every route that takes a body (bounded in time and size before
  anything reads it, the token check included);
- 409 on every write; 503 (busy_retry, with Retry-After) on every write and on
  every other API route too: a read finding its database connection dropped
  (PostgreSQL restarted; the hub does not ping connections first) answers it once.

Routes add what only they know with `responses=` (e.g. 409 insufficient_stock)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from hub.problems import ErrorBody

REF = "#/components/schemas/ErrorBody"
WRITES = {"post", "put", "patch", "delete"}

RULES: dict[int, str] = {
    401: "not_authenticated, invalid_token or token_expired: send a valid bearer token",
    403: "role_required: the user's role does not allow this",
    404: "not_found: a resource named in the request does not exist",
    408: "request_timeout: the request body did not arrive in time "
         "(STOCKWARDEN_HTTP_BODY_TIMEOUT_S); the connection is closed: send it again",
    409: "conflict: the change conflicts with stored data (named in `error`)",
    413: "too_large: the request body is larger than this route takes (1 MiB unless "
         "STOCKWARDEN_HTTP_BODY_LIMITS says otherwise); refused before it is read, before "
         "the token is checked",
    422: "invalid_request (each field and its problem), invalid_json (the body is not "
         "JSON), or a request the domain refuses (named in `error`)",
    503: "busy_retry: the data stayed locked, or the database connection was renewed; "
         "send the same request again after Retry-After",
}
PUBLIC = {"/health", "/api/v1/auth/login"}


def _error(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF}}},
    }
    if retry_after:
        answer["headers"] = {"Retry-After": {
            "description": "seconds to wait", "schema": {"type": "integer"}}}
    return answer


def _declare(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    wanted = {422}
    if path.startswith("/api/"):
        wanted.add(503)
    if path.startswith("/api/") and path not in PUBLIC:
        wanted |= {401, 403}
    if "{" in path:
        wanted.add(404)
    if method in WRITES and path not in PUBLIC:
        wanted |= {404, 409, 503}  # a write's body names items, zones, bins …
    if method in WRITES:
        wanted |= {408, 413}  # every body is bounded in size and time (hub/body_limits.py)
    for status in sorted(wanted):
        existing = responses.get(str(status))
        description = existing.get("description") if existing else None
        if not description or description in {"Validation Error", "Successful Response"}:
            description = RULES[status]
        responses[str(status)] = _error(description, retry_after=status == 503)
    for status, answer in responses.items():
        # Route-declared extras (e.g. `responses={409: {...}}`) get the error body too.
        if status.isdigit() and int(status) >= 400 and "content" not in answer:
            responses[status] = _error(answer.get("description", ""),
                                       retry_after=status in {"429", "503"})


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method in WRITES | {"get"}:
                _declare(path, method, operation)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # FastAPI's own validation error shape is never answered: ours replaces it.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorBody"] = error_schema
    app.openapi_schema = schema
    return schema


def install_openapi(app: FastAPI) -> None:
    # Unchecked below: FastAPI's documented way to replace the schema is assigning app.openapi.
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]
