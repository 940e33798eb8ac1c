"""The alarm path challenge's pure rules (alerts/challenge/plan.py): who a test
reaches, what its message says, and when the reminder is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.challenge.plan import message, reminder_due, reminder_text, targets
from alerts.rules.document import parse_rules
from kernel.errors import Invalid

RULES = parse_rules({
    "recipients": {
        "duty": {"urls": ["mailtos://alarms:hunter22@smtp.example.com?to=duty@example.com",
                          "json://10.0.0.9:8099/alarms"]},
        "quality": {"urls": ["wecombot://BOTKEY123"]},
        "unused": {"urls": ["json://10.0.0.10/x"]},
    },
    "routes": [
        {"name": "cold-chain", "groups": ["duty", "quality"]},
        {"name": "stock", "groups": ["duty"]},
    ],
}, "rules")
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_a_test_reaches_every_url_of_every_group_of_every_route() -> None:
    found = [(t.route, t.group, t.target) for t in targets(RULES)]
    assert found == [("cold-chain", "duty", "mailtos#0"), ("cold-chain", "duty", "json#1"),
                     ("cold-chain", "quality", "wecombot#0"), ("stock", "duty", "mailtos#0"),
                     ("stock", "duty", "json#1")]


def test_recipients_are_shown_masked() -> None:
    shown = [t.recipient for t in targets(RULES, route="cold-chain")]
    assert shown[0] == "mailtos://alarms:***@smtp.example.com?to=duty@example.com"
    assert shown[2] == "wecombot://***"
    assert not any("hunter22" in s or "BOTKEY123" in s for s in shown)


def test_one_route_or_one_group() -> None:
    assert {t.route for t in targets(RULES, route="stock")} == {"stock"}
    assert [(t.route, t.group) for t in targets(RULES, group="quality")] == [
        ("cold-chain", "quality")]
    assert [t.route for t in targets(RULES, route="stock", group="duty")] == ["stock", "stock"]


@pytest.mark.parametrize(("route", "group", "code"), [
    ("nowhere", None, "unknown_route"), (None, "qa", "unknown_group"),
    ("stock", "quality", "no_recipients"), (None, "unused", "no_recipients"),
])
def test_nothing_to_test_is_a_clear_error(route: str | None, group: str | None,
                                          code: str) -> None:
    with pytest.raises(Invalid) as caught:
        targets(RULES, route=route, group=group)
    assert caught.value.code == code


def test_no_routes_at_all_is_refused() -> None:
    with pytest.raises(Invalid, match="no recipient to test"):
        targets(parse_rules({}, "rules"))


def test_the_message_says_test_route_recipient_and_link() -> None:
    target = targets(RULES)[0]
    title, body = message(7, target, "https://hub/alarm-tests/confirm/abc", "lina")
    assert "TEST" in title
    assert "TEST of the alarm path, not an alarm" in body
    assert "Test 7, asked by lina." in body and "Route: cold-chain" in body
    assert "Recipient: group duty, mailtos://alarms:***@smtp.example.com" in body
    assert "https://hub/alarm-tests/confirm/abc" in body


def test_the_reminder_is_due_one_interval_after_the_last_complete_test() -> None:
    last = NOW - timedelta(days=30)
    assert reminder_due(last, NOW - timedelta(days=400), 30, NOW)
    assert not reminder_due(last + timedelta(seconds=1), NOW - timedelta(days=400), 30, NOW)
    # None on record: one interval after the schedule was first seen.
    assert not reminder_due(None, NOW - timedelta(days=29), 30, NOW)
    assert reminder_due(None, NOW - timedelta(days=30), 30, NOW)
    assert not reminder_due(None, NOW - timedelta(days=999), 0, NOW)  # 0: no schedule


def test_the_reminder_says_when_the_last_test_was() -> None:
    assert "2026-11-01 08:00 UTC" in reminder_text(datetime(2026, 11, 1, 8, tzinfo=UTC), 30)
    assert "no complete test is on record" in reminder_text(None, 30)
