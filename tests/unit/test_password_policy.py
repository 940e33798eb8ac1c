"""The account rules alone: the password policy's rules (length, the user name,
zxcvbn's common passwords, a change must change it), password expiry and the idle
timeout of a page session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.accounts.password_policy import (
    PasswordPolicy,
    PasswordRefused,
    check_password,
    common_passwords,
    password_expired,
    session_idle,
)

POLICY = PasswordPolicy(min_length=12)
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def refused_rule(password: str, username: str = "lina", **kwargs: bool) -> str:
    with pytest.raises(PasswordRefused) as refused:
        check_password(password, username, POLICY, **kwargs)
    assert refused.value.code == "password_policy"
    return refused.value.rule


def test_a_long_uncommon_password_without_the_user_name_passes() -> None:
    check_password("cold chain at dawn 42", "lina", POLICY)


def test_too_short_says_how_many_characters_are_needed() -> None:
    with pytest.raises(PasswordRefused, match="at least 12 characters \\(it has 11\\)"):
        check_password("x7#kq9!mz2p", "lina", POLICY)
    check_password("x7#kq9!mz2pw", "lina", POLICY)  # 12: enough
    with pytest.raises(PasswordRefused):
        check_password("x7#kq9!mz2pw", "lina", PasswordPolicy(min_length=16))


def test_the_user_name_is_refused_in_any_case_and_anywhere() -> None:
    assert refused_rule("Warehouse-LINA-2026") == "username"
    assert refused_rule("lina.lina.lina") == "username"
    assert refused_rule("LiNa") == "min_length"  # the first rule broken is named


def test_common_passwords_come_from_zxcvbn_and_are_refused_whatever_the_case() -> None:
    words = common_passwords()
    assert len(words) > 20_000  # zxcvbn's list, not a hand list
    assert {"password", "123456", "qwerty"} <= words
    assert refused_rule("qwertyuiop12") == "common"
    assert refused_rule("TheCakeIsALie") == "common"
    assert refused_rule("PASSWORD1234") == "common"
    assert refused_rule("1qaz2wsx3edc") == "common"


def test_a_change_must_change_the_password() -> None:
    assert refused_rule("cold chain at dawn 42", current_hash_matches=True) == "unchanged"


def test_too_long_is_refused() -> None:
    assert refused_rule("a9" * 101) == "max_length"


def test_expiry_is_off_by_default_and_counts_days_from_the_change() -> None:
    changed = NOW - timedelta(days=90)
    assert not password_expired(changed, NOW, 0)
    assert password_expired(changed, NOW, 90)
    assert not password_expired(changed + timedelta(seconds=1), NOW, 90)
    assert not password_expired(None, NOW, 90)  # never set: nothing to expire


def test_a_page_session_is_idle_after_the_timeout_without_activity() -> None:
    assert session_idle(NOW - timedelta(minutes=15), NOW, 900)
    assert not session_idle(NOW - timedelta(minutes=14, seconds=59), NOW, 900)
    assert not session_idle(NOW - timedelta(days=1), NOW, 0)  # 0: no idle timeout
    assert not session_idle(None, NOW, 900)
