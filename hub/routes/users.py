"""Users and tokens (admin), the web login and "who am I"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from hub.accounts import service as user_service
from hub.accounts.password_policy import account_rules
from hub.accounts.passwords import change_own_password
from hub.accounts.schemas import (
    LanguageChoice,
    LoginRequest,
    PasswordChange,
    TokenInfoPublic,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from hub.auth import SESSION_COOKIE, CurrentUser, require_role, token_cache
from hub.deps import HubDep, SessionDep, WriteSessionDep
from hub.login_throttle import LoginThrottle
from hub.routes.common import Answer, OptionalIdempotencyDep, json_response
from kernel.actors import Actor, Role
from kernel.errors import Conflict, Forbidden, Unauthorized
from kernel.fields import MAX_ID
from kernel.uow import Done, Recorded

router = APIRouter(tags=["users"])
admin_only = [Depends(require_role(Role.ADMIN))]
# The login is the one API route that answers without a token.
login_router = APIRouter(tags=["users"])


# A token is shown once and never stored in clear (api_tokens keeps its SHA-256): the
# idempotency record of a request that issued one keeps the answer without it, so a
# resend cannot be answered with the token. It is answered 409 `token_not_replayable`,
# naming the token to revoke; a second token is never issued for the same key.
TOKEN_REPLAY = (
    "409 token_not_replayable: a resend of a request (same Idempotency-Key) that already "
    "issued a token. The token is shown only in the first answer and the hub keeps no copy "
    "of it; if that answer was lost, revoke the token named in the message "
    "(DELETE /users/{username}/tokens/{id}) and issue a new one (POST /users/{username}/tokens)"
)


class _TokenAnswer(Answer):
    """An issued token's answer: sent with the token, stored without it (and with the
    token's id)."""

    def __init__(self) -> None:
        super().__init__(TokenPublic)

    def render(self, value: TokenPublic, created: bool) -> Recorded:
        status, sent = super().render(value, created)
        stored = dict(sent)
        stored["token"] = None  # never stored: only its digest, in api_tokens
        stored["token_id"] = value.token_id  # not in the answer (excluded), kept here
        return Recorded(status, stored)

    def response(self, done: Done[TokenPublic]) -> Response:
        """The issued token, or for a resend the refusal that says what to do instead."""
        if done.replay is not None:
            raise _token_not_replayable(done.replay.body)
        return super().response(done)


def _token_not_replayable(first: dict[str, object]) -> Conflict:
    username, token_id = first.get("username"), first.get("token_id")
    return Conflict(
        "this Idempotency-Key already issued token %(id)s of %(user)s; a token is "
        "shown only in the first answer and the hub keeps no copy of it. If that answer "
        "was lost, revoke token %(id)s (DELETE /api/v1/users/%(user)s/tokens/"
        "%(id)s) and issue a new one (POST /api/v1/users/%(user)s/tokens)",
        code="token_not_replayable", id=token_id, user=username)


def login_throttle(request: Request) -> LoginThrottle:
    """The app's login throttle (one per process, built on first use)."""
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        settings = request.app.state.hub.settings
        throttle = request.app.state.login_throttle = LoginThrottle(
            window_s=settings.login_failure_window_s,
            max_per_address=settings.login_max_failures_per_address,
            max_per_user=settings.login_max_failures_per_user)
    return throttle


@login_router.post("/auth/login", response_model=TokenPublic, responses={
    401: {"description": "login_failed: wrong username or password"},
    403: {"description": "password_expired: the right password, older than "
                         "password_max_age_days; change it (POST /auth/password) to log in; "
                         "demo_account: an account of the demo on a production hub"},
    429: {"description": "too_many_attempts: too many failed logins from this address or "
                         "for this user; refused, the right password too, until Retry-After "
                         "seconds have passed (with Retry-After); account_locked: the "
                         "account is locked after wrong passwords in a row until "
                         "Retry-After or an admin unlocks it"},
})
def web_login(body: LoginRequest, hub: HubDep, session: WriteSessionDep,
              request: Request, response: Response) -> TokenPublic:
    """Username and password for a token that expires (for the web pages). The same
    token also comes as the session cookie, for reads only (GET, HEAD: a report link,
    a download); writes need it as Bearer (docs/web.md, "The session cookie")."""
    lifetime = timedelta(seconds=hub.settings.login_token_lifetime_s)
    rules = account_rules(hub.settings)
    return _throttled(request, hub, response, body.username, lambda: user_service.login(
        session, body.username, body.password, lifetime, rules=rules))


