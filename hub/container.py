"""The composition root: what the running hub holds (settings, the database) and
the parts built on them. Each part gets its own settings object, built here from
the hub's; no part imports `hub`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Gauge

from hub.db import Engine, Sessions, make_engine, migrate, session_factory, write_session_factory
from hub.settings import HubSettings
from inventory import consignees
from inventory.hooks import stock_hooks
from kernel import audit
from kernel.leader import Leadership, postgres_lock

if TYPE_CHECKING:
    from datetime import datetime

    from alerts.notifications.senders import Sender
    from alerts.service import AlarmService
    from contract.share_slots import ShareSlots
    from ingest.service import IngestService
    from inventory.scans.consumer import ScanConsumer


class Part(Protocol):
    """A long-running part of the hub (ingest, the alarm evaluator ...)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, dict[str, object]]: ...


@dataclass
class Hub:
    settings: HubSettings
    engine: Engine
    sessions: Sessions
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # The long-running parts, typed; None when this hub runs without them (tests,
    # `stockwarden api`-style use). Started in the order of `parts()`, stopped in reverse.
    ingest: IngestService | None = None
    alarms: AlarmService | None = None
    # Excursion records for the reports (the alarm engine's, once wired); None: the
    # reports estimate excursions from the hourly statistics.
    # Books the scans gateways publish over MQTT (inventory.scans.consumer).
    scans: ScanConsumer | None = None
    # Several processes in a share group on PostgreSQL: which process consumes with
    # which MQTT client id, and the sessions of dead ones emptied (contract/share_slots.py).
    slots: ShareSlots | None = None
    # Sessions for read-modify-write use cases: serialised on SQLite.
    writes: Sessions = field(init=False)

    def __post_init__(self) -> None:
        self.writes = write_session_factory(self.engine)
        Gauge("stockwarden_stock_hook_failures", "stock hooks that raised (since start)",
              registry=self.registry).set_function(lambda: stock_hooks.failures)

    @classmethod
    def build(cls, settings: HubSettings, *, migrate_schema: bool = True) -> Hub:
        engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
        if migrate_schema:
            migrate(engine)
        audit.require_reasons_for(settings.audit_reason_required)
        consignees.require(settings.dispatch_consignee_required)
        _configure_signatures(settings)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    def parts(self) -> Iterator[tuple[str, Part]]:
        """The parts present, by name, in start order. Alarms start before ingest, so the
        first committed batch finds the evaluator ready; the share slots first and
        stopped last, so that they connect the subscribers once the parts want them."""
        if self.slots is not None:
            yield "slots", self.slots
        if self.alarms is not None:
            yield "alarms", self.alarms
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


def _configure_signatures(settings: HubSettings) -> None:
    """Which actions need an electronic signature, and the lockout wrong signing
    passwords count toward (kernel/signatures.py, hub/accounts/signing.py)."""
    from hub.accounts import signing
    from hub.accounts.lockout import LockoutPolicy
    from kernel import signatures

    signatures.configure(settings.signature_required, settings.signature_ack_severities)
    signing.configure(LockoutPolicy(settings.login_lockout_failures, settings.login_lockout_s))


def assemble(settings: HubSettings, *, alarm_sender: Sender | None = None,
             alarm_clock: Callable[[], datetime] | None = None) -> Hub:
    """The hub with all its parts, as `stockwarden hub` runs it.

    Raises `contract.errors.ConfigError` (``file: field: reason`` lines) when the alarm
    rules cannot be used: the hub refuses to start."""
    from ingest.service import IngestService
    from ingest.settings import ingest_settings

    hub = Hub.build(settings)
    hub.ingest = IngestService(ingest_settings(settings), hub.sessions, hub.registry)
    if settings.alarms_enabled:
        hub.alarms = build_alarms(hub, sender=alarm_sender, clock=alarm_clock)
        hub.ingest.on_batch(_feed_readings(hub.alarms))
        hub.ingest.on_status(_feed_status(hub.alarms))
    if settings.scan_consumer:
        hub.scans = scan_consumer(hub)
    if hub.engine.dialect.name == "postgresql" and settings.mqtt_share_group \
            and settings.mqtt_protocol == "5":
        hub.slots = share_slots(hub)
    if hub.alarms is not None:
        # The broker-session alarm, for each subscriber: ingest's and the scan consumer's.
        service = hub.alarms
        for part in (hub.ingest, hub.scans):
            if part is not None:
                part.subscriber.session_listeners.append(
                    lambda notice: service.on_broker_session(notice.client_id, notice.problem,
                                                              notice.template))
    # Settings and the rules file changed outside the hub: on the trail (after the rules
    # were loaded: a file the hub refuses is not recorded).
    from hub.start_audit import record_at_start

    record_at_start(hub)
    return hub


