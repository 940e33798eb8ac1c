"""The one retry-with-backoff helper: schedule, give-up rules, stop."""

from __future__ import annotations

import pytest

from contract.retry import Backoff, Stopped, first_line, retry


def test_backoff_doubles_up_to_the_maximum_and_resets() -> None:
    backoff = Backoff(0.5, 4.0)
    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_retry_waits_between_failures_and_returns_the_result() -> None:
    pauses: list[float] = []
    heard: list[str] = []
    attempts = iter([OSError("down"), OSError("still down"), None])

    def operation() -> str:
        failure = next(attempts)
        if failure:
            raise failure
        return "done"

    result = retry(operation, wait=lambda s: pauses.append(s) or False,
                   backoff=Backoff(1.0, 10.0),
                   on_error=lambda exc, pause: heard.append(f"{first_line(exc)} {pause}"))
    assert result == "done"
    assert pauses == [1.0, 2.0]
    assert heard == ["OSError: down 1.0", "OSError: still down 2.0"]


def test_an_error_that_is_not_retryable_propagates_at_once() -> None:
    def operation() -> None:
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        retry(operation, wait=lambda _s: pytest.fail("must not wait"),
              retryable=lambda exc: not isinstance(exc, ValueError))


def test_a_stop_during_the_wait_ends_the_retries() -> None:
    calls = []

    def operation() -> None:
        calls.append(1)
        raise OSError("down")

    with pytest.raises(Stopped):
        retry(operation, wait=lambda _s: len(calls) >= 3)
    assert len(calls) == 3


def test_first_line_keeps_the_type_and_the_first_line() -> None:
    assert first_line(RuntimeError("one\ntwo")) == "RuntimeError: one"
    assert first_line(RuntimeError()) == "RuntimeError: "
