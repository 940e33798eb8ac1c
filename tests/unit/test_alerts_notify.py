"""Notification planning: routing, grouping, escalation, clearing, quiet hours, rate limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alerts.engine.stock_findings import Finding
from alerts.model import AlarmKey, AlarmKind, Event, Phase, Severity, Transition
from alerts.notifications.plan import (
    Message,
    OpenAlarm,
    PlanState,
    Told,
    digest_due,
    plan,
    plan_digest,
    resume,
)
from alerts.rules.document import AlarmRules, parse_rules

T0 = datetime(2026, 1, 5, 2, 10, tzinfo=UTC)  # 10:10 in Shanghai
SEC = timedelta(seconds=1)


def rules(**extra: Any) -> AlarmRules:
    data: dict[str, Any] = {
        "site_timezone": "Asia/Shanghai",
        "recipients": {"duty": {"urls": ["json://duty"]}, "qa": {"urls": ["json://qa"]},
                       "it": {"urls": ["json://it"]}},
        "routes": [{"name": "cold", "groups": ["duty", "qa"], "escalate_after": "15m"}],
        "grouping": {"window": "30s", "max_per_alarm_per_hour": 4},
    }
    data.update(extra)
    return parse_rules(data)


def tr(subject: str, event: Event, at: datetime, *, severity: Severity = Severity.CRITICAL,
       kind: AlarmKind = AlarmKind.THRESHOLD, zone: str | None = "COLD-1",
       rule: str = "zone:COLD-1:temperature_c", shelved: bool = False,
       to: Phase | None = None) -> Transition:
    phases = {Event.RAISED: (Phase.PENDING, Phase.ACTIVE),
              Event.CLEARED: (Phase.ACTIVE, Phase.CLEARED),
              Event.ACKNOWLEDGED: (Phase.ACTIVE, Phase.ACKNOWLEDGED),
              Event.ESCALATED: (Phase.ACTIVE, Phase.ACTIVE),
              Event.UNSHELVED: (Phase.ACTIVE, Phase.ACTIVE)}
    start, end = phases.get(event, (Phase.ACTIVE, Phase.ACTIVE))
    return Transition(AlarmKey(rule, subject), kind, event, start, to or end, severity, at,
                      f"{zone}: {subject} {event}", zone=zone, shelved=shelved)


class Clock:
    """Feeds transitions in and ticks the planner, collecting what it sends."""

    def __init__(self, config: AlarmRules) -> None:
        self.rules = config
        self.state = PlanState()
        self.sent: list[Message] = []

    def feed(self, now: datetime, transitions: Sequence[Transition] = ()) -> list[Message]:
        self.state, messages = plan(self.rules, self.state, transitions, now)
        self.sent.extend(messages)
        return messages

    def run_until(self, end: datetime, start: datetime, step: timedelta = 10 * SEC) -> None:
        now = start
        while now <= end:
            self.feed(now)
            now += step


def test_a_raised_alarm_goes_to_the_first_group_when_the_window_closes() -> None:
    clock = Clock(rules())
    assert clock.feed(T0, [tr("cold-1", Event.RAISED, T0)]) == []
    assert clock.feed(T0 + 29 * SEC) == []
    [message] = clock.feed(T0 + 30 * SEC)
    assert (message.route, message.group, message.severity) == ("cold", "duty", Severity.CRITICAL)
    assert message.alarms == (AlarmKey("zone:COLD-1:temperature_c", "cold-1"),)
    assert message.title == "[CRITICAL] threshold alarm raised: cold-1"
    assert "10:10 RAISED critical: COLD-1: cold-1 raised" in message.body


def test_forty_sensors_of_one_gateway_offline_at_once_make_one_message_per_route() -> None:
    config = rules(routes=[
        {"name": "cold", "groups": ["duty", "qa"], "escalate_after": "15m"},
        {"name": "it", "groups": ["it"], "match": {"kind": ["offline", "gateway_offline"]}},
        {"name": "stock", "groups": ["qa"], "match": {"kind": ["low_stock"]}}])
    clock = Clock(config)
    offline = [tr(f"s{i}", Event.RAISED, T0 + i * 10 * timedelta(milliseconds=1),
                  severity=Severity.WARNING, kind=AlarmKind.OFFLINE, rule="offline:site:all")
               for i in range(40)]
    clock.feed(T0, offline[:25])
    clock.feed(T0 + 5 * SEC, offline[25:])
    clock.run_until(T0 + 10 * timedelta(minutes=1), T0 + 10 * SEC)
    first = [m for m in clock.sent if "RAISED" in m.body]
    assert sorted((m.route, m.group) for m in first) == [("cold", "duty"), ("it", "it")]
    for message in first:
        assert len(message.alarms) == 40
        assert message.title == "[WARNING] 40 alarm changes: 40 offline raised"


def test_an_unacknowledged_alarm_escalates_to_the_next_group_after_the_set_time() -> None:
    clock = Clock(rules())
    clock.feed(T0, [tr("cold-1", Event.RAISED, T0)])
    clock.run_until(T0 + 20 * timedelta(minutes=1), T0 + 10 * SEC)
    assert [(m.group, m.at - T0) for m in clock.sent] == [
        ("duty", timedelta(seconds=30)), ("qa", timedelta(minutes=15, seconds=30))]
    assert "unacknowledged for 15 min" in clock.sent[1].body


def test_an_acknowledged_alarm_does_not_escalate_and_a_clear_tells_everyone_told() -> None:
    clock = Clock(rules())
    clock.feed(T0, [tr("cold-1", Event.RAISED, T0)])
    clock.feed(T0 + timedelta(minutes=5), [tr("cold-1", Event.ACKNOWLEDGED, T0 + 300 * SEC)])
    clock.run_until(T0 + timedelta(minutes=40), T0 + 310 * SEC)
    assert [m.group for m in clock.sent] == ["duty"]

    clock = Clock(rules())
    clock.feed(T0, [tr("cold-1", Event.RAISED, T0)])
    clock.run_until(T0 + timedelta(minutes=16), T0 + 10 * SEC)
    cleared_at = T0 + timedelta(minutes=17)
    clock.feed(cleared_at, [tr("cold-1", Event.CLEARED, cleared_at)])
    clock.run_until(T0 + timedelta(minutes=60), cleared_at + 10 * SEC)
    assert [(m.group, m.title.split("] ")[1]) for m in clock.sent] == [
        ("duty", "threshold alarm raised: cold-1"), ("qa", "threshold alarm escalated: cold-1"),
        ("duty", "threshold alarm cleared: cold-1"), ("qa", "threshold alarm cleared: cold-1")]


def test_an_alarm_acknowledged_after_escalation_tells_both_groups_when_it_clears() -> None:
    clock = Clock(rules())
    clock.feed(T0, [tr("cold-1", Event.RAISED, T0)])
    clock.run_until(T0 + timedelta(minutes=16), T0 + 10 * SEC)
    acked_at = T0 + timedelta(minutes=16)
    clock.feed(acked_at, [tr("cold-1", Event.ACKNOWLEDGED, acked_at)])
    cleared_at = T0 + timedelta(minutes=40)
    clock.run_until(cleared_at, acked_at + 10 * SEC)
    clock.feed(cleared_at, [tr("cold-1", Event.CLEARED, cleared_at)])
    clock.run_until(T0 + timedelta(minutes=60), cleared_at + 10 * SEC)
    assert [(m.group, m.title.split("] ")[1]) for m in clock.sent] == [
        ("duty", "threshold alarm raised: cold-1"), ("qa", "threshold alarm escalated: cold-1"),
        ("duty", "threshold alarm cleared: cold-1"), ("qa", "threshold alarm cleared: cold-1")]


def test_routes_match_severity_zone_and_kind() -> None:
    config = rules(routes=[{"name": "cold", "groups": ["duty"],
                            "match": {"severity": ["critical"], "zone": ["COLD-1"],
                                      "kind": ["threshold"]}}])
    clock = Clock(config)
    clock.feed(T0, [tr("a", Event.RAISED, T0, severity=Severity.WARNING),
                    tr("b", Event.RAISED, T0, zone="CRT"),
                    tr("c", Event.RAISED, T0, kind=AlarmKind.OFFLINE),
                    tr("d", Event.RAISED, T0)])
    clock.run_until(T0 + timedelta(minutes=2), T0)
    assert [m.alarms for m in clock.sent] == [(AlarmKey("zone:COLD-1:temperature_c", "d"),)]


def test_quiet_hours_hold_warnings_until_the_end_but_critical_goes_at_once() -> None:
    config = rules(quiet_hours={"start": "22:00", "end": "07:00"})
    night = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    clock = Clock(config)
    clock.feed(night, [tr("a", Event.RAISED, night, severity=Severity.WARNING),
                       tr("b", Event.RAISED, night, severity=Severity.CRITICAL,
                          rule="zone:COLD-1:humidity_pct")])
    clock.run_until(night + timedelta(hours=9), night, step=timedelta(minutes=1))
    critical = [m for m in clock.sent if m.severity is Severity.CRITICAL]
    warning = [m for m in clock.sent if m.alarms == (AlarmKey("zone:COLD-1:temperature_c", "a"),)
               and m.group == "duty"]
    assert critical[0].at - night == timedelta(seconds=60)  # the first tick after the window
    end_of_quiet = datetime(2026, 1, 5, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai
    assert len(warning) == 1 and end_of_quiet <= warning[0].at <= end_of_quiet + timedelta(
        minutes=1)


def test_a_flapping_sensor_sends_a_handful_not_hundreds() -> None:
    clock = Clock(rules(routes=[{"name": "cold", "groups": ["duty"]}]))
    now = T0
    for _ in range(100):  # raised and cleared every 36 s for an hour
        clock.feed(now, [tr("cold-1", Event.RAISED, now)])
        now += 18 * SEC
        clock.feed(now, [tr("cold-1", Event.CLEARED, now)])
        now += 18 * SEC
    clock.run_until(now + timedelta(minutes=5), now)
    assert 1 <= len(clock.sent) <= 4
    lines = sum(m.body.count("RAISED") + m.body.count("CLEARED") for m in clock.sent)
    assert lines == 4
    later = now + timedelta(hours=1, minutes=10)
    clock.feed(later, [tr("cold-1", Event.RAISED, later)])
    clock.run_until(later + timedelta(minutes=1), later)
    assert "more changes not sent (rate limit)" in clock.sent[-1].body


def test_shelved_changes_are_not_sent_and_an_expired_shelf_on_an_active_alarm_is() -> None:
    clock = Clock(rules())
    clock.feed(T0, [tr("cold-1", Event.RAISED, T0, shelved=True)])
    clock.run_until(T0 + timedelta(minutes=5), T0)
    assert clock.sent == []
    later = T0 + timedelta(minutes=10)
    clock.feed(later, [tr("cold-1", Event.UNSHELVED, later)])
    clock.run_until(later + timedelta(minutes=1), later)
    assert [m.title for m in clock.sent] == ["[CRITICAL] threshold alarm raised: cold-1"]


def test_the_daily_digest_lists_expiry_and_stock_findings_per_route() -> None:
    config = rules(routes=[
        {"name": "cold", "groups": ["duty"], "match": {"kind": ["threshold"]}},
        {"name": "stock", "groups": ["qa", "duty"], "escalate_after": "1h",
         "match": {"kind": ["expiry", "expired", "low_stock"]}}])
    morning = datetime(2026, 1, 5, 0, 5, tzinfo=UTC)  # 08:05 in Shanghai
    assert digest_due(config, morning, None)
    assert not digest_due(config, morning, date(2026, 1, 5))
    assert not digest_due(config, morning - timedelta(minutes=10), None)
    findings = [Finding(AlarmKind.EXPIRY, "L1", Severity.WARNING, "lot L1 expires in 20 days",
                        tier_days=30),
                Finding(AlarmKind.EXPIRED, "L2", Severity.CRITICAL, "lot L2 expired"),
                Finding(AlarmKind.OVERSTOCK, "SKU9", Severity.INFO, "too many")]
    [message] = plan_digest(config, findings, morning)
    assert (message.route, message.group) == ("stock", "qa")
    assert message.title == "Stock digest 2026-01-05: 1 expiry, 1 expired"
    assert "lot L1 expires in 20 days" in message.body and "too many" not in message.body


def test_ten_thousand_sensors_offline_at_once_are_planned_quickly_into_one_message() -> None:
    clock = Clock(rules())
    offline = [tr(f"s{i}", Event.RAISED, T0, severity=Severity.WARNING,
                  kind=AlarmKind.OFFLINE, rule="offline:site:all") for i in range(10_000)]
    clock.feed(T0, offline)
    [message] = clock.feed(T0 + 30 * SEC)
    assert len(message.alarms) == 10_000 and message.body.endswith("... and 9975 more")


def test_after_a_restart_nothing_is_sent_twice_and_escalation_carries_on() -> None:
    config = rules()
    raised = T0 - timedelta(minutes=10)
    state = resume(config, [
        OpenAlarm(AlarmKey("zone:COLD-1:temperature_c", "cold-1"), AlarmKind.THRESHOLD,
                  Severity.CRITICAL, "COLD-1", raised, False, "COLD-1: 9.0 °C"),
        OpenAlarm(AlarmKey("zone:COLD-1:temperature_c", "cold-2"), AlarmKind.THRESHOLD,
                  Severity.CRITICAL, "COLD-1", raised, True, "acknowledged: no escalation")],
        T0)
    clock = Clock(config)
    clock.state = state
    clock.run_until(T0 + timedelta(minutes=4), T0)
    assert clock.sent == []
    clock.run_until(T0 + timedelta(minutes=7), T0 + timedelta(minutes=4))
    assert [(m.group, m.alarms[0].subject) for m in clock.sent] == [("qa", "cold-1")]


# --- a new leader resumes from the notices claimed in SQL ------------------------


def test_a_new_leader_tells_what_was_stored_but_never_told_and_nothing_twice() -> None:
    config = rules()
    key = AlarmKey("zone:COLD-1:temperature_c", "cold-1")
    told_key = AlarmKey("zone:COLD-1:temperature_c", "cold-2")
    raised = T0 - timedelta(minutes=20)  # its escalation (15 min) fell due before T0

    def alarm(k: AlarmKey, cleared: datetime | None = None) -> OpenAlarm:
        return OpenAlarm(k, AlarmKind.THRESHOLD, Severity.CRITICAL, "COLD-1", raised, False,
                         f"COLD-1: {k.subject} 9.0 °C", cleared)

    told = {
        # cold-2: raised told; its escalation claimed by the dead leader, never sent
        (told_key, "cold"): Told(level=1, seen=frozenset({
            ("raised", raised), ("escalated", raised + 15 * timedelta(minutes=1))}),
            unsent=((1, "escalated", raised + timedelta(minutes=15)),)),
    }
    state = resume(config, [alarm(key), alarm(told_key)], T0, told)
    clock = Clock(config)
    clock.state = state
    clock.run_until(T0 + timedelta(minutes=1), T0)
    lines = sorted((m.group, n.key.subject, n.what, n.at) for m in clock.sent
                   for n in m.notices)
    # cold-1 was stored and never told: raised now, under its stored time (the same
    # notice key as the dead leader's), then escalated at its due time; cold-2's
    # unsent escalation goes again (its claim was never marked sent).
    assert lines == [
        ("duty", "cold-1", "raised", raised),
        ("qa", "cold-1", "escalated", raised + timedelta(minutes=15)),
        ("qa", "cold-2", "escalated", raised + timedelta(minutes=15)),
    ]


def test_a_new_leader_tells_a_clear_it_did_not_see_told_to_every_level_told() -> None:
    config = rules()
    key = AlarmKey("zone:COLD-1:temperature_c", "cold-1")
    raised, cleared = T0 - timedelta(minutes=20), T0 - timedelta(seconds=2)
    told = {(key, "cold"): Told(level=1, seen=frozenset({
        ("raised", raised), ("escalated", raised + timedelta(minutes=15))}))}
    state = resume(config, [OpenAlarm(key, AlarmKind.THRESHOLD, Severity.CRITICAL, "COLD-1",
                                      raised, False, "back in range", cleared)], T0, told)
    assert state.watches == ()
    clock = Clock(config)
    clock.state = state
    clock.run_until(T0 + timedelta(minutes=1), T0)
    assert sorted((m.group, n.what) for m in clock.sent for n in m.notices) == [
        ("duty", "cleared"), ("qa", "cleared")]
    # Told already: nothing.
    told = {(key, "cold"): Told(level=1, seen=frozenset({("raised", raised),
                                                         ("cleared", cleared)}))}
    assert resume(config, [OpenAlarm(key, AlarmKind.THRESHOLD, Severity.CRITICAL, "COLD-1",
                                     raised, False, "", cleared)], T0, told) == PlanState()
