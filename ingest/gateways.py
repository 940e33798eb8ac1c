"""Read use cases for gateways: their last stored status, and the gateways known
only from their telemetry (state `unknown`). Also what an ingest-hook consumer
reads at start to rebuild its state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.orm import GatewayStatus, Sensor
from kernel.errors import NotFound


@dataclass(frozen=True)
class GatewayView:
    id: str
    site: str | None
    # online | offline from the gateway's status; unknown when only telemetry was seen.
    state: str
    last_seen: datetime | None
    status_ts: datetime | None = None
    version: str | None = None
    outbox_depth: int | None = None
    outbox_dropped: int | None = None
    devices: dict[str, object] = field(default_factory=dict)
    sensors: int = 0
    # The serial scanners the gateway reports, as on the wire (ScannerHealth).
    scanners: dict[str, dict[str, object]] = field(default_factory=dict)


def _sensor_counts(session: Session) -> dict[str, tuple[str | None, int, datetime | None]]:
    """gateway -> (site, sensors, newest reading) from the sensors table."""
    rows = session.execute(
        select(Sensor.gateway, func.max(Sensor.site), func.count(), func.max(Sensor.last_seen))
        .where(Sensor.gateway.is_not(None))
        .group_by(Sensor.gateway)
    )
    return {gateway: (site, count, last) for gateway, site, count, last in rows}


def _view(row: GatewayStatus, sensors: int) -> GatewayView:
    return GatewayView(
        id=row.gateway, site=row.site, state=row.state, last_seen=row.last_seen,
        status_ts=row.status_ts, version=row.version, outbox_depth=row.outbox_depth,
        outbox_dropped=row.outbox_dropped, devices=dict(row.devices or {}), sensors=sensors,
        # Unchecked below: the JSON column holds ScannerHealth mappings per scanner; SQLAlchemy
        # types it dict[str, object].
        scanners=dict(row.scanners or {}),  # type: ignore[arg-type]
    )


def list_gateways(session: Session) -> list[GatewayView]:
    """Every gateway with a stored status, and those seen only through telemetry."""
    counts = _sensor_counts(session)
    views = {
        row.gateway: _view(row, counts.get(row.gateway, (None, 0, None))[1])
        for row in session.scalars(select(GatewayStatus))
    }
    for gateway, (site, count, last) in counts.items():
        if gateway not in views:
            views[gateway] = GatewayView(gateway, site, "unknown", last, sensors=count)
    return [views[key] for key in sorted(views)]


def get_gateway(session: Session, gateway: str) -> GatewayView:
    row = session.get(GatewayStatus, gateway)
    counts = _sensor_counts(session)
    if row is not None:
        return _view(row, counts.get(gateway, (None, 0, None))[1])
    if gateway in counts:
        site, count, last = counts[gateway]
        return GatewayView(gateway, site, "unknown", last, sensors=count)
    raise NotFound(f"no gateway {gateway}", code="gateway_not_found")
