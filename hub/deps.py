"""FastAPI dependency aliases, so routes declare what they need."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.container import Hub

# These dependencies do no IO of their own (a session connects on first use, in the
# route's worker thread), so they are `async def`: FastAPI runs a plain `def`
# dependency through the thread pool, a hop per dependency per request.


async def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def get_session(hub: HubDep) -> AsyncIterator[Session]:
    """A session for the request; services own their transactions (kernel/uow.py)."""
    with hub.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
# The session's type, for routes that open their own (the hot booking routes): routes
# import no sqlalchemy (tests/unit/test_architecture.py).
DbSession = Session


async def get_write_session(hub: HubDep) -> AsyncIterator[Session]:
    """A session for read-modify-write use cases (serialised writers on SQLite)."""
    with hub.writes() as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]
