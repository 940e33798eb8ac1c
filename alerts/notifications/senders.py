"""Who delivers a message: a small `Sender` protocol, and apprise in production
(e-mail, SMS gateways, Telegram, WeCom, DingTalk, webhooks and more). The tests
give their own senders; `alerts.notifications.dispatch` calls them with retry.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Protocol


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
