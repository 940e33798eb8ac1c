"""Account lockout, the rule alone (plain Python): after `failures` wrong passwords
in a row an account is locked for `lock_s` seconds; while locked every login for it
is refused, the right password too; a right password before that clears the count;
an admin unlocks at once. The counts are stored with the user (users.failed_logins,
users.locked_until), so they hold across hub processes and restarts, unlike the
per-process throttle of hub/login_throttle.py, which limits guessing per address."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    failures: int = 5
    lock_s: int = 900


@dataclass(frozen=True, slots=True)
class Standing:
    """An account's count of wrong passwords in a row and its lock, if any."""

    failed: int
    locked_until: datetime | None


def locked_for(standing: Standing, now: datetime) -> int | None:
    """Seconds the account stays locked (at least 1), or None when it is not."""
    if standing.locked_until is None or standing.locked_until <= now:
        return None
    return max(1, math.ceil((standing.locked_until - now).total_seconds()))


def after_failure(standing: Standing, now: datetime, policy: LockoutPolicy) -> Standing:
    """One more wrong password: locked when the count reaches the policy's. A lock
    that has passed starts a new count."""
    failed = standing.failed + 1
    if standing.locked_until is not None and standing.locked_until <= now:
        failed = 1
    if failed >= policy.failures:
        return Standing(failed, now + timedelta(seconds=policy.lock_s))
    return Standing(failed, None)


CLEAR = Standing(0, None)  # after a right password, or an admin's unlock
