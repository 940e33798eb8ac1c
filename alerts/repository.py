"""The alarm engine's use-case reads and writes in SQL (read models for the API,
pages and reports: alerts/queries.py): each transition updates its alarm row and
appends its audit row in one transaction (`@unit_of_work`, kernel/uow.py), excursions become
compliance records, notifications are recorded sent or failed, the rules and the
digest's day are kept as settings.

Pending conditions are not stored: they are inside the delay, nothing is raised
yet, and a restarted hub finds them again from the next readings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.engine.excursions import ExcursionEvent, HoldDecision
from alerts.engine.lifecycle import AlarmState
from alerts.model import AlarmKey, AlarmKind, Event, Phase, Severity, Transition
from alerts.orm import (
    OPEN_STATES,
    Alarm,
    AlarmEvent,
    AlarmNotice,
    AlarmRequest,
    AlarmSetting,
    Excursion,
    Notification,
)
from alerts.rules.url_secrets import mask_recipients
from alerts.schemas import AlarmPublic
from kernel import audit, signatures
from kernel.actors import Actor, Role
from kernel.audit_chain import ALARM_RULES
from kernel.errors import Conflict
from kernel.signatures import Signer
from kernel.uow import Idempotency, unit_of_work

# Transitions that make or change an alarm row; pending and cancelled do not.
_STORED = {Event.RAISED, Event.ESCALATED, Event.CLEARED, Event.ACKNOWLEDGED, Event.CLOSED,
           Event.SHELVED, Event.UNSHELVED}


@dataclass(frozen=True, slots=True)
class StoredTransition:
    """One transition as stored, with its alarm as it stands after it: for the log, MQTT
    and the operator's answer (not the unit of work's replayable answer,
    `kernel.uow.Recorded`)."""

    alarm: AlarmPublic
    transition: Transition


def _state(phase: Phase) -> str:
    return "closed" if phase in (Phase.CLOSED, Phase.NORMAL) else phase.value


def _apply(session: Session, t: Transition) -> Alarm | None:
    open_key = str(t.key)
    row = session.scalar(select(Alarm).where(Alarm.open_key == open_key))
    if row is None:
        if t.event is not Event.RAISED and not (t.event is Event.UNSHELVED
                                               and t.to_phase is Phase.ACTIVE):
            return None  # e.g. a shelf ending on a pending condition: nothing stored
        row = Alarm(rule=t.key.rule, subject=t.key.subject, open_key=open_key, kind=t.kind.value,
                    state="active", severity=t.severity.value, zone=t.zone, gateway=t.gateway,
                    raised_at=t.at, updated_at=t.at, message=t.message, shelved=False)
        session.add(row)
        session.flush()
        # A new row's audit starts where the condition was (pending, or normal with no
        # delay), not at the state the row was just created in.
        before = t.from_phase.value
    else:
        before = row.state
    row.updated_at = t.at
    row.severity = t.severity.value
    if t.event in (Event.RAISED, Event.ESCALATED, Event.CLEARED):
        row.value, row.limit, row.message = t.value, t.limit, t.message
    if t.event is Event.SHELVED:
        row.shelved, row.shelved_by, row.shelve_reason = True, t.by, t.comment
    elif t.event is Event.UNSHELVED:
        row.shelved, row.shelved_until = False, None
    else:
        row.state = _state(t.to_phase)
    if t.event is Event.ACKNOWLEDGED or (t.event is Event.CLOSED and t.by):
        row.acked_by, row.acked_at, row.ack_comment = t.by, t.at, t.comment
    if t.event is Event.CLEARED:
        row.cleared_at = t.at
    if t.event is Event.RAISED:
        row.cleared_at = None
        row.episode_since = t.since or t.at
    if row.state == "closed":
        row.open_key, row.closed_at = None, t.at
    session.add(AlarmEvent(alarm_id=row.id, event=t.event.value, from_state=before,
                           to_state=row.state, severity=t.severity.value, at=t.at, by=t.by,
                           comment=t.comment or None, value=t.value, message=t.message))
    return row


@unit_of_work()
def record(session: Session, transitions: Sequence[Transition], *,
           shelved_until: dict[AlarmKey, datetime] | None = None,
           idem: Idempotency | None = None, require: bool = False,
           signer: Signer | None = None) -> list[StoredTransition]:
    """Store the transitions (alarm rows and their audit rows) in one transaction.

    `require`: an operator's request that changed nothing is a Conflict (already
    acknowledged, not open ...), answered once per idempotency key like any write.
    """
    stored = [t for t in transitions if t.event in _STORED]
    if require and not stored:
        raise Conflict("the alarm is not in a state that allows this (already done?)",
                       code="alarm_state")
    out = []
    for t in stored:
        row = _apply(session, t)
        if row is None:
            continue
        if t.event is Event.SHELVED and shelved_until and t.key in shelved_until:
            row.shelved_until = shelved_until[t.key]
        session.flush()
        out.append(StoredTransition(AlarmPublic.model_validate(row), t))
    if signer is not None and out:
        sign_acknowledgement(session, out[0].alarm, out[0].transition.comment or "", signer)
    return out


def sign_acknowledgement(session: Session, alarm: AlarmPublic, comment: str,
                         signer: Signer) -> None:
    """A signed acknowledgement: the signature and an audit row naming it, in the
    caller's transaction (the acknowledgement's, on the leading process)."""
    content = {"alarm": alarm.id, "kind": alarm.kind, "severity": alarm.severity,
               "message": alarm.message, "state": alarm.state, "comment": comment}
    signed = signatures.sign(session, signer, "alarm", alarm.id, content)
    # The trail records the user and how they came; the role is not recorded.
    actor = Actor(signer.user_id, signer.username, Role.OPERATOR, signer.via)
    audit.record(session, actor, "acknowledge", "alarm", alarm.id, None,
                 {"state": alarm.state, "comment": comment},
                 signature=signatures.ref(signed))


def open_alarms(session: Session) -> list[AlarmPublic]:
    rows = session.scalars(select(Alarm).where(Alarm.state.in_(OPEN_STATES)).order_by(Alarm.id))
    return [AlarmPublic.model_validate(r) for r in rows]


def alarm_state(alarm: AlarmPublic) -> AlarmState:
    """The evaluator's state of a stored open alarm, for `Evaluator.restore`."""
    return AlarmState(phase=Phase(alarm.state), severity=Severity(alarm.severity),
                      since=alarm.episode_since or alarm.raised_at,
                      shelved_until=alarm.shelved_until if alarm.shelved else None)


