"""What the alarm service gets from ingest and the inventory, built here in the
composition root: `alerts` imports neither (see alerts/sources.py). The picture
of the world (zones, sensors, latest values, stock) comes from `ingest.queries`
and `inventory.queries`; this file only translates their rows into the alarm
domain's values and runs no SQL of its own (tests/unit/test_architecture.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from alerts.engine.calibration_findings import SensorCalibration
from alerts.engine.stock_findings import ItemStock, LotStock
from alerts.model import GatewayStatus, Reading, SensorRef, StorageClassLimits, ZoneRef
from alerts.settings import AlarmSettings
from alerts.sources import AlarmSources, StockPicture, World
from contract.wire import DeviceHealth, Quality
from hub.accounts.service import service_actor
from hub.db import Session, Sessions
from hub.settings import HubSettings
from ingest import calibration as ingest_calibration
from ingest import queries as ingest_gateways
from ingest import queries as ingest_queries
from ingest.fastwire import LeanTelemetry
from ingest.hooks import CommittedBatch
from ingest.schemas import DeviceHealthPublic
from ingest.store import StatusUpdate
from inventory import queries as inventory_queries
from inventory import services as inventory_services
from kernel import audit
from kernel.actors import Actor, Role
from kernel.clock import utcnow

SYSTEM_USER = "system"


def alarm_settings(settings: HubSettings) -> AlarmSettings:
    site = settings.site or (settings.mqtt_site if settings.mqtt_site != "+" else "main")
    return AlarmSettings(
        rules_file=settings.alarm_rules, site_timezone=settings.site_timezone,
        excursion_tolerance_s=settings.excursion_tolerance_s, public_url=settings.public_url,
        language=settings.language,
        site=site, tick_s=settings.alarm_tick_s,
        mqtt=settings.mqtt.model_copy(
            update={"client_id": f"{settings.mqtt_client_id}-alarms"[:64]}),
        reconcile_s=settings.alarm_reconcile_s, stock_check_s=settings.alarm_stock_check_s,
        audit_check_s=settings.audit_check_s,
        alarm_test_interval_days=settings.alarm_test_interval_days,
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
            out.extend(readings)
        else:
            out.extend(Reading(r.sensor, r.ts, r.quantities, r.quality is good)
                       for r in readings)
    return out


def status_of(update: StatusUpdate) -> GatewayStatus:
    status = update.status
    return GatewayStatus(update.topic.gateway, update.received_at, status.state == "online",
                         status.outbox_depth, _intervals(status.devices))


def _intervals(devices: Mapping[str, DeviceHealth | DeviceHealthPublic]) -> dict[str, float]:
    """The poll interval per sensor, where the gateway's status says it."""
    return {sensor: device.poll_interval_s for sensor, device in devices.items()
            if device.poll_interval_s is not None}


# --- the sources ---------------------------------------------------------------------


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def _world(session: Session) -> World:
    classes = [StorageClassLimits(c.code, c.temp_min_c, c.temp_max_c, c.humidity_min_pct,
                                  c.humidity_max_pct, _seconds(c.excursion_tolerance_s))
               for c in inventory_queries.storage_class_limits(session)]
    zones = [ZoneRef(z.code, z.storage_class, z.name, _seconds(z.excursion_tolerance_s))
             for z in inventory_queries.zone_classes(session)]
    sensors = [SensorRef(s.sensor, s.zone, None, s.gateway)
               for s in ingest_queries.sensor_placements(session)]
    gateways = [g.id for g in ingest_gateways.list_gateways(session)]
    return World(tuple(zones), tuple(classes), tuple(sensors), tuple(gateways))


def _latest(session: Session) -> list[Reading]:
    return [Reading(v.sensor, v.ts, v.quantities) for v in ingest_queries.latest_values(session)]


def _statuses(session: Session) -> list[GatewayStatus]:
    return [GatewayStatus(g.id, g.last_seen, g.state == "online", g.outbox_depth or 0,
                          _intervals(g.devices))
            for g in ingest_gateways.list_gateways(session)
            if g.state in ("online", "offline") and g.last_seen is not None]


def _stock(session: Session) -> StockPicture:
    lots = [LotStock(lot.lot_number, lot.sku, lot.expiry, lot.on_hand, lot.item_name, lot.zone)
            for lot in inventory_queries.lots_on_hand_with_expiry(session)]
    items = [ItemStock(i.sku, i.on_hand, i.min_stock or None, i.max_stock, i.name)
             for i in inventory_queries.items_with_stock_limits(session)]
    return StockPicture(lots, items)


def _calibration(session: Session) -> list[SensorCalibration]:
    status = list(ingest_calibration.all_sensor_status(session, utcnow()))
    zones = ingest_calibration.sensor_zones(session, [found.sensor for found in status])
    out = []
    for found in status:
        last, applied = found.last, found.applied
        out.append(SensorCalibration(
            found.sensor, zones.get(found.sensor), last.certificate if last else None,
            last.next_due if last else None, last.offset if last else None,
            applied.calibration if applied else None, found.mismatch))
    return out


def system_actor(session: Session) -> Actor:
    """The `system` user the alarm engine acts as: a supervisor without a password."""
    return replace(service_actor(session, SYSTEM_USER, Role.SUPERVISOR), via="alarm engine")


def alarm_sources(sessions: Sessions, writes: Sessions, audit_rows: int = 1000
                  ) -> AlarmSources:
    def read(function):
        def call():
            with sessions() as session:
                return function(session)
        return call

    def hold_lots(zone: str, reason: str) -> list[str]:
        with writes() as session:
            actor = system_actor(session)
            done = inventory_services.hold_lots_in_zone(session, zone, reason[:500], actor)
            return [held.lot_number for held in done.value or []]

    def audit_chain(session: Session) -> str | None:
        broken = audit.verify(session, last=audit_rows).broken
        return str(broken) if broken is not None else None

    return AlarmSources(world=read(_world), latest_readings=read(_latest),
                        gateway_statuses=read(_statuses), stock=read(_stock),
                        hold_lots=hold_lots, audit_chain=read(audit_chain),
                        calibration=read(_calibration))
