"""Ingest's pure parts: line protocol, hourly roll-up, the hub's own checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contract.wire import Quality, Reading, Telemetry, TopicParts
from ingest.checks import telemetry_problem
from ingest.lineproto import escape_tag, reading_line
from ingest.rollup import Rollup, hour_of

TS = datetime(2026, 5, 4, 13, 45, 12, 345000, tzinfo=UTC)


def r(value: float, ts: datetime = TS, quality: Quality = Quality.GOOD, sensor: str = "s1"
      ) -> Reading:
    return Reading(sensor=sensor, ts=ts, quantities={"temperature_c": value}, quality=quality)


def test_a_good_reading_becomes_one_line_with_millisecond_time() -> None:
    line = reading_line(r(4.25), site="s", gateway="g", zone="cold room")
    assert line == (
        r"reading,site=s,gateway=g,sensor=s1,zone=cold\ room quality=0i,temperature_c=4.25 "
        + str(int(TS.timestamp() * 1000))
    )


def test_a_bad_reading_carries_only_its_quality() -> None:
    line = reading_line(r(99.0, quality=Quality.BAD), site="s", gateway="g", zone="z")
    assert " quality=2i " in line and "temperature_c" not in line


def test_tag_values_are_escaped() -> None:
    assert escape_tag("a,b=c d") == r"a\,b\=c\ d"


def test_the_rollup_folds_good_values_per_sensor_quantity_and_hour() -> None:
    later = TS + timedelta(minutes=10)
    next_hour = TS + timedelta(hours=1)
    rollup = Rollup.of([r(4.0), r(6.0, later), r(2.0, next_hour), r(50.0, later, Quality.BAD)])
    this_hour = rollup.hours[("s1", "temperature_c", hour_of(TS))]
    assert (this_hour.count, this_hour.min, this_hour.max, this_hour.mean) == (2, 4.0, 6.0, 5.0)
    assert rollup.hours[("s1", "temperature_c", hour_of(next_hour))].count == 1
    assert rollup.latest[("s1", "temperature_c")] == (next_hour, 2.0)


def test_the_latest_value_is_the_newest_even_when_it_arrives_first() -> None:
    rollup = Rollup.of([r(7.0, TS + timedelta(seconds=5)), r(3.0, TS)])
    assert rollup.latest[("s1", "temperature_c")][1] == 7.0


def _problem(message: Telemetry, gateway: str = "g", now: datetime = TS) -> str | None:
    return telemetry_problem(message, TopicParts("s", gateway, "telemetry"), now,
                             max_future=timedelta(minutes=5), max_age=timedelta(days=30),
                             allowed_gateways=frozenset({"g", "h"}))


def test_the_hub_refuses_times_out_of_window_and_foreign_gateways() -> None:
    ok = Telemetry(gateway="g", seq=1, readings=[r(1.0)])
    assert _problem(ok) is None
    future = Telemetry(gateway="g", seq=1, readings=[r(1.0, TS + timedelta(hours=1))])
    assert "in the future" in (_problem(future) or "")
    old = Telemetry(gateway="g", seq=1, readings=[r(1.0, TS - timedelta(days=31))])
    assert "older than" in (_problem(old) or "")
    assert "does not match" in (_problem(ok, gateway="h") or "")
    stranger = Telemetry(gateway="x", seq=1, readings=[r(1.0)])
    assert "not among the known gateways" in (_problem(stranger, gateway="x") or "")
