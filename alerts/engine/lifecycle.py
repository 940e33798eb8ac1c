"""The ISA-18.2 lifecycle of one alarm of one (rule, subject), as pure functions.

Each alarm kind decides two things about its condition at a moment: does it
hold (`holding`, with the kind's own hysteresis), and which severity has held
long enough to raise (`due`, after the kind's delay). `advance` turns those into
phase changes; `acknowledge`, `shelve` and `unshelve` are the operator's side.

    normal --holds--> pending --due--> active --ack--> acknowledged
       ^                 |               |                  |
       +--- cancelled ---+            cleared            cleared
       |                                 v                  |
       +----- closed <---ack--------- cleared               |
       +----- closed <------------------------------------- +

A cleared, unacknowledged alarm whose condition returns for the delay becomes
active again: the same alarm, not a second one. A warning alarm whose critical
level holds for the delay escalates to critical and needs acknowledging again.
Shelving is a flag beside the phase: the phase keeps following the condition,
and transitions made while shelved say so, so nobody is notified of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from alerts.model import AlarmKey, AlarmKind, Event, Phase, Severity, Transition


@dataclass(frozen=True, slots=True)
class AlarmState:
    phase: Phase = Phase.NORMAL
    severity: Severity = Severity.WARNING
    since: datetime | None = None  # when the pending condition or the alarm began
    shelved_until: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.phase in (Phase.ACTIVE, Phase.ACKNOWLEDGED, Phase.CLEARED)

    @property
    def raised(self) -> bool:
        """Active, acknowledged or not: the condition is (still) there."""
        return self.phase in (Phase.ACTIVE, Phase.ACKNOWLEDGED)


NORMAL = AlarmState()


@dataclass(frozen=True, slots=True)
class Subject:
    """What a transition needs to say besides the phases: filled by the alarm kind."""

    key: AlarmKey
    kind: AlarmKind
    zone: str | None = None
    gateway: str | None = None
    value: float | None = None
    limit: float | None = None


Describe = Callable[[Event, AlarmState, datetime], str]


def _transition(subject: Subject, event: Event, old: AlarmState, new: AlarmState,
                now: datetime, text: Describe, by: str | None = None, comment: str = ""
                ) -> Transition:
    to = Phase.CLOSED if event is Event.CLOSED or (
        new.phase is Phase.NORMAL and old.is_open) else new.phase
    shelved = old.shelved_until is not None and now < old.shelved_until
    return Transition(
        key=subject.key, kind=subject.kind, event=event, from_phase=old.phase, to_phase=to,
        severity=new.severity if new.phase is not Phase.NORMAL else old.severity, at=now,
        message=text(event, new if new.phase is not Phase.NORMAL else old, now),
        value=subject.value, limit=subject.limit, zone=subject.zone, gateway=subject.gateway,
        since=new.since or old.since, shelved=shelved, by=by, comment=comment)


def advance(state: AlarmState, subject: Subject, *, holding: bool, due: Severity | None,
            now: datetime, text: Describe, started: datetime | None = None
            ) -> tuple[AlarmState, list[Transition]]:
    """The phase change, if any, when the condition holds (or not) at `now`.

    `started`: when the condition began, if the kind knows (a threshold: when the value
    went out); else `now`. It is the `since` of a new episode: a pending condition, an
    alarm raised with no delay, and a cleared alarm raised again (a new episode, not
    the old one's start)."""
    out: list[Transition] = []
    new = state
    if state.shelved_until is not None and now >= state.shelved_until:
        new = replace(state, shelved_until=None)
        out.append(_transition(subject, Event.UNSHELVED, new, new, now, text))
        state = new
    phase = state.phase
    if phase is Phase.NORMAL:
        if due is not None:
            new = replace(state, phase=Phase.ACTIVE, severity=due, since=started or now)
            out.append(_transition(subject, Event.RAISED, state, new, now, text))
        elif holding:
            new = replace(state, phase=Phase.PENDING, since=started or now)
            out.append(_transition(subject, Event.PENDING, state, new, now, text))
    elif phase is Phase.PENDING:
        if due is not None:
            new = replace(state, phase=Phase.ACTIVE, severity=due)
            out.append(_transition(subject, Event.RAISED, state, new, now, text))
        elif not holding:
            new = replace(state, phase=Phase.NORMAL, since=None)
            out.append(_transition(subject, Event.CANCELLED, state, new, now, text))
    elif phase is Phase.CLEARED:
        if due is not None:
            new = replace(state, phase=Phase.ACTIVE, since=started or now, severity=max(
                due, state.severity, key=lambda s: s.rank))
            out.append(_transition(subject, Event.RAISED, state, new, now, text))
    elif not holding:
        if phase is Phase.ACTIVE:
            new = replace(state, phase=Phase.CLEARED)
        else:  # acknowledged and now cleared: closed
            new = replace(state, phase=Phase.NORMAL, since=None)
        out.append(_transition(subject, Event.CLEARED, state, new, now, text))
    elif due is not None and due.rank > state.severity.rank:
        new = replace(state, phase=Phase.ACTIVE, severity=due)
        out.append(_transition(subject, Event.ESCALATED, state, new, now, text))
    return _settled(new), out


def _settled(state: AlarmState) -> AlarmState:
    # Back to the one shared NORMAL, so "nothing under way" stays an identity test.
    if state.phase is Phase.NORMAL and state.shelved_until is None:
        return NORMAL
    return state


def acknowledge(state: AlarmState, subject: Subject, *, by: str, comment: str,
                now: datetime, text: Describe) -> tuple[AlarmState, list[Transition]]:
    """Active becomes acknowledged; cleared becomes closed. Anything else: nothing to do."""
    if state.phase is Phase.ACTIVE:
        new = replace(state, phase=Phase.ACKNOWLEDGED)
        return new, [_transition(subject, Event.ACKNOWLEDGED, state, new, now, text, by, comment)]
    if state.phase is Phase.CLEARED:
        new = replace(state, phase=Phase.NORMAL, since=None, shelved_until=None)
        return NORMAL, [_transition(subject, Event.CLOSED, state, new, now, text, by, comment)]
    return state, []


def shelve(state: AlarmState, subject: Subject, *, until: datetime, by: str, reason: str,
           now: datetime, text: Describe) -> tuple[AlarmState, list[Transition]]:
    if until <= now:
        return state, []
    new = replace(state, shelved_until=until)
    return new, [_transition(subject, Event.SHELVED, new, new, now, text, by, reason)]


def unshelve(state: AlarmState, subject: Subject, *, by: str, now: datetime, text: Describe
             ) -> tuple[AlarmState, list[Transition]]:
    if state.shelved_until is None:
        return state, []
    new = replace(state, shelved_until=None)
    return _settled(new), [_transition(subject, Event.UNSHELVED, new, new, now, text, by)]
