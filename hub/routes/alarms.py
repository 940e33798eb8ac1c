"""Alarms: the open ones and their history, acknowledge and shelve, excursions,
notifications, the rules, and a live feed for the alarms page.

Acknowledging is for anyone on duty (operator and up: ISA-18.2's operator
acknowledges); shelving and unshelving need a supervisor and a reason, and
editing the rules an admin. Live page: `GET /alarms/changes?since=<cursor>`
answers at once when there are audit rows after the cursor, else waits up to
`wait` seconds (at most 25) for one: a long poll that costs nothing while idle.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from pydantic import ValidationError

from alerts import queries
from alerts.repository import StoredTransition
from alerts.rules import edits as rule_edits
from alerts.schemas import (
    Acknowledge,
    AlarmDetailPublic,
    AlarmPublic,
    ChangesPublic,
    ExcursionPublic,
    NotificationPublic,
    PendingPublic,
    RulesPublic,
    ShelveBody,
    UnshelveBody,
)
from alerts.schemas import SeverityName as Severity
from alerts.service import AlarmService
from hub.accounts.signing import SIGNED, signer_for
from hub.auth import Admin, CurrentUser, Supervisor, reauthenticated, require_role
from hub.deps import DbSession, HubDep, SessionDep, WriteSessionDep
from hub.reports.excursion import ExcursionDetailPublic, excursion_detail
from hub.routes.common import Answer, OptionalIdempotencyDep, ReasonQuery
from kernel.actors import Role
from kernel.errors import Busy, Invalid
from kernel.fields import IsoDateTime
from kernel.signatures import (
    ALARM_ACK,
    ALARM_RULES,
    Meaning,
    SignatureIn,
    Signer,
    ack_needs_signature,
)
from kernel.uow import Idempotency

router = APIRouter(tags=["alarms"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "alarm_not_found"},
    409: {"description": "alarm_closed, alarm_state (already done), rules_from_file"},
    422: {"description": "invalid request or rules (`detail` names file, field, reason)"},
    503: {"description": "alarms_not_running: this hub runs without the alarm engine"},
}
NO_ENGINE = {503: {"description": "alarms_not_running: this hub runs without the alarm engine"}}
# Bounded to the database's integers, so a huge id is a 422, not a 500.
AlarmId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Cursor = Annotated[int, Query(ge=-1, le=2**62)]
State = Literal["open", "active", "acknowledged", "cleared", "closed", "all"]
MAX_WAIT_S = 25.0


def _service(hub: HubDep) -> AlarmService:
    if hub.alarms is None:
        raise Busy("this hub runs without the alarm engine", code="alarms_not_running")
    return hub.alarms


ServiceDep = Annotated[AlarmService, Depends(_service)]


def _after(value: list[StoredTransition]) -> AlarmPublic:
    """An operator's action answers the alarm as it stands after its last transition."""
    return value[-1].alarm


@router.get("/alarms", response_model=list[AlarmPublic])
def list_alarms(session: SessionDep, state: State = "open", zone: str | None = None,
                severity: Severity | None = None, kind: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AlarmPublic]:
    """Open alarms (active, acknowledged or cleared) by default, newest change first."""
    return queries.list_alarms(session, state=state, zone=zone, severity=severity, kind=kind,
                               limit=limit)


@router.get("/alarms/changes", response_model=ChangesPublic)
async def changes(request: Request, hub: HubDep, since: Cursor = -1,
                  wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S)] = MAX_WAIT_S
                  ) -> ChangesPublic:
    """The live feed. `since=-1` (the default) answers at once with the current cursor
    and no events: load `GET /alarms`, then poll with the cursor. Waits only in the
    hub process that runs the alarm engine; elsewhere it answers at once. An answer
    after a wait checks the token again first: revoked, expired or deactivated
    meanwhile is 401, and no event goes out."""

    def read(cursor: int) -> ChangesPublic:
        with hub.sessions() as session:
            if cursor < 0:
                return ChangesPublic(cursor=queries.latest_cursor(session), events=[], alarms=[])
            events, new_cursor = queries.changes(session, cursor)
            ids = list(dict.fromkeys(e.alarm_id for e in events))
            alarms = [queries.get_alarm(session, i).alarm for i in ids]
        return ChangesPublic(cursor=new_cursor, events=events, alarms=alarms)

    deadline = time.monotonic() + min(wait, hub.settings.alarm_feed_wait_s)
    waited = False
    stopping = request.app.state.stopping
    while True:
        version = hub.alarms.version if hub.alarms else 0
        answer = await asyncio.to_thread(read, since)
        if (answer.events or since < 0 or hub.alarms is None or time.monotonic() >= deadline
                or stopping.is_set()):
            if waited:  # checked at the start of the request, maybe 25 s ago
                await reauthenticated(request, hub)
            return answer
        waited = True
        # Idle: watch the service's change counter, no query until it moves. Another hub
        # process's changes are seen by the query every few seconds. The server stopping
        # (one Ctrl-C must not wait 25 s for this poll) answers at once; a client gone
        # ends the wait without an answer.
        recheck = time.monotonic() + 5.0
        while time.monotonic() < min(deadline, recheck) and not stopping.is_set():
            if hub.alarms is not None and hub.alarms.version != version:
                break
            if await request.is_disconnected():
                return ChangesPublic(cursor=since, events=[], alarms=[])
            await asyncio.sleep(0.2)


