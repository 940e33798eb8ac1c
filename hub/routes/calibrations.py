"""A sensor's calibration records (supervisor: enter and list certificates) and the
changes of what its gateway applies (profile, offsets), as its statuses said."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hub.auth import Supervisor
from hub.deps import HubDep, SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep
from ingest import calibration
from ingest.schemas import AppliedSettingsPublic, CalibrationCreate, CalibrationPublic

router = APIRouter(tags=["calibration"])


@router.post("/sensors/{sensor_id}/calibrations", response_model=CalibrationPublic,
             status_code=201)
def add_calibration(sensor_id: str, body: CalibrationCreate, session: WriteSessionDep,
                    user: Supervisor, hub: HubDep, idem: OptionalIdempotencyDep) -> Response:
    """Enter a calibration certificate (supervisor). Its `offset` is what the sensor's
    gateway must apply: a gateway reporting another raises a warning alarm."""
    answer = Answer(CalibrationPublic)
    done = calibration.add_calibration(session, sensor_id, body, user, answer.keyed(idem))
    if hub.alarms is not None:
        hub.alarms.on_stock_change()  # wakes the findings' check: due dates, mismatch
    return answer.response(done)


@router.get("/sensors/{sensor_id}/calibrations", response_model=list[CalibrationPublic])
def list_calibrations(sensor_id: str, session: SessionDep, _user: Supervisor
                      ) -> list[CalibrationPublic]:
    """The sensor's calibrations, oldest first (supervisor)."""
    return calibration.calibrations(session, sensor_id)


@router.get("/sensors/{sensor_id}/applied-settings", response_model=list[AppliedSettingsPublic])
def applied_settings(sensor_id: str, session: SessionDep) -> list[AppliedSettingsPublic]:
    """Each change of the profile and calibration offsets the sensor's gateway applies,
    with when its status first said so, oldest first."""
    return calibration.applied_history(session, sensor_id)
