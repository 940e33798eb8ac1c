"""Expiry and stock-limit alarms: the findings of `alerts.engine.stock_findings` run through the
same ISA-18.2 lifecycle as every other alarm (`alerts.engine.lifecycle`), one alarm per
(kind[:tier], lot or item). A finding raises at once (no delay: the data is
committed); when it is gone the alarm clears. They are told in the daily digest,
not one message each. Plain Python: the service calls it under its lock.

System alarms (`SYSTEM_KINDS`) are findings the hub reports about itself through
`report`, in an instance of their own: the broker session of one of its
subscribers, raised when the broker took it over or dropped it, cleared when the
subscriptions are granted again. They go to the routes like sensor alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from alerts.engine.lifecycle import (
    NORMAL,
    AlarmState,
    Subject,
    acknowledge,
    advance,
    shelve,
    unshelve,
)
from alerts.engine.stock_findings import (
    Finding,
    ItemStock,
    LotStock,
    expiry_findings,
    stock_findings,
)
from alerts.model import AlarmKey, AlarmKind, Event, Severity, Transition
from alerts.rules.document import AlarmRules

STOCK_KINDS = frozenset({AlarmKind.EXPIRY, AlarmKind.EXPIRED, AlarmKind.LOW_STOCK,
                         AlarmKind.OVERSTOCK})
SYSTEM_KINDS = frozenset({AlarmKind.BROKER_SESSION, AlarmKind.AUDIT_CHAIN,
                          AlarmKind.ALARM_TEST_DUE})
CALIBRATION_KINDS = frozenset({AlarmKind.CALIBRATION_DUE, AlarmKind.CALIBRATION_MISMATCH})
# Rule id of the broker-session alarm; its subject is the subscriber's client id.
BROKER_SESSION = "broker-session"
# Rule id and subject of the audit trail's alarm: the chain does not verify.
AUDIT_CHAIN = "audit-chain"
AUDIT_TRAIL = "audit-trail"
# Kinds nobody may shelve: an alarm about the records themselves stays in sight.
NOT_SHELVABLE = frozenset({AlarmKind.AUDIT_CHAIN})


class FindingAlarms:
    def __init__(self) -> None:
        self.states: dict[AlarmKey, AlarmState] = {}
        self.kinds: dict[AlarmKey, AlarmKind] = {}
        self.zones: dict[AlarmKey, str | None] = {}
        self.current: list[Finding] = []

    def restore(self, key: AlarmKey, kind: AlarmKind, state: AlarmState,
                zone: str | None) -> None:
        self.states[key], self.kinds[key], self.zones[key] = state, kind, zone

    def judge(self, rules: AlarmRules, lots: Sequence[LotStock], items: Sequence[ItemStock],
              today: date, now: datetime) -> list[Transition]:
        current = expiry_findings(rules.expiry, lots, today) + stock_findings(rules.stock, items)
        return self.settle(current, now)

    def settle(self, current: list[Finding], now: datetime) -> list[Transition]:
        """The alarms of these findings, all that hold now: raised, kept or cleared."""
        self.current = current
        found = {f.key: f for f in current}
        out: list[Transition] = []
        for key in sorted(set(found) | set(self.states), key=str):
            finding = found.get(key)
            if finding is not None:
                self.kinds[key], self.zones[key] = finding.kind, finding.zone
            state = self.states.get(key, NORMAL)

            def text(event: Event, _state: AlarmState, _at: datetime,
                     finding: Finding | None = finding, key: AlarmKey = key) -> str:
                if finding is not None:
                    return finding.message
                return f"{self.kinds[key].replace('_', ' ')} {key.subject}: no longer ({event})"

            subject = Subject(key, self.kinds[key], zone=self.zones.get(key))
            new, transitions = advance(state, subject, holding=finding is not None,
                                       due=finding.severity if finding else None, now=now,
                                       text=text)
            self._keep(key, new)
            out += transitions
        return out

    def report(self, key: AlarmKey, kind: AlarmKind, severity: Severity | None, message: str,
               now: datetime) -> list[Transition]:
        """A condition observed elsewhere holds (`severity`) or has ended (None)."""
        state = self.states.get(key, NORMAL)
        if severity is None and state is NORMAL:
            return []
        self.kinds[key] = kind
        self.zones.setdefault(key, None)
        new, out = advance(state, Subject(key, kind), holding=severity is not None,
                           due=severity, now=now, text=lambda _e, _s, _a: message)
        self._keep(key, new)
        return out

    def _keep(self, key: AlarmKey, state: AlarmState) -> None:
        if state is NORMAL or state.phase.value == "normal":
            self.states.pop(key, None)
        else:
            self.states[key] = state

    def operate(self, key: AlarmKey, action: str, *, by: str, now: datetime, comment: str = "",
                until: datetime | None = None) -> list[Transition]:
        state = self.states.get(key)
        if state is None:
            return []
        subject = Subject(key, self.kinds[key], zone=self.zones.get(key))

        def text(event: Event, _state: AlarmState, _at: datetime) -> str:
            return f"{self.kinds[key].replace('_', ' ')} alarm {key} {event} by {by}"

        if action == "acknowledge":
            new, out = acknowledge(state, subject, by=by, comment=comment, now=now, text=text)
        elif action == "shelve" and until is not None:
            new, out = shelve(state, subject, until=until, by=by, reason=comment, now=now,
                              text=text)
        else:
            new, out = unshelve(state, subject, by=by, now=now, text=text)
        self._keep(key, new)
        return out
