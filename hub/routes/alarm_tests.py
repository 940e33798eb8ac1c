"""The alarm path challenge over the API: a supervisor sends a test alarm through
every route (or one route, or one recipient group), and every role reads the tests
and their recipients' results (docs/alerts.md, "Testing the alarm paths").

Listed in `API_ROUTERS` before the alarms router: `/alarms/tests` must not be taken
for an alarm's id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from alerts.challenge import queries
from alerts.challenge.schemas import AlarmTestPublic, AlarmTestRequest
from hub.auth import Supervisor
from hub.deps import SessionDep
from hub.routes.alarms import ServiceDep
from hub.routes.common import Answer, OptionalIdempotencyDep, PathId
from kernel.fields import IsoDateTime

router = APIRouter(tags=["alarms"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "alarm_test_not_found"},
    422: {"description": "unknown_route, unknown_group, no_recipients, or an invalid body"},
    503: {"description": "alarms_not_running: this hub runs without the alarm engine"},
}


@router.post("/alarms/test", response_model=AlarmTestPublic, status_code=201,
             responses=PROBLEMS)
def send_test(body: AlarmTestRequest, service: ServiceDep,
              user: Supervisor, idem: OptionalIdempotencyDep) -> Response:
    """Send a test alarm (supervisor): one message per recipient of every route, or of
    `route`, or of the recipient `group`, through the same path as real alarms. Each
    message says it is a test, names its route and recipient and carries a confirm link.
    Answered at once with the recipients `queued`; the leading hub process sends them
    within a second (`GET /alarms/tests/{id}` shows each delivered or failed)."""
    answer = Answer(AlarmTestPublic)
    return answer.response(service.tests.request(user, body, answer.keyed(idem)))


@router.get("/alarms/tests", response_model=list[AlarmTestPublic])
def list_tests(session: SessionDep,
               start: Annotated[IsoDateTime | None, Query(alias="from")] = None,
               end: Annotated[IsoDateTime | None, Query(alias="to")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AlarmTestPublic]:
    """Tests asked for in the period (UTC), newest first, with each recipient's result."""
    return queries.list_tests(session, start=start, end=end, limit=limit)


@router.get("/alarms/tests/{test_id}", response_model=AlarmTestPublic, responses=PROBLEMS)
def get_test(test_id: PathId, session: SessionDep) -> AlarmTestPublic:
    return queries.get_test(session, test_id)
