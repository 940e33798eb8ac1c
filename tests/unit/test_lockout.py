"""The lockout rule (hub/accounts/lockout.py): N wrong passwords in a row lock the
account for M seconds; a lock that passed starts a new count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.accounts.lockout import CLEAR, LockoutPolicy, Standing, after_failure, locked_for

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
POLICY = LockoutPolicy(failures=3, lock_s=600)


def test_the_nth_wrong_password_in_a_row_locks_for_the_policys_time() -> None:
    standing = CLEAR
    for n in range(1, 3):
        standing = after_failure(standing, T0, POLICY)
        assert standing == Standing(n, None) and locked_for(standing, T0) is None
    standing = after_failure(standing, T0, POLICY)
    assert standing.locked_until == T0 + timedelta(seconds=600)
    assert locked_for(standing, T0 + timedelta(seconds=1)) == 599
    assert locked_for(standing, T0 + timedelta(seconds=600)) is None


def test_a_failure_after_the_lock_passed_starts_a_new_count() -> None:
    locked = Standing(3, T0)
    assert after_failure(locked, T0 + timedelta(seconds=1), POLICY) == Standing(1, None)
