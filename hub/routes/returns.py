"""Returns: goods back from customers are held in their bin until a supervisor
inspects them; the rest of the lot stays available."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hub.auth import CurrentUser, IdempotencyDep, Supervisor
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, PathId
from hub.routes.moves import PROBLEMS
from inventory import returns, services
from inventory.commands import Return
from inventory.schemas import Inspection, ReturnBookingPublic, ReturnPublic

router = APIRouter(tags=["returns"])


@router.post("/returns", response_model=ReturnBookingPublic, status_code=201,
             responses=PROBLEMS)
def return_goods(body: Return, session: WriteSessionDep, user: CurrentUser,
                 idem: IdempotencyDep) -> Response:
    """Goods back from a customer (same body as `POST /moves/return`): booked into the
    bin and held there for inspection unless `quarantine` is false, which only a
    supervisor or admin may send (an operator's is 403 `return_inspection_required`,
    nothing booked)."""
    answer = Answer(ReturnBookingPublic)
    done = services.return_goods(session, body, user, answer.keyed(idem))
    return answer.response(done)


@router.get("/returns/pending", response_model=list[ReturnPublic])
def pending(session: SessionDep, _user: CurrentUser) -> list[ReturnPublic]:
    """Returns awaiting inspection, oldest first."""
    return returns.pending(session)


@router.get("/returns/{return_id}", response_model=ReturnPublic, responses=PROBLEMS)
def get_return(return_id: PathId, session: SessionDep, _user: CurrentUser) -> ReturnPublic:
    return returns.get(session, return_id)


@router.post("/returns/{return_id}/inspect", response_model=ReturnPublic, responses=PROBLEMS)
def inspect(return_id: PathId, body: Inspection, session: WriteSessionDep, user: Supervisor,
            idem: IdempotencyDep) -> Response:
    """Release the held units into stock, or reject them (written off by an `adjust`
    move, reference `return:<id>`); who, when and why are recorded."""
    answer = Answer(ReturnPublic)
    done = returns.inspect(session, return_id, body, user, answer.keyed(idem))
    return answer.response(done)
