"""The audit trail (kernel/audit.py, kernel/audit_chain.py): rows written in the
change's own transaction, hash-chained; a walk names the first row that does not
match; a change of a kind the site marks needs a reason. In-memory SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from kernel import audit
from kernel.actors import Actor, Role
from kernel.audit_chain import (
    GENESIS,
    LIMIT_FIELDS,
    ChainWalk,
    Entry,
    canonical,
    changes,
    kinds_changed,
    row_hash,
)
from kernel.orm import Base
from kernel.uow import unit_of_work

LINA = Actor(7, "lina", Role.SUPERVISOR, via="web")


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


@unit_of_work()
def _change_limit(session: Session, zone: str, old: float, new: float,
                  reason: str | None) -> bool:
    return audit.record(session, LINA, "update", "storage_class", zone,
                        {"temp_max_c": old, "name": "Cold"}, {"temp_max_c": new, "name": "Cold"},
                        reason, kinds=["limits"])


def test_canonical_json_is_one_text_per_value() -> None:
    assert canonical({"b": 1, "a": [datetime(2026, 1, 2, 3, 4, tzinfo=UTC)]}) == \
        '{"a":["2026-01-02T03:04:00+00:00"],"b":1}'
    assert changes({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})
    assert changes(None, {"a": 1}) == (None, {"a": 1})


def test_the_kinds_of_a_change_come_from_the_fields_that_changed() -> None:
    watched = {"limits": LIMIT_FIELDS, "sensor_zone": ["zone"]}
    assert kinds_changed({"temp_max_c": 8, "name": "a"}, {"temp_max_c": 9, "name": "a"},
                         watched) == ["limits"]
    assert kinds_changed({"zone": "A", "name": "a"}, {"zone": "A", "name": "b"}, watched) == []
    assert kinds_changed({"zone": None}, {"zone": "B"}, watched) == ["sensor_zone"]


def test_each_row_chains_to_the_one_before_and_keeps_only_what_changed(
    session: Session,
) -> None:
    assert _change_limit(session, "CLASS-2-8", 8.0, 9.0, "new probe mapping").get()
    assert _change_limit(session, "CLASS-2-8", 9.0, 8.0, "back").get()
    with session.begin():
        rows = audit.rows(session, audit.AuditFilter(entity="storage_class"))
        assert [r.seq for r in rows] == [1, 2]
        assert rows[0].before == {"temp_max_c": 8.0} and rows[0].after == {"temp_max_c": 9.0}
        assert (rows[0].actor, rows[0].via, rows[0].reason) == ("lina", "web",
                                                               "new probe mapping")
        stored = session.execute(text("SELECT prev_hash, hash FROM audit_trail ORDER BY seq"))
        (p1, h1), (p2, h2) = stored.all()
        assert p1 == GENESIS and p2 == h1 and h2 == rows[1].hash
        assert audit.verify(session).ok


def test_an_update_that_changes_nothing_leaves_no_row(session: Session) -> None:
    assert _change_limit(session, "C", 8.0, 8.0, "same").get() is False
    with session.begin():
        assert audit.head(session) == (0, 0)


def test_a_change_that_needs_a_reason_is_refused_without_one_and_nothing_is_written(
    session: Session,
) -> None:
    with pytest.raises(audit.ReasonRequired) as refused:
        _change_limit(session, "C", 8.0, 9.0, "  ")
    assert "needs a reason" in refused.value.message and "limits" in refused.value.message
    audit.require_reasons_for([])
    try:
        assert _change_limit(session, "C", 8.0, 9.0, None).get()
    finally:
        audit.require_reasons_for(audit.DEFAULT_REASON_REQUIRED)


def _tampered(session: Session, sql: str) -> audit.Verified:
    for n in range(5):
        _change_limit(session, f"C{n}", 8.0, 9.0, "r")
    with session.begin():
        session.execute(text(sql))
    with session.begin():
        return audit.verify(session)


def test_an_edited_row_is_named(session: Session) -> None:
    found = _tampered(session, "UPDATE audit_trail SET reason = 'nothing' WHERE seq = 3")
    assert not found.ok and found.broken is not None
    assert found.broken.seq == 3 and "does not match its hash" in str(found.broken)


def test_a_deleted_row_is_named(session: Session) -> None:
    found = _tampered(session, "DELETE FROM audit_trail WHERE seq = 2")
    assert found.broken is not None and found.broken.seq == 2
    assert "missing" in found.broken.problem


def test_the_newest_part_is_checked_from_an_anchor(session: Session) -> None:
    found = _tampered(session, "UPDATE audit_trail SET actor = 'x' WHERE seq = 5")
    with session.begin():
        assert audit.verify(session, last=2).broken.seq == 5  # type: ignore[union-attr]
        assert audit.verify(session, last=1).broken.seq == 5  # type: ignore[union-attr]
    assert found.broken is not None


def test_a_walk_started_in_the_middle_checks_links_from_there() -> None:
    first = Entry(1, datetime(2026, 1, 1, tzinfo=UTC), None, "system", "", "purge", "readings",
                  "all", None, '{"rows":3}', "r", GENESIS)
    first = replace(first, hash=row_hash(first))
    second = replace(first, seq=2, prev_hash=first.hash)
    second = replace(second, hash=row_hash(second))
    assert ChainWalk().check_all([first, second]) is None
    assert ChainWalk(1, first.hash).check(second) is None
    assert ChainWalk(1, "f" * 64).check(second) is not None