def build_alarms(hub: Hub, *, sender: Sender | None = None,
                 clock: Callable[[], datetime] | None = None) -> AlarmService:
    """The alarm service with its rules loaded (a bad rule file raises ConfigError)."""
    from alerts.metrics import AlarmMetrics
    from alerts.notifications.senders import AppriseSender
    from alerts.publisher import AlarmPublisher
    from alerts.service import AlarmService
    from hub.alarm_wiring import alarm_settings, alarm_sources
    from kernel.clock import utcnow

    settings = alarm_settings(hub.settings)
    publisher = None
    if settings.mqtt is not None:
        publisher = AlarmPublisher(settings.mqtt, settings.site)
    sources = alarm_sources(hub.sessions, hub.writes, hub.settings.audit_check_rows)
    service = AlarmService(settings, hub.writes, sources,
                           sender or AppriseSender(), AlarmMetrics(hub.registry, hub.sessions),
                           publisher=publisher, clock=clock or utcnow)
    service.load_rules()
    service.on_stop.append(stock_hooks.subscribe(service.on_stock_change))
    if hub.engine.dialect.name == "postgresql":
        # Every process may run the engine; the database picks one (kernel/leader.py).
        service.leadership = Leadership("alarms", postgres_lock(hub.engine, "alarms"))
    Gauge("stockwarden_alarm_leader", "1 while this hub process runs the alarm engine "
          "(leads it, or alone on SQLite)", registry=hub.registry).set_function(
        lambda: 1.0 if service.evaluator is not None and service.leads() else 0.0)
    return service


def _feed_readings(service: AlarmService) -> Callable[[object], None]:
    from hub.alarm_wiring import readings_of

    # Unchecked below: ingest's hook is typed Callable[[object], None] (ingest knows no hub
    # type); it passes a CommittedBatch.
    return lambda batch: service.on_readings(readings_of(batch))  # type: ignore[arg-type]


def _feed_status(service: AlarmService) -> Callable[[object], None]:
    from hub.alarm_wiring import status_of

    # Unchecked below: as above: the status hook passes a StatusUpdate.
    return lambda update: service.on_status(status_of(update))  # type: ignore[arg-type]


def share_slots(hub: Hub) -> ShareSlots:
    """The slots of this process's subscribers (ingest's, the scan consumer's) in the
    share group: no reading or scan waits for a dead process (docs/deploy.md)."""
    from contract.share_slots import ShareSlots
    from kernel.share_slots import postgres_slots

    slots = ShareSlots(postgres_slots(hub.engine))
    if hub.ingest is not None:
        slots.own_subscriber("ingest", hub.ingest.subscriber)
    if hub.scans is not None:
        slots.own_subscriber("scans", hub.scans.subscriber)
    return slots


def scan_consumer(hub: Hub) -> ScanConsumer:
    """The MQTT scan consumer on the hub's broker settings, with its own session."""
    from inventory.scans.consumer import ScanConsumer
    from inventory.scans.settings import scan_consumer_settings

    settings = hub.settings
    client_id = settings.scan_mqtt_client_id or f"{settings.mqtt_client_id}-scans"
    return ScanConsumer(scan_consumer_settings(settings, client_id), hub.writes, hub.registry)