@router.get("/alarms/pending", response_model=list[PendingPublic], responses=NO_ENGINE)
def pending(service: ServiceDep) -> list[PendingPublic]:
    """Conditions inside their delay: not alarms (yet); nothing is stored for them."""
    # Unchecked below: the evaluator's severities are the Literal's values; its key types them
    # str.
    return [PendingPublic(rule=k.rule, subject=k.subject, since=since, severity=sev)  # type: ignore[arg-type]
            for k, since, sev in service.pending()]


@router.get("/alarms/excursions", response_model=list[ExcursionPublic])
def list_excursions(session: SessionDep, zone: str | None = None,
                    start: IsoDateTime | None = None, end: IsoDateTime | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200
                    ) -> list[ExcursionPublic]:
    """Excursions (periods out of range) overlapping the period, newest first
    (a time without a zone is taken as UTC)."""
    return queries.excursions(session, zone=zone, start=start, end=end, limit=limit)


@router.get("/alarms/excursions/{excursion_id}", response_model=ExcursionDetailPublic)
def get_excursion(session: SessionDep,
                  excursion_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> ExcursionDetailPublic:
    """One excursion with its figures so far (live while under way: peak, time beyond
    each level, the last value, the tolerance left) and the lots it held or will hold."""
    return excursion_detail(session, excursion_id)


@router.get("/alarms/notifications", response_model=list[NotificationPublic])
def list_notifications(session: SessionDep, status: Literal["sent", "failed"] | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100
                       ) -> list[NotificationPublic]:
    """Recent sends, newest first; `status=failed` shows the routes in trouble."""
    return queries.notifications(session, status=status, limit=limit)


@router.get("/alarms/rules", response_model=RulesPublic, responses=NO_ENGINE)
def get_rules(service: ServiceDep) -> RulesPublic:
    """The rules in force, for every role; recipient URLs masked (`mailtos://alarms:***@...`)
    for every role: they are written, never read back."""
    file = service.settings.rules_file
    return RulesPublic(source="file" if file else "api", file=file.name if file else None,
                       rules=service.rules_document())


@router.put("/alarms/rules", response_model=RulesPublic, responses={**PROBLEMS, **SIGNED},
            dependencies=[Depends(require_role(Role.ADMIN))])
def put_rules(service: ServiceDep, user: Admin, idem: OptionalIdempotencyDep,
              session: WriteSessionDep, rules: Annotated[dict[str, Any], Body()],
              reason: ReasonQuery = None) -> RulesPublic:
    """Replace the rules (admin). Refused with 409 `rules_from_file` while a rules
    file is configured; a bad document is 422 with one `field: reason` per problem.
    A recipient URL sent back masked as GET shows it keeps the stored URL. Signed:
    `"signature": {"password": ..., "meaning": "approved"}` beside the rules' sections."""
    rules, signer = _signed_rules(session, user, rules)
    service.replace_rules(rules, user, idem, reason, signer)
    return get_rules(service)


def _signed_rules(session: DbSession, user: Admin, body: dict[str, Any]
                  ) -> tuple[dict[str, Any], Signer | None]:
    """The rules without their `signature` key, and its proven signer."""
    body = dict(body)
    raw = body.pop("signature", None)
    try:
        signature = None if raw is None else SignatureIn.model_validate(raw)
    except ValidationError as exc:
        raise Invalid("signature: %(problem)s", code="invalid_signature",
                      problem=exc.errors()[0]["msg"]) from None
    return body, signer_for(session, user, signature, ALARM_RULES)


SignaturePassword = Annotated[str | None, Header(
    alias="Signature-Password", max_length=200,
    description="a DELETE's electronic signature: the password again (it has no body)")]
SignatureMeaning = Annotated[Meaning | None, Header(
    alias="Signature-Meaning", description="the DELETE's signature's meaning: approved")]


def _edit(service: AlarmService, edit: Callable[[dict[str, Any]], dict[str, Any]],
          user: Admin, idem: Idempotency | None, reason: str | None,
          signer: Signer | None) -> RulesPublic:
    service.edit_rules(edit, user, idem, reason, signer)
    return get_rules(service)


@router.post("/alarms/rules/{section}", response_model=RulesPublic,
             responses={**PROBLEMS, **SIGNED})
def add_rule(section: Literal["thresholds", "offline"], service: ServiceDep, user: Admin,
             idem: OptionalIdempotencyDep, session: WriteSessionDep,
             rule: Annotated[dict[str, Any], Body()], reason: ReasonQuery = None
             ) -> RulesPublic:
    """Add one threshold or offline rule (admin; no rules file), keys as in the file;
    signed with a `signature` key beside them."""
    rule, signer = _signed_rules(session, user, rule)
    return _edit(service, lambda doc: rule_edits.add_rule(doc, section, rule), user, idem,
                 reason, signer)


@router.delete("/alarms/rules/{rule_id}", response_model=RulesPublic,
               responses={**PROBLEMS, **SIGNED})
def delete_rule(rule_id: Annotated[str, Path(max_length=200)], service: ServiceDep,
                user: Admin, idem: OptionalIdempotencyDep, session: WriteSessionDep,
                reason: ReasonQuery = None, password: SignaturePassword = None,
                meaning: SignatureMeaning = None) -> RulesPublic:
    """Remove a threshold or offline rule by its id, e.g. `zone:COLD-1:temperature_c`.
    A DELETE has no body: its signature comes in the headers `Signature-Password` and
    `Signature-Meaning`."""
    signature = None
    if password is not None or meaning is not None:
        if not password or meaning is None:
            raise Invalid("a signature needs both Signature-Password and Signature-Meaning",
                          code="invalid_signature")
        signature = SignatureIn(password=password, meaning=meaning)
    signer = signer_for(session, user, signature, ALARM_RULES)
    return _edit(service, lambda doc: rule_edits.remove_rule(doc, rule_id), user, idem,
                 reason, signer)


@router.get("/alarms/{alarm_id}", response_model=AlarmDetailPublic, responses=PROBLEMS)
def get_alarm(alarm_id: AlarmId, session: SessionDep) -> AlarmDetailPublic:
    return queries.get_alarm(session, alarm_id)


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmPublic,
             responses={**PROBLEMS, **SIGNED})
