"""A rule file that cannot be used stops `stockwarden hub` with one line per problem
(file, field, reason) and no traceback; a rule naming a zone that does not exist
yet is only a warning, and the rule stays inactive."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hub.container import assemble
from hub.settings import load_settings


def _hub(rules: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"STOCKWARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
           "STOCKWARDEN_ALARM_RULES": str(rules), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "hub.cli", "hub"], env=env, text=True,
                          capture_output=True, timeout=60, cwd=Path(__file__).parents[2])


@pytest.mark.parametrize(("rules", "line"), [
    ({"thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_warning": 9,
                      "high_critical": 8}]},
     "alarms.yaml: thresholds[0].high_critical: must be at or above high_warning (9)"),
    ({"thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                      "delay": "-5m"}]},
     "alarms.yaml: thresholds[0].delay:"),
    ({"recipients": {"duty": {"urls": ["wecomm://key"]}}},
     "alarms.yaml: recipients.duty.urls[0]: unknown notification scheme 'wecomm'"),
])
def test_a_bad_rule_file_refuses_the_start_with_file_field_and_reason(
    tmp_path: Path, rules: dict[str, object], line: str,
) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text(yaml.safe_dump(rules))
    done = _hub(path, tmp_path)
    assert done.returncode == 2
    assert line in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "wecomm://key" not in done.stderr  # URLs carry secrets: never echoed


def test_a_rule_for_a_zone_that_does_not_exist_yet_is_a_warning_and_inactive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text(yaml.safe_dump({"thresholds": [
        {"zone": "NOPE", "quantity": "temperature_c", "high_critical": 8}]}))
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}",
                             alarm_rules=path, mqtt_url="mqtt://127.0.0.1:1")
    hub = assemble(settings)
    assert hub.alarms is not None
    with caplog.at_level(logging.WARNING, logger="alerts.service"):
        hub.alarms.start()
    try:
        assert any("alarms.yaml: thresholds[0].zone: no zone 'NOPE' yet" in r.getMessage()
                   for r in caplog.records)
        assert hub.alarms.rules_from_file
    finally:
        hub.alarms.stop()
        hub.engine.dispose()
