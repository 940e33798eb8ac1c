"""Errors the domain raises. They know nothing of HTTP: the hub maps each class
to a status in one table (hub/errors.py).

Each error carries a stable `code` for clients and a message written for the
person in front of the scanner. The message is a whole English sentence; with values
it is a template with named placeholders (`Invalid("no lot %(lot)s", lot="L1")`), so
that the hub can write it in the reader's language (hub/errors.py)."""

from __future__ import annotations


class DomainError(Exception):
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **params: object) -> None:
        text = message % params if params else message
        super().__init__(text)
        self.message = text
        self.template = message  # the English key of the catalogue (domain messages)
        self.params = params
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Invalid(DomainError):
    code = "invalid"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class Busy(DomainError):
    """Lock conflicts persisted through our own retries; the client may retry."""

    code = "busy_retry"


class TooManyAttempts(DomainError):
    """Too many failed attempts (logins): refused until `retry_after_s` have passed."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None,
                 **params: object) -> None:
        super().__init__(message, code=code, **params)
        self.retry_after_s = retry_after_s
