"""STOCKWARDEN_ENV=production refuses every demo and local default at start, one line
per refusal naming the field, its variable and the reason."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.settings import SettingsError, load_settings

# A production configuration that passes: each test spoils one part of it.
GOOD = {
    "STOCKWARDEN_ENV": "production",
    "STOCKWARDEN_DATABASE_URL": "postgresql+psycopg://hub:pw@db/stockwarden",
    "STOCKWARDEN_MQTT_URL": "mqtts://hub:pw@broker:8883",
    "STOCKWARDEN_TSDB_URL": "http://victoria:8428",
    "STOCKWARDEN_TSDB_TOKEN": "a-real-token",
}


@pytest.fixture(autouse=True)
def _production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("STOCKWARDEN_"):
            monkeypatch.delenv(key)
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)


def refusal(monkeypatch: pytest.MonkeyPatch, key: str, value: str | None) -> str:
    if value is None:
        monkeypatch.delenv(key)
    else:
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    return str(refused.value)


def test_a_production_configuration_with_its_own_values_passes() -> None:
    settings = load_settings()
    assert settings.env == "production"


def test_the_local_sqlite_default_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert refusal(monkeypatch, "STOCKWARDEN_DATABASE_URL", None) == (
        "settings: database_url (STOCKWARDEN_DATABASE_URL): production needs an explicit "
        "database, not the local default")


def test_the_default_time_series_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert refusal(monkeypatch, "STOCKWARDEN_TSDB_TOKEN", None) == (
        "settings: tsdb_token (STOCKWARDEN_TSDB_TOKEN): production needs the time-series "
        "store's own token, not the default 'stockwarden'")
    assert "tsdb_token" in refusal(monkeypatch, "STOCKWARDEN_TSDB_TOKEN", "stockwarden")


def test_without_a_time_series_store_its_token_does_not_matter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STOCKWARDEN_TSDB_URL")
    monkeypatch.delenv("STOCKWARDEN_TSDB_TOKEN")
    assert load_settings().tsdb_url is None


@pytest.mark.parametrize("url", ["mqtt://broker:1883", "mqtts://broker:8883",
                                 "mqtt://127.0.0.1:1883"])
def test_a_broker_without_credentials_is_refused(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    assert refusal(monkeypatch, "STOCKWARDEN_MQTT_URL", url) == (
        "settings: mqtt_url (STOCKWARDEN_MQTT_URL): production needs broker credentials "
        "(mqtt://user:password@host:port): an anonymous broker lets anyone publish readings")


def test_the_default_broker_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "mqtt_url (STOCKWARDEN_MQTT_URL)" in refusal(monkeypatch, "STOCKWARDEN_MQTT_URL", None)


def test_plaintext_mqtt_with_credentials_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKWARDEN_MQTT_URL", "mqtt://hub:pw@broker:1883")
    assert load_settings().mqtt_url == "mqtt://hub:pw@broker:1883"


def test_every_demo_default_at_once_gives_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("STOCKWARDEN_DATABASE_URL", "STOCKWARDEN_MQTT_URL", "STOCKWARDEN_TSDB_TOKEN"):
        monkeypatch.delenv(key)
    result = CliRunner().invoke(app, ["hub"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == "configuration error:"
    assert [line.split(" (")[0] for line in lines[1:]] == [
        "settings: database_url", "settings: tsdb_token", "settings: mqtt_url"]
    assert "Traceback" not in result.output


def test_local_mode_keeps_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in GOOD:
        monkeypatch.delenv(key)
    settings = load_settings()
    assert (settings.env, settings.tsdb_token) == ("local", "stockwarden")
