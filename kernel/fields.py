"""Request-field helpers shared by the parts' input models (pydantic, no HTTP)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo

KEEP_OR_SET = "leave it out to keep the stored value; null is refused"
NULL_CLEARS = "null clears it; leave it out to keep the stored value"


def refuse_null(value: Any, info: ValidationInfo) -> Any:
    """For PATCH fields that cannot be empty: an explicit null is refused with
    the field named (leaving the field out keeps the stored value)."""
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null; leave it out to keep it")
    return value
