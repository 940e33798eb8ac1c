"""What the alarm service gets from ingest and the inventory, built here in the
composition root: `alerts` imports neither (see alerts/sources.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts import queries as alarm_queries
from alerts.model import GatewayStatus, Reading, SensorRef, StorageClassLimits, ZoneRef
from alerts.settings import AlarmSettings
from alerts.sources import AlarmSources, StockPicture, World
from alerts.stock_rules import ItemStock, LotStock
from contract.wire import Quality
from hub.accounts import create_user
from hub.settings import HubSettings
from ingest import gateways as ingest_gateways
from ingest.compliance import ExcursionRecord
from ingest.fastwire import LeanTelemetry
from ingest.hooks import CommittedBatch
from ingest.orm import LatestReading, Sensor
from ingest.store import StatusUpdate
from inventory import services as inventory_services
from inventory.orm import Balance, Item, Location, Lot
from kernel.actors import Actor, Role
from kernel.orm import StorageClass, User, Zone
from kernel.uow import run_write

SYSTEM_USER = "system"


def alarm_settings(settings: HubSettings) -> AlarmSettings:
    site = settings.site or (settings.mqtt_site if settings.mqtt_site != "+" else "main")
    return AlarmSettings(
        rules_file=settings.alarm_rules, site_timezone=settings.site_timezone,
        excursion_tolerance_s=settings.excursion_tolerance_s, public_url=settings.public_url,
        site=site, mqtt_url=settings.mqtt_url, mqtt_protocol=settings.mqtt_protocol,
        mqtt_client_id=f"{settings.mqtt_client_id}-alarms"[:64], tick_s=settings.alarm_tick_s,
        reconcile_s=settings.alarm_reconcile_s, stock_check_s=settings.alarm_stock_check_s,
        notify_attempts=settings.alarm_notify_attempts,
        notify_backoff_s=settings.alarm_notify_backoff_s)


# --- ingest's hook events as the alarm domain's observations ------------------------


def readings_of(batch: CommittedBatch) -> list[Reading]:
    """The batch's readings as the alarm engine reads them. The fast decoder's readings
    have its fields already (sensor, ts, quantities, good) and go as they are: a copy
    per reading was a tenth of ingest's CPU."""
    good = Quality.GOOD
    out: list[Reading] = []
    for accepted in batch.messages:
        readings = accepted.message.readings
        if isinstance(accepted.message, LeanTelemetry):
            out.extend(readings)  # type: ignore[arg-type]
        else:
            out.extend(Reading(r.sensor, r.ts, r.quantities, r.quality is good)
                       for r in readings)
    return out


def status_of(update: StatusUpdate) -> GatewayStatus:
    status = update.status
    return GatewayStatus(update.topic.gateway, update.received_at, status.state == "online",
                         status.outbox_depth)


# --- the sources ---------------------------------------------------------------------


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def _world(session: Session) -> World:
    classes = [StorageClassLimits(c.code, c.temp_min_c, c.temp_max_c, c.humidity_min_pct,
                                  c.humidity_max_pct, _seconds(c.excursion_tolerance_s))
               for c in session.scalars(select(StorageClass).order_by(StorageClass.code))]
    zones = [ZoneRef(z.code, z.storage_class.code if z.storage_class else None, z.name,
                     _seconds(z.excursion_tolerance_s))
             for z in session.scalars(select(Zone).order_by(Zone.code))]
    # Columns, not ORM entities: with 100,000 sensors the entities were the hub's peak
    # memory, every reconcile.
    sensors = [SensorRef(sensor, zone, None, gateway) for sensor, zone, gateway in session.execute(
        select(Sensor.id, Zone.code, Sensor.gateway).outerjoin(Zone, Sensor.zone_id == Zone.id)
        .order_by(Sensor.id))]
    gateways = [g.id for g in ingest_gateways.list_gateways(session)]
    return World(tuple(zones), tuple(classes), tuple(sensors), tuple(gateways))


