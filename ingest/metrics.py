"""The hub's own Prometheus metrics for ingest and the time-series writer."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "stockwarden_ingest_messages", "MQTT messages received", ["kind"], registry=registry
        )
        self.readings = Counter(
            "stockwarden_ingest_readings", "Readings accepted (new, valid)", registry=registry
        )
        self.dead_letters = Counter(
            "stockwarden_ingest_dead_letters", "Messages refused into dead letters",
            registry=registry,
        )
        self.duplicates = Counter(
            "stockwarden_ingest_duplicates",
            "Messages already counted (same gateway and seq)",
            registry=registry,
        )
        self.sensors_registered = Counter(
            "stockwarden_ingest_sensors_registered",
            "Unknown sensors registered as unassigned",
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "stockwarden_ingest_batch_seconds", "Time to commit one ingest batch to SQL",
            registry=registry, buckets=_LATENCY_BUCKETS,
        )
        self.mqtt_connected = Gauge(
            "stockwarden_mqtt_connected", "1 while connected to the broker", registry=registry
        )
        self.readings_written = Counter(
            "stockwarden_tsdb_readings_written",
            "Readings accepted by the time-series store",
            registry=registry,
        )
        self.write_seconds = Histogram(
            "stockwarden_tsdb_write_seconds", "Latency of one write to the time-series store",
            registry=registry, buckets=_LATENCY_BUCKETS,
        )
        self.write_errors = Counter(
            "stockwarden_tsdb_write_errors", "Failed writes (retried)", registry=registry
        )
        self.spool_lines = Gauge(
            "stockwarden_tsdb_spool_lines",
            "Readings spooled on disk, waiting for the time-series store",
            registry=registry,
        )
        self.lag_seconds = Histogram(
            "stockwarden_ingest_lag_seconds",
            "From a reading's timestamp to its acceptance by the time-series store",
            registry=registry, buckets=_LATENCY_BUCKETS,
        )
