"""From planned messages to sends: each message's group resolved to its apprise URLs,
the acknowledge links added, handed to the notification worker; each result
recorded (SQL, metrics). And the daily digest, once a day at the local time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.metrics import AlarmMetrics
from alerts.model import AlarmKey
from alerts.notifier import NotificationWorker, Outgoing, Sender, SendResult
from alerts.notify_plan import Message, digest_due, plan_digest
from alerts.rules import AlarmRules
from alerts.settings import AlarmSettings
from alerts.stock_rules import Finding
from contract.retry import Backoff

DIGEST_KEY = "digest"
MAX_LINKS = 5


class Messenger:
    def __init__(self, settings: AlarmSettings, sessions: sessionmaker[Session], sender: Sender,
                 metrics: AlarmMetrics, clock: Callable[[], datetime],
                 changed: Callable[[], None]) -> None:
        self.base = settings.public_url.rstrip("/")
        self.sessions = sessions
        self.metrics = metrics
        self.clock = clock
        self.changed = changed
        self.worker = NotificationWorker(
            sender, self._sent, attempts=settings.notify_attempts,
            backoff=lambda: Backoff(settings.notify_backoff_s, 60.0))
        self._digest_day: date | None = None
        self._digest_loaded = False

    def send(self, rules: AlarmRules, messages: Sequence[Message],
             alarm_id: Callable[[AlarmKey], int | None]) -> None:
        outgoing = []
        for message in messages:
            group = rules.recipients.get(message.group)
            if group is None:
                continue
            ids = tuple(i for i in map(alarm_id, message.alarms) if i is not None)
            body = message.body
            if ids:
                body += "\n\nAcknowledge: " + " ".join(
                    f"{self.base}/alarms/{i}" for i in ids[:MAX_LINKS])
            outgoing.append(Outgoing(message.route, message.group, tuple(group.urls),
                                     message.title, body, ids))
        self.worker.submit(outgoing)

    def _sent(self, result: SendResult) -> None:
        self.metrics.notified(result.route, result.ok)
        with self.sessions() as session:
            store.record_notification(
                session, route=result.route, group=result.group, target=result.target,
                title=result.title, alarm_ids=result.alarm_ids, ok=result.ok,
                attempts=result.attempts, error=result.error, at=self.clock())
        self.changed()

    def digest(self, rules: AlarmRules, findings: Sequence[Finding], now: datetime) -> None:
        """The day's digest of expiry and stock findings, when due (remembered in SQL)."""
        if not self._digest_loaded:
            with self.sessions() as session:
                last = (store.get_setting(session, DIGEST_KEY) or {}).get("day")
            self._digest_day = date.fromisoformat(last) if last else None
            self._digest_loaded = True
        if not digest_due(rules, now, self._digest_day):
            return
        self._digest_day = now.astimezone(rules.tz).date()
        with self.sessions() as session:
            store.put_setting(session, DIGEST_KEY, {"day": self._digest_day.isoformat()}, now)
        self.send(rules, plan_digest(rules, findings, now), lambda _key: None)
