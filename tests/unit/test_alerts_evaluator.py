"""The evaluator beyond the scenarios: restart, zone state, rate of change, purity."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.engine.evaluator import Evaluator, zones_out_of_range
from alerts.engine.lifecycle import AlarmState
from alerts.model import (
    Acknowledge,
    AlarmKey,
    AlarmKind,
    Event,
    Phase,
    Reading,
    SensorRef,
    Severity,
    Tick,
    ZoneRef,
)
from alerts.rules.book import RuleBook
from alerts.rules.document import parse_rules

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
RULE = "zone:COLD-1:temperature_c"


def evaluator(**rule: object) -> Evaluator:
    rules = parse_rules({"thresholds": [{"zone": "COLD-1", "quantity": "temperature_c",
                                         "high_critical": 8, "delay": "5m", **rule}],
                         "offline": [{"zone": "COLD-1", "intervals": 100}]})
    book = RuleBook(rules, zones=[ZoneRef("COLD-1", name="Cold room")],
                    sensors=[SensorRef("cold-1", "COLD-1"), SensorRef("cold-2", "COLD-1")])
    return Evaluator(book, started=T0)


def read(sensor: str, value: float, at: datetime) -> Reading:
    return Reading(sensor, at, {"temperature_c": value})


def test_a_restarted_evaluator_keeps_the_active_alarm_and_does_not_raise_it_again() -> None:
    first = evaluator()
    events = first.feed_all(read("cold-1", 9.0, T0 + i * MIN) for i in range(7)).transitions
    assert [t.event for t in events if t.event is Event.RAISED] == [Event.RAISED]
    stored = dict(first.open_alarms())
    assert stored[AlarmKey(RULE, "cold-1")].phase is Phase.ACTIVE

    second = evaluator()  # the hub restarts; the lifecycle store gives the open alarms back
    for key, state in stored.items():
        second.restore(key, AlarmKind.THRESHOLD, state)
    later = T0 + 10 * MIN
    assert second.feed(Tick(later)).transitions == []
    assert second.feed(read("cold-1", 9.2, later)).transitions == []
    [cleared] = second.feed(read("cold-1", 6.0, later + MIN)).transitions
    assert cleared.event is Event.CLEARED


def test_a_zone_is_out_of_range_while_any_of_its_sensors_is() -> None:
    ev = evaluator()
    ev.feed_all(read("cold-1", 9.0, T0 + i * MIN) for i in range(6))
    ev.feed_all(read("cold-2", 6.0, T0 + i * MIN) for i in range(6))
    [zone] = ev.zone_conditions().values()
    assert (zone.zone, zone.severity, zone.sensors) == ("COLD-1", Severity.CRITICAL, ("cold-1",))
    ev.feed(read("cold-1", 6.0, T0 + 7 * MIN))
    assert ev.zone_conditions() == {}
    assert zones_out_of_range([("Z", "a", AlarmState(Phase.ACKNOWLEDGED, Severity.WARNING)),
                               ("Z", "b", AlarmState(Phase.ACTIVE, Severity.CRITICAL)),
                               ("Y", "c", AlarmState(Phase.CLEARED))])["Z"].sensors == ("a", "b")


def test_a_change_faster_than_the_rate_limit_raises_a_rate_alarm() -> None:
    ev = evaluator(rate_per_min=0.5, delay="0s", high_critical=30)
    values = [4.0, 4.1, 5.0, 6.0, 6.1]
    events = ev.feed_all(read("cold-1", v, T0 + i * MIN) for i, v in enumerate(values))
    rate = [(t.event, t.at - T0) for t in events.transitions if t.kind is AlarmKind.RATE]
    assert rate == [(Event.RAISED, 2 * MIN), (Event.CLEARED, 4 * MIN)]


def test_acknowledging_an_unknown_alarm_changes_nothing() -> None:
    ev = evaluator()
    assert ev.feed(Acknowledge(AlarmKey("nope", "cold-1"), T0, "ann")).transitions == []


def test_a_sensor_nobody_registered_is_still_watched_for_offline() -> None:
    ev = evaluator()
    ev.feed(read("stray", 5.0, T0))
    found = ev.feed(Tick(T0 + timedelta(minutes=4))).transitions
    assert [(t.key.subject, t.event) for t in found] == [("stray", Event.RAISED)]


# The alarm engine's IO edges (SQL, MQTT, apprise); tests/unit/test_architecture.py
# keeps them, too, away from ingest, the inventory and the hub.
IO_MODULES = {"orm.py", "repository.py", "queries.py", "service.py", "notifications/senders.py",
              "publisher.py", "metrics.py", "notifications/dispatch.py", "handover.py",
              "challenge/repository.py", "challenge/queries.py", "challenge/service.py",
              "rules_editing.py"}


def test_the_alarm_domain_imports_no_io() -> None:
    forbidden = ("sqlalchemy", "fastapi", "paho", "apprise", "pymodbus", "ingest",
                 "inventory", "hub")
    root = Path(__file__).parents[2] / "alerts"
    for path in root.rglob("*.py"):
        if path.relative_to(root).as_posix() in IO_MODULES:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_a_closed_alarm_leaves_nothing_for_the_timer_to_walk() -> None:
    ev = evaluator()
    ev.feed_all(read("cold-1", 9.0, T0 + i * MIN) for i in range(6))
    ev.feed(Acknowledge(AlarmKey(RULE, "cold-1"), T0 + 6 * MIN, "ann"))
    [closed] = ev.feed(read("cold-1", 6.0, T0 + 7 * MIN)).transitions
    assert closed.to_phase is Phase.CLOSED
    assert ev.thresholds == {} and ev._hot == set() and list(ev.open_alarms()) == []


def test_after_a_restart_the_clear_counts_from_the_stored_episode_start() -> None:
    # Issue 17 (6.): the stored alarm keeps when its value went out (episode_since), so
    # a clear after a restart does not count from the raise.
    first = evaluator()
    first.feed_all(read("cold-1", 9.0, T0 + i * MIN) for i in range(1, 7))
    [(key, state)] = list(first.open_alarms())
    assert state.since == T0 + MIN  # the first value out, not the raise at 6 min
    second = evaluator()
    second.restore(key, AlarmKind.THRESHOLD, state)
    [cleared] = second.feed(read("cold-1", 6.0, T0 + 10 * MIN)).transitions
    assert "after 9 min out of range" in cleared.message


def test_a_late_tick_does_not_count_the_same_minutes_twice() -> None:
    # Issue 17 (5.): a tick that read the clock before a reading was evaluated (or a
    # reading stamped before the last tick) must not move the excursion's clock back.
    ev = evaluator()
    ev.feed(read("cold-1", 9.0, T0))
    ev.feed(read("cold-1", 9.0, T0 + 2 * MIN))
    ev.feed(Tick(T0 + MIN))  # late: its time is before the last reading's
    ev.feed(Tick(T0 + 3 * MIN))
    ended = ev.feed(read("cold-1", 6.0, T0 + 4 * MIN)).excursions
    [record] = [e.excursion for e in ended if e.event == "ended"]
    assert record.critical_s == 4 * 60


ReadingEvent = tuple[str, int, float, bool]  # sensor, seconds after T0, value, good
_EVENTS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["cold-1", "cold-2", "stray"]),
              st.integers(min_value=-3, max_value=40),  # seconds: repeats and reorders
              st.sampled_from([5.0, 5.5, 7.9, 8.0, 8.5, 9.5, 12.0, 1.0]),
              st.sampled_from([True, True, True, False])),
    st.integers(min_value=0, max_value=40).map(lambda s: Tick(T0 + timedelta(seconds=s)))),
    max_size=80)


def _states(ev: Evaluator) -> tuple[object, ...]:
    return (dict(ev.sensors), dict(ev.thresholds), dict(ev.excursions), dict(ev.rates))


@settings(max_examples=300, deadline=None)
@given(_EVENTS, st.integers(min_value=1, max_value=7))
def test_a_batch_of_readings_does_what_the_readings_one_by_one_do(
        events: list[ReadingEvent | Tick], batch: int) -> None:
    """feed_readings takes the common reading inline; anything else goes the whole
    way. Both must leave the same states and say the same transitions, excursions and
    holds, whatever the mix of bad, late, repeated and out-of-band readings."""
    def fresh() -> Evaluator:
        return evaluator(delay="20s", high_warning=7.5, rate_per_min=6, deadband=0.3)

    def observe(ev: Evaluator, in_batches: bool) -> list[object]:
        said: list[object] = []
        pending: list[Reading] = []

        def flush() -> None:
            out = ev.feed_readings(pending) if in_batches else ev.feed_all(list(pending))
            said.extend([*out.transitions, *out.excursions, *out.holds])
            pending.clear()

        for event in events:
            if isinstance(event, Tick):
                flush()
                out = ev.feed(event)
                said.extend([*out.transitions, *out.excursions, *out.holds])
                continue
            sensor, seconds, value, good = event
            pending.append(Reading(sensor, T0 + timedelta(seconds=seconds),
                                   {"temperature_c": value}, good))
            if len(pending) >= batch:
                flush()
        flush()
        return said

    one_by_one, batched = fresh(), fresh()
    assert observe(batched, True) == observe(one_by_one, False)
    assert _states(batched) == _states(one_by_one)
