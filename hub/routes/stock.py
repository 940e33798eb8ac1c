"""Stock on hand by item, lot, location or zone."""

from __future__ import annotations

from fastapi import APIRouter, Query

from hub.deps import SessionDep
from inventory import queries
from inventory.schemas import StockRowPublic
from kernel.fields import MAX_OFFSET

router = APIRouter(tags=["stock"])


@router.get("/stock", response_model=list[StockRowPublic])
def stock(
    session: SessionDep,
    item: str | None = Query(None, description="SKU or GTIN"),
    lot_number: str | None = None,
    location: str | None = Query(None, description="location code"),
    zone: str | None = Query(None, description="zone code"),
    limit: int = Query(1000, ge=1, le=10_000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[StockRowPublic]:
    where = queries.StockFilter(item, lot_number, location, zone)
    return queries.stock(session, where, limit, offset)
