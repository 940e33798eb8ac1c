"""A lot's full trace: receipt to dispatch and who received it (inventory/recall.py),
its quality holds, the zones it stayed in
and the limit breaches of those zones while it was there (composition: the inventory's
trace and stays, the zones' breaches from their stored readings as in the zone report,
hub/reports/zone.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from hub.reports.changes import lot_changes
from hub.reports.zone import breach_periods, class_limits
from ingest.compliance import RECORD_INTERVAL_S, ExcursionPeriod
from ingest.queries import hour_stats, zone_by_code, zone_sensors
from inventory.queries import trace_lot
from inventory.recall import ReceivedBy, lot_received_by
from inventory.reports import ZoneStay, lot_zone_stays
from inventory.schemas import TracePublic
from kernel.audit import AuditRowPublic

SOURCE = "readings against the storage class's limits"


@dataclass(frozen=True, slots=True)
class LotTrace:
    trace: TracePublic
    stays: list[ZoneStay]
    excursions: list[ExcursionPeriod]
    excursion_source: str
    # The lot's rows on the audit trail: QC status changes, holds, releases, with reasons.
    changes: list[AuditRowPublic] = field(default_factory=list)
    # Who received the lot (the recall question): each dispatch and totals per consignee.
    received_by: ReceivedBy | None = None


def zone_excursions(session: Session, code: str, start: datetime, end: datetime, *,
                    now: datetime, hold_s: float = RECORD_INTERVAL_S) -> list[ExcursionPeriod]:
    """The zone's breaches of its storage class's limits overlapping [start, end), each
    with its part inside [start, end)."""
    zone = zone_by_code(session, code)
    if zone.storage_class is None:
        return []
    ids = [s.id for s in zone_sensors(session, zone.id)]
    hours = hour_stats(session, ids, start.replace(minute=0, second=0, microsecond=0), end)
    return breach_periods(session, ids, class_limits(zone.storage_class), hours, start, end,
                          now=now, hold_s=hold_s).shown


def lot_trace(session: Session, lot_id: int, *, now: datetime,
              hold_s: float = RECORD_INTERVAL_S) -> LotTrace:
    trace = trace_lot(session, lot_id)
    stays = lot_zone_stays(session, lot_id)
    found: list[ExcursionPeriod] = []
    for stay in stays:
        found += zone_excursions(session, stay.zone, stay.start, stay.end or now, now=now,
                                 hold_s=hold_s)
    found.sort(key=lambda p: (p.start, p.sensor))
    return LotTrace(trace, stays, found, SOURCE,
                    changes=lot_changes(session, trace.lot.item, trace.lot.lot_number),
                    received_by=lot_received_by(session, lot_id))
