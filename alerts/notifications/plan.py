"""Who is told what, and when: notification planning as a pure function.

`plan(rules, state, transitions, now)` takes the evaluator's transitions and
what was already planned (`PlanState`) and returns the messages to send now and
the new state. Call it with every batch of transitions and from a timer (with no
transitions) so windows flush, escalations fire and quiet hours end.

- Routing: every route whose match (severity, zone, kind; empty = any) fits a
  transition notifies the first group of its chain.
- Escalation: while an alarm stays unacknowledged, the next group of the chain is
  told after each `escalate_after`. Acknowledging stops it; so does clearing
  (the condition ended by itself: telling more people would be noise).
- Cleared: everyone who was told of the alarm is told it cleared (`notify_clear`),
  acknowledged or not.
- Grouping: the first change for a (route, group) opens a window; everything for
  that group within the window goes out as one message, so 40 sensors of one
  gateway going offline together make one message per route.
- Rate limit: one alarm sends at most `max_per_alarm_per_hour` messages per
  route; more changes (a flapping sensor) are counted and mentioned in the next
  message that goes. Escalations are never rate-limited.
- Quiet hours (site time zone): severities in `hold` wait for the end; critical
  always goes at once.
- Shelved transitions are not notified; when the shelf expires on a still
  active alarm, it is notified as raised.
- Language: each message is written in its recipient group's `language`, else the
  site's (`language` given to `plan`); the engine's lines are `Text`s
  (kernel/i18n_text.py), rendered again in that language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from alerts.engine.stock_findings import Finding
from alerts.model import (
    AlarmKey,
    AlarmKind,
    Event,
    Phase,
    Severity,
    Transition,
    format_duration,
)
from alerts.notifications.words import (
    KIND_NAMES,
    SEVERITY_NAMES,
    SEVERITY_WORDS,
    WHAT_CAPS,
    WHAT_WORDS,
    group_language,
    word,
)
from alerts.rules.document import AlarmRules, QuietHours, Route
from kernel.i18n import ENGLISH
from kernel.i18n_text import Text, render, translator

MAX_LINES = 25
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Message:
    route: str
    group: str
    title: str
    body: str
    alarms: tuple[AlarmKey, ...]
    severity: Severity
    at: datetime
    notices: tuple[Notice, ...] = ()  # its lines: each is claimed in SQL before it goes
    language: str = ENGLISH  # the group's: what the dispatcher adds is written in it too


@dataclass(frozen=True, slots=True)
class Notice:
    """One line waiting for its (route, level) window to close."""

    route: str
    level: int  # index in the route's chain of groups
    key: AlarmKey
    what: str  # raised, cleared, escalated
    severity: Severity
    kind: AlarmKind
    line: str
    at: datetime
    held_until: datetime | None = None  # quiet hours


@dataclass(frozen=True, slots=True)
class Watch:
    """An unacknowledged alarm a route may escalate."""

    route: str
    key: AlarmKey
    raised_at: datetime
    level: int
    severity: Severity
    kind: AlarmKind
    line: str
    acked: bool = False  # acknowledged: no more escalation; the clear is still told


@dataclass(frozen=True, slots=True)
class PlanState:
    queued: tuple[Notice, ...] = ()
    watches: tuple[Watch, ...] = ()
    sent: tuple[tuple[str, AlarmKey, datetime], ...] = ()  # the last hour, for the rate limit
    suppressed: tuple[tuple[str, AlarmKey, int], ...] = ()

    def next_due(self, window: timedelta) -> datetime | None:
        """When the caller's timer should call `plan` next for the queue (escalations aside)."""
        times = [max(n.at + window, n.held_until or n.at) for n in self.queued]
        return min(times) if times else None


def matches(route: Route, severity: Severity, zone: str | None, kind: AlarmKind) -> bool:
    match = route.match
    return ((not match.severity or severity in match.severity)
            and (not match.zone or zone in match.zone)
            and (not match.kind or kind in match.kind))


def quiet_until(quiet: QuietHours | None, rules: AlarmRules, at: datetime,
                severity: Severity) -> datetime | None:
    """The end of the quiet period `at` falls in, if this severity must wait for it."""
    if quiet is None or severity not in quiet.hold or severity is Severity.CRITICAL:
        return None
    local = at.astimezone(rules.tz)
    now, start, end = local.time(), quiet.start, quiet.end
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside or start == end:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=rules.tz).astimezone(UTC)


