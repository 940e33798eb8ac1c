"""Lots: list, quality status changes (supervisor) and the trace of a lot."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from hub.auth import IdempotencyDep, Supervisor
from hub.deps import SessionDep, WriteSessionDep
from hub.routes.common import Answer, PathId
from hub.routes.moves import LedgerRowPublic
from hub.routes.stock import StockRowPublic
from inventory import queries, services
from inventory.commands import QcChange
from inventory.domain import QcStatus
from inventory.schemas import LotStatusPublic
from kernel.fields import MAX_OFFSET, IsoDate
from kernel.uow import jsonable

router = APIRouter(tags=["lots"])
LotId = PathId


class LotPublic(BaseModel):
    id: int
    item: str
    lot_number: str
    expiry: date | None
    production_date: date | None
    received_at: datetime
    qc_status: QcStatus
    qc_reason: str | None
    on_hand: int


class QcChangePublic(BaseModel):
    at: datetime
    from_status: QcStatus | None
    to_status: QcStatus
    reason: str | None
    user: str


class TracePublic(BaseModel):
    lot: LotPublic
    where_now: list[StockRowPublic]
    moves: list[LedgerRowPublic]
    qc_history: list[QcChangePublic]


@router.get("/lots", response_model=list[LotPublic])
def list_lots(
    session: SessionDep,
    item: str | None = Query(None, description="SKU or GTIN"),
    qc_status: QcStatus | None = None,
    expiring_before: IsoDate | None = None,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    return jsonable(queries.lots(session, item, qc_status.value if qc_status else None,
                                 expiring_before, limit, offset))


@router.get("/lots/{lot_id}", response_model=LotPublic)
def get_lot(lot_id: LotId, session: SessionDep) -> object:
    return jsonable(queries.lot(session, lot_id))


@router.get("/lots/{lot_id}/trace", response_model=TracePublic)
def trace_lot(lot_id: LotId, session: SessionDep) -> object:
    """Every move of the lot, who made it, its quality history and where it is now."""
    return jsonable(queries.trace_lot(session, lot_id))


@router.post("/lots/{lot_id}/qc-status", response_model=LotStatusPublic)
def change_qc_status(lot_id: LotId, body: QcChange, session: WriteSessionDep, user: Supervisor,
                     idem: IdempotencyDep) -> Response:
    """Release, hold, reject or recall a lot, with a reason (supervisor or admin)."""
    answer = Answer(LotStatusPublic)
    done = services.change_qc_status(session, lot_id, body, user,
                                     answer.keyed(idem))
    return answer.response(done)
