"""What the running hub holds: settings, the database and the parts built on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, migrate, session_factory
from hub.settings import HubSettings


@dataclass
class Hub:
    settings: HubSettings
    engine: Engine
    sessions: sessionmaker[Session]
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # Long-running parts (ingest, alarm evaluator ...) by name; each has start() and stop().
    parts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: HubSettings, *, migrate_schema: bool = True) -> Hub:
        engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
        if migrate_schema:
            migrate(engine)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    def start(self) -> None:
        for part in self.parts.values():
            part.start()

    def stop(self) -> None:
        for part in reversed(list(self.parts.values())):
            part.stop()
        self.engine.dispose()


def assemble(settings: HubSettings) -> Hub:
    """The hub with all its parts, as `stockwarden hub` runs it."""
    from ingest.service import IngestService

    hub = Hub.build(settings)
    hub.parts["ingest"] = IngestService(settings, hub.sessions, hub.registry)
    return hub
