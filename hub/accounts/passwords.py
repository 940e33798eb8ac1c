"""A person changing their own password: `POST /api/v1/auth/password`, the page's
change-password form (also what an expired password may still do), with the current
password as the proof of who they are.

It is a login with a new password: the same lockout (a wrong current password counts),
the policy on the new one, and a page session as the answer. On the audit trail as the
person (via web), never the password, only that it changed.

Also the page sessions' activity (the idle timeout) and the demo's accounts, as the
hub sees them at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hub.accounts import repository as repo
from hub.accounts.lockout import CLEAR
from hub.accounts.password_policy import AccountRules
from hub.accounts.schemas import TokenPublic
from hub.accounts.service import (
    acceptable_password,
    count_failure,
    issue_token,
    set_password,
    token_digest,
    verified_user,
)
from kernel import audit
from kernel.actors import Actor, Role
from kernel.errors import Unauthorized
from kernel.uow import consistent_read, unit_of_work


def change_own_password(session: Session, username: str, password: str, new_password: str,
                        lifetime: timedelta, rules: AccountRules) -> TokenPublic:
    """The new password set and a page session issued; a wrong current password is
    counted toward the account's lockout, in its own transaction."""
    try:
        return _change(session, username, password, new_password, lifetime, rules).get()
    except Unauthorized:
        count_failure(session, username, rules.lockout)
        raise


@unit_of_work()
def _change(session: Session, username: str, password: str, new_password: str,
            lifetime: timedelta, rules: AccountRules) -> TokenPublic:
    user = verified_user(session, username, password, rules)
    acceptable_password(username, user.kind, new_password, rules.password,
                        current=user.password_hash)
    set_password(session, user, new_password)
    user.failed_logins, user.locked_until = CLEAR.failed, CLEAR.locked_until
    issued = issue_token(session, user, label="web", lifetime=lifetime)
    audit.record(session, Actor(user.id, user.username, Role(user.role), via="web"),
                 "password", "user", username, {"password": "(previous)"},
                 {"password": "(changed)", "token": issued.token_id})
    return issued


@unit_of_work()
def touch_session(session: Session, token: str, idle_s: int) -> None:
    """A page session's user activity: its idle timeout counts again from now (not
    for a session already idle that long). Not on the audit trail: it changes no
    record, only when the session lapses."""
    now = datetime.now(UTC)
    repo.touch_session(session, token_digest(token), now, now - timedelta(seconds=idle_s))


@consistent_read
def demo_accounts(session: Session) -> list[str]:
    """Active accounts still as `stockwarden demo` set them up (a production hub logs
    them at start and refuses them)."""
    return list(repo.demo_accounts(session))
