"""Read use cases for gateways: their last stored status, and the gateways known
only from their telemetry (state `unknown`), as ingest/schemas.py's GatewayPublic
with the scanners the status reports. Also what an ingest-hook consumer reads at
start to rebuild its state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.orm import GatewayStatus, Sensor
from ingest.schemas import GatewayPublic, GatewayScannerPublic
from kernel.errors import NotFound


def unknown_gateway(gateway: str, site: str | None = None, last_seen: datetime | None = None,
                    sensors: int = 0) -> GatewayPublic:
    """A gateway without a stored status: seen only through its telemetry, or known
    only to another part (its registered scanners)."""
    return GatewayPublic(id=gateway, site=site, state="unknown", last_seen=last_seen,
                         status_ts=None, version=None, outbox_depth=None, outbox_dropped=None,
                         devices={}, sensors=sensors)


def _reported_scanners(health: dict[str, dict[str, object]]) -> list[GatewayScannerPublic]:
    """The serial scanners a status lists (ScannerHealth as on the wire), not yet compared
    with any registration. The gateway's own `operator` is what its config claims; the hub
    books as the registered one, so it is not shown."""
    return [
        GatewayScannerPublic.model_validate({
            **{k: v for k, v in fields.items()
               if k in GatewayScannerPublic.model_fields and k != "operator"},
            "id": scanner, "registered": False, "reported": True,
        })
        for scanner, fields in sorted(health.items())
    ]


def _sensor_counts(session: Session) -> dict[str, tuple[str | None, int, datetime | None]]:
    """gateway -> (site, sensors, newest reading) from the sensors table."""
    rows = session.execute(
        select(Sensor.gateway, func.max(Sensor.site), func.count(), func.max(Sensor.last_seen))
        .where(Sensor.gateway.is_not(None))
        .group_by(Sensor.gateway)
    )
    return {gateway: (site, count, last) for gateway, site, count, last in rows}


def _view(row: GatewayStatus, sensors: int) -> GatewayPublic:
    return GatewayPublic(
        id=row.gateway, site=row.site, state=row.state, last_seen=row.last_seen,
        status_ts=row.status_ts, version=row.version, outbox_depth=row.outbox_depth,
        outbox_dropped=row.outbox_dropped, devices=row.devices or {}, sensors=sensors,
        # Unchecked below: the JSON column holds ScannerHealth mappings per scanner; SQLAlchemy
        # types it dict[str, object].
        scanners=_reported_scanners(row.scanners or {}),  # type: ignore[arg-type]
    )


def list_gateways(session: Session) -> list[GatewayPublic]:
    """Every gateway with a stored status, and those seen only through telemetry."""
    counts = _sensor_counts(session)
    views = {
        row.gateway: _view(row, counts.get(row.gateway, (None, 0, None))[1])
        for row in session.scalars(select(GatewayStatus))
    }
    for gateway, (site, count, last) in counts.items():
        if gateway not in views:
            views[gateway] = unknown_gateway(gateway, site, last, count)
    return [views[key] for key in sorted(views)]


def get_gateway(session: Session, gateway: str) -> GatewayPublic:
    row = session.get(GatewayStatus, gateway)
    counts = _sensor_counts(session)
    if row is not None:
        return _view(row, counts.get(gateway, (None, 0, None))[1])
    if gateway in counts:
        site, count, last = counts[gateway]
        return unknown_gateway(gateway, site, last, count)
    raise NotFound(f"no gateway {gateway}", code="gateway_not_found")
