"""Read use cases of the alarm engine, for the API and the alarms page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.orm import OPEN_STATES, Alarm, AlarmEvent, Excursion, Notification
from alerts.store import AlarmView, view
from kernel.errors import Invalid, NotFound

MAX_ROWS = 1000


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    alarm_id: int
    event: str
    from_state: str
    to_state: str
    severity: str
    at: datetime
    by: str | None
    comment: str | None
    value: float | None
    message: str


@dataclass(frozen=True, slots=True)
class AlarmDetail:
    alarm: AlarmView
    events: list[EventView]


def _event(row: AlarmEvent) -> EventView:
    return EventView(row.id, row.alarm_id, row.event, row.from_state, row.to_state,
                     row.severity, row.at, row.by, row.comment, row.value, row.message)


def list_alarms(session: Session, *, state: str | None = None, zone: str | None = None,
                severity: str | None = None, kind: str | None = None,
                limit: int = 200) -> list[AlarmView]:
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
    return [view(r) for r in rows]


def get_alarm(session: Session, alarm_id: int) -> AlarmDetail:
    row = session.get(Alarm, alarm_id)
    if row is None:
        raise NotFound(f"no alarm {alarm_id}", code="alarm_not_found")
    events = session.scalars(select(AlarmEvent).where(AlarmEvent.alarm_id == alarm_id)
                             .order_by(AlarmEvent.id))
    return AlarmDetail(view(row), [_event(e) for e in events])


def changes(session: Session, since: int, limit: int = 500) -> tuple[list[EventView], int]:
    """Audit rows after the cursor `since`, and the cursor to ask with next time."""
    rows = session.scalars(select(AlarmEvent).where(AlarmEvent.id > since)
                           .order_by(AlarmEvent.id).limit(min(limit, MAX_ROWS))).all()
    events = [_event(r) for r in rows]
    return events, (events[-1].id if events else since)


def latest_cursor(session: Session) -> int:
    return session.scalar(select(AlarmEvent.id).order_by(AlarmEvent.id.desc()).limit(1)) or 0


@dataclass(frozen=True, slots=True)
class ExcursionView:
    id: int
    sensor: str
    quantity: str
    zone: str | None
    start: datetime
    end: datetime | None
    duration_s: float | None
    peak: float
    side: str
    severity: str
    above_s: float
    below_s: float
    critical_s: float
    tolerance_passed: bool
    held_at: datetime | None
    held_lots: list[str]
    hold_reason: str | None


def excursions(session: Session, *, zone: str | None = None, start: datetime | None = None,
               end: datetime | None = None, limit: int = 200) -> list[ExcursionView]:
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
    return [ExcursionView(
        r.id, r.sensor, r.quantity, r.zone, r.start, r.end,
        (r.end - r.start).total_seconds() if r.end else None, r.peak, r.side, r.severity,
        r.above_s, r.below_s, r.critical_s, r.tolerance_passed, r.held_at,
        list(r.held_lots or []), r.hold_reason) for r in rows]


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    route: str
    group: str
    target: str
    title: str
    alarm_ids: list[int]
    status: str
    attempts: int
    error: str | None
    at: datetime


def notifications(session: Session, *, status: str | None = None,
                  limit: int = 100) -> list[NotificationView]:
    query = select(Notification)
    if status is not None:
        query = query.where(Notification.status == status)
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(min(limit, MAX_ROWS)))
    return [NotificationView(r.id, r.route, r.group, r.target, r.title, list(r.alarm_ids or []),
                             r.status, r.attempts, r.error, r.at) for r in rows]
