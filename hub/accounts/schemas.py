"""Users and tokens as the API shows them, one family: what an admin may send (create,
update), the login, and what every answer shows (a user, an issued token, a token as
listed). hub/accounts/service.py returns the Public models; the routes declare them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kernel.actors import Role
from kernel.fields import KEEP_OR_SET, refuse_null

# A person logs in to the pages with a password; a machine (a gateway, an integration)
# holds API tokens only (docs/compliance.md, "Accounts").
AccountKind = Literal["person", "machine"]
# The pages' languages (kernel/i18n.py LANGUAGES); a user's None is the site's (setting
# language).
Language = Literal["en", "zh-CN"]
LANGUAGE_FIELD = ("the pages' language: en or zh-CN; null: the site's (setting language)")

# --- what a request may say


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    role: Role
    password: str | None = Field(None, min_length=1, max_length=200,
                                 description="for the web login; API tokens need none. "
                                 "The password policy applies (422 password_policy)")
    kind: AccountKind = Field("person", description="person, or machine: a gateway's or an "
                              "integration's account, API tokens only, never a password")
    full_name: str | None = Field(None, min_length=1, max_length=200, description=(
        "the person's full name, shown on their signatures; required with a password"))


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = Field(None, description=KEEP_OR_SET)
    active: bool | None = Field(None, description=KEEP_OR_SET)
    password: str | None = Field(None, min_length=1, max_length=200,
                                 description=KEEP_OR_SET + "; the password policy applies")
    full_name: str | None = Field(None, min_length=1, max_length=200, description=KEEP_OR_SET)
    unlock: bool = Field(False, description="true: lift a lockout after wrong passwords")
    language: Language | None = Field(None, description=LANGUAGE_FIELD + "; absent: kept")

    _not_null = field_validator("role", "active", "password", "full_name",
                                mode="before")(refuse_null)


class LanguageChoice(BaseModel):
    """A person choosing the pages' language for themselves (PATCH /auth/me)."""

    model_config = ConfigDict(extra="forbid")
    language: Language | None = Field(description=LANGUAGE_FIELD)


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    """A person changing their own password: the current one proves who they are (an
    expired one too: it is the only thing it may still do)."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200, description="the current password")
    new_password: str = Field(min_length=1, max_length=200,
                              description="the password policy applies (422 password_policy)")


# --- what the API shows


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str | None = Field(None, description="shown on their signatures; people "
                                  "without one cannot sign until an admin sets it")
    role: Role
    active: bool
    locked_until: datetime | None = Field(
        None, description="logins refused until then after wrong passwords in a row; an "
        "admin unlocks (PATCH {\"unlock\": true})")
    kind: AccountKind = Field("person", description="person (logs in with a password, "
                              "may hold tokens for their scripts) or machine (tokens only)")
    password_changed_at: datetime | None = Field(
        None, description="when the password was last set (expiry counts from it)")
    language: Language | None = Field(None, description=LANGUAGE_FIELD)


class TokenPublic(BaseModel):
    username: str
    role: Role
    token: str = Field(description="shown this once; store it safely")
    expires_at: datetime | None
    # The api_tokens row: what to revoke if the answer was lost. Not in the answer; the
    # idempotency record of the request keeps it (hub/routes/users.py).
    token_id: int = Field(0, exclude=True)


class TokenInfoPublic(BaseModel):
    # A token as listed: never the secret (only its digest is stored anyway).
    model_config = ConfigDict(from_attributes=True)
    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    # Whose it is: the route drops that user's cached tokens. Not in the answer, so not
    # in a recorded answer either: None when a resend is answered from the record.
    user_id: int | None = Field(None, exclude=True)
