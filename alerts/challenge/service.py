"""The alarm path challenge in the hub: a supervisor's test sent through the alarm
engine's own notification path (the `Dispatcher`'s worker, apprise, retries, the
`alarm_notifications` record), each recipient's result kept, and the supervisors
reminded by a system alarm when a test is due.

Any hub process stores a test (`request`); the process that leads the alarm engine
claims its recipients in SQL (`repository.claim`) at its next timer round and sends,
so a test goes out once whichever process was asked. The link's token is made at the
claim and kept only as a hash.

The reminder (`check_reminder`): kind `alarm_test_due`, severity info, raised when the
last complete test (every route) is older than `alarm_test_interval_days`, cleared
when a complete test has been sent (every recipient delivered or failed)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

from alerts import repository as alarm_repository
from alerts.challenge import plan, repository
from alerts.challenge.schemas import AlarmTestPublic, AlarmTestRequest, ConfirmView
from alerts.engine.evaluator import Outcome
from alerts.model import AlarmKey, AlarmKind, Severity
from alerts.notifications.dispatch import Outgoing, SendResult
from alerts.notifications.words import group_language
from alerts.rules.url_secrets import mask_url
from kernel.actors import Actor
from kernel.i18n_text import Text
from kernel.uow import Done, Idempotency

if TYPE_CHECKING:
    from alerts.service import AlarmService

log = logging.getLogger(__name__)

# How often the leader looks for tests asked through another process.
SERVE_S = 1.0
# When the schedule was first seen, for a hub with no test on record yet.
SCHEDULE_KEY = "alarm_test_schedule"
CONFIRM_PATH = "/alarm-tests/confirm"


class AlarmTests:
    def __init__(self, alarms: AlarmService, interval_days: int) -> None:
        self.alarms = alarms
        self.interval_days = interval_days
        self._wake = threading.Event()  # a test stored by this process: send at once
        self._finished = threading.Event()  # a test finished: judge the reminder again
        self._served_at = self._checked_at = 0.0
        alarms.dispatcher.on_test_result = self._result

    # --- any process ------------------------------------------------------------------

    def request(self, by: Actor, asked: AlarmTestRequest, idem: Idempotency | None = None
                ) -> Done[AlarmTestPublic]:
        targets = plan.targets(self.alarms.rules, asked.route, asked.group)
        with self.alarms.sessions() as session:
            done = repository.create_test(session, by, asked.route, asked.group, asked.note,
                                          targets, self.alarms.clock(), idem)
        self._wake.set()
        return done

    def view(self, token: str) -> ConfirmView:
        with self.alarms.sessions() as session:
            return repository.view(session, token)

    def confirm(self, token: str, name: str | None) -> ConfirmView:
        with self.alarms.sessions() as session:
            done = repository.confirm(session, token, name, self.alarms.clock())
        return done.get()

    # --- the leader --------------------------------------------------------------------

    def round(self) -> None:
        """Every timer round of the leader: send what was asked, judge the reminder
        when a test finished or every `audit_check_s`."""
        now = time.monotonic()
        if self._wake.is_set() or now - self._served_at >= SERVE_S:
            self._wake.clear()
            self._served_at = now
            self.serve()
        if self._finished.is_set() or now - self._checked_at >= self.alarms.settings.audit_check_s:
            self._finished.clear()
            self._checked_at = now
            self.check_reminder()

    def serve(self) -> None:
        alarms = self.alarms
        if not alarms.leads():
            return
        term = alarms.dispatcher.term
        with alarms.sessions() as session:
            claimed = repository.claim(session, term).value or []
        outgoing = []
        for c in claimed:
            group = alarms.rules.recipients.get(c.target.group)
            urls = group.urls if group is not None else []
            url = urls[c.target.index] if c.target.index < len(urls) else None
            if url is None or mask_url(url) != c.target.recipient:
                self._record(c.id, False, 0, "the recipient is no longer in the rules as it "
                                             "was when the test was asked")
                continue
            link = f"{alarms.dispatcher.base}{CONFIRM_PATH}/{c.token}"
            title, body = plan.message(c.test_id, c.target, link, c.requested_by,
                                       group_language(alarms.rules, c.target.group,
                                                      alarms.settings.language))
            outgoing.append(Outgoing(c.target.route, c.target.group, (url,), title, body,
                                     term=term, test_recipient=c.id,
                                     first_index=c.target.index))
        if outgoing:
            log.info("alarm test sending", extra={"recipients": len(outgoing)})
            alarms.dispatcher.worker.submit(outgoing)

    def _result(self, result: SendResult) -> None:
        assert result.test_recipient is not None
        self._record(result.test_recipient, result.ok, result.attempts, result.error)

    def _record(self, recipient: int, ok: bool, attempts: int, error: str | None) -> None:
        with self.alarms.sessions() as session:
            finished = repository.record_result(session, recipient, ok, attempts, error,
                                                self.alarms.clock()).value
        if finished:
            self._finished.set()

    def check_reminder(self, now: datetime | None = None) -> None:
        alarms = self.alarms
        now = now or alarms.clock()
        with alarms.sessions() as session:
            last = repository.last_complete(session)
            first = (alarm_repository.get_setting(session, SCHEDULE_KEY) or {}).get("since")
        if first is None:
            with alarms.sessions() as session:
                alarm_repository.put_setting(session, SCHEDULE_KEY, {"since": now.isoformat()},
                                             now)
        first_seen = datetime.fromisoformat(first) if first else now
        due = plan.reminder_due(last, first_seen, self.interval_days, now)
        message = (plan.reminder_text(last, self.interval_days) if due else
                   Text("an alarm path test was sent: the reminder is cleared"))
        with alarms._lock:
            found = alarms.system.report(
                AlarmKey(plan.REMINDER_RULE, plan.REMINDER_SUBJECT), AlarmKind.ALARM_TEST_DUE,
                Severity.INFO if due else None, message, now)
            if found:
                alarms._apply(Outcome(transitions=found), now)
