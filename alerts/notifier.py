"""Sending alarm messages: a small `Sender` protocol (apprise in production), and a
worker thread that sends with retry and backoff and records each result.

The evaluator never waits for a send: `NotificationWorker.submit` only queues.
A URL that fails at send time is an error on its route (recorded, counted,
visible in the API), never a crash. Errors and records never carry the URL
itself: it usually holds a token or a password; `target` is its scheme and
position ("json#0").
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from alerts.url_secrets import scrub
from contract.retry import Backoff, Stopped, retry

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The sender could not deliver; the text says why (never the URL)."""


class Sender(Protocol):
    def send(self, url: str, title: str, body: str) -> None:
        """Deliver or raise SendFailed."""

    def schemes(self) -> Collection[str]:
        """The URL schemes this sender knows (checked against the rules at start)."""


class AppriseSender:
    """apprise: e-mail, SMS gateways, Telegram, WeCom, DingTalk, webhooks and more."""

    def __init__(self) -> None:
        import apprise  # the hub extra; imported here so the pure modules never need it

        self._apprise = apprise

    def schemes(self) -> Collection[str]:
        from apprise.manager_plugins import NotificationManager

        return frozenset(NotificationManager().schemas())

    def send(self, url: str, title: str, body: str) -> None:
        apprise = self._apprise
        target = apprise.Apprise()
        if not target.add(url):
            raise SendFailed("apprise cannot use this URL (check its scheme and options)")
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = target.notify(title=title, body=body)
        if not ok:
            lines = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines()]
            raise SendFailed("; ".join(dict.fromkeys(lines))[:500] or "the send failed")


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


class NotificationWorker:
    """One thread that sends queued messages, URL by URL, `attempts` tries each."""

    def __init__(self, sender: Sender, on_result: Callable[[SendResult], None], *,
                 attempts: int = 4, backoff: Callable[[], Backoff] = lambda: Backoff(1.0, 30.0),
                 max_pending: int = 10_000) -> None:
        self.sender = sender
        self.on_result = on_result
        self.attempts = attempts
        self.backoff = backoff
        self._queue: queue.Queue[Outgoing | None] = queue.Queue(max_pending)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def submit(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            try:
                self._queue.put_nowait(message)
            except queue.Full:
                self.dropped += 1
                log.error("alarm notifications fall behind; a message was dropped",
                          extra={"route": message.route, "group": message.group})

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="alarm-notify", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            try:
                for index, url in enumerate(message.urls):
                    self._send_one(message, index, url)
            finally:
                self._queue.task_done()
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
            retry(attempt, wait=self._stop.wait, backoff=self.backoff(),
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
                                      message.title, message.alarm_ids, ok, tries, error))
        except Exception:
            log.exception("recording a notification result failed")
