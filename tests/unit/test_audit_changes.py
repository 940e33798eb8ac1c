"""Which rows of the audit trail a zone report prints, and how (hub/reports/changes.py):
the zone's, its storage class's (also a class it left in the period), its sensors'
(also one moved out), their calibration, and only the alarm rule changes that apply to
it; one line per changed field, a list field narrowed to the entries that changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.reports.changes import change_rows, field_changes, pick_zone_rows, rules_apply
from kernel.audit import AuditRowPublic

AT = datetime(2026, 12, 6, 14, 2, 3, tzinfo=UTC)


def row(entity: str, key: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
        *, seq: int = 1, reason: str | None = None, action: str = "update") -> AuditRowPublic:
    return AuditRowPublic(seq=seq, at=AT, actor="lina", via="web", action=action,
                          entity=entity, key=key, before=before, after=after, reason=reason,
                          hash="0" * 64)


def test_one_line_per_changed_field_old_beside_new() -> None:
    change = row("storage_class", "2-8C", {"temp_max_c": 8.0, "name": "fridge"},
                 {"temp_max_c": 6.0, "name": "cold"}, seq=7, reason="mapping study")
    assert change_rows([change]) == [
        ["7", "2026-12-06 14:02:03", "lina", "web", "update", "storage_class", "2-8C",
         "temp_max_c", "8.0", "6.0", "mapping study"],
        ["7", "2026-12-06 14:02:03", "lina", "web", "update", "storage_class", "2-8C",
         "name", "fridge", "cold", "mapping study"],
    ]
    created = row("zone", "COLD", None, {"code": "COLD", "storage_class": None},
                  action="create")
    assert field_changes(created) == [("code", "", "COLD"), ("storage_class", "", "")]


def test_a_list_field_shows_only_the_entries_that_changed() -> None:
    kept = {"zone": "DRY", "quantity": "temperature_c", "high_critical": 26}
    old = {"sensor": "t1", "quantity": "temperature_c", "high_critical": 8}
    new = {**old, "high_critical": 7}
    change = row("alarm_rules", "rules", {"thresholds": [kept, old]},
                 {"thresholds": [kept, new]})
    [(name, before, after)] = field_changes(change)
    assert name == "thresholds"
    assert '"high_critical":8' in before and '"high_critical":7' in after
    assert "DRY" not in before + after


def test_rule_changes_apply_by_scope_defaults_and_routes() -> None:
    def applies(old: dict[str, Any], new: dict[str, Any]) -> bool:
        return rules_apply(old, new, "COLD", {"2-8C"}, {"t1"})

    dry = {"zone": "DRY", "quantity": "temperature_c", "high_critical": 26}
    assert not applies({"thresholds": [dry]}, {"thresholds": [{**dry, "high_critical": 27}]})
    for scope in ({"zone": "COLD"}, {"sensor": "t1"}, {"storage_class": "2-8C"}, {}):
        rule = {**scope, "quantity": "temperature_c", "high_critical": 9}
        assert applies({"thresholds": [dry]}, {"thresholds": [dry, rule]}), scope
        assert applies({"offline": [rule]}, {"offline": []}), scope  # a rule removed
    assert applies({"defaults": {"delay": "5m"}}, {"defaults": {"delay": "1m"}})
    carries = {"name": "night", "match": {"zone": ["COLD"]}, "groups": ["qa"]}
    other = {"name": "dry", "match": {"zone": ["DRY"]}, "groups": ["qa"]}
    assert applies({"routes": []}, {"routes": [carries]})
    assert applies({"routes": []}, {"routes": [{"name": "all", "groups": ["qa"]}]})
    assert not applies({"routes": []}, {"routes": [other]})
    assert not applies({"recipients": {}}, {"recipients": {"qa": {"urls": ["x://***"]}}})


def test_the_zones_rows_are_picked_from_the_period() -> None:
    rows = [
        row("zone", "COLD", {"storage_class": "OLD"}, {"storage_class": "2-8C"}, seq=1),
        row("storage_class", "OLD", {"temp_max_c": 9.0}, {"temp_max_c": 8.5}, seq=2),
        row("storage_class", "2-8C", {"temp_max_c": 8.0}, {"temp_max_c": 6.0}, seq=3),
        row("storage_class", "15-25C", {"temp_max_c": 25.0}, {"temp_max_c": 24.0}, seq=4),
        row("zone", "DRY", {"name": "a"}, {"name": "b"}, seq=5),
        row("sensor", "t1", {"name": "a"}, {"name": "b"}, seq=6),
        row("sensor", "t9", {"zone": "COLD"}, {"zone": "DRY"}, seq=7),  # moved out
        row("sensor", "d1", {"name": "a"}, {"name": "b"}, seq=8),
        row("calibration", "t1/CERT-1", None, {"offset": 0.1}, seq=9, action="create"),
        row("calibration", "d1/CERT-2", None, {"offset": 0.1}, seq=10, action="create"),
        row("lot", "VAC-1/L1", {"qc_status": "released"}, {"qc_status": "on_hold"}, seq=11),
    ]
    picked = pick_zone_rows(rows, "COLD", "2-8C", ["t1"])
    assert [r.seq for r in picked] == [1, 2, 3, 6, 7, 9]