def alarm_kind(alarm: AlarmPublic) -> AlarmKind:
    return AlarmKind(alarm.kind)


# --- excursions ------------------------------------------------------------------


def _open_excursion(session: Session, sensor: str, quantity: str) -> Excursion | None:
    return session.scalar(select(Excursion).where(
        Excursion.sensor == sensor, Excursion.quantity == quantity, Excursion.end.is_(None))
        .order_by(Excursion.id.desc()).limit(1))


@unit_of_work()
def record_excursions(session: Session, events: Iterable[ExcursionEvent],
                      tolerance: dict[str | None, float]) -> None:
    """Start, follow and end excursion records. After a restart, an excursion still
    open in SQL is continued, not started twice: its start stays the first one.
    "progress" events keep the open record's figures as they are now (the live
    excursion page and the API read them), one row update per excursion and batch."""
    # `events` may be a one-shot iterable and the unit of work reruns on a lock
    # conflict: the caller passes a list.
    rows: dict[tuple[str, str], Excursion] = {}
    for event in events:
        e = event.excursion
        key = (e.sensor, e.quantity)
        row = rows.get(key) or _open_excursion(session, e.sensor, e.quantity)
        if row is None:
            if event.event == "ended" and e.end is None:
                continue
            row = Excursion(sensor=e.sensor, quantity=e.quantity, zone=e.zone, start=e.start,
                            peak=e.peak, side="above" if e.side > 0 else "below",
                            severity=e.severity.value, held_lots=[], tolerance_passed=False)
            session.add(row)
        rows[key] = row
        further = max if e.side > 0 else min
        row.peak = further(row.peak, e.peak)
        if Severity(e.severity).rank > Severity(row.severity).rank:
            row.severity = e.severity.value
        row.above_s = max(row.above_s or 0.0, e.above_s)
        row.below_s = max(row.below_s or 0.0, e.below_s)
        row.critical_s = max(row.critical_s or 0.0, e.critical_s)
        row.tolerance_s = tolerance.get(e.zone)
        row.tolerance_passed = row.tolerance_passed or e.held or (
            row.critical_s >= tolerance.get(e.zone, float("inf")))
        row.last_value = event.value if event.value is not None else (row.last_value or e.peak)
        as_of = event.at or e.end or e.start
        if row.updated_at is None or as_of > row.updated_at:
            row.updated_at = as_of
        if event.event == "ended":
            row.end = e.end
            rows.pop(key, None)
    session.flush()


