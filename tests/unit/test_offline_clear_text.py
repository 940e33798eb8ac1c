"""The sensor-offline alarm's clear (issue 18, item 10): it says how long the sensor was
silent, the silence its reading ended, not the time since the alarm was first raised
("reads again after 36 min" for a 9 s silence), and its value is that silence, not
the 0 s since the reading that ended it ("value 0, limit 9")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.engine.evaluator import Evaluator
from alerts.model import Acknowledge, AlarmKey, AlarmKind, Event, Reading, SensorRef, Tick, ZoneRef
from alerts.rules.book import RuleBook
from alerts.rules.document import parse_rules

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SEC = timedelta(seconds=1)
RULE = "offline:zone:COLD-1"


def evaluator() -> Evaluator:
    rules = parse_rules({"offline": [{"zone": "COLD-1", "intervals": 3,
                                      "expected_interval": "3s"}]})
    book = RuleBook(rules, zones=[ZoneRef("COLD-1", name="Cold room")],
                    sensors=[SensorRef("cold-1", "COLD-1")])
    return Evaluator(book, started=T0)


def read(at: datetime) -> Reading:
    return Reading("cold-1", at, {"temperature_c": 5.0})


def offline(ev: Evaluator, out: object) -> list:
    return [t for t in out.transitions if t.kind is AlarmKind.OFFLINE]  # type: ignore[attr-defined]


def test_the_clear_counts_the_silence_its_reading_ended() -> None:
    ev = evaluator()
    for i in range(5):
        ev.feed(read(T0 + 3 * i * SEC))  # every 3 s: the interval is learned
    last = T0 + 12 * SEC
    raised = []
    for s in range(1, 10):  # then silent; the timer ticks every second
        raised += offline(ev, ev.feed(Tick(last + s * SEC)))
    assert [t.event for t in raised] == [Event.RAISED]
    [cleared] = offline(ev, ev.feed(read(last + 10 * SEC)))
    assert cleared.event is Event.CLEARED
    assert cleared.message.endswith("sensor cold-1 reads again after 10 s"), cleared.message
    assert (cleared.value, cleared.limit) == (10.0, 9.0)


def test_a_second_short_silence_is_not_counted_from_the_first_raise() -> None:
    ev = evaluator()
    for i in range(5):
        ev.feed(read(T0 + 3 * i * SEC))
    # A long silence: raised, acknowledged (an open alarm that stays until it clears).
    last = T0 + 12 * SEC
    for s in range(1, 36 * 60, 30):
        ev.feed(Tick(last + s * SEC))
    key = AlarmKey(RULE, "cold-1")
    ev.feed(Acknowledge(key, last + 36 * 60 * SEC, "sue", "checking"))
    back = last + 36 * 60 * SEC
    [first_clear] = offline(ev, ev.feed(read(back)))
    assert "after 36 min" in first_clear.message
    for i in range(1, 5):
        ev.feed(read(back + 3 * i * SEC))
    again = back + 12 * SEC
    raised = []
    for s in range(1, 10):
        raised += offline(ev, ev.feed(Tick(again + s * SEC)))
    assert [t.event for t in raised] == [Event.RAISED]
    [cleared] = offline(ev, ev.feed(read(again + 9 * SEC)))
    assert cleared.message.endswith("reads again after 9 s"), cleared.message
    assert cleared.value == 9.0
