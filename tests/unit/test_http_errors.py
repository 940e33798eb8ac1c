"""The one table from domain errors to HTTP answers (hub/errors.py)."""

from __future__ import annotations

import pytest

from hub.errors import error_body, http_headers, http_status
from inventory.allocation import InsufficientStock
from kernel.errors import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)


@pytest.mark.parametrize(("error", "status"), [
    (NotFound("x"), 404), (Conflict("x"), 409), (Invalid("x"), 422), (Forbidden("x"), 403),
    (Unauthorized("x"), 401), (Busy("x"), 503), (DomainError("x"), 400),
])
def test_each_error_class_has_its_status(error: DomainError, status: int) -> None:
    assert http_status(error) == status


def test_a_subclass_answers_as_its_parent() -> None:
    assert http_status(InsufficientStock("only 2 of 3")) == 409


def test_busy_asks_the_client_to_retry_after_a_second() -> None:
    busy = Busy("the data is busy; please send the request again")
    assert http_headers(busy) == {"Retry-After": "1"}
    assert error_body(busy) == {"error": "busy_retry",
                                "detail": "the data is busy; please send the request again"}


def test_too_many_attempts_is_429_and_says_when_to_try_again() -> None:
    refused = TooManyAttempts("too many failed logins for this user; try again in 9 seconds",
                              retry_after_s=9)
    assert http_status(refused) == 429
    assert http_headers(refused) == {"Retry-After": "9"}
    assert error_body(refused)["error"] == "too_many_attempts"


def test_unauthorized_names_the_scheme_and_others_add_no_headers() -> None:
    assert http_headers(Unauthorized("x")) == {"WWW-Authenticate": "Bearer"}
    assert http_headers(NotFound("x")) is None


def test_domain_errors_know_nothing_of_http() -> None:
    for cls in (DomainError, NotFound, Conflict, Invalid, Forbidden, Unauthorized, Busy):
        assert not hasattr(cls, "status")
