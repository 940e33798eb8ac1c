"""Users and tokens (admin), the web login and "who am I"."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from hub.auth import CurrentUser, require_role
from hub.deps import HubDep, SessionDep, WriteSessionDep
from hub.routes.common import OptionalIdempotencyDep, as_model, recorded, reply
from inventory import users as user_service
from kernel.actors import Role
from kernel.fields import KEEP_OR_SET, refuse_null
from kernel.orm import User

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
    role: Role | None = Field(None, description=KEEP_OR_SET)
    active: bool | None = Field(None, description=KEEP_OR_SET)
    password: str | None = Field(None, min_length=10, max_length=200, description=KEEP_OR_SET)

    _not_null = field_validator("role", "active", "password", mode="before")(refuse_null)


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


@login_router.post("/auth/login", response_model=TokenPublic,
                   responses={401: {"description": "wrong username or password"}})
def web_login(body: LoginRequest, hub: HubDep, session: WriteSessionDep) -> TokenPublic:
    """Username and password for a token that expires (for the handheld web page)."""
    lifetime = timedelta(seconds=hub.settings.login_token_lifetime_s)
    return as_model(TokenPublic,
                    user_service.login(session, body.username, body.password, lifetime))


@router.get("/auth/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic(id=user.user_id, username=user.username, role=user.role, active=True)


@router.get("/users", response_model=list[UserPublic], dependencies=admin_only)
def list_users(session: SessionDep) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


@router.post("/users", response_model=TokenPublic, status_code=201, dependencies=admin_only)
def post_user(body: UserCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
              response: Response) -> TokenPublic:
    """A new user and a first API token for them (shown once)."""
    done = user_service.register_user(session, body.username, body.role, body.password,
                                      recorded(idem, TokenPublic))
    return reply(done, TokenPublic, response)


@router.post("/users/{username}/tokens", response_model=TokenPublic, status_code=201,
             dependencies=admin_only)
def post_token(username: str, session: WriteSessionDep, idem: OptionalIdempotencyDep,
               response: Response) -> TokenPublic:
    done = user_service.new_token(session, username, idem=recorded(idem, TokenPublic))
    return reply(done, TokenPublic, response)


@router.patch("/users/{username}", response_model=UserPublic, dependencies=admin_only)
def update_user(username: str, body: UserUpdate, session: WriteSessionDep,
                idem: OptionalIdempotencyDep, response: Response) -> UserPublic:
    done = user_service.update_user(
        session, username, role=body.role, active=body.active, password=body.password,
        idem=recorded(idem, UserPublic, UserPublic.model_validate))
    return reply(done, UserPublic, response, UserPublic.model_validate)
