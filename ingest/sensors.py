"""Sensor master data: register, name and assign to a zone (admin), each in the
one unit of work, which retries the lock conflicts a busy ingest causes on SQLite
and answers `Busy` when they persist. Ingest itself registers unknown sensors
unassigned (ingest/store.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from edge.wire import ID_PATTERN
from ingest.orm import Sensor
from ingest.queries import SensorView, get_sensor, zone_by_code
from kernel.errors import Conflict, Invalid, NotFound
from kernel.fields import KEEP_OR_SET, NULL_CLEARS, refuse_null
from kernel.uow import Done, Idempotency, run_write


class SensorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field("", max_length=128)
    zone: str | None = Field(None, description="zone code; null or left out: unassigned")


class SensorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=128, description=KEEP_OR_SET)
    zone: str | None = Field(None, description=f"assign to this zone code; {NULL_CLEARS} "
                                               "(takes the sensor out of its zone)")
    unassign: bool = Field(False, description="take the sensor out of its zone")

    _not_null = field_validator("name", mode="before")(refuse_null)


def register_sensor(session: Session, body: SensorCreate,
                    idem: Idempotency | None = None) -> Done[SensorView]:
    def work() -> SensorView:
        if session.get(Sensor, body.id) is not None:
            raise Conflict(f"sensor {body.id} is registered already", code="sensor_exists")
        zone_id = zone_by_code(session, body.zone).id if body.zone else None
        session.add(Sensor(id=body.id, name=body.name, zone_id=zone_id))
        session.flush()
        return get_sensor(session, body.id)

    return run_write(session, work, idempotency=idem, creates=True)


def update_sensor(session: Session, sensor_id: str, body: SensorUpdate,
                  idem: Idempotency | None = None) -> Done[SensorView]:
    changes = body.model_dump(exclude_unset=True)
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
        session.flush()
        return get_sensor(session, sensor_id)

    return run_write(session, work, idempotency=idem)
