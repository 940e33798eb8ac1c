"""Authentication and roles as FastAPI dependencies.

`authenticated` is attached to every API router in `hub/app.py`, so a router
cannot be forgotten; routes that need a role add `require_role(...)`, and routes
that record who did something declare `CurrentUser`. FastAPI caches a dependency
per request, so the token is looked up once.

Two ways to present a token: `Authorization: Bearer` (every API client, and the pages'
scripts) and the session cookie the web login sets (`SESSION_COOKIE`: HttpOnly,
SameSite=Strict, Secure over TLS), so that a report link or a download opens in a
logged-in browser. The cookie is accepted for GET and HEAD only: a browser sends it
with any request to the hub, so a write authorised by it alone could be forged by
another page (CSRF); a write needs the Bearer header, which no other site can set
(docs/web.md, "The session cookie")."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from hub.accounts.password_policy import account_rules
from hub.accounts.service import actor_for_token, password_fingerprint
from hub.container import Hub
from hub.deps import HubDep
from hub.session_activity import ActivityNotes, note_activity
from kernel.actors import Actor, Role
from kernel.errors import Forbidden, Invalid, Unauthorized
from kernel.uow import Idempotency

SESSION_COOKIE = "stockwarden_session"
# The methods a cookie alone may authorise: reads, which change nothing.
COOKIE_METHODS = frozenset({"GET", "HEAD"})

_bearer = HTTPBearer(auto_error=False, description="an API token or a token from /auth/login")


class TokenCache:
    """Remembers who a token belongs to for a few seconds, saving a query per
    request. A token revoked, or a user deactivated or given another role, through
    this process takes effect at once (the routes call `forget_user`); through
    another hub process or the CLI, within `ttl_s` (setting `token_cache_s`)."""

    def __init__(self, ttl_s: float, size: int = 10_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._entries: dict[str, tuple[float, Actor]] = {}

    def get(self, token: str) -> Actor | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, actor: Actor) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()  # crude, and rare: a bound, not a policy
        self._entries[token] = (time.monotonic() + self.ttl_s, actor)

    def forget_user(self, user_id: int) -> None:
        """Drop every cached token of a user: the next request looks them up again."""
        for token in [t for t, (_, a) in self._entries.items() if a.user_id == user_id]:
            self._entries.pop(token, None)


def token_cache(request: Request) -> TokenCache:
    """The app's token cache (one per app, built on first use)."""
    cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
    if cache is None:
        hub: Hub = request.app.state.hub
        cache = request.app.state.token_cache = TokenCache(hub.settings.token_cache_s)
    return cache


async def authenticated(
    request: Request,
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    token = presented_token(request, credentials)
    cache = token_cache(request)
    actor = cache.get(token)
    if actor is None:
        # The database lookup runs in the thread pool; a cache hit costs no hop at all.
        actor = await run_in_threadpool(_lookup, hub, token)
        cache.put(token, actor)
    if actor.via == "web" and request.method not in COOKIE_METHODS:
        # A change made from a page is its user's activity (the idle timeout).
        await note_activity(hub, activity_notes(request), token)
    return actor


def activity_notes(request: Request) -> ActivityNotes:
    """The app's notes of page sessions' activity (one per app, built on first use)."""
    notes: ActivityNotes | None = getattr(request.app.state, "activity_notes", None)
    if notes is None:
        notes = request.app.state.activity_notes = ActivityNotes()
    return notes


def presented_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The Bearer token, else the session cookie's for a read; a write with only the
    cookie is refused (403 `cookie_not_for_writes`), never looked up."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        if request.method not in COOKIE_METHODS:
            raise Forbidden(
                "the session cookie only authorises reads (GET, HEAD): a change needs "
                "Authorization: Bearer <token>, as the hub's pages send it",
                code="cookie_not_for_writes")
        return cookie
    raise Unauthorized("send Authorization: Bearer <token>, or log in at /login",
                       code="not_authenticated")


def _lookup(hub: Hub, token: str) -> Actor:
    with hub.sessions() as session:
        return actor_for_token(session, token, account_rules(hub.settings))


async def reauthenticated(request: Request, hub: Hub) -> Actor:
    """The request's token looked up again in the database, bypassing the cache: for
    an answer given after a long wait (the alarm feed's long poll), during which the
    token may have been revoked or expired, or its user deactivated. Unauthorized
    (401) like any other request if it no longer holds."""
    token = presented_token(request, await _bearer(request))
    return await run_in_threadpool(_lookup, hub, token)


CurrentUser = Annotated[Actor, Depends(authenticated)]


def require_role(needed: Role) -> Callable[[Actor], Actor]:
    """A dependency refusing users below `needed` (operator < supervisor < admin)."""

    async def check(actor: CurrentUser) -> Actor:
        if not actor.role.allows(needed):
            raise Forbidden(
                "%(user)s is %(role)s; this needs %(needed)s or above",
                code="role_required", user=actor.username, role=actor.role.value,
                needed=needed.value,
            )
        return actor

    return check


Supervisor = Annotated[Actor, Depends(require_role(Role.SUPERVISOR))]
Admin = Annotated[Actor, Depends(require_role(Role.ADMIN))]


async def idempotency(
    request: Request,
    actor: CurrentUser,
    key: Annotated[
        str,
        Header(alias="Idempotency-Key", min_length=8, max_length=128,
               description="unique per intended change, e.g. a UUID; resend it on retry"),
    ],
) -> Idempotency:
    """The request's idempotency key and a fingerprint of what it asks for."""
    raw = await request.body()
    if not key.isprintable():
        raise Invalid("Idempotency-Key must be printable text", code="invalid_idempotency_key")
    try:  # the body as FastAPI parsed it (cached on the request)
        parsed = await request.json()
        if isinstance(parsed, dict) and isinstance(parsed.get("password"), str):
            # The fingerprint is stored: a plain SHA-256 over a body with a password in
            # it could be brute-forced offline. The password enters it scrypt-hashed,
            # salted by this user and key, so a resend still gives the same fingerprint.
            salt = f"{actor.user_id}:{key}".encode()
            parsed = {**parsed, "password": password_fingerprint(parsed["password"], salt)}
        if isinstance(parsed, dict) and isinstance(parsed.get("signature"), dict) \
                and isinstance(parsed["signature"].get("password"), str):
            # A signature's password likewise (kernel/signatures.py).
            salt = f"{actor.user_id}:{key}".encode()
            signed = parsed["signature"]
            parsed = {**parsed, "signature": {
                **signed, "password": password_fingerprint(signed["password"], salt)}}
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = raw
    digest = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + canonical
    ).hexdigest()
    return Idempotency(actor.user_id, key, digest)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
