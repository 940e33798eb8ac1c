"""Stock on hand by item, lot, location or zone."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hub.deps import SessionDep
from inventory import queries
from inventory.domain import QcStatus
from kernel.fields import MAX_OFFSET
from kernel.uow import jsonable

router = APIRouter(tags=["stock"])


class StockRowPublic(BaseModel):
    item: str
    item_name: str
    lot_id: int
    lot_number: str
    expiry: date | None
    qc_status: QcStatus
    location: str
    zone: str
    quantity: int


@router.get("/stock", response_model=list[StockRowPublic])
def stock(
    session: SessionDep,
    item: str | None = Query(None, description="SKU or GTIN"),
    lot_number: str | None = None,
    location: str | None = Query(None, description="location code"),
    zone: str | None = Query(None, description="zone code"),
    limit: int = Query(1000, ge=1, le=10_000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    where = queries.StockFilter(item, lot_number, location, zone)
    return jsonable(queries.stock(session, where, limit, offset))
