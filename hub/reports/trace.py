"""A lot's full trace: receipt to dispatch, its quality holds, the zones it stayed in
and the excursions of those zones while it was there (composition: the inventory's
trace and stays, the zones' excursions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ingest.compliance import (
    ExcursionPeriod,
    ExcursionSource,
    Limits,
    combine_excursions,
    from_records,
    hourly_excursions,
)
from ingest.queries import hour_stats, zone_by_code, zone_sensors
from ingest.rollup import TEMPERATURE
from inventory.queries import trace_lot
from inventory.reports import ZoneStay, lot_zone_stays
from inventory.schemas import TracePublic


@dataclass(frozen=True, slots=True)
class LotTrace:
    trace: TracePublic
    stays: list[ZoneStay]
    excursions: list[ExcursionPeriod]
    excursion_source: str


def zone_excursions(session: Session, code: str, start: datetime, end: datetime, *,
                    now: datetime, source: ExcursionSource | None) -> list[ExcursionPeriod]:
    """The zone's excursions overlapping [start, end): the alarm engine's records, or
    estimated from the hours of the zone's sensors."""
    zone = zone_by_code(session, code)
    klass = zone.storage_class
    periods: list[ExcursionPeriod] = []
    if klass is not None:
        limits = {TEMPERATURE: Limits(klass.temp_min_c, klass.temp_max_c),
                  "humidity_pct": Limits(klass.humidity_min_pct, klass.humidity_max_pct)}
        ids = [s.id for s in zone_sensors(session, zone.id)]
        loaded = hour_stats(session, ids, start.replace(minute=0, second=0, microsecond=0), end)
        for quantity, limit in limits.items():
            if limit.any:
                periods += hourly_excursions([h for h in loaded if h.quantity == quantity], limit)
    if source is not None:
        periods = combine_excursions(from_records(source.excursions(code, start, end), now),
                                     periods)
    return [p for p in periods if p.overlaps(start, end)]


def lot_trace(session: Session, lot_id: int, *, now: datetime,
              source: ExcursionSource | None = None) -> LotTrace:
    trace = trace_lot(session, lot_id)
    stays = lot_zone_stays(session, lot_id)
    found: list[ExcursionPeriod] = []
    for stay in stays:
        found += zone_excursions(session, stay.zone, stay.start, stay.end or now, now=now,
                                 source=source)
    found.sort(key=lambda p: (p.start, p.sensor))
    return LotTrace(trace, stays, found,
                    "alarm engine" if source is not None else "hourly statistics")
