"""The alarm path challenge's rules, pure: who a test reaches, what its message says,
and when the supervisors are reminded that a test is due.

A test goes to every recipient of every route (each URL of each group of a route's
escalation chain: every group is a path an alarm can take), or of one route, or of one
recipient group on the routes that name it. A URL reached by two routes gets a message
per route: the test is of the route, not only of the address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.rules.document import AlarmRules
from alerts.rules.url_secrets import mask_url
from kernel.errors import Invalid
from kernel.i18n import ENGLISH
from kernel.i18n_text import N_, Text, translator

TITLE = N_("TEST ALARM - please confirm (no action on stock needed)")
# The system alarm that reminds the supervisors (alerts/challenge/service.py).
REMINDER_RULE = "alarm-test-due"
REMINDER_SUBJECT = "alarm-paths"


@dataclass(frozen=True, slots=True)
class Target:
    route: str
    group: str
    index: int  # the URL's place in its group
    target: str  # scheme#index, never the URL
    recipient: str  # the URL masked: what a person may read


def target_of(url: str, index: int) -> str:
    return f"{url.split('://', 1)[0]}#{index}"


def targets(rules: AlarmRules, route: str | None = None, group: str | None = None
            ) -> list[Target]:
    """Who the test reaches. Unknown route or group, or nobody at all: Invalid (422)."""
    routes = rules.routes
    if route is not None:
        routes = [r for r in routes if r.name == route]
        if not routes:
            known = ", ".join(r.name for r in rules.routes) or "none"
            raise Invalid("no route '%(route)s' (routes: %(known)s)", code="unknown_route",
                route=route, known=known)
    if group is not None and group not in rules.recipients:
        known = ", ".join(rules.recipients) or "none"
        raise Invalid("no recipient group '%(group)s' (groups: %(known)s)", code="unknown_group",
            group=group, known=known)
    out: list[Target] = []
    for r in routes:
        for name in dict.fromkeys(r.groups):
            if group is not None and name != group:
                continue
            recipients = rules.recipients.get(name)
            if recipients is None:
                continue
            out.extend(Target(r.name, name, i, target_of(url, i), mask_url(url))
                       for i, url in enumerate(recipients.urls))
    if not out:
        raise Invalid("no recipient to test: the rules route nothing there "
                      "(add a route with a recipient group)", code="no_recipients")
    return out


def message(test_id: int, target: Target, confirm_url: str, by: str,
            language: str = ENGLISH) -> tuple[str, str]:
    """Title and body of one recipient's test message, in the group's `language`: it
    says it is a test, names the route and the recipient, and carries the confirm link."""
    tr = translator(language)
    body = "\n".join([
        tr("This is a TEST of the alarm path, not an alarm. Nothing is wrong with the stock."),
        tr("Test %(id)s, asked by %(by)s.", id=test_id, by=by),
        tr("Route: %(route)s", route=target.route),
        tr("Recipient: group %(group)s, %(recipient)s", group=target.group,
           recipient=target.recipient),
        "",
        tr("Please confirm that this message reached you: open the link and press Confirm."),
        confirm_url,
        tr("The link works once, for this recipient only.")])
    return tr(TITLE), body


def reminder_due(last_test: datetime | None, first_seen: datetime, interval_days: int,
                 now: datetime) -> bool:
    """A test is due when the last complete one (every route) is older than the
    interval; with none on record, one interval after the hub first ran with the
    schedule. 0 days: no schedule."""
    if interval_days <= 0:
        return False
    since = last_test if last_test is not None else first_seen
    return now - since >= timedelta(days=interval_days)


def reminder_text(last_test: datetime | None, interval_days: int) -> Text:
    if last_test is None:
        return Text("an alarm path test is due (no complete test is on record; schedule "
                    "every %(days)s days): send one from the alarms page (Send test alarm) "
                    "or POST /api/v1/alarms/test", days=interval_days)
    return Text("an alarm path test is due (the last complete test was on %(at)s UTC; "
                "schedule every %(days)s days): send one from the alarms page (Send test "
                "alarm) or POST /api/v1/alarms/test", at=f"{last_test:%Y-%m-%d %H:%M}",
                days=interval_days)
