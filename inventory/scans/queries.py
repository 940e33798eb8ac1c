"""The scanner registry and the scan journal as listed (API `/gateways/{gateway}/scanners`,
`/scans`, the gateway status page), as the Public models of inventory/scans/schemas.py.
Plain queries, no locks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.wire import ScanMode
from inventory.orm import Location
from inventory.scans.orm import Scanner, ScanRecord
from inventory.scans.schemas import ScannerPublic, ScanRecordPublic
from kernel.orm import User


def scanners(session: Session, gateway: str | None = None) -> list[ScannerPublic]:
    query = (
        select(Scanner, User.username, User.active, Location.code)
        .join(User, User.id == Scanner.user_id)
        .outerjoin(Location, Location.id == Scanner.location_id)
        .order_by(Scanner.gateway, Scanner.scanner)
    )
    if gateway is not None:
        query = query.where(Scanner.gateway == gateway)
    return [
        ScannerPublic(gateway=row.gateway, scanner=row.scanner, operator=username,
                      operator_active=active, modes=[ScanMode(m) for m in row.modes],
                      location=code, updated_at=row.updated_at)
        for row, username, active, code in session.execute(query)
    ]


def scan_records(
    session: Session, *, gateway: str | None = None, outcome: str | None = None,
    before_id: int | None = None, limit: int = 100,
) -> list[ScanRecordPublic]:
    query = select(ScanRecord).order_by(ScanRecord.id.desc()).limit(limit)
    if gateway is not None:
        query = query.where(ScanRecord.gateway == gateway)
    if outcome is not None:
        query = query.where(ScanRecord.outcome == outcome)
    if before_id is not None:
        query = query.where(ScanRecord.id < before_id)
    return [ScanRecordPublic.model_validate(row) for row in session.scalars(query)]
