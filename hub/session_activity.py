"""A page session's user activity, as the hub notes it for the idle timeout
(setting `session_idle_s`, hub/accounts/password_policy.py).

What counts as activity: the login, a change the user makes (any write request with a
page session's token: the pages send every change as Bearer) and the pages' own
`POST /api/v1/auth/activity`, which they send when the user types, clicks or scans.
The pages' background reads (the overview's refresh, the alarm feed) do not: a desk left
alone is logged out even though its pages keep polling.

Noting costs a database write, so each process notes a session at most once per
`EVERY_S` (or a quarter of the timeout, if shorter): the timeout may end a session up
to that much early, never late."""

from __future__ import annotations

import threading
import time

from starlette.concurrency import run_in_threadpool

from hub.accounts.passwords import touch_session
from hub.container import Hub

EVERY_S = 30.0
_MAX_REMEMBERED = 10_000


class ActivityNotes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def due(self, token: str, every_s: float) -> bool:
        """True (and remembered) when this session's activity was not noted within
        the last `every_s` seconds."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(token)
            if last is not None and now - last < every_s:
                return False
            if len(self._last) >= _MAX_REMEMBERED:
                self._last.clear()  # a bound, not a policy: at worst one more write each
            self._last[token] = now
            return True


async def note_activity(hub: Hub, notes: ActivityNotes, token: str) -> None:
    idle_s = hub.settings.session_idle_s
    if idle_s > 0 and notes.due(token, min(EVERY_S, idle_s / 4)):
        await run_in_threadpool(_touch, hub, token)


def _touch(hub: Hub, token: str) -> None:
    with hub.writes() as session:
        touch_session(session, token, hub.settings.session_idle_s)
