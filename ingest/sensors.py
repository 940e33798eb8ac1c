"""Sensor master data: register, name, assign to a zone and move to another
gateway (admin), each in the one unit of work, which retries the lock conflicts a
busy ingest causes on SQLite and answers `Busy` when they persist. Ingest itself
registers unknown sensors unassigned (ingest/store.py).

A sensor belongs to one gateway: the first to report it, or the one given here.
Ingest refuses another gateway's readings for it (docs/wire-contract.md), so
moving it is an admin's decision. Every change is on the audit trail (kernel/audit.py)
with who, before and after; a change of zone (which lots an excursion holds) needs a
reason when the site says so. A move to another gateway is logged too."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ingest import repository as repo
from ingest.queries import get_sensor, zone_by_code
from ingest.schemas import SensorCreate, SensorPublic, SensorUpdate
from kernel import audit
from kernel.actors import Actor
from kernel.audit_chain import SENSOR_ZONE
from kernel.errors import Conflict, Invalid, NotFound
from kernel.uow import Done, Idempotency, unit_of_work

log = logging.getLogger(__name__)


@unit_of_work(creates=True)
def register_sensor(session: Session, body: SensorCreate, idem: Idempotency | None = None,
                    *, actor: Actor | None = None, reason: str | None = None) -> SensorPublic:
    if repo.sensor(session, body.id) is not None:
        raise Conflict("sensor %(id)s is registered already", code="sensor_exists", id=body.id)
    zone_id = zone_by_code(session, body.zone).id if body.zone else None
    repo.add_sensor(session, body.id, body.name, zone_id, body.gateway)
    created = get_sensor(session, body.id)
    audit.record(session, actor, "create", "sensor", body.id, None,
                 created.model_dump(mode="json", include=_AUDITED), reason)
    return created


# What the trail keeps of a sensor: what an admin sets (not when it was last seen).
_AUDITED = {"name", "zone", "gateway"}


def update_sensor(session: Session, sensor_id: str, body: SensorUpdate, actor: Actor,
                  idem: Idempotency | None = None, reason: str | None = None
                  ) -> Done[SensorPublic]:
    changes = body.model_dump(exclude_unset=True)
    moved: list[tuple[str | None, str]] = []  # the committed attempt's (before, after)
    unassign = body.unassign or ("zone" in changes and changes["zone"] is None)
    if body.zone is not None and body.unassign:
        raise Invalid("give a zone or unassign, not both", code="zone_and_unassign")
    done = _update_sensor(session, sensor_id, body, unassign, moved, idem, actor, reason)
    if moved and not done.replayed:
        # On the audit trail too; the log line stays for those who watch the log (a
        # warning, so that a hub logging only warnings keeps it too).
        before, after = moved[0]
        log.warning("sensor moved to another gateway", extra={
            "event": "sensor_gateway_changed", "sensor": sensor_id, "actor": actor.username,
            "actor_id": actor.user_id, "before": before, "after": after})
    return done


@unit_of_work()
def _update_sensor(session: Session, sensor_id: str, body: SensorUpdate, unassign: bool,
                   moved: list[tuple[str | None, str]], idem: Idempotency | None,
                   actor: Actor, reason: str | None) -> SensorPublic:
    """`moved` gets the committed attempt's gateway change, for the log after commit."""
    sensor = repo.sensor(session, sensor_id)
    if sensor is None:
        raise NotFound("no sensor %(sensor_id)s", code="sensor_not_found", sensor_id=sensor_id)
    before = get_sensor(session, sensor_id).model_dump(mode="json", include=_AUDITED)
    if body.name is not None:
        sensor.name = body.name
    if body.zone is not None:
        sensor.zone_id = zone_by_code(session, body.zone).id
    if unassign:
        sensor.zone_id = None
    moved.clear()  # a retried attempt reads the gateway again
    if body.gateway is not None and body.gateway != sensor.gateway:
        moved.append((sensor.gateway, body.gateway))
        sensor.gateway = body.gateway
    session.flush()
    after = get_sensor(session, sensor_id)
    fields = after.model_dump(mode="json", include=_AUDITED)
    audit.record(session, actor, "update", "sensor", sensor_id, before, fields, reason,
                 kinds=audit.kinds_changed(before, fields, {SENSOR_ZONE: ["zone"]}))
    return after
