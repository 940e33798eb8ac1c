"""At the hub's start: the settings that change what is recorded or alarmed, and the
alarm rules file, compared with what the audit trail last recorded of them; a change
made outside the hub (an edited config file, environment or rules file) is written
on the trail as `system` via `start` (kernel/audit_start.py; docs/compliance.md,
"The audit trail"). Nothing is written when nothing changed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alerts.rules.url_secrets import mask_recipients
from contract.errors import ConfigError
from kernel.audit_start import record_if_changed

if TYPE_CHECKING:
    from hub.container import Hub
    from hub.settings import HubSettings

log = logging.getLogger(__name__)

# The hub settings that change what is recorded or alarmed, and so are on the trail.
# Settings of plumbing (URLs, ports, pools, batch sizes, timers) are not. Keep them the
# same in every hub process: a process started with other values records them too.
RECORDED_SETTINGS = (
    # what is kept and how the trail is kept
    "retention_days", "audit_reason_required", "audit_check_s", "audit_check_rows",
    "signature_required", "signature_ack_severities",
    # what the records and reports count as complete, what ingest accepts
    "report_record_interval_s", "report_out_of_range_interval_s",
    "ingest_max_age_s", "ingest_max_future_s",
    # what is alarmed, and when
    "alarm_rules", "excursion_tolerance_s", "site_timezone", "alarm_test_interval_days",
    "alarm_notify_attempts",
    # accounts: who can sign in, for how long
    "password_min_length", "password_max_age_days", "session_idle_s",
    "login_lockout_failures", "login_lockout_s", "login_token_lifetime_s",
)
SETTINGS_ENTITY, SETTINGS_KEY = "settings", "hub"
RULES_ENTITY = "alarm_rules"


def recorded_settings(settings: HubSettings) -> dict[str, Any]:
    """The recorded settings as JSON values (the rules file as its absolute path, the
    same from every working directory)."""
    values = settings.model_dump(mode="json", include=set(RECORDED_SETTINGS))
    if settings.alarm_rules is not None:
        values["alarm_rules"] = str(settings.alarm_rules.resolve())
    return values


def rules_file_key(path: Path) -> str:
    return f"file:{path.resolve()}"


def rules_file_document(path: Path) -> dict[str, Any]:
    """The rules file as the API shows rules (the file's notation, defaults left out),
    recipients' URLs masked as the rules' own audit rows mask them. ConfigError when it
    cannot be read or used."""
    from alerts.rules.document import load_rules

    rules = load_rules(path)
    return mask_recipients(rules.model_dump(mode="json", exclude_defaults=True))


def record_at_start(hub: Hub) -> list[str]:
    """Write what changed since the trail last saw it; the entities written, for the
    log (and tests). Called once the alarm rules were loaded: a file the hub refuses
    is not recorded."""
    written: list[str] = []
    with hub.writes() as session:
        if record_if_changed(session, SETTINGS_ENTITY, SETTINGS_KEY,
                             recorded_settings(hub.settings)).value:
            written.append(f"{SETTINGS_ENTITY} {SETTINGS_KEY}")
    path = hub.settings.alarm_rules
    if path is not None:
        try:
            document = rules_file_document(path)
        except ConfigError as exc:  # this process runs no alarms; the one that does refuses
            log.warning("alarm rules file not recorded on the audit trail: %s", exc)
        else:
            key = rules_file_key(path)
            with hub.writes() as session:
                if record_if_changed(session, RULES_ENTITY, key, document).value:
                    written.append(f"{RULES_ENTITY} {key}")
    if written:
        log.warning("changed since the audit trail last saw them, now recorded (system via "
                    "start): %s", ", ".join(written))
    return written