def acknowledge(alarm_id: AlarmId, body: Acknowledge, service: ServiceDep, user: CurrentUser,
                idem: OptionalIdempotencyDep, session: WriteSessionDep,
                reading: SessionDep) -> Response:
    """Acknowledge an active alarm (any signed-in user); a cleared one closes. A
    critical alarm's acknowledgement is signed (setting `signature_ack_severities`):
    `signature` with the password and the meaning `reviewed`."""
    answer = Answer(AlarmPublic, _after)
    severity = queries.get_alarm(reading, alarm_id).alarm.severity
    signer = signer_for(session, user, body.signature, ALARM_ACK,
                        needed=ack_needs_signature(severity))
    done = service.operate(alarm_id, "acknowledge", by=user.username, comment=body.comment,
                           idem=answer.keyed(idem), signer=signer)
    return answer.response(done)


@router.post("/alarms/{alarm_id}/shelve", response_model=AlarmPublic, responses=PROBLEMS)
def shelve(alarm_id: AlarmId, body: ShelveBody, service: ServiceDep, user: Supervisor,
           idem: OptionalIdempotencyDep) -> Response:
    """Shelve for `minutes` with a reason (supervisor): nobody is notified meanwhile."""
    until = service.clock() + timedelta(minutes=body.minutes)
    answer = Answer(AlarmPublic, _after)
    done = service.operate(alarm_id, "shelve", by=user.username, comment=body.reason,
                           until=until, idem=answer.keyed(idem))
    return answer.response(done)


@router.post("/alarms/{alarm_id}/unshelve", response_model=AlarmPublic, responses=PROBLEMS)
def unshelve(alarm_id: AlarmId, body: UnshelveBody, service: ServiceDep, user: Supervisor,
             idem: OptionalIdempotencyDep) -> Response:
    answer = Answer(AlarmPublic, _after)
    done = service.operate(alarm_id, "unshelve", by=user.username, comment=body.reason,
                           idem=answer.keyed(idem))
    return answer.response(done)
