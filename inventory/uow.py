"""The unit of work for writes: one transaction, retried on lock conflicts, and
answered once per idempotency key.

A handheld on flaky Wi-Fi resends; the first answer is stored in the same
transaction as the booking, so a resend gets that answer and books nothing."""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from inventory.errors import Conflict, DomainError, Invalid
from inventory.orm import IdempotencyRecord

ATTEMPTS = 6


class Busy(DomainError):
    """Lock conflicts persisted through our own retries; the client may retry."""

    status = 503
    code = "busy_retry"


class Retry(Exception):
    """Raised inside a unit of work: roll back and run it again from the start."""


class Idempotency(NamedTuple):
    user_id: int
    key: str
    fingerprint: str  # hash of method, path and canonical body


class Answer(NamedTuple):
    status: int
    body: Any
    replayed: bool = False


def jsonable(value: Any) -> Any:
    """Dataclasses, dates and enums as JSON values (what a replay will return)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _retryable(exc: DBAPIError) -> bool:
    """Lock timeouts, deadlocks, serialisation failures and unique races: a new
    attempt sees the winner's rows and decides again."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in {"40001", "40P01", "55P03", "23505"}
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "unique constraint failed" in text


def run_write(
    session: Session,
    work: Callable[[], Any],
    *,
    status: int = 200,
    idempotency: Idempotency | None = None,
) -> Answer:
    """Run `work` in one transaction and answer with its JSON result. Errors are
    not stored: nothing was booked, so a resend may try again."""
    for attempt in range(ATTEMPTS):
        try:
            with session.begin():
                if idempotency is not None:
                    earlier = _earlier_answer(session, idempotency)
                    if earlier is not None:
                        return earlier
                body = jsonable(work())
                if idempotency is not None:
                    session.execute(insert(IdempotencyRecord).values(
                        user_id=idempotency.user_id, key=idempotency.key,
                        fingerprint=idempotency.fingerprint, status_code=status,
                        body=json.dumps(body), created_at=datetime.now(UTC),
                    ))
            return Answer(status, body)
        except Retry as exc:
            if attempt == ATTEMPTS - 1:
                raise Busy("the stock is busy; please send the request again") from exc
            time.sleep(random.uniform(0.001, 0.005) * (attempt + 1))
        except (OperationalError, IntegrityError) as exc:
            if not _retryable(exc) or attempt == ATTEMPTS - 1:
                if _retryable(exc):
                    raise Busy("the stock is busy; please send the request again") from exc
                if isinstance(exc, IntegrityError):
                    raise Conflict("the change conflicts with stored data",
                                   code="integrity_conflict") from exc
                raise
            time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))
    raise AssertionError("unreachable")


def _earlier_answer(session: Session, idem: Idempotency) -> Answer | None:
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == idem.user_id, IdempotencyRecord.key == idem.key
        )
    )
    if record is None:
        return None
    if record.fingerprint != idem.fingerprint:
        raise Invalid(
            f"Idempotency-Key {idem.key} was used for a different request; use a new key",
            code="idempotency_key_reused",
        )
    return Answer(record.status_code, json.loads(record.body), replayed=True)
