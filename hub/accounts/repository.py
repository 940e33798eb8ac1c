"""The accounts' SQL: users and API tokens as the use cases of
hub/accounts/service.py read, lock and change them (tables in kernel/orm.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.orm import Session

from kernel.actors import Role
from kernel.orm import ApiToken, User


def user_named(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def users_by_name(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def token_owner(session: Session, digest: str) -> Row[Any] | None:
    """The user behind a token's digest, with the token's expiry and revocation."""
    return session.execute(
        select(User.id, User.username, User.role, User.active, User.demo_credentials,
               ApiToken.expires_at, ApiToken.revoked, ApiToken.id.label("token_id"),
               ApiToken.label, ApiToken.last_active_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == digest)
    ).first()


def token_user_language(session: Session, digest: str) -> Row[Any] | None:
    """A token's user's language (None: the site's), while the token holds."""
    return session.execute(
        select(User.language, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == digest, ApiToken.revoked.is_(False),
               User.active.is_(True))
    ).first()


def revoke_tokens_of(session: Session, user_id: int) -> None:
    session.execute(update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked.is_(False)
    ).values(revoked=True))


def lock_other_active_admins(session: Session, user_id: int) -> Sequence[int]:
    # FOR UPDATE (PostgreSQL): two admins demoting each other at once are
    # serialised, and the second sees the first's change; SQLite has one writer.
    return session.scalars(
        select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True),
                              User.id != user_id).with_for_update()
    ).all()


def tokens_of(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)).all()


def token_of(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(
        ApiToken.id == token_id, ApiToken.user_id == user_id))


def touch_session(session: Session, digest: str, now: datetime, idle_since: datetime) -> None:
    """A page session's user activity: its idle timeout counts again from `now`,
    unless it was idle since `idle_since` already (an ended session stays ended, even
    when a cached token let the request through)."""
    session.execute(update(ApiToken).where(
        ApiToken.token_sha256 == digest, ApiToken.label == "web",
        or_(ApiToken.last_active_at.is_(None), ApiToken.last_active_at > idle_since),
    ).values(last_active_at=now))


def demo_accounts(session: Session) -> Sequence[str]:
    """Active accounts still as `stockwarden demo` set them up."""
    return session.scalars(select(User.username).where(
        User.demo_credentials.is_(True), User.active.is_(True)).order_by(User.username)).all()
