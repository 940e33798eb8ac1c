"""Zones: rooms or areas with one storage class, hazardous or not (admin master data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from hub.accounts.signing import SIGNED, signer_for
from hub.auth import CurrentUser, IdempotencyDep, Supervisor, require_role
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from inventory import masterdata, queries, services
from inventory.schemas import LotStatusPublic, ZoneCreate, ZonePublic, ZoneUpdate
from kernel.actors import Role
from kernel.signatures import LIMITS

router = APIRouter(tags=["zones"])
admin_only = [Depends(require_role(Role.ADMIN))]


@router.get("/zones", response_model=list[ZonePublic])
def list_zones(session: SessionDep) -> list[ZonePublic]:
    return queries.zones(session)


@router.get("/zones/{code}", response_model=ZonePublic)
def get_zone(code: str, session: SessionDep) -> ZonePublic:
    return queries.zone(session, code)


@router.post("/zones", response_model=ZonePublic, status_code=201, dependencies=admin_only)
def create_zone(
    body: ZoneCreate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(ZonePublic)
    done = masterdata.create_zone(session, body, answer.keyed(idem),
        actor=user, reason=reason)
    return answer.response(done)


class HoldLots(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500, examples=["excursion to 14 °C for 3 h"])


@router.post("/zones/{code}/hold-lots", response_model=list[LotStatusPublic])
def hold_lots(code: str, body: HoldLots, session: WriteSessionDep, user: Supervisor,
              idem: IdempotencyDep) -> Response:
    """Put every released lot with stock in the zone on hold (supervisor), e.g. after
    a critical temperature excursion; quality then releases or rejects each lot."""
    answer = Answer(_HeldLots)
    done = services.hold_lots_in_zone(session, code, body.reason, user, answer.keyed(idem))
    return answer.response(done)


class _HeldLots(RootModel[list[LotStatusPublic]]):
    """The service's list as one model, as `Answer` takes (the route still answers
    the list)."""


@router.patch("/zones/{code}", response_model=ZonePublic, dependencies=admin_only,
              responses=SIGNED)
def update_zone(
    code: str, body: ZoneUpdate, session: WriteSessionDep, idem: OptionalIdempotencyDep,
    user: CurrentUser, reason: ReasonQuery = None,
) -> Response:
    answer = Answer(ZonePublic)
    # A change of limits or tolerance is signed: proven here, required by the use case
    # when the change turns out to touch them (kernel/signatures.py).
    signer = signer_for(session, user, body.signature, LIMITS, needed=False)
    done = masterdata.update_zone(session, code, body, answer.keyed(idem),
        actor=user, reason=reason, signer=signer)
    return answer.response(done)
