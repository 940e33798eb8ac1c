"""Stocktakes: a supervisor opens a count of a zone or some bins; operators count
(here, or with `POST /scan` mode `count`, or `POST /moves/count`) without seeing
the book quantities; a supervisor reads the variances, asks for recounts, and
approves (the adjustments are posted) or cancels (nothing is posted)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from hub.accounts.signing import SIGNED, signer_for
from hub.auth import CurrentUser, IdempotencyDep, Supervisor
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, PathId
from inventory.stocktakes import queries as stocktake_queries
from inventory.stocktakes import service as stocktake
from inventory.stocktakes.domain import StocktakeStatus
from inventory.stocktakes.schemas import (
    ApproveRequest,
    CancelRequest,
    CountEntry,
    OpenStocktake,
    RecountRequest,
    StocktakePublic,
    VarianceReportPublic,
)
from kernel.signatures import STOCKTAKE_APPROVAL

router = APIRouter(tags=["stocktakes"])

PROBLEMS = {
    404: {"description": "unknown stocktake, item, lot, zone or location"},
    409: {"description": "the stocktake's state does not allow it (named in `error`)"},
    422: {"description": "invalid request, e.g. bin_not_in_stocktake"},
    503: {"description": "busy_retry: send the same request again"},
}


one = {"response_model": StocktakePublic, "responses": PROBLEMS}


@router.post("/stocktakes", status_code=201, **one)
def open_stocktake(body: OpenStocktake, session: WriteSessionDep, user: Supervisor,
                   idem: IdempotencyDep) -> Response:
    """Open a count of a zone (`zone`) or of bins (`locations`); blind by default."""
    answer = Answer(StocktakePublic)
    done = stocktake.open_stocktake(session, body, user, answer.keyed(idem))
    return answer.response(done)


@router.get("/stocktakes", response_model=list[StocktakePublic])
def list_stocktakes(session: SessionDep, _user: CurrentUser,
                    status: StocktakeStatus | None = None,
                    limit: int = Query(100, ge=1, le=1000)) -> list[StocktakePublic]:
    """Newest first, without their lines."""
    return stocktake_queries.list_stocktakes(session, status, limit)


@router.get("/stocktakes/{stocktake_id}", **one)
def get_stocktake(stocktake_id: PathId, session: SessionDep,
                  user: CurrentUser) -> StocktakePublic:
    """The stocktake and its lines; book quantities are null for operators when blind."""
    return stocktake_queries.get(session, stocktake_id, user)


@router.post("/stocktakes/{stocktake_id}/counts", status_code=201, **one)
def count(stocktake_id: PathId, body: CountEntry, session: WriteSessionDep, user: CurrentUser,
          idem: IdempotencyDep) -> Response:
    """Record a count of one lot in one bin; books nothing. The answer shows that line
    (without the book quantity)."""
    answer = Answer(StocktakePublic)
    done = stocktake.record_count(session, stocktake_id, body, user, answer.keyed(idem))
    return answer.response(done)


@router.post("/stocktakes/{stocktake_id}/recount", **one)
def request_recount(stocktake_id: PathId, body: RecountRequest, session: WriteSessionDep,
                    user: Supervisor, idem: IdempotencyDep) -> Response:
    """Reopen counted lines (by id); their next count wins, the history is kept."""
    answer = Answer(StocktakePublic)
    done = stocktake.request_recount(session, stocktake_id, body, user, answer.keyed(idem))
    return answer.response(done)


@router.get("/stocktakes/{stocktake_id}/variances", response_model=VarianceReportPublic,
            responses=PROBLEMS)
def variances(stocktake_id: PathId, session: SessionDep,
              _user: Supervisor) -> VarianceReportPublic:
    """Per lot and bin: book at the count, counted, difference, moves since the
    count, and value where the item has a unit cost."""
    return stocktake_queries.variance_report(session, stocktake_id)


@router.post("/stocktakes/{stocktake_id}/approve", response_model=StocktakePublic,
             responses={**PROBLEMS, **SIGNED})
def approve(stocktake_id: PathId, session: WriteSessionDep, user: Supervisor,
            idem: IdempotencyDep, body: ApproveRequest | None = None) -> Response:
    """Post a `count` move (reference `stocktake:<id>`) for every line with a difference.
    Signed: `signature` with the password and its meaning (`approved` or `reviewed`)."""
    answer = Answer(StocktakePublic)
    signer = signer_for(session, user, body.signature if body else None,
                        STOCKTAKE_APPROVAL)
    done = stocktake.approve(session, stocktake_id, user, answer.keyed(idem), signer=signer)
    return answer.response(done)


@router.post("/stocktakes/{stocktake_id}/cancel", **one)
def cancel(stocktake_id: PathId, body: CancelRequest, session: WriteSessionDep, user: Supervisor,
           idem: IdempotencyDep) -> Response:
    """Close without posting anything."""
    answer = Answer(StocktakePublic)
    done = stocktake.cancel(session, stocktake_id, body, user, answer.keyed(idem))
    return answer.response(done)