def _local(rules: AlarmRules, at: datetime) -> str:
    return f"{at.astimezone(rules.tz):%H:%M}"


def plan(rules: AlarmRules, state: PlanState, transitions: Sequence[Transition],
         now: datetime, language: str = ENGLISH) -> tuple[PlanState, list[Message]]:
    """`language`: the site's, for groups that name none."""
    routes = {route.name: route for route in rules.routes}
    queued = list(state.queued)
    watches = {(w.route, w.key): w for w in state.watches}
    sent = [s for s in state.sent if now - s[2] < HOUR]
    suppressed = Counter({(r, k): n for r, k, n in state.suppressed})
    cap = rules.grouping.max_per_alarm_per_hour

    used = Counter((r, k) for r, k, _ in sent) + Counter((n.route, n.key) for n in queued)

    def add(route: Route, level: int, t: Transition | Watch, what: str, line: str,
            at: datetime, limited: bool = True) -> None:
        if limited and used[(route.name, t.key)] >= cap:
            suppressed[(route.name, t.key)] += 1
            return
        used[(route.name, t.key)] += 1
        queued.append(Notice(route.name, level, t.key, what, t.severity, t.kind, line, at,
                             quiet_until(rules.quiet_hours, rules, at, t.severity)))

    for t in transitions:
        event = t.event
        if event is Event.UNSHELVED and t.to_phase is Phase.ACTIVE:
            event = Event.RAISED
        if t.shelved or event not in (Event.RAISED, Event.ESCALATED, Event.CLEARED,
                                      Event.ACKNOWLEDGED, Event.CLOSED):
            continue
        for route in rules.routes:
            watch = watches.get((route.name, t.key))
            if event is Event.ACKNOWLEDGED:
                if watch is not None:  # escalation stops; whoever was told hears the clear
                    watches[(route.name, t.key)] = replace(watch, acked=True)
                continue
            if event is Event.CLOSED:
                watches.pop((route.name, t.key), None)
                continue
            if event is Event.CLEARED:
                if watch is None:
                    continue
                watches.pop((route.name, t.key))
                if route.notify_clear:
                    for level in range(watch.level + 1):
                        add(route, level, t, "cleared", t.message, t.at)
                continue
            if not matches(route, t.severity, t.zone, t.kind):
                continue
            if watch is None:
                watches[(route.name, t.key)] = Watch(route.name, t.key, t.at, 0, t.severity,
                                                     t.kind, t.message)
                add(route, 0, t, "raised", t.message, t.at)
            else:  # raised again after clearing, or now critical: everyone told hears it
                watches[(route.name, t.key)] = replace(watch, severity=t.severity,
                                                       line=t.message)
                what = "escalated" if event is Event.ESCALATED else "raised"
                for level in range(watch.level + 1):
                    add(route, level, t, what, t.message, t.at, limited=what == "raised")

    for pair, watch in list(watches.items()):
        watched = routes.get(watch.route)
        if watched is None or watched.escalate_after is None or watch.acked:
            continue
        while watch.level + 1 < len(watched.groups) and \
                now >= watch.raised_at + watched.escalate_after * (watch.level + 1):
            waited = format_duration(now - watch.raised_at)
            line = Text("unacknowledged for %(waited)s: %(line)s", waited=waited,
                        line=watch.line)
            # Stamped with the moment it fell due, not the tick that found it: the
            # same step planned by another leader is the same notice (its key).
            due = watch.raised_at + watched.escalate_after * (watch.level + 1)
            watch = replace(watch, level=watch.level + 1)
            add(watched, watch.level, watch, "escalated", line, due, limited=False)
        watches[pair] = watch

    messages, queued, sent = _flush(rules, queued, sent, suppressed, now, language)
    new_state = PlanState(
        queued=tuple(queued), watches=tuple(watches.values()), sent=tuple(sent),
        suppressed=tuple((r, k, n) for (r, k), n in suppressed.items() if n))
    return new_state, messages


