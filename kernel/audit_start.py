"""What changed outside the hub, seen at its start: settings and files that decide
what is recorded or alarmed are compared with the values last recorded on the audit
trail, and a difference (or a first sight) is written as one row by `system` via
`start`.

The comparison and the row are one transaction that holds the trail's append lock
(PostgreSQL's advisory lock, SQLite's BEGIN IMMEDIATE of the write sessions), so
several hub processes starting together with the same change write it once: the
second finds the first's row and sees nothing new.

The values last recorded are rebuilt from the trail itself: the first row (`load`)
holds them all, each later row only the fields that changed, so replaying the rows
of one entity and key, oldest first, gives the state they describe."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import audit
from kernel.actors import Actor, Role
from kernel.audit_chain import changes
from kernel.orm import AuditRecord
from kernel.uow import unit_of_work

START = Actor(0, audit.SYSTEM, Role.ADMIN, via="start")
SEEN_AT_START = "changed outside the hub, seen at start"
FIRST_SEEN = "first seen at start"


def recorded_state(session: Session, entity: str, key: str) -> dict[str, Any] | None:
    """The values the trail's rows of `entity` `key` describe (None: no row yet)."""
    state: dict[str, Any] | None = None
    query = (select(AuditRecord.after).where(AuditRecord.entity == entity,
                                             AuditRecord.entity_key == key)
             .order_by(AuditRecord.seq))
    for after in session.execute(query).scalars():
        state = state if state is not None else {}
        if after:
            state.update(json.loads(after))
    if state is not None:
        state.pop("signature", None)  # never part of a start row; kept out of the values
    return state


@unit_of_work()
def record_if_changed(session: Session, entity: str, key: str,
                      values: dict[str, Any]) -> bool:
    """One row when `values` differ from those last recorded for `entity` `key`
    (action `update`, only the fields that differ) or none was (action `load`, all
    of them); False when nothing changed. Run it with a write session."""
    audit.lock_chain(session)  # before reading: the next process waits for this row
    last = recorded_state(session, entity, key)
    if last is None:
        return audit.record(session, START, "load", entity, key, None, values, FIRST_SEEN)
    before, after = changes(last, values)
    if not before and not after:
        return False
    return audit.record(session, START, "update", entity, key, before, after, SEEN_AT_START)
