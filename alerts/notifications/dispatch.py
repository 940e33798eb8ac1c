"""Dispatch: the planner's messages sent, and every send recorded.

`Dispatcher.send` resolves each message's group to its apprise URLs, adds the
acknowledge links and queues it; one worker thread sends it URL by URL with
retry and backoff, and each result is recorded (SQL, metrics, the live feed's
counter). The daily digest goes the same way, once a day at the local time.

The evaluator never waits for a send: `submit` only queues. A URL that fails at
send time is an error on its route (recorded, counted, visible in the API),
never a crash. Errors and records never carry the URL itself: it usually holds a
token or a password; `target` is its scheme and position ("json#0").
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts import repository
from alerts.engine.stock_findings import Finding
from alerts.metrics import AlarmMetrics
from alerts.model import AlarmKey
from alerts.notifications.plan import Message, Notice, compose, digest_due, plan_digest
from alerts.notifications.senders import Sender
from alerts.rules.document import AlarmRules
from alerts.rules.url_secrets import scrub
from alerts.settings import AlarmSettings
from contract.retry import Backoff, Stopped, retry
from contract.worker import Worker
from kernel.i18n import gettext

log = logging.getLogger(__name__)

DIGEST_KEY = "digest"
MAX_LINKS = 5


def _with_ids(message: Message, alarm_id: Callable[[AlarmKey], int | None]
              ) -> list[Notice]:
    return [n for n in message.notices if alarm_id(n.key) is not None]


def claims_of(message: Message, alarm_id: Callable[[AlarmKey], int | None]
              ) -> list[repository.NoticeClaim]:
    """One claim per line of the message: (alarm, route, level, what, when)."""
    out = []
    for notice in _with_ids(message, alarm_id):
        number = alarm_id(notice.key)
        assert number is not None
        at = notice.at.astimezone(UTC)
        key = f"{number}/{notice.route}/{notice.level}/{notice.what}/{at.isoformat()}"
        out.append(repository.NoticeClaim(key[:300], number, notice.route, notice.level,
                                          notice.what, at))
    return out


def notice_keys(message: Message, alarm_id: Callable[[AlarmKey], int | None]
                ) -> tuple[str, ...]:
    return tuple(c.key for c in claims_of(message, alarm_id))


def target_of(url: str, index: int) -> str:
    return f"{url.split('://', 1)[0]}#{index}"


@dataclass(frozen=True, slots=True)
class Outgoing:
    route: str
    group: str
    urls: tuple[str, ...]
    title: str
    body: str
    alarm_ids: tuple[int, ...] = ()
    claims: tuple[str, ...] = ()  # its notices' keys in SQL, marked sent once it went
    term: str = ""  # the leader's election that claimed them
    test_recipient: int | None = None  # a test message (alerts/challenge/): its recipient
    first_index: int = 0  # the first URL's place in its group (a test sends one URL)


@dataclass(frozen=True, slots=True)
class SendResult:
    route: str
    group: str
    target: str
    title: str
    alarm_ids: tuple[int, ...]
    ok: bool
    attempts: int
    error: str | None
    test_recipient: int | None = None


class NotificationWorker:
    """One thread (the hub's one worker loop, `contract.worker.Worker`) that sends queued
    messages, URL by URL, `attempts` tries each, and hands each result to `on_result`.
    Knows no SQL: the `Dispatcher` records."""

    def __init__(self, sender: Sender, on_result: Callable[[SendResult], None], *,
                 attempts: int = 4, backoff: Callable[[], Backoff] = lambda: Backoff(1.0, 30.0),
                 max_pending: int = 10_000, may_send: Callable[[], bool] = lambda: True,
                 on_sent: Callable[[Outgoing], None] = lambda _message: None) -> None:
        self.sender = sender
        self.on_result = on_result
        # The fence: a process that no longer leads sends nothing more (what it claimed
        # and did not send, its successor sends).
        self.may_send = may_send
        self.on_sent = on_sent
        self.attempts = attempts
        self.backoff = backoff
        self._queue: queue.Queue[Outgoing] = queue.Queue(max_pending)
        self._worker = Worker("alarm-notify", self._send_queued)
        # Set at stop: a failed send is not retried (its backoff ends at once, the send
        # is recorded failed), while what was queued before the stop still goes out.
        self._giving_up = threading.Event()
        self.dropped = 0

    def submit(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            try:
                self._queue.put_nowait(message)
            except queue.Full:
                self.dropped += 1
                log.error("alarm notifications fall behind; a message was dropped",
                          extra={"route": message.route, "group": message.group})
        self._worker.wake()

    def start(self) -> None:
        if not self._worker.alive:
            self._giving_up.clear()
            self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """What was queued still goes out, each URL tried once, for up to `timeout`;
        then the thread ends (a send still hanging then is left to its daemon thread)."""
        self._giving_up.set()
        self._worker.stop(min(timeout, 1.0), pending=lambda: not self.idle(), drain_s=timeout)

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def drop(self) -> int:
        """Forget what is queued (this process no longer leads); returns how many."""
        dropped = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return dropped
            self._queue.task_done()
            dropped += 1

    def _send_queued(self) -> None:
        """A round: every message queued, in order, until the queue is empty."""
        while True:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                return
            try:
                if not self.may_send():
                    log.warning("alarm message not sent: this process no longer leads",
                                extra={"route": message.route, "group": message.group})
                    continue
                for index, url in enumerate(message.urls, message.first_index):
                    self._send_one(message, index, url)
                self.on_sent(message)
            except Exception:
                log.exception("marking an alarm message sent failed")
            finally:
                self._queue.task_done()

    def _send_one(self, message: Outgoing, index: int, url: str) -> None:
        tries = 0
        error: str | None = None

        def attempt() -> None:
            nonlocal tries
            tries += 1
            self.sender.send(url, message.title, message.body)

        def failed(exc: BaseException, pause: float) -> None:
            nonlocal error
            # A sender's text may quote the URL or a part of it (a token in the path).
            error = scrub(str(exc), url) or type(exc).__name__
            log.warning("alarm notification failed; retrying", extra={
                "route": message.route, "group": message.group,
                "target": target_of(url, index), "error": error, "retry_in_s": pause})

        ok = True
        try:
            retry(attempt, wait=self._giving_up.wait, backoff=self.backoff(),
                  retryable=lambda _exc: tries < self.attempts, on_error=failed)
            error = None
        except Stopped:
            ok = False
        except Exception as exc:  # the last attempt failed: an error on this route
            ok = False
            error = scrub(str(exc), url) or type(exc).__name__
            log.error("alarm notification failed", extra={
                "route": message.route, "group": message.group,
                "target": target_of(url, index), "error": error, "attempts": tries})
        try:
            self.on_result(SendResult(message.route, message.group, target_of(url, index),
                                      message.title, message.alarm_ids, ok, tries, error,
                                      message.test_recipient))
        except Exception:
            log.exception("recording a notification result failed")


class Dispatcher:
    """The alarm service's one way out for messages: planned messages in, sends and
    their records out. `start`/`stop` run its worker thread; `idle` says all is sent."""

    def __init__(self, settings: AlarmSettings, sessions: sessionmaker[Session], sender: Sender,
                 metrics: AlarmMetrics, clock: Callable[[], datetime],
                 changed: Callable[[], None], *, may_send: Callable[[], bool] = lambda: True
                 ) -> None:
        self.base = settings.public_url.rstrip("/")
        self.language = settings.language  # the site's, for groups that name none
        self.sessions = sessions
        self.metrics = metrics
        self.clock = clock
        self.changed = changed
        self.term = ""  # the leader's election (set when the engine starts): who claims
        self.worker = NotificationWorker(
            sender, self._sent, attempts=settings.notify_attempts,
            backoff=lambda: Backoff(settings.notify_backoff_s, 60.0), may_send=may_send,
            on_sent=self._marked)
        self._digest_day: date | None = None
        self._digest_loaded = False
        # A test message's result, for its record (alerts/challenge/service.py sets it).
        self.on_test_result: Callable[[SendResult], None] = lambda _result: None

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def idle(self) -> bool:
        return self.worker.idle()

    def drop(self) -> None:
        dropped = self.worker.drop()
        if dropped:
            log.warning("alarm messages left to the next leader", extra={"messages": dropped})

    def send(self, rules: AlarmRules, messages: Sequence[Message],
             alarm_id: Callable[[AlarmKey], int | None]) -> None:
        outgoing = []
        for message in self._claimed(rules, messages, alarm_id):
            group = rules.recipients.get(message.group)
            if group is None:
                continue
            ids = tuple(i for i in map(alarm_id, message.alarms) if i is not None)
            body = message.body
            if ids:  # each alarm named with its page (acknowledge there, or see its story)
                body += "\n\n" + "\n".join(
                    gettext(message.language, "Alarm %(id)s: %(link)s", id=i,
                            link=f"{self.base}/alarms/{i}") for i in ids[:MAX_LINKS])
            outgoing.append(Outgoing(message.route, message.group, tuple(group.urls),
                                     message.title, body, ids,
                                     notice_keys(message, alarm_id), self.term))
        self.worker.submit(outgoing)

    def _claimed(self, rules: AlarmRules, messages: Sequence[Message],
                 alarm_id: Callable[[AlarmKey], int | None]) -> list[Message]:
        """The messages whose notices this leader claimed in SQL; a message keeps only
        the lines it claimed (the others were told already) and is written again."""
        claims = [c for m in messages for c in claims_of(m, alarm_id)]
        if not claims:
            return list(messages)
        with self.sessions() as session:
            mine = repository.claim_notices(session, claims, self.term, self.clock()).value
        mine = mine or set()
        out = []
        for message in messages:
            keys = {c.key: n for c, n in zip(claims_of(message, alarm_id), _with_ids(
                message, alarm_id), strict=True)}
            if not keys:
                out.append(message)
                continue
            kept = [n for key, n in keys.items() if key in mine]
            if len(kept) == len(keys):
                out.append(message)
            elif kept:
                out.append(compose(rules, message.route, message.group, kept, [], message.at,
                                   self.language))
            else:
                log.info("alarm message already told", extra={
                    "route": message.route, "group": message.group})
        return out

    def _marked(self, message: Outgoing) -> None:
        if message.claims:
            with self.sessions() as session:
                repository.notices_sent(session, message.claims, message.term, self.clock())

    def _sent(self, result: SendResult) -> None:
        self.metrics.notified(result.route, result.ok)
        with self.sessions() as session:
            repository.record_notification(
                session, route=result.route, group=result.group, target=result.target,
                title=result.title, alarm_ids=result.alarm_ids, ok=result.ok,
                attempts=result.attempts, error=result.error, at=self.clock())
        if result.test_recipient is not None:
            self.on_test_result(result)
        self.changed()

    def digest(self, rules: AlarmRules, findings: Sequence[Finding], now: datetime) -> None:
        """The day's digest of expiry and stock findings, when due (remembered in SQL)."""
        if not self._digest_loaded:
            with self.sessions() as session:
                last = (repository.get_setting(session, DIGEST_KEY) or {}).get("day")
            self._digest_day = date.fromisoformat(last) if last else None
            self._digest_loaded = True
        if not digest_due(rules, now, self._digest_day):
            return
        self._digest_day = now.astimezone(rules.tz).date()
        with self.sessions() as session:
            repository.put_setting(session, DIGEST_KEY, {"day": self._digest_day.isoformat()}, now)
        self.send(rules, plan_digest(rules, findings, now, self.language), lambda _key: None)