def _flush(rules: AlarmRules, queued: list[Notice], sent: list[tuple[str, AlarmKey, datetime]],
           suppressed: Counter[tuple[str, AlarmKey]], now: datetime, language: str = ENGLISH
           ) -> tuple[list[Message], list[Notice], list[tuple[str, AlarmKey, datetime]]]:
    window = rules.grouping.window
    routes = {route.name: route for route in rules.routes}
    buckets: dict[tuple[str, int], list[Notice]] = {}
    for notice in queued:
        buckets.setdefault((notice.route, notice.level), []).append(notice)
    messages: list[Message] = []
    left: list[Notice] = []
    for (route_name, level), notices in buckets.items():
        ready: list[Notice] = []
        waiting: list[Notice] = []
        for n in notices:
            (ready if n.held_until is None or n.held_until <= now else waiting).append(n)
        # The window opens with the first notice that may go; quiet-held ones open theirs
        # at the end of quiet hours.
        opened = min((max(n.at, n.held_until or n.at) for n in ready), default=None)
        if opened is None or now < opened + window:
            left.extend(notices)
            continue
        left.extend(waiting)
        group = routes[route_name].groups[level] if route_name in routes else "?"
        notes: list[str] = []
        for key in dict.fromkeys(n.key for n in ready):
            count = suppressed.pop((route_name, key), 0)
            if count:
                notes.append(Text("%(key)s: %(count)s more changes not sent (rate limit)",
                                  key=str(key), count=count))
        messages.append(_compose(rules, route_name, group, ready, notes, now,
                                 group_language(rules, group, language)))
        sent.extend((route_name, n.key, now) for n in ready)
    return messages, left, sent


def compose(rules: AlarmRules, route: str, group: str, notices: list[Notice],
            notes: list[str], now: datetime, language: str = ENGLISH) -> Message:
    """One message of these notices (also for the part of a message not told yet);
    `language`: the site's, for a group that names none."""
    return _compose(rules, route, group, notices, notes, now,
                    group_language(rules, group, language))


def _compose(rules: AlarmRules, route: str, group: str, notices: list[Notice],
             notes: list[str], now: datetime, language: str = ENGLISH) -> Message:
    tr = translator(language)
    worst = max((n.severity for n in notices), key=lambda s: s.rank)
    severity = word(SEVERITY_WORDS, worst)
    if len(notices) == 1:
        n = notices[0]
        title = tr("[%(severity)s] %(kind)s alarm %(what)s: %(subject)s", severity=severity,
                   kind=word(KIND_NAMES, n.kind), what=word(WHAT_WORDS, n.what),
                   subject=n.key.subject)
    else:
        counts = Counter((n.kind, n.what) for n in notices)
        summary = ", ".join(
            tr("%(count)s %(kind)s %(what)s", count=count, kind=word(KIND_NAMES, kind),
               what=word(WHAT_WORDS, what)) for (kind, what), count in counts.most_common())
        title = tr("[%(severity)s] %(n)s alarm changes: %(summary)s", severity=severity,
                   n=len(notices), summary=summary)
    lines = [tr("%(time)s %(what)s %(severity)s: %(line)s", time=_local(rules, n.at),
                what=word(WHAT_CAPS, n.what), severity=word(SEVERITY_NAMES, n.severity),
                line=n.line) for n in notices[:MAX_LINES]]
    if len(notices) > MAX_LINES:
        lines.append(tr("... and %(n)s more", n=len(notices) - MAX_LINES))
    body = "\n".join([*lines, *(render(note, language) for note in notes)])
    return Message(route, group, title, body, tuple(dict.fromkeys(n.key for n in notices)),
                   worst, now, tuple(notices), language)


@dataclass(frozen=True, slots=True)
class OpenAlarm:
    """An alarm the lifecycle store holds as raised, for `resume` after a restart."""

    key: AlarmKey
    kind: AlarmKind
    severity: Severity
    zone: str | None
    raised_at: datetime
    acknowledged: bool
    message: str
    cleared_at: datetime | None = None  # cleared, not yet closed


@dataclass(frozen=True, slots=True)
class Told:
    """What the notices claimed in SQL say one route told of one alarm: the highest
    group level told, each (what, at) claimed, and those claimed but never sent (their
    leader died first: `(level, what, at)`)."""

    level: int = 0
    seen: frozenset[tuple[str, datetime]] = frozenset()
    unsent: tuple[tuple[int, str, datetime], ...] = ()


