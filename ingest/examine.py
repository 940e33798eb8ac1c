"""A delivery examined on its way in: its topic parsed (and remembered), its payload
decoded and checked against the wire contract and the clock. The outcome is an
accepted telemetry message, a gateway status, or a rejection with its reason (a dead
letter); None for a kind ingest does not take."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from prometheus_client import Counter

from contract import wire
from contract.mqtt_client import Delivery
from contract.wire import Status, TopicParts, WireError
from ingest.checks import telemetry_problem
from ingest.fastwire import decode_telemetry
from ingest.store import Accepted, Outcome, Rejected, StatusUpdate

MAX_TOPICS_KEPT = 100_000


class Examiner:
    def __init__(self, counted: Mapping[str, Counter], *, max_future: timedelta,
                 max_age: timedelta) -> None:
        """`counted`: each message kind's counter (incremented per message examined)."""
        self.counted = counted
        self.max_future = max_future
        self.max_age = max_age
        self._topics: dict[str, TopicParts] = {}

    def topic(self, topic: str) -> TopicParts:
        """`wire.parse_topic`, remembered: a site has one topic per gateway and kind."""
        parts = self._topics.get(topic)
        if parts is None:
            parts = wire.parse_topic(topic)  # raises WireError: never remembered
            if len(self._topics) >= MAX_TOPICS_KEPT:
                self._topics.clear()
            self._topics[topic] = parts
        return parts

    def __call__(self, delivery: Delivery, now: datetime) -> Outcome | None:
        try:
            topic = self.topic(delivery.topic)
            self.counted[topic.kind].inc()
            if topic.kind == "status":
                status = wire.decode(Status, delivery.payload)
                return StatusUpdate(topic, status, now, delivery.payload)
            if topic.kind != "telemetry":
                return None
            message = decode_telemetry(delivery.payload)
        except WireError as exc:
            return Rejected(delivery.topic, delivery.payload, str(exc))
        problem = telemetry_problem(
            message, topic, now, max_future=self.max_future, max_age=self.max_age
        )
        if problem:
            return Rejected(delivery.topic, delivery.payload, problem)
        # Unchecked below: a LeanTelemetry (fastwire) has Telemetry's fields; a model_validate
        # per message would cost the hot path.
        return Accepted(topic, message, delivery.payload)  # type: ignore[arg-type]
