"""The list of settings recorded on the audit trail at start names real settings, and
their JSON form is what the trail compares."""

from __future__ import annotations

from hub.settings import HubSettings, load_settings
from hub.start_audit import RECORDED_SETTINGS, recorded_settings


def test_every_recorded_setting_is_a_hub_setting() -> None:
    assert set(RECORDED_SETTINGS) <= set(HubSettings.model_fields)
    assert len(set(RECORDED_SETTINGS)) == len(RECORDED_SETTINGS)


def test_the_recorded_values_are_plain_json_and_nothing_else() -> None:
    values = recorded_settings(load_settings(retention_days=2000, database_url="sqlite:///x.db"))
    assert set(values) == set(RECORDED_SETTINGS)
    assert values["retention_days"] == 2000
    assert values["alarm_rules"] is None
    assert isinstance(values["signature_required"], list)
