"""What the MQTT scan consumer needs to know, and nothing else. The composition
root (hub/container.py) builds it from the hub's validated settings; field names
match the hub's, so a new field here is picked up by name."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from contract.mqtt_settings import HubMqttSettings


@dataclass(frozen=True, slots=True)
class ScanConsumerSettings:
    # Its own session, apart from ingest's: the broker keeps each one's queue.
    mqtt: HubMqttSettings = field(default_factory=lambda: HubMqttSettings(
        client_id="stockwarden-hub-scans", receive_maximum=1000))
    scan_separator_standins: str = "|"
    scan_location_prefix: str = "LOC:"
    scan_command_prefix: str = "CMD:"
    # Scans booked at once (each waits for the database most of its time).
    scan_consumer_workers: int = 4


def scan_consumer_settings(source: object, client_id: str) -> ScanConsumerSettings:
    """The fields of `source` (the hub's settings) the consumer has, by name; its own
    MQTT client id."""
    values = {f.name: getattr(source, f.name) for f in fields(ScanConsumerSettings)}
    mqtt = values["mqtt"].model_copy(update={"client_id": client_id})
    return ScanConsumerSettings(**{**values, "mqtt": mqtt})
