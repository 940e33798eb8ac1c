"""What ingest makes of each delivery: an accepted telemetry message, a rejected one
(a dead letter with its reason), or a gateway's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.wire import Status, Telemetry, TopicParts


@dataclass(frozen=True, slots=True)
class Accepted:
    topic: TopicParts
    message: Telemetry
    # As received: what a dead letter keeps should the database refuse the message.
    payload: bytes = b""


@dataclass(frozen=True, slots=True)
class Rejected:
    topic: str
    payload: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A gateway's status message, decoded, with when the hub received it."""

    topic: TopicParts
    status: Status
    received_at: datetime
    payload: bytes = b""


Outcome = Accepted | Rejected | StatusUpdate
