"""Helpers shared by the API routers: answers of the unit of work, lookups by
code, and the optional idempotency key of master-data changes."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import CurrentUser, idempotency
from inventory.errors import Conflict
from inventory.masterdata import by_code
from inventory.orm import Base
from inventory.uow import Answer, Idempotency

M = TypeVar("M", bound=Base)


def respond(answer: Answer) -> JSONResponse:
    """The unit of work's answer as HTTP; a replay says so in a header."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def optional_idempotency(
    request: Request,
    actor: CurrentUser,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Idempotency | None:
    if key is None:
        return None
    return await idempotency(request, actor, key)


__all__ = ["OptionalIdempotencyDep", "by_code", "refuse_duplicate", "respond"]

OptionalIdempotencyDep = Annotated[Idempotency | None, Depends(optional_idempotency)]


def refuse_duplicate(session: Session, model: type[M], what: str, **unique: Any) -> None:
    for column, value in unique.items():
        if value is not None and session.scalar(
            select(model).where(getattr(model, column) == value)
        ):
            raise Conflict(f"{what} with {column} {value} exists already",
                           code=f"{what.replace(' ', '_')}_exists")