def _decided_excursion(session: Session, decision: HoldDecision) -> Excursion | None:
    """The excursion a hold decision is about, by identity: the sensor's excursion that
    started when the decision's did, else (continued after a restart, so the stored
    start is older) the one under way at the decision's moment. Never the sensor's
    newest: one batch may hold a whole excursion and the next one too."""
    same = (Excursion.sensor == decision.sensor, Excursion.quantity == decision.quantity)
    row = session.scalar(select(Excursion).where(
        *same, Excursion.start == decision.excursion_start).order_by(Excursion.id).limit(1))
    if row is None:
        row = session.scalar(select(Excursion).where(
            *same, Excursion.start <= decision.at,
            or_(Excursion.end.is_(None), Excursion.end >= decision.at))
            .order_by(Excursion.start.desc(), Excursion.id.desc()).limit(1))
    return row


def link_hold(session: Session, decision: HoldDecision, lots: Sequence[str]) -> int | None:
    """Mark the excursion that decided the hold; returns its id."""
    return _link_hold(session, decision, lots).value


@unit_of_work()
def _link_hold(session: Session, decision: HoldDecision, lots: Sequence[str]) -> int | None:
    row = _decided_excursion(session, decision)
    if row is None:
        return None
    row.tolerance_passed = True
    row.held_at = decision.at
    row.held_lots = sorted(set(row.held_lots or []) | set(lots))
    row.hold_reason = decision.reason
    return row.id


# --- notifications and small settings -------------------------------------------


@unit_of_work()
def record_notification(session: Session, *, route: str, group: str, target: str, title: str,
                        alarm_ids: Sequence[int], ok: bool, attempts: int, error: str | None,
                        at: datetime) -> None:
    session.add(Notification(route=route, group=group, target=target[:96], title=title,
                             alarm_ids=list(alarm_ids), status="sent" if ok else "failed",
                             attempts=attempts, error=error, at=at))


