"""Record retention: what ingest keeps older than a cutoff, and its explicit purge.

Nothing is ever deleted on its own: `stockwarden purge --before DATE` counts first,
asks (unless --yes) and then deletes hourly statistics, dead letters and the
(gateway, seq) record older than the date, in one transaction with its audit row
(who, the cutoff, the rows deleted per kind, why). docs/reports.md"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Table, delete, func, select
from sqlalchemy.orm import Session

from ingest.orm import DeadLetter, HourlyStat, SeenMessage
from kernel import audit
from kernel.actors import Actor
from kernel.audit_chain import PURGE
from kernel.uow import unit_of_work


def _targets() -> list[tuple[str, Table, Column]]:
    return [
        ("hourly statistics", HourlyStat.__table__, HourlyStat.__table__.c.hour),
        ("dead letters", DeadLetter.__table__, DeadLetter.__table__.c.received_at),
        ("seen messages", SeenMessage.__table__, SeenMessage.__table__.c.received_at),
    ]


def count_before(session: Session, cutoff: datetime) -> dict[str, int]:
    """Rows per kind older than `cutoff`: what a purge would delete."""
    return {name: int(session.scalar(select(func.count()).select_from(table)
                                      .where(column < cutoff)) or 0)
            for name, table, column in _targets()}


@unit_of_work()
def purge_before(session: Session, cutoff: datetime, actor: Actor,
                 reason: str | None) -> dict[str, int]:
    """Delete them, in one transaction with the audit row; the rows deleted per kind."""
    audit.check_reason([PURGE], reason)
    deleted = {name: session.execute(delete(table).where(column < cutoff)).rowcount or 0
               for name, table, column in _targets()}
    audit.record(session, actor, "purge", "records", f"before {cutoff.isoformat()}", None,
                 {"before": cutoff, "deleted": deleted}, reason, kinds=[PURGE])
    return deleted
