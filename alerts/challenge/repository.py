"""The alarm path challenge's use cases in SQL: a test stored with its recipients
(queued), the leader's claim of what it sends (once across hub processes: a row is
claimed by one term, as `alarm_notices` are), each send's result, and the confirm
through a link. Read models: alerts/challenge/queries.py."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from alerts.challenge.plan import Target
from alerts.challenge.schemas import AlarmTestPublic, ConfirmView
from alerts.orm import AlarmTest, AlarmTestRecipient
from kernel import audit
from kernel.actors import Actor, Role
from kernel.errors import Conflict, NotFound
from kernel.uow import Idempotency, unit_of_work

ENTITY = "alarm_test"
DONE = ("delivered", "failed")
VIA_LINK = "confirm link"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@unit_of_work(creates=True)
def create_test(session: Session, by: Actor, route: str | None, group: str | None,
                note: str | None, targets: Sequence[Target], at: datetime,
                idem: Idempotency | None = None) -> AlarmTestPublic:
    from alerts.challenge.queries import public

    test = AlarmTest(requested_by=by.username, requested_at=at, route=route, group=group,
                     complete=route is None and group is None, note=note or None)
    session.add(test)
    session.flush()
    for t in targets:
        session.add(AlarmTestRecipient(
            test_id=test.id, route=t.route, group=t.group, index=t.index, target=t.target,
            recipient=t.recipient, status="queued", attempts=0))
    session.flush()
    audit.record(session, by, "send", ENTITY, test.id, None, {
        "route": route or "every route", "group": group or "every group",
        "recipients": [f"{t.route}/{t.group}/{t.recipient}" for t in targets],
        "note": note or None})
    return public(session, test)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A recipient this leader sends to now, with its link's token (kept nowhere else)."""

    id: int
    test_id: int
    requested_by: str
    target: Target
    token: str


@unit_of_work()
def claim(session: Session, term: str, limit: int = 100) -> list[Claimed]:
    """The recipients this leader (`term`) sends: queued ones, and ones an earlier leader
    claimed and did not finish (it died). Each claim is one guarded UPDATE, so two
    processes never both take a row; a new token replaces any earlier one."""
    table = AlarmTestRecipient
    rows = session.execute(
        select(table, AlarmTest.requested_by).join(AlarmTest, AlarmTest.id == table.test_id)
        .where(or_(table.status == "queued",
                   (table.status == "sending") & (table.term != term)))
        .order_by(table.id).limit(limit)).all()
    out = []
    for row, requested_by in rows:
        token = secrets.token_urlsafe(24)
        taken = session.execute(
            update(table).where(table.id == row.id, table.status == row.status,
                                table.term.is_(None) if row.term is None
                                else table.term == row.term)
            .values(status="sending", term=term, token_hash=token_hash(token))
            .execution_options(synchronize_session=False))
        if getattr(taken, "rowcount", 0) == 1:
            out.append(Claimed(row.id, row.test_id, requested_by, Target(
                row.route, row.group, row.index, row.target, row.recipient), token))
    return out


@unit_of_work()
def record_result(session: Session, recipient_id: int, ok: bool, attempts: int,
                  error: str | None, at: datetime) -> bool:
    """One send's result; True when it was the test's last (the test is finished)."""
    row = session.get(AlarmTestRecipient, recipient_id)
    if row is None:
        return False
    row.status, row.attempts, row.error, row.sent_at = (
        "delivered" if ok else "failed", attempts, None if ok else error, at)
    session.flush()
    left = session.scalar(select(func.count()).select_from(AlarmTestRecipient).where(
        AlarmTestRecipient.test_id == row.test_id, AlarmTestRecipient.status.not_in(DONE)))
    if left:
        return False
    test = session.get(AlarmTest, row.test_id)
    if test is None or test.finished_at is not None:
        return False
    test.finished_at = at
    return True


def _by_token(session: Session, token: str) -> AlarmTestRecipient:
    row = session.scalar(select(AlarmTestRecipient).where(
        AlarmTestRecipient.token_hash == token_hash(token)))
    if row is None:
        raise NotFound("this confirm link is not known (mistyped, or replaced by a newer "
                       "send of the same test)", code="test_link_not_found")
    return row


def view(session: Session, token: str) -> ConfirmView:
    row = _by_token(session, token)
    test = session.get(AlarmTest, row.test_id)
    assert test is not None
    return ConfirmView(test_id=test.id, requested_by=test.requested_by,
                       requested_at=test.requested_at, route=row.route, group=row.group,
                       recipient=row.recipient, confirmed_at=row.confirmed_at,
                       confirmed_by=row.confirmed_by)


@unit_of_work()
def confirm(session: Session, token: str, name: str | None, at: datetime) -> ConfirmView:
    """The recipient says the message reached them: once. The token is the proof (no
    login); who confirmed is the name they give, else the recipient itself."""
    row = _by_token(session, token)
    if row.confirmed_at is not None:
        raise Conflict("already confirmed by %(by)s on %(at)s UTC", code="already_confirmed",
                       by=row.confirmed_by, at=f"{row.confirmed_at:%Y-%m-%d %H:%M:%S}")
    who = (name or "").strip()[:100] or f"{row.group}/{row.target}"
    row.confirmed_at, row.confirmed_by = at, who
    session.flush()
    actor = Actor(user_id=0, username=who[:64], role=Role.OPERATOR, via=VIA_LINK)
    audit.record(session, actor, "confirm", ENTITY, f"{row.test_id}/{row.id}", None, {
        "route": row.route, "group": row.group, "recipient": row.recipient,
        "confirmed_by": who})
    return view(session, token)


def last_complete(session: Session) -> datetime | None:
    """When the newest finished test of every route was asked for."""
    return session.scalar(select(func.max(AlarmTest.requested_at)).where(
        AlarmTest.complete.is_(True), AlarmTest.finished_at.is_not(None)))

