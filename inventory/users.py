"""Users, passwords and API tokens.

Passwords are hashed with scrypt (stdlib, memory-hard). Tokens are 256 random bits,
shown once and stored as SHA-256: a fast hash is enough for secrets that cannot be
guessed, and it lets every request find its token with one indexed lookup."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.domain import Actor, Role
from inventory.errors import Conflict, Unauthorized
from inventory.orm import ApiToken, User

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TOKEN_PREFIX = "sw_"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32,
                                  n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    username: str
    role: Role
    token: str  # shown once; only its digest is stored
    expires_at: datetime | None


def create_user(session: Session, username: str, role: Role, password: str | None = None) -> User:
    """A new user (caller's transaction)."""
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username} exists already", code="user_exists")
    user = User(username=username, role=role.value,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def issue_token(
    session: Session, user: User, label: str = "api", lifetime: timedelta | None = None
) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + lifetime if lifetime else None
    session.add(ApiToken(user_id=user.id, token_sha256=token_digest(token), label=label,
                         expires_at=expires))
    session.flush()
    return IssuedToken(user.username, Role(user.role), token, expires)


def actor_for_token(session: Session, token: str) -> Actor:
    """The active user a bearer token belongs to, or Unauthorized."""
    row = session.execute(
        select(User.id, User.username, User.role, User.active, ApiToken.expires_at,
               ApiToken.revoked)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == token_digest(token))
    ).first()
    if row is None or not row.active or row.revoked:
        raise Unauthorized("unknown or revoked token", code="invalid_token")
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        raise Unauthorized("token expired; log in again", code="token_expired")
    return Actor(row.id, row.username, Role(row.role))


def login(session: Session, username: str, password: str, lifetime: timedelta) -> IssuedToken:
    """Password login for the web: a token that expires after `lifetime`."""
    with session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or not verify_password(password, user.password_hash):
            raise Unauthorized("wrong username or password", code="login_failed")
        return issue_token(session, user, label="web", lifetime=lifetime)


def create_user_with_token(
    session: Session, username: str, role: Role, password: str | None = None
) -> IssuedToken:
    """A user and their first API token, in one transaction (the CLI's `user create`)."""
    with session.begin():
        return issue_token(session, create_user(session, username, role, password))


def actor_for_username(session: Session, username: str) -> Actor:
    """The active user of this name (the CLI books in their name)."""
    with session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise Unauthorized(f"no active user {username}", code="unknown_user")
        return Actor(user.id, user.username, Role(user.role))
