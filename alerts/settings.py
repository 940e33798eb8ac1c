"""What the alarm service needs to know; built by the composition root from the hub's
settings (like ingest/settings.py). Plain data, no IO."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from contract.mqtt_settings import HubMqttSettings


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    # The rules file: the rules' source of truth while set (read-only over the API).
    # Unset: the rules are edited over the API and kept in SQL.
    rules_file: Path | None = None
    # Quiet hours and the digest; unset: the rules' `site_timezone` (default UTC).
    site_timezone: str | None = None
    # Critical time out of range before the zone's lots go on hold, unless the rules,
    # the zone or its storage class say otherwise.
    excursion_tolerance_s: int = 1800
    public_url: str = "http://127.0.0.1:8080"  # acknowledge links in messages
    language: str = "en"  # the site's: messages to a recipient group that names none
    site: str = "main"  # the MQTT topic's site
    # The alarm publisher's broker session; None: no MQTT publishing.
    mqtt: HubMqttSettings | None = field(
        default_factory=lambda: HubMqttSettings(client_id="stockwarden-hub-alarms"))
    tick_s: float = 5.0  # offline, pending delays, escalation, grouping windows
    reconcile_s: float = 60.0  # re-read zones, sensors, latest readings, gateway statuses
    stock_check_s: float = 3600.0  # expiry and stock limits (also after each stock change)
    audit_check_s: float = 300.0  # the audit trail's newest rows verified (also at start)
    # A reminder when the last test of every alarm path is older than this; 0: none.
    alarm_test_interval_days: int = 30
    notify_attempts: int = 4
    notify_backoff_s: float = 2.0
