"""Sensor master data: register, name, assign to a zone and move to another
gateway (admin), each in the one unit of work, which retries the lock conflicts a
busy ingest causes on SQLite and answers `Busy` when they persist. Ingest itself
registers unknown sensors unassigned (ingest/store.py).

A sensor belongs to one gateway: the first to report it, or the one given here.
Ingest refuses another gateway's readings for it (docs/wire-contract.md), so
moving it is an admin's decision, logged with who and from where to where until
the audit trail records it."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from contract.wire import ID_PATTERN, GatewayId
from ingest.orm import Sensor
from ingest.queries import SensorView, get_sensor, zone_by_code
from kernel.actors import Actor
from kernel.errors import Conflict, Invalid, NotFound
from kernel.fields import KEEP_OR_SET, NULL_CLEARS, refuse_null
from kernel.uow import Done, Idempotency, run_write

log = logging.getLogger(__name__)

_GATEWAY = ("the gateway whose readings of this sensor are taken; another gateway's "
            "are dead letters")


class SensorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field("", max_length=128)
    zone: str | None = Field(None, description="zone code; null or left out: unassigned")
    gateway: GatewayId | None = Field(
        None, description=f"{_GATEWAY}; null or left out: the first gateway to report it")


class SensorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=128, description=KEEP_OR_SET)
    zone: str | None = Field(None, description=f"assign to this zone code; {NULL_CLEARS} "
                                               "(takes the sensor out of its zone)")
    unassign: bool = Field(False, description="take the sensor out of its zone")
    gateway: GatewayId | None = Field(None, description=f"move the sensor to this gateway: "
                                                        f"{_GATEWAY}; {KEEP_OR_SET}")

    _not_null = field_validator("name", "gateway", mode="before")(refuse_null)


def register_sensor(session: Session, body: SensorCreate,
                    idem: Idempotency | None = None) -> Done[SensorView]:
    def work() -> SensorView:
        if session.get(Sensor, body.id) is not None:
            raise Conflict(f"sensor {body.id} is registered already", code="sensor_exists")
        zone_id = zone_by_code(session, body.zone).id if body.zone else None
        session.add(Sensor(id=body.id, name=body.name, zone_id=zone_id, gateway=body.gateway))
        session.flush()
        return get_sensor(session, body.id)

    return run_write(session, work, idempotency=idem, creates=True)


def update_sensor(session: Session, sensor_id: str, body: SensorUpdate, actor: Actor,
                  idem: Idempotency | None = None) -> Done[SensorView]:
    changes = body.model_dump(exclude_unset=True)
    moved: list[tuple[str | None, str]] = []  # the committed attempt's (before, after)
    unassign = body.unassign or ("zone" in changes and changes["zone"] is None)
    if body.zone is not None and body.unassign:
        raise Invalid("give a zone or unassign, not both", code="zone_and_unassign")

    def work() -> SensorView:
        sensor = session.get(Sensor, sensor_id)
        if sensor is None:
            raise NotFound(f"no sensor {sensor_id}", code="sensor_not_found")
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
        return get_sensor(session, sensor_id)

    done = run_write(session, work, idempotency=idem)
    if moved and not done.replayed:
        # No audit trail yet (a later issue adds one, and records this there): the
        # log is the record, one structured line per move; a warning, so that a hub
        # logging only warnings keeps it too.
        before, after = moved[0]
        log.warning("sensor moved to another gateway", extra={
            "event": "sensor_gateway_changed", "sensor": sensor_id, "actor": actor.username,
            "actor_id": actor.user_id, "before": before, "after": after})
    return done
