"""FastAPI dependency aliases, so routes declare what they need."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.container import Hub


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_session(hub: HubDep) -> Iterator[Session]:
    """A session for the request; services own their transactions (`with session.begin()`)."""
    with hub.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_write_session(hub: HubDep) -> Iterator[Session]:
    """A session for read-modify-write use cases (serialised writers on SQLite)."""
    with hub.writes() as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]
