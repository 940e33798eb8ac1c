"""The rules an account's password and session live by, plain Python (no database,
no HTTP): the password policy applied wherever a password is set (the API's user create
and update, a user changing their own, the CLI, the demo), password expiry, and the
idle timeout of the pages' sessions.

The common passwords are zxcvbn's list (the 30,000 most frequent passwords of public
leaks, shipped in the `zxcvbn` package), not a hand list: it is loaded once, on first
use, lower-cased."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.accounts.lockout import LockoutPolicy
from kernel.errors import Invalid

if TYPE_CHECKING:
    from hub.settings import HubSettings

MIN_LENGTH = 12  # the default of STOCKWARDEN_PASSWORD_MIN_LENGTH
MAX_LENGTH = 200


class PasswordRefused(Invalid):
    """A password the policy refuses: 422 `password_policy`; `rule` names the rule
    (min_length, max_length, username, common, unchanged)."""

    code = "password_policy"

    def __init__(self, rule: str, message: str, **params: object) -> None:
        super().__init__(message, code=None, **params)
        self.rule = rule


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    min_length: int = MIN_LENGTH


@dataclass(frozen=True, slots=True)
class AccountRules:
    """What a login, a password change and a page session are held to, from the hub's
    settings (`account_rules`). `refuse_demo`: the demo's accounts are refused (a
    production hub, docs/compliance.md, "The demo's accounts")."""

    password: PasswordPolicy = field(default_factory=PasswordPolicy)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    max_age_days: int = 0
    idle_s: int = 0
    refuse_demo: bool = False


def account_rules(settings: HubSettings) -> AccountRules:
    return AccountRules(
        PasswordPolicy(settings.password_min_length),
        LockoutPolicy(settings.login_lockout_failures, settings.login_lockout_s),
        settings.password_max_age_days, settings.session_idle_s,
        refuse_demo=settings.env == "production")


@functools.cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's list of common passwords, lower-cased (about 30,000)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(word.lower() for word in words)


def check_password(password: str, username: str, policy: PasswordPolicy,
                   current_hash_matches: bool = False) -> None:
    """Raise PasswordRefused naming the first rule the password breaks. The message
    says what to do, never the password. `current_hash_matches`: the new password is
    the one the account has now (a change must change it)."""
    if len(password) < policy.min_length:
        raise PasswordRefused("min_length", "the password needs at least %(least)s "
                              "characters (it has %(n)s)", least=policy.min_length,
                              n=len(password))
    if len(password) > MAX_LENGTH:
        raise PasswordRefused("max_length", "the password may have at most %(most)s "
                              "characters", most=MAX_LENGTH)
    name = username.strip().lower()
    if name and name in password.lower():
        raise PasswordRefused("username", "the password must not contain the user name")
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        raise PasswordRefused("common", "the password is on the list of common passwords "
                              "that attackers try first; choose another")
    if current_hash_matches:
        raise PasswordRefused("unchanged", "the new password must differ from the current one")


def password_expired(changed_at: datetime | None, now: datetime, max_age_days: int) -> bool:
    """A password older than `max_age_days` (0: passwords never expire). A password
    with no recorded change time (set before expiry existed) counts from the upgrade,
    which the migration records as its change time; None here means never set."""
    if max_age_days <= 0 or changed_at is None:
        return False
    return now - changed_at >= timedelta(days=max_age_days)


def session_idle(last_active: datetime | None, now: datetime, idle_s: int) -> bool:
    """A page session with no user activity for `idle_s` seconds (0: no idle timeout).
    A session without a recorded activity (issued before the idle timeout existed) is
    not idle: it is counted from its next request."""
    if idle_s <= 0 or last_active is None:
        return False
    return (now - last_active).total_seconds() >= idle_s