def get_setting(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(AlarmSetting, key)
    return dict(row.value) if row is not None else None


@unit_of_work()
def put_setting(session: Session, key: str, value: dict[str, Any], at: datetime,
                by: str | None = None, idem: Idempotency | None = None,
                answer: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store `value`; the answer (kept with an idempotency key) is `answer` if given:
    the rules' answer is their masked form, so no secret lands in idempotency_records."""
    row = session.get(AlarmSetting, key)
    if row is None:
        session.add(AlarmSetting(key=key, value=value, updated_at=at, updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = value, at, by
    return value if answer is None else answer


# --- leadership: notices claimed once, operator requests for the leader ------------
# (several hub processes, one leading the engine: kernel/leader.py)


# A mapped class's __table__ is a Table; SQLAlchemy's declarative base types it FromClause.
_NOTICES = cast(Table, AlarmNotice.__table__)


@dataclass(frozen=True, slots=True)
class NoticeClaim:
    key: str
    alarm_id: int
    route: str
    level: int
    what: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ToldNotice:
    """A notice claimed in SQL: told, or (sent_at None) claimed by a leader that may
    have died before sending it."""

    alarm_id: int
    route: str
    level: int
    what: str
    at: datetime
    sent: bool


@unit_of_work()
def claim_notices(session: Session, claims: Sequence[NoticeClaim], term: str,
                  now: datetime) -> set[str]:
    """The keys this leader (`term`) may send: new ones, and unsent ones an earlier
    leader claimed. A key already sent, or claimed by this term, is refused: the
    unique key is what keeps two leaders, or a leader and its successor, from
    telling anyone twice."""
    table = _NOTICES
    mine: set[str] = set()
    for claim in claims:
        try:
            with session.begin_nested():
                session.execute(insert(table).values(
                    key=claim.key, alarm_id=claim.alarm_id, route=claim.route,
                    level=claim.level, what=claim.what, at=claim.at, term=term,
                    claimed_at=now, sent_at=None))
            mine.add(claim.key)
        except IntegrityError:
            taken = session.execute(
                update(table).where(table.c.key == claim.key, table.c.sent_at.is_(None),
                                    table.c.term != term)
                .values(term=term, claimed_at=now))
            if getattr(taken, "rowcount", 0) == 1:
                mine.add(claim.key)
    return mine


@unit_of_work()
def notices_sent(session: Session, keys: Sequence[str], term: str, at: datetime) -> None:
    table = _NOTICES
    session.execute(update(table).where(table.c.key.in_(list(keys)), table.c.term == term)
                    .values(sent_at=at))


def told(session: Session, alarm_ids: Sequence[int]) -> list[ToldNotice]:
    """The notices claimed for these alarms, for a new leader's planner."""
    if not alarm_ids:
        return []
    rows = session.scalars(select(AlarmNotice).where(AlarmNotice.alarm_id.in_(list(alarm_ids))))
    return [ToldNotice(r.alarm_id, r.route, r.level, r.what, r.at, r.sent_at is not None)
            for r in rows]


@dataclass(frozen=True, slots=True)
class OperatorRequest:
    id: int
    action: str
    alarm_id: int | None
    by: str
    comment: str
    until: datetime | None
    state: str
    error: str | None
    detail: str | None


def _request(row: AlarmRequest) -> OperatorRequest:
    return OperatorRequest(row.id, row.action, row.alarm_id, row.by, row.comment, row.until,
                           row.state, row.error, row.detail)


@unit_of_work(creates=True)
def ask_leader(session: Session, action: str, alarm_id: int | None, by: str, comment: str,
               until: datetime | None, now: datetime) -> int:
    row = AlarmRequest(action=action, alarm_id=alarm_id, by=by, comment=comment, until=until,
                       state="waiting", at=now)
    session.add(row)
    session.flush()
    return row.id


def waiting_requests(session: Session) -> list[OperatorRequest]:
    rows = session.scalars(select(AlarmRequest).where(AlarmRequest.state == "waiting")
                           .order_by(AlarmRequest.id).limit(50))
    return [_request(r) for r in rows]


def request(session: Session, request_id: int) -> OperatorRequest | None:
    row = session.get(AlarmRequest, request_id)
    return _request(row) if row is not None else None


@unit_of_work()
def answer_request(session: Session, request_id: int, error: str | None,
                   detail: str | None) -> None:
    row = session.get(AlarmRequest, request_id)
    if row is not None:
        row.state = "failed" if error else "done"
        row.error, row.detail = error, detail


@unit_of_work()
def put_rules(session: Session, key: str, document: dict[str, Any], at: datetime,
              actor: Actor, reason: str | None, idem: Idempotency | None = None,
              signer: Signer | None = None) -> dict[str, Any]:
    """Store the rules edited over the API, with their audit row (kernel/audit.py):
    before and after masked (no recipient URL's secret lands in the trail or in
    idempotency_records), a reason required when the site says so."""
    signatures.need(signatures.ALARM_RULES, signer)
    row = session.get(AlarmSetting, key)
    before = mask_recipients(dict(row.value)) if row is not None else {}
    if row is None:
        session.add(AlarmSetting(key=key, value=document, updated_at=at,
                                 updated_by=actor.username))
    else:
        row.value, row.updated_at, row.updated_by = document, at, actor.username
    masked = mask_recipients(document)
    signed = None if signer is None else signatures.sign(
        session, signer, "alarm_rules", key, {"before": before, "after": masked,
                                              "reason": reason}, clock=lambda: at)
    audit.record(session, actor, "update", "alarm_rules", key, before,
                 masked, reason, kinds=[ALARM_RULES], clock=lambda: at,
                 signature=signatures.ref(signed))
    return masked
