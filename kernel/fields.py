"""Request-field helpers shared by the parts' input models (pydantic, no HTTP)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

KEEP_OR_SET = "leave it out to keep the stored value; null is refused"
NULL_CLEARS = "null clears it; leave it out to keep the stored value"


def refuse_null(value: Any, info: ValidationInfo) -> Any:
    """For PATCH fields that cannot be empty: an explicit null is refused with
    the field named (leaving the field out keeps the stored value)."""
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null; leave it out to keep it")
    return value


# --- integers and times a database can store

MAX_ID = 2**31 - 1
# The most units one request may book or count (quantities are 32-bit columns).
MAX_QUANTITY = 10_000_000
"""Ids are INTEGER columns (32 bits on PostgreSQL): a larger id names nothing
stored, and the bound is declared in the schema, so out-of-range is a 422."""
MAX_OFFSET = 2**63 - 1
"""Offsets are 64-bit on both databases."""

_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
    r"([Zz]|[+-]\d{2}(:?\d{2})?)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _iso_datetime_only(value: Any) -> Any:
    """A number is not a date: pydantic's lax mode would read `-1.8e-25` as a Unix time."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z")
    return value


def _in_range(value: datetime) -> datetime:
    """Naive means UTC; years before 1900 or from 9999 on are refused, so that the
    arithmetic on a period (a day before its end) can never leave the calendar."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be between 1900-01-01 and 9998-12-31")
    return value.astimezone(UTC)


def _date_in_range(value: date) -> date:
    """The same calendar as for times: a report's horizon (a date plus some days)
    can then never leave it."""
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("must be between 1900-01-01 and 9998-12-31")
    return value


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date, e.g. 2026-01-31")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime_only), AfterValidator(_in_range)]
"""A date and time as ISO 8601 text only, in range, as aware UTC (naive means UTC)."""
IsoDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_date_in_range)]
"""A date as ISO 8601 text (YYYY-MM-DD) only, in range."""
