"""Users, passwords and API tokens.

Passwords are hashed with scrypt (stdlib, memory-hard). Tokens are 256 random bits,
shown once and stored as SHA-256: a fast hash is enough for secrets that cannot be
guessed, and it lets every request find its token with one indexed lookup. The use
cases answer with the Public models of hub/accounts/schemas.py."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hub.accounts import repository as repo
from hub.accounts.schemas import TokenInfoPublic, TokenPublic, UserPublic
from kernel.actors import Actor, Role
from kernel.errors import Conflict, NotFound, Unauthorized
from kernel.orm import ApiToken, User
from kernel.uow import Idempotency, consistent_read, unit_of_work

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TOKEN_PREFIX = "sw_"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_fingerprint(password: str, salt: bytes) -> str:
    """A password as it may enter a stored fingerprint (an idempotency record's): as
    costly to guess from as the stored password hash, and the same for the same salt."""
    return hashlib.scrypt(password.encode(), salt=hashlib.sha256(salt).digest(), dklen=32,
                          **_SCRYPT).hex()


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


@functools.cache
def _dummy_hash() -> str:
    """A password hash of the usual cost that no password is checked against for real."""
    return hash_password(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, username: str, role: Role, password: str | None = None) -> User:
    """A new user (caller's transaction)."""
    if repo.user_named(session, username) is not None:
        raise Conflict(f"user {username} exists already", code="user_exists")
    user = User(username=username, role=role.value,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def issue_token(
    session: Session, user: User, label: str = "api", lifetime: timedelta | None = None
) -> TokenPublic:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + lifetime if lifetime else None
    row = ApiToken(user_id=user.id, token_sha256=token_digest(token), label=label,
                   expires_at=expires)
    session.add(row)
    session.flush()
    return TokenPublic(username=user.username, role=Role(user.role), token=token,
                       expires_at=expires, token_id=row.id)


def actor_for_token(session: Session, token: str) -> Actor:
    """The active user a bearer token belongs to, or Unauthorized."""
    row = repo.token_owner(session, token_digest(token))
    if row is None or not row.active or row.revoked:
        raise Unauthorized("unknown or revoked token", code="invalid_token")
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        raise Unauthorized("token expired; log in again", code="token_expired")
    return Actor(row.id, row.username, Role(row.role))


def login(session: Session, username: str, password: str, lifetime: timedelta) -> TokenPublic:
    """Password login for the web: a token that expires after `lifetime`."""
    return _login(session, username, password, lifetime).get()


@unit_of_work()
def _login(session: Session, username: str, password: str, lifetime: timedelta) -> TokenPublic:
    user = repo.user_named(session, username)
    # The same scrypt work whether the user exists or not (a dummy hash of the same
    # cost otherwise), so the answer's time does not tell which user names exist.
    stored = user.password_hash if user is not None and user.password_hash else None
    right = verify_password(password, stored or _dummy_hash())
    if user is None or stored is None or not user.active or not right:
        raise Unauthorized("wrong username or password", code="login_failed")
    return issue_token(session, user, label="web", lifetime=lifetime)


@unit_of_work(creates=True)
def register_user(
    session: Session, username: str, role: Role, password: str | None = None,
    idem: Idempotency | None = None,
) -> TokenPublic:
    """A user and their first API token, in one unit of work."""
    return issue_token(session, create_user(session, username, role, password))


def create_user_with_token(
    session: Session, username: str, role: Role, password: str | None = None
) -> TokenPublic:
    """A user and their first API token (the CLI's `user create`)."""
    return register_user(session, username, role, password).get()


def list_users(session: Session) -> list[UserPublic]:
    """Every user, by name (the admin's list)."""
    return [UserPublic.model_validate(user) for user in repo.users_by_name(session)]


def _user(session: Session, username: str) -> User:
    user = repo.user_named(session, username)
    if user is None:
        raise NotFound(f"no user {username}", code="user_not_found")
    return user


@unit_of_work(creates=True)
def new_token(
    session: Session, username: str, label: str = "api", idem: Idempotency | None = None,
) -> TokenPublic:
    """Another API token for a user (shown once)."""
    return issue_token(session, _user(session, username), label)


@unit_of_work()
def update_user(
    session: Session, username: str, *, role: Role | None = None, active: bool | None = None,
    password: str | None = None, idem: Idempotency | None = None,
) -> UserPublic:
    """Change a user's role, activity or password. Deactivation revokes every token
    they hold (reactivation brings none back: issue new ones). The last active
    admin can be neither deactivated nor demoted."""
    user = _user(session, username)
    demoted = role is not None and role is not Role.ADMIN
    if user.role == Role.ADMIN.value and user.active and (demoted or active is False):
        _refuse_last_admin(session, user)
    if role is not None:
        user.role = role.value
    if active is not None:
        if not active and user.active:
            repo.revoke_tokens_of(session, user.id)
        user.active = active
    if password is not None:
        user.password_hash = hash_password(password)
    session.flush()
    return UserPublic.model_validate(user)


def _refuse_last_admin(session: Session, user: User) -> None:
    if not repo.lock_other_active_admins(session, user.id):
        raise Conflict(
            f"{user.username} is the last active admin; make another user admin first, "
            "or nobody could administer the hub", code="last_admin")


@consistent_read
def list_tokens(session: Session, username: str) -> list[TokenInfoPublic]:
    user = _user(session, username)
    return [TokenInfoPublic.model_validate(t) for t in repo.tokens_of(session, user.id)]


@unit_of_work()
def revoke_token(session: Session, username: str, token_id: int,
                 idem: Idempotency | None = None) -> TokenInfoPublic:
    """Revoke one token of a user; revoking a revoked token changes nothing."""
    user = _user(session, username)
    token = repo.token_of(session, user.id, token_id)
    if token is None:
        raise NotFound(f"{username} has no token {token_id}", code="token_not_found")
    token.revoked = True
    session.flush()
    return TokenInfoPublic.model_validate(token)


@consistent_read
def actor_for_username(session: Session, username: str) -> Actor:
    """The active user of this name (the CLI books in their name)."""
    user = repo.user_named(session, username)
    if user is None or not user.active:
        raise Unauthorized(f"no active user {username}", code="unknown_user")
    return Actor(user.id, user.username, Role(user.role))


def service_actor(session: Session, username: str, role: Role) -> Actor:
    """An account the hub itself acts as (the alarm engine's `system`): no password,
    so nobody can log in as it. Created on first use, in its own transaction."""
    return _service_actor(session, username, role).get()


@unit_of_work()
def _service_actor(session: Session, username: str, role: Role) -> Actor:
    user = repo.user_named(session, username)
    if user is None:
        user = create_user(session, username, role)
    return Actor(user.id, user.username, Role(user.role))
