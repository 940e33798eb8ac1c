"""The composition root: what the running hub holds (settings, the database) and
the parts built on them. Each part gets its own settings object, built here from
the hub's; no part imports `hub`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, migrate, session_factory, write_session_factory
from hub.settings import HubSettings
from inventory.hooks import stock_hooks

if TYPE_CHECKING:
    from ingest.service import IngestService
    from inventory.scan_consumer import ScanConsumer


class Part(Protocol):
    """A long-running part of the hub (ingest, the alarm evaluator ...)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, dict[str, object]]: ...


@dataclass
class Hub:
    settings: HubSettings
    engine: Engine
    sessions: sessionmaker[Session]
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # The long-running parts, typed; None when this hub runs without them (tests,
    # `stockwarden api`-style use). Started in the order of `parts()`, stopped in reverse.
    ingest: IngestService | None = None
    # Books the scans gateways publish over MQTT (inventory.scan_consumer).
    scans: ScanConsumer | None = None
    # Sessions for read-modify-write use cases: serialised on SQLite.
    writes: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.writes = write_session_factory(self.engine)
        Gauge("stockwarden_stock_hook_failures", "stock hooks that raised (since start)",
              registry=self.registry).set_function(lambda: stock_hooks.failures)

    @classmethod
    def build(cls, settings: HubSettings, *, migrate_schema: bool = True) -> Hub:
        engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
        if migrate_schema:
            migrate(engine)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    def parts(self) -> Iterator[tuple[str, Part]]:
        """The parts present, by name, in start order."""
        if self.ingest is not None:
            yield "ingest", self.ingest
        if self.scans is not None:
            yield "scans", self.scans

    def start(self) -> None:
        for _name, part in self.parts():
            part.start()

    def stop(self) -> None:
        for _name, part in reversed(list(self.parts())):
            part.stop()
        self.engine.dispose()


def assemble(settings: HubSettings) -> Hub:
    """The hub with all its parts, as `stockwarden hub` runs it."""
    from ingest.service import IngestService
    from ingest.settings import ingest_settings

    hub = Hub.build(settings)
    hub.ingest = IngestService(ingest_settings(settings), hub.sessions, hub.registry)
    if settings.scan_consumer:
        hub.scans = scan_consumer(hub)
    return hub


def scan_consumer(hub: Hub) -> ScanConsumer:
    """The MQTT scan consumer on the hub's broker settings, with its own session."""
    from inventory.scan_consumer import ScanConsumer
    from inventory.scan_settings import scan_consumer_settings

    settings = hub.settings
    client_id = settings.scan_mqtt_client_id or f"{settings.mqtt_client_id}-scans"
    return ScanConsumer(scan_consumer_settings(settings, client_id), hub.writes, hub.registry)
