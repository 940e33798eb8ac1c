"""The one unit of work for writes: one transaction, retried on lock conflicts,
and answered once per idempotency key. Every write of every part goes through
it: stock moves, master data, users and tokens, sensors, alarms.

A use case says so with `@unit_of_work()` (`@consistent_read` for a read that
needs one view over several queries): the decorated function is the whole
transaction and is run again from the start on a lock conflict, so it keeps no
state between runs (`attempt()` tells it which run it is). `run_write` is the
primitive under the decorator.

A handheld on flaky Wi-Fi resends; the first answer is stored in the same
transaction as the booking, so a resend gets that answer and books nothing. The
layer that knows how the answer looks (the HTTP route) passes `render` with the
idempotency key; the domain never speaks of HTTP statuses."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from typing import Any, Concatenate, Generic, NamedTuple, ParamSpec, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from kernel.clock import utcnow
from kernel.dberrors import is_transient
from kernel.errors import Busy, Conflict, Invalid
from kernel.orm import IdempotencyRecord

ATTEMPTS = 6
T = TypeVar("T")
P = ParamSpec("P")

# Which run of the current unit of work this is: 0 the first, 1 after a retry...
_ATTEMPT: ContextVar[int] = ContextVar("unit_of_work_attempt", default=0)


def attempt() -> int:
    """Which run of the current unit of work this is (0 the first). A use case that
    locks a page of rows first and all of them after a `Retry` asks this."""
    return _ATTEMPT.get()


class Retry(Exception):
    """Raised inside a unit of work: roll back and run it again from the start."""


class Recorded(NamedTuple):
    """The first answer to a request, as the caller rendered it: replayed as is."""

    status: int
    body: Any


# How the first answer is recorded: from the work's value and whether it created
# something (the HTTP layer turns that into 201 or 200).
Render = Callable[[Any, bool], Recorded | tuple[int, Any]]


def jsonable(value: Any) -> Any:
    """Dataclasses, API models, dates and enums as JSON values, field by field (the
    CSV and JSON report writers use it; dates keep Python's ISO form)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return {name: jsonable(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _default_render(value: Any, _created: bool) -> Recorded:
    return Recorded(0, jsonable(value))


class Idempotency(NamedTuple):
    user_id: int
    key: str
    fingerprint: str  # hash of method, path and canonical body
    # How the first answer is stored; the HTTP layer sets it (status and body).
    render: Render = _default_render


@dataclasses.dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """What a unit of work gives back: the value its work returned and whether
    that was created (else changed), or, for a resend of an idempotent request,
    the first answer (and no value)."""

    value: T | None
    replay: Recorded | None = None
    created: bool = False

    @property
    def replayed(self) -> bool:
        return self.replay is not None

    def get(self) -> T:
        if self.value is None:
            raise AssertionError("a replay has no value; use .replay")
        return self.value


def _retryable(exc: DBAPIError) -> bool:
    """Transient database errors (lock timeouts, deadlocks, serialisation failures,
    a dropped connection) and unique races: a new attempt sees the winner's rows and
    decides again."""
    if is_transient(exc):
        return True
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "23505":
        return True
    return "unique constraint failed" in str(orig).lower()


BUSY = "the data is busy; please send the request again"


def run_write(
    session: Session, work: Callable[[], T], *, idempotency: Idempotency | None = None,
    creates: bool = False,
) -> Done[T]:
    """Run `work` in one transaction; `creates` says the work makes something new.
    Errors are not stored: nothing was written, so a resend may try again. Lock
    conflicts that outlast our retries raise `Busy`."""
    try:
        return _run_write(session, work, idempotency, creates)
    finally:
        _ATTEMPT.set(0)


def _run_write(
    session: Session, work: Callable[[], T], idempotency: Idempotency | None, creates: bool,
) -> Done[T]:
    for run in range(ATTEMPTS):
        _ATTEMPT.set(run)
        try:
            with session.begin():
                if idempotency is not None:
                    earlier = _earlier_answer(session, idempotency)
                    if earlier is not None:
                        return Done(None, earlier)
                value = work()
                if idempotency is not None:
                    status, body = idempotency.render(value, creates)
                    session.connection().execute(_RECORD, {
                        "user_id": idempotency.user_id, "key": idempotency.key,
                        "fingerprint": idempotency.fingerprint, "status_code": status,
                        "body": json.dumps(body), "created_at": utcnow()})
            return Done(value, created=creates)
        except Retry as exc:
            if run == ATTEMPTS - 1:
                raise Busy(BUSY) from exc
            time.sleep(random.uniform(0.001, 0.005) * (run + 1))
        except (OperationalError, IntegrityError) as exc:
            if not _retryable(exc) or run == ATTEMPTS - 1:
                if _retryable(exc):
                    raise Busy(BUSY) from exc
                if isinstance(exc, IntegrityError):
                    raise Conflict("the change conflicts with stored data",
                                   code="integrity_conflict") from exc
                raise
            time.sleep(random.uniform(0.002, 0.02) * (run + 1))
    raise AssertionError("unreachable")


def unit_of_work(
    *, creates: bool = False, after: Callable[[Any], object] | None = None,
) -> Callable[[Callable[Concatenate[Session, P], T]], Callable[Concatenate[Session, P], Done[T]]]:
    """A write use case as one unit of work. The decorated function takes the session
    first and is the whole transaction; called, it gives back a `Done`. Its parameter
    `idem`, when it has one, is the idempotency key (`None`: not keyed). `creates`
    says it makes something new (201); `after` is called with its value once the
    transaction committed (not for a replay, which changed nothing)."""

    def decorate(
        use_case: Callable[Concatenate[Session, P], T],
    ) -> Callable[Concatenate[Session, P], Done[T]]:
        names = list(inspect.signature(use_case).parameters)
        # Where `idem` sits among the positional arguments after the session.
        idem_at = names.index("idem") - 1 if "idem" in names else None

        @functools.wraps(use_case)
        def write(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> Done[T]:
            idem = kwargs.get("idem")
            if idem is None and idem_at is not None and len(args) > idem_at:
                idem = args[idem_at]
            done = run_write(session, lambda: use_case(session, *args, **kwargs),
                             idempotency=cast("Idempotency | None", idem), creates=creates)
            if after is not None and done.value is not None:
                after(done.value)
            return done

        return write

    return decorate


def consistent_read(
    read: Callable[Concatenate[Session, P], T],
) -> Callable[Concatenate[Session, P], T]:
    """A read use case in its own transaction: one consistent view for several
    queries. The decorated function takes the session first."""

    @functools.wraps(read)
    def in_transaction(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with session.begin():
            return read(session, *args, **kwargs)

    return in_transaction


def run_read(session: Session, work: Callable[[], T]) -> T:
    """A read in its own transaction (a consistent view for several queries)."""
    with session.begin():
        return work()


# Built once: building and keying a statement costs more Python than sending it,
# and these two run in every keyed write.
# A mapped class's __table__ is a Table; SQLAlchemy's declarative base types it FromClause.
_RECORDS = cast(Table, IdempotencyRecord.__table__)
_RECORD = insert(_RECORDS)
_EARLIER = select(_RECORDS.c.fingerprint, _RECORDS.c.status_code, _RECORDS.c.body).where(
    _RECORDS.c.user_id == bindparam("user_id"), _RECORDS.c.key == bindparam("key"))


def _earlier_answer(session: Session, idem: Idempotency) -> Recorded | None:
    record = session.connection().execute(
        _EARLIER, {"user_id": idem.user_id, "key": idem.key}).first()
    if record is None:
        return None
    if record.fingerprint != idem.fingerprint:
        raise Invalid(
            "Idempotency-Key %(key)s was used for a different request; use a new key",
            code="idempotency_key_reused", key=idem.key,
        )
    return Recorded(record.status_code, json.loads(record.body))
