"""Several hub processes, one leading the alarm engine (kernel/leader.py): what a
process that does not lead hands to the one that does, through SQL.

An operator's action (acknowledge, shelve, unshelve) taken through any process must
change the one evaluator that runs: a standby stores the request
(`alarm_requests`), the leader takes it at its next timer round (every
`alerts.service.FLUSH_S`, 0.2 s) and carries it out as if asked itself, and the
standby answers with the leader's result (the alarm as it stands after, or the
leader's error). Rules edited through a standby are stored by it and reloaded by the
leader the same way. No second evaluator ever writes an alarm row.

A new leader resumes the planner from the notices claimed in SQL (`told_by_route`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from alerts import queries, repository
from alerts.model import AlarmKey, AlarmKind, Event, Phase, Severity, Transition
from alerts.notifications.plan import Told
from alerts.schemas import AlarmPublic
from kernel import errors
from kernel.errors import Busy, DomainError
from kernel.signatures import Signer
from kernel.uow import Done, Idempotency, unit_of_work

if TYPE_CHECKING:
    from alerts.service import AlarmService

log = logging.getLogger(__name__)

ANSWER_WITHIN_S = 10.0
_EVENTS = {"acknowledge": Event.ACKNOWLEDGED, "shelve": Event.SHELVED,
           "unshelve": Event.UNSHELVED}
RELOAD_RULES = "rules"


def forward(service: AlarmService, alarm_id: int, action: str, *, by: str, comment: str,
            until: datetime | None, idem: Idempotency | None, signer: Signer | None = None
            ) -> Done[list[repository.StoredTransition]]:
    """On a standby: the leader carries out the action; one answer per idempotency key
    (a resend replays the first answer and asks the leader nothing). A signed
    acknowledgement's signature is written here, once the leader has done it, in the
    transaction of the answer (the leader's transaction cannot carry it)."""
    with service.sessions() as session:
        return _forwarded(session, service, alarm_id, action, by, comment, until, idem,
                          signer=signer)


@unit_of_work()
def _forwarded(session: Session, service: AlarmService, alarm_id: int, action: str, by: str,
               comment: str, until: datetime | None, idem: Idempotency | None = None, *,
               signer: Signer | None = None) -> list[repository.StoredTransition]:
    """`session` holds only the idempotency key's transaction; the request goes in its
    own, committed at once, so that the leader sees it."""
    with service.sessions() as asking:
        asked = repository.ask_leader(asking, action, alarm_id, by, comment, until,
                                      service.clock()).value
    assert asked is not None
    _wait(service, asked)
    with service.sessions() as reading:
        alarm = queries.get_alarm(reading, alarm_id).alarm
    done = Transition(alarm.key, AlarmKind(alarm.kind), _EVENTS[action], Phase.ACTIVE,
                      Phase.CLOSED if alarm.state == "closed" else Phase(alarm.state),
                      Severity(alarm.severity), alarm.updated_at, alarm.message, by=by,
                      comment=comment)
    if signer is not None:
        repository.sign_acknowledgement(session, alarm, comment, signer)
    return [repository.StoredTransition(alarm, done)]


def _wait(service: AlarmService, request_id: int) -> None:
    deadline = time.monotonic() + ANSWER_WITHIN_S
    while time.monotonic() < deadline:
        with service.sessions() as session:
            asked = repository.request(session, request_id)
        if asked is not None and asked.state != "waiting":
            if asked.error:
                raise _error(asked.error, asked.detail or "")
            return
        time.sleep(0.05)
    raise Busy("no hub process leads the alarm engine right now; try again in a few seconds",
               code="alarms_no_leader")


def _error(stored: str, detail: str) -> DomainError:
    name, _, code = stored.partition(":")
    kind = getattr(errors, name, None)
    if isinstance(kind, type) and issubclass(kind, DomainError):
        return kind(detail, code=code or None)
    return Busy(detail, code=code or None)


def ask_reload(sessions: sessionmaker[Session], clock: Callable[[], datetime], by: str) -> None:
    """Rules edited through a standby: the leader reads them again from SQL."""
    with sessions() as session:
        repository.ask_leader(session, RELOAD_RULES, None, by, "", None, clock())


def serve_requests(service: AlarmService) -> None:
    """On the leader, every timer round: what the standbys were asked."""
    with service.sessions() as session:
        waiting = repository.waiting_requests(session)
    for asked in waiting:
        error: str | None = None
        detail: str | None = None
        try:
            if asked.action == RELOAD_RULES:
                service.reload_rules()
            else:
                assert asked.alarm_id is not None
                service.operate(asked.alarm_id, asked.action, by=asked.by,
                                comment=asked.comment, until=asked.until)
        except DomainError as exc:
            error, detail = f"{type(exc).__name__}:{exc.code}"[:32], exc.message
        except Exception as exc:
            log.exception("an operator's request failed on the leader")
            error, detail = "Busy:alarms_request_failed", str(exc)[:300]
        with service.sessions() as session:
            repository.answer_request(session, asked.id, error, detail)


def told_by_route(alarms: Sequence[AlarmPublic], rows: Sequence[repository.ToldNotice]
                  ) -> dict[tuple[AlarmKey, str], Told]:
    """The notices claimed in SQL, per (alarm, route), as the planner resumes them."""
    keys = {a.id: a.key for a in alarms}
    grouped: dict[tuple[AlarmKey, str], list[repository.ToldNotice]] = {}
    for row in rows:
        if row.alarm_id in keys:
            grouped.setdefault((keys[row.alarm_id], row.route), []).append(row)
    return {pair: Told(
        level=max((r.level for r in told if r.what != "cleared"), default=0),
        seen=frozenset((r.what, r.at) for r in told),
        unsent=tuple((r.level, r.what, r.at) for r in told if not r.sent))
        for pair, told in grouped.items()}
