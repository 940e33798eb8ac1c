"""What ingest needs to know, and nothing else. The composition root
(hub/container.py) builds it from the hub's settings, which were validated there;
ingest never reads the hub's settings itself. Field names match the hub's
settings, so a new field here is picked up by name."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class IngestSettings:
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_client_id: str = "stockwarden-hub"
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_share_group: str | None = None
    mqtt_session_expiry_s: int = 7 * 24 * 3600
    mqtt_receive_maximum: int = 6000
    mqtt_ca_file: Path | None = None
    mqtt_site: str = "+"
    tsdb_url: str | None = None
    tsdb_token: str = "stockwarden"
    tsdb_org: str = "stockwarden"
    tsdb_bucket: str = "stockwarden"
    tsdb_timeout_s: float = 10.0
    tsdb_batch_lines: int = 5000
    ingest_batch_messages: int = 3000
    ingest_batch_readings: int = 10_000
    ingest_batch_ms: int = 50
    ingest_max_future_s: int = 300
    ingest_max_age_s: int = 30 * 24 * 3600
    ingest_dedup_retention_s: int = 35 * 24 * 3600


def ingest_settings(source: object) -> IngestSettings:
    """The fields of `source` (the hub's settings) that ingest has, by name."""
    return IngestSettings(**{f.name: getattr(source, f.name) for f in fields(IngestSettings)})
