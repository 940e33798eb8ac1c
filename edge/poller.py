"""One poll loop per bus.

RS-485 is half-duplex and a Modbus TCP gateway serves one request at a time, so
a bus runs one transaction at a time, in its own thread. The loop always polls
the sensor whose time has come first. A sensor that fails is retried later and
later (`backoff_delay`), so a dead slave costs the bus only its own timeout, now
and then, and the others keep their poll rate. When the link itself is down
(TCP refused, serial port gone) the due sensors get a bad reading without
touching the link, and the link is tried again after a pause.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contract.wire import DeviceHealth, Quality, Reading, utc_now
from edge.config import SensorConfig
from edge.modbus import Link, ReadFailure
from edge.profiles import Profile

log = logging.getLogger(__name__)

Sink = Callable[[Reading], None]


def backoff_delay(interval: float, failures: int, max_backoff: float) -> float:
    """Pause before the next poll after `failures` failures in a row.

    The first failure keeps the normal interval (a single lost frame is common on
    a noisy line); each further one doubles it, up to `max_backoff`.
    """
    if failures <= 1:
        return interval
    return min(interval * 2 ** (failures - 1), max(max_backoff, interval))


@dataclass
class Health:
    """Counters one sensor reports in the gateway's status."""

    state: str = "unknown"
    ok_count: int = 0
    timeout_count: int = 0
    error_count: int = 0
    last_success: datetime | None = None
    last_error: str | None = None

    def snapshot(self, sensor: SensorConfig | None = None) -> DeviceHealth:
        """The counters, with what the config applies to the sensor (poll interval,
        profile, calibration offsets) when it is given: the hub keeps and shows them."""
        applied = {} if sensor is None else {
            "poll_interval_s": sensor.poll_interval, "profile": sensor.profile,
            "calibration": dict(sensor.calibration)}
        return DeviceHealth.model_validate({**self.__dict__, **applied})


@dataclass
class SensorTask:
    sensor: SensorConfig
    profile: Profile
    next_due: float = 0.0
    failures: int = 0
    health: Health = field(default_factory=Health)


def read_sensor(link: Link, task: SensorTask, ts: datetime) -> Reading:
    """Poll one sensor: a good reading, or a bad one with the reason. Never raises ReadFailure."""
    sensor, profile, health = task.sensor, task.profile, task.health
    try:
        blocks = [link.read(r.kind, r.address, r.count, sensor.unit_id) for r in profile.requests]
    except ReadFailure as failure:
        if failure.kind == "timeout":
            health.timeout_count += 1
            health.state = "timeout"
        else:
            health.error_count += 1
            health.state = "error"
        health.last_error = failure.reason
        return Reading(sensor=sensor.id, ts=ts, quality=Quality.BAD, error=failure.reason)
    values, problems = profile.decode(blocks, sensor.calibration)
    if problems:
        health.error_count += 1
        health.state = "error"
        health.last_error = "; ".join(problems)
        return Reading(
            sensor=sensor.id,
            ts=ts,
            quantities=values,
            quality=Quality.BAD,
            error=health.last_error[:200],
        )
    health.ok_count += 1
    health.state = "ok"
    health.last_success = ts
    return Reading(sensor=sensor.id, ts=ts, quantities=values)


class BusPoller:
    """Polls the sensors of one bus, in one thread, until `stop` is set."""

    # Pause before trying a link again that could not connect.
    RECONNECT_DELAY = 2.0

    def __init__(
        self,
        name: str,
        link: Link,
        tasks: Sequence[SensorTask],
        sink: Sink,
        max_backoff: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.link = link
        self.tasks = list(tasks)
        self.sink = sink
        self.max_backoff = max_backoff
        self.clock = clock
        self.link_retry_at = 0.0
        now = clock()
        # Spread the first polls over a second so sensors of one interval don't bunch up.
        for index, task in enumerate(self.tasks):
            spread = min(1.0, task.sensor.poll_interval)
            task.next_due = now + index / max(len(self.tasks), 1) * spread

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                task = min(self.tasks, key=lambda t: t.next_due)
                wait = task.next_due - self.clock()
                if wait > 0:
                    stop.wait(wait)
                    continue
                try:
                    reading = self.poll(task)
                except Exception:
                    # A bug must cost one reading, not the bus: log it, flag it, go on.
                    log.exception("polling %s failed", task.sensor.id)
                    reading = Reading(
                        sensor=task.sensor.id,
                        ts=utc_now(),
                        quality=Quality.BAD,
                        error="internal error (see the gateway log)",
                    )
                    task.health.error_count += 1
                    task.next_due = self.clock() + task.sensor.poll_interval
                self.sink(reading)
        finally:
            self.link.close()

    def poll(self, task: SensorTask) -> Reading:
        now = self.clock()
        ts = utc_now()
        interval = task.sensor.poll_interval
        if now < self.link_retry_at:
            reading = Reading(
                sensor=task.sensor.id, ts=ts, quality=Quality.BAD, error="no connection"
            )
            task.health.error_count += 1
            task.health.state = "error"
            task.health.last_error = "no connection"
            task.next_due = max(task.next_due + interval, now)
            return reading
        reading = read_sensor(self.link, task, ts)
        if reading.quality is Quality.GOOD:
            if task.failures:
                log.info("sensor %s answers again", task.sensor.id)
            task.failures = 0
            task.next_due = max(task.next_due + interval, now)
        else:
            task.failures += 1
            if task.failures == 1:
                log.warning("sensor %s: %s", task.sensor.id, reading.error)
            if reading.error and reading.error.startswith(("no connection", "connection lost")):
                self.link_retry_at = now + self.RECONNECT_DELAY
            task.next_due = now + backoff_delay(interval, task.failures, self.max_backoff)
        return reading

    def health(self) -> dict[str, DeviceHealth]:
        return {t.sensor.id: t.health.snapshot(t.sensor) for t in self.tasks}
