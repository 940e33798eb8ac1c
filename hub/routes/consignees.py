"""Consignees: the customers and receiving sites dispatches go to (master data). Every
user reads them (the handheld offers them on dispatch); supervisors create, change and
deactivate them, each change on the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from hub.auth import Supervisor
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from inventory import masterdata, queries
from inventory.schemas import ConsigneeCreate, ConsigneePublic, ConsigneeUpdate

router = APIRouter(tags=["consignees"])

PROBLEMS = {
    404: {"description": "consignee_not_found"},
    409: {"description": "consignee_exists: the code or GLN is taken"},
    422: {"description": "invalid request, or bad_gln (13 digits with a wrong check digit)"},
}


@router.get("/consignees", response_model=list[ConsigneePublic])
def list_consignees(session: SessionDep, active: Annotated[bool, Query(
        description="true: only the active ones (those a dispatch may name)")] = False,
                    ) -> list[ConsigneePublic]:
    return queries.consignees(session, active_only=active)


@router.get("/consignees/{code}", response_model=ConsigneePublic, responses=PROBLEMS)
def get_consignee(code: str, session: SessionDep) -> ConsigneePublic:
    return queries.consignee(session, code)


@router.post("/consignees", response_model=ConsigneePublic, status_code=201,
             responses=PROBLEMS)
def create_consignee(body: ConsigneeCreate, session: WriteSessionDep, user: Supervisor,
                     idem: OptionalIdempotencyDep, reason: ReasonQuery = None) -> Response:
    """A new customer or receiving site (supervisor)."""
    answer = Answer(ConsigneePublic)
    done = masterdata.create_consignee(session, body, answer.keyed(idem), actor=user,
                                       reason=reason)
    return answer.response(done)


@router.patch("/consignees/{code}", response_model=ConsigneePublic, responses=PROBLEMS)
def update_consignee(code: str, body: ConsigneeUpdate, session: WriteSessionDep,
                     user: Supervisor, idem: OptionalIdempotencyDep,
                     reason: ReasonQuery = None) -> Response:
    """Change a consignee, or deactivate it with `"active": false` (supervisor): it is
    then refused for new dispatches (422 `consignee_inactive`); its past ones stay."""
    answer = Answer(ConsigneePublic)
    done = masterdata.update_consignee(session, code, body, answer.keyed(idem), actor=user,
                                       reason=reason)
    return answer.response(done)
