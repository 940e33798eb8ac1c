"""What ingest needs to know, and nothing else. The composition root
(hub/container.py) builds it from the hub's settings, which were validated there;
ingest never reads the hub's settings itself. Field names match the hub's
settings (`mqtt`: `HubSettings.mqtt`, the broker session), so a new field here is
picked up by name."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from contract.mqtt_settings import HubMqttSettings


@dataclass(frozen=True, slots=True)
class IngestSettings:
    mqtt: HubMqttSettings = field(default_factory=HubMqttSettings)
    tsdb_url: str | None = None
    tsdb_token: str = "stockwarden"
    tsdb_org: str = "stockwarden"
    tsdb_bucket: str = "stockwarden"
    tsdb_timeout_s: float = 10.0
    tsdb_batch_lines: int = 5000
    ingest_batch_messages: int = 3000
    ingest_batch_readings: int = 10_000
    ingest_batch_ms: int = 50
    ingest_commits_in_flight: int = 2
    ingest_max_future_s: int = 300
    ingest_max_age_s: int = 30 * 24 * 3600
    ingest_dedup_retention_s: int = 35 * 24 * 3600


def ingest_settings(source: object) -> IngestSettings:
    """The fields of `source` (the hub's settings) that ingest has, by name."""
    return IngestSettings(**{f.name: getattr(source, f.name) for f in fields(IngestSettings)})
