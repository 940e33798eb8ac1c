"""The domain errors live in the shared kernel (kernel/errors.py); this module
keeps the old import path working for code not yet moved over."""

from kernel.errors import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
)

__all__ = ["Busy", "Conflict", "DomainError", "Forbidden", "Invalid", "NotFound", "Unauthorized"]
