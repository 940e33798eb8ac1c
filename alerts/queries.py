"""Read use cases of the alarm engine, for the API, the alarms page and the compliance
reports: they answer the API's models (alerts/schemas.py) as they are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.orm import OPEN_STATES, Alarm, AlarmEvent, Excursion, Notification
from alerts.schemas import (
    AlarmDetailPublic,
    AlarmEventPublic,
    AlarmPublic,
    ExcursionPublic,
    NotificationPublic,
)
from kernel import signatures
from kernel.errors import Invalid, NotFound

MAX_ROWS = 1000


def list_alarms(session: Session, *, state: str | None = None, zone: str | None = None,
                severity: str | None = None, kind: str | None = None,
                limit: int = 200) -> list[AlarmPublic]:
    """Open alarms by default (`state=open`); `state=closed` or `all` for history."""
    query = select(Alarm)
    state = state or "open"
    if state == "open":
        query = query.where(Alarm.state.in_(OPEN_STATES))
    elif state != "all":
        query = query.where(Alarm.state == state)
    for column, value in ((Alarm.zone, zone), (Alarm.severity, severity), (Alarm.kind, kind)):
        if value is not None:
            query = query.where(column == value)
    rows = session.scalars(query.order_by(Alarm.updated_at.desc(), Alarm.id.desc())
                           .limit(min(limit, MAX_ROWS)))
    return [AlarmPublic.model_validate(r) for r in rows]


def get_alarm(session: Session, alarm_id: int) -> AlarmDetailPublic:
    row = session.get(Alarm, alarm_id)
    if row is None:
        raise NotFound("no alarm %(alarm_id)s", code="alarm_not_found", alarm_id=alarm_id)
    events = session.scalars(select(AlarmEvent).where(AlarmEvent.alarm_id == alarm_id)
                             .order_by(AlarmEvent.id))
    return AlarmDetailPublic(alarm=AlarmPublic.model_validate(row),
                             events=[AlarmEventPublic.model_validate(e) for e in events],
                             signatures=signatures.of(session, "alarm", [str(alarm_id)]))


def changes(session: Session, since: int, limit: int = 500
            ) -> tuple[list[AlarmEventPublic], int]:
    """Audit rows after the cursor `since`, and the cursor to ask with next time."""
    rows = session.scalars(select(AlarmEvent).where(AlarmEvent.id > since)
                           .order_by(AlarmEvent.id).limit(min(limit, MAX_ROWS))).all()
    events = [AlarmEventPublic.model_validate(r) for r in rows]
    return events, (events[-1].id if events else since)


def latest_cursor(session: Session) -> int:
    return session.scalar(select(AlarmEvent.id).order_by(AlarmEvent.id.desc()).limit(1)) or 0


def excursions(session: Session, *, zone: str | None = None, start: datetime | None = None,
               end: datetime | None = None, limit: int = 200) -> list[ExcursionPublic]:
    if start is not None and end is not None and end <= start:
        raise Invalid("end must be after start", code="bad_period")
    query = select(Excursion)
    if zone is not None:
        query = query.where(Excursion.zone == zone)
    if start is not None:  # overlapping the period
        query = query.where((Excursion.end.is_(None)) | (Excursion.end >= start))
    if end is not None:
        query = query.where(Excursion.start < end)
    rows = session.scalars(query.order_by(Excursion.start.desc()).limit(min(limit, MAX_ROWS)))
    return [_excursion(r) for r in rows]


def excursion(session: Session, excursion_id: int) -> ExcursionPublic:
    row = session.get(Excursion, excursion_id)
    if row is None:
        raise NotFound("no excursion %(excursion_id)s", code="excursion_not_found",
            excursion_id=excursion_id)
    return _excursion(row)


def _excursion(r: Excursion) -> ExcursionPublic:
    """The stored figures; the alarm engine keeps an open record's figures current
    (a "progress" event per reading and tick), so they are live while it lasts."""
    left = None if r.tolerance_s is None else max(0.0, r.tolerance_s - (r.critical_s or 0.0))
    return ExcursionPublic(
        id=r.id, sensor=r.sensor, quantity=r.quantity, zone=r.zone, start=r.start, end=r.end,
        duration_s=(r.end - r.start).total_seconds() if r.end else None, peak=r.peak,
        side=r.side, severity=r.severity, above_s=r.above_s, below_s=r.below_s,
        critical_s=r.critical_s, tolerance_passed=r.tolerance_passed, held_at=r.held_at,
        held_lots=list(r.held_lots or []), hold_reason=r.hold_reason,
        last_value=r.last_value, as_of=r.updated_at, tolerance_s=r.tolerance_s,
        tolerance_left_s=0.0 if r.tolerance_passed else left)


def notifications(session: Session, *, status: str | None = None,
                  limit: int = 100) -> list[NotificationPublic]:
    query = select(Notification)
    if status is not None:
        query = query.where(Notification.status == status)
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(min(limit, MAX_ROWS)))
    return [NotificationPublic(
        id=r.id, route=r.route, group=r.group, target=r.target, title=r.title,
        alarm_ids=list(r.alarm_ids or []), status=r.status,
        attempts=r.attempts, error=r.error, at=r.at) for r in rows]


def open_alarm_counts(session: Session) -> dict[tuple[str, str], int]:
    """(state, severity) -> how many open alarms, for /metrics at scrape time."""
    rows = session.execute(select(Alarm.state, Alarm.severity, func.count())
                           .where(Alarm.state.in_(OPEN_STATES))
                           .group_by(Alarm.state, Alarm.severity)).all()
    return {(state, severity): n for state, severity, n in rows}
