"""Password logins throttled per client address and per user name.

Each attempt counts as a failure from the moment it starts (so a burst of parallel
guesses is counted before any of them is checked); a login that succeeds takes its
attempt back and clears the user's failures. When the failures within the last
`window_s` seconds reach a limit, for the address or for the user name, every login
from that address or for that user is refused (the right password too) until the
oldest of them leaves the window: the caller answers 429 with Retry-After.

The counts live in this process (docs/deploy.md, "Login throttling", says why and what
that means with several hub processes). Pure: no HTTP, no database."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from kernel.errors import TooManyAttempts
from kernel.i18n_text import Text

# A bound on the names and addresses remembered: an attacker sending random user names
# must not grow the hub's memory without end (the address limit still stops them).
MAX_SUBJECTS = 100_000


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login under way: what `succeeded` needs to take it back."""

    address: str
    username: str
    at: float


class LoginThrottle:
    def __init__(self, *, window_s: float, max_per_address: int, max_per_user: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.max_per_address, self.max_per_user = max_per_address, max_per_user
        self._clock = clock
        self._lock = threading.Lock()  # logins are checked in the thread pool
        self._by_address: dict[str, deque[float]] = {}
        self._by_user: dict[str, deque[float]] = {}

    def begin(self, address: str, username: str) -> Attempt:
        """Count an attempt, or raise TooManyAttempts if the address or the user name
        has had too many failures within the window."""
        with self._lock:
            now = self._clock()
            for failures, limit, sentence in (
                (self._recent(self._by_address, address, now), self.max_per_address,
                 "too many failed logins from this address; try again in %(wait)s"),
                (self._recent(self._by_user, username, now), self.max_per_user,
                 "too many failed logins for this user; try again in %(wait)s"),
            ):
                if len(failures) >= limit:
                    wait = max(1, math.ceil(failures[0] + self.window_s - now))
                    raise TooManyAttempts(sentence, retry_after_s=wait,
                                          wait=_in_words(wait))
            self._add(self._by_address, address, now)
            self._add(self._by_user, username, now)
            return Attempt(address, username, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt was no failure, and the user's count
        starts again. (The address keeps its other failures: an attacker with one
        account of their own must not wipe their guesses at others by logging in.)"""
        with self._lock:
            self._by_user.pop(attempt.username, None)
            self._take_back(self._by_address, attempt.address, attempt.at)

    def undecided(self, attempt: Attempt) -> None:
        """The password was never judged (the database was busy): no failure."""
        with self._lock:
            self._take_back(self._by_address, attempt.address, attempt.at)
            self._take_back(self._by_user, attempt.username, attempt.at)

    @staticmethod
    def _take_back(table: dict[str, deque[float]], subject: str, at: float) -> None:
        failures = table.get(subject)
        if failures is not None and at in failures:
            failures.remove(at)

    def _recent(self, table: dict[str, deque[float]], subject: str,
                now: float) -> deque[float]:
        failures = table.get(subject)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def _add(self, table: dict[str, deque[float]], subject: str, now: float) -> None:
        if subject not in table and len(table) >= MAX_SUBJECTS:
            for stale in [s for s, f in table.items() if not f or f[-1] <= now - self.window_s]:
                del table[stale]
            if len(table) >= MAX_SUBJECTS:
                table.clear()  # crude, and only under a flood: a bound, not a policy
        table.setdefault(subject, deque()).append(now)


def _in_words(seconds: int) -> Text:
    if seconds < 120:
        return Text("%(n)s seconds", n=seconds)
    return Text("%(n)s minutes", n=math.ceil(seconds / 60))
