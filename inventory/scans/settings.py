"""What the MQTT scan consumer needs to know, and nothing else. The composition
root (hub/container.py) builds it from the hub's validated settings; field names
match the hub's, so a new field here is picked up by name."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class ScanConsumerSettings:
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    # Its own session, apart from ingest's: the broker keeps each one's queue.
    mqtt_client_id: str = "stockwarden-hub-scans"
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_share_group: str | None = None
    mqtt_session_expiry_s: int = 7 * 24 * 3600
    mqtt_receive_maximum: int = 1000
    mqtt_ca_file: Path | None = None
    mqtt_site: str = "+"
    scan_separator_standins: str = "|"
    scan_location_prefix: str = "LOC:"
    scan_command_prefix: str = "CMD:"
    # Scans booked at once (each waits for the database most of its time).
    scan_consumer_workers: int = 4


def scan_consumer_settings(source: object, client_id: str) -> ScanConsumerSettings:
    """The fields of `source` (the hub's settings) the consumer has, by name; its own
    MQTT client id."""
    values = {f.name: getattr(source, f.name) for f in fields(ScanConsumerSettings)}
    return ScanConsumerSettings(**{**values, "mqtt_client_id": client_id})
