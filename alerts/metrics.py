"""The alarm engine in /metrics: open alarms by state and severity (read from SQL at
scrape time), notifications sent and failed per route, the evaluator's CPU time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from alerts import queries
from alerts.orm import OPEN_STATES


class _OpenAlarms(Collector):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("stockwarden_alarms", "open alarms by state and severity",
                                   labels=["state", "severity"])
        with self.sessions() as session:
            counts = queries.open_alarm_counts(session)
        for state in OPEN_STATES:
            for severity in ("info", "warning", "critical"):
                family.add_metric([state, severity], counts.get((state, severity), 0))
        yield family


class AlarmMetrics:
    def __init__(self, registry: CollectorRegistry, sessions: sessionmaker[Session]) -> None:
        registry.register(_OpenAlarms(sessions))
        self.notifications = Counter(
            "stockwarden_alarm_notifications", "alarm messages per route and result",
            ["route", "status"], registry=registry)
        self.evaluator_seconds = Counter(
            "stockwarden_alarm_evaluator_seconds", "CPU seconds spent in the alarm evaluator",
            registry=registry)
        self.readings = Counter(
            "stockwarden_alarm_readings", "readings fed to the alarm evaluator",
            registry=registry)

    def evaluated(self, readings: int, seconds: float) -> None:
        self.readings.inc(readings)
        self.evaluator_seconds.inc(max(seconds, 0.0))

    def notified(self, route: str, ok: bool) -> None:
        self.notifications.labels(route, "sent" if ok else "failed").inc()
