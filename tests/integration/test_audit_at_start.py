"""Changes made outside the hub are on the audit trail, seen at its start (SQLite and
PostgreSQL): the recorded settings and the alarm rules file are compared with what
the trail last recorded; a start with nothing changed writes nothing, a changed
setting and a changed rules file one row each with only what differs (recipient URLs
masked), by `system` via `start`; several processes starting together with the same
change write it once; `stockwarden audit verify` still passes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.container import Hub, assemble
from hub.settings import load_settings
from hub.start_audit import record_at_start, rules_file_key
from kernel import audit

SECRET = "s3cretTOKEN"


def _rules(path: Path, high: float) -> Path:
    path.write_text(yaml.safe_dump({
        "recipients": {"duty": {"urls": [f"json://{SECRET}@hooks.example.com/alarms"]}},
        "thresholds": [{"zone": "COLD", "quantity": "temperature_c",
                        "high_critical": high}],
        "routes": [{"name": "all", "groups": ["duty"]}],
    }))
    return path


def _start(db_url: str, rules: Path, **settings: Any) -> None:
    """One start of `stockwarden hub` (assembled as it runs it, not serving)."""
    hub = assemble(load_settings(database_url=db_url, mqtt_url="mqtt://127.0.0.1:1",
                                 alarm_rules=rules, **settings))
    hub.engine.dispose()


def _trail(db_url: str) -> list[audit.AuditRowPublic]:
    hub = Hub.build(load_settings(database_url=db_url), migrate_schema=False)
    try:
        with hub.sessions() as session:
            return list(audit.all_rows(session, audit.AuditFilter()))
    finally:
        hub.engine.dispose()


def test_a_start_records_what_changed_outside_the_hub_once(
    db_url: str, tmp_path: Path,
) -> None:
    rules = _rules(tmp_path / "alarms.yaml", 8)
    _start(db_url, rules, retention_days=1830)
    _start(db_url, rules, retention_days=1830)  # the same again: nothing new

    first = _trail(db_url)
    assert [(r.actor, r.via, r.action, r.entity, r.key) for r in first] == [
        ("system", "start", "load", "settings", "hub"),
        ("system", "start", "load", "alarm_rules", rules_file_key(rules)),
    ]
    assert first[0].before is None and first[0].after is not None
    assert first[0].after["retention_days"] == 1830
    assert first[0].after["alarm_rules"] == str(rules.resolve())
    assert first[0].after["signature_required"]  # the recorded list, all of it
    assert "database_url" not in first[0].after  # plumbing is not on the trail
    assert first[1].after is not None
    assert first[1].after["thresholds"][0]["high_critical"] == 8
    assert SECRET not in str(first[1].after)  # masked as the rules' own rows mask it

    # Edited between starts: the config (retention, time zone) and the rules file.
    _rules(rules, 9)
    _start(db_url, rules, retention_days=2000, site_timezone="Asia/Shanghai")
    _start(db_url, rules, retention_days=2000, site_timezone="Asia/Shanghai")

    new = _trail(db_url)[2:]
    assert [(r.actor, r.via, r.action, r.entity, r.key, r.reason) for r in new] == [
        ("system", "start", "update", "settings", "hub",
         "changed outside the hub, seen at start"),
        ("system", "start", "update", "alarm_rules", rules_file_key(rules),
         "changed outside the hub, seen at start"),
    ]
    assert new[0].before == {"retention_days": 1830, "site_timezone": None}
    assert new[0].after == {"retention_days": 2000, "site_timezone": "Asia/Shanghai"}
    assert new[1].before is not None and new[1].after is not None
    assert set(new[1].after) == {"thresholds"}  # the recipients did not change
    assert new[1].before["thresholds"][0]["high_critical"] == 8
    assert new[1].after["thresholds"][0]["high_critical"] == 9

    # Back to the first value: that is a change too.
    _start(db_url, rules, retention_days=1830, site_timezone="Asia/Shanghai")
    last = _trail(db_url)[4:]
    assert [(r.entity, r.before, r.after) for r in last] == [
        ("settings", {"retention_days": 2000}, {"retention_days": 1830})]

    config = tmp_path / "hub.toml"
    config.write_text(f'database_url = "{db_url}"\nmqtt_url = "mqtt://127.0.0.1:1"\n')
    verified = CliRunner().invoke(cli, ["audit", "verify", "--config", str(config)])
    assert verified.exit_code == 0, verified.output
    assert "verifies: 5 rows; head seq 5" in verified.output


def test_processes_starting_together_write_one_row_per_change(
    db_url: str, tmp_path: Path,
) -> None:
    rules = _rules(tmp_path / "alarms.yaml", 8)
    _start(db_url, rules)
    hubs = [Hub.build(load_settings(database_url=db_url, alarm_rules=_rules(rules, 9),
                                    session_idle_s=600), migrate_schema=False)
            for _ in range(4)]
    ready = threading.Barrier(len(hubs))
    written: list[list[str]] = []
    errors: list[BaseException] = []

    def start(hub: Hub) -> None:
        ready.wait()
        try:
            written.append(record_at_start(hub))
        except BaseException as exc:  # reported below, with the rows
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(hub,)) for hub in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for hub in hubs:
        hub.engine.dispose()
    assert not errors, errors
    assert sum(len(w) for w in written) == 2, written  # settings and rules, once each
    changed = [(r.entity, r.after) for r in _trail(db_url)[2:]]
    assert changed == [("settings", {"session_idle_s": 600}),
                       ("alarm_rules", changed[1][1])], changed
    assert changed[1][1] is not None and \
        changed[1][1]["thresholds"][0]["high_critical"] == 9
