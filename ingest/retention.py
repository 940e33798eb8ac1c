"""Record retention: what ingest keeps older than a cutoff, and its explicit purge.

Nothing is ever deleted on its own: `stockwarden purge --before DATE` counts first,
asks (unless --yes) and then deletes hourly statistics, dead letters, the
(gateway, seq) record and the stored readings older than the date, in one
transaction. docs/reports.md"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Table, delete, func, select
from sqlalchemy.orm import Session

from ingest.orm import DeadLetter, HourlyStat, SeenMessage, StoredReading


def _targets() -> list[tuple[str, Table, Column]]:
    return [
        ("hourly statistics", HourlyStat.__table__, HourlyStat.__table__.c.hour),
        ("dead letters", DeadLetter.__table__, DeadLetter.__table__.c.received_at),
        ("seen messages", SeenMessage.__table__, SeenMessage.__table__.c.received_at),
        ("readings", StoredReading.__table__, StoredReading.__table__.c.ts),
    ]


def count_before(session: Session, cutoff: datetime) -> dict[str, int]:
    """Rows per kind older than `cutoff`: what a purge would delete."""
    return {name: int(session.scalar(select(func.count()).select_from(table)
                                      .where(column < cutoff)) or 0)
            for name, table, column in _targets()}


def purge_before(session: Session, cutoff: datetime) -> dict[str, int]:
    """Delete them, in one transaction; the rows deleted per kind."""
    with session.begin():
        return {name: session.execute(delete(table).where(column < cutoff)).rowcount or 0
                for name, table, column in _targets()}
