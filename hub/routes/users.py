"""Users and tokens (admin), the web login and "who am I"."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.auth import CurrentUser, require_role
from hub.deps import HubDep, SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, respond
from inventory.domain import Role
from inventory.errors import NotFound
from inventory.orm import User
from inventory.uow import jsonable, run_write
from inventory.users import create_user, hash_password, issue_token, login

router = APIRouter(tags=["users"])
admin_only = [Depends(require_role(Role.ADMIN))]
# The login is the one API route that answers without a token.
login_router = APIRouter(tags=["users"])


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    role: Role
    password: str | None = Field(None, min_length=10, max_length=200,
                                 description="for the web login; API tokens need none")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=200)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    role: Role
    active: bool


class TokenPublic(BaseModel):
    username: str
    role: Role
    token: str = Field(description="shown this once; store it safely")
    expires_at: datetime | None


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


def _user(session: SessionDep, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username}", code="user_not_found")
    return user


@login_router.post("/auth/login", response_model=TokenPublic,
                   responses={401: {"description": "wrong username or password"}})
def web_login(body: LoginRequest, hub: HubDep) -> object:
    """Username and password for a token that expires (for the handheld web page)."""
    with hub.writes() as session:
        lifetime = timedelta(seconds=hub.settings.login_token_lifetime_s)
        return jsonable(login(session, body.username, body.password, lifetime))


@router.get("/auth/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic(id=user.user_id, username=user.username, role=user.role, active=True)


@router.get("/users", response_model=list[UserPublic], dependencies=admin_only)
def list_users(session: SessionDep) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


@router.post("/users", response_model=TokenPublic, status_code=201, dependencies=admin_only)
def post_user(body: UserCreate, session: WriteSessionDep,
              idem: OptionalIdempotencyDep) -> JSONResponse:
    """A new user and a first API token for them (shown once)."""

    def work() -> object:
        user = create_user(session, body.username, body.role, body.password)
        return issue_token(session, user)

    return respond(run_write(session, work, status=201, idempotency=idem))


@router.post("/users/{username}/tokens", response_model=TokenPublic, status_code=201,
             dependencies=admin_only)
def post_token(username: str, session: WriteSessionDep,
               idem: OptionalIdempotencyDep) -> JSONResponse:
    return respond(run_write(session, lambda: issue_token(session, _user(session, username)),
                             status=201, idempotency=idem))


@router.patch("/users/{username}", response_model=UserPublic, dependencies=admin_only)
def update_user(username: str, body: UserUpdate, session: WriteSessionDep,
                idem: OptionalIdempotencyDep) -> JSONResponse:
    def work() -> object:
        user = _user(session, username)
        if body.role is not None:
            user.role = body.role.value
        if body.active is not None:
            user.active = body.active
        if body.password is not None:
            user.password_hash = hash_password(body.password)
        session.flush()
        return UserPublic.model_validate(user).model_dump(mode="json")

    return respond(run_write(session, work, idempotency=idem))
