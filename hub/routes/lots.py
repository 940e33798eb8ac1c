"""Lots: list, quality status changes (supervisor) and the trace of a lot."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from hub.accounts.signing import SIGNED, signer_for
from hub.auth import IdempotencyDep, Supervisor
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, PathId
from inventory import queries, services
from inventory.commands import QcChange, QcChangeMany
from inventory.domain import QcStatus
from inventory.qc_signing import qc_action
from inventory.schemas import (
    LotDetailPublic,
    LotPublic,
    LotStatusesPublic,
    LotStatusPublic,
    TracePublic,
)
from kernel.fields import MAX_OFFSET, IsoDate

router = APIRouter(tags=["lots"])
LotId = PathId


@router.get("/lots", response_model=list[LotPublic])
def list_lots(
    session: SessionDep,
    item: str | None = Query(None, description="SKU or GTIN"),
    qc_status: QcStatus | None = None,
    expiring_before: IsoDate | None = None,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[LotPublic]:
    return queries.lots(session, item, qc_status.value if qc_status else None,
                        expiring_before, limit, offset)


@router.get("/lots/{lot_id}", response_model=LotDetailPublic)
def get_lot(lot_id: LotId, session: SessionDep) -> LotDetailPublic:
    return queries.lot(session, lot_id)


@router.get("/lots/{lot_id}/trace", response_model=TracePublic)
def trace_lot(lot_id: LotId, session: SessionDep) -> TracePublic:
    """Every move of the lot, who made it, its quality history and where it is now."""
    return queries.trace_lot(session, lot_id)


@router.post("/lots/{lot_id}/qc-status", response_model=LotStatusPublic, responses=SIGNED)
def change_qc_status(lot_id: LotId, body: QcChange, session: WriteSessionDep, user: Supervisor,
                     idem: IdempotencyDep) -> Response:
    """Release, hold, reject or recall a lot, with a reason (supervisor or admin). A
    release or a reject is signed: `signature` with the password and its meaning."""
    answer = Answer(LotStatusPublic)
    action = qc_action(body.status)
    signer = signer_for(session, user, body.signature, action) if action else None
    done = services.change_qc_status(session, lot_id, body, user,
                                     answer.keyed(idem), signer=signer)
    return answer.response(done)


@router.post("/lots/qc-status", response_model=LotStatusesPublic, responses=SIGNED)
def change_qc_status_many(body: QcChangeMany, session: WriteSessionDep, user: Supervisor,
                          idem: IdempotencyDep) -> Response:
    """One decision for many lots (an excursion's held lots), with one reason: one
    transaction, all or none; each lot audited as its own change (supervisor or admin).
    A release or a reject is signed once for the whole list: `signature`."""
    answer = Answer(LotStatusesPublic)
    action = qc_action(body.status)
    signer = signer_for(session, user, body.signature, action) if action else None
    done = services.change_qc_status_many(session, body, user, answer.keyed(idem),
                                          signer=signer)
    return answer.response(done)