def resume(rules: AlarmRules, alarms: Sequence[OpenAlarm], now: datetime,
           told: Mapping[tuple[AlarmKey, str], Told] | None = None) -> PlanState:
    """The planner's state after a restart or a change of leader, from the stored
    open alarms.

    Without `told`: nothing is queued, so nobody hears of an alarm twice; escalation
    steps whose time has passed count as done, and the chain carries on from there.
    With `told` (the notices claimed in SQL): the chain carries on from the level
    told; what was stored but never told (the leader died inside the grouping window
    or before sending) is queued, under the same notice as before, so a claim
    already sent refuses it.
    """
    watches: list[Watch] = []
    queued: list[Notice] = []
    for alarm in alarms:
        for route in rules.routes:
            if not matches(route, alarm.severity, alarm.zone, alarm.kind):
                continue
            level: int | None = 0
            if told is None:
                if alarm.cleared_at is not None:
                    continue
                if route.escalate_after is not None:
                    steps = int((now - alarm.raised_at) / route.escalate_after)
                    level = max(0, min(len(route.groups) - 1, steps))
            else:
                level = _told(route, alarm, told.get((alarm.key, route.name)), queued)
            if level is None:
                continue
            watches.append(Watch(route.name, alarm.key, alarm.raised_at, level, alarm.severity,
                                 alarm.kind, alarm.message, acked=alarm.acknowledged))
    return PlanState(queued=tuple(queued), watches=tuple(watches))


def _told(route: Route, alarm: OpenAlarm, said: Told | None, queued: list[Notice]
          ) -> int | None:
    """Queue what `said` lacks; the level the route's chain stands at, None: no watch."""
    def notice(level: int, what: str, at: datetime) -> Notice:
        return Notice(route.name, level, alarm.key, what, alarm.severity, alarm.kind,
                      alarm.message, at)

    said = said or Told()
    queued.extend(notice(level, what, at) for level, what, at in said.unsent)
    if not any(what == "raised" for what, _at in said.seen):
        if alarm.cleared_at is not None:
            return None  # raised and cleared unseen: too late to tell either
        queued.append(notice(0, "raised", alarm.raised_at))
    if alarm.cleared_at is not None:
        if route.notify_clear and ("cleared", alarm.cleared_at) not in said.seen:
            queued.extend(notice(level, "cleared", alarm.cleared_at)
                          for level in range(said.level + 1))
        return None
    return said.level


# --- the daily digest of expiry and stock findings -----------------------------------


def digest_due(rules: AlarmRules, now: datetime, last_sent_on: date | None) -> bool:
    local = now.astimezone(rules.tz)
    return local.time() >= rules.digest.at and last_sent_on != local.date()


def plan_digest(rules: AlarmRules, findings: Sequence[Finding], now: datetime,
                language: str = ENGLISH) -> list[Message]:
    """One message per route (to its first group) listing the findings it matches, in
    the group's language (else `language`, the site's).

    The caller sends it once a day when `digest_due` says so, and remembers the day.
    """
    messages = []
    day = now.astimezone(rules.tz).date()
    for route in rules.routes:
        mine = [f for f in findings if matches(route, f.severity, f.zone, f.kind)]
        if not mine:
            continue
        said = group_language(rules, route.groups[0], language)
        tr = translator(said)
        sections = []
        for kind in dict.fromkeys(f.kind for f in mine):
            rows = sorted((f for f in mine if f.kind is kind),
                          key=lambda f: (-f.severity.rank, f.subject))
            sections.append(tr("%(kind)s (%(n)s):", kind=word(KIND_NAMES, kind), n=len(rows)))
            sections.extend(tr("  %(severity)s: %(message)s",
                               severity=word(SEVERITY_NAMES, f.severity), message=f.message)
                            for f in rows[:200])
        worst = max((f.severity for f in mine), key=lambda s: s.rank)
        counts = Counter(f.kind for f in mine)
        summary = ", ".join(tr("%(count)s %(kind)s", count=count, kind=word(KIND_NAMES, kind))
                            for kind, count in counts.most_common())
        messages.append(Message(
            route.name, route.groups[0],
            tr("Stock digest %(day)s: %(summary)s", day=f"{day:%Y-%m-%d}", summary=summary),
            "\n".join(sections), tuple(AlarmKey(f.kind.value, f.subject) for f in mine),
            worst, now, language=said))
    return messages
