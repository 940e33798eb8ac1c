"""Users, passwords and API tokens.

Passwords are hashed with scrypt (stdlib, memory-hard). Tokens are 256 random bits,
shown once and stored as SHA-256: a fast hash is enough for secrets that cannot be
guessed, and it lets every request find its token with one indexed lookup. The use
cases answer with the Public models of hub/accounts/schemas.py.

Every change of a user or a token, every web login and every lockout is on the audit
trail (kernel/audit.py); passwords never are, only that one was changed. Wrong
passwords in a row lock the account (hub/accounts/lockout.py) until the lockout
passes or an admin unlocks it."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hub.accounts import repository as repo
from hub.accounts.lockout import CLEAR, LockoutPolicy, Standing, after_failure, locked_for
from hub.accounts.password_policy import (
    AccountRules,
    PasswordPolicy,
    check_password,
    password_expired,
    session_idle,
)
from hub.accounts.schemas import TokenInfoPublic, TokenPublic, UserPublic
from kernel import audit
from kernel.actors import Actor, Role
from kernel.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts, Unauthorized
from kernel.i18n_text import N_, Text
from kernel.orm import ApiToken, User
from kernel.uow import Idempotency, consistent_read, unit_of_work

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TOKEN_PREFIX = "sw_"
_log = logging.getLogger("stockwarden.accounts")


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


def create_user(session: Session, username: str, role: Role, password: str | None = None,
                *, kind: str = "person", policy: PasswordPolicy | None = None,
                demo: bool = False, full_name: str | None = None) -> User:
    """A new user (caller's transaction). A password must pass the policy; a machine
    account has none. `demo`: set up by `stockwarden demo` (production refuses it)."""
    if repo.user_named(session, username) is not None:
        raise Conflict("user %(username)s exists already", code="user_exists", username=username)
    if password is not None:
        acceptable_password(username, kind, password, policy)
    user = User(username=username, role=role.value, kind=kind, demo_credentials=demo,
                full_name=_full_name(full_name),
                password_hash=hash_password(password) if password else None,
                password_changed_at=datetime.now(UTC) if password else None)
    session.add(user)
    session.flush()
    return user


def _full_name(value: str | None) -> str | None:
    return " ".join(value.split())[:200] or None if value else None


def check_full_name(password: str | None, full_name: str | None, kind: str = "person"
                    ) -> None:
    """A person's account (one with a password) needs their full name: their electronic
    signatures show it (kernel/signatures.py). Machine accounts go without."""
    if kind == "person" and password and not _full_name(full_name):
        raise Invalid("a person's account (with a password) needs their full name, which "
                      "their signatures show: send full_name", code="full_name_required")


def acceptable_password(username: str, kind: str, password: str, policy: PasswordPolicy | None,
                current: str | None = None) -> None:
    """Refuse a password the policy refuses, or any password for a machine account."""
    if kind == "machine":
        raise Invalid("%(user)s is a machine account: it holds API tokens only and "
                      "has no password", code="machine_has_no_password", user=username)
    check_password(password, username, policy or PasswordPolicy(),
                   current_hash_matches=current is not None and verify_password(password, current))


def issue_token(
    session: Session, user: User, label: str = "api", lifetime: timedelta | None = None
) -> TokenPublic:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime if lifetime else None
    # A page session (label web) starts active: its idle timeout counts from the login.
    row = ApiToken(user_id=user.id, token_sha256=token_digest(token), label=label,
                   expires_at=expires, last_active_at=now if label == "web" else None)
    session.add(row)
    session.flush()
    return TokenPublic(username=user.username, role=Role(user.role), token=token,
                       expires_at=expires, token_id=row.id)


def actor_for_token(session: Session, token: str, rules: AccountRules | None = None) -> Actor:
    """The active user a bearer token belongs to, or Unauthorized: also a page session
    idle for longer than the rules allow, and in production a demo account's token."""
    rules = rules or AccountRules()
    row = repo.token_owner(session, token_digest(token))
    if row is None or not row.active or row.revoked:
        raise Unauthorized("unknown or revoked token", code="invalid_token")
    now = datetime.now(UTC)
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("token expired; log in again", code="token_expired")
    if row.label == "web" and session_idle(row.last_active_at, now, rules.idle_s):
        raise Unauthorized(
            "logged out after %(idle)s without activity; log in again",
            code="session_idle", idle=_minutes(rules.idle_s))
    if rules.refuse_demo and row.demo_credentials:
        raise Unauthorized(DEMO_REFUSAL, code="demo_account", user=row.username)
    return Actor(row.id, row.username, Role(row.role), via=token_via(row.token_id, row.label))


@consistent_read
def language_of_token(session: Session, token: str) -> tuple[bool, str | None]:
    """For the pages: whether the token (a page session's cookie) still holds, and its
    user's language (None: the site's). No idle or role check: it only picks words."""
    row = repo.token_user_language(session, token_digest(token))
    if row is None or (row.expires_at is not None and row.expires_at <= datetime.now(UTC)):
        return False, None
    return True, row.language


def token_via(token_id: int, label: str) -> str:
    """How the audit trail names a token: `web` for a page's login, else the token."""
    return "web" if label == "web" else f"token {token_id} {label}"[:64]


def _minutes(seconds: int) -> Text:
    return Text("%(n)s s", n=seconds) if seconds < 120 else Text("%(n)s min",
                                                                 n=round(seconds / 60))


# The refusal of a demo account (its user name is %(user)s): one template, two errors.
DEMO_REFUSAL = N_(
    "%(user)s is an account of `stockwarden demo`, still with the demo's "
    "password or tokens: a production hub refuses it. An admin gives it a new "
    "password (stockwarden user update %(user)s --password), which also revokes "
    "the demo's tokens, or deactivates it")


def login(session: Session, username: str, password: str, lifetime: timedelta,
          policy: LockoutPolicy | None = None, rules: AccountRules | None = None
          ) -> TokenPublic:
    """Password login for the web: a token that expires after `lifetime`. A wrong
    password is counted toward the account's lockout, in its own transaction. A right
    but expired password is refused (403 password_expired): it may only be changed."""
    rules = rules or AccountRules(lockout=policy or LockoutPolicy())
    try:
        return _login(session, username, password, lifetime, rules).get()
    except Unauthorized:
        count_failure(session, username, rules.lockout)
        raise


def _standing(user: User) -> Standing:
    return Standing(user.failed_logins or 0, user.locked_until)


@unit_of_work()
def _login(session: Session, username: str, password: str, lifetime: timedelta,
           rules: AccountRules) -> TokenPublic:
    user = verified_user(session, username, password, rules)
    if password_expired(user.password_changed_at, datetime.now(UTC), rules.max_age_days):
        raise Forbidden(
            "the password of %(user)s is older than %(days)s days: change it "
            "to log in (POST /api/v1/auth/password; the login page asks for a new one)",
            code="password_expired", user=username, days=rules.max_age_days)
    user.failed_logins, user.locked_until = CLEAR.failed, CLEAR.locked_until
    issued = issue_token(session, user, label="web", lifetime=lifetime)
    audit.record(session, Actor(user.id, user.username, Role(user.role), via="web"), "login",
                 "user", user.username, None, {"token": issued.token_id})
    return issued


def verified_user(session: Session, username: str, password: str,
                  rules: AccountRules) -> User:
    """The person whose password this is, or why not: locked (429), wrong (401), a
    demo account in production (403). The caller counts a 401 toward lockout."""
    user = repo.user_named(session, username)
    # The same scrypt work whether the user exists or not (a dummy hash of the same
    # cost otherwise), so the answer's time does not tell which user names exist.
    stored = user.password_hash if user is not None and user.password_hash else None
    right = verify_password(password, stored or _dummy_hash())
    if user is not None and (wait := locked_for(_standing(user), datetime.now(UTC))):
        raise TooManyAttempts(
            "%(user)s is locked after %(n)s wrong passwords in a row; try again in "
            "%(minutes)s min or ask an admin to unlock the account",
            retry_after_s=wait, code="account_locked", user=username, n=user.failed_logins,
            minutes=max(1, wait // 60))
    if user is None or stored is None or not user.active or not right:
        raise Unauthorized("wrong username or password", code="login_failed")
    if rules.refuse_demo and user.demo_credentials:
        _log.warning("login of %s refused: an account of stockwarden demo on a production "
                     "hub", username)
        raise Forbidden(DEMO_REFUSAL, code="demo_account", user=username)
    return user


@unit_of_work()
def count_failure(session: Session, username: str, policy: LockoutPolicy) -> None:
    """One more wrong password for an existing account; the lock, when it comes, is on
    the audit trail as the system's."""
    user = repo.user_named(session, username)
    if user is None:
        return
    now = datetime.now(UTC)
    before = _standing(user)
    after = after_failure(before, now, policy)
    user.failed_logins, user.locked_until = after.failed, after.locked_until
    if after.locked_until is not None and locked_for(before, now) is None:
        audit.record(session, None, "lock", "user", username, {"locked_until": None},
                     {"locked_until": after.locked_until, "failed_logins": after.failed},
                     f"{after.failed} wrong passwords in a row")


@unit_of_work(creates=True)
def register_user(
    session: Session, username: str, role: Role, password: str | None = None,
    idem: Idempotency | None = None, *, actor: Actor | None = None, kind: str = "person",
    policy: PasswordPolicy | None = None, demo: bool = False, full_name: str | None = None,
) -> TokenPublic:
    """A user and their first API token, in one unit of work. A person with a password
    needs a full name (their signatures show it)."""
    check_full_name(password, full_name, kind)
    user = create_user(session, username, role, password, kind=kind, policy=policy, demo=demo,
                       full_name=full_name)
    issued = issue_token(session, user)
    audit.record(session, actor or audit.cli_actor(), "create", "user", username, None,
                 {"role": role.value, "active": True, "password": bool(password),
                  "kind": kind, "full_name": _full_name(full_name), "token": issued.token_id})
    return issued


def create_user_with_token(
    session: Session, username: str, role: Role, password: str | None = None,
    full_name: str | None = None, *, kind: str = "person", policy: PasswordPolicy | None = None,
) -> TokenPublic:
    """A user and their first API token (the CLI's `user create`)."""
    return register_user(session, username, role, password, kind=kind, policy=policy,
                         full_name=full_name).get()


def list_users(session: Session) -> list[UserPublic]:
    """Every user, by name (the admin's list)."""
    return [UserPublic.model_validate(user) for user in repo.users_by_name(session)]


@consistent_read
def user_public(session: Session, username: str) -> UserPublic:
    return UserPublic.model_validate(_user(session, username))


def _user(session: Session, username: str) -> User:
    user = repo.user_named(session, username)
    if user is None:
        raise NotFound("no user %(username)s", code="user_not_found", username=username)
    return user


@unit_of_work(creates=True)
def new_token(
    session: Session, username: str, label: str = "api", idem: Idempotency | None = None,
    *, actor: Actor | None = None,
) -> TokenPublic:
    """Another API token for a user (shown once)."""
    issued = issue_token(session, _user(session, username), label)
    audit.record(session, actor or audit.cli_actor(), "issue", "token",
                 f"{username}:{issued.token_id}", None, {"label": label})
    return issued


# update_user's `language` for "the site's": None there means "keep".
SITE_LANGUAGE = "site"


@unit_of_work()
def update_user(
    session: Session, username: str, *, role: Role | None = None, active: bool | None = None,
    password: str | None = None, idem: Idempotency | None = None,
    actor: Actor | None = None, unlock: bool = False, policy: PasswordPolicy | None = None,
    demo: bool = False, full_name: str | None = None, language: str | None = None,
) -> UserPublic:
    """Change a user's role, activity, password or full name, or lift a lockout. Deactivation
    revokes every token they hold (reactivation brings none back: issue new ones).
    The last active admin can be neither deactivated nor demoted. A new password must
    pass the policy; one given to a demo account (not by the demo) ends its demo
    standing and revokes the tokens the demo issued it."""
    user = _user(session, username)
    if password is not None:
        acceptable_password(username, user.kind, password, policy)
    before = _audited(user)
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
        set_password(session, user, password, demo=demo)
    if full_name is not None:
        user.full_name = _full_name(full_name)
    if language is not None:  # SITE_LANGUAGE: back to the site's
        user.language = None if language == SITE_LANGUAGE else language
    if unlock:
        user.failed_logins, user.locked_until = CLEAR.failed, CLEAR.locked_until
    session.flush()
    after = _audited(user)
    if password is not None:  # never the hash: only that it changed
        before["password"], after["password"] = "(previous)", "(changed)"
    audit.record(session, actor or audit.cli_actor(), "unlock" if unlock else "update",
                 "user", username, before, after)
    return UserPublic.model_validate(user)


def set_password(session: Session, user: User, password: str, *, demo: bool = False) -> None:
    """A new password (already checked against the policy), from now."""
    user.password_hash = hash_password(password)
    user.password_changed_at = datetime.now(UTC)
    if user.demo_credentials and not demo:
        repo.revoke_tokens_of(session, user.id)
    user.demo_credentials = demo


def _audited(user: User) -> dict[str, object]:
    # demo_credentials: its end (a demo account given a password of its own) is on the
    # trail; audit.record keeps only the fields that changed.
    return {"role": user.role, "active": user.active, "locked_until": user.locked_until,
            "demo_credentials": user.demo_credentials, "full_name": user.full_name,
            "language": user.language}


def _refuse_last_admin(session: Session, user: User) -> None:
    if not repo.lock_other_active_admins(session, user.id):
        raise Conflict(
            "%(user)s is the last active admin; make another user admin first, "
            "or nobody could administer the hub", code="last_admin", user=user.username)


@consistent_read
def list_tokens(session: Session, username: str) -> list[TokenInfoPublic]:
    user = _user(session, username)
    return [TokenInfoPublic.model_validate(t) for t in repo.tokens_of(session, user.id)]


@unit_of_work()
def revoke_token(session: Session, username: str, token_id: int,
                 idem: Idempotency | None = None, *, actor: Actor | None = None
                 ) -> TokenInfoPublic:
    """Revoke one token of a user; revoking a revoked token changes nothing."""
    user = _user(session, username)
    token = repo.token_of(session, user.id, token_id)
    if token is None:
        raise NotFound("%(username)s has no token %(token_id)s", code="token_not_found",
            username=username, token_id=token_id)
    audit.record(session, actor or audit.cli_actor(), "revoke", "token",
                 f"{username}:{token_id}", {"revoked": token.revoked}, {"revoked": True})
    token.revoked = True
    session.flush()
    return TokenInfoPublic.model_validate(token)


@consistent_read
def actor_for_username(session: Session, username: str) -> Actor:
    """The active user of this name (the CLI books in their name)."""
    user = repo.user_named(session, username)
    if user is None or not user.active:
        raise Unauthorized("no active user %(username)s", code="unknown_user", username=username)
    return Actor(user.id, user.username, Role(user.role), via="cli")


def service_actor(session: Session, username: str, role: Role) -> Actor:
    """An account the hub itself acts as (the alarm engine's `system`): no password,
    so nobody can log in as it. Created on first use, in its own transaction."""
    return _service_actor(session, username, role).get()


@unit_of_work()
def _service_actor(session: Session, username: str, role: Role) -> Actor:
    user = repo.user_named(session, username)
    if user is None:
        user = create_user(session, username, role, kind="machine")
    return Actor(user.id, user.username, Role(user.role), via=username)
