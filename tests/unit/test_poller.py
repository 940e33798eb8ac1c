"""Polling logic with a scripted link: quality flags, counters, backoff, calibration."""

from __future__ import annotations

from contract.wire import Quality, utc_now
from edge.config import SensorConfig
from edge.modbus import ReadFailure
from edge.poller import BusPoller, SensorTask, backoff_delay, read_sensor
from edge.profiles import SHIPPED_DIR, load_profile

XY = load_profile(SHIPPED_DIR / "xy-md02.yaml")


class ScriptedLink:
    def __init__(self, *results: list[int] | ReadFailure) -> None:
        self.results = list(results)
        self.calls = 0

    def read(self, kind: str, address: int, count: int, unit: int) -> list[int]:
        self.calls += 1
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, ReadFailure):
            raise result
        return result

    def close(self) -> None:
        pass


def task(**overrides: object) -> SensorTask:
    fields = {"id": "s1", "bus": "b", "unit_id": 1, "profile": "xy-md02", "poll_interval": 1.0}
    return SensorTask(SensorConfig.model_validate({**fields, **overrides}), XY)


def test_a_good_read_is_calibrated_and_counted() -> None:
    t = task(calibration={"temperature_c": -0.3})
    reading = read_sensor(ScriptedLink([0xFF83, 456]), t, utc_now())
    assert reading.quality is Quality.GOOD
    assert reading.quantities == {"temperature_c": -12.8, "humidity_pct": 45.6}
    assert t.health.ok_count == 1 and t.health.state == "ok"


def test_a_timeout_is_a_bad_reading_without_values() -> None:
    t = task()
    reading = read_sensor(ScriptedLink(ReadFailure("timeout", "timeout")), t, utc_now())
    assert (reading.quality, reading.error, reading.quantities) == (Quality.BAD, "timeout", {})
    assert t.health.timeout_count == 1 and t.health.last_error == "timeout"


def test_an_exception_and_an_out_of_range_value_count_as_errors() -> None:
    t = task()
    reading = read_sensor(ScriptedLink(ReadFailure("error", "exception 2")), t, utc_now())
    assert reading.error == "exception 2"
    reading = read_sensor(ScriptedLink([250, 1200]), t, utc_now())
    assert reading.quality is Quality.BAD
    assert reading.error == "humidity_pct=120 outside 0..100"
    assert "humidity_pct" not in reading.quantities
    assert t.health.error_count == 2


def test_backoff_doubles_after_the_second_failure_up_to_the_limit() -> None:
    assert [backoff_delay(2, n, 30) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    assert backoff_delay(60, 3, 30) == 60  # never faster than the poll interval


def test_a_failing_sensor_is_polled_less_and_less_often() -> None:
    now = [0.0]
    link = ScriptedLink(ReadFailure("timeout", "timeout"))
    poller = BusPoller("b", link, [task()], lambda r: None, max_backoff=8, clock=lambda: now[0])
    t = poller.tasks[0]
    due = []
    for _ in range(5):
        now[0] = t.next_due
        poller.poll(t)
        due.append(t.next_due - now[0])
    assert due == [1, 2, 4, 8, 8]


def test_a_lost_connection_pauses_the_link_not_the_schedule() -> None:
    now = [0.0]
    link = ScriptedLink(ReadFailure("connection", "no connection: 10.0.0.5:502"))
    tasks = [task(), task(id="s2", unit_id=2)]
    poller = BusPoller("b", link, tasks, lambda r: None, clock=lambda: now[0])
    first = poller.poll(tasks[0])
    second = poller.poll(tasks[1])
    assert first.error == "no connection: 10.0.0.5:502"
    assert second.error == "no connection" and link.calls == 1


def test_a_calibration_never_pushes_humidity_past_100() -> None:
    t = task(calibration={"humidity_pct": 0.5})
    reading = read_sensor(ScriptedLink([50, 999]), t, utc_now())
    assert reading.quantities == {"temperature_c": 5.0, "humidity_pct": 100.0}


def test_an_unexpected_error_costs_one_reading_not_the_bus() -> None:
    import threading

    class Broken(ScriptedLink):
        def read(self, kind: str, address: int, count: int, unit: int) -> list[int]:
            raise RuntimeError("bug")

    readings = []
    stop = threading.Event()
    poller = BusPoller("b", Broken([0]), [task(poll_interval=0.01)], readings.append)

    def sink(reading: object) -> None:
        readings.append(reading)
        if len(readings) >= 3:
            stop.set()

    poller.sink = sink
    poller.run(stop)
    assert [r.error for r in readings[:3]] == ["internal error (see the gateway log)"] * 3


def test_the_status_carries_what_the_config_applies_to_each_sensor() -> None:
    # Issue 17 (defects 4 and 8): the poll interval, the profile and the calibration
    # offsets travel in the gateway's status, for the offline rule and the records.
    t = task(poll_interval=20.0, calibration={"temperature_c": -0.3})
    poller = BusPoller("b", ScriptedLink([0xFF83, 456]), [t], lambda _r: None)
    [(sensor, health)] = poller.health().items()
    assert sensor == "s1"
    assert (health.poll_interval_s, health.profile, health.calibration) == (
        20.0, "xy-md02", {"temperature_c": -0.3})
    assert task().health.snapshot(task().sensor).calibration == {}