def _latest(session: Session) -> list[Reading]:
    grouped: dict[tuple[str, datetime], dict[str, float]] = defaultdict(dict)
    for sensor, ts, quantity, value in session.execute(
            select(LatestReading.sensor_id, LatestReading.ts, LatestReading.quantity,
                   LatestReading.value)
            .join(Sensor, Sensor.id == LatestReading.sensor_id)
            .order_by(LatestReading.sensor_id, LatestReading.quantity)):
        grouped[(sensor, ts)][quantity] = value
    return [Reading(sensor, ts, quantities) for (sensor, ts), quantities in
            sorted(grouped.items(), key=lambda item: item[0][1])]


def _statuses(session: Session) -> list[GatewayStatus]:
    return [GatewayStatus(g.id, g.last_seen, g.state == "online", g.outbox_depth or 0)
            for g in ingest_gateways.list_gateways(session)
            if g.state in ("online", "offline") and g.last_seen is not None]


def _stock(session: Session) -> StockPicture:
    lot_rows = session.execute(
        select(Lot.lot_number, Item.sku, Item.name, Lot.expiry, func.sum(Balance.quantity),
               func.min(Zone.code))
        .join(Item, Item.id == Lot.item_id)
        .join(Balance, Balance.lot_id == Lot.id)
        .join(Location, Location.id == Balance.location_id)
        .join(Zone, Zone.id == Location.zone_id)
        .where(Balance.quantity > 0, Lot.expiry.is_not(None))
        .group_by(Lot.id, Lot.lot_number, Item.sku, Item.name, Lot.expiry))
    lots = [LotStock(number, sku, expiry, float(on_hand), name, zone)
            for number, sku, name, expiry, on_hand, zone in lot_rows]
    on_hand = dict(session.execute(select(Balance.item_id, func.sum(Balance.quantity))
                                   .group_by(Balance.item_id)).all())
    items = [ItemStock(i.sku, float(on_hand.get(i.id) or 0), i.min_stock or None, i.max_stock,
                       i.name)
             for i in session.scalars(select(Item).where(
                 (Item.min_stock > 0) | Item.max_stock.is_not(None)))]
    return StockPicture(lots, items)


def system_actor(session: Session) -> Actor:
    """The `system` user the alarm engine acts as: a supervisor without a password,
    so nobody can log in as it. Created on first use."""

    def work() -> Actor:
        user = session.scalar(select(User).where(User.username == SYSTEM_USER))
        if user is None:
            user = create_user(session, SYSTEM_USER, Role.SUPERVISOR)
        return Actor(user.id, user.username, Role(user.role))

    return run_write(session, work).get()


def alarm_sources(sessions: sessionmaker[Session], writes: sessionmaker[Session]
                  ) -> AlarmSources:
    def read(function):  # type: ignore[no-untyped-def]
        def call():  # type: ignore[no-untyped-def]
            with sessions() as session:
                return function(session)
        return call

    def hold_lots(zone: str, reason: str) -> list[str]:
        with writes() as session:
            actor = system_actor(session)
            done = inventory_services.hold_lots_in_zone(session, zone, reason[:500], actor)
            return [held.lot_number for held in done.value or []]

    return AlarmSources(world=read(_world), latest_readings=read(_latest),
                        gateway_statuses=read(_statuses), stock=read(_stock),
                        hold_lots=hold_lots)


class AlarmExcursions:
    """The alarm engine's excursion records, for the compliance reports: exact
    start, end and time out of range instead of the hourly estimate."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def excursions(self, zone: str, start: datetime, end: datetime) -> list[ExcursionRecord]:
        with self.sessions() as session:
            rows = alarm_queries.excursions(session, zone=zone, start=start, end=end,
                                            limit=alarm_queries.MAX_ROWS)
        return [ExcursionRecord(r.sensor, r.quantity, r.zone, r.start, r.end, r.peak,
                                r.side, r.above_s, r.below_s)  # type: ignore[arg-type]
                for r in reversed(rows)]  # oldest first