@login_router.post("/auth/password", response_model=TokenPublic, responses={
    401: {"description": "login_failed: wrong username or current password"},
    403: {"description": "demo_account: a demo account on a production hub (an admin "
                         "gives it a new password)"},
    422: {"description": "password_policy: the new password breaks a rule of the policy "
                         "(the message says which); machine_has_no_password"},
    429: {"description": "as for /auth/login: too_many_attempts, account_locked"},
})
def change_password(body: PasswordChange, hub: HubDep, session: WriteSessionDep,
                    request: Request, response: Response) -> TokenPublic:
    """A person changes their own password, proving who they are with the current one
    (an expired password may do only this). Throttled and counted toward lockout like
    the login; answers like the login, with a page session (token and cookie)."""
    lifetime = timedelta(seconds=hub.settings.login_token_lifetime_s)
    rules = account_rules(hub.settings)
    return _throttled(request, hub, response, body.username, lambda: change_own_password(
        session, body.username, body.password, body.new_password, lifetime, rules))


def _throttled(request: Request, hub: HubDep, response: Response, username: str,
               attempt_login: Callable[[], TokenPublic]) -> TokenPublic:
    """A password check under the login throttle; its token also as the session cookie."""
    throttle = login_throttle(request)
    attempt = throttle.begin(request.client.host if request.client else "", username)
    try:
        issued = attempt_login()
    except Unauthorized:
        raise  # a failure: it stays counted
    except Exception:
        throttle.undecided(attempt)
        raise
    throttle.succeeded(attempt)
    _set_session_cookie(response, issued.token, request, hub)
    return issued


def _set_session_cookie(response: Response, token: str, request: Request, hub: HubDep) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=hub.settings.login_token_lifetime_s, path="/",
        httponly=True, samesite="strict", secure=_over_tls(request, hub.settings.public_url))


def _over_tls(request: Request, public_url: str) -> bool:
    """Served over TLS: the request came by https (uvicorn behind a proxy that says so),
    or the hub's public address is https (a TLS-terminating proxy in front)."""
    return request.url.scheme == "https" or public_url.startswith("https:")


@login_router.post("/auth/logout", status_code=204, response_class=Response)
def web_logout(request: Request, hub: HubDep) -> Response:
    """Forget the session cookie in this browser (the pages also drop their token).
    Needs no token: it only clears the caller's own cookie."""
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_over_tls(request, hub.settings.public_url))
    return response


@router.post("/auth/session", status_code=204, response_class=Response)
def web_session(request: Request, hub: HubDep, user: CurrentUser) -> Response:
    """The session cookie for the Bearer token of this request, for a page whose login
    predates the cookie or whose cookie was cleared (the reports page asks before it
    shows its download links). Bearer only: a cookie alone cannot POST. Only a page
    session's token (from the password login): an API token, a person's or a
    machine's, never becomes a page session (403 not_a_page_session)."""
    if user.via != "web":
        raise Forbidden("only a token from the password login (/auth/login) opens a page "
                        "session; API tokens are for scripts and machines",
                        code="not_a_page_session")
    response = Response(status_code=204)
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    _set_session_cookie(response, token, request, hub)
    return response


@router.post("/auth/activity", status_code=204, response_class=Response)
def web_activity(user: CurrentUser) -> Response:
    """The user of this page typed, clicked or scanned: the page session's idle timeout
    (setting session_idle_s) counts again from now. The pages send it at most once a
    minute; their background reads do not count as activity."""
    return Response(status_code=204)


@router.get("/auth/me", response_model=UserPublic)
def me(user: CurrentUser, session: SessionDep) -> UserPublic:
    """Who the token belongs to: a person or a machine account, when their password
    was last set."""
    return user_service.user_public(session, user.username)


@router.patch("/auth/me", response_model=UserPublic)
def patch_me(body: LanguageChoice, session: WriteSessionDep, idem: OptionalIdempotencyDep,
             user: CurrentUser) -> Response:
    """A user's own choices: the pages' language (null: the site's, setting language).
    Anyone may set their own; an admin sets others' with PATCH /users/{username}."""
    answer = Answer(UserPublic)
    done = user_service.update_user(
        session, user.username, idem=answer.keyed(idem), actor=user,
        language=body.language or user_service.SITE_LANGUAGE)
    return answer.response(done)


