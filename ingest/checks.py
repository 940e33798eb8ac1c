"""Checks a valid payload must still pass at the hub: pure functions of the
message, the topic and the hub's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from contract.wire import Telemetry, TopicParts


def telemetry_problem(
    message: Telemetry,
    topic: TopicParts,
    now: datetime,
    *,
    max_future: timedelta,
    max_age: timedelta,
    allowed_gateways: frozenset[str] | None = None,
) -> str | None:
    """The reason a well-formed telemetry message is refused, or None."""
    if message.gateway != topic.gateway:
        return (
            f"gateway {message.gateway!r} in the payload does not match "
            f"the topic's {topic.gateway!r}"
        )
    if allowed_gateways is not None and message.gateway not in allowed_gateways:
        return f"gateway {message.gateway!r} is not among the known gateways"
    latest, earliest = now + max_future, now - max_age
    for index, reading in enumerate(message.readings):
        ts = reading.ts
        if ts > latest:
            return f"readings.{index}.ts: {ts.isoformat()} is more than {max_future} in the future"
        if ts < earliest:
            return f"readings.{index}.ts: {ts.isoformat()} is older than {max_age}"
    return None
