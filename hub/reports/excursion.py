"""One excursion as its page shows it: the alarm engine's record with its live
figures (alerts/queries.py), the zone's name, and the lots it concerns from the
inventory (inventory/queries.py): those it held, with their quality status now, and,
while the tolerance has not run out, those it will hold (released, stock in the zone)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from alerts import queries as alarm_queries
from alerts.schemas import ExcursionPublic
from inventory import queries as stock_queries
from inventory.schemas import LotPublic
from kernel.errors import NotFound
from kernel.uow import consistent_read


class ExcursionDetailPublic(BaseModel):
    excursion: ExcursionPublic
    zone_name: str | None
    held: list[LotPublic] = Field(description="the lots it put on hold, as they are now")
    to_hold: list[LotPublic] = Field(description=(
        "released lots with stock in the zone: what it will hold when the tolerance runs "
        "out (empty once it held, or ended)"))


@consistent_read
def excursion_detail(session: Session, excursion_id: int) -> ExcursionDetailPublic:
    excursion = alarm_queries.excursion(session, excursion_id)
    zone_name = None
    to_hold: list[LotPublic] = []
    if excursion.zone is not None:
        try:
            zone_name = stock_queries.zone(session, excursion.zone).name
        except NotFound:  # the zone was renamed or removed since
            zone_name = None
        if excursion.end is None and not excursion.tolerance_passed and zone_name is not None:
            to_hold = stock_queries.lots_in_zone(session, excursion.zone, "released")
    held = stock_queries.lots_by_number(session, excursion.held_lots)
    return ExcursionDetailPublic(excursion=excursion, zone_name=zone_name, held=held,
                                 to_hold=to_hold)