@router.get("/users", response_model=list[UserPublic], dependencies=admin_only)
def list_users(session: SessionDep) -> list[UserPublic]:
    return user_service.list_users(session)


@router.post("/users", response_model=TokenPublic, status_code=201, dependencies=admin_only,
             responses={409: {"description": "user_exists, or " + TOKEN_REPLAY}})
def post_user(body: UserCreate, session: WriteSessionDep, hub: HubDep,
              idem: OptionalIdempotencyDep, user: CurrentUser) -> Response:
    """A new user and a first API token for them (shown once: a resend with the same
    Idempotency-Key is refused with 409 token_not_replayable, see that answer)."""
    answer = _TokenAnswer()
    done = user_service.register_user(
        session, body.username, body.role, body.password, answer.keyed(idem), actor=user,
        kind=body.kind, policy=account_rules(hub.settings).password, full_name=body.full_name)
    return answer.response(done)


@router.post("/users/{username}/tokens", response_model=TokenPublic, status_code=201,
             dependencies=admin_only, responses={409: {"description": TOKEN_REPLAY}})
def post_token(username: str, session: WriteSessionDep,
               idem: OptionalIdempotencyDep, user: CurrentUser) -> Response:
    """Another API token for a user (shown once: a resend with the same Idempotency-Key
    is refused with 409 token_not_replayable, see that answer)."""
    answer = _TokenAnswer()
    done = user_service.new_token(session, username, idem=answer.keyed(idem), actor=user)
    return answer.response(done)


@router.patch("/users/{username}", response_model=UserPublic, dependencies=admin_only,
              responses={409: {"description": "last_admin: the last active admin cannot be "
                                              "deactivated or demoted"}})
def update_user(username: str, body: UserUpdate, session: WriteSessionDep, hub: HubDep,
                idem: OptionalIdempotencyDep, request: Request,
                admin: CurrentUser) -> Response:
    """Change a user's role, activity or password, or unlock them (`unlock`: after
    wrong passwords in a row). Deactivating revokes all their tokens; reactivating
    brings none back."""
    answer = Answer(UserPublic)
    done = user_service.update_user(
        session, username, role=body.role, active=body.active, password=body.password,
        idem=answer.keyed(idem), actor=admin, unlock=body.unlock,
        policy=account_rules(hub.settings).password, full_name=body.full_name,
        language=_language_change(body))
    status, user, replayed = answer.body_of(done)
    token_cache(request).forget_user(user["id"])  # takes effect now, not after the cache
    return json_response(user, status, replayed)


def _language_change(body: UserUpdate) -> str | None:
    # null in the body: back to the site's language; absent: kept (None to the service).
    if "language" not in body.model_fields_set:
        return None
    return body.language or user_service.SITE_LANGUAGE


def _own_or_admin(username: str, actor: Actor) -> None:
    if actor.username != username and not actor.role.allows(Role.ADMIN):
        raise Forbidden("%(user)s may manage only their own tokens",
                        code="role_required", user=actor.username)


@router.get("/users/{username}/tokens", response_model=list[TokenInfoPublic])
def list_tokens(username: str, session: SessionDep, user: CurrentUser) -> list[TokenInfoPublic]:
    """A user's tokens, revoked ones included; never the secret (admin, or the user)."""
    _own_or_admin(username, user)
    return user_service.list_tokens(session, username)


@router.delete("/users/{username}/tokens/{token_id}", response_model=TokenInfoPublic)
def revoke_token(username: str, token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                 session: WriteSessionDep, user: CurrentUser, request: Request,
                 idem: OptionalIdempotencyDep) -> Response:
    """Revoke one token at once (admin, or the user for their own tokens)."""
    _own_or_admin(username, user)
    answer = Answer(TokenInfoPublic)
    done = user_service.revoke_token(session, username, token_id, answer.keyed(idem),
                                     actor=user)
    # The cache is keyed by secret, which the hub does not keep: drop the user's entries.
    if done.value is not None:
        token_cache(request).forget_user(done.value.user_id)
    return answer.response(done)
