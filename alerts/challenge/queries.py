"""The alarm path challenge's read models: tests with their recipients for the API,
and the report of a period (GET /api/v1/reports/alarm-tests, `stockwarden report
alarm-tests`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.challenge.schemas import (
    AlarmTestPublic,
    AlarmTestRecipientPublic,
    AlarmTestReport,
)
from alerts.orm import AlarmTest, AlarmTestRecipient
from kernel.errors import Invalid, NotFound

MAX_ROWS = 1000


def _recipients(session: Session, test_ids: list[int]) -> dict[int, list[AlarmTestRecipient]]:
    out: dict[int, list[AlarmTestRecipient]] = {i: [] for i in test_ids}
    if test_ids:
        for row in session.scalars(select(AlarmTestRecipient).where(
                AlarmTestRecipient.test_id.in_(test_ids)).order_by(AlarmTestRecipient.id)):
            out[row.test_id].append(row)
    return out


def _public(test: AlarmTest, rows: list[AlarmTestRecipient]) -> AlarmTestPublic:
    recipients = [AlarmTestRecipientPublic.model_validate(r) for r in rows]
    return AlarmTestPublic(
        id=test.id, requested_by=test.requested_by, requested_at=test.requested_at,
        route=test.route, group=test.group, complete=test.complete, note=test.note,
        finished_at=test.finished_at,
        delivered=sum(r.status == "delivered" for r in recipients),
        failed=sum(r.status == "failed" for r in recipients),
        confirmed=sum(r.confirmed_at is not None for r in recipients), recipients=recipients)


def public(session: Session, test: AlarmTest) -> AlarmTestPublic:
    return _public(test, _recipients(session, [test.id])[test.id])


def get_test(session: Session, test_id: int) -> AlarmTestPublic:
    test = session.get(AlarmTest, test_id)
    if test is None:
        raise NotFound("no alarm test %(test_id)s", code="alarm_test_not_found", test_id=test_id)
    return public(session, test)


def list_tests(session: Session, *, start: datetime | None = None, end: datetime | None = None,
               limit: int = 100, oldest_first: bool = False) -> list[AlarmTestPublic]:
    """Tests asked for in [start, end), newest first (the report: oldest first)."""
    if start is not None and end is not None and end <= start:
        raise Invalid("end must be after start", code="bad_period")
    query = select(AlarmTest)
    if start is not None:
        query = query.where(AlarmTest.requested_at >= start)
    if end is not None:
        query = query.where(AlarmTest.requested_at < end)
    order = AlarmTest.id.asc() if oldest_first else AlarmTest.id.desc()
    tests = list(session.scalars(query.order_by(order).limit(min(limit, MAX_ROWS))))
    rows = _recipients(session, [t.id for t in tests])
    return [_public(t, rows[t.id]) for t in tests]


def report(session: Session, start: datetime, end: datetime) -> AlarmTestReport:
    from alerts.challenge.repository import last_complete

    tests = list_tests(session, start=start, end=end, limit=MAX_ROWS, oldest_first=True)
    recipients = [r for t in tests for r in t.recipients]
    return AlarmTestReport(
        start=start, end=end, tests=len(tests),
        complete_tests=sum(t.complete and t.finished_at is not None for t in tests),
        recipients=len(recipients),
        delivered=sum(r.status == "delivered" for r in recipients),
        failed=sum(r.status == "failed" for r in recipients),
        confirmed=sum(r.confirmed_at is not None for r in recipients),
        last_complete_test=last_complete(session), rows=tests)
